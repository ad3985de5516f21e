package workload

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func req(key, op string, vals ...string) apiserver.NodeSelectorRequirement {
	return apiserver.NodeSelectorRequirement{Key: key, Operator: op, Values: vals}
}

func TestMatchesRequirement(t *testing.T) {
	labels := map[string]string{"zone": "a", "gen": "5"}
	for _, tc := range []struct {
		name string
		r    apiserver.NodeSelectorRequirement
		want bool
	}{
		{"In match", req("zone", "In", "b", "a"), true},
		{"In no match", req("zone", "In", "b"), false},
		{"In absent", req("disk", "In", "ssd"), false},
		{"NotIn match", req("zone", "NotIn", "a"), false},
		{"NotIn other", req("zone", "NotIn", "b"), true},
		{"NotIn absent matches", req("disk", "NotIn", "ssd"), true},
		{"Exists", req("zone", "Exists"), true},
		{"Exists absent", req("disk", "Exists"), false},
		{"DoesNotExist", req("disk", "DoesNotExist"), true},
		{"DoesNotExist present", req("zone", "DoesNotExist"), false},
		{"Gt", req("gen", "Gt", "4"), true},
		{"Gt equal", req("gen", "Gt", "5"), false},
		{"Lt", req("gen", "Lt", "6"), true},
		{"Lt not", req("gen", "Lt", "5"), false},
		{"Gt label not int", req("zone", "Gt", "1"), false},
		{"Gt value not int", req("gen", "Gt", "x"), false},
		{"Gt two values", req("gen", "Gt", "1", "2"), false},
		{"Gt absent", req("disk", "Gt", "1"), false},
		{"unknown operator", req("zone", "Equals", "a"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, MatchesRequirement(&tc.r, apiserver.NewLabels(labels)))
		})
	}
}

func TestMatchesNodeSelectorTerms(t *testing.T) {
	node := &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "w1", Labels: apiserver.NewLabels(map[string]string{"zone": "a"})}}
	term := func(rs ...apiserver.NodeSelectorRequirement) apiserver.NodeSelectorTerm {
		return apiserver.NodeSelectorTerm{MatchExpressions: rs}
	}
	fields := func(t apiserver.NodeSelectorTerm, rs ...apiserver.NodeSelectorRequirement) apiserver.NodeSelectorTerm {
		t.MatchFields = rs
		return t
	}
	for _, tc := range []struct {
		name  string
		terms []apiserver.NodeSelectorTerm
		want  bool
	}{
		{"no terms: unconstrained", nil, true},
		{"empty term matches nothing", []apiserver.NodeSelectorTerm{term()}, false},
		{"terms are ORed", []apiserver.NodeSelectorTerm{term(req("zone", "In", "b")), term(req("zone", "In", "a"))}, true},
		{"expressions are ANDed", []apiserver.NodeSelectorTerm{term(req("zone", "In", "a"), req("disk", "Exists"))}, false},
		{"a field alone", []apiserver.NodeSelectorTerm{fields(term(), req("metadata.name", "In", "w1"))}, true},
		{"another node's name", []apiserver.NodeSelectorTerm{fields(term(), req("metadata.name", "In", "w2"))}, false},
		{"NotIn the name", []apiserver.NodeSelectorTerm{fields(term(), req("metadata.name", "NotIn", "w1"))}, false},
		{"fields ANDed with expressions", []apiserver.NodeSelectorTerm{fields(term(req("zone", "In", "b")), req("metadata.name", "In", "w1"))}, false},
		{"both match", []apiserver.NodeSelectorTerm{fields(term(req("zone", "In", "a")), req("metadata.name", "NotIn", "w2"))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, MatchesNodeSelectorTerms(tc.terms, node))
		})
	}
}

func TestFilterNode(t *testing.T) {
	alloc := apiserver.Resources{MilliCPU: 1000, Memory: 1000, Pods: 3}
	node := func(mod func(*apiserver.Node)) *apiserver.Node {
		n := &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "n", Labels: apiserver.NewLabels(map[string]string{"zone": "a"})}, Allocatable: alloc}
		if mod != nil {
			mod(n)
		}
		return n
	}
	unreach := taint.Taint{Key: taint.Unreachable, Effect: taint.NoExecute}
	for _, tc := range []struct {
		name      string
		pod       apiserver.Pod
		node      *apiserver.Node
		requested apiserver.Resources
		pods      int64
		want      failCode
		ins       uint8
	}{
		{"fits", apiserver.Pod{}, node(nil), apiserver.Resources{}, 0, fitOK, 0},
		{"cordoned", apiserver.Pod{}, node(func(n *apiserver.Node) { n.Unschedulable = true }), apiserver.Resources{}, 0, failUnschedulable, 0},
		{"cordoned but tolerates unschedulable (NodeUnschedulable)", apiserver.Pod{PodSpec: &apiserver.PodSpec{Tolerations: []taint.Toleration{{Key: taint.Unschedulable, Operator: taint.OpExists, Effect: taint.NoSchedule}}}},
			node(func(n *apiserver.Node) { n.Unschedulable = true }), apiserver.Resources{}, 0, fitOK, 0},
		{"NoExecute taint untolerated", apiserver.Pod{}, node(func(n *apiserver.Node) { n.Taints = []taint.Taint{unreach} }), apiserver.Resources{}, 0, failTaint, 0},
		{"NoSchedule taint untolerated", apiserver.Pod{}, node(func(n *apiserver.Node) { n.Taints = []taint.Taint{{Key: "k", Effect: taint.NoSchedule}} }), apiserver.Resources{}, 0, failTaint, 0},
		{"PreferNoSchedule does not filter", apiserver.Pod{}, node(func(n *apiserver.Node) { n.Taints = []taint.Taint{{Key: "k", Effect: taint.PreferNoSchedule}} }), apiserver.Resources{}, 0, fitOK, 0},
		{"tolerated taint", apiserver.Pod{PodSpec: &apiserver.PodSpec{Tolerations: []taint.Toleration{{Key: taint.Unreachable, Operator: taint.OpExists}}}},
			node(func(n *apiserver.Node) { n.Taints = []taint.Taint{unreach} }), apiserver.Resources{}, 0, fitOK, 0},
		{"nodeSelector mismatch", apiserver.Pod{PodSpec: &apiserver.PodSpec{NodeSelector: map[string]string{"zone": "b"}}}, node(nil), apiserver.Resources{}, 0, failAffinity, 0},
		{"nodeSelector match", apiserver.Pod{PodSpec: &apiserver.PodSpec{NodeSelector: map[string]string{"zone": "a"}}}, node(nil), apiserver.Resources{}, 0, fitOK, 0},
		{"affinity mismatch", apiserver.Pod{PodSpec: &apiserver.PodSpec{RequiredNodeAffinity: []apiserver.NodeSelectorTerm{{MatchExpressions: []apiserver.NodeSelectorRequirement{req("zone", "NotIn", "a")}}}}}, node(nil), apiserver.Resources{}, 0, failAffinity, 0},
		{"too many pods (allocatable.pods)", apiserver.Pod{}, node(nil), apiserver.Resources{}, 3, failResources, insPods},
		{"insufficient cpu", apiserver.Pod{PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: 600}}}, node(nil), apiserver.Resources{MilliCPU: 500}, 1, failResources, insCPU},
		{"cpu exactly fits", apiserver.Pod{PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: 500}}}, node(nil), apiserver.Resources{MilliCPU: 500}, 1, fitOK, 0},
		{"insufficient cpu and memory", apiserver.Pod{PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: 600, Memory: 600}}}, node(nil), apiserver.Resources{MilliCPU: 500, Memory: 500}, 3, failResources, insPods | insCPU | insMemory},
		{"zero request ignores full cpu", apiserver.Pod{}, node(nil), apiserver.Resources{MilliCPU: 1000, Memory: 1000}, 1, fitOK, 0},
		{"unschedulable is checked before taints", apiserver.Pod{}, node(func(n *apiserver.Node) { n.Unschedulable = true; n.Taints = []taint.Taint{unreach} }), apiserver.Resources{}, 0, failUnschedulable, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pod.PodSpec == nil { // as every stored pod has
				tc.pod.PodSpec = &apiserver.PodSpec{}
			}
			r := filterNode(&tc.pod, tc.node, tc.requested, tc.pods, false)
			require.Equal(t, tc.want, r.code)
			require.Equal(t, tc.ins, r.ins)
		})
	}
}

func TestFitErrorMessage(t *testing.T) {
	msg := fitErrorMessage(3, []filterResult{
		{code: failTaint, taint: taint.Taint{Key: taint.Unreachable, Effect: taint.NoExecute}},
		{code: failUnschedulable}, {code: failUnschedulable},
	})
	require.Equal(t, "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 node(s) were unschedulable.", msg)
	msg = fitErrorMessage(2, []filterResult{{code: failResources, ins: insCPU | insMemory}, {code: failAffinity}})
	require.Equal(t, "0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector.", msg)
	require.Equal(t, ErrReasonNoNodes, fitErrorMessage(0, nil))
}

func TestLeastAllocatedScore(t *testing.T) {
	a := apiserver.Resources{MilliCPU: 1000, Memory: 1000}
	require.Equal(t, int64(50), leastAllocatedScore(a, 500, 500))
	require.Equal(t, int64(75), leastAllocatedScore(a, 0, 500))
	require.Equal(t, int64(0), leastAllocatedScore(a, 2000, 2000), "over capacity scores 0")
	require.Equal(t, int64(0), leastAllocatedScore(apiserver.Resources{}, 1, 1))
	cpu, mem := nonZero(apiserver.Resources{})
	require.Equal(t, int64(100), cpu, "DefaultMilliCPURequest")
	require.Equal(t, int64(200<<20), mem, "DefaultMemoryRequest")
}

// Scoring is deterministic: equal nodes fill in name order one at a time (least
// allocated), a bigger node takes pods first, PreferNoSchedule is avoided.
func TestSchedulerScoringDeterministic(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("b", nil)
	w.addNode("a", nil)
	w.addNode("c", nil)
	_, err := w.s.Nodes.Patch(w.c, "c", func(n *apiserver.Node) error {
		n.Taints = append(n.Taints, taint.Taint{Key: "avoid", Effect: taint.PreferNoSchedule})
		return nil
	})
	require.NoError(t, err)
	for i := range 4 {
		_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("p%d", i)},
			PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: 1000, Memory: 1 << 30}}})
		require.NoError(t, err)
	}
	w.run(time.Second)
	got := []string{}
	for i := range 4 {
		got = append(got, w.podNode(fmt.Sprintf("default/p%d", i)))
	}
	require.Equal(t, []string{"a", "b", "a", "b"}, got)
	require.Equal(t, uint64(4), w.sched.Bound)
}

// Unschedulable pods stay Pending with FailedScheduling and are retried when a node
// changes (after the backoff), not on a timer grid.
func TestSchedulerUnschedulableRetriedOnNodeChange(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("n1", nil)
	w.addNode("n2", nil)
	w.addNode("n3", nil)
	_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error {
		n.Taints = append(n.Taints, taint.UnreachableNoSchedule)
		return nil
	})
	require.NoError(t, err)
	for _, n := range []string{"n2", "n3"} {
		_, err := w.s.Nodes.Patch(w.c, n, func(n *apiserver.Node) error { n.Unschedulable = true; return nil })
		require.NoError(t, err)
	}
	_, err = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "p"}})
	require.NoError(t, err)
	w.run(time.Minute)
	p, _ := w.s.Pods.Peek("default/p")
	require.Equal(t, "", p.NodeName)
	require.Equal(t, apiserver.PodPending, p.Phase)
	c := p.Condition(apiserver.PodScheduled)
	require.NotNil(t, c)
	require.Equal(t, "Unschedulable", c.Reason)
	require.Equal(t, uint64(1), w.sched.Attempts, "no retries without a cluster change")
	require.Equal(t, 1, w.e.Pending(), "nothing scheduled while the pod waits but the 5-minute flush")
	require.True(t, w.sched.leftTimer.Pending())

	w.at(70*time.Second, func() {
		_, err := w.s.Nodes.Patch(w.c, "n2", func(n *apiserver.Node) error { n.Unschedulable = false; return nil })
		require.NoError(t, err)
	})
	w.run(80 * time.Second)
	golden(t, "unschedulable", filterKinds(w.tr.Records(), "FailedScheduling", "PodCreated", "PodScheduled", "PodReady"))
}

func filterKinds(recs []sim.Record, kinds ...string) []sim.Record {
	var out []sim.Record
	for _, r := range recs {
		for _, k := range kinds {
			if r.Kind == k {
				out = append(out, r)
			}
		}
	}
	return out
}

func TestSchedulerBackoff(t *testing.T) {
	sc := &Scheduler{cfg: DefaultSchedulerConfig()}
	// kube-scheduler podInitialBackoffSeconds 1, podMaxBackoffSeconds 10
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 50: 10 * time.Second} {
		require.Equal(t, want, sc.backoff(attempts), "attempts %d", attempts)
	}
}

func TestSchedulerConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		mod   func(*SchedulerConfig)
		field string
	}{
		{func(c *SchedulerConfig) { c.WatchLatency = -1 }, "WatchLatency"},
		{func(c *SchedulerConfig) { c.SchedulingLatency = -1 }, "SchedulingLatency"},
		{func(c *SchedulerConfig) { c.PodInitialBackoff = -1 }, "PodInitialBackoff"},
		{func(c *SchedulerConfig) { c.PodMaxBackoff = time.Millisecond }, "PodMaxBackoff"},
	} {
		c := DefaultSchedulerConfig()
		tc.mod(&c)
		err := c.Validate()
		require.ErrorContains(t, err, tc.field)
	}
	require.NoError(t, DefaultSchedulerConfig().Validate())
}

// The filter and score pass over the nodes does not allocate.
func TestSelectNodeAllocationFree(t *testing.T) {
	w := newWorld(t, 1)
	for _, n := range []string{"a", "b", "c", "d"} {
		w.addNode(n, map[string]string{"zone": n})
	}
	w.run(time.Second)
	p := &apiserver.Pod{PodSpec: &apiserver.PodSpec{NodeSelector: map[string]string{"zone": "c"}, Requests: apiserver.Resources{MilliCPU: 100}, Tolerations: []taint.Toleration{{Key: "x", Operator: taint.OpExists}}}}
	w.sched.selectNode(p)
	allocs := testing.AllocsPerRun(100, func() {
		if w.sched.selectNode(p) == nil {
			t.Fatal("no node")
		}
	})
	require.Zero(t, allocs)
}

// A pod that does not fit is retried when an assigned pod is deleted, once its
// backoff has passed; Stop cancels the pending backoff timer.
func TestSchedulerRetriedOnPodDeletion(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("n1", nil)
	_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Allocatable.Pods = 1; return nil })
	require.NoError(t, err)
	for _, name := range []string{"first", "second"} {
		_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}})
		require.NoError(t, err)
	}
	w.run(10 * time.Second)
	require.Equal(t, "n1", w.podNode("default/first"))
	require.Equal(t, "", w.podNode("default/second"))
	// deleted at 0.3 s after the second attempt's failure at 0.02 s: the 1 s backoff
	// holds it until 1.02 s
	w.at(10*time.Second+300*time.Millisecond, func() {
		require.NoError(t, w.s.Pods.Delete(w.c, "default/first", apiserver.DeleteOptions{GracePeriodSeconds: taint.Seconds(0)}))
	})
	w.run(20 * time.Second)
	require.Equal(t, "n1", w.podNode("default/second"))
	recs := filterKinds(w.tr.Records(), "FailedScheduling", "PodScheduled")
	require.Len(t, recs, 3)
	require.Equal(t, "0/1 nodes are available: 1 Too many pods.", recs[1].Str("message"))
	require.Equal(t, 10*time.Second+300*time.Millisecond+10*time.Millisecond, recs[2].T, "backoff long over: next cycle")

	// backoff still running at Stop
	_, err = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "third"}})
	require.NoError(t, err)
	w.run(21 * time.Second)
	w.at(21*time.Second, func() {
		_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Labels = n.Labels.With("x", "y"); return nil })
		require.NoError(t, err)
	})
	w.run(21*time.Second + time.Millisecond)
	// a label change concerns NodeAffinity only: the pod, rejected by
	// NodeResourcesFit, stays unschedulable and waits for the 5-minute flush
	require.True(t, w.sched.leftTimer.Pending(), "waiting for the unschedulable flush")
	require.Len(t, w.sched.unsched, 1)
	w.stop()
	require.Equal(t, 0, w.e.Pending())
}

// pkg/scheduler/schedule_one.go numFeasibleNodesToFind with the default adaptive
// percentageOfNodesToScore: all nodes below 100; 50 % − n/125, at least 5 % and at
// least 100 nodes.
func TestNumFeasibleNodesToFind(t *testing.T) {
	for _, c := range []struct{ nodes, want int }{
		{1, 1}, {99, 99}, {100, 100}, {150, 100}, {1000, 420}, {5000, 500}, {10000, 500}, {100000, 5000},
	} {
		require.Equal(t, c.want, numFeasibleNodesToFind(c.nodes), "nodes=%d", c.nodes)
	}
}

// A pod the scheduler bound counts on its node before its informer shows the
// binding (assumed), and is not counted twice once it does; an older change of the
// pod that the informer shows in between replaces the assumption with that version.
func TestSchedulerAssumesBoundPods(t *testing.T) {
	// watch latency 100 ms: the pods show at 100 ms, the first is bound at 110 ms and
	// shows bound at 210 ms; the second is tried at 120 ms.
	run := func(t *testing.T, patchFirstAt time.Duration) (counted207ms int64, w *world) {
		w = newWorld(t, 1)
		w.sched.Stop()
		cfg := DefaultSchedulerConfig()
		cfg.WatchLatency = 100 * time.Millisecond
		var err error
		w.sched, err = NewScheduler(w.s, w.s.NewClient("kube-scheduler-2", 30*time.Second), cfg)
		require.NoError(t, err)
		w.sched.Start()
		w.addNode("n1", nil)
		_, err = w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Allocatable.Pods = 1; return nil })
		require.NoError(t, err)
		for _, name := range []string{"first", "second"} {
			_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}})
			require.NoError(t, err)
		}
		if patchFirstAt > 0 {
			w.at(patchFirstAt, func() {
				_, err := w.s.Pods.Patch(w.c, "default/first", func(p *apiserver.Pod) error { p.Labels = apiserver.NewLabels(map[string]string{"x": "y"}); return nil })
				require.NoError(t, err)
			})
		}
		w.run(207 * time.Millisecond)
		counted207ms = int64(w.sched.infos["n1"].pods)
		w.run(5 * time.Second)
		require.Equal(t, "n1", w.podNode("default/first"))
		require.Equal(t, "", w.podNode("default/second"), "the second pod does not fit")
		require.Equal(t, int32(1), w.sched.infos["n1"].pods, "the first pod is counted once")
		require.Equal(t, uint64(1), w.sched.Bound)
		return counted207ms, w
	}
	n, w := run(t, 0)
	require.Equal(t, int64(1), n, "assumed")
	require.Empty(t, w.sched.assumed)
	n, w = run(t, 105*time.Millisecond)
	require.Equal(t, int64(1), n, "the unbound version of 105 ms, delivered after the binding, leaves the assumption (updatePodInSchedulingQueue ignores updates of an assumed pod)")
	require.Empty(t, w.sched.assumed)
}

// The scheduler's per-node sums, kept from the informer's events and its assumed
// bindings, equal the sums over its informer's pods once every change is delivered,
// whatever the watch latency and the order of binds, deletions, recreations under
// the same name and pods turning terminal.
func TestPropertySchedulerNodeSums(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := newWorld(t, 1)
		w.sched.Stop()
		cfg := DefaultSchedulerConfig()
		cfg.WatchLatency = time.Duration(rapid.SampledFrom([]int{0, 5, 50, 150}).Draw(rt, "latencyMs")) * time.Millisecond
		var err error
		w.sched, err = NewScheduler(w.s, w.s.NewClient("kube-scheduler-2", 30*time.Second), cfg)
		if err != nil {
			rt.Fatal(err)
		}
		w.sched.Start()
		for i := range 3 {
			name := fmt.Sprintf("n%d", i)
			w.addNode(name, nil)
			_, _ = w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error { n.Allocatable.Pods = 2; return nil })
		}
		names := []string{"a", "b", "c", "d", "e", "f", "g"}
		steps := rapid.IntRange(1, 40).Draw(rt, "steps")
		for range steps {
			key := "default/" + rapid.SampledFrom(names).Draw(rt, "pod")
			switch rapid.IntRange(0, 3).Draw(rt, "op") {
			case 0:
				_, _ = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: key[len("default/"):]},
					PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: int64(rapid.IntRange(0, 2).Draw(rt, "cpu")) * 500}}})
			case 1:
				_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: new(int64)})
			case 2:
				_, _ = w.s.Pods.Patch(w.c, key, func(p *apiserver.Pod) error { p.Phase = apiserver.PodFailed; return nil })
			case 3:
				_, _ = w.s.Pods.Patch(w.c, key, func(p *apiserver.Pod) error {
					p.Labels = apiserver.NewLabels(map[string]string{"x": fmt.Sprint(p.Labels.Len())})
					return nil
				})
			}
			w.run(w.s.Now() + time.Duration(rapid.IntRange(0, 200).Draw(rt, "waitMs"))*time.Millisecond)
		}
		w.run(w.s.Now() + time.Minute)
		if len(w.sched.assumed) != 0 {
			rt.Fatalf("assumed pods left: %v", w.sched.assumed)
		}
		want := map[string]*nodeInfo{}
		w.s.Pods.Each(func(p *apiserver.Pod) {
			if a, ok := acctOf(p); ok {
				ni := want[a.node]
				if ni == nil {
					ni = &nodeInfo{}
					want[a.node] = ni
				}
				cpu, mem := nonZero(a.req)
				ni.requested.MilliCPU += a.req.MilliCPU
				ni.requested.Memory += a.req.Memory
				ni.nzCPU += cpu
				ni.nzMem += mem
				ni.pods++
			}
		})
		for name, ni := range w.sched.infos {
			got := nodeInfo{requested: ni.requested, nzCPU: ni.nzCPU, nzMem: ni.nzMem, pods: ni.pods}
			exp := nodeInfo{}
			if x := want[name]; x != nil {
				exp = *x
			}
			if got != exp {
				rt.Fatalf("node %s: sums %+v, want %+v", name, got, exp)
			}
		}
		w.stop()
	})
}

// Pods already pending when the scheduler starts are queued in key order, as its
// initial list returns them, whatever order they were created in (its pass over the
// store walks memory order: only its counting may).
func TestSchedulerStartQueuesPendingInKeyOrder(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("a", nil)
	w.run(time.Second)
	w.sched.Stop()
	for _, name := range []string{"p3", "p1", "p4", "p2"} {
		_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}})
		require.NoError(t, err)
	}
	w.sched.Start()
	w.run(time.Minute)
	var order []string
	for _, r := range filterKinds(w.tr.Records(), "PodScheduled") {
		pod, _ := r.Get("pod")
		order = append(order, pod)
	}
	require.Equal(t, []string{"default/p1", "default/p2", "default/p3", "default/p4"}, order)
}

// Pods that fit no node reuse the last such cycle's verdict while nothing the filters
// read has changed and their filter inputs are the same (noFit). On random clusters of
// pods from a few templates (node selectors, tolerations, requests) and random node
// and pod changes, the trace is the same with the shortcut off.
func TestPropertyNoFitShortcut(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		// the queue of each version: 1.31 (pre-check), 1.32 (hints), 1.33+ (pop from backoff)
		minor := rapid.SampledFrom([]int{31, 32, 33}).Draw(rt, "minor")
		type template struct {
			sel  map[string]string
			tols []taint.Toleration
			cpu  int64
		}
		var tmpls []template
		for i := range rapid.IntRange(1, 3).Draw(rt, "templates") {
			tm := template{cpu: int64(rapid.IntRange(0, 3).Draw(rt, fmt.Sprint("cpu", i))) * 1500}
			if rapid.Bool().Draw(rt, fmt.Sprint("sel", i)) {
				tm.sel = map[string]string{"disk": rapid.SampledFrom([]string{"ssd", "hdd"}).Draw(rt, fmt.Sprint("disk", i))}
			}
			if rapid.Bool().Draw(rt, fmt.Sprint("tol", i)) {
				tm.tols = []taint.Toleration{{Key: "dedicated", Operator: taint.OpExists}}
			}
			tmpls = append(tmpls, tm)
		}
		type step struct {
			op, node, tmpl int
			wait           time.Duration
		}
		var steps []step
		for i := range rapid.IntRange(1, 30).Draw(rt, "steps") {
			steps = append(steps, step{
				op:   rapid.IntRange(0, 7).Draw(rt, fmt.Sprint("op", i)),
				node: rapid.IntRange(0, 3).Draw(rt, fmt.Sprint("node", i)),
				tmpl: rapid.IntRange(0, len(tmpls)-1).Draw(rt, fmt.Sprint("tmpl", i)),
				wait: time.Duration(rapid.IntRange(0, 400).Draw(rt, fmt.Sprint("wait", i))) * time.Second,
			})
		}
		run := func(off bool) string {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.sched.noFit.off = off
			for i := range 3 {
				w.addNode(fmt.Sprintf("n%d", i), map[string]string{"disk": "hdd"})
			}
			pods := 0
			for _, st := range steps {
				node := fmt.Sprintf("n%d", st.node)
				switch st.op {
				case 0, 1: // a pod of a template
					tm := tmpls[st.tmpl]
					pods++
					_, _ = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("p%02d", pods)},
						PodSpec: &apiserver.PodSpec{NodeSelector: tm.sel, Tolerations: tm.tols, Requests: apiserver.Resources{MilliCPU: tm.cpu}}})
				case 2: // relabel
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						l := n.Labels.Map()
						l["disk"] = map[string]string{"ssd": "hdd", "hdd": "ssd"}[l["disk"]]
						n.Labels = apiserver.NewLabels(l)
						return nil
					})
				case 3: // taint or untaint
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						d := taint.Taint{Key: "dedicated", Effect: taint.NoSchedule}
						if n.HasTaint(d) {
							n.Taints = removeTaint(n.Taints, d)
						} else {
							n.Taints = append(slices.Clone(n.Taints), d)
						}
						return nil
					})
				case 4: // delete or add the node
					if _, ok := w.s.Nodes.Peek(node); ok {
						_ = w.s.Nodes.Delete(w.c, node, apiserver.DeleteOptions{})
					} else {
						w.addNode(node, map[string]string{"disk": "ssd"})
					}
				case 6: // a status report: nothing the filters read
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						n.Conditions = slices.Clone(n.Conditions)
						n.Conditions[0].LastHeartbeatTime = w.s.Now()
						return nil
					})
				case 7: // the scheduler restarts (a new process: empty caches)
					w.sched.Stop()
					w.sched.Start()
				case 5: // delete a pod
					if pods > 0 {
						_ = w.s.Pods.Delete(w.c, fmt.Sprintf("default/p%02d", 1+st.tmpl%pods), apiserver.DeleteOptions{GracePeriodSeconds: new(int64)})
					}
				}
				w.run(w.s.Now() + st.wait)
			}
			w.run(w.s.Now() + 10*time.Minute)
			b := schedulingTrace(w)
			w.stop()
			return b.String()
		}
		if on, off := run(false), run(true); on != off {
			rt.Fatalf("with the shortcut:\n%s\nwithout:\n%s", on, off)
		}
	})
}

// fitErrorMessage counts reasons without building each node's text; the message is
// the one of a histogram of the texts (upstream's FitError), for any mix of results.
func TestFitErrorMessageMatchesHistogram(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(rt, "n")
		results := make([]filterResult, n)
		for i := range results {
			r := filterResult{code: failCode(rapid.IntRange(1, 4).Draw(rt, "code"))}
			switch r.code {
			case failTaint:
				r.taint = taint.Taint{Key: rapid.SampledFrom([]string{taint.Unreachable, taint.NotReady, "dedicated"}).Draw(rt, "key"),
					Value: rapid.SampledFrom([]string{"", "x"}).Draw(rt, "value"), Effect: taint.NoSchedule}
			case failResources:
				r.ins = uint8(rapid.IntRange(1, 7).Draw(rt, "ins"))
			}
			results[i] = r
		}
		hist := map[string]int{}
		for _, r := range results {
			switch r.code {
			case failUnschedulable:
				hist[ErrReasonUnschedulable]++
			case failTaint:
				hist[fmt.Sprintf("node(s) had untolerated taint {%s: %s}", r.taint.Key, r.taint.Value)]++
			case failAffinity:
				hist[ErrReasonAffinity]++
			case failResources:
				for bit, reason := range map[uint8]string{insPods: ErrReasonTooManyPods, insCPU: "Insufficient cpu", insMemory: "Insufficient memory"} {
					if r.ins&bit != 0 {
						hist[reason]++
					}
				}
			}
		}
		var parts []string
		for reason, c := range hist {
			parts = append(parts, fmt.Sprintf("%d %s", c, reason))
		}
		slices.Sort(parts)
		want := fmt.Sprintf("0/%d nodes are available: %s.", n, strings.Join(parts, ", "))
		if got := fitErrorMessage(n, results); got != want {
			rt.Fatalf("got %q, want %q", got, want)
		}
	})
}

// schedulingTrace is the FailedScheduling and PodScheduled records of w's trace, as
// text, for the tests that compare the scheduler with its no-fit cache on and off.
func schedulingTrace(w *world) *strings.Builder {
	var b strings.Builder
	for _, r := range filterKinds(w.tr.Records(), "FailedScheduling", "PodScheduled") {
		b.Write(r.AppendText(nil))
		b.WriteByte('\n')
	}
	return &b
}
