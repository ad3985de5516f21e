package apiserver

import (
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

func newTestServer(t *testing.T) (*Server, *sim.Engine, *sim.Trace) {
	t.Helper()
	e := sim.New()
	tr := sim.NewTrace(true)
	return New(e, tr, DefaultConfig()), e, tr
}

func kinds(tr *sim.Trace) []string {
	var out []string
	for _, r := range tr.Records() {
		out = append(out, r.Kind)
	}
	return out
}

func TestNodeCreateAdmissionAndTrace(t *testing.T) {
	s, _, tr := newTestServer(t)
	c := s.NewClient("kubelet/a", 10*time.Second)
	n, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "a"},
		Conditions: []NodeCondition{{Type: NodeReady, Status: ConditionTrue, Reason: "KubeletReady"}}})
	require.NoError(t, err)
	// TaintNodesByCondition: every new node starts with not-ready:NoSchedule.
	require.True(t, n.HasTaint(taint.NotReadyNoSchedule))
	require.NotZero(t, n.UID)
	require.Equal(t, []string{"NodeRegistered", "NodeCondition", "TaintAdded"}, kinds(tr))

	_, err = s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.True(t, IsAlreadyExists(err))
	require.EqualError(t, err, `nodes "a" already exists`)

	stale := n.DeepCopy()
	_, err = s.Nodes.Patch(c, "a", func(n *Node) error { n.Unschedulable = true; return nil })
	require.NoError(t, err)
	_, err = s.Nodes.Update(c, stale)
	require.True(t, IsConflict(err))

	require.NoError(t, s.Nodes.Delete(c, "a", DeleteOptions{}))
	_, err = s.Nodes.Get(c, "a")
	require.True(t, IsNotFound(err))
	require.EqualError(t, err, `nodes "a" not found`)
}

func TestPodGracefulDeleteAndDefaultTolerations(t *testing.T) {
	s, e, _ := newTestServer(t)
	c := s.NewClient("test", 30*time.Second)
	p, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "web"}, NodeName: "a", PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}})
	require.NoError(t, err)
	require.Len(t, p.Tolerations, 2, "DefaultTolerationSeconds adds not-ready and unreachable")
	require.Equal(t, int64(300), *p.Tolerations[0].TolerationSeconds)

	require.NoError(t, e.RunUntil(5*time.Second))
	require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{}))
	p, ok := s.Pods.Peek("default/web")
	require.True(t, ok, "a scheduled pod stays until the kubelet's final delete")
	require.True(t, p.Deleting)
	require.Equal(t, 35*time.Second, p.DeletionTimestamp)

	zero := int64(0)
	require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{GracePeriodSeconds: &zero}))
	_, ok = s.Pods.Peek("default/web")
	require.False(t, ok)

	// An unscheduled pod is deleted at once.
	_, err = s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "pending"}, PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}})
	require.NoError(t, err)
	require.NoError(t, s.Pods.Delete(c, "default/pending", DeleteOptions{}))
	_, ok = s.Pods.Peek("default/pending")
	require.False(t, ok)
}

func TestInformerLatencyAndPartition(t *testing.T) {
	s, e, _ := newTestServer(t)
	writer := s.NewClient("writer", 30*time.Second)
	reader := s.NewClient("reader", 10*time.Second)
	inf := NewInformer(s.Nodes, reader, 2*time.Second)
	var seen []time.Duration
	inf.AddHandler(func(Event[*Node]) { seen = append(seen, e.Now()) })

	_, err := s.Nodes.Create(writer, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.NoError(t, err)
	_, ok := inf.Get("a")
	require.False(t, ok, "the watch has not delivered yet")
	require.NoError(t, e.RunUntil(2*time.Second))
	_, ok = inf.Get("a")
	require.True(t, ok)

	reader.SetPartitioned(true)
	_, err = s.Nodes.Get(reader, "a")
	require.True(t, IsTimeout(err))
	require.Equal(t, 10*time.Second, Took(err))
	require.NoError(t, s.Nodes.Delete(writer, "a", DeleteOptions{}))
	require.NoError(t, e.RunUntil(20*time.Second))
	_, ok = inf.Get("a")
	require.True(t, ok, "a partitioned informer does not see the deletion")
	reader.SetPartitioned(false)
	require.NoError(t, e.RunUntil(22*time.Second))
	_, ok = inf.Get("a")
	require.False(t, ok, "after heal the held notification is delivered")
	require.Equal(t, []time.Duration{2 * time.Second, 22 * time.Second}, seen)

	s.SetOutage(true)
	_, err = s.Nodes.Get(writer, "a")
	require.True(t, IsUnavailable(err))
	require.Zero(t, Took(err))
}

func TestNodeDeletionCollectsLease(t *testing.T) {
	s, e, _ := newTestServer(t)
	c := s.NewClient("kubelet/a", 10*time.Second)
	n, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.NoError(t, err)
	_, err = s.Leases.Create(c, &Lease{ObjectMeta: ObjectMeta{Namespace: "kube-node-lease", Name: "a",
		OwnerReferences: []OwnerReference{{Kind: "Node", Name: "a", UID: n.UID}}}})
	require.NoError(t, err)
	require.NoError(t, s.Nodes.Delete(c, "a", DeleteOptions{}))
	require.NoError(t, e.RunUntil(time.Millisecond))
	_, ok := s.Leases.Peek("kube-node-lease/a")
	require.False(t, ok, "the garbage collector deletes a deleted Node's Lease")
}

func TestEvictRespectsBudget(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("kubectl", 30*time.Second)
	for _, name := range []string{"w1", "w2"} {
		_, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name, Labels: NewLabels(map[string]string{"app": "w"})},
			NodeName: "a", Phase: PodRunning, PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}})
		require.NoError(t, err)
	}
	_, err := s.PDBs.Create(c, &PodDisruptionBudget{ObjectMeta: ObjectMeta{Namespace: "default", Name: "w"},
		Selector: LabelSelector{"app": "w"}, DisruptionsAllowed: 1})
	require.NoError(t, err)
	require.NoError(t, s.Evict(c, "default/w1", nil))
	err = s.Evict(c, "default/w2", nil)
	require.True(t, IsTooManyRequests(err), "%v", err)
}

// A budget without a selector protects no pod; an empty selector protects every pod
// of its namespace (policy/v1: "A null selector will match no pods").
func TestEvictBudgetSelectorNilAndEmpty(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("kubectl", 30*time.Second)
	for _, name := range []string{"w1", "w2"} {
		_, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name, Labels: NewLabels(map[string]string{"app": "w"})},
			NodeName: "a", Phase: PodRunning, PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}})
		require.NoError(t, err)
	}
	_, err := s.PDBs.Create(c, &PodDisruptionBudget{ObjectMeta: ObjectMeta{Namespace: "default", Name: "none"}})
	require.NoError(t, err)
	require.NoError(t, s.Evict(c, "default/w1", nil))
	b, _ := s.PDBs.Peek("default/none")
	require.Empty(t, b.DisruptedPods, "a budget without a selector is not consulted")

	_, err = s.PDBs.Create(c, &PodDisruptionBudget{ObjectMeta: ObjectMeta{Namespace: "default", Name: "all"}, Selector: LabelSelector{}})
	require.NoError(t, err)
	err = s.Evict(c, "default/w2", nil)
	require.True(t, IsTooManyRequests(err), "%v", err)
}

func TestSelectedInformer(t *testing.T) {
	s, e, _ := newTestServer(t)
	c := s.NewClient("kubelet/a", 10*time.Second)
	inf := NewSelectedInformer(s.Pods, c, 0, IndexNodeName, "a")
	_, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "d", Name: "on-a"}, NodeName: "a"})
	require.NoError(t, err)
	_, err = s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "d", Name: "on-b"}, NodeName: "b"})
	require.NoError(t, err)
	_, err = s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "d", Name: "pending"}})
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(0))
	require.Equal(t, []string{"d/on-a"}, inf.Keys())
	_, err = s.Pods.Patch(c, "d/pending", func(p *Pod) error { p.NodeName = "a"; return nil })
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(0))
	require.Equal(t, []string{"d/on-a", "d/pending"}, inf.Keys())
}

func TestEvictUnhealthyPodAndNegativeBudget(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("kubectl", 30*time.Second)
	_, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "sick", Labels: NewLabels(map[string]string{"app": "w"})},
		NodeName: "a", Phase: PodRunning, PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}})
	require.NoError(t, err)
	// IfHealthyBudget: a not-Ready pod of a satisfied budget goes without a disruption.
	_, err = s.PDBs.Create(c, &PodDisruptionBudget{ObjectMeta: ObjectMeta{Namespace: "default", Name: "w"},
		Selector: LabelSelector{"app": "w"}, CurrentHealthy: 2, DesiredHealthy: 2})
	require.NoError(t, err)
	require.NoError(t, s.Evict(c, "default/sick", nil))
	p, _ := s.Pods.Peek("default/sick")
	require.True(t, p.Deleting)
	require.Equal(t, "EvictionByEvictionAPI", p.Condition(PodDisruptionTarget).Reason)
	b, _ := s.PDBs.Peek("default/w")
	require.Zero(t, b.DisruptionsAllowed, "no disruption used")

	_, err = s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "ok", Labels: NewLabels(map[string]string{"app": "w"})},
		NodeName: "a", Phase: PodRunning, Conditions: []PodCondition{{Type: PodReady, Status: ConditionTrue}}})
	require.NoError(t, err)
	err = s.Evict(c, "default/ok", nil)
	require.True(t, IsTooManyRequests(err))
	require.EqualError(t, err, "Cannot evict pod as it would violate the pod's disruption budget.")
	_, err = s.PDBs.Patch(c, "default/w", func(b *PodDisruptionBudget) error { b.DisruptionsAllowed = -1; return nil })
	require.NoError(t, err)
	require.EqualError(t, s.Evict(c, "default/ok", nil), "pdb disruptions allowed is negative")
}

func TestRestoreKeepsCreationTimeAndTracesNothing(t *testing.T) {
	s, e, tr := newTestServer(t)
	c := s.NewClient("observer", 30*time.Second)
	var seen []EventType
	s.Nodes.Watch(c, 0, func(ev Event[*Node]) { seen = append(seen, ev.Type) })
	n, err := s.Nodes.Restore(&Node{ObjectMeta: ObjectMeta{Name: "a", CreationTimestamp: -time.Hour},
		Conditions: []NodeCondition{{Type: NodeReady, Status: ConditionTrue, Reason: "KubeletReady"}}})
	require.NoError(t, err)
	require.Equal(t, -time.Hour, n.CreationTimestamp)
	require.NotZero(t, n.UID)
	require.NotZero(t, n.ResourceVersion)
	require.False(t, n.HasTaint(taint.NotReadyNoSchedule), "no admission: the node was admitted long ago")
	require.Empty(t, tr.Records(), "nothing happened now")
	_, err = s.Nodes.Restore(&Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.True(t, IsAlreadyExists(err))
	e.Run()
	require.Equal(t, []EventType{Added}, seen, "a running watch sees it as created")
	got, err := s.Nodes.Get(c, "a")
	require.NoError(t, err)
	require.Same(t, n, got)
}

// Pods stamped from one spec share one admitted spec, status writes keep it, and
// admission copies a spec before changing it: the caller's is left as it was.
func TestPodSpecIsShared(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("test", 30*time.Second)
	tmpl := &PodSpec{PriorityClassName: SystemNodeCritical, TerminationGracePeriodSeconds: 30}
	a, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "a"}, PodSpec: tmpl})
	require.NoError(t, err)
	b, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "b"}, PodSpec: tmpl})
	require.NoError(t, err)
	require.Same(t, a.PodSpec, b.PodSpec, "pods of one template share the admitted spec")
	require.NotSame(t, tmpl, a.PodSpec)
	require.Equal(t, int32(SystemNodeCriticalPriority), a.Priority)
	require.Len(t, a.Tolerations, 2)
	require.Zero(t, tmpl.Priority, "admission did not write into the caller's spec")
	require.Empty(t, tmpl.Tolerations)

	a2, err := s.Pods.Patch(c, a.Key(), func(p *Pod) error { p.Phase = PodRunning; return nil })
	require.NoError(t, err)
	require.Same(t, a.PodSpec, a2.PodSpec, "a status write keeps the spec")
	e, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "e"}, PodSpec: tmpl})
	require.NoError(t, err)
	require.Same(t, a.PodSpec, e.PodSpec, "status writes between two creates do not stop the sharing")

	// An admitted spec goes through admission again unchanged.
	d, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "d"}, PodSpec: a.PodSpec})
	require.NoError(t, err)
	require.Same(t, a.PodSpec, d.PodSpec)
}

// A pod without a spec, however it reaches the store, is stored with the empty one:
// reading its spec fields never panics.
func TestPodWithoutSpec(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("test", 30*time.Second)
	p, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "a"}})
	require.NoError(t, err)
	require.NotNil(t, p.PodSpec)
	require.Len(t, p.Tolerations, 2)

	r, err := s.Pods.Restore(&Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "r"}})
	require.NoError(t, err)
	require.NotNil(t, r.PodSpec)
	require.Zero(t, r.TerminationGracePeriodSeconds)

	q, err := s.Pods.Patch(c, "default/r", func(p *Pod) error { p.PodSpec = nil; return nil })
	require.NoError(t, err)
	require.NotNil(t, q.PodSpec)
	noSpec := q.StatusCopy()
	noSpec.PodSpec = nil
	u, err := s.Pods.Update(c, noSpec)
	require.NoError(t, err)
	require.NotNil(t, u.PodSpec)

	ds, err := s.DaemonSets.Restore(&DaemonSet{ObjectMeta: ObjectMeta{Namespace: "default", Name: "ds"}})
	require.NoError(t, err)
	require.NotNil(t, ds.Template.Spec.PodSpec)
	rs, err := s.ReplicaSets.Create(c, &ReplicaSet{ObjectMeta: ObjectMeta{Namespace: "default", Name: "rs"}})
	require.NoError(t, err)
	require.NotNil(t, rs.Template.Spec.PodSpec)
}

// UpdateFrom changes a copy of the version the caller read: it stores the change,
// leaves the version read untouched, and is refused with Conflict once that version is
// stale.
func TestUpdateFrom(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("c", time.Second)
	p, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "web"}})
	require.NoError(t, err)
	got, err := s.Pods.UpdateFrom(c, p, func(np *Pod) error {
		np.SetCondition(PodCondition{Type: PodReady, Status: ConditionTrue}, 0)
		return nil
	})
	require.NoError(t, err)
	require.True(t, got.IsReady())
	require.False(t, p.IsReady(), "the version read is not changed")
	stored, _ := s.Pods.Peek("default/web")
	require.Same(t, got, stored)
	_, err = s.Pods.UpdateFrom(c, p, func(*Pod) error { return nil })
	require.True(t, IsConflict(err), "p is stale now: %v", err)
}

// A copy of a stored object given another name is created under its own key: the
// key the copy carries from the original is not reused.
func TestCreateCopyWithAnotherName(t *testing.T) {
	s := New(sim.New(), sim.NewTrace(false), DefaultConfig())
	c := s.NewClient("u", time.Second)
	p, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "a"}})
	require.NoError(t, err)
	q := p.DeepCopy()
	q.Name = "b"
	_, err = s.Pods.Create(c, q)
	require.NoError(t, err)
	got, ok := s.Pods.Peek("default/b")
	require.True(t, ok)
	require.Equal(t, "default/b", got.Key())
	r := p.DeepCopy()
	r.Namespace = "other"
	_, err = s.Pods.Restore(r)
	require.NoError(t, err)
	_, ok = s.Pods.Peek("other/a")
	require.True(t, ok)
	n, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "n1"}})
	require.NoError(t, err)
	m := n.DeepCopy()
	m.Name = "n2"
	_, err = s.Nodes.Create(c, m)
	require.NoError(t, err)
	require.Equal(t, 2, s.Nodes.Len())
}

// ShareKey: a key that names the object becomes its key, which the store then keeps
// as it is (the name is its tail); any other key is refused.
func TestShareKey(t *testing.T) {
	s := New(sim.New(), sim.NewTrace(false), DefaultConfig())
	keys := "default/p-1default/p-2"
	p := &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "p-1"}}
	require.False(t, p.ShareKey(keys[11:]), "the key of another name")
	require.False(t, p.ShareKey("other/p-1"), "the key of another namespace")
	require.True(t, p.ShareKey(keys[:11]))
	got, err := s.Pods.Restore(p)
	require.NoError(t, err)
	require.Equal(t, "default/p-1", got.Key())
	require.Same(t, unsafe.StringData(keys), unsafe.StringData(got.Key()), "the store keeps the shared key")
	require.Same(t, unsafe.StringData(keys[8:]), unsafe.StringData(got.Name), "the name is the key's tail")
	n := &Node{ObjectMeta: ObjectMeta{Name: "n"}}
	require.True(t, n.ShareKey("n"))
	require.False(t, n.ShareKey("x/n"))
}

// A status copy owns its conditions, whether they come in the pod's allocation (a
// running pod's four) or in their own: changing one, or adding a fifth, leaves the
// original as it was.
func TestStatusCopyConditions(t *testing.T) {
	for _, n := range []int{0, 1, 3, 4, 5} {
		var conds []PodCondition
		for i := range n {
			// types past the named ones: neither Ready nor DisruptionTarget
			conds = append(conds, PodCondition{Type: PodConditionType(64 + i), Status: ConditionTrue})
		}
		p := &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "p"}, Conditions: slices.Clip(conds)}
		want := slices.Clone(conds)
		c := p.StatusCopy()
		require.Equal(t, want, c.Conditions, "%d conditions", n)
		if n > 0 {
			c.Conditions[0].Status = ConditionFalse
		}
		c.SetCondition(PodCondition{Type: PodReady, Status: ConditionTrue}, time.Second)
		c.SetCondition(PodCondition{Type: PodDisruptionTarget, Status: ConditionTrue}, time.Second)
		require.Equal(t, want, p.Conditions, "%d conditions: the original is unchanged", n)
		require.Len(t, c.Conditions, n+2)
		require.NotNil(t, c.PodSpec)
	}
}

// A node's status write (PatchStatus, UpdateStatusFrom) shares its labels and
// annotations with the previous version and copies its taints and conditions, which
// writers change in place; any other write of a node copies everything, so a patch may
// edit the labels in place.
func TestNodeStatusWriteCopy(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("c", time.Second)
	n, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "n", Labels: NewLabels(map[string]string{"zone": "a"}),
		Annotations: map[string]string{"x": "y"}},
		Taints:     []taint.Taint{{Key: "k", Effect: taint.NoSchedule}},
		Conditions: []NodeCondition{{Type: NodeReady, Status: ConditionTrue}}})
	require.NoError(t, err)
	taints := slices.Clone(n.Taints) // with the not-ready taint admission added
	got, err := s.Nodes.PatchStatus(c, "n", func(x *Node) error {
		x.Conditions[0].Status = ConditionUnknown
		x.Taints[0].Effect = taint.NoExecute
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, ConditionTrue, n.Conditions[0].Status, "the previous version's conditions are unchanged")
	require.Equal(t, taints, n.Taints, "and its taints")
	require.Equal(t, ConditionUnknown, got.Conditions[0].Status)
	require.True(t, n.Labels.Same(got.Labels), "labels shared")
	require.Equal(t, reflect.ValueOf(n.Annotations).Pointer(), reflect.ValueOf(got.Annotations).Pointer(), "annotations shared")

	again, err := s.Nodes.UpdateStatusFrom(c, got, func(x *Node) error { x.Conditions[0].Status = ConditionFalse; return nil })
	require.NoError(t, err)
	require.Equal(t, ConditionUnknown, got.Conditions[0].Status)
	require.True(t, n.Labels.Same(again.Labels), "labels shared")

	edited, err := s.Nodes.Patch(c, "n", func(x *Node) error { x.Labels = x.Labels.With("zone", "b"); return nil })
	require.NoError(t, err)
	require.Equal(t, "a", again.Labels.Get("zone"), "a plain patch leaves the stored labels as they were")
	require.Equal(t, "b", edited.Labels.Get("zone"))
}

// Kind.Range visits every stored object once, in an order fixed by the writes.
func TestKindRange(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("c", time.Second)
	for _, name := range []string{"c", "a", "d", "b"} {
		_, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name}})
		require.NoError(t, err)
	}
	require.NoError(t, s.Pods.Delete(c, "default/d", DeleteOptions{GracePeriodSeconds: new(int64)}))
	var got []string
	s.Pods.Range(func(p *Pod) { got = append(got, p.Name) })
	require.Equal(t, []string{"c", "a", "b"}, got, "the creation order, less what was deleted")
}

// A workload's write stores a copy of the struct that shares its maps and template
// with the previous version (nothing writes them in place), and leaves that version
// as it was.
func TestWorkloadStatusCopySharesMaps(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("c", time.Second)
	rs, err := s.ReplicaSets.Create(c, &ReplicaSet{ObjectMeta: ObjectMeta{Namespace: "default", Name: "rs", Labels: NewLabels(map[string]string{"app": "web"})},
		Replicas: 3, Selector: LabelSelector{"app": "web"}, Template: PodTemplate{Labels: NewLabels(map[string]string{"app": "web"})}})
	require.NoError(t, err)
	got, err := s.ReplicaSets.Patch(c, rs.Key(), func(x *ReplicaSet) error { x.ReadyReplicas = 2; return nil })
	require.NoError(t, err)
	require.NotSame(t, rs, got)
	require.Equal(t, int32(0), rs.ReadyReplicas, "the previous version is unchanged")
	require.Equal(t, int32(2), got.ReadyReplicas)
	require.True(t, rs.Labels.Same(got.Labels), "labels shared")
	require.True(t, rs.Template.Labels.Same(got.Template.Labels), "template shared")
	require.Same(t, rs.Template.Spec.PodSpec, got.Template.Spec.PodSpec)
	require.Greater(t, got.ResourceVersion, rs.ResourceVersion)

	d := &Deployment{ObjectMeta: ObjectMeta{Name: "d", Labels: NewLabels(map[string]string{"a": "b"})}}
	dc := d.StatusCopy()
	require.True(t, d.Labels.Same(dc.Labels))
	require.NotNil(t, dc.Template.Spec.PodSpec)
	ds := &DaemonSet{ObjectMeta: ObjectMeta{Name: "ds", Labels: NewLabels(map[string]string{"a": "b"})}}
	dsc := ds.StatusCopy()
	require.True(t, ds.Labels.Same(dsc.Labels))
	require.NotNil(t, dsc.Template.Spec.PodSpec)
}

// unhealthyPodEvictionPolicy (eviction.go EvictionREST.Create): under AlwaysAllow a pod
// that is not Ready goes without using a disruption even when the budget is not
// satisfied or its DisruptionsAllowed is negative; under IfHealthyBudget (and by
// default) it is refused then. A Ready pod is guarded either way.
func TestEvictUnhealthyPodEvictionPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		policy   UnhealthyPodEvictionPolicyType
		allowed  int32
		ready    bool
		wantErr  string
		wantUsed bool
	}{
		{name: "AlwaysAllow unready, budget not satisfied", policy: AlwaysAllow},
		{name: "AlwaysAllow unready, negative budget", policy: AlwaysAllow, allowed: -1},
		{name: "IfHealthyBudget unready, budget not satisfied", policy: IfHealthyBudget, wantErr: "Cannot evict pod as it would violate the pod's disruption budget."},
		{name: "default unready, budget not satisfied", wantErr: "Cannot evict pod as it would violate the pod's disruption budget."},
		{name: "IfHealthyBudget unready, negative budget", policy: IfHealthyBudget, allowed: -1, wantErr: "pdb disruptions allowed is negative"},
		{name: "AlwaysAllow ready pod, no disruption allowed", policy: AlwaysAllow, ready: true, wantErr: "Cannot evict pod as it would violate the pod's disruption budget."},
		{name: "AlwaysAllow ready pod uses a disruption", policy: AlwaysAllow, ready: true, allowed: 1, wantUsed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newTestServer(t)
			c := s.NewClient("kubectl", 30*time.Second)
			p := &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "p", Labels: NewLabels(map[string]string{"app": "w"})},
				NodeName: "a", Phase: PodRunning, PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}}
			if tc.ready {
				p.Conditions = []PodCondition{{Type: PodReady, Status: ConditionTrue}}
			}
			_, err := s.Pods.Create(c, p)
			require.NoError(t, err)
			_, err = s.PDBs.Create(c, &PodDisruptionBudget{ObjectMeta: ObjectMeta{Namespace: "default", Name: "w"},
				Selector: LabelSelector{"app": "w"}, MinAvailable: IntOrPercent{Set: true, Value: 2},
				UnhealthyPodEvictionPolicy: tc.policy, CurrentHealthy: 1, DesiredHealthy: 2, DisruptionsAllowed: tc.allowed})
			require.NoError(t, err)
			err = s.Evict(c, "default/p", nil)
			got, _ := s.Pods.Peek("default/p")
			b, _ := s.PDBs.Peek("default/w")
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				require.False(t, got.Deleting)
				require.Equal(t, tc.allowed, b.DisruptionsAllowed)
				return
			}
			require.NoError(t, err)
			require.True(t, got.Deleting)
			if tc.wantUsed {
				require.Equal(t, tc.allowed-1, b.DisruptionsAllowed)
				require.Contains(t, b.DisruptedPods, "p")
			} else {
				require.Equal(t, tc.allowed, b.DisruptionsAllowed, "no disruption used")
				require.Empty(t, b.DisruptedPods)
			}
		})
	}
}

// Evicting a pod that is already terminating deletes it without consulting budgets,
// and still adds DisruptionTarget EvictionByEvictionAPI (addConditionAndDeletePod runs
// on that path too).
func TestEvictTerminatingPodGetsCondition(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("kubectl", 30*time.Second)
	_, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "p"},
		NodeName: "a", Phase: PodRunning, PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}})
	require.NoError(t, err)
	require.NoError(t, s.Pods.Delete(c, "default/p", DeleteOptions{}))
	require.NoError(t, s.Evict(c, "default/p", nil))
	p, ok := s.Pods.Peek("default/p")
	require.True(t, ok)
	require.True(t, p.Deleting)
	cond := p.Condition(PodDisruptionTarget)
	require.NotNil(t, cond)
	require.Equal(t, "EvictionByEvictionAPI", cond.Reason)
}

// A taint whose value changes under the same key and effect (kubectl taint
// --overwrite) is traced as the old one removed and the new one added, so what reads
// the trace (expectations, sweep, report) sees the value the node holds.
func TestTaintValueChangeTraced(t *testing.T) {
	s, _, tr := newTestServer(t)
	c := s.NewClient("kubectl", 10*time.Second)
	_, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.NoError(t, err)
	set := func(v string) {
		_, err := s.Nodes.Patch(c, "a", func(n *Node) error {
			n.Taints = slices.DeleteFunc(n.Taints, func(x taint.Taint) bool { return x.Key == "k" })
			n.Taints = append(n.Taints, taint.Taint{Key: "k", Value: v, Effect: taint.NoSchedule})
			return nil
		})
		require.NoError(t, err)
	}
	set("v1")
	set("v2")
	set("v2") // unchanged: nothing traced
	var got []string
	for _, r := range tr.Records() {
		if r.Kind == "TaintAdded" || r.Kind == "TaintRemoved" {
			got = append(got, r.Kind+" "+r.Str("taint"))
		}
	}
	require.Equal(t, []string{"TaintAdded node.kubernetes.io/not-ready:NoSchedule",
		"TaintAdded k=v1:NoSchedule", "TaintRemoved k=v1:NoSchedule", "TaintAdded k=v2:NoSchedule"}, got)
}

// DeepCopy shares none of a pod's affinity terms (and spread constraints' selectors)
// with the original: changing the copy's selectors, namespaces and keys leaves the
// original as it was (a selector's values were shared before).
func TestPodSpecDeepCopyPodTerms(t *testing.T) {
	term := func() PodAffinityTerm {
		return PodAffinityTerm{Selector: &PodSelector{MatchLabels: map[string]string{"app": "web"},
			MatchExpressions: []NodeSelectorRequirement{{Key: "tier", Operator: "In", Values: []string{"x"}}}},
			NamespaceSelector: &PodSelector{MatchLabels: map[string]string{"team": "a"}},
			Namespaces:        []string{"default"}, TopologyKey: LabelZone}
	}
	s := &PodSpec{RequiredPodAntiAffinity: []PodAffinityTerm{term()}, RequiredPodAffinity: []PodAffinityTerm{term()},
		PreferredPodAffinity:      []WeightedPodAffinityTerm{{Weight: 5, PodAffinityTerm: term()}},
		PreferredPodAntiAffinity:  []WeightedPodAffinityTerm{{Weight: 7, PodAffinityTerm: term()}},
		TopologySpreadConstraints: []TopologySpreadConstraint{{TopologyKey: LabelZone, Selector: term().Selector}}}
	c := s.DeepCopy()
	c.TopologySpreadConstraints[0].Selector.MatchExpressions[0].Values[0] = "y"
	require.Equal(t, term().Selector, s.TopologySpreadConstraints[0].Selector)
	for _, ts := range [][]PodAffinityTerm{c.RequiredPodAntiAffinity, c.RequiredPodAffinity,
		{c.PreferredPodAffinity[0].PodAffinityTerm}, {c.PreferredPodAntiAffinity[0].PodAffinityTerm}} {
		ts[0].Selector.MatchLabels["app"] = "db"
		ts[0].Selector.MatchExpressions[0].Values[0] = "y"
		ts[0].NamespaceSelector.MatchLabels["team"] = "b"
		ts[0].Namespaces[0] = "other"
		ts[0].TopologyKey = LabelHostname
	}
	require.Equal(t, []PodAffinityTerm{term()}, s.RequiredPodAntiAffinity)
	require.Equal(t, []PodAffinityTerm{term()}, s.RequiredPodAffinity)
	require.Equal(t, []WeightedPodAffinityTerm{{Weight: 5, PodAffinityTerm: term()}}, s.PreferredPodAffinity)
	require.Equal(t, []WeightedPodAffinityTerm{{Weight: 7, PodAffinityTerm: term()}}, s.PreferredPodAntiAffinity)
}
