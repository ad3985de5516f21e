package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

func podScheduledMsg(t *testing.T, w *world, key string) string {
	p, _ := w.s.Pods.Peek(key)
	require.NotNil(t, p)
	c := p.Condition(apiserver.PodScheduled)
	require.NotNil(t, c)
	return c.Message
}

// From a review (session 15): v1.37.2 tainttoleration Filter's reason is the constant
// "node(s) had untolerated taint(s)" (kubernetes#134740, 1.35, and 1.34's patch
// releases); v1.31.0 and v1.33.0 name each taint {key: value}.
func TestTaintMessageNamesNoTaintFrom134(t *testing.T) {
	for minor, want := range map[int]string{
		33: "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable.",
		37: "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) had untolerated taint(s).",
	} {
		w := newWorldWith(t, 1, SchedulerConfigFor(minor))
		w.addNode("n1", nil)
		w.addNode("n2", nil)
		w.addNode("n3", nil)
		_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error {
			n.Taints = append(n.Taints, taint.UnreachableNoSchedule)
			return nil
		})
		require.NoError(t, err)
		_, err = w.s.Nodes.Patch(w.c, "n2", func(n *apiserver.Node) error {
			n.Taints = append(n.Taints, taint.Taint{Key: "dedicated", Value: "gpu", Effect: taint.NoSchedule})
			return nil
		})
		require.NoError(t, err)
		_, err = w.s.Nodes.Patch(w.c, "n3", func(n *apiserver.Node) error { n.Unschedulable = true; return nil })
		require.NoError(t, err)
		_, err = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "p"}})
		require.NoError(t, err)
		w.run(time.Second)
		require.Equal(t, want, podScheduledMsg(t, w, "default/p"), "1.%d", minor)
		w.stop()
	}
}

// From a review (session 15): a failed binding (API error) is, upstream, a Forget of the assumed pod followed by
// MoveAllToActiveOrBackoffQueue(AssignedPodDelete) (schedule_one.go
// handleBindingCycleError, 1.31.0, 1.33.0, 1.37.2): pods that NodeResourcesFit
// rejected leave the unschedulable pool. nodesim's bind failure
// only backed the pod off.
func TestBindFailureMovesFitRejected(t *testing.T) {
	for _, minor := range []int{31, 33, 37} {
		t.Run(fmt.Sprint(minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.addNode("n1", nil)
			// big fits nowhere (NodeResourcesFit); small fits but its binding fails
			for _, p := range []struct {
				name string
				cpu  int64
			}{{"a-big", 8000}, {"b-small", 100}} {
				_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: p.name},
					PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: p.cpu}}})
				require.NoError(t, err)
			}
			w.at(15*time.Millisecond, func() { w.sched.c.SetPartitioned(true) })
			w.run(3 * time.Second)
			big := w.sched.queued["default/a-big"]
			require.NotNil(t, big)
			small := w.sched.queued["default/b-small"]
			require.NotNil(t, small)
			require.Equal(t, uint8(0), small.rej, "b-small failed with an Error (binding)")
			require.Greater(t, big.attempts, 1,
				"upstream: the failed binding of b-small forgets it and moves a-big (AssignedPodDelete); nodesim leaves a-big in the pool")
		})
	}
}

// Library only (scenarios run the scheduler with WatchLatency 0). Upstream
// ignores an update of an assumed pod that still shows it unbound
// (eventhandlers.go updatePodInSchedulingQueue: isAssumed → return); nodesim dropped
// the assumption at the pod's next event whatever it showed, uncounted the pod, fired
// AssignedPodDelete and queued the bound pod again (two pods on a 4000m node asked 6000m).
func TestStaleEventOfAssumedPodIgnored(t *testing.T) {
	cfg := SchedulerConfigFor(33)
	cfg.WatchLatency = 100 * time.Millisecond
	cfg.SchedulingLatency = time.Millisecond
	w := newWorldWith(t, 1, cfg)
	w.addNode("n1", nil) // 4000m
	mk := func(name, node string, cpu int64) {
		_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}, NodeName: node,
			PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: cpu}}})
		require.NoError(t, err)
	}
	mk("blocker", "n1", 2000)
	mk("x", "", 3000)
	mk("y", "", 3000)
	w.at(95*time.Millisecond, func() {
		require.NoError(t, w.s.Pods.Delete(w.c, "default/blocker", apiserver.DeleteOptions{GracePeriodSeconds: new(int64)}))
	})
	w.run(2 * time.Second)
	var sum int64
	for _, p := range w.podsOn("n1") {
		sum += p.Requests.MilliCPU
	}
	require.LessOrEqual(t, sum, int64(4000), "pods bound to n1 request more than its allocatable")
}

// The scheduler cache lists nodes zone by zone in turn (backend/cache/node_tree.go
// list; internal/cache in 1.31), and findNodesThatPassFilters stops after
// numFeasibleNodesToFind of them from nextStartNodeIndex. With 300 empty nodes in 3
// zones registered zone after zone, the first cycle finds 144 feasible nodes: 48 of
// each zone, all with equal scores, so a bare pod lands in zone c one time in three.
// nodesim listed nodes in arrival order (the first 144 were zone a's 100 and 44 of
// b), so in 30 seeds no pod went to zone c (a review's finding, session 15).
func TestSchedulerFiltersInNodeTreeOrder(t *testing.T) {
	inC := 0
	for seed := uint64(1); seed <= 30; seed++ {
		cfg := SchedulerConfigFor(33)
		cfg.Rand = sim.NewRand(seed, "scheduler")
		w := newWorldWith(t, seed, cfg)
		for _, z := range []string{"a", "b", "c"} {
			for i := range 100 {
				w.addNode(fmt.Sprintf("%s-%03d", z, i), map[string]string{apiserver.LabelZone: "zone-" + z})
			}
		}
		_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "p"}})
		require.NoError(t, err)
		w.run(time.Second)
		if n := w.podNode("default/p"); len(n) > 0 && n[0] == 'c' {
			inC++
		}
		w.stop()
	}
	require.Greater(t, inC, 0, "upstream draws among 48 nodes of each zone; no seed put the pod in zone c")
}

// The node tree's order through arrivals, departures and zone changes: one node of
// each zone in turn, zones in order of first appearance (a zone that empties leaves
// the order and comes back at its end), a zone's nodes in order of arrival (a node
// whose zone changes goes to the end of its new zone).
func TestNodeTreeOrderKept(t *testing.T) {
	w := newWorld(t, 1)
	zone := func(z string) map[string]string { return map[string]string{apiserver.LabelZone: z} }
	order := func() []string {
		w.run(w.e.Now() + time.Millisecond)
		w.sched.treeList()
		var names []string
		for _, ni := range w.sched.nodes {
			names = append(names, ni.name)
		}
		return names
	}
	w.addNode("a1", zone("a"))
	w.addNode("b1", zone("b"))
	w.addNode("a2", zone("a"))
	w.addNode("c1", zone("c"))
	require.Equal(t, []string{"a1", "b1", "c1", "a2"}, order())
	require.NoError(t, w.s.Nodes.Delete(w.c, "b1", apiserver.DeleteOptions{}))
	require.Equal(t, []string{"a1", "c1", "a2"}, order())
	w.addNode("b2", zone("b"))
	require.Equal(t, []string{"a1", "c1", "b2", "a2"}, order(), "zone b, emptied, comes back last")
	_, err := w.s.Nodes.Patch(w.c, "a1", func(n *apiserver.Node) error { n.Labels = apiserver.NewLabels(zone("c")); return nil })
	require.NoError(t, err)
	require.Equal(t, []string{"a2", "c1", "b2", "a1"}, order(), "a1 moved to the end of zone c")
}

// From a review (session 15). A pod pinned with required node affinity matchFields metadata.name In [n1]:
// NodeAffinity's PreFilter returns PreFilterResult{n1}; only n1 is filtered.
// 1.31.0 schedule_one.go findNodesThatFitPod: the other nodes get no status, so the
// FitError counts n1 only. 1.33.0/1.37.2: they get the absent-nodes status
// "node(s) didn't satisfy plugin(s) [NodeAffinity]".
func pinnedPod(name string) *apiserver.Pod {
	return &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
		PodSpec: &apiserver.PodSpec{
			Requests: apiserver.Resources{MilliCPU: 8000},
			RequiredNodeAffinity: []apiserver.NodeSelectorTerm{{MatchFields: []apiserver.NodeSelectorRequirement{
				{Key: "metadata.name", Operator: "In", Values: []string{"n1"}}}}},
		}}
}

func TestPinnedPodPreFilterMessage(t *testing.T) {
	for _, tc := range []struct {
		minor int
		want  string
	}{
		{31, "0/3 nodes are available: 1 Insufficient cpu."},
		{33, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]."},
		{37, "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]."},
	} {
		t.Run(fmt.Sprint(tc.minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(tc.minor))
			w.addNode("n1", nil)
			w.addNode("n2", nil)
			w.addNode("n3", nil)
			_, err := w.s.Pods.Create(w.c, pinnedPod("p"))
			require.NoError(t, err)
			w.run(time.Second)
			require.Equal(t, tc.want, podScheduledMsg(t, w, "default/p"))
		})
	}
}

// A pinned pod's cycle filters only its nodes, so the next start index moves on by
// the nodes it processed, not by a whole round (findNodesThatFitPod: processedNodes).
func TestPinnedPodMovesStartIndexByItsNodes(t *testing.T) {
	w := newWorldWith(t, 1, SchedulerConfigFor(37))
	for i := range 150 {
		w.addNode(fmt.Sprintf("n%03d", i), nil)
	}
	w.run(time.Millisecond)
	before := w.sched.nextStart
	p := pinnedPod("p")
	p.Requests = apiserver.Resources{}
	p.RequiredNodeAffinity[0].MatchFields[0].Values = []string{"n042"}
	_, err := w.s.Pods.Create(w.c, p)
	require.NoError(t, err)
	w.run(time.Second)
	require.Equal(t, "n042", w.podNode("default/p"))
	require.Equal(t, (before+1)%150, w.sched.nextStart)
}
