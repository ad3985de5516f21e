package eviction

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

func newVerbosePodGCWorld(t testing.TB) *world {
	e := sim.New()
	tr := sim.NewTrace(true)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	return &world{t: t, e: e, tr: tr, s: s,
		op:  s.NewClient("kubectl", 30*time.Second),
		kcm: s.NewClient("kube-controller-manager", 30*time.Second)}
}

// From a review of pod GC (session 15). gcTerminating reads each pod's node from the
// lister after gcTerminated's goroutines have all returned: a throttled pass whose
// terminated part runs for seconds takes a terminating pod whose node got the
// out-of-service taint meanwhile in the same pass (it took it a pass later, ≈28 s).
func TestPodGCThrottledOutOfServiceReadsNodesWhenItStarts(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addNode("dead", false)
	for i := range 200 {
		w.addPod(fmt.Sprintf("default/s%03d", i), "a", phase(apiserver.PodSucceeded, ""))
	}
	w.addPod("default/t", "dead")
	require.NoError(t, w.s.Pods.Delete(w.op, "default/t", apiserver.DeleteOptions{})) // terminating
	cfg := DefaultPodGCConfig()
	cfg.TerminatedPodGCThreshold = 1
	startGC(t, w, cfg)
	w.at(secs(2), func() {
		w.taintNode("dead", taint.Taint{Key: taint.OutOfService, Value: "nodeshutdown", Effect: taint.NoSchedule})
	})
	w.runUntil(100 * time.Second)
	ev := w.evictions(ReasonPodGC)
	var last time.Duration
	for k, v := range ev {
		if k != "default/t" {
			last = max(last, v[0])
		}
	}
	require.Len(t, ev["default/t"], 1)
	assert.Less(t, ev["default/t"][0], secs(20), "upstream: same pass, right after the terminated part")
}

// gcOrphaned uses the node list taken at the start of gc(): a node deleted while a
// throttled terminated part runs is first quarantined at the next pass (it was
// quarantined in the same pass, and its pod deleted a pass early, ≈48 s).
func TestPodGCThrottledOrphansUseThePassNodeList(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	w.addNode("gone", true)
	for i := range 200 {
		w.addPod(fmt.Sprintf("default/s%03d", i), "a", phase(apiserver.PodSucceeded, ""))
	}
	w.addPod("default/orphan", "gone")
	cfg := DefaultPodGCConfig()
	cfg.TerminatedPodGCThreshold = 1
	startGC(t, w, cfg)
	w.at(secs(2), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "gone", apiserver.DeleteOptions{})) })
	w.runUntil(200 * time.Second)
	ev := w.evictions(ReasonPodGC)
	require.Len(t, ev["default/orphan"], 1)
	// upstream: pass 1 ends ≈8.45 s without noticing; pass 2 ≈28.45 s quarantines;
	// passes ≈48.45 and ≈68.45 s: deleted ≈68.45 s
	assert.GreaterOrEqual(t, ev["default/orphan"][0], secs(60))
}

// AddAfter with a duration ≤ 0 adds at once, so discoverDeletedNodes handles the
// name in the same pass (it waited for the next, 40 s).
func TestPodGCZeroQuarantineSamePass(t *testing.T) {
	w := newWorld(t)
	w.addNode("gone", true)
	w.addPod("default/p", "gone")
	cfg := DefaultPodGCConfig()
	cfg.QuarantineTime = 0
	startGC(t, w, cfg)
	w.at(secs(5), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "gone", apiserver.DeleteOptions{})) })
	w.runUntil(100 * time.Second)
	ev := w.evictions(ReasonPodGC)
	assert.Equal(t, []time.Duration{secs(20)}, ev["default/p"])
}

// A terminal, unscheduled, terminating pod over the threshold: upstream's
// gcTerminated deletes it and gcUnscheduledTerminating, on the same pod list, sends a
// second DELETE (NotFound).
func TestPodGCSecondDeleteOfTerminatedUnscheduled(t *testing.T) {
	for _, throttled := range []bool{false, true} {
		t.Run(fmt.Sprint("throttled=", throttled), func(t *testing.T) {
			w := newVerbosePodGCWorld(t)
			w.addNode("dead", false)
			w.taintNode("dead", taint.Taint{Key: taint.OutOfService, Value: "x", Effect: taint.NoSchedule})
			n := 3
			if throttled {
				n = 40
			}
			for i := range n {
				key := fmt.Sprintf("default/u%02d", i)
				w.addPod(key, "dead")
				require.NoError(t, w.s.Pods.Delete(w.op, key, apiserver.DeleteOptions{}))
				_, err := w.s.Pods.Patch(w.op, key, func(p *apiserver.Pod) error { p.Phase = apiserver.PodFailed; return nil })
				require.NoError(t, err)
			}
			cfg := DefaultPodGCConfig()
			cfg.TerminatedPodGCThreshold = 1
			startGC(t, w, cfg)
			w.runUntil(secs(1) + 10*time.Second)
			fails := 0
			for _, r := range w.records("RequestFailed") {
				if r.Str("client") == "kube-controller-manager" && r.Str("verb") == "delete" {
					fails++
				}
			}
			assert.Equal(t, n-1, fails, "upstream: a second DELETE for each pod gcTerminated took")
		})
	}
}

// After the confirming pass, upstream's queue holds the name again (AddAfter ran
// before discoverDeletedNodes), so a GET follows 40 s later.
func TestPodGCRequeuedAfterConfirm(t *testing.T) {
	w := newWorld(t)
	w.addNode("gone", true)
	w.addPod("default/p", "gone")
	g := startGC(t, w, DefaultPodGCConfig())
	w.at(secs(5), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "gone", apiserver.DeleteOptions{})) })
	w.runUntil(secs(61))
	_, ok := g.quarantine["gone"]
	assert.True(t, ok)
}

// A pod the taint eviction controller marked DisruptionTarget=True
// DeletionByTaintManager gets DeletionByPodGC (UpdatePodCondition overwrites, keeping the
// transition time since the status is unchanged).
func TestPodGCOverwritesTaintManagerCondition(t *testing.T) {
	w := newWorld(t)
	w.addNode("gone", true)
	w.addPod("default/p", "gone")
	_, err := w.s.Pods.Patch(w.op, "default/p", func(p *apiserver.Pod) error {
		p.SetCondition(apiserver.PodCondition{Type: apiserver.PodDisruptionTarget, Status: apiserver.ConditionTrue,
			Reason: DeletionByTaintManager, Message: "x"}, w.e.Now())
		return nil
	})
	require.NoError(t, err)
	var last *apiserver.Pod
	w.s.Pods.Watch(w.op, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.Type == apiserver.Modified {
			last = ev.New
		}
	})
	startGC(t, w, DefaultPodGCConfig())
	w.at(secs(5), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "gone", apiserver.DeleteOptions{})) })
	w.runUntil(secs(100))
	require.NotNil(t, last)
	c := last.Condition(apiserver.PodDisruptionTarget)
	assert.Equal(t, DeletionByPodGC, c.Reason)
	assert.Equal(t, time.Duration(0), c.LastTransitionTime)
}
