package kubelet

import "time"

// Behind a partition (lazy mode, docs/ARCHITECTURE.md).
//
// A partitioned kubelet's status loop goes on syncing about every 10 s. Until a report
// is due, a sync sends nothing; after that, each sync's five tries time out one after
// the other. Either way a sync changes nothing anyone can see: it only draws its wait
// and, when try 0 finds a change, a report delay. So once a sync has ended behind a
// partition, the loop schedules nothing: catchUpBehind replays the syncs when the
// client's view changes (the partition heals, an outage starts or ends) or a fault
// acts on the kubelet (Unsteady), and schedules the step exact mode has pending then.
// The lease controller does the same with its backoff (lease.Config.LazyPartition).

// goBehind ends the current sync virtually, the next one due at next, if it may: behind
// a partition (not an outage, whose errors come at once), in lazy mode with nothing
// logged, and with nothing but a fault or the partition's end able to change what try
// 0 computes. That is, the kubelet is past its start-up work; its status comes from
// state that only faults change (each calls Unsteady, which catches the loop up
// first); and the Node its informer holds stays put, its watch held with nothing in
// flight. Jitter off is excluded, as for steady mode (see ticks in steady.go).
func (k *Kubelet) goBehind(next time.Duration) bool {
	if k.exact || k.cfg.NoJitter || k.oob || !k.client.Partitioned() || k.s.Down() ||
		!k.running || !k.runtimeReady || !k.fastDone || k.shuttingDown || k.s.Trace.Wants(true) {
		return false
	}
	n, ok := k.nodeInf.Get(k.name)
	if !ok || k.nodeInf.InFlight() {
		return false
	}
	_, changed := k.computeConditions(n)
	k.sphase = phaseIdle
	k.behind, k.behindNext = true, next
	k.behindDraws = changed || k.capacityChanged(n) || !k.reported
	return true
}

// catchUpBehind materialises the status loop (and the lease controller) running
// virtually behind a partition: the syncs exact mode ran before now are replayed,
// drawing what they drew, and the step it has pending is scheduled at its instant: a
// sync, or the answer of a try sent before now (a try sent before the partition ends
// still times out).
func (k *Kubelet) catchUpBehind() {
	k.lease.CatchUp()
	if !k.behind {
		return
	}
	k.behind = false
	now := k.s.Now()
	timeout := k.client.Timeout
	t := k.behindNext
	for t < now {
		// the sync at t
		k.sWait = k.drawStatusWait()
		k.sTook, k.sTry = 0, 0
		if !k.behindDraws && t < k.lastReport+k.cfg.NodeStatusReportFrequency+k.delay {
			// nothing to report yet: the sync sends nothing
			k.lastSyncOK = true
			t += k.sWait
			continue
		}
		if k.behindDraws {
			k.delay = k.drawDelay()
		}
		k.lastSyncOK = false
		for try := range NodeStatusUpdateRetry {
			// try i is sent at t+i·timeout, when the answer of the one before arrived
			if answer := t + time.Duration(try+1)*timeout; answer >= now {
				k.sTry, k.sTook = try, time.Duration(try+1)*timeout
				k.failErr = k.client.TimeoutError(k.s.Nodes.Resource) // try 0's PATCH
				if try > 0 {
					k.failErr = &getNodeError{name: k.name, err: k.failErr}
				}
				k.sphase = phaseUpdateFailed
				_ = k.statusTimer.Schedule(answer)
				return
			}
		}
		t += NodeStatusUpdateRetry*timeout + k.sWait
	}
	k.sphase = phaseIdle
	_ = k.statusTimer.Schedule(t)
}
