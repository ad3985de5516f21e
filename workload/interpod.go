package workload

import (
	"maps"
	"math"
	"slices"

	"github.com/nodesim/nodesim/apiserver"
)

// Required inter-pod affinity and anti-affinity, as kube-scheduler's
// InterPodAffinity filter applies them (pkg/scheduler/framework/plugins/
// interpodaffinity/filtering.go, plugin.go; AffinityTerm.Matches; v1.31.0, v1.33.0,
// v1.37.2 alike for what is modelled, 1.37's InterPodAffinityHostnameFastPath gate
// being alpha and off): a node fails, in this order,
//   - "node(s) didn't match pod affinity rules" when it lacks the topology key of
//     one of the pod's own affinity terms, or, for one of them, no pod matching all
//     of them runs on a node with the same value of the key; unless no such pod
//     runs on a node with any of the keys and the pod matches all its terms itself;
//   - "node(s) didn't match pod anti-affinity rules" when, for one of the pod's own
//     anti-affinity terms, the node has the term's topology key and some pod the
//     term matches runs on a node with the same value of it (a node without the key
//     ignores the term);
//   - else "node(s) didn't satisfy existing pods anti-affinity rules" when a bound
//     pod with an anti-affinity term that matches the incoming pod runs on a node
//     whose value of the term's key the node shares (bound pods' affinity terms
//     filter nothing).
//
// Pods count as upstream's NodeInfo holds them: every pod bound to a node of the
// cache that is not terminal, terminating pods included (unlike the spread
// constraints' countPodsMatchSelector). A term matches a pod when its selector does
// (nil: no pod; empty: every pod) and the pod's namespace is the term owner's (no
// namespaces, no namespaceSelector), or is listed, or namespaceSelector matches it
// (nil: none; empty {}: every namespace), a namespace's labels being only
// kubernetes.io/metadata.name=<name>: nodesim has no Namespace objects, and the API
// server sets that label on every namespace. Upstream resolves the incoming pod's
// namespaceSelector against the namespaces that exist (mergeAffinityTermNamespacesIfNotEmpty),
// which for the namespace of a pod that exists is the same.
//
// Counting is kept as pods come and go (Scheduler.count, recount), so that a cycle
// walks the nodes and the pods with such terms, not every pod: termTracker counts
// per node the pods an own anti-affinity term, or all own affinity terms, match,
// and antiPods registers the bound pods that have anti-affinity terms (upstream's
// NodeInfo.PodsWithRequiredAntiAffinity), grouped by namespace and terms
// (antiGroup) so that a cycle matches each group's terms once; affPods does the
// same for the bound pods with affinity terms, and prefAffPods and prefAntiPods for
// those with preferred affinity and anti-affinity terms, which only
// InterPodAffinity's score reads (interScores, scoring.go).

// Reasons of InterPodAffinity's filter (filtering.go).
const (
	ErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	ErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
	ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
)

// termMatches is AffinityTerm.Matches for term t of a pod of namespace owner, on a
// pod of namespace ns with labels; nsLabels are the labels of ns as the caller
// knows them (nil: none, as the queueing hints pass).
func termMatches(t *apiserver.PodAffinityTerm, owner, ns string, labels, nsLabels apiserver.Labels) bool {
	in := false
	if len(t.Namespaces) == 0 && t.NamespaceSelector == nil {
		in = ns == owner
	} else {
		in = slices.Contains(t.Namespaces, ns) || t.NamespaceSelector != nil && selMatches(t.NamespaceSelector, nsLabels)
	}
	return in && t.Selector != nil && selMatches(t.Selector, labels)
}

// selMatches reports whether a label selector (not nil) matches labels.
func selMatches(s *apiserver.PodSelector, labels apiserver.Labels) bool {
	ps := podSel{sel: s}
	return ps.matches(labels)
}

// nsLabelsOf is the labels of namespace ns (see the file's comment).
func nsLabelsOf(ns string) apiserver.Labels {
	return apiserver.NamespaceLabels(ns)
}

// antiPod is a bound pod with required anti-affinity terms (Scheduler.antiPods), or
// with required affinity terms (Scheduler.affPods): the group it counts in, and on
// which node.
type antiPod struct {
	g  *antiGroup
	ni *nodeInfo
	n  int32 // times counted (a pod is counted once; kept for safety of order)
}

// antiGroup is the bound pods of one namespace with the same required anti-affinity
// (or affinity) terms (the replicas of a template, mostly), counted per node. The
// existing pods' half of the filter, and of the score, asks per term whether it
// matches the incoming pod: the answer is the same for every pod of a group, so a
// cycle asks once per group, not once per pod (10,000 replicas of 10 templates are
// 10 questions).
type antiGroup struct {
	ns     string
	terms  []apiserver.PodAffinityTerm
	wterms []apiserver.WeightedPodAffinityTerm // the preferred terms, in prefAffPods and prefAntiPods
	byNode map[*nodeInfo]int32
}

// termGroups is a registry of bound pods with terms of one kind, by key and grouped.
type termGroups struct {
	pods   map[string]*antiPod
	groups []*antiGroup
}

// antiCount registers (sign 1) or unregisters (−1) a pod counted as a on ni, if it
// has inter-pod affinity or anti-affinity terms, required or preferred.
func (sc *Scheduler) antiCount(a podAcct, ni *nodeInfo, sign int32) {
	if a.terms == nil {
		return
	}
	if t := a.terms.RequiredPodAntiAffinity; len(t) > 0 {
		sc.antiPods.count(a.key, a.ns, t, nil, ni, sign)
	}
	if t := a.terms.RequiredPodAffinity; len(t) > 0 {
		sc.affPods.count(a.key, a.ns, t, nil, ni, sign)
	}
	if t := a.terms.PreferredPodAffinity; len(t) > 0 {
		sc.prefAffPods.count(a.key, a.ns, nil, t, ni, sign)
	}
	if t := a.terms.PreferredPodAntiAffinity; len(t) > 0 {
		sc.prefAntiPods.count(a.key, a.ns, nil, t, ni, sign)
	}
}

// count registers (sign 1) or unregisters (−1) the pod of key, of namespace ns with
// terms (required registries) or wterms (preferred ones), on ni.
func (r *termGroups) count(key, ns string, terms []apiserver.PodAffinityTerm, wterms []apiserver.WeightedPodAffinityTerm, ni *nodeInfo, sign int32) {
	e := r.pods[key]
	if e == nil {
		if sign < 0 {
			return
		}
		e = &antiPod{g: r.groupFor(ns, terms, wterms)}
		if r.pods == nil {
			r.pods = map[string]*antiPod{}
		}
		r.pods[key] = e
	}
	if e.n > 0 {
		r.groupCount(e.g, e.ni, -1)
	}
	e.n += sign
	if e.n <= 0 {
		delete(r.pods, key)
		return
	}
	e.ni = ni
	r.groupCount(e.g, ni, 1)
}

// groupFor returns the group of pods of namespace ns with these terms, made when
// none has them yet.
func (r *termGroups) groupFor(ns string, terms []apiserver.PodAffinityTerm, wterms []apiserver.WeightedPodAffinityTerm) *antiGroup {
	for _, g := range r.groups {
		if g.ns == ns && samePodTerms(g.terms, terms) && sameWeightedTerms(g.wterms, wterms) {
			return g
		}
	}
	g := &antiGroup{ns: ns, terms: terms, wterms: wterms, byNode: map[*nodeInfo]int32{}}
	r.groups = append(r.groups, g)
	return g
}

// groupCount adds sign to g's count on ni; a group left with no pod goes.
func (r *termGroups) groupCount(g *antiGroup, ni *nodeInfo, sign int32) {
	if c := g.byNode[ni] + sign; c > 0 {
		g.byNode[ni] = c
		return
	}
	delete(g.byNode, ni)
	if len(g.byNode) == 0 {
		if i := slices.Index(r.groups, g); i >= 0 {
			r.groups = slices.Delete(r.groups, i, i+1)
		}
	}
}

// sameWeightedTerms reports whether two lists of preferred terms are the same,
// weights and topology keys included.
func sameWeightedTerms(a, b []apiserver.WeightedPodAffinityTerm) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i].Weight != b[i].Weight || a[i].TopologyKey != b[i].TopologyKey || !samePodTerm(&a[i].PodAffinityTerm, &b[i].PodAffinityTerm) {
			return false
		}
	}
	return true
}

// samePodTerms reports whether two lists of terms are the same, topology keys
// included; the replicas of a template share theirs, which the first test finds.
func samePodTerms(a, b []apiserver.PodAffinityTerm) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true
	}
	for i := range a {
		if a[i].TopologyKey != b[i].TopologyKey || !samePodTerm(&a[i], &b[i]) {
			return false
		}
	}
	return true
}

// termTracker counts, per node, the bound pods (terminating ones included) that
// every one of terms matches: one term of a pod's own anti-affinity, or all its
// affinity terms at once (upstream counts a pod for a pod's affinity only when it
// matches every term). The replicas of a template share their terms, so a tracker
// serves every replica's cycle; it is made by one walk of the cache when a pod
// first needs it and kept by every change the cache applies, as spreadTracker.
type termTracker struct {
	owner  string
	terms  []apiserver.PodAffinityTerm
	nsSel  bool // some term has a namespaceSelector
	byNode map[*nodeInfo]int32
}

func (t *termTracker) add(a podAcct, ni *nodeInfo, sign int32) {
	// a namespace's labels only matter to a namespaceSelector: without one, a pod's
	// add or delete allocates nothing here
	var nsl apiserver.Labels
	if t.nsSel {
		nsl = nsLabelsOf(a.ns)
	}
	for i := range t.terms {
		if !termMatches(&t.terms[i], t.owner, a.ns, a.labels, nsl) {
			return
		}
	}
	if c := t.byNode[ni] + sign; c != 0 {
		t.byNode[ni] = c
	} else {
		delete(t.byNode, ni)
	}
}

// termTrackerFor returns the tracker of the pods every one of terms (of a pod of
// namespace owner) matches.
func (sc *Scheduler) termTrackerFor(owner string, terms []apiserver.PodAffinityTerm) *termTracker {
	for _, tr := range sc.termTrackers {
		if tr.owner == owner && slices.EqualFunc(tr.terms, terms, func(a, b apiserver.PodAffinityTerm) bool { return samePodTerm(&a, &b) }) {
			return tr
		}
	}
	tr := &termTracker{owner: owner, terms: terms, byNode: map[*nodeInfo]int32{}}
	for i := range terms {
		tr.nsSel = tr.nsSel || terms[i].NamespaceSelector != nil
	}
	sc.eachCounted(func(a podAcct) { tr.add(a, sc.info(a.node), 1) })
	sc.termTrackers = append(sc.termTrackers, tr)
	return tr
}

// samePodTerm reports whether two terms select the same pods (the topology key aside).
func samePodTerm(a, b *apiserver.PodAffinityTerm) bool {
	return slices.Equal(a.Namespaces, b.Namespaces) && sameSel(a.NamespaceSelector, b.NamespaceSelector) && sameSel(a.Selector, b.Selector)
}

func sameSel(a, b *apiserver.PodSelector) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || maps.Equal(a.MatchLabels, b.MatchLabels) && slices.EqualFunc(a.MatchExpressions, b.MatchExpressions, sameRequirement)
}

// antiFilter is InterPodAffinity's PreFilter state for what it models: per own
// affinity term, the topology values (by id in the term's keyTopo) holding a pod
// every affinity term matches, whether no such pod runs on a node with any of the
// terms' keys (affNone) and whether the pod matches its own terms (affSelf); per
// own anti-affinity term, the values holding a pod it matches; per topology key of
// an existing pod's term that matches the pod, the values whose nodes it keeps the
// pod off.
type antiFilter struct {
	aff      []antiDomains
	affNone  bool
	affSelf  bool
	own      []antiDomains
	existing []antiDomains
}

type antiDomains struct {
	key    string
	topo   *keyTopo
	marked []bool // by value id: holding a pod the term matches (own terms) or kept off (existing pods' terms)
}

// existingFor returns the domains of topology key for existing pods' terms, added
// when the key is new to f.
func (f *antiFilter) existingFor(sc *Scheduler, key string) *antiDomains {
	for i := range f.existing {
		if f.existing[i].key == key {
			return &f.existing[i]
		}
	}
	topo := sc.topoFor(key)
	f.existing = append(f.existing, antiDomains{key: key, topo: topo, marked: make([]bool, len(topo.names))})
	return &f.existing[len(f.existing)-1]
}

// interPreFilter computes p's state; nil when InterPodAffinity's filter has nothing
// to say (no own term, and no bound pod's term matches p: upstream's Skip).
func (sc *Scheduler) interPreFilter(p *apiserver.Pod) *antiFilter {
	if len(p.RequiredPodAntiAffinity) == 0 && len(p.RequiredPodAffinity) == 0 && len(sc.antiPods.pods) == 0 {
		return nil
	}
	f := &antiFilter{}
	if terms := p.RequiredPodAffinity; len(terms) > 0 {
		f.affNone, f.affSelf = true, true
		nsl := nsLabelsOf(p.Namespace)
		for i := range terms {
			f.affSelf = f.affSelf && termMatches(&terms[i], p.Namespace, p.Namespace, p.Labels, nsl)
			topo := sc.topoFor(terms[i].TopologyKey)
			f.aff = append(f.aff, antiDomains{key: terms[i].TopologyKey, topo: topo, marked: make([]bool, len(topo.names))})
		}
		for ni := range sc.termTrackerFor(p.Namespace, terms).byNode { // map order: marks only
			if ni.node == nil {
				continue
			}
			for i := range f.aff {
				if id := f.aff[i].topo.ids[ni.idx]; id >= 0 {
					f.aff[i].marked[id] = true
					f.affNone = false
				}
			}
		}
	}
	for i := range p.RequiredPodAntiAffinity {
		t := &p.RequiredPodAntiAffinity[i]
		d := antiDomains{topo: sc.topoFor(t.TopologyKey)}
		d.marked = make([]bool, len(d.topo.names))
		for ni := range sc.termTrackerFor(p.Namespace, p.RequiredPodAntiAffinity[i:i+1]).byNode { // map order: marks only
			if ni.node != nil {
				if id := d.topo.ids[ni.idx]; id >= 0 {
					d.marked[id] = true
				}
			}
		}
		f.own = append(f.own, d)
	}
	if len(sc.antiPods.groups) > 0 {
		nsl := nsLabelsOf(p.Namespace)
		for _, g := range sc.antiPods.groups {
			for i := range g.terms {
				t := &g.terms[i]
				if !termMatches(t, g.ns, p.Namespace, p.Labels, nsl) {
					continue
				}
				d := f.existingFor(sc, t.TopologyKey)
				for ni := range g.byNode { // map order: marks only
					if ni.node != nil {
						if id := d.topo.ids[ni.idx]; id >= 0 {
							d.marked[id] = true
						}
					}
				}
			}
		}
		// keys in the order of first match: the verdict is the same in any order
	}
	if len(f.aff) == 0 && len(f.own) == 0 && len(f.existing) == 0 {
		return nil
	}
	return f
}

// verdict is InterPodAffinity's Filter on node ni for the pod f was computed for.
func (f *antiFilter) verdict(ni *nodeInfo) failCode {
	if len(f.aff) > 0 {
		// every term's key on the node, and a matching pod in each of its domains;
		// or, while no pod matches anywhere, a pod that matches its own terms
		inAll := true
		for i := range f.aff {
			id := f.aff[i].topo.ids[ni.idx]
			if id < 0 {
				return failPodAffinity
			}
			inAll = inAll && f.aff[i].marked[id]
		}
		if !inAll && !(f.affNone && f.affSelf) {
			return failPodAffinity
		}
	}
	for i := range f.own {
		if id := f.own[i].topo.ids[ni.idx]; id >= 0 && f.own[i].marked[id] {
			return failAntiAffinity
		}
	}
	for i := range f.existing {
		if id := f.existing[i].topo.ids[ni.idx]; id >= 0 && f.existing[i].marked[id] {
			return failExistingAnti
		}
	}
	return fitOK
}

// interScores adds InterPodAffinity's score (weight 2) to the scores of the nodes of
// order. Every term below that matches adds its weight (affinity) or takes it
// (anti-affinity) once per pod it concerns to every node that has the value of the
// term's key that the node of that pod has:
//   - p's own preferred terms, per bound pod they match (with that pod's namespace);
//   - a bound pod's required affinity terms that match p (read with p's namespace
//     labels), weight 1 (hardPodAffinityWeight), and its preferred terms that match
//     p, with their weights.
//
// NormalizeScore then maps the nodes' sums onto 0–100 between the lowest and the
// highest (all 0 when they are equal), negative sums included. Nothing is added
// while no term matches.
func (sc *Scheduler) interScores(p *apiserver.Pod, order []*nodeInfo, scores []int64) {
	// per topology key a term names, the sums by value id of the key's keyTopo
	keys := sc.interKeys[:0]
	nsl := nsLabelsOf(p.Namespace)
	for _, g := range sc.affPods.groups {
		for i := range g.terms {
			t := &g.terms[i]
			if termMatches(t, g.ns, p.Namespace, p.Labels, nsl) {
				keys = sc.interAdd(keys, t.TopologyKey, g.byNode, 1)
			}
		}
	}
	for r, sign := range [2]int64{1, -1} {
		reg := &sc.prefAffPods
		if r == 1 {
			reg = &sc.prefAntiPods
		}
		for _, g := range reg.groups {
			for i := range g.wterms {
				t := &g.wterms[i]
				if termMatches(&t.PodAffinityTerm, g.ns, p.Namespace, p.Labels, nsl) {
					keys = sc.interAdd(keys, t.TopologyKey, g.byNode, sign*int64(t.Weight))
				}
			}
		}
	}
	for r, sign := range [2]int64{1, -1} {
		own := p.PreferredPodAffinity
		if r == 1 {
			own = p.PreferredPodAntiAffinity
		}
		for i := range own {
			t := &own[i]
			tr := sc.termTrackerFor(p.Namespace, []apiserver.PodAffinityTerm{t.PodAffinityTerm})
			keys = sc.interAdd(keys, t.TopologyKey, tr.byNode, sign*int64(t.Weight))
		}
	}
	sc.interKeys = keys[:0]
	if len(keys) == 0 {
		return
	}
	raw := sc.affinity[:0]
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, ni := range order {
		var r int64
		for i := range keys {
			if id := keys[i].topo.ids[ni.idx]; id >= 0 {
				r += keys[i].sums[id]
			}
		}
		raw = append(raw, r)
		lo, hi = min(lo, r), max(hi, r)
	}
	if hi > lo {
		for i, r := range raw {
			scores[i] += 2 * int64(float64(MaxNodeScore)*(float64(r-lo)/float64(hi-lo)))
		}
	}
	sc.affinity = raw[:0]
	clear(keys[:cap(keys)]) // keep no keyTopo alive
}

// interAdd adds w times the count of each node of byNode to the sums of key (added
// to keys when new) at the node's value of it, and returns keys.
func (sc *Scheduler) interAdd(keys []interKey, key string, byNode map[*nodeInfo]int32, w int64) []interKey {
	j := slices.IndexFunc(keys, func(k interKey) bool { return k.key == key })
	if j < 0 {
		topo := sc.topoFor(key)
		keys = append(keys, interKey{key: key, topo: topo, sums: make([]int64, len(topo.names))})
		j = len(keys) - 1
	}
	k := &keys[j]
	for ni, c := range byNode { // map order: sums only
		if ni.node == nil {
			continue
		}
		if id := k.topo.ids[ni.idx]; id >= 0 {
			k.sums[id] += w * int64(c)
		}
	}
	return keys
}

// interScored reports whether InterPodAffinity scores p: it has preferred terms of
// its own, or some bound pod has required affinity or preferred terms (upstream's
// PreScore skips the others, which all score 0).
func (sc *Scheduler) interScored(p *apiserver.Pod) bool {
	return len(p.PreferredPodAffinity) > 0 || len(p.PreferredPodAntiAffinity) > 0 ||
		len(sc.affPods.groups) > 0 || len(sc.prefAffPods.groups) > 0 || len(sc.prefAntiPods.groups) > 0
}

// hasPodAffinity reports whether p has required affinity terms of its own.
func hasPodAffinity(p *apiserver.Pod) bool { return len(p.RequiredPodAffinity) > 0 }

// hasPodAnti reports whether p has required anti-affinity terms of its own.
func hasPodAnti(p *apiserver.Pod) bool { return len(p.RequiredPodAntiAffinity) > 0 }

// interKey is InterPodAffinity's score state for one topology key: the sums of the
// matching terms' pods by value id of topo. A key no counted pod's node has sums
// to 0 everywhere, which leaves every node's total as it is (upstream leaves it out).
type interKey struct {
	key  string
	topo *keyTopo
	sums []int64
}
