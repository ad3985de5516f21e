package leaderelection

import (
	"sort"
	"time"

	"github.com/nodesim/nodesim/apiserver"
)

// Lazy mode (docs/ARCHITECTURE.md, "Cost grows with change"): a healthy leader writes its
// Lease once with Steady = true and then renews only virtually, every RetryPeriod, as
// exact mode would. Its standbys would only ever see those renewals, so they stop polling
// too and poll virtually, on the schedule (and with the jitter draws) exact mode would
// follow. Process.Unsteady materialises all of it at the current instant: the Lease is
// written with the last virtual renewal's renewTime, each standby's observed record and
// observedTime are what its last virtual poll would have left, and the real loops resume
// where exact mode's would be.
//
// Same-instant order. Among a Process's own events due at the same instant, the engine
// runs first the one scheduled first. Every scheduling of a poll or a renewal takes a
// number from a counter the electors share (LeaderElector.seq), in exact mode as in
// lazy mode, so the virtual events are replayed in exact mode's order (advance), and the
// real timers are scheduled again in that order when steady mode ends. A trigger (a
// fault, a failover) at the instant of a virtual event comes before it when it runs
// inside an engine event (the world's actions are scheduled at the start of a run, before
// any renewal), and after it when it runs between engine runs (RunUntil has fired
// everything due up to now): sim.Engine.Firing tells which.

// advance replays the virtual renewals and standby polls in exact mode's order, up to
// now: those due before now, and those due now as well when through is set. A standby's
// poll draws its jitter as the acquire loop would and, when the record it reads differs
// from the one it last saw, notes the instant (observedTime).
func (p *Process) advance(now time.Duration, through bool) {
	leader := p.steady
	rp := leader.le.cfg.RetryPeriod
	end := now // events due before end have happened
	if through {
		end++
	}
	const never = time.Duration(1<<63 - 1)
	for {
		// the least (instant, seq) among the next renewal and the standbys' next polls
		var poll *LeaderElector
		at, seq := p.vRenew, p.vRenewSeq
		nextPoll := never
		for _, in := range p.inst {
			le := in.le
			if in == leader || !in.alive || !le.virtual {
				continue
			}
			nextPoll = min(nextPoll, le.vNext)
			if le.vNext < at || (le.vNext == at && le.pollSeq < seq) {
				poll, at, seq = le, le.vNext, le.pollSeq
			}
		}
		if at >= end {
			return
		}
		if poll == nil {
			// the renewals due before the next poll at once: nothing falls between them.
			bound := min(end, nextPoll)
			n := time.Duration(1)
			if at < bound {
				n = (bound-at-1)/rp + 1
			}
			p.vLast = at + (n-1)*rp
			p.vRenew, p.vRenewSeq = p.vLast+rp, leader.le.next()
			continue
		}
		wait := poll.cfg.RetryPeriod
		if poll.cfg.JitterFactor > 0 {
			wait = poll.r.Jitter(poll.cfg.RetryPeriod, poll.cfg.JitterFactor)
		}
		rec := leader.le.steadyRec
		rec.renew = p.vLast
		if !poll.hasRaw || !sameRaw(rec, poll.raw) {
			poll.observe(rec, at)
			poll.raw, poll.hasRaw = rec, true
		}
		poll.vNext, poll.pollSeq = at+poll.c.Latency+wait, poll.next() // a healthy GET takes the latency
	}
}

// through reports whether the virtual events due exactly now have happened already.
func (p *Process) through() bool { return !p.s.Engine.Firing() }

// leaveSteady ends the leader's steady mode at the current instant, once advance has
// replayed the virtual renewals: it writes the Lease with the last one's renewTime and
// Steady = false and takes the state that renewal would have left.
func (le *LeaderElector) leaveSteady(last time.Duration) {
	le.steady = false
	if l, ok := le.s.Leases.Peek(le.key); ok {
		nl := l.DeepCopy()
		nl.RenewTime, nl.Steady = last, false
		if stored, err := le.s.Leases.Update(le.c, nl); err != nil {
			le.c.TraceError("update", "leases", err)
		} else {
			le.lastLease = stored // as if its last virtual renewal had written it
		}
	}
	rec := le.steadyRec
	rec.renew = last
	le.observed, le.hasObserved, le.observedTime = rec, true, last
	le.roundStart = -1
}

// goVirtual stops a polling standby's acquire loop; its next poll stays due when it was.
func (le *LeaderElector) goVirtual() {
	if le.virtual || le.leading || !le.running || !le.acquire.Running() {
		return
	}
	le.vNext = le.acquire.Next()
	le.acquire.Stop()
	le.virtual = true
}

// lazyOK reports whether an instance's standby polls can be virtual: its client answers,
// and its polls come often enough that it sees every renewal well within the lock's
// leaseDurationSeconds (otherwise exact mode could see the lock expire between two polls).
func (p *Process) lazyOK(c *apiserver.Client) bool {
	e := p.cfg.Election
	gap := c.Latency + e.RetryPeriod + time.Duration(e.JitterFactor*float64(e.RetryPeriod)) + 1
	return !c.Partitioned() && gap < time.Duration(e.leaseDurationSeconds())*time.Second
}

// wantSteady is asked by the leader before each renewal.
func (p *Process) wantSteady(leader *instance) bool {
	s := p.s
	if p.cfg.Exact || s.Down() || (s.Trace != nil && s.Trace.Wants(true)) ||
		p.cfg.Election.Callbacks.OnNewLeader != nil || leader.c.Partitioned() {
		return false
	}
	for _, in := range p.inst {
		if in == leader {
			continue
		}
		// a stopped instance may start (restart) while the leader is steady: its client
		// must answer then too.
		if !p.lazyOK(in.c) || (in.alive && in.le.IsLeader()) {
			return false
		}
	}
	return true
}

// onSteady: the leader wrote its steady renewal; its next renewals are virtual, and the
// standbys poll virtually from now on.
func (p *Process) onSteady(leader *instance) {
	p.steady = leader
	p.vLast = leader.le.steadyRec.renew
	p.vRenew, p.vRenewSeq = p.vLast+leader.le.cfg.RetryPeriod, leader.le.renewSeq
	for _, in := range p.inst {
		if in != leader && in.alive {
			in.le.goVirtual()
		}
	}
}

// Steady reports whether the leader renews virtually (lazy mode).
func (p *Process) Steady() bool { return p.steady != nil }

// Unsteady leaves lazy mode at the current instant, before anything that could change
// what exact mode would do: the leader's Lease is written with its last virtual renewal
// (Steady = false), the standbys' virtual polls are caught up with the jitter draws exact
// mode would have made, and every loop resumes where, and in the order, exact mode's
// would be. The Process calls it itself before a failover, Stop, an API-server outage and
// the partition of an instance's client (apiserver.Server.BeforeFault). It does nothing
// when the leader is not steady; the leader may become steady again at a later renewal.
func (p *Process) Unsteady() {
	leader := p.steady
	if leader == nil {
		return
	}
	p.advance(p.s.Now(), p.through())
	p.steady = nil
	leader.le.leaveSteady(p.vLast)
	// the real timers again, in exact mode's order
	type pending struct {
		seq uint64
		le  *LeaderElector
	}
	all := []pending{{p.vRenewSeq, nil}}
	for _, in := range p.inst {
		if in != leader && in.alive && in.le.virtual {
			all = append(all, pending{in.le.pollSeq, in.le})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq < all[j].seq })
	for _, x := range all {
		if x.le == nil {
			_ = leader.le.renewT.Schedule(p.vRenew)
			leader.le.renewSeq = p.vRenewSeq
			continue
		}
		x.le.virtual = false
		_ = x.le.acquire.StartAt(x.le.vNext)
	}
}

// joinSteady makes an instance that (re)starts while the leader is steady poll virtually
// from its start, or ends steady mode when its client could not.
func (p *Process) joinSteady(in *instance) {
	if !p.lazyOK(in.c) {
		p.Unsteady()
		return
	}
	in.le.goVirtual()
}

// beforeFault is the API server's BeforeFault hook: an outage (c nil) or the partition of
// one of the instances' clients ends steady mode while requests still succeed.
func (p *Process) beforeFault(c *apiserver.Client) {
	if p.steady == nil {
		return
	}
	if c == nil {
		p.Unsteady()
		return
	}
	for _, in := range p.inst {
		if in.c == c {
			p.Unsteady()
			return
		}
	}
}
