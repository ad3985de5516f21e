package workload

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/stretchr/testify/require"
)

const settleSince = -time.Hour

// settleWorld is a cluster restored as it stands after running for a while: nodes
// and the user's objects restored, then Settle; the components start afterwards.
type settleWorld struct {
	t     testing.TB
	seed  uint64
	e     *sim.Engine
	tr    *sim.Trace
	s     *apiserver.Server
	c     *apiserver.Client
	sched *Scheduler
	stops []func()
	// version: of the ReplicaSet controller (0: the latest)
	version int
}

func newSettleWorld(t testing.TB, seed uint64) *settleWorld {
	e := sim.New(sim.WithSeed(seed))
	tr := sim.NewTrace(true)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	return &settleWorld{t: t, seed: seed, e: e, tr: tr, s: s, c: s.NewClient("kube-controller-manager", 30*time.Second)}
}

func (w *settleWorld) node(name, zone string, alloc apiserver.Resources, labels map[string]string, taints ...taint.Taint) {
	l := map[string]string{apiserver.LabelHostname: name}
	if zone != "" {
		l[apiserver.LabelZone] = zone
	}
	for k, v := range labels {
		l[k] = v
	}
	_, err := w.s.Nodes.Restore(&apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name, Labels: apiserver.NewLabels(l), CreationTimestamp: settleSince},
		Taints: taints, Capacity: alloc, Allocatable: alloc,
		Conditions: []apiserver.NodeCondition{{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue, Reason: "KubeletReady",
			LastHeartbeatTime: settleSince, LastTransitionTime: settleSince}}})
	require.NoError(w.t, err)
}

func (w *settleWorld) restore(objs ...apiserver.Object) {
	for _, o := range objs {
		o.Meta().CreationTimestamp = settleSince
		var err error
		switch x := o.(type) {
		case *apiserver.Deployment:
			_, err = w.s.Deployments.Restore(x)
		case *apiserver.ReplicaSet:
			_, err = w.s.ReplicaSets.Restore(x)
		case *apiserver.DaemonSet:
			_, err = w.s.DaemonSets.Restore(x)
		case *apiserver.Pod:
			_, err = w.s.Pods.Restore(x)
		default:
			w.t.Fatalf("restore: %T", o)
		}
		require.NoError(w.t, err)
	}
}

func (w *settleWorld) settle() {
	require.NoError(w.t, Settle(w.s, SettleConfig{Since: settleSince, Rand: sim.NewRand(w.seed, "settle")}))
}

// start starts the ReplicaSet, Deployment and DaemonSet controllers and the scheduler.
func (w *settleWorld) start() {
	rs, err := NewReplicaSetController(w.s, w.c, ReplicaSetConfig{Version: w.version})
	require.NoError(w.t, err)
	dep, err := NewDeploymentController(w.s, w.c, DeploymentConfig{})
	require.NoError(w.t, err)
	ds, err := NewDaemonSetController(w.s, w.c, DaemonSetConfig{})
	require.NoError(w.t, err)
	w.sched, err = NewScheduler(w.s, w.s.NewClient("kube-scheduler", 30*time.Second), DefaultSchedulerConfig())
	require.NoError(w.t, err)
	for _, c := range []interface {
		Start()
		Stop()
	}{rs, dep, ds, w.sched} {
		c.Start()
		w.stops = append(w.stops, c.Stop)
	}
}

func (w *settleWorld) stop() {
	for _, f := range w.stops {
		f()
	}
}

// placement is "pod@node" for every pod, in key order.
func (w *settleWorld) placement() []string {
	var out []string
	w.s.Pods.Each(func(p *apiserver.Pod) { out = append(out, p.Key()+"@"+p.NodeName) })
	return out
}

func (w *settleWorld) ownedBy(kind, name string) []*apiserver.Pod {
	var out []*apiserver.Pod
	w.s.Pods.Each(func(p *apiserver.Pod) {
		if ref, ok := p.ControllerRef(); ok && ref.Kind == kind && ref.Name == name {
			out = append(out, p)
		}
	})
	return out
}

var gpuTaint = taint.Taint{Key: "dedicated", Value: "gpu", Effect: taint.NoSchedule}

func nodeAgentDaemonSet() *apiserver.DaemonSet {
	return &apiserver.DaemonSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "kube-system", Name: "node-agent"},
		Selector: apiserver.LabelSelector{"app": "node-agent"},
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": "node-agent"}), Spec: apiserver.Pod{
			PodSpec: &apiserver.PodSpec{PriorityClassName: apiserver.SystemNodeCritical, TerminationGracePeriodSeconds: 30, Requests: apiserver.Resources{MilliCPU: 100, Memory: 64 << 20}}}}}
}

func cacheReplicaSet() *apiserver.ReplicaSet {
	return &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "cache"},
		Replicas: 2, Selector: apiserver.LabelSelector{"app": "cache"}, MinReadySeconds: 10,
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": "cache"}), Spec: apiserver.Pod{
			PodSpec: &apiserver.PodSpec{NodeSelector: map[string]string{"disk": "ssd"}, TerminationGracePeriodSeconds: 30, Requests: apiserver.Resources{MilliCPU: 250, Memory: 256 << 20}}}}}
}

// smallSettled: six nodes in three zones (c-1 tainted, a-2 and b-2 with SSDs), web
// (5 replicas), the agent DaemonSet and the bare cache ReplicaSet.
func smallSettled(t testing.TB, seed uint64) *settleWorld {
	w := newSettleWorld(t, seed)
	for _, z := range []string{"a", "b", "c"} {
		for i := 1; i <= 2; i++ {
			name := fmt.Sprintf("node-%s-%d", z, i)
			var labels map[string]string
			if i == 2 && z != "c" {
				labels = map[string]string{"disk": "ssd"}
			}
			if name == "node-c-1" {
				w.node(name, "zone-"+z, defaultAllocatable, labels, gpuTaint)
			} else {
				w.node(name, "zone-"+z, defaultAllocatable, labels)
			}
		}
	}
	w.restore(webDeployment(5), nodeAgentDaemonSet(), cacheReplicaSet())
	w.settle()
	return w
}

// TestSettleControllersFindNothingToDo: after Settle, the controllers and the
// scheduler start and, over a few virtual seconds, create, delete and write nothing.
func TestSettleControllersFindNothingToDo(t *testing.T) {
	w := smallSettled(t, 1)
	rv, n := w.s.ResourceVersion(), w.s.Pods.Len()
	require.Equal(t, 5+5+2, n, "web 5, agent on the 5 untainted nodes, cache 2")
	w.start()
	defer w.stop()
	require.NoError(t, w.e.RunUntil(10*time.Second))
	require.Equal(t, rv, w.s.ResourceVersion(), "a controller or the scheduler wrote something")
	require.Equal(t, n, w.s.Pods.Len())
	require.Zero(t, w.tr.Len(), "trace: %v", w.tr.Records())
	require.Zero(t, w.sched.Attempts)

	d, _ := w.s.Deployments.Peek("default/web")
	require.EqualValues(t, 5, d.ReadyReplicas)
	hash := PodTemplateHash(&d.Template)
	rs, ok := w.s.ReplicaSets.Peek("default/web-" + hash)
	require.True(t, ok)
	require.Equal(t, hash, rs.Labels.Get(LabelPodTemplateHash))
	require.Equal(t, apiserver.LabelSelector{"app": "web", LabelPodTemplateHash: hash}, rs.Selector)
	require.Equal(t, []apiserver.OwnerReference{{Kind: KindDeployment, Name: "web", UID: d.UID, Controller: true}}, rs.OwnerReferences)
	require.Equal(t, settleSince, rs.CreationTimestamp)
	require.Equal(t, [3]int32{5, 5, 5}, [3]int32{rs.StatusReplicas, rs.ReadyReplicas, rs.AvailableReplicas})
	cache, _ := w.s.ReplicaSets.Peek("default/cache")
	require.Equal(t, [3]int32{2, 2, 2}, [3]int32{cache.StatusReplicas, cache.ReadyReplicas, cache.AvailableReplicas})
	ds, _ := w.s.DaemonSets.Peek("kube-system/node-agent")
	require.Equal(t, [2]int32{5, 5}, [2]int32{ds.DesiredNumberScheduled, ds.NumberReady})

	for _, p := range w.ownedBy(KindReplicaSet, rs.Name) {
		require.Equal(t, rs.UID, p.OwnerReferences[0].UID)
		require.NotEqual(t, "node-c-1", p.NodeName, "web tolerates no gpu taint")
		require.Equal(t, apiserver.PodRunning, p.Phase)
		require.True(t, p.IsReady())
		require.Equal(t, settleSince, p.CreationTimestamp)
		require.Len(t, p.Tolerations, 2, "DefaultTolerationSeconds admission")
	}
	for _, p := range w.ownedBy(KindReplicaSet, "cache") {
		require.Contains(t, []string{"node-a-2", "node-b-2"}, p.NodeName)
	}
	for _, p := range w.ownedBy(KindDaemonSet, "node-agent") {
		require.NotEqual(t, "node-c-1", p.NodeName)
		require.EqualValues(t, apiserver.SystemNodeCriticalPriority, p.Priority)
	}
}

// TestSettleMinReadySecondsNotYetAvailable: a pod Ready for less than
// minReadySeconds is not available; the ReplicaSet controller writes
// availableReplicas when it becomes so, and nothing before.
func TestSettleMinReadySecondsNotYetAvailable(t *testing.T) {
	w := newSettleWorld(t, 1)
	w.node("n1", "", defaultAllocatable, nil)
	rs := cacheReplicaSet()
	rs.Template.Spec.EditSpec().NodeSelector = nil
	rs.MinReadySeconds = 7200 // 2 h; ready since -1 h
	w.restore(rs)
	w.settle()
	got, _ := w.s.ReplicaSets.Peek("default/cache")
	require.Equal(t, [3]int32{2, 2, 0}, [3]int32{got.StatusReplicas, got.ReadyReplicas, got.AvailableReplicas})
	rv := w.s.ResourceVersion()
	w.start()
	defer w.stop()
	require.NoError(t, w.e.RunUntil(time.Hour-time.Second))
	require.Equal(t, rv, w.s.ResourceVersion())
	require.NoError(t, w.e.RunUntil(time.Hour+time.Second))
	got, _ = w.s.ReplicaSets.Peek("default/cache")
	require.EqualValues(t, 2, got.AvailableReplicas)
}

// TestSettlePodsAsControllersCreateThem: a settled pod equals the pod the
// controllers create and the scheduler binds in a booting cluster, but for name,
// UID, node, times and the status the kubelet writes.
func TestSettlePodsAsControllersCreateThem(t *testing.T) {
	boot := newWorld(t, 1)
	defer boot.stop()
	for _, n := range []string{"node-a-1", "node-a-2"} {
		boot.addNode(n, map[string]string{"disk": "ssd"})
	}
	_, err := boot.s.Deployments.Create(boot.c, webDeployment(2))
	require.NoError(t, err)
	_, err = boot.s.DaemonSets.Create(boot.c, nodeAgentDaemonSet())
	require.NoError(t, err)
	_, err = boot.s.ReplicaSets.Create(boot.c, cacheReplicaSet())
	require.NoError(t, err)
	boot.run(time.Minute)

	w := newSettleWorld(t, 1)
	for _, n := range []string{"node-a-1", "node-a-2"} {
		w.node(n, "", defaultAllocatable, map[string]string{"disk": "ssd"})
	}
	w.restore(webDeployment(2), nodeAgentDaemonSet(), cacheReplicaSet())
	w.settle()

	norm := func(s *apiserver.Server, p *apiserver.Pod) *apiserver.Pod {
		q := p.DeepCopy()
		ref := q.OwnerReferences[0]
		switch ref.Kind {
		case KindReplicaSet:
			o, _ := s.ReplicaSets.Peek(nsKey(q.Namespace, ref.Name))
			require.Equal(t, o.UID, ref.UID)
		case KindDaemonSet:
			o, _ := s.DaemonSets.Peek(nsKey(q.Namespace, ref.Name))
			require.Equal(t, o.UID, ref.UID)
		}
		q.OwnerReferences[0].UID = 0
		q.Name, q.UID, q.ResourceVersion, q.CreationTimestamp, q.NodeName = "", 0, 0, 0, ""
		q.Phase, q.Conditions = "", nil
		return q
	}
	byOwner := func(s *apiserver.Server) map[string][]*apiserver.Pod {
		m := map[string][]*apiserver.Pod{}
		s.Pods.Each(func(p *apiserver.Pod) {
			m[p.OwnerReferences[0].Name] = append(m[p.OwnerReferences[0].Name], norm(s, p))
		})
		return m
	}
	want, got := byOwner(boot.s), byOwner(w.s)
	require.Len(t, got, 3)
	// the stored objects' cached keys name the original pods
	ignoreKey := cmpopts.IgnoreUnexported(apiserver.ObjectMeta{})
	if d := cmp.Diff(want, got, ignoreKey); d != "" {
		t.Fatalf("settled pods differ from booted ones (-boot +settled):\n%s", d)
	}
	// The ReplicaSet too, but for UIDs, times and status.
	normRS := func(s *apiserver.Server) []*apiserver.ReplicaSet {
		var out []*apiserver.ReplicaSet
		s.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) {
			q := rs.DeepCopy()
			q.UID, q.ResourceVersion, q.CreationTimestamp = 0, 0, 0
			for i := range q.OwnerReferences {
				q.OwnerReferences[i].UID = 0
			}
			out = append(out, q)
		})
		return out
	}
	require.Empty(t, cmp.Diff(normRS(boot.s), normRS(w.s), ignoreKey))
	// Conditions: what the kubelet writes after the scheduler's bind.
	p := w.ownedBy(KindReplicaSet, "cache")[0]
	var types []apiserver.PodConditionType
	for _, c := range p.Conditions {
		types = append(types, c.Type)
		require.Equal(t, settleSince, c.LastTransitionTime)
	}
	require.Equal(t, []apiserver.PodConditionType{apiserver.PodScheduled, apiserver.PodInitialized, apiserver.PodContainersReady, apiserver.PodReady}, types)
}

// TestSettleCapacity: nodes are filled up to their allocatable pods, cpu and memory
// (DaemonSet and bound bare pods included); the rest stays Pending and unbound, and
// the scheduler reports it at run time.
func TestSettleCapacity(t *testing.T) {
	w := newSettleWorld(t, 3)
	small := apiserver.Resources{MilliCPU: 1000, Memory: 4 << 30, Pods: 4}
	for _, n := range []string{"n1", "n2", "n3"} {
		w.node(n, "", small, nil)
	}
	bare := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "bare-bound"}, NodeName: "n1",
		PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: 500}}, Phase: apiserver.PodRunning}
	unbound := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "bare-pending"}, Phase: apiserver.PodPending}
	d := webDeployment(10) // 500m each: n1 has room for none, n2 and n3 for one each after the agent
	w.restore(bare, unbound, nodeAgentDaemonSet(), d)
	w.settle()

	perNode := map[string]apiserver.Resources{}
	w.s.Pods.Each(func(p *apiserver.Pod) {
		if p.NodeName == "" {
			return
		}
		r := perNode[p.NodeName]
		r.MilliCPU += p.Requests.MilliCPU
		r.Memory += p.Requests.Memory
		r.Pods++
		perNode[p.NodeName] = r
	})
	for n, r := range perNode {
		require.LessOrEqual(t, r.MilliCPU, small.MilliCPU, n)
		require.LessOrEqual(t, r.Pods, small.Pods, n)
	}
	web := w.ownedBy(KindReplicaSet, "web-"+PodTemplateHash(&d.Template))
	var pending int
	for _, p := range web {
		if p.NodeName == "" {
			pending++
			require.Equal(t, apiserver.PodPending, p.Phase)
			require.Empty(t, p.Conditions)
		}
	}
	require.Equal(t, 8, pending)
	rs, _ := w.s.ReplicaSets.Peek("default/web-" + PodTemplateHash(&d.Template))
	require.Equal(t, [3]int32{10, 2, 2}, [3]int32{rs.StatusReplicas, rs.ReadyReplicas, rs.AvailableReplicas})
	dep, _ := w.s.Deployments.Peek("default/web")
	require.EqualValues(t, 2, dep.ReadyReplicas)
	up, _ := w.s.Pods.Peek("default/bare-pending")
	require.Empty(t, up.NodeName, "unbound bare pods are left to the scheduler")

	w.start()
	defer w.stop()
	n := w.s.Pods.Len()
	require.NoError(t, w.e.RunUntil(5*time.Second))
	require.Equal(t, n, w.s.Pods.Len(), "no pod created or deleted")
	var failed, scheduled int
	for _, r := range w.tr.Records() {
		switch r.Kind {
		case "FailedScheduling":
			failed++
		case "PodScheduled":
			scheduled++
			require.Equal(t, "default/bare-pending", r.Str("pod"))
		}
	}
	require.Equal(t, 8, failed, "each pending web pod once")
	require.Equal(t, 1, scheduled, "the bare pod")
}

// TestSettleSpread: pods go round-robin over the nodes, one zone after the other.
func TestSettleSpread(t *testing.T) {
	w := newSettleWorld(t, 1)
	for _, z := range []string{"a", "b", "c"} {
		for i := 1; i <= 3; i++ {
			w.node(fmt.Sprintf("node-%s-%d", z, i), "zone-"+z, defaultAllocatable, nil)
		}
	}
	d1 := webDeployment(3)
	d2 := webDeployment(9)
	d2.Name = "api"
	d2.Template.Labels = apiserver.NewLabels(map[string]string{"app": "api"})
	d2.Selector = apiserver.LabelSelector{"app": "api"}
	w.restore(d1, d2)
	w.settle()
	zones := map[string]int{}
	for _, p := range w.ownedBy(KindReplicaSet, "web-"+PodTemplateHash(&d1.Template)) {
		n, _ := w.s.Nodes.Peek(p.NodeName)
		zones[n.Labels.Get(apiserver.LabelZone)]++
	}
	require.Equal(t, map[string]int{"zone-a": 1, "zone-b": 1, "zone-c": 1}, zones)
	perNode := map[string]int{}
	w.s.Pods.Each(func(p *apiserver.Pod) { perNode[p.NodeName]++ })
	require.Len(t, perNode, 9)
	for n, c := range perNode {
		require.Contains(t, []int{1, 2}, c, n) // 12 pods on 9 nodes
	}
}

// TestSettlePreferNoSchedule: nodes with an untolerated PreferNoSchedule taint are
// used only once the others are full.
func TestSettlePreferNoSchedule(t *testing.T) {
	w := newSettleWorld(t, 1)
	w.node("n1", "", defaultAllocatable, nil, taint.Taint{Key: "spot", Effect: taint.PreferNoSchedule})
	w.node("n2", "", apiserver.Resources{MilliCPU: 4000, Memory: 8 << 30, Pods: 2}, nil)
	w.node("n3", "", apiserver.Resources{MilliCPU: 4000, Memory: 8 << 30, Pods: 1}, nil)
	w.restore(webDeployment(5))
	w.settle()
	perNode := map[string]int{}
	w.s.Pods.Each(func(p *apiserver.Pod) { perNode[p.NodeName]++ })
	require.Equal(t, map[string]int{"n1": 2, "n2": 2, "n3": 1}, perNode)
}

// TestSettlePreferredAffinity: nodes a pod prefers (NodeAffinity, weight 2) are filled
// first, and the most preferred before the less, as the scheduler's static scores
// rank them; a PreferNoSchedule taint (weight 3) outranks a preference.
func TestSettlePreferredAffinity(t *testing.T) {
	w := newSettleWorld(t, 1)
	small := apiserver.Resources{MilliCPU: 4000, Memory: 8 << 30, Pods: 2}
	w.node("a", "zone-a", small, nil)
	w.node("b", "zone-b", small, nil)
	w.node("c", "zone-c", small, nil)
	w.node("c-tainted", "zone-c", small, nil, taint.Taint{Key: "spot", Effect: taint.PreferNoSchedule})
	d := webDeployment(5)
	d.Template.Spec.EditSpec().PreferredNodeAffinity = []apiserver.PreferredSchedulingTerm{
		{Weight: 10, Preference: apiserver.NodeSelectorTerm{MatchExpressions: []apiserver.NodeSelectorRequirement{req(apiserver.LabelZone, "In", "zone-b")}}},
		{Weight: 90, Preference: apiserver.NodeSelectorTerm{MatchExpressions: []apiserver.NodeSelectorRequirement{req(apiserver.LabelZone, "In", "zone-c")}}},
	}
	w.restore(d)
	w.settle()
	perNode := map[string]int{}
	w.s.Pods.Each(func(p *apiserver.Pod) { perNode[p.NodeName]++ })
	// c (300+200), b (300+22), a (300), c-tainted (0+200): c and b full, then a
	require.Equal(t, map[string]int{"c": 2, "b": 2, "a": 1}, perNode)
}

// TestSettleDeterministic: the same seed gives the same names and placement, another
// seed other names.
func TestSettleDeterministic(t *testing.T) {
	a, b, c := smallSettled(t, 7).placement(), smallSettled(t, 7).placement(), smallSettled(t, 8).placement()
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
}

func TestSettleErrors(t *testing.T) {
	w := newSettleWorld(t, 1)
	require.ErrorContains(t, Settle(w.s, SettleConfig{}), "Rand")
	w.node("n1", "", defaultAllocatable, nil)
	rs := cacheReplicaSet()
	rs.Template.Spec.EditSpec().NodeSelector = nil
	w.restore(rs)
	w.settle()
	// a second Settle finds the pods it made
	require.ErrorContains(t, Settle(w.s, SettleConfig{Rand: sim.NewRand(1, "settle")}), "already belongs to ReplicaSet cache")
}

// TestSettleNameCollision: a name taken by a pod stored before Settle is drawn again.
func TestSettleNameCollision(t *testing.T) {
	first := func(extra ...apiserver.Object) (*settleWorld, string) {
		w := newSettleWorld(t, 5)
		w.node("n1", "", defaultAllocatable, nil)
		rs := cacheReplicaSet()
		rs.Template.Spec.EditSpec().NodeSelector = nil
		rs.Replicas = 1
		w.restore(append(extra, rs)...)
		w.settle()
		return w, w.ownedBy(KindReplicaSet, "cache")[0].Name
	}
	_, name := first()
	bare := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}, Phase: apiserver.PodPending}
	w, got := first(bare)
	require.NotEqual(t, name, got)
	p, _ := w.s.Pods.Peek("default/" + name)
	require.Empty(t, p.OwnerReferences, "the bare pod is left alone")
}

// BenchmarkSettle settles 100k nodes in 3 zones and 1M pods in 100 Deployments.
func BenchmarkSettle(b *testing.B) {
	const nodes, deployments, replicas = 100_000, 100, 10_000
	b.ReportAllocs()
	var total time.Duration
	var bytes uint64
	for range b.N {
		b.StopTimer()
		e := sim.New()
		s := apiserver.New(e, nil, apiserver.DefaultConfig())
		alloc := apiserver.Resources{MilliCPU: 32000, Memory: 128 << 30, Pods: 110}
		for i := range nodes {
			name := fmt.Sprintf("node-%06d", i)
			_, _ = s.Nodes.Restore(&apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name,
				Labels: apiserver.NewLabels(map[string]string{apiserver.LabelHostname: name, apiserver.LabelZone: fmt.Sprintf("zone-%d", i*3/nodes)})},
				Capacity: alloc, Allocatable: alloc})
		}
		for i := range deployments {
			app := fmt.Sprintf("app-%03d", i)
			_, _ = s.Deployments.Restore(&apiserver.Deployment{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: app},
				Replicas: replicas, Selector: apiserver.LabelSelector{"app": app},
				Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": app}), Spec: apiserver.Pod{
					PodSpec: &apiserver.PodSpec{TerminationGracePeriodSeconds: 30, Requests: apiserver.Resources{MilliCPU: 100, Memory: 128 << 20}}}}})
		}
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b.StartTimer()
		start := time.Now()
		if err := Settle(s, SettleConfig{Since: -time.Hour, Rand: sim.NewRand(1, "settle")}); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		runtime.ReadMemStats(&m1)
		bytes += m1.TotalAlloc - m0.TotalAlloc
		if s.Pods.Len() != deployments*replicas {
			b.Fatalf("%d pods", s.Pods.Len())
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N*deployments*replicas), "ns/pod")
	b.ReportMetric(float64(bytes)/float64(b.N*deployments*replicas), "B/pod")
}

// BenchmarkRestorePods is the floor under BenchmarkSettle: the API server's own cost
// of restoring 1M ready-made pods on 100k nodes (store, key list, spec.nodeName
// index).
func BenchmarkRestorePods(b *testing.B) {
	const nodes, pods = 100_000, 1_000_000
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		s := apiserver.New(sim.New(), nil, apiserver.DefaultConfig())
		slab := make([]apiserver.Pod, pods)
		for i := range slab {
			slab[i] = apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("app-%03d-abcdefghij-%05d", i/10000, i%100000)},
				NodeName: fmt.Sprintf("node-%06d", i%nodes), Phase: apiserver.PodRunning}
		}
		runtime.GC()
		b.StartTimer()
		for i := range slab {
			if _, err := s.Pods.Restore(&slab[i]); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// TestSettleSuffixCodes: Settle draws the names generateName draws from the same
// stream, and its suffix codes order as the names do (podBlock sorts codes).
func TestSettleSuffixCodes(t *testing.T) {
	st := &settler{cfg: SettleConfig{Rand: sim.NewRand(3, "settle")}, names: map[string]map[uint32]struct{}{}}
	r := sim.NewRand(3, "settle")
	var names []string
	var codes []uint32
	for range 2000 {
		name, err := st.newName("default", "web-")
		require.NoError(t, err)
		require.Equal(t, generateName("web-", r), name)
		code := suffixCode(name[len("web-"):])
		require.Equal(t, name, string(appendSuffix([]byte("web-"), code)))
		names, codes = append(names, name), append(codes, code)
	}
	for i := range names {
		for j := range names {
			require.Equal(t, names[i] < names[j], codes[i] < codes[j])
		}
	}
}
