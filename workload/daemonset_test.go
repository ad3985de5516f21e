package workload

import (
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
	"github.com/stretchr/testify/require"
)

func agentDaemonSet() *apiserver.DaemonSet {
	return &apiserver.DaemonSet{
		ObjectMeta: apiserver.ObjectMeta{Namespace: "kube-system", Name: "agent"},
		Selector:   apiserver.LabelSelector{"app": "agent"},
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": "agent"}), Spec: apiserver.Pod{
			PodSpec: &apiserver.PodSpec{NodeSelector: map[string]string{"agent": "yes"}, ReadinessDelay: time.Second, TerminationGracePeriodSeconds: 30}}},
	}
}

// DaemonSet pods land on every eligible node, a new node gets one once the node
// lifecycle controller lifts not-ready:NoSchedule, and they tolerate unreachable.
func TestDaemonSetEveryEligibleNode(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("n1", map[string]string{"agent": "yes"})
	w.addNode("n2", map[string]string{"agent": "yes"})
	w.addNode("other", nil)
	_, err := w.s.DaemonSets.Create(w.c, agentDaemonSet())
	require.NoError(t, err)
	w.run(10 * time.Second)
	require.Len(t, w.podsOn("n1"), 1)
	require.Len(t, w.podsOn("n2"), 1)
	require.Empty(t, w.podsOn("other"), "nodeSelector excludes it")
	ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
	require.Equal(t, int32(2), ds.DesiredNumberScheduled)
	require.Equal(t, int32(2), ds.NumberReady)

	p := w.podsOn("n1")[0]
	for _, tt := range []taint.Taint{taint.NotReadyNoExecute, taint.UnreachableNoExecute} {
		require.True(t, taint.TolerationsTolerateTaint(p.Tolerations, tt, false), "tolerates %s", tt)
	}
	for _, tol := range p.Tolerations {
		if tol.Key == taint.Unreachable || tol.Key == taint.NotReady {
			require.Nil(t, tol.TolerationSeconds, "forever: DefaultTolerationSeconds adds nothing")
		}
	}

	// A new node registers with not-ready:NoSchedule (admission), which the
	// DaemonSet tolerations do not cover; it gets its pod when the taint goes.
	w.at(20*time.Second, func() {
		_, err := w.s.Nodes.Create(w.c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "n3", Labels: apiserver.NewLabels(map[string]string{"agent": "yes"})}, Allocatable: defaultAllocatable})
		require.NoError(t, err)
	})
	w.run(25 * time.Second)
	require.Empty(t, w.podsOn("n3"))
	w.at(30*time.Second, func() {
		_, err := w.s.Nodes.Patch(w.c, "n3", func(n *apiserver.Node) error { n.Taints = removeTaint(n.Taints, taint.NotReadyNoSchedule); return nil })
		require.NoError(t, err)
	})
	// n1 dies: its pod is kept (tolerates unreachable forever).
	w.at(40*time.Second, func() { w.nodeDies("n1") })
	w.run(60 * time.Second)
	require.Len(t, w.podsOn("n3"), 1)
	require.Equal(t, 30*time.Second, w.podsOn("n3")[0].CreationTimestamp)
	require.Len(t, w.podsOn("n1"), 1)
	require.False(t, w.podsOn("n1")[0].Deleting)
	// n1's unreachable:NoSchedule taint is not among the DaemonSet tolerations: the
	// node no longer "should run" the pod (so it leaves desiredNumberScheduled) but
	// the pod continues running there, as upstream.
	ds, _ = w.s.DaemonSets.Peek("kube-system/agent")
	require.Equal(t, int32(2), ds.DesiredNumberScheduled)
	require.Equal(t, int32(2), ds.NumberReady)

	// The node loses its label: the pod is deleted.
	w.at(70*time.Second, func() {
		_, err := w.s.Nodes.Patch(w.c, "n2", func(n *apiserver.Node) error { n.Labels = n.Labels.Without("agent"); return nil })
		require.NoError(t, err)
	})
	w.run(80 * time.Second)
	require.Empty(t, w.podsOn("n2"))
	w.stop()
	golden(t, "daemonset", filterKinds(w.tr.Records(), "PodCreated", "PodScheduled", "PodDeleted", "WorkloadReady"))
}

func TestNodeShouldRunDaemonPod(t *testing.T) {
	pod := &apiserver.Pod{PodSpec: &apiserver.PodSpec{Tolerations: taint.DaemonSetTolerations(nil, false)}}
	n := func(ts ...taint.Taint) *apiserver.Node {
		return &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "n"}, Taints: ts}
	}
	for _, tc := range []struct {
		name               string
		node               *apiserver.Node
		run, continueToRun bool
	}{
		{"plain", n(), true, true},
		{"unreachable NoExecute tolerated", n(taint.UnreachableNoExecute), true, true},
		{"cordoned: unschedulable tolerated", n(taint.Taint{Key: taint.Unschedulable, Effect: taint.NoSchedule}), true, true},
		{"not-ready NoSchedule not tolerated, keeps running", n(taint.NotReadyNoSchedule), false, true},
		{"foreign NoExecute: removed", n(taint.Taint{Key: "dedicated", Effect: taint.NoExecute}), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, c := NodeShouldRunDaemonPod(pod, tc.node, false)
			require.Equal(t, tc.run, r)
			require.Equal(t, tc.continueToRun, c)
		})
	}
}

// The controller keeps its template pod while the DaemonSet's versions share the
// template (its status writes) and makes it again when a write brings a new one:
// dropping the nodeSelector puts a pod on the node it excluded.
func TestDaemonSetNewTemplateSeen(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("n1", map[string]string{"agent": "yes"})
	w.addNode("other", nil)
	_, err := w.s.DaemonSets.Create(w.c, agentDaemonSet())
	require.NoError(t, err)
	w.run(10 * time.Second)
	require.Len(t, w.podsOn("n1"), 1)
	require.Empty(t, w.podsOn("other"))
	w.at(11*time.Second, func() {
		_, err := w.s.DaemonSets.Patch(w.c, "kube-system/agent", func(d *apiserver.DaemonSet) error {
			d.Template.Spec.EditSpec().NodeSelector = nil
			return nil
		})
		require.NoError(t, err)
	})
	w.run(20 * time.Second)
	require.Len(t, w.podsOn("other"), 1, "the new template runs everywhere")
	ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
	require.Equal(t, int32(2), ds.DesiredNumberScheduled)
}

// agentOnOneNode is a world with node n1, eligible for the agent DaemonSet, which it
// creates.
func agentOnOneNode(t *testing.T) (*world, *apiserver.DaemonSet) {
	w := newWorld(t, 1)
	w.addNode("n1", map[string]string{"agent": "yes"})
	ds, err := w.s.DaemonSets.Create(w.c, agentDaemonSet())
	require.NoError(t, err)
	return w, ds
}

// A node's failed and succeeded daemon pods follow upstream's podsShouldBeOnNode
// (pkg/controller/daemon/daemon_controller.go): a failed pod is deleted unless the
// node's backoff holds it (then the DaemonSet is looked at again after the whole
// current delay), its replacement comes at a later sync once it is gone, a node that
// no longer qualifies loses its pods whatever the backoff, a backoff left alone for
// twice its 15-minute maximum starts again at 1 s, and a succeeded pod is deleted.
func TestDaemonSetFailedPodsAsUpstream(t *testing.T) {
	w, _ := agentOnOneNode(t)
	live := func() []*apiserver.Pod {
		var out []*apiserver.Pod
		for _, p := range w.podsOn("n1") {
			if !p.Deleting {
				out = append(out, p)
			}
		}
		return out
	}
	setPhase := func(at time.Duration, phase apiserver.PodPhase) {
		w.at(at, func() {
			pods := live()
			require.Len(t, pods, 1, "at %v", at)
			_, err := w.s.Pods.Patch(w.c, pods[0].Key(), func(p *apiserver.Pod) error { p.Phase = phase; return nil })
			require.NoError(t, err)
		})
	}
	// expect checks, just after at, which phases the node's pods have and when the
	// newest was created.
	expect := func(at time.Duration, phases []apiserver.PodPhase, newestCreated time.Duration) {
		w.at(at, func() {
			pods := live()
			var got []apiserver.PodPhase
			var newest time.Duration
			for _, p := range pods {
				got = append(got, p.Phase)
				newest = max(newest, p.CreationTimestamp)
			}
			require.Equal(t, phases, got, "phases at %v", at)
			if newestCreated >= 0 {
				require.Equal(t, newestCreated, newest, "newest pod's creation at %v", at)
			}
		})
	}
	running := []apiserver.PodPhase{apiserver.PodRunning}
	failed := []apiserver.PodPhase{apiserver.PodFailed}
	sync := time.Millisecond // the controller's sync batch (syncDuration)

	// (The fake kubelet makes a pod Ready 1 s after it is created: each failure
	// below comes after that.)
	// First failure: deleted at once; the replacement at the next sync, not the same.
	setPhase(20*time.Second, apiserver.PodFailed)
	expect(20*time.Second+sync/2, nil, -1)
	expect(20*time.Second+2*sync, running, 20*time.Second+sync)
	// Second failure, after the 1 s backoff: deleted at once; the backoff is now 2 s.
	setPhase(21500*time.Millisecond, apiserver.PodFailed)
	expect(21500*time.Millisecond+2*sync, running, 21500*time.Millisecond+sync)
	// Third failure, within it: held, and looked at again 2 s later (the whole
	// delay), not when the backoff ends at 23.5 s.
	setPhase(23*time.Second, apiserver.PodFailed)
	expect(24900*time.Millisecond, failed, -1)
	expect(25*time.Second+2*sync, running, 25*time.Second+sync)
	// Fourth failure, held by the 4 s backoff; an untolerated NoExecute taint then
	// takes the node out: its pods go at once.
	setPhase(26500*time.Millisecond, apiserver.PodFailed)
	expect(26900*time.Millisecond, failed, -1)
	noExec := taint.Taint{Key: "example.com/broken", Effect: taint.NoExecute}
	w.at(27*time.Second, func() {
		_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Taints = append(n.Taints, noExec); return nil })
		require.NoError(t, err)
	})
	expect(27100*time.Millisecond, nil, -1)
	w.at(100*time.Second, func() {
		_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Taints = removeTaint(n.Taints, noExec); return nil })
		require.NoError(t, err)
	})
	expect(101*time.Second, running, 100*time.Second)
	// The backoff was last stepped at 25 s: 40 minutes later it has expired, so the
	// next failure starts it at 1 s again (not 8 s), and a failure 1.5 s after that
	// is not held.
	setPhase(40*time.Minute, apiserver.PodFailed)
	expect(40*time.Minute+2*sync, running, 40*time.Minute+sync)
	setPhase(40*time.Minute+1500*time.Millisecond, apiserver.PodFailed)
	expect(40*time.Minute+1600*time.Millisecond, running, 40*time.Minute+1500*time.Millisecond+sync)
	// A succeeded daemon pod is deleted and replaced, without backoff.
	setPhase(41*time.Minute, apiserver.PodSucceeded)
	expect(41*time.Minute+2*sync, running, 41*time.Minute+sync)
	w.run(42 * time.Minute)
}

// numberReady looks at a qualifying node's oldest daemon pod, terminating or not
// (updateDaemonSetStatus takes daemonPods[0] of getNodesToDaemonPods): a pod
// being deleted that is still Ready keeps counting until it is gone, and its
// replacement counts once Ready.
func TestDaemonSetNumberReadyOldestPod(t *testing.T) {
	w, _ := agentOnOneNode(t)
	numberReady := func(at time.Duration, want int32) {
		w.at(at, func() {
			ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
			require.Equal(t, want, ds.NumberReady, "numberReady at %v", at)
		})
	}
	numberReady(10*time.Second, 1)
	w.at(20*time.Second, func() { // the fake kubelet removes it 1 s later
		p := w.podsOn("n1")[0]
		require.NoError(t, w.s.Pods.Delete(w.c, p.Key(), apiserver.DeleteOptions{}))
	})
	numberReady(20500*time.Millisecond, 1)
	numberReady(21500*time.Millisecond, 0) // gone; the replacement is not Ready yet
	numberReady(23*time.Second, 1)
	w.run(24 * time.Second)
}

// Two failed daemon pods on one node: upstream's podsShouldBeOnNode checks the backoff
// per pod, so the first steps it and goes, and the second finds it in force and goes
// once the DaemonSet is looked at again, the whole delay (1 s) later.
func TestDaemonSetFailedPodsBackoffPerPod(t *testing.T) {
	w, ds := agentOnOneNode(t)
	w.at(20*time.Second, func() {
		p := w.podsOn("n1")[0]
		_, err := w.s.Pods.Patch(w.c, p.Key(), func(q *apiserver.Pod) error { q.Phase = apiserver.PodFailed; return nil })
		require.NoError(t, err)
		_, err = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "kube-system", Name: "agent-extra",
			Labels: apiserver.NewLabels(map[string]string{"app": "agent"}), OwnerReferences: []apiserver.OwnerReference{controllerRef(KindDaemonSet, &ds.ObjectMeta)}},
			NodeName: "n1", Phase: apiserver.PodFailed})
		require.NoError(t, err)
	})
	failedOn := func() int {
		n := 0
		for _, p := range w.podsOn("n1") {
			if p.Phase == apiserver.PodFailed {
				n++
			}
		}
		return n
	}
	w.run(20500 * time.Millisecond)
	require.Equal(t, 1, failedOn(), "one failed pod went, the other waits for the backoff")
	w.run(21500 * time.Millisecond)
	require.Equal(t, 0, failedOn())
}
