package kubelet

import (
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/lease"
	"github.com/nodesim/nodesim/sim"
)

// canBeSteady is asked by the lease controller before each renewal: a kubelet may stop
// writing when it runs, is registered, reachable, past its start-up work, idle in its
// status loop, its last sync succeeded, what it would report equals what is stored, and
// (TaintNodesByCondition) the Node's NoSchedule taints are in line with its conditions
// and spec unless a NoSchedule swap of the Node failed since they last were (SwapFailed).
func (k *Kubelet) canBeSteady() bool {
	if !k.lazy() || !k.running || k.shuttingDown || !k.fastDone || !k.runtimeReady || !k.reported {
		return false
	}
	if *k.cfg.RegisterNode && !k.registered {
		return false
	}
	if k.client.Partitioned() || k.s.Down() || k.sphase != phaseIdle || !k.lastSyncOK || !k.statusTimer.Pending() {
		return false
	}
	n, ok := k.nodeInf.Get(k.name)
	if !ok {
		return false
	}
	if stored, live := k.s.Nodes.Peek(k.name); !live || stored != n {
		return false // the kubelet's view lags the server
	}
	// Checked again at every Node update while steady (onNode): someone else's write of
	// the conditions (the node lifecycle controller's Unknown) ends steady mode, as
	// exact mode's next sync would PATCH.
	_, changed := k.computeConditions(n)
	if changed || k.capacityChanged(n) {
		return false
	}
	// The node lifecycle controller's NoSchedule worker takes every updated Node and
	// brings its NoSchedule taints in line with its conditions and spec. With the
	// controller's client rate limited that can take long (a fleet booting at once: a
	// GET and a PATCH a node at 20 requests a second), and the kubelet may go steady
	// meanwhile: while its node is queued or being swapped, a status report changes
	// nothing the worker does, except one made while the worker holds the node when
	// the swap then fails (it queues the node again). The worker does not retry a
	// failed swap; the next update of the node does, and that may be this kubelet's own
	// report. So at a failed swap the controller calls SwapFailed, which brings the
	// kubelet out of steady mode (and tells the controller when it last reported
	// virtually), and the kubelet does not go steady again while the taints are out of
	// line. Every cause of a failure (an API-server outage, the Node deleted, a
	// partition of the controller's client) goes through that one place.
	// (b6a99e5 tried instead to let the kubelet go steady when its Node was written
	// since the last outage ended; that broke lazy = exact across a later outage,
	// because a report made virtually while the worker held the node was never
	// counted.)
	if k.cfg.TaintNodesByCondition {
		if add, del := n.NoScheduleTaintSwap(); add == nil && del == nil {
			k.swapFailed = false
		} else if k.swapFailed {
			return false
		}
	}
	return !k.podsPending()
}

// lazy reports whether this kubelet may use the steady shortcut at all. Besides
// exact mode, it may not when its status reports come less than two renew intervals
// apart: the node lifecycle controller, when a Lease leaves steady mode, rebuilds what
// its passes saw from the last renewal and the last heartbeat only, which is exact
// only if every earlier heartbeat came before the last renewal (the default reports
// every 5 minutes against renewals every 10 s). Such a kubelet reports often anyway.
func (k *Kubelet) lazy() bool {
	return !k.exact && k.cfg.NodeStatusReportFrequency >= 2*lease.DefaultRenewInterval(k.cfg.NodeLeaseDurationSeconds)
}

// enterSteady runs right after the Lease was written with Steady = true: the status
// loop stops too (or only ticks, see ticks) and both continue virtually.
func (k *Kubelet) enterSteady() {
	k.steady = true
	k.statusVirtual = k.statusTimer.When()
	k.vReported = false
	if !k.ticks() {
		k.statusTimer.Stop()
	}
}

// ticks reports whether the steady status loop keeps its timer, running each virtual
// sync as an event that writes nothing. The engine runs events due at one instant in
// the order they were scheduled, so a sync's place among them is inherited from the
// sync before it, and so on back. A timer scheduled again when steady mode ends comes
// after everything scheduled since the last virtual sync, and among what was scheduled
// at that sync's own instant its place is lost. With jitter, each sync has an instant
// of its own (the waits are drawn to the nanosecond) and the timer can stop. Without
// it, the syncs of nodes in phase share their instants and their order shows in the
// trace; only a timer that never left the queue keeps exact mode's place. Jitter off
// is a test setting, so this cost never reaches a large fleet.
func (k *Kubelet) ticks() bool { return k.cfg.NoJitter }

// virtualSync is the status sync exact mode runs at t while the kubelet is steady: it
// reports (a PATCH that takes the client's latency) when a report is due and does
// nothing otherwise. It returns when the next sync runs.
func (k *Kubelet) virtualSync(t time.Duration) time.Duration {
	var took time.Duration
	if t-k.lastReport >= k.cfg.NodeStatusReportFrequency+k.delay {
		k.lastReport, k.delay, k.vReported = t, 0, true
		took = k.client.Latency
	}
	return t + took + k.drawStatusWait()
}

// walkVirtualSyncs runs the virtual syncs due before until, as virtualSync would one
// by one. After hours of steady mode there are thousands per node: the syncs between
// two reports are one walk over the jitter cycle's summed steps (JitterSteps: a binary
// search, not a step per sync), and whole cycles of reports are skipped. What follows
// a report depends only on the status jitter's place at it (the report frequency, the
// client's latency and the waits of the cycle are fixed, and the report delay is 0
// after a report), so once a report finds a place an earlier one had, the reports
// repeat from there with the time between the two as period.
func (k *Kubelet) walkVirtualSyncs(until time.Duration) {
	t := k.statusVirtual
	last, delay, reported := k.lastReport, k.delay, k.vReported
	freq, period := k.cfg.NodeStatusReportFrequency, k.cfg.NodeStatusUpdateFrequency
	var seen [sim.CycleLen]time.Duration // a report's instant + 1 by its place; 0: none
	skipped := k.cfg.NoJitter
	var steps sim.JitterSteps // the cycle's waits, summed once for all the walks below
	summed := false
	for t < until {
		if due := last + freq + delay; t < due {
			// syncs that report nothing: each takes no time
			if k.cfg.NoJitter {
				t += (min(until, due) - t + period - 1) / period * period
				continue
			}
			if !summed {
				steps, summed = k.statusJitter.Steps(period, StatusJitterFactor, 0), true
			}
			_, t = k.statusJitter.WalkSteps(&steps, t, min(until, due))
			continue
		}
		// a report at t
		if !skipped {
			p := k.statusJitter.Pos()
			if seen[p] == 0 {
				seen[p] = t + 1
			} else if cycle := t - (seen[p] - 1); until-1-t >= cycle {
				t += (until - 1 - t) / cycle * cycle // the report of as many cycles later
				skipped = true
			}
		}
		last, delay, reported = t, 0, true
		t += k.client.Latency + k.drawStatusWait()
	}
	k.statusVirtual, k.lastReport, k.delay, k.vReported = t, last, delay, reported
}

// statusTick is the status timer firing while steady (ticks): a virtual sync.
func (k *Kubelet) statusTick() {
	k.statusVirtual = k.virtualSync(k.s.Now())
	_ = k.statusTimer.Schedule(k.statusVirtual)
}

// Unsteady leaves lazy steady mode at the current instant (docs/ARCHITECTURE.md): it
// writes the Node status with the last virtual report's lastHeartbeatTime (if newer than
// the stored one) and the Lease with the last virtual renewal's renewTime and Steady =
// false, then resumes both loops where exact mode would be. The scenario calls it
// before anything that may change what others observe of this node; the kubelet's own
// fault methods call it themselves. It does nothing when the kubelet is not steady.
func (k *Kubelet) Unsteady() {
	k.catchUpBehind()
	if !k.steady {
		return
	}
	k.steady = false
	now := k.s.Now()
	// the status loop: walk the virtual syncs before now, drawing as exact mode did (a
	// ticking loop has run them already).
	k.walkVirtualSyncs(now)
	if k.vReported {
		k.vReported = false
		hb := k.lastReport
		// Never reset: the controller compares it with the instant its worker took the
		// node (reportedWhileHeld keeps only reports at or after it), so an old value
		// is harmless and a reset could hide a report exact mode made.
		k.lastVirtual, k.hasVirtual = hb, true
		_, err := k.s.Nodes.PatchStatus(k.client, k.name, func(n *apiserver.Node) error {
			for i := range n.Conditions {
				c := &n.Conditions[i]
				if c.Type != apiserver.NodeNetworkUnavailable || k.netUnavail != nil {
					c.LastHeartbeatTime = max(c.LastHeartbeatTime, hb)
				}
			}
			return nil
		})
		if err != nil {
			k.client.TraceError("patch", "nodes", err)
		}
	}
	if !k.ticks() {
		_ = k.statusTimer.Schedule(k.statusVirtual)
	}
	k.lease.Unsteady()
}

// LastVirtualReport returns the instant of the last status report this kubelet made only
// virtually, while steady, and that Unsteady has since written; ok is false when it has
// made none. The node lifecycle controller asks it when a NoSchedule swap of this Node
// fails: exact mode's report, if it came while the controller's worker held the node,
// queued the node again (nodelifecycle.Kubelets).
func (k *Kubelet) LastVirtualReport() (at time.Duration, ok bool) {
	return k.lastVirtual, k.hasVirtual
}

// SwapFailed is called when the node lifecycle controller's NoSchedule swap of this
// Node failed: it leaves steady mode (Unsteady) and does not go steady again while the
// Node's NoSchedule taints are out of line, so that its next status report queues the
// node again, as exact mode's does (see canBeSteady).
func (k *Kubelet) SwapFailed() {
	k.Unsteady()
	k.swapFailed = true
}
