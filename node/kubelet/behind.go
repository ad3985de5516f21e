package kubelet

import "time"

// Behind a partition or an outage (lazy mode, docs/ARCHITECTURE.md).
//
// A kubelet cut off from the API server goes on syncing its status about every 10 s.
// Until a report is due, a sync sends nothing; after that, each sync's five tries
// fail one after the other (each after the client's timeout behind a partition, at
// once in an outage). Either way a sync changes nothing anyone can see: it only draws
// its wait and, when try 0 finds a change, a report delay. So once a sync has ended
// like that, the loop schedules nothing: catchUpBehind replays the syncs when what the
// client meets changes (a partition starts or heals, an outage starts or ends) or a
// fault acts on the kubelet (Unsteady), and schedules the step exact mode has pending
// then. The lease controller does the same with its backoff (lease.Config.LazyFailures).

// goBehind ends the current sync virtually, the next one due at next, if it may: every
// request fails until what the client meets changes, the kubelet is in lazy mode with
// nothing logged, and nothing but a fault or that change can alter what try 0
// computes. That is, the kubelet is past its start-up work; its status comes from
// state that only faults change (each calls Unsteady, which catches the loop up
// first); and the Node its informer holds stays put: nothing is in flight to it, a
// partitioned client's watch is held, and in an outage nobody can write. Jitter off is
// excluded, as for steady mode (see ticks in steady.go).
func (k *Kubelet) goBehind(next time.Duration) bool {
	took, failing := k.client.Failing()
	if !failing || k.exact || k.cfg.NoJitter || k.oob || !k.running || !k.runtimeReady ||
		!k.fastDone || k.shuttingDown || k.s.Trace.Wants(true) {
		return false
	}
	n, ok := k.nodeInf.Get(k.name)
	if !ok || k.nodeInf.InFlight() {
		return false
	}
	_, changed := k.computeConditions(n)
	k.sphase = phaseIdle
	k.behind, k.behindNext, k.behindTook = true, next, took
	k.behindDraws = changed || k.capacityChanged(n) || !k.reported
	return true
}

// catchUpBehind materialises the status loop (and the lease controller) running
// virtually behind a partition or an outage: the syncs exact mode ran before now are
// replayed, drawing what they drew, and the step it has pending is scheduled at its
// instant: a sync, or the answer of a try sent before now (a try sent before a
// partition heals still times out; in an outage a try is answered at once).
func (k *Kubelet) catchUpBehind() {
	k.lease.CatchUp()
	if !k.behind {
		return
	}
	k.behind = false
	now := k.s.Now()
	timeout := k.behindTook
	t := k.behindNext
	for {
		if !k.behindDraws {
			t = k.walkBehind(t, now, timeout)
		}
		if t >= now {
			break
		}
		// the sync at t
		k.sWait = k.drawStatusWait()
		k.sTook, k.sTry = 0, 0
		if !k.behindDraws && t < k.lastReport+k.cfg.NodeStatusReportFrequency+k.delay {
			// nothing to report yet: the sync sends nothing
			k.lastSyncOK = true
			t += k.sWait
			continue
		}
		// try 0's PATCH: a change draws a new report offset, a report due by time
		// uses it up (see tryUpdate)
		if k.behindDraws {
			k.delay = k.drawDelay()
		} else {
			k.delay = 0
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

// walkBehind replays, as catchUpBehind's loop would one by one, the syncs before now
// that complete before now, when no sync draws anything but its wait (behindDraws
// unset): first those before the report falls due, which send nothing, then those
// whose every try fails before now. Each is one step of the status jitter cycle, with
// no extra time for the first and NodeStatusUpdateRetry timeouts for the others, so
// both are walks over the cycle, whole cycles skipped: a zone cut off for days costs
// what one cut off for minutes does. It returns the next sync's instant; a sync whose
// tries are still out at now is left to the loop, and so is the first due sync while
// a report offset is left: its PATCH uses the offset up, which moves the next report
// (a negative one comes back due only at lastReport + the report frequency).
func (k *Kubelet) walkBehind(t, now, timeout time.Duration) time.Duration {
	period := k.cfg.NodeStatusUpdateFrequency
	walk := func(until, extra time.Duration, ok bool) {
		last, next := k.statusJitter.Walk(t, until, period, StatusJitterFactor, extra)
		if next != t {
			k.sWait = next - last - extra // the last sync's wait, drawn at its start
			k.sTook, k.sTry = 0, 0
			k.lastSyncOK = ok
			t = next
		}
	}
	walk(min(now, k.lastReport+k.cfg.NodeStatusReportFrequency+k.delay), 0, true)
	if k.delay != 0 {
		return t
	}
	retries := NodeStatusUpdateRetry * timeout
	walk(now-retries, retries, false)
	return t
}
