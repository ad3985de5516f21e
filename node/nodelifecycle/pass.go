package nodelifecycle

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/nodesim/nodesim/apiserver"
)

// passPhase is where a monitor pass is.
type passPhase uint8

const (
	phaseAdded   passPhase = iota // the nodes seen for the first time: Event, markNodeAsReachable
	phaseVisit                    // the nodes, one by one (monitorNodeHealth's updateNodeFunc)
	phaseUntaint                  // handleDisruption entering master disruption: every node untainted
)

// visitStep is where the visit of one node is.
type visitStep uint8

const (
	stepBegin    visitStep = iota // tryUpdateNodeHealth's decision, at the visit's instant
	stepLeaseGet                  // the circuit breaker's GET of the Lease
	stepWrite                     // the UpdateStatus to Unknown
	stepRetryGet                  // a failed UpdateStatus: GET the node and decide again
	stepAfter                     // count the node, read its pods, decide its NoExecute taints
	stepTaint                     // the taint requests of processTaintBaseEviction
	stepPods                      // MarkPodsNotReady, pod by pod
)

// passState is a monitor pass that may run over time: within the burst of the
// client's rate limit it runs within its start's event, as it always did; when a
// request must wait for its token the visitor that asked suspends, and its timer
// resumes it at that instant (see the package documentation, "The client's rate
// limit").
type passState struct {
	open      bool // begun and not ended
	throttled bool // it has waited for a token
	seq       uint64
	start     time.Duration
	phase     passPhase

	added, deleted []*nodeHealth
	i              int // into added or untaint
	// list is the pass's visit list (exact: every node listed at the start; lazy: the
	// active ones then), late the nodes that turned active since, in name order from li
	list       []*nodeHealth
	li         int
	late       nameHeap
	activeMark int    // nc.active[activeMark:] turned active since late was last filled
	lastName   string // the last node handed out to a visitor
	handedAll  bool   // every node was handed out: no visit starts any more
	handAt     time.Duration
	cow        []*nodeHealth

	tripped  bool
	tripName string

	// handleDisruption
	allAre, allWas bool
	untaint        []*apiserver.Node
}

// visitor is one of the pass's workers (upstream's goroutines of
// workqueue.ParallelizeUntil in monitorNodeHealth): the node it visits, where that
// visit is, and the worker whose timer resumes it when it waits for a token. Visitor 0
// also carries the pass's serial phases (the added nodes, the untainting of
// handleDisruption), which upstream runs outside the parallel loop.
type visitor struct {
	w                         worker
	cur                       *nodeHealth
	step                      visitStep
	node                      *apiserver.Node
	now                       time.Duration // the instant of the visit's decision (1.37: after the Lease GET)
	lease                     leaseView     // the Lease it read then
	attempt                   int
	observed, current         apiserver.ConditionStatus
	hasCurrent, flipped, pods bool
	reach                     bool // op is markNodeAsReachable's (else a swap, or none)
	op                        taintOp
	podList                   []*apiserver.Pod
	pi                        int
	podErr                    bool
}

// reset drops what the visitor holds: a new pass, or a stopped controller.
func (v *visitor) reset() {
	v.w.stop()
	v.cur, v.node, v.step = nil, nil, stepBegin
	v.op = taintOp{}
	clear(v.podList)
	v.podList, v.pi = v.podList[:0], 0
}

// monitorPass is the monitor loop's callback (monitorNodeHealth). It returns the
// modelled pass duration; a pass that waits for a token stops the loop, and starts it
// again when it ends (the loop is sliding).
func (nc *Controller) monitorPass() time.Duration {
	nc.beginPass()
	if nc.runPass(nil) {
		return nc.cfg.PassDuration
	}
	nc.loop.Stop()
	return 0
}

// visitorResumed is visitor i's timer: the token it waited for is there.
func (nc *Controller) visitorResumed(i int) {
	if !nc.pass.open {
		return
	}
	nc.inPass = true
	if nc.cfg.LeaseCircuitBreaker {
		_, failing := nc.c.Failing()
		nc.cacheIsLive = !failing && !nc.leaseInf.InFlight()
	}
	if nc.runPass(&nc.vis[i]) {
		// sliding: the next pass a period after this one ends
		_ = nc.loop.StartAt(nc.s.Now() + nc.step)
		nc.epochs = append(nc.epochs, passEpoch{start: nc.s.Now() + nc.step})
		nc.pruneEpochs()
	}
}

// beginPass is the start of monitorNodeHealth: classify the nodes and list the visits.
func (nc *Controller) beginPass() {
	now := nc.s.Now()
	nc.lastPass, nc.passRan = now, true
	nc.inPass = true
	p := &nc.pass
	p.seq++
	p.open, p.throttled, p.start = true, false, now
	p.phase, p.i = phaseAdded, 0
	p.tripped, p.tripName = false, ""
	for i := range nc.vis {
		// a pass ends with every visitor idle: only a Stop leaves one holding a node
		if v := &nc.vis[i]; v.cur != nil || v.w.held {
			v.reset()
		}
		nc.vis[i].step = stepBegin
	}
	// classifyNodes
	slices.SortFunc(nc.memberDirty, func(a, b *nodeHealth) int { return cmp.Compare(a.name, b.name) })
	added, deleted := p.added[:0], p.deleted[:0]
	for _, n := range nc.memberDirty {
		n.memberMark = false
		switch {
		case n.inCache && !n.known:
			added = append(added, n)
		case !n.inCache && n.known:
			deleted = append(deleted, n)
		}
	}
	p.added, p.deleted = added, deleted
	nc.memberDirty = nc.memberDirty[:0]
	// addPodEvictorForNewZone, for added nodes and for newZoneRepresentatives: every zone
	// with a cached node that is not in the zone states gets a new tainting queue with a
	// full bucket. A zone with no counted node (only exclude-disruption nodes, or every
	// node skipped) that handleDisruption forgot at the end of the last pass
	// (forgetUncountedZones) gets a fresh queue and burst here; when it is forgotten at
	// every pass (in a cluster of that zone alone, say), its NoExecute taints are limited
	// per pass, not by nodeEvictionRate, and a node that is already tainted and re-queued
	// first can take the pass's only token every time (upstream does this too; see
	// TestExcludedZoneTainterRecreatedEachPass).
	nc.addEvictors()
}

// runPass carries the open pass on from where it stopped: resumed is the visitor whose
// token is there (nil at the pass's start). It reports whether the pass ended (false:
// some visitor waits for a token).
func (nc *Controller) runPass(resumed *visitor) bool {
	p := &nc.pass
	v0 := &nc.vis[0]
	if p.phase == phaseAdded {
		for p.i < len(p.added) {
			n := p.added[p.i]
			if v0.step == stepBegin {
				node := nc.snapNode(n)
				var uid uint64
				if node != nil {
					uid = node.UID
				} else if n.node != nil {
					uid = n.node.UID
				}
				nc.event("node/"+n.name, uid, EventRegisteredNode, fmt.Sprintf("Registered Node %s in Controller", n.name))
				n.known, n.knownUID = true, uid
				if node == nil {
					p.i++
					continue
				}
				nc.reachableOp(&v0.op, node)
				v0.node, v0.step = node, stepTaint
			}
			if !nc.runOp(&v0.w, &v0.op) {
				nc.suspend(v0)
				return nc.waits()
			}
			if !v0.op.failed {
				nc.reachableDone(n, v0.node)
			}
			v0.step = stepBegin
			p.i++
		}
		clear(p.added)
		p.added = p.added[:0]
		for _, n := range p.deleted {
			nc.event("node/"+n.name, n.knownUID, EventRemovingNode, fmt.Sprintf("Removing Node %s from Controller", n.name))
			n.known = false
			nc.uncount(n)
		}
		clear(p.deleted)
		p.deleted = p.deleted[:0]
		nc.listVisits()
		p.phase = phaseVisit
		resumed = nil // every visitor starts
	}
	if p.phase == phaseVisit {
		if resumed != nil {
			if !nc.runVisitor(resumed) {
				nc.suspend(resumed)
			}
		} else {
			// the visitors start in index order: within the burst the first does all
			// the work, and the others start when it waits (ParallelizeUntil's
			// goroutines, whose requests take milliseconds each)
			for i := range nc.vis {
				if v := &nc.vis[i]; !nc.runVisitor(v) {
					nc.suspend(v)
				}
			}
		}
		for i := range nc.vis {
			if nc.vis[i].cur != nil {
				return nc.waits()
			}
		}
		nc.endVisits()
		if nc.beginDisruption() {
			p.phase = phaseUntaint
			p.i, v0.step = 0, stepBegin
		} else {
			nc.endDisruption()
			nc.endPass()
			return true
		}
	}
	// phaseUntaint: "Controller detected that all Nodes are not-Ready. Entering master
	// disruption mode": markNodeAsReachable of every node, serially (upstream too), by
	// visitor 0, idle since the visits ended
	for p.i < len(p.untaint) {
		if v0.step == stepBegin {
			nc.reachableOp(&v0.op, p.untaint[p.i])
			v0.step = stepTaint
		}
		if !nc.runOp(&v0.w, &v0.op) {
			nc.suspend(v0)
			return nc.waits()
		}
		if !v0.op.failed {
			nc.reachableDone(nil, p.untaint[p.i])
		}
		v0.step = stepBegin
		p.i++
	}
	clear(p.untaint)
	p.untaint = p.untaint[:0]
	nc.endDisruption()
	nc.endPass()
	return true
}

// runVisitor carries v on: its node's visit, then the next nodes handed out, until it
// waits for a token (false) or no node is left to hand out (true).
func (nc *Controller) runVisitor(v *visitor) bool {
	for {
		if v.cur == nil {
			if v.cur = nc.nextVisit(); v.cur == nil {
				return true
			}
			v.step = stepBegin
			v.cur.visitOK, v.cur.touched = false, false
			v.node = nc.snapNode(v.cur)
			if v.node == nil || v.cur.node == nil {
				// not listed, or deleted while the pass waited: upstream visits its
				// listed copy (its status write fails NotFound, but it counts in its
				// zone for this pass); here it is not visited, as its Lease, deleted
				// with it, leaves lazy mode nothing to rebuild exact mode's probe from
				nc.uncount(v.cur)
				v.cur.visitOK = true
				v.cur = nil
				continue
			}
			v.attempt = 0
		}
		if !nc.visitNode(v) {
			return false
		}
		v.cur = nil
	}
}

// waits ends the pass's work within this event, some visitor waiting for a token, and
// returns false.
func (nc *Controller) waits() bool {
	nc.afterPassEvent()
	return false
}

// suspend notes that v waits for a token (its worker's timer is set). At the pass's
// first wait the pass becomes throttled: its visits from now on happen at their own
// instants, so lazy mode stops skipping the nodes that wait in a tainting queue (their
// re-queueing is dated by their visits; see waitingUnknown): those before the node
// being visited (the last handed out: until the first wait the visitors work one
// after the other) are re-added as exact mode re-added them, at the pass's instant,
// and the others visited.
func (nc *Controller) suspend(v *visitor) {
	p := &nc.pass
	if p.throttled {
		return
	}
	p.throttled = true
	nc.epochs = append(nc.epochs, passEpoch{start: p.start, throttled: true})
	if !nc.cfg.Exact && p.phase <= phaseVisit && nc.nWaiting > 0 {
		if p.phase == phaseVisit && v.cur != nil {
			for _, z := range nc.zoneList {
				if z.q != nil {
					nc.readdWaiting(z.q, v.cur.name, nc.s.Now())
				}
			}
		}
		nc.unstickWaiting(nil)
	}
}

// handedOut notes in a throttled pass's history that the nodes after the last one
// handed out start their visits now or later (passSeg): a visit starts when a visitor
// is free to take it, so visit starts never decrease in name order, and a node lazy
// mode skips would have started its visit in exact mode at the instant the next node
// handed out did (its visit sends nothing).
func (nc *Controller) handedOut() {
	p := &nc.pass
	if !p.throttled {
		return
	}
	now := nc.s.Now()
	if now <= p.handAt {
		return
	}
	p.handAt = now
	e := &nc.epochs[len(nc.epochs)-1]
	e.segs = append(e.segs, passSeg{after: p.lastName, at: now})
}

// afterPassEvent ends the pass's work within this event: an always-running tick due now
// would fire right after it, before anything the pass scheduled for this instant (its
// own watch notifications): run it here.
func (nc *Controller) afterPassEvent() {
	nc.inPass = false
	if nc.tickNow {
		nc.tickNow = false
		nc.tick.Stop()
		nc.tickTarget = nc.s.Now()
		nc.taintingTick()
	}
}

// snapNode is the version of n's node the pass listed at its start (nil: none).
func (nc *Controller) snapNode(n *nodeHealth) *apiserver.Node {
	if p := &nc.pass; p.open && n.passSeq == p.seq {
		return n.passNode
	}
	return n.node
}

// keepForPass keeps n's node as the open pass listed it, before a handler replaces it
// with next (nil: deleted). A steady kubelet's status heartbeat written only virtually
// before the pass began, and materialised since (it leaves steady mode), was in the
// node exact mode listed: that version is taken as the listed one.
func (nc *Controller) keepForPass(n *nodeHealth, next *apiserver.Node) {
	p := &nc.pass
	if !p.open {
		return
	}
	if nc.materialisedBefore(n.node, next, p.start) {
		if n.passSeq == p.seq && n.passNode != nil {
			// listed before, changed since (by this controller's own writes, say): the
			// listed version with the heartbeats
			n.passNode = withHeartbeats(n.passNode, next)
		}
		return
	}
	if n.passSeq != p.seq {
		n.passSeq, n.passNode = p.seq, n.node
		p.cow = append(p.cow, n)
	}
}

// withHeartbeats is a copy of node with each condition's lastHeartbeatTime taken from
// the condition of that type in from.
func withHeartbeats(node, from *apiserver.Node) *apiserver.Node {
	cp := *node
	cp.Conditions = slices.Clone(node.Conditions)
	for i := range cp.Conditions {
		if c := from.Condition(cp.Conditions[i].Type); c != nil {
			cp.Conditions[i].LastHeartbeatTime = c.LastHeartbeatTime
		}
	}
	return &cp
}

// materialisedBefore reports whether next, replacing old, carries a new Ready
// heartbeat whose write reached exact mode's informer before start.
func (nc *Controller) materialisedBefore(old, next *apiserver.Node, start time.Duration) bool {
	if old == nil || next == nil {
		return false
	}
	r, o := next.Condition(apiserver.NodeReady), old.Condition(apiserver.NodeReady)
	if r == nil || o == nil || r.LastHeartbeatTime == o.LastHeartbeatTime || r.LastHeartbeatTime >= start {
		return false
	}
	at, ok := nc.c.Released(r.LastHeartbeatTime)
	return ok && at+nc.cfg.WatchLatency < start
}

// listVisits builds the visit list: every listed node (exact), or the active ones.
func (nc *Controller) listVisits() {
	p := &nc.pass
	if len(nc.stuck) > 2*nc.nStuck+64 {
		// drop the stale entries
		kept := nc.stuck[:0]
		for _, n := range nc.stuck {
			if n.stuck {
				kept = append(kept, n)
			}
		}
		clear(nc.stuck[len(kept):])
		nc.stuck = kept
	}
	// The circuit breaker GETs the Lease of each stale node it visits. With nothing on
	// its way to the lease informer and a client that gets answers, every such GET
	// returns what the informer holds: the pass reads that (cacheIsLive), and may skip
	// the nodes that stay Unknown. Otherwise it GETs, and visits them all.
	nc.cacheIsLive = false
	if nc.cfg.LeaseCircuitBreaker {
		_, failing := nc.c.Failing()
		nc.cacheIsLive = !failing && !nc.leaseInf.InFlight()
		if !nc.cacheIsLive && len(nc.stuck) > 0 {
			nc.unstick()
		}
	}
	if !nc.cfg.Exact && nc.nWaiting > 0 {
		nc.prepareWaiting()
	}
	visit := p.list[:0]
	if nc.cfg.Exact {
		for _, key := range nc.nodeInf.Keys() {
			visit = append(visit, nc.nodes[key])
		}
		for _, n := range nc.active {
			n.active = false
		}
		clear(nc.active)
		nc.active = nc.active[:0]
	} else {
		if nc.activeUnsorted {
			slices.SortFunc(nc.active, func(a, b *nodeHealth) int { return cmp.Compare(a.name, b.name) })
			nc.activeUnsorted = false
		}
		visit = append(visit, nc.active...)
	}
	p.list, p.li = visit, 0
	p.late = p.late[:0]
	p.activeMark = len(nc.active)
	p.lastName, p.handedAll, p.handAt = "", false, p.start
}

// nextVisit hands out the next node to visit, in name order, or nil once every node
// was handed out (upstream's ParallelizeUntil hands out the listed indices in order). In
// lazy mode a node that turned active during the pass (a throttled pass's visits come
// at their own instants) is visited if it comes after the last node handed out and the
// pass listed it.
func (nc *Controller) nextVisit() *nodeHealth {
	p := &nc.pass
	if p.handedAll {
		return nil
	}
	if !nc.cfg.Exact && len(nc.active) > p.activeMark {
		for _, n := range nc.active[p.activeMark:] {
			if n.visitSeq != p.seq && (p.lastName == "" || n.name > p.lastName) && nc.snapNode(n) != nil {
				p.late.push(n)
			}
		}
		p.activeMark = len(nc.active)
	}
	for {
		var n *nodeHealth
		switch {
		case p.li < len(p.list) && (len(p.late) == 0 || p.list[p.li].name <= p.late[0].name):
			n = p.list[p.li]
			p.li++
		case len(p.late) > 0:
			n = p.late.pop()
		default:
			nc.handedOut()
			p.handedAll = true
			return nil
		}
		if n.visitSeq == p.seq {
			continue
		}
		nc.handedOut()
		n.visitSeq = p.seq
		p.lastName = n.name
		return n
	}
}

// visitNode carries the visit of v.cur on from where it stopped (monitorNodeHealth's
// updateNodeFunc); it reports whether the visit is done (false: it waits for a token).
func (nc *Controller) visitNode(v *visitor) bool {
	n := v.cur
	for {
		switch v.step {
		case stepBegin:
			v.now = nc.s.Now()
			stale, short := nc.decideHealth(v, n, v.node, v.now)
			if short {
				nc.shortCircuit(n)
				return true
			}
			switch {
			case !stale:
				v.step = stepAfter
			case nc.cfg.LeaseCircuitBreaker:
				v.step = stepLeaseGet
			default:
				v.step = stepWrite
			}
		case stepLeaseGet:
			if !nc.take(&v.w) {
				return false
			}
			if nc.breakerCheck(n) {
				nc.shortCircuit(n)
				return true
			}
			// the conditions' LastTransitionTime is read after the Lease GET returned,
			// so after its wait for a token
			v.now = nc.s.Now()
			v.step = stepWrite
		case stepWrite:
			// Stale: Ready, MemoryPressure, DiskPressure and PIDPressure become Unknown,
			// written only if that changes the Ready condition (upstream compares it
			// alone). When Ready is Unknown already (every pass until the node recovers)
			// nothing is written, and the node goes on as it is: what the write would
			// have changed besides Ready, the other conditions, is read by nobody after
			// this.
			if f := n.factsOf(v.node); f.hasReady && f.readyStatus == apiserver.ConditionUnknown {
				v.step = stepAfter
				continue
			}
			if !nc.take(&v.w) {
				return false
			}
			nc.beforeWriteUnknown(n)
			stored, err := nc.writeUnknown(v, n, v.node, v.now)
			if err != nil {
				v.current, v.hasCurrent = apiserver.ConditionUnknown, true
				if v.attempt >= NodeHealthUpdateRetry {
					// "Update health of Node from Controller error, Skipping - no pods will be evicted"
					nc.uncount(n)
					return true
				}
				v.attempt++
				v.step = stepRetryGet
				continue
			}
			v.node, v.current, v.hasCurrent = stored, apiserver.ConditionUnknown, true
			v.step = stepAfter
		case stepRetryGet:
			if !nc.take(&v.w) {
				return false
			}
			node, err := nc.s.Nodes.Get(nc.c, n.name)
			if err != nil {
				nc.uncount(n)
				return true
			}
			v.node = node
			v.step = stepBegin
		case stepAfter:
			if nc.afterHealth(v) {
				return true
			}
			v.step = stepTaint
		case stepTaint:
			if v.op.name != "" {
				if !nc.runOp(&v.w, &v.op) {
					return false
				}
				if v.reach && !v.op.failed {
					nc.reachableDone(n, v.node)
				}
				v.op.name = ""
			}
			if v.flipped {
				nc.event("node/"+n.name, v.node.UID, EventNodeNotReady, fmt.Sprintf("Node %s status is now: %s", n.name, EventNodeNotReady))
			}
			v.step = stepPods
		case stepPods:
			for v.pi < len(v.podList) {
				pod := v.podList[v.pi]
				if c := pod.Condition(apiserver.PodReady); pod.NodeName == n.name && c != nil && c.Status != apiserver.ConditionFalse {
					if !nc.take(&v.w) {
						return false
					}
					if err := nc.markPodNotReady(pod, n.name, nc.s.Now()); err != nil {
						v.podErr = true
					}
				}
				v.podList[v.pi] = nil
				v.pi++
			}
			v.podList = v.podList[:0]
			if v.pods && v.podErr {
				// "Unable to mark all pods NotReady on node; queuing for retry"
				n.retry = true
				n.visitOK = false
				return true
			}
			n.retry = false
			return true
		}
	}
}

// shortCircuit is a visit the lease circuit breaker skipped.
func (nc *Controller) shortCircuit(n *nodeHealth) {
	p := &nc.pass
	nc.uncount(n)
	if p.tripped || nc.breakerRV <= nc.leaseCacheRV {
		return
	}
	p.tripped, p.tripName = true, n.name
	if !nc.cfg.Exact && nc.limiter != nil {
		// Exact mode visits every later node of this pass, steady ones too: each is
		// skipped while the cache is stale, and visited as usual once it has caught up,
		// which a throttled pass may live to see. Visit them.
		nc.activateAfter(n.name)
	}
}

// activateAfter marks active every node the open pass listed whose name comes after
// name, uncounted until a visit counts it again.
func (nc *Controller) activateAfter(name string) {
	for _, key := range nc.nodeInf.Keys() {
		if key > name {
			if n := nc.nodes[key]; !n.active {
				nc.uncount(n)
				nc.markActive(n)
				n.visitOK = false // clean keeps it active until a pass counts it again
			}
		}
	}
	for _, n := range nc.pass.cow {
		if n.name > name && n.passNode != nil && !n.active {
			nc.uncount(n)
			nc.markActive(n)
			n.visitOK = false
		}
	}
}

// afterHealth is the visit's work once the node's health is updated: count it in its
// zone, read its pods if they are to be marked, and decide its NoExecute taints
// (processTaintBaseEviction), setting v.op up when that needs requests. It reports
// whether the visit is done.
func (nc *Controller) afterHealth(v *visitor) bool {
	n, node := v.cur, v.node
	n.visitOK = true
	if nc.isExcluded(n, node) {
		nc.uncount(n)
	} else {
		nc.count(n, node, v.hasCurrent && v.current == apiserver.ConditionTrue)
	}
	if !v.hasCurrent {
		n.retry = false
		return true
	}
	decision := v.current
	if nc.cfg.Version < CurrentReadyVersion {
		decision = v.observed
	}
	v.flipped = v.current != apiserver.ConditionTrue && v.observed == apiserver.ConditionTrue
	v.pods = v.flipped || (n.retry && v.observed != apiserver.ConditionTrue)
	v.podList, v.pi, v.podErr = v.podList[:0], 0, false
	if v.pods {
		// getPodsAssignedToNode: the informer's versions now; the writes to them reach
		// the informer only through its watch, later
		nc.podInf.EachByIndex(apiserver.IndexNodeName, n.name, func(pod *apiserver.Pod) {
			v.podList = append(v.podList, pod)
		})
	}
	v.op.name, v.reach = "", false
	f := n.factsOf(node)
	switch decision {
	case apiserver.ConditionFalse:
		if f.unreachable {
			nc.swapOp(&v.op, node, notReadySet, unreachableSet)
		} else {
			nc.markNodeForTainting(n, node, decision)
		}
	case apiserver.ConditionUnknown:
		if f.notReady {
			nc.swapOp(&v.op, node, unreachableSet, notReadySet)
		} else {
			nc.markNodeForTainting(n, node, decision)
		}
	case apiserver.ConditionTrue:
		nc.reachableOp(&v.op, node)
		v.reach = true
	}
	return false
}

// endVisits ends the visits of the pass.
func (nc *Controller) endVisits() {
	p := &nc.pass
	if !nc.cfg.Exact {
		nc.finishWaiting(p.tripped, p.tripName, nc.s.Now())
	}
	if p.tripped && !nc.cfg.Exact && nc.limiter == nil {
		// Exact mode would have skipped every later node of this pass, steady ones too.
		nc.activateAfter(p.tripName)
	}
	clear(p.list)
	p.list = p.list[:0]
	clear(p.late)
	p.late = p.late[:0]
}

// endPass ends the pass: lazy mode drops the nodes it may skip from now on.
func (nc *Controller) endPass() {
	p := &nc.pass
	if !nc.cfg.Exact {
		kept := nc.active[:0]
		for _, n := range nc.active {
			if nc.clean(n) {
				n.active = false
				if n.stuck {
					nc.nStuck++
					nc.stuck = append(nc.stuck, n)
				}
			} else {
				kept = append(kept, n)
			}
		}
		clear(nc.active[len(kept):])
		nc.active = kept
	}
	for _, n := range p.cow {
		n.passNode = nil
	}
	clear(p.cow)
	p.cow = p.cow[:0]
	p.open = false
	nc.afterPassEvent()
}

// decideHealth is tryUpdateNodeHealth's decision at now: it records what the node and
// its Lease show and reports whether the node is stale, or whether the circuit breaker
// skips it (short). It sets the visitor's observed and current Ready status.
func (nc *Controller) decideHealth(v *visitor, n *nodeHealth, node *apiserver.Node, now time.Duration) (stale, short bool) {
	v.observed, v.current, v.hasCurrent = apiserver.ConditionStatusNone, apiserver.ConditionStatusNone, false
	if nc.cfg.LeaseCircuitBreaker && nc.breakerRV > nc.leaseCacheRV {
		return false, true
	}
	var grace time.Duration
	// The node's Ready condition, read from its facts: a node that stays stale is not
	// read again.
	f := n.factsOf(node)
	ready := f.hasReady
	if !ready {
		created := node.CreationTimestamp
		v.observed = apiserver.ConditionUnknown
		grace = nc.cfg.NodeStartupGracePeriod
		if !n.hasRecord {
			n.hasRecord = true
			n.probe, n.readyTransition, n.probeFloor = created, created, created
			n.hasSavedLease = false
		}
		n.savedReady = false
	} else {
		v.observed = f.readyStatus
		grace = nc.cfg.NodeMonitorGracePeriod
	}
	hadLease, oldRenew := n.hasSavedLease, n.savedLeaseRenew
	save := func(transition time.Duration) {
		n.hasRecord = true
		n.savedReady = true
		n.savedStatus, n.savedHB, n.savedLT = f.readyStatus, f.readyHB, f.readyLT
		n.probe = now
		n.readyTransition = transition
		n.hasSavedLease = false
	}
	switch {
	case !n.hasRecord:
		// "Missing timestamp for Node. Assuming now as a timestamp"
		n.hasRecord = true
		n.probe, n.readyTransition, n.probeFloor = now, now, now
		n.hasSavedLease = false
		if ready {
			n.savedReady = true
			n.savedStatus, n.savedHB, n.savedLT = f.readyStatus, f.readyHB, f.readyLT
		}
	case !n.savedReady && ready:
		save(now)
		n.probeFloor = now
	case n.savedReady && ready && n.savedHB != f.readyHB:
		transition := n.readyTransition
		if n.savedLT != f.readyLT {
			transition = now
		}
		save(transition)
	}
	lease := &n.lease
	v.lease = *lease
	if lease.ok && (!hadLease || oldRenew < lease.renew || lease.steady) {
		n.hasSavedLease, n.savedLeaseRenew, n.savedLeaseRV = true, lease.renew, lease.rv
		n.probe = now
	}
	if ready {
		v.current, v.hasCurrent = v.observed, true
	}
	return now > n.probe+grace, false
}

// breakerCheck is the circuit breaker's GET of a stale node's live Lease (its token
// taken): it reports whether the node is skipped, the lease cache being stale (or the
// GET failing).
func (nc *Controller) breakerCheck(n *nodeHealth) bool {
	lease := &n.lease
	var savedRV uint64
	if n.hasSavedLease {
		savedRV = n.savedLeaseRV
	}
	if nc.cacheIsLive {
		// the GET would return the informer's version (NotFound without one)
		if lease.ok && lease.rv != savedRV {
			nc.breakerRV = max(nc.breakerRV, lease.rv)
			return true
		}
		return false
	}
	live, gerr := nc.s.Leases.Get(nc.c, n.leaseKeyOf())
	switch {
	case gerr == nil:
		// the live version's resourceVersion: the informer's, when that is the live
		// version (a stored version never changes in place; every write takes a new
		// resourceVersion)
		if liveRV := live.ResourceVersion; liveRV != savedRV {
			nc.breakerRV = max(nc.breakerRV, liveRV)
			return true
		}
	case !apiserver.IsNotFound(gerr):
		return true
	}
	return false
}

// beforeWriteUnknown runs when the UpdateStatus of stale n is sent. The write is
// conditional on the node's resourceVersion, and the decision behind it was made at
// the visit, which may be tokens ago (seconds, with eight visitors under a small
// limit): the kubelet may have come back since, renewed, gone steady, and then made a
// status report that exact mode wrote for real, so that exact mode's UpdateStatus meets
// a conflict, GETs the node and decides again. The kubelet leaves steady mode here,
// writing that report, so that lazy mode's write meets the same conflict. A kubelet that
// made no report since leaves steady mode and may go steady again at its next renewal;
// one that is not steady only catches up a loop that ran virtually behind a fault,
// which shows nothing.
func (nc *Controller) beforeWriteUnknown(n *nodeHealth) {
	if nc.cfg.Kubelets != nil {
		_, _ = nc.cfg.Kubelets.Unsteady(n.name)
	}
}

// writeUnknown is the UpdateStatus of a stale node (its token taken): its four
// conditions Unknown, as decided at now. It returns the stored node.
func (nc *Controller) writeUnknown(v *visitor, n *nodeHealth, node *apiserver.Node, now time.Duration) (*apiserver.Node, error) {
	var cur apiserver.NodeCondition
	stored, err := nc.s.Nodes.UpdateStatusFrom(nc.c, node, func(nn *apiserver.Node) error {
		for _, t := range unknownConditionTypes {
			c := nn.Condition(t)
			if c == nil {
				nn.Conditions = append(nn.Conditions, apiserver.NodeCondition{Type: t, Status: apiserver.ConditionUnknown,
					Reason: ReasonNodeStatusNeverUpdated, Message: MessageNodeStatusNeverUpd,
					LastHeartbeatTime: nn.CreationTimestamp, LastTransitionTime: now})
			} else if c.Status != apiserver.ConditionUnknown {
				c.Status = apiserver.ConditionUnknown
				c.Reason = ReasonNodeStatusUnknown
				c.Message = MessageNodeStatusUnknown
				c.LastTransitionTime = now
			}
		}
		cur = *nn.Condition(apiserver.NodeReady)
		return nil
	})
	if err != nil {
		return nil, err
	}
	n.savedReady = true
	n.savedStatus, n.savedHB, n.savedLT = cur.Status, cur.LastHeartbeatTime, cur.LastTransitionTime
	n.readyTransition = nc.s.Now()
	lease := &v.lease
	n.hasSavedLease = lease.ok
	if lease.ok {
		n.savedLeaseRenew, n.savedLeaseRV = lease.renew, lease.rv
	}
	return stored, nil
}

// reachableDone is the end of markNodeAsReachable once its taint removals succeeded:
// the node leaves its zone's tainting queue. n is node's record, or nil.
func (nc *Controller) reachableDone(n *nodeHealth, node *apiserver.Node) {
	if nc.zoneForNode(n, node).q.remove(node.Name) {
		if h := nc.nodes[node.Name]; h != nil && h.stuck {
			// Out of the tainting set, its next visit adds it back. The taint removal
			// marks it active too when delivered, which comes first unless the watch
			// latency is longer than a pass period.
			nc.markActive(h)
		}
	}
}
