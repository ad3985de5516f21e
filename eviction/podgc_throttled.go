package eviction

import (
	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// gcPass is a pod GC pass whose requests do not all find a token at its start: its
// four parts run in upstream's order, each when the one before has finished, and each
// request goes at its token's instant. The pass lists pods and nodes when it starts,
// as upstream's gc() does once: the terminated, terminating and unscheduled pods, and
// which nodes exist. The out-of-service part reads each pod's node when it starts,
// as gcTerminating's nodeLister.Get does after gcTerminated has finished; the orphan
// part moves the quarantine on when it starts, with the nodes missing from the
// pass's list (a node deleted since waits for the next pass, one registered since is
// GET like any other), and takes the pods of a node its GET found gone from the cache
// at that answer (upstream takes them from its list: the same pods unless one was
// bound to the missing node's name meanwhile). Terminated and out-of-service pods are deleted by a goroutine each
// (gcTerminated, gcTerminating): every pod's first request is reserved when the part
// starts, a pod's DELETE after its PATCH is answered, so the PATCHes go before the
// DELETEs. Orphans and unscheduled terminating pods go one after the other. A
// request's next step waits for its answer (the client's Took); the next pass starts
// GCCheckPeriod after the last answer, as upstream's sliding loop does.
type gcPass struct {
	g   *PodGC
	run uint64 // g.run at the start: a Stop ends the pass

	terminated, terminating, unscheduled []*apiserver.Pod
	left                                 int // pods of the running parallel part not finished
	// existed: for the names in the quarantine or missing at the pass's start, whether
	// their node was in the cache then; every other node name with pods had its node
	existed map[string]bool
}

// existedAtStart reports whether the node was in the pass's node list.
func (ps *gcPass) existedAtStart(name string) bool {
	v, ok := ps.existed[name]
	return !ok || v
}

func (g *PodGC) startThrottledPass() {
	ps := &gcPass{g: g, run: g.run}
	if g.cfg.TerminatedPodGCThreshold > 0 {
		if excess := len(g.terminated) - g.cfg.TerminatedPodGCThreshold; excess > 0 {
			pods := g.collect(g.terminated, nil)
			sortByEvictionAndCreation(pods)
			ps.terminated = append([]*apiserver.Pod(nil), pods[:min(excess, len(pods))]...)
		}
	}
	ps.terminating = append([]*apiserver.Pod(nil), g.collect(g.terminating, nil)...)
	pods := g.collect(g.unscheduledTerminating, nil)
	sortByEvictionAndCreation(pods)
	ps.unscheduled = append([]*apiserver.Pod(nil), pods...)
	ps.existed = map[string]bool{}
	for name := range g.quarantine {
		_, ps.existed[name] = g.nodes.Get(name)
	}
	for name := range g.missingNodes {
		_, ps.existed[name] = g.nodes.Get(name)
	}
	ps.parallel(ps.terminated, func() {
		ps.parallel(ps.outOfService(), ps.orphans)
	})
}

// outOfService is gcTerminating's choice among the terminating pods of the pass's
// list, by their nodes as the cache holds them now: not Ready, with the
// out-of-service taint.
func (ps *gcPass) outOfService() []*apiserver.Pod {
	g := ps.g
	if g.outOfService == 0 {
		return nil
	}
	pods := ps.terminating[:0]
	for _, p := range ps.terminating {
		if n, ok := g.nodes.Get(p.NodeName); ok && n.ReadyStatus() != apiserver.ConditionTrue && hasTaintKey(n.Taints, taint.OutOfService) {
			pods = append(pods, p)
		}
	}
	sortByEvictionAndCreation(pods)
	ps.terminating = pods
	return pods
}

func (ps *gcPass) live() bool { return ps.g.running && ps.g.run == ps.run }

// request sends req at the client's next token, then, once it is answered, calls
// next with its outcome.
func (ps *gcPass) request(req func() bool, next func(ok bool)) {
	g := ps.g
	send := func() {
		if !ps.live() {
			return
		}
		ok := req()
		if took := g.c.Took(); took > 0 {
			_, _ = g.s.Engine.At(g.s.Now()+took, func() {
				if ps.live() {
					next(ok)
				}
			})
			return
		}
		next(ok)
	}
	now := g.s.Now()
	if at := g.limiter.Wait(now); at > now {
		_, _ = g.s.Engine.At(at, send)
		return
	}
	// Answered after the requests made at this instant, as a real request takes
	// milliseconds: an engine event even when the token is there.
	_, _ = g.s.Engine.At(now, send)
}

// markFailedAndDelete is markFailedAndDeletePodWithCondition over time; done runs
// when its last request is answered.
func (ps *gcPass) markFailedAndDelete(p *apiserver.Pod, nodeGone bool, done func()) {
	del := func(ok bool) {
		if !ok {
			done()
			return
		}
		ps.request(func() bool { ps.g.forceDelete(p); return true }, func(bool) { done() })
	}
	if p.Terminal() {
		del(true)
		return
	}
	ps.request(func() bool { return ps.g.markFailed(p, nodeGone) }, del)
}

// parallel deletes pods with a goroutine each and calls then when all are done.
func (ps *gcPass) parallel(pods []*apiserver.Pod, then func()) {
	if len(pods) == 0 {
		then()
		return
	}
	ps.left = len(pods)
	for _, p := range pods {
		ps.markFailedAndDelete(p, false, func() {
			if ps.left--; ps.left == 0 {
				then()
			}
		})
	}
}

// sequential deletes pods one after the other and calls then.
func (ps *gcPass) sequential(pods []*apiserver.Pod, nodeGone bool, then func()) {
	if len(pods) == 0 {
		then()
		return
	}
	ps.markFailedAndDelete(pods[0], nodeGone, func() { ps.sequential(pods[1:], nodeGone, then) })
}

// orphans is gcOrphaned: the quarantine moves on now, a GET per node whose quarantine
// is over, one after the other, then the pods of the nodes found gone.
func (ps *gcPass) orphans() {
	ready := ps.g.quarantineOver(ps.existedAtStart)
	var gone []*apiserver.Pod
	var get func(i int)
	get = func(i int) {
		for i < len(ready) && ps.existedAtStart(ready[i]) {
			i++
		}
		if i == len(ready) {
			ps.sequential(gone, true, func() { ps.sequential(ps.unscheduled, false, ps.finish) })
			return
		}
		name := ready[i]
		ps.request(func() bool { return ps.g.nodeGone(name) }, func(isGone bool) {
			if isGone {
				gone = append(gone, ps.g.pods.ByIndex(apiserver.IndexNodeName, name)...)
			}
			get(i + 1)
		})
	}
	get(0)
}

// finish ends the pass: the next starts GCCheckPeriod later.
func (ps *gcPass) finish() {
	g := ps.g
	_ = g.loop.StartAt(g.s.Now() + g.cfg.GCCheckPeriod)
}
