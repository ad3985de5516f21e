package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// zonedNodes adds count nodes per zone, named "<zone>-<i>".
func (w *world) zonedNodes(count int, zones ...string) {
	for _, z := range zones {
		for i := range count {
			w.addNode(fmt.Sprintf("%s-%d", z, i), map[string]string{apiserver.LabelZone: z})
		}
	}
}

// replicaSets creates bare ReplicaSets of the given names selecting app=web, with no
// replicas (the tests stop the ReplicaSet controller or create the pods themselves).
func (w *world) replicaSets(t require.TestingT, names ...string) []*apiserver.ReplicaSet {
	var sets []*apiserver.ReplicaSet
	for _, name := range names {
		rs, err := w.s.ReplicaSets.Create(w.c, &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
			Selector: apiserver.LabelSelector{"app": "web"}})
		require.NoError(t, err)
		sets = append(sets, rs)
	}
	return sets
}

// ownedPod is a pod of ReplicaSet rs, bound to node (unbound if "").
func ownedPod(rs *apiserver.ReplicaSet, name, node string) *apiserver.Pod {
	return &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name, Labels: apiserver.NewLabels(map[string]string{"app": "web"}),
		OwnerReferences: []apiserver.OwnerReference{{Kind: KindReplicaSet, Name: rs.Name, UID: rs.UID, Controller: true}}},
		NodeName: node, PodSpec: &apiserver.PodSpec{}}
}

// The score of the system default constraints, checked by hand against upstream's
// formula (podtopologyspread/scoring.go): 9 feasible nodes in 3 zones, the
// ReplicaSet's pods one on each node but b-0. Weights ln(9+2) = 2.398 (hostname) and
// ln(3+2) = 1.609 (zone); raw scores, rounded: b-0 0·2.398+2 + 2·1.609+4 = 9.22 → 9;
// b-1, b-2 1·2.398+2 + 2·1.609+4 = 11.62 → 12; zones a and c 2.398+2 + 3·1.609+4 =
// 13.23 → 13. Normalized 100·(13+9−s)/13: 100, 76 and 69, times the weight 2.
func TestSpreadScoresAsUpstream(t *testing.T) {
	w := newWorld(t, 1)
	w.rs.Stop()
	w.zonedNodes(3, "a", "b", "c")
	rs, err := w.s.ReplicaSets.Create(w.c, &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
		Replicas: 9, Selector: apiserver.LabelSelector{"app": "web"}})
	require.NoError(t, err)
	for i, node := range []string{"a-0", "a-1", "a-2", "b-1", "b-2", "c-0", "c-1", "c-2"} {
		_, err := w.s.Pods.Create(w.c, ownedPod(rs, fmt.Sprintf("p%d", i), node))
		require.NoError(t, err)
	}
	w.run(time.Second)
	pend := ownedPod(rs, "next", "")
	var order []*nodeInfo
	for _, name := range []string{"a-0", "a-1", "a-2", "b-0", "b-1", "b-2", "c-0", "c-1", "c-2"} {
		order = append(order, w.sched.infos[name])
	}
	scores := make([]int64, len(order))
	w.sched.spreadScores(pend, order, scores)
	require.Equal(t, []int64{138, 138, 138, 200, 152, 152, 138, 138, 138}, scores)

	// A pod that no ReplicaSet selects gets no spread score (upstream skips it).
	bare := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "bare"}, PodSpec: &apiserver.PodSpec{}}
	clear(scores)
	w.sched.spreadScores(bare, order, scores)
	require.Equal(t, make([]int64, len(order)), scores)

	// Nodes outside the pod's required node affinity do not count in their zone
	// (nodeAffinityPolicy Honor): with a selector matching b-0 alone, zone b counts
	// none of its pods; b-0 keeps the best score.
	_, err = w.s.Nodes.Patch(w.c, "b-0", func(n *apiserver.Node) error {
		n.Labels = apiserver.NewLabels(n.Labels.Map())
		n.Labels = n.Labels.With("disk", "ssd")
		return nil
	})
	require.NoError(t, err)
	w.run(2 * time.Second)
	picky := ownedPod(rs, "picky", "")
	picky.PodSpec = &apiserver.PodSpec{NodeSelector: map[string]string{"disk": "ssd"}}
	clear(scores)
	w.sched.spreadScores(picky, order, scores)
	// zone counts 0 everywhere: b-0 0+2+0+4 = 6; others 2.398+2+0+4 = 8.40 → 8;
	// normalized 100·(8+6−s)/8: 100 and 75
	require.Equal(t, []int64{150, 150, 150, 200, 150, 150, 150, 150, 150}, scores)
}

// A Deployment's replicas spread one per node, the node that already runs another pod
// included: PodTopologySpread (weight 2) outweighs LeastAllocated's preference for
// the emptier nodes (weight 1).
func TestDeploymentSpreadsOverNodes(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(3, "a", "b", "c")
	// pinned requests 1.5 CPUs: LeastAllocated alone puts the ninth replica on a node
	// that has one (score 81) rather than on b-0 (70)
	_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "pinned"}, NodeName: "b-0",
		PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: 1500}}})
	require.NoError(t, err)
	_, err = w.s.Deployments.Create(w.c, webDeployment(9))
	require.NoError(t, err)
	w.run(time.Minute)
	for _, z := range []string{"a", "b", "c"} {
		for i := range 3 {
			node := fmt.Sprintf("%s-%d", z, i)
			web := 0
			for _, p := range w.podsOn(node) {
				if p.Labels.Get("app") == "web" {
					web++
				}
			}
			require.Equal(t, 1, web, "web pods on %s", node)
		}
	}
}

// Among nodes with the best score the scheduler draws one, from its Rand: the same
// seed picks the same node, and over seeds every tied node is picked.
func TestTiesDrawnAmongBest(t *testing.T) {
	pick := func(seed uint64) string {
		cfg := DefaultSchedulerConfig()
		cfg.Rand = sim.NewRand(seed, "scheduler")
		w := newWorldWith(t, 1, cfg)
		for i := range 4 {
			w.addNode(fmt.Sprintf("n%d", i), nil)
		}
		_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "p"}})
		require.NoError(t, err)
		w.run(time.Second)
		defer w.stop()
		return w.podNode("default/p")
	}
	seen := map[string]bool{}
	for seed := range uint64(40) {
		node := pick(seed)
		require.Equal(t, node, pick(seed), "seed %d", seed)
		seen[node] = true
	}
	require.Len(t, seen, 4, "every tied node is drawn: %v", seen)
}

// A ReplicaSet first counted while the scheduler has bound one of its pods and its
// cache does not show the binding yet counts that pod (as assumed) once, on its node.
func TestSpreadCountsAssumedPods(t *testing.T) {
	cfg := DefaultSchedulerConfig()
	cfg.WatchLatency = 150 * time.Millisecond
	w := newWorldWith(t, 1, cfg)
	w.rs.Stop()
	w.addNode("n0", nil)
	rs := w.replicaSets(t, "x")[0]
	w.run(time.Second)
	_, err := w.s.Pods.Create(w.c, ownedPod(rs, "p", ""))
	require.NoError(t, err)
	w.run(w.s.Now() + 200*time.Millisecond) // seen at +150 ms, bound at +160 ms
	require.Contains(t, w.sched.assumed, "default/p")
	so := w.sched.spreadFor(rs.UID)
	require.Equal(t, map[*nodeInfo]int32{w.sched.infos["n0"]: 1}, so.byNode)
	w.run(w.s.Now() + time.Second)
	require.Empty(t, w.sched.assumed)
	require.Equal(t, map[*nodeInfo]int32{w.sched.infos["n0"]: 1}, so.byNode, "the binding's delivery replaces the assumption")
}

// The spread counts, kept from the cache's events and the scheduler's assumed
// bindings from the first time a ReplicaSet's pod is scored, equal the counts over
// the store once every change is delivered: per node, and per zone over the nodes
// that exist, whatever the watch latency and the order of binds, deletions,
// terminating and finished pods, nodes deleted and re-added, and zone relabels.
func TestPropertySpreadCounts(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		cfg := DefaultSchedulerConfig()
		cfg.WatchLatency = time.Duration(rapid.SampledFrom([]int{0, 5, 150}).Draw(rt, "latencyMs")) * time.Millisecond
		w := newWorldWith(t, 1, cfg)
		w.rs.Stop()
		w.dep.Stop()
		nodes := []string{"n0", "n1", "n2", "n3"}
		zones := []string{"a", "b", ""}
		for _, n := range nodes {
			w.addNode(n, map[string]string{apiserver.LabelZone: rapid.SampledFrom(zones).Draw(rt, "zone")})
		}
		sets := w.replicaSets(rt, "x", "y")
		names := []string{"a", "b", "c", "d", "e", "f"}
		for range rapid.IntRange(1, 40).Draw(rt, "steps") {
			key := "default/" + rapid.SampledFrom(names).Draw(rt, "pod")
			node := rapid.SampledFrom(nodes).Draw(rt, "node")
			switch rapid.IntRange(0, 7).Draw(rt, "op") {
			case 0: // a pod of a set, bound or left to the scheduler
				rs := rapid.SampledFrom(sets).Draw(rt, "rs")
				bind := rapid.SampledFrom([]string{"", node}).Draw(rt, "bind")
				_, _ = w.s.Pods.Create(w.c, ownedPod(rs, key[len("default/"):], bind))
			case 1:
				_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: new(int64)})
			case 2: // terminating
				grace := int64(30)
				_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: &grace})
			case 3:
				_, _ = w.s.Pods.Patch(w.c, key, func(p *apiserver.Pod) error { p.Phase = apiserver.PodFailed; return nil })
			case 4: // relabel a node's zone
				z := rapid.SampledFrom(zones).Draw(rt, "relabel")
				_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
					n.Labels = apiserver.NewLabels(n.Labels.Map())
					if z == "" {
						n.Labels = n.Labels.Without(apiserver.LabelZone)
					} else {
						n.Labels = n.Labels.With(apiserver.LabelZone, z)
					}
					return nil
				})
			case 5: // delete or re-add a node
				if _, ok := w.s.Nodes.Peek(node); ok {
					_ = w.s.Nodes.Delete(w.c, node, apiserver.DeleteOptions{})
				} else {
					w.addNode(node, map[string]string{apiserver.LabelZone: rapid.SampledFrom(zones).Draw(rt, "readd")})
				}
			case 6: // the scheduler starts counting a set (it scores one of its pods)
				w.sched.spreadFor(rapid.SampledFrom(sets).Draw(rt, "track").UID)
			case 7:
				w.sched.Stop()
				w.sched.Start()
			}
			w.run(w.s.Now() + time.Duration(rapid.IntRange(0, 200).Draw(rt, "waitMs"))*time.Millisecond)
		}
		w.run(w.s.Now() + time.Minute)
		for _, rs := range sets {
			so := w.sched.spreadFor(rs.UID) // counted now if it was not yet
			wantNode, wantZone := map[string]int32{}, map[string]int32{}
			w.s.Pods.Each(func(p *apiserver.Pod) {
				if k := spreadKeyOf(p); k.owner == rs.UID && k.counts {
					wantNode[p.NodeName]++
					if n, ok := w.s.Nodes.Peek(p.NodeName); ok {
						wantZone[n.Labels.Get(apiserver.LabelZone)]++
					}
				}
			})
			gotNode, gotZone := map[string]int32{}, map[string]int32{}
			for ni, c := range so.byNode {
				gotNode[ni.name] = c
			}
			for z, c := range so.byZone {
				if c != 0 {
					gotZone[w.sched.zoneNames[z]] = c
				}
			}
			require.Equal(rt, wantNode, gotNode, "set %s per node", rs.Name)
			require.Equal(rt, wantZone, gotZone, "set %s per zone", rs.Name)
		}
		w.stop()
	})
}

// NodeResourcesBalancedAllocation, by hand from balanced_allocation.go: allocatable
// 4000m / 8Gi, 1000m / 1Gi requested on the node, a pod of 500m / 512Mi. With the
// pod: fractions 0.375 and 0.1875, 100·(1 − 0.09375) = 90.6 → 90; without: 0.25 and
// 0.125, 93.75 → 93. From 1.36 the score is the change: 50 + (50 + 90 − 93)/2 = 73.
func TestBalancedScoreAsUpstream(t *testing.T) {
	alloc := apiserver.Resources{MilliCPU: 4000, Memory: 8 << 30}
	node := apiserver.Resources{MilliCPU: 1000, Memory: 1 << 30}
	pod := apiserver.Resources{MilliCPU: 500, Memory: 512 << 20}
	require.Equal(t, int64(90), balancedScore(BalancedAll, alloc, node, pod))
	require.Equal(t, int64(90), balancedScore(BalancedSkipBestEffort, alloc, node, pod))
	require.Equal(t, int64(73), balancedScore(BalancedImprovement, alloc, node, pod))
	// no memory allocatable: one fraction, no deviation
	require.Equal(t, int64(100), balancedScore(BalancedAll, apiserver.Resources{MilliCPU: 4000}, node, pod))
	require.Equal(t, int64(75), balancedScore(BalancedImprovement, apiserver.Resources{MilliCPU: 4000}, node, pod))
	// fractions are capped at 1
	require.Equal(t, int64(50), balancedScore(BalancedAll, alloc, apiserver.Resources{MilliCPU: 9000}, apiserver.Resources{}))

	for minor, want := range map[int]BalancedMode{31: BalancedAll, 32: BalancedAll, 33: BalancedSkipBestEffort,
		35: BalancedSkipBestEffort, 36: BalancedImprovement, 37: BalancedImprovement} {
		require.Equal(t, want, SchedulerConfigFor(minor).BalancedAllocation, "1.%d", minor)
	}
}

// balancedPair schedules a pod requesting req onto one of two nodes, n1 running a pod
// of 2000m / 1Gi and n2 one of 1000m / 3Gi (allocatable 4000m / 8Gi each), with
// BalancedAllocation scoring as mode, and returns the node it got.
func balancedPair(t *testing.T, mode BalancedMode, req apiserver.Resources) string {
	cfg := DefaultSchedulerConfig()
	cfg.BalancedAllocation = mode
	w := newWorldWith(t, 1, cfg)
	defer w.stop()
	w.addNode("n1", nil)
	w.addNode("n2", nil)
	for node, r := range map[string]apiserver.Resources{"n1": {MilliCPU: 2000, Memory: 1 << 30}, "n2": {MilliCPU: 1000, Memory: 3 << 30}} {
		_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "on-" + node}, NodeName: node,
			PodSpec: &apiserver.PodSpec{Requests: r}})
		require.NoError(t, err)
	}
	w.run(time.Second)
	_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "p"},
		PodSpec: &apiserver.PodSpec{Requests: req}})
	require.NoError(t, err)
	w.run(2 * time.Second)
	return w.podNode("default/p")
}

// Two nodes that LeastAllocated ties (50 each) and only the balance of their requests
// tells apart: n2 ends balanced (0.5 of cpu and of memory), n1 lopsided (0.75, 0.25).
// Every release's BalancedAllocation picks n2, where the tie would go to n1 by name.
func TestBalancedAllocationBreaksLeastAllocatedTie(t *testing.T) {
	for _, mode := range []BalancedMode{BalancedAll, BalancedSkipBestEffort, BalancedImprovement} {
		require.Equal(t, "n2", balancedPair(t, mode, apiserver.Resources{MilliCPU: 1000, Memory: 1 << 30}), "mode %d", mode)
	}
}

// A pod that requests nothing: LeastAllocated (with its 100m / 200Mi defaults) ties
// the nodes of TestBalancedAllocationBreaksLeastAllocatedTie at 66. Up to 1.32
// BalancedAllocation still scores it by the nodes' own balance (n1 81, n2 93) and
// picks n2; from 1.33 it skips the pod and the tie goes to n1 by name.
func TestBalancedAllocationBestEffortPerRelease(t *testing.T) {
	for mode, want := range map[BalancedMode]string{BalancedAll: "n2", BalancedSkipBestEffort: "n1", BalancedImprovement: "n1"} {
		require.Equal(t, want, balancedPair(t, mode, apiserver.Resources{}), "mode %d", mode)
	}
}

// A scheduling cycle's ReplicaSet lookup allocates nothing, whatever the length of the
// ReplicaSet's name (rsKeyOf keeps the last key).
func TestRSKeyOfAllocatesOnce(t *testing.T) {
	var sc Scheduler
	ns, name := "default", "a-deployment-with-a-long-name-7d4b9c8f6b"
	require.Equal(t, ns+"/"+name, sc.rsKeyOf(ns, name))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = sc.rsKeyOf(ns, name) }))
	require.Equal(t, "kube-system/"+name, sc.rsKeyOf("kube-system", name))
	require.Equal(t, "default/x", sc.rsKeyOf(ns, "x"))
}
