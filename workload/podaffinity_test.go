package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

// affTerm is a required affinity term over key for pods with labels sel.
func affTerm(key string, sel map[string]string) apiserver.PodAffinityTerm {
	return apiserver.PodAffinityTerm{Selector: &apiserver.PodSelector{MatchLabels: sel}, TopologyKey: key}
}

// affPodOf is a pending pod of ns with labels and required affinity terms.
func affPodOf(ns, name string, labels map[string]string, terms ...apiserver.PodAffinityTerm) *apiserver.Pod {
	return &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: ns, Name: name, Labels: apiserver.NewLabels(labels)},
		PodSpec: &apiserver.PodSpec{RequiredPodAffinity: terms}}
}

var cacheLabels = map[string]string{"app": "cache"}

// allExcept is the verdicts of nodes: code for each, ok for the named ones.
func allExcept(nodes []string, code failCode, ok ...string) map[string]failCode {
	out := map[string]failCode{}
	for _, n := range nodes {
		out[n] = code
	}
	for _, n := range ok {
		out[n] = fitOK
	}
	return out
}

// Required pod affinity worked out by hand from upstream's Filter
// (satisfyPodAffinity, nodeTopologyMatchesAffinity without the hostname fast path):
// zones a, b, c of two nodes each, node x without a zone.
func TestPodAffinityFilterAsUpstream(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(2, "a", "b", "c")
	w.addNode("x", nil)
	w.run(time.Second)
	nodes := []string{"a-0", "a-1", "b-0", "b-1", "c-0", "c-1", "x"}
	const aff = failPodAffinity
	zoneCache := affTerm(apiserver.LabelZone, cacheLabels)

	// no cache pod anywhere, and the web pod does not match its own term: no node
	require.Equal(t, allExcept(nodes, aff), w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache)))
	// the first of a group with affinity to itself: every node with the key passes
	// (the self-match exception), x lacks the key and fails all the same
	self := affTerm(apiserver.LabelZone, webLabels)
	require.Equal(t, allExcept(nodes, aff, "a-0", "a-1", "b-0", "b-1", "c-0", "c-1"), w.antiVerdicts(affPodOf("default", "web", webLabels, self)))
	// self-matching on one term only is not enough
	require.Equal(t, allExcept(nodes, aff), w.antiVerdicts(affPodOf("default", "web", webLabels, self, zoneCache)))

	// a cache pod on x, which has no zone: counted nowhere, so the exception still
	// holds for a self-matching pod, and a pod that does not match itself fits nowhere
	w.bind(t, affPodOf("default", "cx", cacheLabels), "x")
	w.run(2 * time.Second)
	require.Equal(t, allExcept(nodes, aff), w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache)))
	selfAndCache := affTerm(apiserver.LabelZone, nil) // {}: every pod of default, itself included
	selfAndCache.Selector = &apiserver.PodSelector{}
	require.Equal(t, allExcept(nodes, aff, "a-0", "a-1", "b-0", "b-1", "c-0", "c-1"), w.antiVerdicts(affPodOf("default", "web", webLabels, selfAndCache)),
		"{} matches cx, but on x, which has no zone: the counts are empty and the pod matches itself")

	// a cache pod in zone b: its zone passes, the others and x fail
	w.bind(t, affPodOf("default", "c1", cacheLabels), "b-1")
	w.run(3 * time.Second)
	require.Equal(t, allExcept(nodes, aff, "b-0", "b-1"), w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache)))
	// hostname: the cache pods' nodes (x has a hostname, and cx)
	require.Equal(t, allExcept(nodes, aff, "b-1", "x"), w.antiVerdicts(affPodOf("default", "web", webLabels, affTerm(apiserver.LabelHostname, cacheLabels))))
	// once a pod matches, the exception is gone: a self-matching {} term follows c1
	require.Equal(t, allExcept(nodes, aff, "b-0", "b-1"), w.antiVerdicts(affPodOf("default", "web", webLabels, selfAndCache)))
	// another namespace's cache is not the term's unless listed
	require.Equal(t, allExcept(nodes, aff), w.antiVerdicts(affPodOf("other", "web", webLabels, zoneCache)))
	listed := zoneCache
	listed.Namespaces = []string{"default"}
	require.Equal(t, allExcept(nodes, aff, "b-0", "b-1"), w.antiVerdicts(affPodOf("other", "web", webLabels, listed)))

	// two terms must be met by one pod: a tier=backend pod in zone c matches the second
	// term but not the first, c1 the first but not the second
	backend := affTerm(apiserver.LabelZone, map[string]string{"tier": "backend"})
	w.bind(t, affPodOf("default", "b1", map[string]string{"tier": "backend"}), "c-0")
	w.run(4 * time.Second)
	require.Equal(t, allExcept(nodes, aff), w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache, backend)))
	// a pod matching both, in zone a: zone a only
	w.bind(t, affPodOf("default", "cb", map[string]string{"app": "cache", "tier": "backend"}), "a-1")
	w.run(5 * time.Second)
	require.Equal(t, allExcept(nodes, aff, "a-0", "a-1"), w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache, backend)))
	// a zone term and a hostname term met by that pod: its node only
	require.Equal(t, allExcept(nodes, aff, "a-1"), w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache, affTerm(apiserver.LabelHostname, map[string]string{"tier": "backend"}))))

	// affinity is checked before anti-affinity: a web pod on b-0 and a pod with zone
	// affinity to the cache and hostname anti-affinity to web fails b-0 for
	// anti-affinity, a-0 (cache cb in zone a, c1 in b) passes, c-0 fails affinity
	w.bind(t, affPodOf("default", "w0", webLabels), "b-0")
	w.run(6 * time.Second)
	both := affPodOf("default", "web", webLabels, zoneCache)
	both.RequiredPodAntiAffinity = []apiserver.PodAffinityTerm{antiTerm(apiserver.LabelHostname)}
	v := w.antiVerdicts(both)
	require.Equal(t, failAntiAffinity, v["b-0"])
	require.Equal(t, fitOK, v["b-1"])
	require.Equal(t, fitOK, v["a-0"])
	require.Equal(t, aff, v["c-0"])
	require.Equal(t, aff, v["x"])

	// a terminating cache pod still counts
	_, err := w.s.Pods.Patch(w.c, "default/c1", func(p *apiserver.Pod) error { p.Deleting = true; return nil })
	require.NoError(t, err)
	w.run(7 * time.Second)
	require.Equal(t, fitOK, w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache))["b-0"])
	// deleted, it no longer does
	require.NoError(t, w.s.Pods.Delete(w.c, "default/c1", apiserver.DeleteOptions{}))
	w.run(8 * time.Second)
	require.Equal(t, aff, w.antiVerdicts(affPodOf("default", "web", webLabels, zoneCache))["b-0"])

	// A bound pod's affinity terms keep no other pod anywhere: with a bound pod whose
	// zone term names app=db (which runs nowhere), a db pod without terms skips the
	// filter, unlike anti-affinity (symmetric).
	w.bind(t, affPodOf("default", "needsdb", map[string]string{"app": "needsdb"}, affTerm(apiserver.LabelZone, map[string]string{"app": "db"})), "a-0")
	w.run(9 * time.Second)
	require.Nil(t, w.sched.interPreFilter(affPodOf("default", "db", map[string]string{"app": "db"})))
}

// Replicas with zone affinity to their own group: the first goes anywhere with a
// zone (the self-match exception), the rest follow it into its zone; a replica
// that fits no node of that zone (full) stays Pending with the affinity reason on
// the other nodes.
func TestPodAffinityReplicasFollowFirst(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(2, "a", "b", "c")
	w.addNode("x", nil)
	w.run(time.Second)
	self := affTerm(apiserver.LabelZone, webLabels)
	for i := range 4 {
		_, err := w.s.Pods.Create(w.c, affPodOf("default", fmt.Sprintf("w%d", i), webLabels, self))
		require.NoError(t, err)
	}
	w.run(10 * time.Second)
	zones := map[string]bool{}
	for i := range 4 {
		n := w.podNode(fmt.Sprintf("default/w%d", i))
		require.NotEqual(t, "", n)
		require.NotEqual(t, "x", n, "x has no zone")
		zones[n[:1]] = true
	}
	require.Len(t, zones, 1, "one zone for the group")
}

// A pod whose affinity term matches nothing and not itself is unschedulable
// everywhere with upstream's reason, and a node without the term's key fails too.
func TestPodAffinityUnschedulableMessage(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(1, "a", "b")
	w.addNode("x", nil)
	w.run(time.Second)
	w.bind(t, affPodOf("default", "c", cacheLabels), "x")
	_, err := w.s.Pods.Create(w.c, affPodOf("default", "web", webLabels, affTerm(apiserver.LabelZone, cacheLabels)))
	require.NoError(t, err)
	w.run(5 * time.Second)
	p, _ := w.s.Pods.Peek("default/web")
	require.Equal(t, "", p.NodeName)
	require.Equal(t, "0/3 nodes are available: 3 node(s) didn't match pod affinity rules.", p.Condition(apiserver.PodScheduled).Message)
	require.Equal(t, rejInterPod, w.sched.queued["default/web"].rej)
}

// The queue for a pod InterPodAffinity rejected for its affinity, per version. An
// assigned pod added that matches its term moves it in every version (1.31's
// cross-topology pre-filter picks it; 1.33's and 1.37's hints queue it), one that
// does not match leaves it. A bound pod's deletion moves it without hints (1.31)
// only. A node added with the term's key is queued by the hints, one without is not
// (1.31: any node added moves it, preCheck passing); a node gaining the key moves it
// in all versions and it binds there.
func TestPodAffinityQueuePerVersion(t *testing.T) {
	zoneCache := affTerm(apiserver.LabelZone, cacheLabels)
	waiting := func(t *testing.T, minor int) *world {
		w := newWorldWith(t, 1, SchedulerConfigFor(minor))
		w.addNode("n1", nil) // no zone: fails the term
		w.run(time.Second)
		w.bind(t, affPodOf("default", "other", map[string]string{"app": "other"}), "n1")
		_, err := w.s.Pods.Create(w.c, affPodOf("default", "web", webLabels, zoneCache))
		require.NoError(t, err)
		w.run(30 * time.Second) // past the backoff: in the unschedulable pool
		require.Equal(t, "", w.podNode("default/web"))
		require.Equal(t, rejInterPod, w.sched.queued["default/web"].rej)
		return w
	}
	for _, minor := range []int{31, 33, 37} {
		t.Run(fmt.Sprintf("pod added 1.%d", minor), func(t *testing.T) {
			w := waiting(t, minor)
			w.addNode("z1", map[string]string{apiserver.LabelZone: "a"})
			w.run(40 * time.Second)
			attempts := w.attempts("default/web")
			w.bind(t, affPodOf("default", "dummy", map[string]string{"app": "dummy"}), "z1")
			w.run(50 * time.Second)
			require.Equal(t, attempts, w.attempts("default/web"), "a pod the term does not match")
			w.bind(t, affPodOf("default", "cache", cacheLabels), "z1")
			w.run(51 * time.Second)
			require.Equal(t, "z1", w.podNode("default/web"), "a cache pod moves it at once")
		})
		t.Run(fmt.Sprintf("pod deleted 1.%d", minor), func(t *testing.T) {
			w := waiting(t, minor)
			attempts := w.attempts("default/web")
			require.NoError(t, w.s.Pods.Delete(w.c, "default/other", apiserver.DeleteOptions{}))
			w.run(40 * time.Second)
			if minor < 32 {
				require.Equal(t, attempts+1, w.attempts("default/web"), "1.31: every pod InterPodAffinity rejected moves")
			} else {
				require.Equal(t, attempts, w.attempts("default/web"), "the hint asks about anti-affinity only")
			}
		})
		t.Run(fmt.Sprintf("node added 1.%d", minor), func(t *testing.T) {
			w := waiting(t, minor)
			attempts := w.attempts("default/web")
			w.addNode("n2", nil)
			w.run(40 * time.Second)
			if minor < 32 {
				require.Equal(t, attempts+1, w.attempts("default/web"), "1.31: Node/Add moves it")
			} else {
				require.Equal(t, attempts, w.attempts("default/web"), "no term's key on the node")
			}
			attempts = w.attempts("default/web")
			w.addNode("n3", map[string]string{apiserver.LabelZone: "a"})
			w.run(60 * time.Second)
			require.Equal(t, attempts+1, w.attempts("default/web"), "a node with the key moves it (and it fails again: no cache)")
		})
		t.Run(fmt.Sprintf("node labelled 1.%d", minor), func(t *testing.T) {
			w := waiting(t, minor)
			w.bind(t, affPodOf("default", "cache", cacheLabels), "n1") // n1 has no zone: counted nowhere
			w.run(40 * time.Second)
			require.Equal(t, "", w.podNode("default/web"))
			attempts := w.attempts("default/web")
			_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Labels = n.Labels.With("team", "x"); return nil })
			require.NoError(t, err)
			w.run(50 * time.Second)
			if minor < 32 {
				require.Equal(t, attempts+1, w.attempts("default/web"), "1.31: UpdateNodeLabel moves it")
			} else {
				require.Equal(t, attempts, w.attempts("default/web"), "the term's key is still absent: not queued")
			}
			_, err = w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Labels = n.Labels.With(apiserver.LabelZone, "a"); return nil })
			require.NoError(t, err)
			w.run(51 * time.Second)
			require.Equal(t, "n1", w.podNode("default/web"), "n1 gained the key: queued, and the cache now counts")
		})
	}
}

// InterPodAffinity's score for bound pods' required affinity terms, worked out by
// hand from upstream's PreScore (processExistingPod, hardPodAffinityWeight 1),
// Score and NormalizeScore, weight 2: web pods needing app=cache in their zone, two
// in zone b and one in zone c, raise those zones for a cache pod in proportion
// (b 100, c 50, normalized between the lowest and the highest), and not for a pod
// their terms do not match; a hostname term raises its pod's node only. The cache
// pod then binds in zone b.
func TestPodAffinityScoreOfBoundTerms(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(1, "a", "b", "c")
	w.addNode("x", nil)
	w.run(time.Second)
	zoneCache := affTerm(apiserver.LabelZone, cacheLabels)
	w.bind(t, affPodOf("default", "w1", webLabels, zoneCache), "b-0")
	w.bind(t, affPodOf("default", "w2", webLabels, zoneCache), "b-0")
	w.bind(t, affPodOf("default", "w3", webLabels, zoneCache), "c-0")
	w.run(2 * time.Second)
	order := []*nodeInfo{w.sched.infos["a-0"], w.sched.infos["b-0"], w.sched.infos["c-0"], w.sched.infos["x"]}
	scores := func(p *apiserver.Pod) []int64 {
		s := make([]int64, len(order))
		if w.sched.interScored(p) {
			w.sched.interScores(p, order, s)
		}
		return s
	}
	require.Equal(t, []int64{0, 200, 100, 0}, scores(affPodOf("default", "cache", cacheLabels)))
	require.Equal(t, []int64{0, 0, 0, 0}, scores(affPodOf("default", "db", map[string]string{"app": "db"})))
	require.Equal(t, []int64{0, 0, 0, 0}, scores(affPodOf("other", "cache", cacheLabels)), "the terms are for default only")
	// a third zone-b pod's hostname term on x: b 3, c 1, x 1 (hostname x), a 0
	w.bind(t, affPodOf("default", "w4", webLabels, affTerm(apiserver.LabelHostname, cacheLabels)), "x")
	w.run(3 * time.Second)
	require.Equal(t, []int64{0, 200, 2 * 50, 2 * 50}, scores(affPodOf("default", "cache", cacheLabels)))
	w.bind(t, affPodOf("default", "w5", webLabels, zoneCache), "b-0")
	w.run(4 * time.Second)
	// b 3, c 1, x 1: 1/3 of 100 truncated, as upstream's int64(float64)
	require.Equal(t, []int64{0, 200, 2 * 33, 2 * 33}, scores(affPodOf("default", "cache", cacheLabels)))
	w.bind(t, affPodOf("default", "w6", webLabels, zoneCache), "c-0")
	w.run(5 * time.Second)
	// b 3, c 2, x 1: 2/3 of 100 is 66, not 67
	require.Equal(t, []int64{0, 200, 2 * 66, 2 * 33}, scores(affPodOf("default", "cache", cacheLabels)))

	_, err := w.s.Pods.Create(w.c, affPodOf("default", "cache", cacheLabels))
	require.NoError(t, err)
	w.run(10 * time.Second)
	require.Equal(t, "b-0", w.podNode("default/cache"))
	// once they are gone, nothing is scored
	for _, n := range []string{"w1", "w2", "w3", "w4", "w5", "w6"} {
		require.NoError(t, w.s.Pods.Delete(w.c, "default/"+n, apiserver.DeleteOptions{}))
	}
	w.run(11 * time.Second)
	require.Empty(t, w.sched.affPods.groups)
}

// prefTerm is a preferred term of weight w on key for pods with labels sel.
func prefTerm(w int32, key string, sel map[string]string) apiserver.WeightedPodAffinityTerm {
	return apiserver.WeightedPodAffinityTerm{Weight: w, PodAffinityTerm: affTerm(key, sel)}
}

// prefPodOf is a pending pod of ns with labels and preferred affinity (aff) and
// anti-affinity (anti) terms.
func prefPodOf(ns, name string, labels map[string]string, aff, anti []apiserver.WeightedPodAffinityTerm) *apiserver.Pod {
	return &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: ns, Name: name, Labels: apiserver.NewLabels(labels)},
		PodSpec: &apiserver.PodSpec{PreferredPodAffinity: aff, PreferredPodAntiAffinity: anti}}
}

// InterPodAffinity's score for preferred terms, worked out by hand from upstream's
// PreScore (processExistingPod), Score and NormalizeScore, weight 2. Nodes a-0, b-0,
// c-0 in zones a, b, c and x without a zone.
func TestPodAffinityScoreOfPreferredTerms(t *testing.T) {
	mk := func(t *testing.T) (*world, []*nodeInfo) {
		w := newWorld(t, 1)
		w.zonedNodes(1, "a", "b", "c")
		w.addNode("x", nil)
		w.run(time.Second)
		return w, []*nodeInfo{w.sched.infos["a-0"], w.sched.infos["b-0"], w.sched.infos["c-0"], w.sched.infos["x"]}
	}
	scores := func(w *world, order []*nodeInfo, p *apiserver.Pod) []int64 {
		s := make([]int64, len(order))
		if w.sched.interScored(p) {
			w.sched.interScores(p, order, s)
		}
		return s
	}
	t.Run("own terms", func(t *testing.T) {
		w, order := mk(t)
		w.bind(t, affPodOf("default", "c1", cacheLabels), "b-0")
		w.bind(t, affPodOf("default", "c2", cacheLabels), "b-0")
		w.bind(t, affPodOf("default", "c3", cacheLabels), "c-0")
		w.bind(t, affPodOf("default", "c4", cacheLabels), "x")
		w.bind(t, affPodOf("other", "c5", cacheLabels), "a-0") // another namespace: no term's
		w.run(2 * time.Second)
		plain := affPodOf("default", "plain", webLabels)
		require.False(t, w.sched.interScored(plain), "no terms anywhere: PreScore skips")
		// zone affinity 10: a 0, b 20, c 10, x 0 (no zone)
		aff := []apiserver.WeightedPodAffinityTerm{prefTerm(10, apiserver.LabelZone, cacheLabels)}
		require.Equal(t, []int64{0, 200, 100, 0}, scores(w, order, prefPodOf("default", "web", webLabels, aff, nil)))
		// and hostname anti-affinity 4: a 0, b 20-8=12, c 10-4=6, x -4; between -4
		// and 12: a 4/16 (25), b 100, c 10/16 (62.5, truncated), x 0
		anti := []apiserver.WeightedPodAffinityTerm{prefTerm(4, apiserver.LabelHostname, cacheLabels)}
		require.Equal(t, []int64{50, 200, 124, 0}, scores(w, order, prefPodOf("default", "web", webLabels, aff, anti)))
		// anti-affinity alone: a 0, b -8, c -4, x -4
		require.Equal(t, []int64{200, 0, 100, 100}, scores(w, order, prefPodOf("default", "web", webLabels, nil, anti)))
		// in namespace other only c5 counts: a 10 for affinity, others 0
		require.Equal(t, []int64{200, 0, 0, 0}, scores(w, order, prefPodOf("other", "web", webLabels, aff, nil)))
		// bound pods without terms never pay for the plain pod
		require.Empty(t, w.sched.prefAffPods.groups)
		require.Empty(t, w.sched.prefAntiPods.groups)
	})
	t.Run("bound pods' terms", func(t *testing.T) {
		w, order := mk(t)
		w.bind(t, prefPodOf("default", "w1", webLabels, []apiserver.WeightedPodAffinityTerm{prefTerm(10, apiserver.LabelZone, cacheLabels)}, nil), "b-0")
		w.bind(t, prefPodOf("default", "w2", webLabels, nil, []apiserver.WeightedPodAffinityTerm{prefTerm(4, apiserver.LabelZone, cacheLabels)}), "c-0")
		w.bind(t, affPodOf("default", "w3", webLabels, affTerm(apiserver.LabelHostname, cacheLabels)), "x")
		w.run(2 * time.Second)
		// a 0, b 10, c -4, x 1 (hardPodAffinityWeight); between -4 and 10: a 4/14
		// (28), b 100, c 0, x 5/14 (35)
		cache := affPodOf("default", "cache", cacheLabels)
		require.True(t, w.sched.interScored(cache))
		require.Equal(t, []int64{56, 200, 0, 70}, scores(w, order, cache))
		require.Equal(t, []int64{0, 0, 0, 0}, scores(w, order, affPodOf("default", "db", map[string]string{"app": "db"})))
		require.Equal(t, []int64{0, 0, 0, 0}, scores(w, order, affPodOf("other", "cache", cacheLabels)), "the terms are for default only")
		// a second w1 in zone b: its weight counts per pod, b 20
		w.bind(t, prefPodOf("default", "w4", webLabels, []apiserver.WeightedPodAffinityTerm{prefTerm(10, apiserver.LabelZone, cacheLabels)}, nil), "b-0")
		w.run(3 * time.Second)
		// a 0, b 20, c -4, x 1: a 4/24 (16), c 0, x 5/24 (20)
		require.Equal(t, []int64{32, 200, 0, 40}, scores(w, order, cache))
		// the cache pod binds in zone b
		_, err := w.s.Pods.Create(w.c, cache)
		require.NoError(t, err)
		w.run(10 * time.Second)
		require.Equal(t, "b-0", w.podNode("default/cache"))
		for _, n := range []string{"w1", "w2", "w3", "w4"} {
			require.NoError(t, w.s.Pods.Delete(w.c, "default/"+n, apiserver.DeleteOptions{}))
		}
		w.run(11 * time.Second)
		require.Empty(t, w.sched.prefAffPods.groups)
		require.Empty(t, w.sched.prefAntiPods.groups)
		require.False(t, w.sched.interScored(affPodOf("default", "plain", webLabels)))
	})
}
