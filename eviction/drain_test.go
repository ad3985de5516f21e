package eviction

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

// workloadStub stands in for the ReplicaSet controller, the scheduler, the kubelet
// and the disruption controller: a pod of app=web that starts terminating gets a
// replacement on node "b" that turns Ready after readyAfter, terminating pods vanish
// when their grace period ends, and the budget's status follows the healthy count
// (DisruptionsAllowed = healthy − minAvailable).
type workloadStub struct {
	w            *world
	c            *apiserver.Client
	minAvailable int32
	readyAfter   time.Duration
	n            int
	minHealthy   int32
}

func newWorkloadStub(w *world, minAvailable int32, readyAfter time.Duration) *workloadStub {
	st := &workloadStub{w: w, c: w.s.NewClient("stub", 10*time.Second), minAvailable: minAvailable, readyAfter: readyAfter, minHealthy: 1 << 30}
	w.kubelets("a", "b")
	w.s.Pods.Watch(st.c, 0, st.changed)
	return st
}

func (st *workloadStub) changed(ev apiserver.Event[*apiserver.Pod]) {
	w := st.w
	if ev.Type == apiserver.Modified && ev.New.Deleting && !ev.Old.Deleting && ev.New.Labels.Get("app") == "web" {
		st.n++
		name := fmt.Sprintf("default/web-r%d", st.n)
		w.addPod(name, "b", labels("app", "web"), func(p *apiserver.Pod) { p.Conditions = nil })
		_, _ = w.e.After(st.readyAfter, func() {
			_, _ = w.s.Pods.Patch(st.c, name, func(p *apiserver.Pod) error {
				p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}, w.e.Now())
				return nil
			})
		})
	}
	st.syncBudget()
}

func (st *workloadStub) syncBudget() {
	var healthy int32
	st.w.s.Pods.Each(func(p *apiserver.Pod) {
		if p.Labels.Get("app") == "web" && p.IsReady() && !p.Deleting {
			healthy++
		}
	})
	if healthy < st.minHealthy {
		st.minHealthy = healthy
	}
	_, _ = st.w.s.PDBs.Patch(st.c, "default/web", func(b *apiserver.PodDisruptionBudget) error {
		b.CurrentHealthy, b.DesiredHealthy = healthy, st.minAvailable
		b.DisruptionsAllowed = max(healthy-st.minAvailable, 0)
		return nil
	})
}

func (w *world) addPDB(minAvailable, allowed int32) {
	_, err := w.s.PDBs.Create(w.op, &apiserver.PodDisruptionBudget{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
		Selector: apiserver.LabelSelector{"app": "web"}, MinAvailable: apiserver.IntOrPercent{Set: true, Value: minAvailable},
		DesiredHealthy: minAvailable, CurrentHealthy: minAvailable + allowed, DisruptionsAllowed: allowed})
	require.NoError(w.t, err)
}

// Drain with a budget: 2 of 3 replicas on the node, minAvailable 2. The first eviction
// uses the one allowed disruption, the second is refused (429) and retried every 5 s
// until the replacement is Ready; the drain finishes once both pods are gone.
func TestDrainRespectsBudget(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addNode("b", true)
	for _, p := range []struct{ key, node string }{{"default/web-1", "a"}, {"default/web-2", "a"}, {"default/web-3", "b"}} {
		w.addPod(p.key, p.node, labels("app", "web"), func(p *apiserver.Pod) { p.EditSpec().TerminationGracePeriodSeconds = 5 })
	}
	w.addDaemonSet("kube-system/ds")
	w.addPod("kube-system/proxy-a", "a", daemonSetPod)
	w.addPod("kube-system/mirror-a", "a", func(p *apiserver.Pod) { p.Annotations = map[string]string{MirrorPodAnnotation: "x"} })
	w.addPDB(2, 1)
	stub := newWorkloadStub(w, 2, 12*time.Second)
	var result error = fmt.Errorf("not called")
	w.at(secs(10), func() {
		_, err := Drain(w.s, w.op, "a", DrainOptions{}, func(err error) { result = err })
		require.NoError(t, err)
	})
	w.runUntil(200 * time.Second)
	require.NoError(t, result)
	require.GreaterOrEqual(t, stub.minHealthy, int32(2), "the budget held throughout")
	n, _ := w.s.Nodes.Peek("a")
	require.True(t, n.Unschedulable, "cordoned")
	_, ok := w.s.Pods.Peek("kube-system/proxy-a")
	require.True(t, ok, "DaemonSet pods are skipped")
	_, ok = w.s.Pods.Peek("kube-system/mirror-a")
	require.True(t, ok, "mirror pods are skipped")
	golden(t, "drain_pdb", w.records("DrainStarted", "PodEvicted", "EvictionRefused", "PodDeleted", "PodReady", "DrainFinished"))
}

func (w *world) addDaemonSet(key string) {
	ns, name, _ := strings.Cut(key, "/")
	_, err := w.s.DaemonSets.Create(w.op, &apiserver.DaemonSet{ObjectMeta: apiserver.ObjectMeta{Namespace: ns, Name: name}})
	require.NoError(w.t, err)
}

// kubectl's daemonSetFilter with --ignore-daemonsets --force: a running pod of an
// existing DaemonSet is skipped; a finished one (Succeeded, Failed) is evicted whatever
// its owner; one whose DaemonSet is gone is an orphan that --force deletes. Mirror
// pods are skipped.
func TestDrainDaemonSetPods(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addDaemonSet("kube-system/ds")
	w.addPod("kube-system/running", "a", daemonSetPod)
	w.addPod("kube-system/succeeded", "a", daemonSetPod, phase(apiserver.PodSucceeded, ""))
	w.addPod("kube-system/failed", "a", daemonSetPod, phase(apiserver.PodFailed, ""))
	w.addPod("kube-system/orphan", "a", func(p *apiserver.Pod) {
		p.OwnerReferences = []apiserver.OwnerReference{{Kind: "DaemonSet", Name: "deleted", UID: 2, Controller: true}}
	})
	w.addPod("kube-system/mirror", "a", daemonSetPod, phase(apiserver.PodSucceeded, ""),
		func(p *apiserver.Pod) { p.Annotations = map[string]string{MirrorPodAnnotation: "x"} })
	w.kubelets("a")
	var result error = fmt.Errorf("not called")
	_, err := Drain(w.s, w.op, "a", DrainOptions{}, func(err error) { result = err })
	require.NoError(t, err)
	w.runUntil(100 * time.Second)
	require.NoError(t, result)
	var evicted []string
	for _, r := range w.records("PodEvicted") {
		evicted = append(evicted, r.Str("pod"))
	}
	require.ElementsMatch(t, []string{"kube-system/succeeded", "kube-system/failed", "kube-system/orphan"}, evicted)
	for _, key := range []string{"kube-system/running", "kube-system/mirror"} {
		_, ok := w.s.Pods.Peek(key)
		require.True(t, ok, key)
	}
}

// A budget that never allows a disruption: the drain times out. The refused pod
// notices the timeout when it wakes from its 5 s sleep, as kubectl's goroutine does.
func TestDrainTimeout(t *testing.T) {
	for _, tc := range []struct {
		timeout time.Duration
		endAt   time.Duration
	}{
		{30 * time.Second, 30 * time.Second},
		{32 * time.Second, 35 * time.Second},
	} {
		t.Run(tc.timeout.String(), func(t *testing.T) {
			w := newWorld(t)
			w.addNode("a", true)
			w.addPod("default/web-1", "a", labels("app", "web"))
			w.addPDB(1, 0)
			var result error
			d, err := Drain(w.s, w.op, "a", DrainOptions{Timeout: tc.timeout}, func(err error) { result = err })
			require.NoError(t, err)
			w.runUntil(100 * time.Second)
			require.True(t, d.Done())
			require.ErrorIs(t, result, ErrDrainTimeout)
			fin := w.records("DrainFinished")
			require.Len(t, fin, 1)
			require.Equal(t, tc.endAt, fin[0].T)
			require.Equal(t, DrainTimeout, fin[0].Str("outcome"))
			require.Len(t, w.records("EvictionRefused"), int(tc.endAt/DrainEvictionRetryInterval))
		})
	}
}

// An evicted pod that never goes away (no kubelet) times the drain out at the
// deadline exactly; a pod that is already terminating is evicted again (the eviction
// API deletes it without consulting budgets) and waited for.
func TestDrainWaitsForDeletion(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", false)
	w.addPod("default/stuck", "a")
	w.addPod("default/terminating", "a")
	require.NoError(t, w.s.Pods.Delete(w.op, "default/terminating", apiserver.DeleteOptions{}))
	var result error
	_, err := Drain(w.s, w.op, "a", DrainOptions{Timeout: 45 * time.Second}, func(err error) { result = err })
	require.NoError(t, err)
	w.runUntil(100 * time.Second)
	require.ErrorIs(t, result, ErrDrainTimeout)
	fin := w.records("DrainFinished")
	require.Equal(t, 45*time.Second, fin[0].T)
	require.Len(t, w.evictions(ReasonDrain), 2)
	// kubectl's waitForDelete returns its context's error
	require.ErrorContains(t, result, `error when waiting for pod "stuck" in namespace "default" to terminate: context deadline exceeded`)
}

func TestDrainGracePeriodAndEmptyNode(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addNode("empty", true)
	w.addPod("default/p", "a")
	w.kubelets("a")
	var res []error
	_, err := Drain(w.s, w.op, "a", DrainOptions{GracePeriodSeconds: ptr(int64(3))}, func(err error) { res = append(res, err) })
	require.NoError(t, err)
	_, err = Drain(w.s, w.op, "empty", DrainOptions{}, func(err error) { res = append(res, err) })
	require.NoError(t, err)
	w.runUntil(60 * time.Second)
	require.Equal(t, []error{nil, nil}, res)
	fin := w.records("DrainFinished")
	require.Equal(t, "empty", fin[0].Str("node"))
	require.Equal(t, "a", fin[1].Str("node"))
	require.Equal(t, 3*time.Second, fin[1].T, "--grace-period 3: gone at 3 s, seen by the 1 s poll")
}

func TestDrainErrors(t *testing.T) {
	w := newWorld(t)
	_, err := Drain(w.s, w.op, "a", DrainOptions{Timeout: -1}, nil)
	require.ErrorContains(t, err, "DrainOptions.Timeout")
	_, err = Drain(w.s, w.op, "a", DrainOptions{GracePeriodSeconds: ptr(int64(-2))}, nil)
	require.ErrorContains(t, err, "DrainOptions.GracePeriodSeconds")
	_, err = Drain(w.s, w.op, "", DrainOptions{}, nil)
	require.ErrorContains(t, err, "node")
	var res error
	d, err := Drain(w.s, w.op, "missing", DrainOptions{}, func(err error) { res = err })
	require.NoError(t, err)
	require.True(t, d.Done())
	require.True(t, apiserver.IsNotFound(res))
	require.Equal(t, DrainError, w.records("DrainFinished")[0].Str("outcome"))
}

func TestDrainStop(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addPod("default/web-1", "a", labels("app", "web"))
	w.addPDB(1, 0)
	called := false
	d, err := Drain(w.s, w.op, "a", DrainOptions{}, func(error) { called = true })
	require.NoError(t, err)
	w.runUntil(12 * time.Second)
	d.Stop()
	w.runUntil(100 * time.Second)
	require.False(t, called)
	require.Len(t, w.records("EvictionRefused"), 3)
	require.Equal(t, 0, w.e.Pending())
}

func TestCordonUncordon(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	require.NoError(t, Cordon(w.s, w.op, "a"))
	n, _ := w.s.Nodes.Peek("a")
	require.True(t, n.Unschedulable)
	rv := n.ResourceVersion
	require.NoError(t, Cordon(w.s, w.op, "a"))
	n, _ = w.s.Nodes.Peek("a")
	require.Equal(t, rv, n.ResourceVersion, "already cordoned: no write")
	require.NoError(t, Uncordon(w.s, w.op, "a"))
	n, _ = w.s.Nodes.Peek("a")
	require.False(t, n.Unschedulable)
	require.True(t, apiserver.IsNotFound(Cordon(w.s, w.op, "nope")))
}

func ptr[T any](v T) *T { return &v }
