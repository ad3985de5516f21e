package workload

import (
	"maps"
	"math"
	"slices"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// A pod's own spec.topologySpreadConstraints, as kube-scheduler's PodTopologySpread
// plugin applies them (pkg/scheduler/framework/plugins/podtopologyspread, filtering.go,
// scoring.go, common.go; the same in v1.31.0, v1.33.0 and v1.37.2 for what is modelled):
// the DoNotSchedule constraints are a filter, the ScheduleAnyway ones a score, and
// the system default constraints (spread.go) apply only to a pod that has none.
//
// Counting follows upstream: over every node in the scheduler's cache that has the
// topology keys of all the pod's constraints of that kind, and, per constraint, that
// passes its node inclusion policies (NodeAffinityPolicy Honor: the pod's node selector
// and required node affinity; NodeTaintsPolicy Honor: its NoSchedule and NoExecute
// taints tolerated), the bound pods of the pod's namespace that the constraint's
// selector matches, terminating pods left out. Upstream counts them at each cycle by
// walking every node's pods; here each selector's counts per node are kept as pods
// come and go (spreadTracker), as the system defaults' are per ReplicaSet, and each
// key's values per node are interned (keyTopo), so a cycle walks the nodes only.

// Reasons of PodTopologySpread's filter (plugin.go).
const (
	ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints"
	ErrReasonNodeLabelNotMatch   = ErrReasonConstraintsNotMatch + " (missing required label)"
)

// spreadConstraint is one of the pod's constraints of one kind (topologySpreadConstraint).
type spreadConstraint struct {
	maxSkew       int32
	key           string
	topo          *keyTopo // the nodes' values of key (Scheduler.topoFor)
	sel           podSel
	minDomains    int32
	honorAffinity bool
	honorTaints   bool
}

// podSel is a constraint's selector with the pod's matchLabelKeys values merged in
// (mergeLabelSetWithSelector: a nil selector stays one that matches nothing).
type podSel struct {
	nothing bool
	sel     *apiserver.PodSelector
	extra   map[string]string // from matchLabelKeys
}

// empty reports whether the selector has no requirement: it matches every pod, and
// upstream's countPodsMatchSelector then counts none.
func (s *podSel) empty() bool {
	return !s.nothing && len(s.extra) == 0 && len(s.sel.MatchLabels) == 0 && len(s.sel.MatchExpressions) == 0
}

func (s *podSel) matches(labels apiserver.Labels) bool {
	if s.nothing {
		return false
	}
	for k, v := range s.extra {
		if got, ok := labels.Lookup(k); !ok || got != v {
			return false
		}
	}
	if !apiserver.LabelSelector(s.sel.MatchLabels).Matches(labels) {
		return false
	}
	for i := range s.sel.MatchExpressions {
		if !MatchesRequirement(&s.sel.MatchExpressions[i], labels) {
			return false
		}
	}
	return true
}

// constraintsOf is constraintsOf with each constraint's keyTopo.
func (sc *Scheduler) constraintsOf(p *apiserver.Pod, action string) []spreadConstraint {
	cons := constraintsOf(p, action)
	for i := range cons {
		cons[i].topo = sc.topoFor(cons[i].key)
	}
	return cons
}

// keyTopo is, for one label key, each node's value as a small id, by node index (-1:
// the node has no such label), and the values by id. The scheduler keeps one per key
// a pod's constraints name, rebuilt at first use after the nodes or their labels
// changed (Scheduler.nodesGen): a cycle reads values from it instead of each node's
// labels.
type keyTopo struct {
	gen   uint64
	ids   []int32
	names []string
}

// topoFor returns the current keyTopo of key.
func (sc *Scheduler) topoFor(key string) *keyTopo {
	t := sc.keyTopos[key]
	if t == nil {
		t = &keyTopo{}
		if sc.keyTopos == nil {
			sc.keyTopos = map[string]*keyTopo{}
		}
		sc.keyTopos[key] = t
	} else if t.gen == sc.nodesGen && len(t.ids) == len(sc.nodes) {
		return t
	}
	t.gen = sc.nodesGen
	t.ids = slices.Grow(t.ids[:0], len(sc.nodes))[:len(sc.nodes)]
	t.names = t.names[:0]
	index := map[string]int32{}
	for _, ni := range sc.nodes {
		v, ok := ni.node.Labels.Lookup(key)
		if !ok {
			t.ids[ni.idx] = -1
			continue
		}
		id, seen := index[v]
		if !seen {
			id = int32(len(t.names))
			index[v] = id
			t.names = append(t.names, v)
		}
		t.ids[ni.idx] = id
	}
	return t
}

// constraintsOf returns p's own constraints whose whenUnsatisfiable is action
// (filterTopologySpreadConstraints), without their keyTopo.
func constraintsOf(p *apiserver.Pod, action string) []spreadConstraint {
	var out []spreadConstraint
	for i := range p.TopologySpreadConstraints {
		c := &p.TopologySpreadConstraints[i]
		if c.WhenUnsatisfiable != action {
			continue
		}
		sc := spreadConstraint{maxSkew: c.MaxSkew, key: c.TopologyKey, minDomains: max(c.MinDomains, 1),
			honorAffinity: c.NodeAffinityPolicy != apiserver.PolicyIgnore,
			honorTaints:   c.NodeTaintsPolicy == apiserver.PolicyHonor}
		if c.Selector == nil {
			sc.sel = podSel{nothing: true, sel: &apiserver.PodSelector{}}
		} else {
			sc.sel = podSel{sel: c.Selector}
			for _, k := range c.MatchLabelKeys {
				if v, ok := p.Labels.Lookup(k); ok {
					if sc.sel.extra == nil {
						sc.sel.extra = map[string]string{}
					}
					sc.sel.extra[k] = v
				}
			}
		}
		out = append(out, sc)
	}
	return out
}

// hasAllKeys reports whether the node of index idx has every constraint's topology
// key (nodeLabelsMatchSpreadConstraints).
func hasAllKeys(idx int32, cons []spreadConstraint) bool {
	for i := range cons {
		if cons[i].topo.ids[idx] < 0 {
			return false
		}
	}
	return true
}

// labelsHaveKeys is hasAllKeys on a node's labels (for nodes not in the cache).
func labelsHaveKeys(labels apiserver.Labels, cons []spreadConstraint) bool {
	for i := range cons {
		if !labels.Has(cons[i].key) {
			return false
		}
	}
	return true
}

// included reports whether node n counts for constraint c of pod p
// (matchNodeInclusionPolicies).
func (c *spreadConstraint) included(p *apiserver.Pod, n *apiserver.Node, cmpOps bool) bool {
	if c.honorAffinity && (len(p.NodeSelector) > 0 || len(p.RequiredNodeAffinity) > 0) && !matchesAffinity(p, n) {
		return false
	}
	if c.honorTaints {
		if _, bad := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, noScheduleOrExecute, cmpOps); bad {
			return false
		}
	}
	return true
}

// spreadMatches returns, for each constraint and each node of the cache (by node
// index), the bound pods of p's namespace the constraint's selector matches on it,
// terminating pods left out (countPodsMatchSelector), and says which nodes count
// for it: those with every constraint's key that pass its inclusion policies. The
// slices are scratch space of the scheduler, valid until the next call. The pod
// counts come from the selector's tracker (spreadTracker): a cycle costs the nodes,
// not the pods.
func (sc *Scheduler) spreadMatches(p *apiserver.Pod, cons []spreadConstraint) (counts []int32, counted []bool) {
	n := len(sc.nodes)
	counts = growZero(&sc.ownCounts, len(cons)*n)
	counted = growZeroBool(&sc.ownCounted, len(cons)*n)
	cmpOps := sc.s.Config.ComparisonOperators
	for _, ni := range sc.nodes {
		if !hasAllKeys(ni.idx, cons) {
			continue
		}
		for i := range cons {
			counted[i*n+int(ni.idx)] = cons[i].included(p, ni.node, cmpOps)
		}
	}
	for i := range cons {
		if cons[i].sel.empty() || cons[i].sel.nothing {
			continue // countPodsMatchSelector counts none; a nil selector matches none
		}
		for ni, c := range sc.trackerFor(p.Namespace, &cons[i].sel).byNode { // map order: each its own slot
			if ni.node != nil { // else pods on a node the cache does not hold: in no node's list
				counts[i*n+int(ni.idx)] = c
			}
		}
	}
	return counts, counted
}

// spreadTracker counts, per node, the pods a constraint's selector matches in a
// namespace: bound, not terminal, not terminating, as the scheduler's cache has them.
// The replicas of one template share their constraints (and so the selector), so a
// tracker serves every replica's cycle; it is made by one walk of the cache when a
// pod first needs it, and from then on every change the cache applies keeps it
// (Scheduler.count, recount), as spreadFor does for the system defaults. Trackers
// live as long as the scheduler's cache (Start drops them).
type spreadTracker struct {
	ns     string
	sel    podSel
	byNode map[*nodeInfo]int32
}

// trackerFor returns the tracker of selector sel in namespace ns, making it if need be.
func (sc *Scheduler) trackerFor(ns string, sel *podSel) *spreadTracker {
	for _, t := range sc.trackers[ns] {
		if t.sel.same(sel) {
			return t
		}
	}
	t := &spreadTracker{ns: ns, sel: *sel, byNode: map[*nodeInfo]int32{}}
	sc.eachCounted(func(a podAcct) { t.add(a, sc.info(a.node), 1) })
	if sc.trackers == nil {
		sc.trackers = map[string][]*spreadTracker{}
	}
	sc.trackers[ns] = append(sc.trackers[ns], t)
	return t
}

// add counts (sign 1) or uncounts (−1) a pod counted as a on ni, if t counts it.
func (t *spreadTracker) add(a podAcct, ni *nodeInfo, sign int32) {
	if a.deleting || a.ns != t.ns || !t.sel.matches(a.labels) {
		return
	}
	if c := t.byNode[ni] + sign; c != 0 {
		t.byNode[ni] = c
	} else {
		delete(t.byNode, ni)
	}
}

// trackCount applies a pod's count change to the trackers of its namespace.
func (sc *Scheduler) trackCount(a podAcct, ni *nodeInfo, sign int32) {
	for _, t := range sc.trackers[a.ns] {
		t.add(a, ni, sign)
	}
}

// same reports whether two selectors select the same pods: equal matchLabels,
// matchExpressions and matchLabelKeys values (the replicas of a template share one
// selector object; bare pods with equal selectors share a tracker too).
func (s *podSel) same(o *podSel) bool {
	if s.nothing || o.nothing {
		return s.nothing == o.nothing
	}
	return maps.Equal(s.extra, o.extra) && (s.sel == o.sel ||
		maps.Equal(s.sel.MatchLabels, o.sel.MatchLabels) && slices.EqualFunc(s.sel.MatchExpressions, o.sel.MatchExpressions, sameRequirement))
}

func growZero(s *[]int32, n int) []int32 {
	if cap(*s) < n {
		*s = make([]int32, n)
	}
	*s = (*s)[:n]
	clear(*s)
	return *s
}

func growZeroBool(s *[]bool, n int) []bool {
	if cap(*s) < n {
		*s = make([]bool, n)
	}
	*s = (*s)[:n]
	clear(*s)
	return *s
}

// spreadFilter is PodTopologySpread's PreFilter state for a pod's DoNotSchedule
// constraints: per constraint, the matching pods per topology value (by the value's
// id in the constraint's keyTopo) over the nodes that count (TpValueToMatchNum) and
// the minimum the skew is taken against.
type spreadFilter struct {
	cons     []spreadConstraint
	byValue  [][]int
	minMatch []int
	self     []int // 1 when the constraint's selector matches the pod itself
}

// spreadPreFilter computes p's filter state; nil when p has no DoNotSchedule
// constraint (the plugin's filter is skipped).
func (sc *Scheduler) spreadPreFilter(p *apiserver.Pod) *spreadFilter {
	if len(p.TopologySpreadConstraints) == 0 {
		return nil
	}
	cons := sc.constraintsOf(p, apiserver.DoNotSchedule)
	if len(cons) == 0 {
		return nil
	}
	counts, counted := sc.spreadMatches(p, cons)
	n := len(sc.nodes)
	f := &spreadFilter{cons: cons, byValue: make([][]int, len(cons)), minMatch: make([]int, len(cons)), self: make([]int, len(cons))}
	for i := range cons {
		topo := cons[i].topo
		m := make([]int, len(topo.names))
		seen := make([]bool, len(topo.names))
		domains := 0
		for _, ni := range sc.nodes {
			if j := i*n + int(ni.idx); counted[j] {
				id := topo.ids[ni.idx]
				m[id] += int(counts[j])
				if !seen[id] {
					seen[id] = true
					domains++
				}
			}
		}
		// the critical path's minimum (math.MaxInt32 with no domain), 0 while there
		// are fewer domains than minDomains
		low := math.MaxInt32
		for id, c := range m {
			if seen[id] {
				low = min(low, c)
			}
		}
		if domains < int(cons[i].minDomains) {
			low = 0
		}
		f.byValue[i], f.minMatch[i] = m, low
		if cons[i].sel.matches(p.Labels) {
			f.self[i] = 1
		}
	}
	return f
}

// verdict is PodTopologySpread's Filter on node ni for the pod f was computed for.
func (f *spreadFilter) verdict(ni *nodeInfo) failCode {
	for i := range f.cons {
		c := &f.cons[i]
		id := c.topo.ids[ni.idx]
		if id < 0 {
			return failSpreadLabel
		}
		if f.byValue[i][id]+f.self[i]-f.minMatch[i] > int(c.maxSkew) {
			return failSpread
		}
	}
	return fitOK
}

// ownSpreadScores adds PodTopologySpread's weighted, normalized score for a pod with
// constraints of its own (its ScheduleAnyway ones; none: no score) to scores, one per
// node of order (the feasible nodes). As upstream's PreScore, Score and
// NormalizeScore: a feasible node without every constraint's key is ignored (score
// 0, left out of the normalization); a constraint's count on a node is that node's
// matching pods for kubernetes.io/hostname, else the pods in the node's topology
// domain over every node that counts, the domains being those of the feasible
// nodes not ignored; each constraint adds count·log(domains + 2) + maxSkew − 1,
// domains being, for the hostname key, the feasible nodes not ignored; the sum is
// rounded, then normalized so that the lowest score gets 100.
func (sc *Scheduler) ownSpreadScores(p *apiserver.Pod, order []*nodeInfo, scores []int64) {
	cons := sc.constraintsOf(p, apiserver.ScheduleAnyway)
	if len(cons) == 0 {
		return
	}
	counts, counted := sc.spreadMatches(p, cons)
	n := len(sc.nodes)
	ignored := 0
	// per constraint, the domains of the feasible nodes not ignored (by value id;
	// -1: not one), then the pods counted in each
	domains := make([][]int64, len(cons))
	sizes := make([]int, len(cons))
	for i := range cons {
		domains[i] = make([]int64, len(cons[i].topo.names))
		for id := range domains[i] {
			domains[i][id] = -1
		}
	}
	for _, ni := range order {
		if !hasAllKeys(ni.idx, cons) {
			ignored++
			continue
		}
		for i := range cons {
			if id := cons[i].topo.ids[ni.idx]; cons[i].key != apiserver.LabelHostname && domains[i][id] < 0 {
				domains[i][id] = 0
				sizes[i]++
			}
		}
	}
	weights := make([]float64, len(cons))
	for i := range cons {
		size := sizes[i]
		if cons[i].key == apiserver.LabelHostname {
			size = len(order) - ignored
		}
		weights[i] = math.Log(float64(size + 2))
		if cons[i].key == apiserver.LabelHostname {
			continue
		}
		for _, ni := range sc.nodes {
			if j := i*n + int(ni.idx); counted[j] {
				if id := cons[i].topo.ids[ni.idx]; domains[i][id] >= 0 {
					domains[i][id] += int64(counts[j])
				}
			}
		}
	}
	raw := sc.spreadRaw[:0]
	minS, maxS := int64(math.MaxInt64), int64(0)
	for _, ni := range order {
		if !hasAllKeys(ni.idx, cons) {
			raw = append(raw, -1)
			continue
		}
		var s float64
		for i := range cons {
			var cnt int64
			if cons[i].key == apiserver.LabelHostname {
				cnt = int64(counts[i*n+int(ni.idx)])
			} else {
				cnt = domains[i][cons[i].topo.ids[ni.idx]]
			}
			// scoreForCount; the conversions keep the compiler from fusing a multiply
			// and an add (FMA), as in spreadScores
			s += float64(float64(cnt)*weights[i]) + float64(cons[i].maxSkew-1)
		}
		v := int64(math.Round(s))
		raw = append(raw, v)
		minS, maxS = min(minS, v), max(maxS, v)
	}
	sc.spreadRaw = raw
	for i, v := range raw {
		var s int64
		switch {
		case v < 0: // ignored
		case maxS == 0:
			s = MaxNodeScore
		default:
			s = MaxNodeScore * (maxS + minS - v) / maxS
		}
		scores[i] += spreadWeight * s
	}
}
