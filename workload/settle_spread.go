package workload

import (
	"math"

	"github.com/nodesim/nodesim/apiserver"
)

// A running start's placement of replicas whose template has DoNotSchedule topology
// spread constraints of its own. The round-robin of settle.go ignores them, and can
// leave a state the scheduler never would (two zones of unequal size, a minDomains
// above the zones there are); those replicas are placed one at a time instead, each
// on the first node of the round, in the group's tier order from its cursor, that has
// room and that PodTopologySpread's filter passes given the pods placed so far
// (podspread.go's rules: the nodes with every key that pass the inclusion policies
// count, the minimum over their domains, 0 below minDomains). A replica no node
// passes stays Pending, as a replica that fits no node's resources does.

// placedSet is pods the settler has counted, of one namespace and label set, per
// node position: a bare pod, a DaemonSet's pods or a ReplicaSet's.
type placedSet struct {
	ns     string
	labels apiserver.Labels
	byNode map[int32]int32
}

// needsSpread reports whether some workload in the store has a template with
// DoNotSchedule constraints of its own: only then does the settler keep placedSets.
func (st *settler) needsSpread() bool {
	found := false
	st.s.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) { found = found || hasHardSpread(&rs.Template.Spec) })
	st.s.Deployments.Each(func(d *apiserver.Deployment) { found = found || hasHardSpread(&d.Template.Spec) })
	return found
}

// record counts one pod of ns with labels on node position i.
func (st *settler) record(set **placedSet, ns string, labels apiserver.Labels, i int32) {
	if !st.spreadOn {
		return
	}
	if *set == nil {
		*set = &placedSet{ns: ns, labels: labels, byNode: map[int32]int32{}}
		st.placed = append(st.placed, *set)
	}
	(*set).byNode[i]++
}

// settleSpread is the filter state of one ReplicaSet's placement: per constraint,
// each node's domain (by value; -1 without the key), whether it counts, the pods
// per domain and whether the replicas match the selector themselves.
type settleSpread struct {
	cons    []spreadConstraint
	domain  [][]int32
	counted [][]bool
	count   [][]int
	self    []int
}

func (st *settler) spreadState(p *apiserver.Pod) *settleSpread {
	cons := constraintsOf(p, apiserver.DoNotSchedule)
	ss := &settleSpread{cons: cons}
	for ci := range cons {
		c := &cons[ci]
		ids := map[string]int32{}
		dom := make([]int32, len(st.nodes))
		cnt := make([]bool, len(st.nodes))
		for i, n := range st.nodes {
			v, ok := n.Labels.Lookup(c.key)
			if !ok {
				dom[i] = -1
				continue
			}
			id, seen := ids[v]
			if !seen {
				id = int32(len(ids))
				ids[v] = id
			}
			dom[i] = id
			cnt[i] = labelsHaveKeys(n.Labels, cons) && c.included(p, n, st.cmpOps)
		}
		count := make([]int, len(ids))
		if !c.sel.empty() {
			for _, set := range st.placed {
				if set.ns != p.Namespace || !c.sel.matches(set.labels) {
					continue
				}
				for i, k := range set.byNode {
					if cnt[i] {
						count[dom[i]] += int(k)
					}
				}
			}
		}
		self := 0
		if c.sel.matches(p.Labels) {
			self = 1
		}
		ss.domain, ss.counted, ss.count, ss.self = append(ss.domain, dom), append(ss.counted, cnt), append(ss.count, count), append(ss.self, self)
	}
	return ss
}

// lows computes, per constraint, the minimum the skew is taken against: the lowest
// count over the domains of the nodes that count, 0 below minDomains.
func (ss *settleSpread) lows() []int {
	out := make([]int, len(ss.cons))
	for ci := range ss.cons {
		seen := make([]bool, len(ss.count[ci]))
		low, domains := math.MaxInt, 0
		for j, ok := range ss.counted[ci] {
			if d := ss.domain[ci][j]; ok && !seen[d] {
				seen[d] = true
				domains++
				low = min(low, ss.count[ci][d])
			}
		}
		if domains < int(ss.cons[ci].minDomains) {
			low = 0
		}
		out[ci] = low
	}
	return out
}

// fits is PodTopologySpread's filter on node position i, lows from lows.
func (ss *settleSpread) fits(i int32, lows []int) bool {
	for ci := range ss.cons {
		d := ss.domain[ci][i]
		if d < 0 || ss.count[ci][d]+ss.self[ci]-lows[ci] > int(ss.cons[ci].maxSkew) {
			return false
		}
	}
	return true
}

// placed counts a replica on node position i in the domains it counts for.
func (ss *settleSpread) placed(i int32) {
	for ci := range ss.cons {
		if ss.counted[ci][i] && ss.self[ci] == 1 {
			ss.count[ci][ss.domain[ci][i]]++
		}
	}
}

// pickSpread returns the node position for the next replica p of the group g, or -1.
func (st *settler) pickSpread(g *placeGroup, ss *settleSpread, p *apiserver.Pod) int32 {
	lows := ss.lows()
	for t := range g.tiers {
		tier := &g.tiers[t]
		n := len(tier.nodes)
		for k := range n {
			pos := (tier.cursor + k) % n
			i := tier.nodes[pos]
			if rm := &st.room[i]; insufficientResources(p, rm.alloc, rm.req, rm.pods) != 0 || !ss.fits(i, lows) {
				continue
			}
			tier.cursor = (pos + 1) % n
			ss.placed(i)
			return i
		}
	}
	return -1
}
