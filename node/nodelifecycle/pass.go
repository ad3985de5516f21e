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
// request must wait for its token the pass suspends, and its worker's timer resumes it
// at that instant (see the package documentation, "The client's rate limit").
type passState struct {
	open      bool // begun and not ended
	throttled bool // it has waited for a token
	seq       uint64
	start     time.Duration
	phase     passPhase

	added, deleted []*nodeHealth
	i              int // into added, list or untaint
	// list is the pass's visit list (exact: every node listed at the start; lazy: the
	// active ones then), late the nodes that turned active since, in name order from li
	list       []*nodeHealth
	late       nameHeap
	activeMark int    // nc.active[activeMark:] turned active since late was last filled
	lastName   string // the last node visited
	cow        []*nodeHealth

	// the node being visited
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

	tripped  bool
	tripName string

	// handleDisruption
	allAre, allWas bool
	untaint        []*apiserver.Node
}

// monitorPass is the monitor loop's callback (monitorNodeHealth). It returns the
// modelled pass duration; a pass that waits for a token stops the loop, and starts it
// again when it ends (the loop is sliding).
func (nc *Controller) monitorPass() time.Duration {
	nc.beginPass()
	if nc.runPass() {
		return nc.cfg.PassDuration
	}
	nc.loop.Stop()
	return 0
}

// passResumed is the pass worker's timer: the token it waited for is there.
func (nc *Controller) passResumed() {
	if !nc.pass.open {
		return
	}
	nc.inPass = true
	if nc.cfg.LeaseCircuitBreaker {
		_, failing := nc.c.Failing()
		nc.cacheIsLive = !failing && !nc.leaseInf.InFlight()
	}
	if nc.runPass() {
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
	p.phase, p.i, p.cur, p.step = phaseAdded, 0, nil, stepBegin
	p.tripped, p.tripName = false, ""
	nc.pw.waited = false
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

// runPass carries the open pass on from where it stopped; it reports whether the pass
// ended (false: it waits for a token).
func (nc *Controller) runPass() bool {
	p := &nc.pass
	if p.phase == phaseAdded {
		for p.i < len(p.added) {
			n := p.added[p.i]
			if p.step == stepBegin {
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
				nc.reachableOp(&p.op, node)
				p.node, p.step = node, stepTaint
			}
			if !nc.runOp(&nc.pw, &p.op) {
				return nc.suspend()
			}
			if !p.op.failed {
				nc.reachableDone(n, p.node)
			}
			p.step = stepBegin
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
	}
	if p.phase == phaseVisit {
		for {
			if p.cur == nil {
				if p.cur = nc.nextVisit(); p.cur == nil {
					break
				}
				p.step = stepBegin
				p.cur.visitOK, p.cur.touched = false, false
				p.node = nc.snapNode(p.cur)
				if p.node == nil || p.cur.node == nil {
					// not listed, or deleted while the pass waited: upstream visits its
					// listed copy (its status write fails NotFound, but it counts in its
					// zone for this pass); here it is not visited, as its Lease, deleted
					// with it, leaves lazy mode nothing to rebuild exact mode's probe from
					nc.uncount(p.cur)
					p.cur.visitOK = true
					p.cur = nil
					continue
				}
				p.attempt = 0
			}
			if !nc.visitNode() {
				return nc.suspend()
			}
			p.cur = nil
		}
		nc.endVisits()
		if nc.beginDisruption() {
			p.phase = phaseUntaint
			p.i, p.step = 0, stepBegin
		} else {
			nc.endDisruption()
			nc.endPass()
			return true
		}
	}
	// phaseUntaint: "Controller detected that all Nodes are not-Ready. Entering master
	// disruption mode": markNodeAsReachable of every node
	for p.i < len(p.untaint) {
		if p.step == stepBegin {
			nc.reachableOp(&p.op, p.untaint[p.i])
			p.step = stepTaint
		}
		if !nc.runOp(&nc.pw, &p.op) {
			return nc.suspend()
		}
		if !p.op.failed {
			nc.reachableDone(nil, p.untaint[p.i])
		}
		p.step = stepBegin
		p.i++
	}
	clear(p.untaint)
	p.untaint = p.untaint[:0]
	nc.endDisruption()
	nc.endPass()
	return true
}

// suspend notes that the pass waits for a token (its worker's timer is set) and
// returns false. At the first wait the pass becomes throttled: its visits from now on
// happen at their own instants, so lazy mode stops skipping the nodes that wait in a
// tainting queue (their re-queueing is dated by their visits; see waitingUnknown):
// those before the node being visited are re-added as exact mode re-added them, at the
// pass's instant, and the others visited.
func (nc *Controller) suspend() bool {
	p := &nc.pass
	if !p.throttled {
		p.throttled = true
		nc.epochs = append(nc.epochs, passEpoch{start: p.start, throttled: true})
		if !nc.cfg.Exact && p.phase <= phaseVisit && nc.nWaiting > 0 {
			if p.phase == phaseVisit && p.cur != nil {
				for _, z := range nc.zoneList {
					if z.q != nil {
						nc.readdWaiting(z.q, p.cur.name, nc.s.Now())
					}
				}
			}
			nc.unstickWaiting(nil)
		}
	}
	if p.phase <= phaseVisit {
		after := ""
		if p.phase == phaseVisit && p.cur != nil {
			after = p.cur.name
		}
		e := &nc.epochs[len(nc.epochs)-1]
		if k := len(e.segs); k > 0 && e.segs[k-1].after == after {
			e.segs[k-1].at = nc.pw.timer.When()
		} else {
			e.segs = append(e.segs, passSeg{after: after, at: nc.pw.timer.When()})
		}
	}
	nc.afterPassEvent()
	return false
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
	p.list, p.i = visit, 0
	p.late = p.late[:0]
	p.activeMark = len(nc.active)
	p.lastName = ""
}

// nextVisit returns the next node to visit, in name order, or nil. In lazy mode a node
// that turned active during the pass (a throttled pass's visits come at their own
// instants) is visited if it comes after the last node visited and the pass listed it.
func (nc *Controller) nextVisit() *nodeHealth {
	p := &nc.pass
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
		case p.i < len(p.list) && (len(p.late) == 0 || p.list[p.i].name <= p.late[0].name):
			n = p.list[p.i]
			p.i++
		case len(p.late) > 0:
			n = p.late.pop()
		default:
			return nil
		}
		if n.visitSeq == p.seq {
			continue
		}
		n.visitSeq = p.seq
		p.lastName = n.name
		return n
	}
}

// visitNode carries the visit of p.cur on from where it stopped (monitorNodeHealth's
// updateNodeFunc); it reports whether the visit is done (false: it waits for a token).
func (nc *Controller) visitNode() bool {
	p := &nc.pass
	n := p.cur
	for {
		switch p.step {
		case stepBegin:
			p.now = nc.s.Now()
			stale, short := nc.decideHealth(n, p.node, p.now)
			if short {
				nc.shortCircuit(n)
				return true
			}
			switch {
			case !stale:
				p.step = stepAfter
			case nc.cfg.LeaseCircuitBreaker:
				p.step = stepLeaseGet
			default:
				p.step = stepWrite
			}
		case stepLeaseGet:
			if !nc.take(&nc.pw) {
				return false
			}
			if nc.breakerCheck(n) {
				nc.shortCircuit(n)
				return true
			}
			// the conditions' LastTransitionTime is read after the Lease GET returned,
			// so after its wait for a token
			p.now = nc.s.Now()
			p.step = stepWrite
		case stepWrite:
			// Stale: Ready, MemoryPressure, DiskPressure and PIDPressure become Unknown,
			// written only if that changes the Ready condition (upstream compares it
			// alone). When Ready is Unknown already (every pass until the node recovers)
			// nothing is written, and the node goes on as it is: what the write would
			// have changed besides Ready, the other conditions, is read by nobody after
			// this.
			if f := n.factsOf(p.node); f.hasReady && f.readyStatus == apiserver.ConditionUnknown {
				p.step = stepAfter
				continue
			}
			if !nc.take(&nc.pw) {
				return false
			}
			stored, err := nc.writeUnknown(n, p.node, p.now)
			if err != nil {
				p.current, p.hasCurrent = apiserver.ConditionUnknown, true
				if p.attempt >= NodeHealthUpdateRetry {
					// "Update health of Node from Controller error, Skipping - no pods will be evicted"
					nc.uncount(n)
					return true
				}
				p.attempt++
				p.step = stepRetryGet
				continue
			}
			p.node, p.current, p.hasCurrent = stored, apiserver.ConditionUnknown, true
			p.step = stepAfter
		case stepRetryGet:
			if !nc.take(&nc.pw) {
				return false
			}
			node, err := nc.s.Nodes.Get(nc.c, n.name)
			if err != nil {
				nc.uncount(n)
				return true
			}
			p.node = node
			p.step = stepBegin
		case stepAfter:
			if nc.afterHealth() {
				return true
			}
			p.step = stepTaint
		case stepTaint:
			if p.op.name != "" {
				if !nc.runOp(&nc.pw, &p.op) {
					return false
				}
				if p.reach && !p.op.failed {
					nc.reachableDone(n, p.node)
				}
				p.op.name = ""
			}
			if p.flipped {
				nc.event("node/"+n.name, p.node.UID, EventNodeNotReady, fmt.Sprintf("Node %s status is now: %s", n.name, EventNodeNotReady))
			}
			p.step = stepPods
		case stepPods:
			for p.pi < len(p.podList) {
				pod := p.podList[p.pi]
				if c := pod.Condition(apiserver.PodReady); pod.NodeName == n.name && c != nil && c.Status != apiserver.ConditionFalse {
					if !nc.take(&nc.pw) {
						return false
					}
					if err := nc.markPodNotReady(pod, n.name, nc.s.Now()); err != nil {
						p.podErr = true
					}
				}
				p.podList[p.pi] = nil
				p.pi++
			}
			p.podList = p.podList[:0]
			if p.pods && p.podErr {
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
// (processTaintBaseEviction), setting p.op up when that needs requests. It reports
// whether the visit is done.
func (nc *Controller) afterHealth() bool {
	p := &nc.pass
	n, node := p.cur, p.node
	n.visitOK = true
	if nc.isExcluded(n, node) {
		nc.uncount(n)
	} else {
		nc.count(n, node, p.hasCurrent && p.current == apiserver.ConditionTrue)
	}
	if !p.hasCurrent {
		n.retry = false
		return true
	}
	decision := p.current
	if nc.cfg.Version < CurrentReadyVersion {
		decision = p.observed
	}
	p.flipped = p.current != apiserver.ConditionTrue && p.observed == apiserver.ConditionTrue
	p.pods = p.flipped || (n.retry && p.observed != apiserver.ConditionTrue)
	p.podList, p.pi, p.podErr = p.podList[:0], 0, false
	if p.pods {
		// getPodsAssignedToNode: the informer's versions now; the writes to them reach
		// the informer only through its watch, later
		nc.podInf.EachByIndex(apiserver.IndexNodeName, n.name, func(pod *apiserver.Pod) {
			p.podList = append(p.podList, pod)
		})
	}
	p.op.name, p.reach = "", false
	f := n.factsOf(node)
	switch decision {
	case apiserver.ConditionFalse:
		if f.unreachable {
			nc.swapOp(&p.op, node, notReadySet, unreachableSet)
		} else {
			nc.markNodeForTainting(n, node, decision)
		}
	case apiserver.ConditionUnknown:
		if f.notReady {
			nc.swapOp(&p.op, node, unreachableSet, notReadySet)
		} else {
			nc.markNodeForTainting(n, node, decision)
		}
	case apiserver.ConditionTrue:
		nc.reachableOp(&p.op, node)
		p.reach = true
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
// skips it (short). It sets the pass's observed and current Ready status.
func (nc *Controller) decideHealth(n *nodeHealth, node *apiserver.Node, now time.Duration) (stale, short bool) {
	p := &nc.pass
	p.observed, p.current, p.hasCurrent = "", "", false
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
		p.observed = apiserver.ConditionUnknown
		grace = nc.cfg.NodeStartupGracePeriod
		if !n.hasRecord {
			n.hasRecord = true
			n.probe, n.readyTransition, n.probeFloor = created, created, created
			n.hasSavedLease = false
		}
		n.savedReady = false
	} else {
		p.observed = f.readyStatus
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
	p.lease = *lease
	if lease.ok && (!hadLease || oldRenew < lease.renew || lease.steady) {
		n.hasSavedLease, n.savedLeaseRenew, n.savedLeaseRV = true, lease.renew, lease.rv
		n.probe = now
	}
	if ready {
		p.current, p.hasCurrent = p.observed, true
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
		liveRV := lease.rv // the informer's version is usually the live one
		if !lease.ok || live != lease.of {
			liveRV = live.ResourceVersion
		}
		if liveRV != savedRV {
			nc.breakerRV = max(nc.breakerRV, liveRV)
			return true
		}
	case !apiserver.IsNotFound(gerr):
		return true
	}
	return false
}

// writeUnknown is the UpdateStatus of a stale node (its token taken): its four
// conditions Unknown, as decided at now. It returns the stored node.
func (nc *Controller) writeUnknown(n *nodeHealth, node *apiserver.Node, now time.Duration) (*apiserver.Node, error) {
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
	lease := &nc.pass.lease
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
