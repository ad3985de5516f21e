package workload

import (
	"math"

	"github.com/nodesim/nodesim/apiserver"
)

// PodTopologySpread's score with kube-scheduler's system default constraints
// (pkg/scheduler/framework/plugins/podtopologyspread, DefaultingType System, the same
// in 1.31 to 1.37): a pod without constraints of its own, selected by a ReplicaSet,
// prefers nodes with fewer of that ReplicaSet's pods on them (kubernetes.io/hostname,
// maxSkew 3) and in their zone (topology.kubernetes.io/zone, maxSkew 5), both
// ScheduleAnyway. The plugin's weight in the default profile is 2, against 1 for
// LeastAllocated: two replicas on one node cost more than a node's extra load, so a
// Deployment spreads over nodes and zones rather than filling the emptiest node.
const (
	spreadHostnameSkew = 3
	spreadZoneSkew     = 5
	spreadWeight       = 2
)

// spreadOwner holds the counts PodTopologySpread reads for the pods of one
// ReplicaSet: its pods per node and per zone, as the scheduler's cache has them
// (bound or assumed, not terminal, not terminating). Upstream counts the pods its
// selector matches; nodesim counts those it controls, which are the same unless
// selectors overlap (the ReplicaSet controller adopts the orphans its selector
// matches and releases the pods it stops matching).
type spreadOwner struct {
	byNode map[*nodeInfo]int32
	// byZone is indexed by zone id (Scheduler.zoneID): the pods on existing nodes
	// of each zone value, the nodes without the label counted under "" as upstream's
	// PreScore counts them.
	byZone []int32
}

// spreadKey is what a pod counts for in the spread counts: its ReplicaSet's UID and
// whether it counts (bound, in the cache, not terminating).
type spreadKey struct {
	owner  uint64
	counts bool
}

func spreadKeyOf(p *apiserver.Pod) spreadKey {
	r, ok := p.ControllerRef()
	if !ok || r.Kind != KindReplicaSet {
		return spreadKey{}
	}
	return spreadKey{owner: r.UID, counts: p.NodeName != "" && !p.Terminal() && !p.Deleting}
}

// spreadCount adds (sign 1) or removes (-1) a pod counted as k on ni to its
// ReplicaSet's counts, once the scheduler keeps them (spreadFor). A ReplicaSet with
// no pod counted has no entry.
func (sc *Scheduler) spreadCount(k spreadKey, ni *nodeInfo, sign int32) {
	if !k.counts || !sc.spreadOn {
		return
	}
	so := sc.spread[k.owner]
	if so == nil {
		so = &spreadOwner{byNode: map[*nodeInfo]int32{}, byZone: make([]int32, len(sc.zoneNames))}
		sc.spread[k.owner] = so
	}
	c := so.byNode[ni] + sign
	if c == 0 {
		delete(so.byNode, ni)
	} else {
		so.byNode[ni] = c
	}
	if ni.node != nil {
		so.byZone[sc.zoneOf[ni.idx]&topoZoneID] += sign
	}
	if len(so.byNode) == 0 {
		delete(sc.spread, k.owner)
	}
}

// zoneID interns a zone value (the label's value, "" for a node without it).
func (sc *Scheduler) zoneID(z string) uint32 {
	id, ok := sc.zoneIDs[z]
	if !ok {
		id = uint32(len(sc.zoneNames))
		sc.zoneIDs[z] = id
		sc.zoneNames = append(sc.zoneNames, z)
		for _, so := range sc.spread { // map order: each gets a zero
			so.byZone = append(so.byZone, 0)
		}
	}
	return id
}

// nodeTopology reads what the plugin reads of a node's labels: its zone's id, and
// whether it has the zone and the hostname labels.
func (sc *Scheduler) nodeTopology(n *apiserver.Node) uint32 {
	z, hasZone := n.Labels.Lookup(apiserver.LabelZone)
	t := sc.zoneID(z)
	if hasZone {
		t |= topoHasZone
	}
	if n.Labels.Has(apiserver.LabelHostname) {
		t |= topoHasHost
	}
	return t
}

// Flags of Scheduler.zoneOf entries above the zone id.
const (
	topoHasZone = 1 << 31
	topoHasHost = 1 << 30
	topoZoneID  = topoHasHost - 1
)

// setTopology records node idx's topology (a node added or changed) and moves its
// pods' counts to its zone if the zone changed; existed says whether the entry held
// the node before.
func (sc *Scheduler) setTopology(ni *nodeInfo, t uint32, existed bool) {
	old := sc.zoneOf[ni.idx]
	sc.zoneOf[ni.idx] = t
	if existed && old&topoZoneID == t&topoZoneID {
		return
	}
	for _, so := range sc.spread { // map order: each owner's counts move on their own
		c := so.byNode[ni]
		if c == 0 {
			continue
		}
		if existed {
			so.byZone[old&topoZoneID] -= c
		}
		so.byZone[t&topoZoneID] += c
	}
}

// dropTopology takes a deleted node's pods out of their zone's counts (its pods stay
// in the cache, counted on the node, until they go).
func (sc *Scheduler) dropTopology(ni *nodeInfo) {
	z := sc.zoneOf[ni.idx] & topoZoneID
	for _, so := range sc.spread {
		if c := so.byNode[ni]; c != 0 {
			so.byZone[z] -= c
		}
	}
}

// spreadFor returns the counts of ReplicaSet uid (read only). The scheduler counts
// nothing until it first scores a ReplicaSet's pod: a cluster that never schedules
// one (a running start's steady day) keeps no counts. Then it counts every
// ReplicaSet's pods in one pass over its cache and its assumed pods, and from then
// on each change the cache applies keeps the counts current.
func (sc *Scheduler) spreadFor(uid uint64) *spreadOwner {
	if !sc.spreadOn {
		sc.spreadOn = true
		sc.zoneOf = make([]uint32, len(sc.nodes))
		for _, ni := range sc.nodes {
			sc.setTopology(ni, sc.nodeTopology(ni.node), true) // no counts to move yet
		}
		// An assumed pod's cached version is the one it had before the scheduler bound
		// it, which counts for nothing: it is counted as assumed, below.
		sc.podInf.Range(func(p *apiserver.Pod) {
			if k := spreadKeyOf(p); k.counts {
				sc.spreadCount(k, sc.info(p.NodeName), 1)
			}
		})
		for _, a := range sc.assumed { // map order: counting cannot show it
			sc.spreadCount(a.spread, sc.info(a.node), 1)
		}
	}
	if so := sc.spread[uid]; so != nil {
		return so
	}
	return &noSpread
}

// rsKeyOf is "namespace/name", the last one kept: a ReplicaSet's replicas are
// scheduled one after another, and a key longer than the compiler's 32-byte stack
// buffer would cost an allocation per scheduling cycle.
func (sc *Scheduler) rsKeyOf(ns, name string) string {
	if k := sc.rsKey; len(k) == len(ns)+1+len(name) && k[len(ns)] == '/' && k[:len(ns)] == ns && k[len(ns)+1:] == name {
		return k
	}
	sc.rsKey = ns + "/" + name
	return sc.rsKey
}

// noSpread is the counts of a ReplicaSet with no pod counted (never written).
var noSpread spreadOwner

// spreadScores adds PodTopologySpread's weighted, normalized score to scores, one
// per node of order (the feasible nodes), for pod p; it adds nothing when the plugin
// would skip the pod (constraints of its own are not modelled; no ReplicaSet selects
// it). As upstream: the zone term counts the pods on every node of a zone that at
// least one feasible node is in, on nodes matching the pod's required node affinity
// (nodeAffinityPolicy Honor; taints are ignored); each term's count is weighted by
// log(domains + 2), domains being the feasible nodes (hostname) or their zone values
// ("" included); a node without a constraint's label gets no term for it; the sum is
// rounded, then normalized so that the lowest raw score gets 100.
func (sc *Scheduler) spreadScores(p *apiserver.Pod, order []*nodeInfo, scores []int64) {
	r, ok := p.ControllerRef()
	if !ok || r.Kind != KindReplicaSet || len(order) < 2 {
		return
	}
	// DefaultSelector gets the ReplicaSet from the scheduler's lister; the store stands
	// in for it (a lister would cost the scheduler a delivery per ReplicaSet status
	// write, 96k in the zone-outage day's heal minute, and differs from the store only
	// within the watch latency of a ReplicaSet's creation or deletion). No ReplicaSet,
	// or an empty selector: no constraint.
	if rs, ok := sc.s.ReplicaSets.Peek(sc.rsKeyOf(p.Namespace, r.Name)); !ok || len(rs.Selector) == 0 {
		return
	}
	so := sc.spreadFor(r.UID)
	// the zones of the feasible nodes, and the counts of those zones
	zc := sc.zoneScratch[:0]
	for range sc.zoneNames {
		zc = append(zc, -1)
	}
	zones := 0
	for _, ni := range order {
		if z := sc.zoneOf[ni.idx] & topoZoneID; zc[z] < 0 {
			zc[z] = 0
			zones++
		}
	}
	if len(p.NodeSelector) == 0 && len(p.RequiredNodeAffinity) == 0 {
		for z, c := range so.byZone {
			if zc[z] >= 0 {
				zc[z] = int64(c)
			}
		}
	} else {
		for ni, c := range so.byNode { // map order: a sum
			if ni.node == nil || !matchesAffinity(p, ni.node) {
				continue
			}
			if z := sc.zoneOf[ni.idx] & topoZoneID; zc[z] >= 0 {
				zc[z] += int64(c)
			}
		}
	}
	sc.zoneScratch = zc
	// the ReplicaSet's pods on each feasible node: looked up node by node, or, when
	// they are on fewer nodes than that (a few replicas scored against hundreds of
	// nodes), laid out by node index first (map order: each entry its own slot)
	hostCount := func(ni *nodeInfo) int32 { return so.byNode[ni] }
	if len(so.byNode) < len(order) {
		if len(sc.hostScratch) < len(sc.nodes) {
			sc.hostScratch = make([]int32, len(sc.nodes))
		}
		for ni, c := range so.byNode {
			if ni.node != nil {
				sc.hostScratch[ni.idx] = c
			}
		}
		defer func() {
			for ni := range so.byNode {
				if ni.node != nil {
					sc.hostScratch[ni.idx] = 0
				}
			}
		}()
		hostCount = func(ni *nodeInfo) int32 { return sc.hostScratch[ni.idx] }
	}
	wHost := math.Log(float64(len(order) + 2))
	wZone := math.Log(float64(zones + 2))
	raw := sc.spreadRaw[:0]
	minS, maxS := int64(math.MaxInt64), int64(0)
	for _, ni := range order {
		t := sc.zoneOf[ni.idx]
		// scoreForCount(cnt, maxSkew, weight) = cnt·weight + (maxSkew − 1), added per
		// constraint; the conversions keep the compiler from fusing a multiply and an
		// add (FMA), so that every platform rounds as amd64 does
		var s float64
		if t&topoHasHost != 0 {
			s += float64(float64(hostCount(ni))*wHost) + (spreadHostnameSkew - 1)
		}
		if t&topoHasZone != 0 {
			s += float64(float64(zc[t&topoZoneID])*wZone) + (spreadZoneSkew - 1)
		}
		v := int64(math.Round(s))
		raw = append(raw, v)
		minS, maxS = min(minS, v), max(maxS, v)
	}
	sc.spreadRaw = raw
	for i, v := range raw {
		n := int64(MaxNodeScore)
		if maxS != 0 {
			n = MaxNodeScore * (maxS + minS - v) / maxS
		}
		scores[i] += spreadWeight * n
	}
}
