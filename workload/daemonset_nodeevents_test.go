package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// dsStatusAt is one write of a DaemonSet's status, as its watchers see it.
type dsStatusAt struct {
	T                                 time.Duration
	Desired, Current, Missched, Ready int32
}

func (s dsStatusAt) String() string {
	return fmt.Sprintf("%v desired=%d current=%d misscheduled=%d ready=%d", s.T, s.Desired, s.Current, s.Missched, s.Ready)
}

// dsVersionWorld is newWorld with the DaemonSet controller of Kubernetes 1.version.
func dsVersionWorld(t *testing.T, version int) *world {
	w := newWorld(t, 1)
	w.ds.Stop()
	var err error
	w.ds, err = NewDaemonSetController(w.s, w.c, DaemonSetConfig{Version: version})
	require.NoError(t, err)
	w.ds.Start()
	return w
}

// agentWorld is dsVersionWorld with the agent DaemonSet running on the agent nodes
// named, run to 10 s.
func agentWorld(t *testing.T, version int, nodes ...string) *world {
	w := dsVersionWorld(t, version)
	for _, n := range nodes {
		w.addNode(n, map[string]string{"agent": "yes"})
	}
	_, err := w.s.DaemonSets.Create(w.c, agentDaemonSet())
	require.NoError(t, err)
	w.run(10 * time.Second)
	return w
}

// dsStatusWrites records every status write of the DaemonSet "agent" after since.
func (w *world) dsStatusWrites(since time.Duration) *[]string {
	var out []string
	w.s.DaemonSets.Watch(w.c, 0, func(ev apiserver.Event[*apiserver.DaemonSet]) {
		ds := ev.New
		if ev.Type != apiserver.Modified || ds.Name != "agent" || w.s.Now() < since || statusOf(ev.Old) == statusOf(ds) {
			return
		}
		out = append(out, dsStatusAt{w.s.Now(), ds.DesiredNumberScheduled, ds.CurrentNumberScheduled, ds.NumberMisscheduled, ds.NumberReady}.String())
	})
	return &out
}

func (w *world) patchNode(name string, fn func(n *apiserver.Node)) {
	_, err := w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error {
		fn(n)
		return nil
	})
	require.NoError(w.t, err)
}

var customNoSchedule = taint.Taint{Key: "example.com/maintenance", Effect: taint.NoSchedule}

// Hand-worked, per version: n1 and n2 run Ready agent pods (desired 2, current 2,
// ready 2). At 20 s n1 gets a NoSchedule taint the pods do not tolerate: its pod may
// stay (shouldContinueRunning) but it should not run one (shouldRun false).
//
//   - 1.31: (shouldRun, shouldContinueRunning) went from (true, true) to (false,
//     true): updateNode queues the DaemonSet and the status moves at 20 s (desired
//     1, misscheduled 1, ready 1).
//   - 1.33 and 1.37: syncNodeUpdate queues nothing (n1 needs no pod created or
//     deleted; the status counts no pod misscheduled yet): the status stays until
//     the next sync, which n3 joining at 40 s queues (shouldRun, no pod); that
//     sync recomputes n1 too (desired 1 then 2 once n3's pod is seen).
//
// At 60 s the taint goes. 1.31 queues the DaemonSet again ((false, true) to (true,
// true)). 1.33.0 queues nothing (n1 has its pod and may keep it): numberMisscheduled
// stays 1, the bug of issue #132459. 1.37 queues it because n1 has a pod and the
// status counts one misscheduled (PR #132477): misscheduled 0 at 60 s.
func TestDaemonSetNodeTaintStatusTimingPerVersion(t *testing.T) {
	want := map[int][]string{
		31: {
			"20s desired=1 current=1 misscheduled=1 ready=1",
			"40s desired=2 current=1 misscheduled=1 ready=1",
			"40.001s desired=2 current=2 misscheduled=1 ready=1",
			"41s desired=2 current=2 misscheduled=1 ready=2",
			"1m0s desired=3 current=3 misscheduled=0 ready=3",
		},
		33: {
			"40s desired=2 current=1 misscheduled=1 ready=1",
			"40.001s desired=2 current=2 misscheduled=1 ready=1",
			"41s desired=2 current=2 misscheduled=1 ready=2",
		},
		37: {
			"40s desired=2 current=1 misscheduled=1 ready=1",
			"40.001s desired=2 current=2 misscheduled=1 ready=1",
			"41s desired=2 current=2 misscheduled=1 ready=2",
			"1m0s desired=3 current=3 misscheduled=0 ready=3",
		},
	}
	for _, v := range []int{31, 33, 37} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			w := agentWorld(t, v, "n1", "n2")
			ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
			require.Equal(t, dsStatus{2, 2, 0, 2}, statusOf(ds))
			writes := w.dsStatusWrites(11 * time.Second)
			w.at(20*time.Second, func() {
				w.patchNode("n1", func(n *apiserver.Node) { n.Taints = append(n.Taints, customNoSchedule) })
			})
			w.at(40*time.Second, func() { w.addNode("n3", map[string]string{"agent": "yes"}) })
			w.at(60*time.Second, func() {
				w.patchNode("n1", func(n *apiserver.Node) { n.Taints = removeTaint(n.Taints, customNoSchedule) })
			})
			w.run(90 * time.Second)
			assert.Equal(t, want[v], *writes)
			assert.Len(t, w.podsOn("n1"), 1, "n1 keeps its pod throughout")
			w.stop()
		})
	}
}

// Upstream's DaemonSet controller has no handler for a node's deletion, in any
// version: the status moves when pod GC deletes the node's daemon pod (here by hand
// at 50 s, as pod GC would after seeing the node gone), not at the deletion (20 s).
func TestDaemonSetNodeDeletionWaitsForPodGC(t *testing.T) {
	for _, v := range []int{31, 33, 37} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			w := agentWorld(t, v, "n1", "n2")
			writes := w.dsStatusWrites(11 * time.Second)
			w.at(20*time.Second, func() { require.NoError(t, w.s.Nodes.Delete(w.c, "n1", apiserver.DeleteOptions{})) })
			zero := int64(0)
			w.at(50*time.Second, func() {
				for _, p := range w.podsOn("n1") {
					require.NoError(t, w.s.Pods.Delete(w.c, p.Key(), apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
				}
			})
			w.run(90 * time.Second)
			assert.Equal(t, []string{"50s desired=1 current=1 misscheduled=0 ready=1"}, *writes)
			w.stop()
		})
	}
}

// A node key's sync visits the stale nodes, as upstream's sync, whatever queued it,
// recomputes every node: in 1.33 the taint at 20 s queues nothing, and a pod of n2
// turning not Ready at 30 s queues the DaemonSet (here n2's node key), whose sync
// counts n1 as it is then.
func TestDaemonSetNodeKeySyncVisitsStaleNodes(t *testing.T) {
	w := agentWorld(t, 33, "n1", "n2")
	writes := w.dsStatusWrites(11 * time.Second)
	w.at(20*time.Second, func() {
		w.patchNode("n1", func(n *apiserver.Node) { n.Taints = append(n.Taints, customNoSchedule) })
	})
	w.at(30*time.Second, func() {
		for _, p := range w.podsOn("n2") {
			_, err := w.s.Pods.Patch(w.c, p.Key(), func(x *apiserver.Pod) error {
				x.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, w.s.Now())
				return nil
			})
			require.NoError(t, err)
		}
	})
	w.run(35 * time.Second)
	assert.Equal(t, []string{"30s desired=1 current=1 misscheduled=1 ready=0"}, *writes)
	assert.Empty(t, w.ds.state["kube-system/agent"].stale)
	w.stop()
}

// Only labels and taints are looked at (shouldIgnoreNodeUpdate): a cordon, whose
// unschedulable taint the DaemonSet tolerates, and an allocatable change queue nothing
// and leave no node stale.
func TestDaemonSetNodeIgnoresUnschedulableAndAllocatable(t *testing.T) {
	w := agentWorld(t, 31, "n1")
	before := w.ds.nodeSyncs
	w.at(20*time.Second, func() {
		w.patchNode("n1", func(n *apiserver.Node) { n.Allocatable.MilliCPU = 2000 })
	})
	w.run(30 * time.Second)
	assert.Equal(t, before, w.ds.nodeSyncs, "an allocatable change visits nothing")
	assert.Empty(t, w.ds.state["kube-system/agent"].stale)
	w.stop()
}

func TestDaemonSetConfigVersionValidated(t *testing.T) {
	w := newWorld(t, 1)
	for _, v := range []int{30, 38, -1} {
		_, err := NewDaemonSetController(w.s, w.c, DaemonSetConfig{Version: v})
		assert.ErrorContains(t, err, "DaemonSetConfig.Version")
	}
	dc, err := NewDaemonSetController(w.s, w.c, DaemonSetConfig{})
	require.NoError(t, err)
	assert.Equal(t, 37, dc.cfg.Version, "zero is the latest")
}
