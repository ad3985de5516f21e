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
		Template: apiserver.PodTemplate{Labels: map[string]string{"app": "agent"}, Spec: apiserver.Pod{
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
		_, err := w.s.Nodes.Create(w.c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "n3", Labels: map[string]string{"agent": "yes"}}, Allocatable: defaultAllocatable})
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
		_, err := w.s.Nodes.Patch(w.c, "n2", func(n *apiserver.Node) error { delete(n.Labels, "agent"); return nil })
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
