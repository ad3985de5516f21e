package nodelifecycle

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

var errShortCircuit = errors.New("nodelifecycle: lease cache is stale (NodeControllerLeaseCircuitBreaker)")

var unknownConditionTypes = [...]apiserver.NodeConditionType{
	apiserver.NodeReady, apiserver.NodeMemoryPressure, apiserver.NodeDiskPressure, apiserver.NodePIDPressure,
}

// monitorPass is monitorNodeHealth: classify nodes, update each visited node's health,
// taint or untaint it, then handle zone disruption. It returns the modelled pass duration.
func (nc *Controller) monitorPass() time.Duration {
	now := nc.s.Now()
	nc.lastPass, nc.passRan = now, true
	nc.inPass = true
	// classifyNodes
	slices.SortFunc(nc.memberDirty, func(a, b *nodeHealth) int { return cmp.Compare(a.name, b.name) })
	var added, deleted []*nodeHealth
	for _, n := range nc.memberDirty {
		n.memberMark = false
		switch {
		case n.inCache && !n.known:
			added = append(added, n)
		case !n.inCache && n.known:
			deleted = append(deleted, n)
		}
	}
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
	for _, n := range added {
		nc.event("node/"+n.name, EventRegisteredNode, fmt.Sprintf("Registered Node %s in Controller", n.name))
		n.known = true
		if node, ok := nc.nodeInf.Get(n.name); ok {
			_ = nc.markNodeAsReachable(n, node)
		}
	}
	for _, n := range deleted {
		nc.event("node/"+n.name, EventRemovingNode, fmt.Sprintf("Removing Node %s from Controller", n.name))
		n.known = false
		nc.uncount(n)
	}

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
	visit := nc.visit[:0]
	if nc.cfg.Exact {
		for _, key := range nc.nodeInf.Keys() {
			visit = append(visit, nc.nodes[key])
		}
		for _, n := range nc.active {
			n.active = false
		}
		nc.active = nc.active[:0]
	} else {
		if nc.activeUnsorted {
			slices.SortFunc(nc.active, func(a, b *nodeHealth) int { return cmp.Compare(a.name, b.name) })
			nc.activeUnsorted = false
		}
		visit = append(visit, nc.active...)
	}
	tripped, tripName := false, ""
	for _, n := range visit {
		n.visitOK = false
		if !n.inCache {
			nc.uncount(n)
			n.visitOK = true
			continue
		}
		short := nc.updateNode(n, now)
		if short && !tripped && nc.breakerRV > nc.leaseCacheRV {
			tripped, tripName = true, n.name
		}
	}
	if !nc.cfg.Exact {
		nc.finishWaiting(tripped, tripName, now)
	}
	if tripped && !nc.cfg.Exact {
		// Exact mode would have skipped every later node of this pass, steady ones too.
		for _, key := range nc.nodeInf.Keys() {
			if key > tripName {
				if n := nc.nodes[key]; !n.active {
					nc.uncount(n)
					nc.markActive(n)
					n.visitOK = false // clean keeps it active until a pass counts it again
				}
			}
		}
	}
	nc.visit = visit[:0]
	nc.handleDisruption(now)
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
	nc.inPass = false
	if nc.tickNow {
		// An always-running tick due now would fire right after this pass, before anything
		// the pass scheduled for this instant (its own watch notifications): run it here.
		nc.tickNow = false
		nc.tick.Stop()
		nc.tickTarget = now
		nc.taintingTick()
	}
	return nc.cfg.PassDuration
}

// clean reports whether a lazy pass may skip the node until something about it changes:
// its Lease is steady (heartbeats continuously), it is Ready, untainted, not queued; or
// it stays Unknown (stuckUnknown, which sets stuck).
func (nc *Controller) clean(n *nodeHealth) bool {
	if !n.visitOK {
		return false
	}
	if !n.inCache {
		return !n.known && !n.counted
	}
	if !n.known || !n.hasRecord || n.retry {
		return false
	}
	node := n.node
	if node == nil {
		return false
	}
	if !n.leaseSteady {
		n.stuck = nc.stuckUnknown(n, node)
		if !n.stuck && nc.waitingUnknown(n, node) {
			nc.waitSkipped(n)
		}
		return n.stuck
	}
	f := n.factsOf(node)
	if f.hasReady && f.readyStatus == apiserver.ConditionFalse && !f.unreachable {
		// NotReady with a steady Lease (a kubelet that reports NotReady for hours): as
		// for a Ready one, a visit only records the renewal, which leaveSteady rebuilds,
		// and re-adds the node to its tainting set, a no-op while it is in it; or, not
		// tainted not-ready:NoExecute yet, re-queues it (see waitingUnknown).
		if f.notReady {
			n.stuck = nc.inTaintingSet(n, node)
		} else if nc.inTaintingSet(n, node) && n.queueItem.seq != 0 && n.queueItem.owner == n {
			nc.waitSkipped(n)
		}
		return n.stuck
	}
	if !f.hasReady || f.readyStatus != apiserver.ConditionTrue || f.unreachable || f.notReady {
		return false
	}
	for _, z := range nc.zoneList {
		if q := z.q; q != nil && q.has(n.name) {
			return false
		}
	}
	return true
}

// stuckUnknown reports whether the node stays Unknown, so that every visit until
// something about it changes would change nothing: its Ready condition is Unknown
// already (a stale visit writes nothing), its unreachable NoExecute taint is on and it
// is in its zone's tainting set (re-adding it is a no-op), no heartbeat or renewal is
// there to record (so its probe stays), and it is counted NotReady in its zone (which
// so keeps its tainting queue). Whether a visit finds it stale changes nothing but the
// circuit breaker's GET of its Lease, which only trips with a Lease change on its way
// to the cache or a failing client: monitorPass visits every stuck node then. The rest
// that can change marks it active: a change of its Node or Lease (the handlers), its
// removal from the tainting set (markNodeAsReachable). A zone down for a day was
// otherwise thousands of no-op visits every 5 s.
func (nc *Controller) stuckUnknown(n *nodeHealth, node *apiserver.Node) bool {
	f := n.factsOf(node)
	if !f.hasReady || f.readyStatus != apiserver.ConditionUnknown || !f.unreachable || f.notReady {
		return false
	}
	if !n.savedReady || n.savedHB != f.readyHB {
		return false
	}
	if l := &n.lease; l.ok && (!n.hasSavedLease || n.savedLeaseRenew < l.renew || l.steady || l.rv != n.savedLeaseRV) {
		return false // a renewal to record, or a version the breaker would find changed
	}
	return nc.inTaintingSet(n, node)
}

// waitingUnknown reports whether the node stays Unknown and waits in its zone's
// tainting queue for its unreachable NoExecute taint: as stuckUnknown, but untainted
// and with a live entry in the queue. A visit then only re-adds it to the queue
// (markNodeForTainting) and schedules the tainting tick: a zone down for hours with a
// slow tainting rate (0.1 node/s, or 0.01 in a large cluster's partial disruption)
// keeps thousands of nodes waiting, each visited every pass. A pass skips them when
// re-adding them changes nothing but their timestamps (see prepareWaiting), and
// re-adds them where it must (readdWaiting).
func (nc *Controller) waitingUnknown(n *nodeHealth, node *apiserver.Node) bool {
	f := n.factsOf(node)
	if !f.hasReady || f.readyStatus != apiserver.ConditionUnknown || f.unreachable || f.notReady {
		return false
	}
	if !n.savedReady || n.savedHB != f.readyHB {
		return false
	}
	if l := &n.lease; l.ok && (!n.hasSavedLease || n.savedLeaseRenew < l.renew || l.steady || l.rv != n.savedLeaseRV) {
		return false
	}
	return nc.inTaintingSet(n, node) && n.queueItem.seq != 0 && n.queueItem.owner == n
}

// waitSkipped marks n stuck and waiting in its tainting queue.
func (nc *Controller) waitSkipped(n *nodeHealth) {
	n.stuck, n.waiting = true, true
	n.queue.nWaiting++
	nc.nWaiting++
}

// prepareWaiting decides, at the start of a lazy pass, for each queue where nodes wait
// skipped (waitingUnknown), whether the pass may skip them. Exact mode re-adds each of
// them at its visit, in name order, with processAt the pass's instant; the entries of
// the nodes it does not re-add keep their places before them. If the queue's live
// entries are exactly its waiting nodes, in name order, re-adding them all changes
// only their timestamps (processAt is never after a later tick: it only orders) and
// sequence numbers, and the pass may skip them, re-adding them only where a node it
// visits is queued among them (readdWaiting). Otherwise the pass visits them.
func (nc *Controller) prepareWaiting() {
	found := 0
	for _, z := range nc.zoneList {
		q := z.q
		if q == nil || q.nWaiting == 0 {
			continue
		}
		q.next, q.queued = 0, false
		if q.skipOK && q.skipSeq == q.seq && q.skipLive == uint64(q.live) && len(q.skip) == q.nWaiting {
			// nothing queued or dropped since the last walk, no node left waiting
			q.skipping = true
			found += len(q.skip)
			continue
		}
		q.skip, q.skipUID = q.skip[:0], q.skipUID[:0]
		ok := q.live == q.nWaiting
		for i := 0; ok && i < len(q.heap); i++ {
			v := &q.heap[i]
			if q.dead(v) {
				continue
			}
			h := v.item.owner
			if h == nil || !h.stuck || !h.waiting || h.queue != q || (len(q.skip) > 0 && h.name <= q.skip[len(q.skip)-1].name) {
				ok = false
				break
			}
			q.skip = append(q.skip, h)
			q.skipUID = append(q.skipUID, v.uid)
		}
		if ok && len(q.skip) == q.nWaiting {
			q.skipping = true
			q.skipOK, q.skipSeq, q.skipLive = true, q.seq, uint64(q.live)
			found += len(q.skip)
			continue
		}
		q.dropSkip()
		nc.unstickWaiting(q)
	}
	if found != nc.nWaiting {
		// a waiting node whose queue is no zone's any more: visit them all
		nc.unstickWaiting(nil)
	}
}

// unstickWaiting marks the waiting nodes of q (nil: of every queue) active again.
func (nc *Controller) unstickWaiting(q *rateLimitedTimedQueue) {
	for _, n := range nc.stuck {
		if n.stuck && n.waiting && (q == nil || n.queue == q) {
			nc.markActive(n)
		}
	}
	if q == nil {
		for _, z := range nc.zoneList {
			if z.q != nil {
				z.q.skipping = false
				z.q.dropSkip()
			}
		}
	}
}

// readdWaiting re-adds, as their visits would have, the nodes the pass skips in q
// whose names come before name (all of them for name ""), in name order: a node the
// pass visits is about to be queued in q, and exact mode visits them first.
func (nc *Controller) readdWaiting(q *rateLimitedTimedQueue, name string, now time.Duration) {
	if !q.skipping {
		return
	}
	if name != "" {
		q.queued = true
	}
	for ; q.next < len(q.skip) && (name == "" || q.skip[q.next].name < name); q.next++ {
		h := q.skip[q.next]
		q.readd(h.queueItem, h.name, q.skipUID[q.next], now)
		nc.scheduleTick(now)
	}
}

// finishWaiting ends a pass's skipping: the skipped nodes not re-added yet are
// re-added after everything the pass queued (those before the node that tripped the
// circuit breaker, if one did: exact mode visits no node after it); a queue where the
// pass queued nothing keeps its order, and only the tainting tick is scheduled, as
// the first of their visits would have.
func (nc *Controller) finishWaiting(tripped bool, tripName string, now time.Duration) {
	ticked := false
	for _, z := range nc.zoneList {
		q := z.q
		if q == nil || !q.skipping {
			continue
		}
		switch {
		case tripped:
			nc.readdWaiting(q, tripName, now)
		case q.queued:
			nc.readdWaiting(q, "", now)
		case !ticked && len(q.skip) > 0:
			nc.scheduleTick(now)
			ticked = true
		}
		q.skipping, q.queued = false, false // skip stays for the next pass (prepareWaiting)
	}
}

// inTaintingSet reports whether the node is counted NotReady in its zone (which so
// keeps its tainting queue) and in that queue's set, where re-adding it is a no-op.
func (nc *Controller) inTaintingSet(n *nodeHealth, node *apiserver.Node) bool {
	if !n.counted || n.countedReady || nc.isExcluded(n, node) {
		return false
	}
	z := nc.zoneForNode(n, node)
	return n.queue == z.q && z.q.has(n.name)
}

// unstick marks every node skipped as stuck active again.
func (nc *Controller) unstick() {
	for _, n := range nc.stuck {
		if n.stuck {
			nc.markActive(n)
		}
	}
	clear(nc.stuck)
	nc.stuck = nc.stuck[:0]
}

// addEvictors gives every zone with a cached node that is not in the zone states a new
// tainting queue. Upstream adds such zones as it meets their nodes in its node list
// (classifyNodes): first the zones of nodes it already knows (newZoneRepresentatives:
// a zone that handleDisruption forgot), then those of nodes it sees for the first time.
// The order matters only for where each lands in the zone states' map (enterStates), so
// when two or more enter at once they enter in that order, each group in the order of
// its first node by name (the order the oracle lists nodes in).
func (nc *Controller) addEvictors() {
	need := 0
	var only *zone
	for _, z := range nc.zoneList {
		if z.members > 0 && !z.inStates {
			need, only = need+1, z
		}
	}
	switch need {
	case 0:
		return
	case 1:
		nc.addEvictor(only)
		return
	}
	// Upstream's monitorNodeHealth calls addPodEvictorForNewZone first for the
	// newZoneRepresentatives (known nodes whose zone is not in the zone states), then for
	// the added nodes, each list in lister order. The order decides the zones' slots in
	// nc.zoneStates (see forgetUncountedZones), so a forgotten zone that re-enters in the
	// pass that first sees a new zone's node takes the lower free slot, whatever the names.
	for _, added := range [2]bool{false, true} {
		for _, key := range nc.nodeInf.Keys() {
			n := nc.nodes[key]
			if n == nil || !n.inCache || n.known == added {
				continue
			}
			if z := nc.zones[n.zoneKey]; z != nil && z.members > 0 && !z.inStates {
				nc.addEvictor(z)
				if need--; need == 0 {
					return
				}
			}
		}
	}
}

func (nc *Controller) addEvictor(z *zone) {
	nc.enterStates(z)
	z.state = StateInitial
	z.q = newRateLimitedTimedQueue(nc.cfg.NodeEvictionRate)
}

// zoneForNode is the node's zone, with a tainting queue; n is node's record, or nil.
func (nc *Controller) zoneForNode(n *nodeHealth, node *apiserver.Node) *zone {
	var z *zone
	if n == nil {
		z = nc.zone(nc.zoneOf(node))
	} else {
		z = nc.labelsZone(nc.labelsOf(n, node))
	}
	if z.q == nil {
		z.q = newRateLimitedTimedQueue(nc.cfg.NodeEvictionRate)
	}
	return z
}

func (nc *Controller) uncount(n *nodeHealth) {
	if !n.counted {
		return
	}
	z := nc.zones[n.countedZone]
	z.total--
	if !n.countedReady {
		z.notReady--
	}
	n.counted = false
}

func (nc *Controller) count(n *nodeHealth, node *apiserver.Node, ready bool) {
	l := nc.labelsOf(n, node)
	if n.counted && n.countedZone == l.key && n.countedReady == ready {
		return
	}
	nc.uncount(n)
	z := nc.labelsZone(l)
	z.total++
	if !ready {
		z.notReady++
	}
	n.counted, n.countedZone, n.countedReady = true, l.key, ready
}

// updateNode is monitorNodeHealth's per-node work. It reports whether the node was skipped
// by the lease circuit breaker.
func (nc *Controller) updateNode(n *nodeHealth, now time.Duration) (short bool) {
	node := n.node
	var observed, current apiserver.ConditionStatus
	var hasCurrent bool
	for attempt := 0; ; attempt++ {
		var err error
		var nn *apiserver.Node
		observed, current, hasCurrent, nn, err = nc.tryUpdateNodeHealth(n, node, now)
		if err == nil {
			node = nn
			break
		}
		// "Update health of Node from Controller error, Skipping - no pods will be evicted"
		if errors.Is(err, errShortCircuit) || attempt >= NodeHealthUpdateRetry {
			nc.uncount(n)
			return errors.Is(err, errShortCircuit)
		}
		node, err = nc.s.Nodes.Get(nc.c, n.name)
		if err != nil {
			nc.uncount(n)
			return false
		}
	}
	n.visitOK = true
	if nc.isExcluded(n, node) {
		nc.uncount(n)
	} else {
		nc.count(n, node, hasCurrent && current == apiserver.ConditionTrue)
	}
	if !hasCurrent {
		n.retry = false
		return false
	}
	decision := current
	if nc.cfg.Version < CurrentReadyVersion {
		decision = observed
	}
	nc.processTaintBaseEviction(n, node, decision)
	flipped := current != apiserver.ConditionTrue && observed == apiserver.ConditionTrue
	if flipped {
		nc.event("node/"+n.name, EventNodeNotReady, fmt.Sprintf("Node %s status is now: %s", n.name, EventNodeNotReady))
	}
	if flipped || (n.retry && observed != apiserver.ConditionTrue) {
		if err := nc.markPodsNotReady(n.name); err != nil {
			n.retry = true
			n.visitOK = false
			return false
		}
	}
	n.retry = false
	return false
}

// tryUpdateNodeHealth is upstream's staleness decision. It returns the observed Ready
// status, the current one (after the controller's own write), and the node to go on with.
func (nc *Controller) tryUpdateNodeHealth(n *nodeHealth, node *apiserver.Node, now time.Duration) (
	observed, current apiserver.ConditionStatus, hasCurrent bool, out *apiserver.Node, err error) {
	if nc.cfg.LeaseCircuitBreaker && nc.breakerRV > nc.leaseCacheRV {
		return observed, current, false, node, errShortCircuit
	}
	var grace time.Duration
	// The node's Ready condition, read from its facts: a node that stays stale is not
	// read again.
	f := n.factsOf(node)
	ready := f.hasReady
	if !ready {
		created := node.CreationTimestamp
		observed = apiserver.ConditionUnknown
		grace = nc.cfg.NodeStartupGracePeriod
		if !n.hasRecord {
			n.hasRecord = true
			n.probe, n.readyTransition, n.probeFloor = created, created, created
			n.hasSavedLease = false
		}
		n.savedReady = false
	} else {
		observed = f.readyStatus
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
	if lease.ok && (!hadLease || oldRenew < lease.renew || lease.steady) {
		n.hasSavedLease, n.savedLeaseRenew, n.savedLeaseRV = true, lease.renew, lease.rv
		n.probe = now
	}
	if ready {
		current, hasCurrent = observed, true
	}
	if !(now > n.probe+grace) {
		return observed, current, hasCurrent, node, nil
	}
	if nc.cfg.LeaseCircuitBreaker {
		var savedRV uint64
		if n.hasSavedLease {
			savedRV = n.savedLeaseRV
		}
		if nc.cacheIsLive {
			// the GET would return the informer's version (NotFound without one)
			if lease.ok && lease.rv != savedRV {
				nc.breakerRV = max(nc.breakerRV, lease.rv)
				return observed, current, false, node, errShortCircuit
			}
		} else {
			live, gerr := nc.s.Leases.Get(nc.c, n.leaseKeyOf())
			switch {
			case gerr == nil:
				liveRV := lease.rv // the informer's version is usually the live one
				if !lease.ok || live != lease.of {
					liveRV = live.ResourceVersion
				}
				if liveRV != savedRV {
					nc.breakerRV = max(nc.breakerRV, liveRV)
					return observed, current, false, node, errShortCircuit
				}
			case !apiserver.IsNotFound(gerr):
				return observed, current, false, node, errShortCircuit
			}
		}
	}
	// Stale: Ready, MemoryPressure, DiskPressure and PIDPressure become Unknown, written
	// only if that changes the Ready condition (upstream compares it alone). When Ready
	// is Unknown already (every pass until the node recovers) nothing is written, and the
	// node goes on as it is: what the write would have changed besides Ready, the other
	// conditions, is read by nobody after this.
	if ready && f.readyStatus == apiserver.ConditionUnknown {
		return observed, observed, true, node, nil
	}
	// Ready is missing or not Unknown, so the write changes it.
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
		return observed, apiserver.ConditionUnknown, true, node, err
	}
	n.savedReady = true
	n.savedStatus, n.savedHB, n.savedLT = cur.Status, cur.LastHeartbeatTime, cur.LastTransitionTime
	n.readyTransition = now
	n.hasSavedLease = lease.ok
	if lease.ok {
		n.savedLeaseRenew, n.savedLeaseRV = lease.renew, lease.rv
	}
	return observed, cur.Status, true, stored, nil
}

// processTaintBaseEviction swaps or queues NoExecute taints by the given Ready status.
func (nc *Controller) processTaintBaseEviction(n *nodeHealth, node *apiserver.Node, status apiserver.ConditionStatus) {
	f := n.factsOf(node)
	switch status {
	case apiserver.ConditionFalse:
		if f.unreachable {
			nc.swapTaints(node, []taint.Taint{taint.NotReadyNoExecute}, []taint.Taint{taint.UnreachableNoExecute})
		} else {
			nc.markNodeForTainting(n, node, status)
		}
	case apiserver.ConditionUnknown:
		if f.notReady {
			nc.swapTaints(node, []taint.Taint{taint.UnreachableNoExecute}, []taint.Taint{taint.NotReadyNoExecute})
		} else {
			nc.markNodeForTainting(n, node, status)
		}
	case apiserver.ConditionTrue:
		_ = nc.markNodeAsReachable(n, node)
	}
}

func (nc *Controller) markNodeForTainting(n *nodeHealth, node *apiserver.Node, status apiserver.ConditionStatus) {
	q := nc.zoneForNode(n, node).q
	now := nc.s.Now()
	if n.queue != q {
		n.queue, n.queueItem = q, q.item(n.name)
		n.queueItem.owner = n
	}
	// Not yet tainted for this status: removed and added again, so it goes to the back
	// of the queue with a fresh timestamp at every pass.
	f := n.factsOf(node)
	if (status == apiserver.ConditionFalse && !f.notReady) || (status == apiserver.ConditionUnknown && !f.unreachable) {
		nc.readdWaiting(q, n.name, now) // the skipped nodes that come first
		q.readd(n.queueItem, n.name, f.uid, now)
		nc.scheduleTick(now)
		return
	}
	if !n.queueItem.inSet {
		nc.readdWaiting(q, n.name, now)
	}
	if q.addItem(n.queueItem, n.name, f.uid, now) {
		nc.scheduleTick(now)
	}
}

// markNodeAsReachable removes the NoExecute taints; n is node's record, or nil.
func (nc *Controller) markNodeAsReachable(n *nodeHealth, node *apiserver.Node) error {
	if err := nc.removeTaints(node.Name, node, taint.UnreachableNoExecute); err != nil {
		return err
	}
	if err := nc.removeTaints(node.Name, node, taint.NotReadyNoExecute); err != nil {
		return err
	}
	if nc.zoneForNode(n, node).q.remove(node.Name) {
		if h := nc.nodes[node.Name]; h != nil && h.stuck {
			// Out of the tainting set, its next visit adds it back. The taint removal
			// above marks it active too when delivered, which comes first unless the
			// watch latency is longer than a pass period.
			nc.markActive(h)
		}
	}
	return nil
}

// markPodsNotReady is MarkPodsNotReady: every pod on the node with a Ready condition that is
// not False gets Ready=False. It reports the last error other than NotFound.
func (nc *Controller) markPodsNotReady(nodeName string) error {
	var errs error
	now := nc.s.Now()
	// The writes only reach the informer through its watch, later: the walk may go on.
	nc.podInf.EachByIndex(apiserver.IndexNodeName, nodeName, func(p *apiserver.Pod) {
		if err := nc.markPodNotReady(p, nodeName, now); err != nil {
			errs = err
		}
	})
	return errs
}

// markPodNotReady is MarkPodsNotReady's work on one pod; NotFound is no error.
func (nc *Controller) markPodNotReady(p *apiserver.Pod, nodeName string, now time.Duration) error {
	if p.NodeName != nodeName {
		return nil
	}
	c := p.Condition(apiserver.PodReady)
	if c == nil || c.Status == apiserver.ConditionFalse {
		return nil
	}
	// an UpdateStatus of the informer's version (a Conflict if it is stale)
	nc2 := *c
	nc2.Status = apiserver.ConditionFalse
	if _, err := nc.s.Pods.UpdateFrom(nc.c, p, func(np *apiserver.Pod) error {
		np.SetCondition(nc2, now)
		return nil
	}); err != nil && !apiserver.IsNotFound(err) {
		return err
	}
	return nil
}

// computeZoneState is the zone's state for this pass. A zone with no counted node has
// no entry in upstream's newZoneStates: a kept one gets its zero value, "", which no
// limiter setting matches and no record shows.
func (nc *Controller) computeZoneState(z *zone) ZoneState {
	ready := z.total - z.notReady
	switch {
	case z.total == 0:
		return ""
	case ready == 0 && z.notReady > 0:
		return StateFullDisruption
	case z.notReady > 2 && float32(z.notReady)/float32(z.total) >= nc.cfg.UnhealthyZoneThreshold:
		return StatePartialDisruption
	}
	return StateNormal
}

func (nc *Controller) setLimiterInZone(z *zone, state ZoneState) {
	now := nc.s.Now()
	switch state {
	case StateNormal, StateFullDisruption:
		z.q.swapLimiter(nc.cfg.NodeEvictionRate, now)
	case StatePartialDisruption:
		qps := float32(0)
		if int32(z.total) > nc.cfg.LargeClusterSizeThreshold {
			qps = nc.cfg.SecondaryNodeEvictionRate
		}
		z.q.swapLimiter(qps, now)
	}
}

// zoneMapGroup is the number of slots of a small Go map (one group of a swiss table,
// Go 1.24 and later): a map of at most that many entries keeps them in its slots, each
// at the lowest free slot when it is inserted, and a walk visits the slots in order
// from a random one, wrapping around.
const zoneMapGroup = 8

// enterStates puts z in the zone states, in the lowest free slot of the model of
// upstream's map (see forgetUncountedZones).
func (nc *Controller) enterStates(z *zone) {
	z.inStates = true
	if nc.bigZoneMap {
		return
	}
	for i, s := range nc.zoneSlots {
		if s == nil {
			nc.zoneSlots[i], z.slot = z, int8(i)
			return
		}
	}
	nc.bigZoneMap = true // a ninth entry: the map is a full table from now on
}

// leaveStates removes z from the zone states.
func (nc *Controller) leaveStates(z *zone) {
	z.inStates, z.state = false, ""
	if z.slot >= 0 {
		nc.zoneSlots[z.slot] = nil
		z.slot = -1
	}
}

// forgetUncountedZones drops from the zone states the zones with no counted node (all
// excluded from disruption checks) as upstream's handleDisruption does: it walks
// nc.zoneStates, deletes each such zone it meets, and stops at the first zone whose
// state (the previous pass's) is not FullDisruption. A forgotten zone gets a new
// tainter, bucket full, at the next pass (newZoneRepresentatives); a kept one keeps its
// queue and the nodes it already tainted. Forgetting it at every pass would starve it:
// the already-tainted node first in its fresh queue spends the token at every pass,
// and the zone's other nodes are never tainted.
//
// The walk follows Go's map order. nc.zoneStates is a small map (at most 8 zones) in
// any but the largest clusters: its entries sit in the slots of one group, each
// inserted at the lowest free slot, and a walk starts at a random slot and goes round.
// So a zone inserted after another is visited first only when the walk starts between
// them: with zones a (slot 0) and x (slot 1), x comes first at one walk in 8, and a
// zone of excluded nodes behind a healthy zone keeps its tainter at 7 passes in 8. The
// model keeps the slots (zones entering together take them re-entering ones first, each
// group in the order of its first node by name: addEvictors) and draws the start from
// cfg.Rand at each pass that has such a zone (slot 0 without a Rand). Once a ninth zone
// has entered, the map is a full table whose order is hash-based: the walk is then a
// permutation drawn from cfg.Rand (key order without).
// When every counted zone is in FullDisruption the walk never stops early, and the
// order does not matter.
func (nc *Controller) forgetUncountedZones() {
	uncounted := false
	for _, z := range nc.zoneList {
		if z.inStates && z.total == 0 {
			uncounted = true
			break
		}
	}
	if !uncounted {
		return
	}
	order := nc.zoneOrder[:0]
	r := nc.cfg.Rand
	if !nc.bigZoneMap {
		start := 0
		if r != nil {
			start = int(r.Int64N(zoneMapGroup))
		}
		for i := range zoneMapGroup {
			if z := nc.zoneSlots[(start+i)%zoneMapGroup]; z != nil {
				order = append(order, z)
			}
		}
	} else {
		for _, z := range nc.zoneList {
			if z.inStates {
				order = append(order, z)
			}
		}
		if r != nil {
			for i := len(order) - 1; i > 0; i-- {
				j := r.Int64N(int64(i + 1))
				order[i], order[j] = order[j], order[i]
			}
		}
	}
	for _, z := range order {
		if z.total == 0 {
			nc.leaveStates(z)
			continue
		}
		if z.state != StateFullDisruption {
			break
		}
	}
	clear(order)
	nc.zoneOrder = order[:0]
}

// handleDisruption computes zone states and swaps the zones' limiters; when every zone is
// fully disrupted it removes every NoExecute taint and stops tainting ("master disruption
// mode"), and on leaving it gives every node a fresh grace period.
func (nc *Controller) handleDisruption(now time.Duration) {
	allAre := true
	for _, z := range nc.zoneList {
		if z.total == 0 {
			continue
		}
		if nc.computeZoneState(z) != StateFullDisruption {
			allAre = false
		}
		if !z.inStates {
			nc.enterStates(z)
			z.state = StateInitial
			if z.q == nil {
				z.q = newRateLimitedTimedQueue(nc.cfg.NodeEvictionRate)
			}
		}
	}
	nc.forgetUncountedZones()
	allWas := true
	for _, z := range nc.zoneList {
		if z.inStates && z.state != StateFullDisruption {
			allWas = false
			break
		}
	}
	if allAre && allWas {
		return
	}
	switch {
	case allAre:
		// "Controller detected that all Nodes are not-Ready. Entering master disruption mode"
		for _, node := range nc.nodeInf.List() {
			_ = nc.markNodeAsReachable(nil, node)
		}
		for _, z := range nc.zoneList {
			if z.inStates {
				z.q.swapLimiter(0, now)
			}
		}
		for _, z := range nc.zoneList {
			if z.inStates {
				nc.recordZone(z, StateFullDisruption)
			}
		}
	case allWas:
		// "Controller detected that some Nodes are Ready. Exiting master disruption mode"
		for _, key := range nc.nodeInf.Keys() {
			if n := nc.nodes[key]; n.hasRecord {
				n.probe, n.readyTransition, n.probeFloor = now, now, now
			}
		}
		for _, z := range nc.zoneList {
			if z.inStates {
				s := nc.computeZoneState(z)
				nc.setLimiterInZone(z, s)
				nc.recordZone(z, s)
			}
		}
	default:
		for _, z := range nc.zoneList {
			if !z.inStates {
				continue
			}
			if s := nc.computeZoneState(z); s != z.state {
				nc.setLimiterInZone(z, s)
				nc.recordZone(z, s)
			}
		}
	}
	nc.scheduleTick(now)
}

// scheduleTick places the tainting tick at the first instant of the 100 ms grid (from
// Start) at or after from at which some zone with queued nodes has a token, so that idle
// and rate-limited periods cost nothing. A far tick is first placed one period early and
// moved from there, as an always-running tick would be scheduled.
func (nc *Controller) scheduleTick(from time.Duration) {
	if !nc.running {
		return
	}
	next, ok := time.Duration(0), false
	for _, z := range nc.zoneList {
		if z.q == nil || !z.q.waiting() {
			continue
		}
		if t, has := z.q.limiter.firstAcceptTick(from, nc.origin, NodeEvictionPeriod); has && (!ok || t < next) {
			next, ok = t, true
		}
	}
	if !ok {
		return
	}
	if next == nc.s.Now() && nc.inPass {
		nc.tickNow = true
		return
	}
	nc.tickTarget = next
	at := next
	if pre := next - NodeEvictionPeriod; pre > nc.s.Now() {
		at = pre
	}
	if nc.tick.Pending() && nc.tick.When() <= at {
		return
	}
	_ = nc.tick.Schedule(at)
}

// taintingTick is doNoExecuteTaintingPass.
func (nc *Controller) taintingTick() {
	now := nc.s.Now()
	if now < nc.tickTarget {
		_ = nc.tick.Schedule(nc.tickTarget)
		return
	}
	if nc.passRan && nc.lastPass == now && !nc.tickDeferred {
		// A real pass takes milliseconds and the tainting goroutine runs beside it: an
		// item the pass enqueues is taken by a tick that sees the pass's own writes in
		// the informer (they arrive within milliseconds). On the model's exact grid the
		// two can fall on the same instant; run the tick after the informer deliveries
		// the pass caused (they are already queued at this instant).
		nc.tickDeferred = true
		_ = nc.tick.Schedule(now)
		return
	}
	nc.tickDeferred = false
	for _, z := range nc.zoneList {
		if z.q == nil || !z.q.waiting() {
			continue
		}
		z.q.try(now, nc.taintAction)
	}
	nc.scheduleTick(now + NodeEvictionPeriod)
}

func (nc *Controller) taintAction(v timedValue) (bool, time.Duration) {
	if h := v.item.owner; h != nil && h.waiting {
		// taken from the queue (or put back later): no longer where a skipped node waits
		nc.markActive(h)
	}
	node, ok := nc.nodeInf.Get(v.name)
	if !ok {
		return true, 0 // "Node no longer present in nodeLister"
	}
	r := node.Condition(apiserver.NodeReady)
	if r == nil {
		return false, 50 * time.Millisecond
	}
	switch r.Status {
	case apiserver.ConditionFalse:
		return nc.swapTaints(node, []taint.Taint{taint.NotReadyNoExecute}, []taint.Taint{taint.UnreachableNoExecute}), 0
	case apiserver.ConditionUnknown:
		return nc.swapTaints(node, []taint.Taint{taint.UnreachableNoExecute}, []taint.Taint{taint.NotReadyNoExecute}), 0
	}
	return true, 0 // "Node was in a taint queue, but it's ready now"
}
