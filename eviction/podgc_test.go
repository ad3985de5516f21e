package eviction

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

func startGC(t testing.TB, w *world, cfg PodGCConfig) *PodGC {
	g, err := NewPodGC(w.s, w.kcm, cfg)
	require.NoError(t, err)
	g.Start()
	return g
}

// Node deleted ⇒ its pods are force-deleted 40–60 s later: first noticed by a pass
// (≤ 20 s, gcCheckPeriod), confirmed after the 40 s quarantine (quarantineTime).
func TestPodGCOrphans(t *testing.T) {
	for _, del := range []float64{0.5, 1, 10, 19.999, 20, 33} {
		t.Run(fmt.Sprintf("deleted at %vs", del), func(t *testing.T) {
			w := newWorld(t)
			w.addNode("a", true)
			w.addNode("b", true)
			w.addPod("default/running", "a")
			w.addPod("default/done", "a", phase(apiserver.PodSucceeded, ""))
			w.addPod("default/other", "b")
			startGC(t, w, DefaultPodGCConfig())
			d := secs(del)
			w.at(d, func() { require.NoError(t, w.s.Nodes.Delete(w.op, "a", apiserver.DeleteOptions{})) })
			w.runUntil(200 * time.Second)
			ev := w.evictions(ReasonPodGC)
			require.Len(t, ev, 2)
			for _, pod := range []string{"default/running", "default/done"} {
				require.Len(t, ev[pod], 1)
				at := ev[pod][0]
				require.GreaterOrEqual(t, at, d+40*time.Second, pod)
				require.LessOrEqual(t, at, d+60*time.Second, pod)
				_, ok := w.s.Pods.Peek(pod)
				require.False(t, ok, "force deleted (grace 0)")
			}
			_, ok := w.s.Pods.Peek("default/other")
			require.True(t, ok)
		})
	}
}

// A pod bound, after its node was deleted, to that node's name is an orphan too:
// the node-name set the pod handler reads forgets a deleted node.
func TestPodGCOrphanBoundAfterNodeDeleted(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addNode("b", true)
	startGC(t, w, DefaultPodGCConfig())
	w.at(secs(5), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "a", apiserver.DeleteOptions{})) })
	w.at(secs(30), func() {
		w.addPod("default/late", "a")
		w.addPod("default/fine", "b")
	})
	w.runUntil(200 * time.Second)
	ev := w.evictions(ReasonPodGC)
	require.Len(t, ev, 1)
	require.Len(t, ev["default/late"], 1)
	// noticed by the first pass after the pod came (≤ 20 s), confirmed 40 s later
	at := ev["default/late"][0]
	require.GreaterOrEqual(t, at, secs(30)+40*time.Second)
	require.LessOrEqual(t, at, secs(30)+60*time.Second)
}

// The orphan's status is patched to Failed with DisruptionTarget DeletionByPodGC before
// the force delete; a re-created node in quarantine saves its pods.
func TestPodGCOrphanStatusAndRecreatedNode(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addNode("b", true)
	w.addPod("default/p", "a")
	w.addPod("default/q", "b")
	startGC(t, w, DefaultPodGCConfig())
	var last *apiserver.Pod
	w.s.Pods.Watch(w.op, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.Type == apiserver.Modified && ev.New.Name == "p" {
			last = ev.New
		}
	})
	w.at(secs(5), func() {
		require.NoError(t, w.s.Nodes.Delete(w.op, "a", apiserver.DeleteOptions{}))
		require.NoError(t, w.s.Nodes.Delete(w.op, "b", apiserver.DeleteOptions{}))
	})
	w.at(secs(30), func() { w.addNode("b", true) }) // back within the quarantine
	w.runUntil(200 * time.Second)
	require.Equal(t, map[string][]time.Duration{"default/p": {60 * time.Second}}, w.evictions(ReasonPodGC))
	require.NotNil(t, last)
	require.Equal(t, apiserver.PodFailed, last.Phase)
	c := last.Condition(apiserver.PodDisruptionTarget)
	require.NotNil(t, c)
	require.Equal(t, "DeletionByPodGC", c.Reason)
	require.Equal(t, "PodGC: node no longer exists", c.Message)
	golden(t, "podgc_orphans", w.records("NodeDeleted", "NodeRegistered", "PodEvicted", "PodDeleted"))
}

// A live GET that fails (API server down) does not confirm the deletion; the node is
// quarantined again and confirmed later.
func TestPodGCOrphanLiveGetFails(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addPod("default/p", "a")
	startGC(t, w, DefaultPodGCConfig())
	w.at(secs(5), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "a", apiserver.DeleteOptions{})) })
	w.at(secs(59), func() { w.s.SetOutage(true) })
	w.at(secs(61), func() { w.s.SetOutage(false) })
	w.runUntil(300 * time.Second)
	require.Equal(t, map[string][]time.Duration{"default/p": {100 * time.Second}}, w.evictions(ReasonPodGC))
}

// Out-of-service taint on a not-Ready node ⇒ its Terminating pods go within 20 s
// (non-graceful node shutdown, KEP-2268); with NoExecute the taint eviction controller
// first deletes the pods that do not tolerate it.
func TestPodGCOutOfService(t *testing.T) {
	w := newWorld(t)
	w.addNode("dead", false)
	w.addNode("ready", true)
	w.addPod("default/a", "dead")
	w.addPod("default/b", "dead")
	w.addPod("default/c", "ready")
	startTEC(t, w, DefaultTaintEvictionConfig())
	startGC(t, w, DefaultPodGCConfig())
	oos := taint.Taint{Key: taint.OutOfService, Value: "nodeshutdown", Effect: taint.NoExecute}
	w.at(secs(7), func() {
		w.taintNode("dead", oos)
		w.taintNode("ready", oos) // Ready node: PodGC leaves its pods alone
	})
	w.runUntil(100 * time.Second)
	require.Equal(t, map[string][]time.Duration{"default/a": {secs(20)}, "default/b": {secs(20)}}, w.evictions(ReasonPodGC))
	tec := w.evictions(ReasonTaintManagerEviction)
	require.Equal(t, []time.Duration{secs(7)}, tec["default/a"])
	p, ok := w.s.Pods.Peek("default/c")
	require.True(t, ok)
	require.True(t, p.Deleting, "TEC evicted it; the kubelet of a Ready node finishes it, not PodGC")
	golden(t, "podgc_out_of_service", w.records("TaintAdded", "PodEvicted", "PodDeleted"))
}

// A node tainted out-of-service before PodGC starts counts from its first pass, and the
// count of such nodes follows the informer (a pass skips the terminating pods while it
// is zero): taint removed, node deleted, a restart that counts again.
func TestPodGCOutOfServiceCount(t *testing.T) {
	w := newWorld(t)
	oos := taint.Taint{Key: taint.OutOfService, Value: "nodeshutdown", Effect: taint.NoExecute}
	w.addNode("dead", false)
	w.addNode("other", false)
	w.taintNode("dead", oos)
	w.taintNode("other", oos)
	w.addPod("default/a", "dead")
	require.NoError(t, w.s.Pods.Delete(w.op, "default/a", apiserver.DeleteOptions{})) // graceful: terminating
	g := startGC(t, w, DefaultPodGCConfig())
	require.Equal(t, 2, g.outOfService)
	w.runUntil(secs(1))
	require.Equal(t, map[string][]time.Duration{"default/a": {0}}, w.evictions(ReasonPodGC))
	w.at(secs(2), func() { w.untaintNode("other", oos) })
	w.runUntil(secs(3))
	require.Equal(t, 1, g.outOfService, "untainted")
	w.at(secs(4), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "dead", apiserver.DeleteOptions{})) })
	w.runUntil(secs(5))
	require.Zero(t, g.outOfService, "deleted")
	w.at(secs(6), func() { w.taintNode("other", oos) })
	w.runUntil(secs(7))
	g.Stop()
	g.Start()
	require.Equal(t, 1, g.outOfService, "counted again at a restart")
}

// Terminated pods over TerminatedPodGCThreshold are deleted: evicted ones first, then
// the oldest, name as tiebreak.
func TestPodGCTerminatedThreshold(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addPod("default/old", "a", phase(apiserver.PodSucceeded, ""))
	w.at(secs(1), func() {
		w.addPod("default/y", "a", phase(apiserver.PodFailed, ""))
		w.addPod("default/x", "a", phase(apiserver.PodFailed, ""))
		w.addPod("default/running", "a")
	})
	w.at(secs(2), func() { w.addPod("default/evicted", "a", phase(apiserver.PodFailed, "Evicted")) })
	w.at(secs(3), func() { w.addPod("default/new", "a", phase(apiserver.PodSucceeded, "")) })
	cfg := DefaultPodGCConfig()
	cfg.TerminatedPodGCThreshold = 2
	var order []string
	w.s.Pods.Watch(w.op, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.Type == apiserver.Deleted {
			order = append(order, ev.Old.Name)
		}
	})
	w.at(secs(10), func() { startGC(t, w, cfg) })
	w.runUntil(100 * time.Second)
	require.Equal(t, []string{"evicted", "old", "x"}, order)
	require.Len(t, w.evictions(ReasonPodGC), 3)
}

// Creation times are compared in whole seconds, as the metav1.Time a controller reads
// carries no nanoseconds; within a second the name decides: z (1.2 s) and a (1.7 s)
// are both "1 s", so a goes first, as upstream's byEvictionAndCreationTimestamp.
func TestPodGCTerminatedOrderWholeSeconds(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.at(secs(1.2), func() { w.addPod("default/z", "a", phase(apiserver.PodSucceeded, "")) })
	w.at(secs(1.7), func() { w.addPod("default/a", "a", phase(apiserver.PodSucceeded, "")) })
	w.at(secs(2.5), func() { w.addPod("default/b", "a", phase(apiserver.PodSucceeded, "")) })
	cfg := DefaultPodGCConfig()
	cfg.TerminatedPodGCThreshold = 2
	w.at(secs(5), func() { startGC(t, w, cfg) })
	w.runUntil(secs(6))
	require.Equal(t, map[string][]time.Duration{"default/a": {secs(5)}}, w.evictions(ReasonPodGC))
	_, ok := w.s.Pods.Peek("default/z")
	require.True(t, ok)
}

// A DELETE that fails (API server down) records no PodEvicted: the record is written
// once the deletion succeeded, after the API server's PodDeleted.
func TestPodGCRecordsOnlySuccessfulDeletes(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addPod("default/p", "a", phase(apiserver.PodSucceeded, ""))
	w.addPod("default/q", "a", phase(apiserver.PodSucceeded, ""))
	cfg := DefaultPodGCConfig()
	cfg.TerminatedPodGCThreshold = 1
	w.s.SetOutage(true)
	startGC(t, w, cfg)
	w.at(secs(30), func() { w.s.SetOutage(false) })
	w.runUntil(secs(50))
	require.Equal(t, map[string][]time.Duration{"default/p": {secs(40)}}, w.evictions(ReasonPodGC),
		"the passes at 0 s and 20 s failed and record nothing")
	var kinds []string
	for _, r := range w.records("PodDeleted", "PodEvicted") {
		kinds = append(kinds, r.Kind)
	}
	require.Equal(t, []string{"PodDeleted", "PodEvicted"}, kinds)
}

func TestPodGCDisabledThreshold(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	for i := 0; i < 3; i++ {
		w.addPod(fmt.Sprintf("default/p%d", i), "a", phase(apiserver.PodSucceeded, ""))
	}
	startGC(t, w, PodGCConfig{TerminatedPodGCThreshold: 0, GCCheckPeriod: 20 * time.Second, QuarantineTime: 40 * time.Second})
	w.runUntil(100 * time.Second)
	require.Empty(t, w.evictions(ReasonPodGC), "threshold 0 disables terminated-pod GC")
}

// Stop ends the loop: a node deleted afterwards is never collected by that instance.
func TestPodGCStop(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addPod("default/p", "a")
	g := startGC(t, w, DefaultPodGCConfig())
	w.at(secs(5), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "a", apiserver.DeleteOptions{})) })
	w.at(secs(30), g.Stop)
	w.runUntil(200 * time.Second)
	require.Empty(t, w.evictions(ReasonPodGC))
	require.Equal(t, 0, w.e.Pending())
}

func TestPodGCConfigErrors(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		cfg   PodGCConfig
		field string
	}{
		{PodGCConfig{GCCheckPeriod: 0, QuarantineTime: time.Second}, "PodGCConfig.GCCheckPeriod"},
		{PodGCConfig{GCCheckPeriod: time.Second, QuarantineTime: -1}, "PodGCConfig.QuarantineTime"},
		{PodGCConfig{GCCheckPeriod: time.Second, WatchLatency: -1}, "PodGCConfig.WatchLatency"},
	} {
		_, err := NewPodGC(w.s, w.kcm, tc.cfg)
		require.ErrorContains(t, err, tc.field)
	}
}
