package nodelifecycle

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/nodesim/nodesim/apiserver"
)

var errShortCircuit = errors.New("nodelifecycle: lease cache is stale (NodeControllerLeaseCircuitBreaker)")

var unknownConditionTypes = [...]apiserver.NodeConditionType{
	apiserver.NodeReady, apiserver.NodeMemoryPressure, apiserver.NodeDiskPressure, apiserver.NodePIDPressure,
}

// clean reports whether a lazy pass may skip the node until something about it changes:
// its Lease is steady (heartbeats continuously), it is Ready, untainted, not queued; or
// it stays Unknown (stuckUnknown, which sets stuck).
func (nc *Controller) clean(n *nodeHealth) bool {
	if !n.visitOK || n.touched {
		return false
	}
	if p := &nc.pass; p.open && n.passSeq == p.seq {
		return false // changed during this pass, whose visit saw the version it listed
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
		if nc.limiter != nil && nc.cfg.LeaseCircuitBreaker {
			// every visit of a stale node GETs its Lease, a token each: visit it, as
			// exact mode does
			return false
		}
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
		} else if nc.inTaintingSet(n, node) && n.queueItem.seq != 0 && n.queueItem.owner == n && !nc.tickHolds(n) {
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
// to the cache or a failing client: listVisits visits every stuck node then. The rest
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
	return nc.inTaintingSet(n, node) && n.queueItem.seq != 0 && n.queueItem.owner == n && !nc.tickHolds(n)
}

// tickHolds reports whether the tainting tick is sending the swap of n's queue entry
// (its requests waiting for tokens): a pass that re-adds n meanwhile gives it a new
// entry, which the tick then takes out or replaces (tickFinish), so lazy passes visit n
// as exact mode does rather than skip it as waiting.
func (nc *Controller) tickHolds(n *nodeHealth) bool {
	return nc.tickInOp && nc.tickV.item == n.queueItem && nc.tickV.seq == n.queueItem.seq
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

// markPodNotReady is MarkPodsNotReady's work on one pod (its UpdateStatus, then its
// Event); NotFound is no error.
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
	_, err := nc.s.Pods.UpdateFrom(nc.c, p, func(np *apiserver.Pod) error {
		np.SetCondition(nc2, now)
		return nil
	})
	if apiserver.IsNotFound(err) {
		return nil // "pod was already deleted": no Event
	}
	// the Event follows the UpdateStatus, failed or not
	nc.podEvent(p)
	return err
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

// beginDisruption is the start of handleDisruption, after the visits: compute the zone
// states; it reports whether every node is to be untainted first (entering master
// disruption mode), for which it lists them.
func (nc *Controller) beginDisruption() bool {
	p := &nc.pass
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
	p.allAre, p.allWas = allAre, allWas
	if allAre && !allWas {
		// "Controller detected that all Nodes are not-Ready. Entering master disruption mode"
		// markNodeAsReachable of the nodes as the pass listed them: a taint that landed
		// during a throttled pass is not on the listed copy, so RemoveTaintOffNode
		// short-circuits and the taint stays; a node added since is not listed; a node
		// deleted since is (its GET fails NotFound when its copy has a taint to remove)
		p.untaint = p.untaint[:0]
		for _, key := range nc.nodeInf.Keys() {
			if node := nc.snapNode(nc.nodes[key]); node != nil {
				p.untaint = append(p.untaint, node)
			}
		}
		deleted := false
		for _, n := range p.cow {
			if n.node == nil && n.passSeq == p.seq && n.passNode != nil {
				p.untaint = append(p.untaint, n.passNode)
				deleted = true
			}
		}
		if deleted {
			slices.SortFunc(p.untaint, func(a, b *apiserver.Node) int { return cmp.Compare(a.Name, b.Name) })
		}
		return true
	}
	return false
}

// endDisruption is the rest of handleDisruption: swap the zones' limiters and record
// their states; when every zone is fully disrupted it stops tainting ("master
// disruption mode", the nodes untainted by then), and on leaving it gives every node a
// fresh grace period.
func (nc *Controller) endDisruption() {
	p := &nc.pass
	now := nc.s.Now()
	allAre, allWas := p.allAre, p.allWas
	if allAre && allWas {
		return
	}
	switch {
	case allAre:
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
	if !nc.running || nc.tickBusy {
		return // a tick in progress schedules the next when it ends
	}
	next, ok := time.Duration(0), false
	for _, z := range nc.zoneList {
		if z.q == nil || !z.q.waiting() {
			continue
		}
		if t, has := z.q.limiter.firstAcceptTick(from, nc.tickOrigin, NodeEvictionPeriod); has && (!ok || t < next) {
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
	if nc.tickBusy {
		return
	}
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
	nc.tickBusy, nc.tickZone, nc.tickInOp = true, nil, false
	nc.tw.waited = false
	nc.runTick()
}

// runTick carries the tainting tick on from where it stopped: each zone's queue in key
// order (RateLimitedTimedQueue.Try), each swap of taints request by request. A tick
// that waited for a token ends later, and the next comes a period after it (the loop
// is sliding).
func (nc *Controller) runTick() {
	i := 0
	if nc.tickZone != nil {
		i, _ = slices.BinarySearchFunc(nc.zoneList, nc.tickZone.key, func(z *zone, k string) int { return cmp.Compare(z.key, k) })
	}
	for ; i < len(nc.zoneList); i++ {
		z := nc.zoneList[i]
		nc.tickZone = z
		q := z.q
		if q == nil || !q.waiting() {
			continue
		}
		for {
			if !nc.tickInOp {
				now := nc.s.Now()
				if _, ok := q.head(); !ok {
					break
				}
				if !q.limiter.tryAccept(now) {
					break
				}
				v, _ := q.head()
				if now < v.processAt {
					break
				}
				nc.tickV = v
				if done, ok, wait := nc.taintAction(v); done {
					nc.tickFinish(q, v, ok, wait)
					continue
				}
				nc.tickInOp = true
			}
			if !nc.runOp(&nc.tw, &nc.tickOp) {
				return
			}
			nc.tickInOp = false
			nc.tickFinish(q, nc.tickV, !nc.tickOp.failed, 0)
		}
	}
	nc.tickBusy, nc.tickZone = false, nil
	now := nc.s.Now()
	if nc.tw.waited {
		nc.tickOrigin = now
		nc.tw.waited = false
	}
	nc.scheduleTick(now + NodeEvictionPeriod)
}

// tickFinish is the end of Try's work on its head v: on success the name's heap entry
// goes (RemoveFromQueue; the set keeps the name); on failure it is replaced by v, retried
// after wait + 1 ns (Replace). Both act on the name's entry whatever it is by now: a pass
// that removed and re-added the name while the swap waited for tokens loses its new
// entry, as upstream, so the node is not swapped a second time. A name with no entry
// left (removed and not re-added) is left alone, as both calls do.
func (nc *Controller) tickFinish(q *rateLimitedTimedQueue, v timedValue, ok bool, wait time.Duration) {
	if v.item.seq == 0 {
		return // removed meanwhile
	}
	q.drop(v.item)
	if !ok {
		v.processAt = nc.s.Now() + wait + 1
		q.push(v)
	}
}

// taintAction is the tick's action on the queue's head: done reports that it needed no
// request (ok and wait its result), else nc.tickOp is set up.
func (nc *Controller) taintAction(v timedValue) (done, ok bool, wait time.Duration) {
	if h := v.item.owner; h != nil && h.waiting {
		// taken from the queue (or put back later): no longer where a skipped node waits
		nc.markActive(h)
	}
	node, found := nc.nodeInf.Get(v.name)
	if !found {
		return true, true, 0 // "Node no longer present in nodeLister"
	}
	r := node.Condition(apiserver.NodeReady)
	if r == nil {
		return true, false, 50 * time.Millisecond
	}
	switch r.Status {
	case apiserver.ConditionFalse:
		nc.swapOp(&nc.tickOp, node, notReadySet, unreachableSet)
		return false, false, 0
	case apiserver.ConditionUnknown:
		nc.swapOp(&nc.tickOp, node, unreachableSet, notReadySet)
		return false, false, 0
	}
	return true, true, 0 // "Node was in a taint queue, but it's ready now"
}
