package eviction

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// outOfServiceWorld: n terminating pods on a dead node that gets the out-of-service
// taint at 7 s; pod GC (default limits) starts at 0, so its pass at 20 s finds them.
func outOfServiceWorld(t *testing.T, n int) *world {
	w := newWorld(t)
	w.addNode("dead", false)
	w.addNode("ok", true)
	for i := range n {
		w.addPod(fmt.Sprintf("default/p%02d", i), "dead")
	}
	for i := range n {
		require.NoError(t, w.s.Pods.Delete(w.op, fmt.Sprintf("default/p%02d", i), apiserver.DeleteOptions{}))
	}
	w.at(secs(7), func() {
		w.taintNode("dead", taint.Taint{Key: taint.OutOfService, Value: "nodeshutdown", Effect: taint.NoExecute})
	})
	return w
}

// Upstream's markFailedAndDeletePod PATCHes through utilpod.PatchPodStatus with the
// listed pod's uid in the patch (a precondition): a pod recreated under the same name
// since the pass listed it fails the PATCH, and the DELETE is not sent. The throttled
// pass reads its pods at its start and PATCHes them up to seconds later (found by a
// review: the new pod was marked Failed and deleted).
func TestThrottledPodGCPatchHasUIDPrecondition(t *testing.T) {
	w := outOfServiceWorld(t, 40)
	startGC(t, w, DefaultPodGCConfig())
	var newUID uint64
	// 40 PATCHes reserved at 20 s: 30 at once, p30..p39 over 0.5 s. At 20.01 s p39's
	// PATCH waits: it is replaced by a new, running pod of the same name.
	w.at(secs(20.01), func() {
		zero := int64(0)
		require.NoError(t, w.s.Pods.Delete(w.op, "default/p39", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
		newUID = w.addPod("default/p39", "ok").UID
	})
	w.runUntil(secs(30))
	p, ok := w.s.Pods.Peek("default/p39")
	require.True(t, ok, "upstream: the new p39 is untouched (its PATCH fails on the uid)")
	assert.Equal(t, newUID, p.UID)
	assert.Equal(t, apiserver.PodRunning, p.Phase, "upstream never marks the new pod Failed")
}

// A partitioned pod GC client, 14 or 16 terminating pods on an out-of-service node:
// 14 fit the burst (28 requests) and run inline, 16 do not and run over time; either
// way the pods go by a goroutine each, all time out together after 30 s, and the next
// pass comes 20 s after that. The inline pass used to add up its 14 timeouts
// (found by a review: the next pass at 7m40s for 14 pods, 1m10s for 16).
func TestPodGCPassLengthAcrossTheBurst(t *testing.T) {
	next := func(n int) time.Duration {
		w := outOfServiceWorld(t, n)
		g := startGC(t, w, DefaultPodGCConfig())
		w.at(secs(10), func() { w.kcm.SetPartitioned(true) })
		w.runUntil(secs(21))
		// both passes are now over (inline) or in flight (throttled): run until the
		// throttled one has ended, then read when the next pass is due
		w.runUntil(secs(60))
		return g.NextPass()
	}
	n14, n16 := next(14), next(16)
	t.Logf("14 pods: next pass at %v; 16 pods: next pass at %v", n14, n16)
	assert.Equal(t, n16, n14, "the pass length should not depend on whether the burst covers it (upstream: ~timeout + 20 s in both)")
}

// Stop during a throttled pass, Start 5 s later: the old pass must send nothing
// more; the new one, at Start, deletes the rest; nothing is deleted twice.
func TestPodGCStopStartDuringThrottledPass(t *testing.T) {
	w := outOfServiceWorld(t, 40)
	g := startGC(t, w, DefaultPodGCConfig())
	w.at(secs(20.2), func() { g.Stop() })
	var atStop int
	w.at(secs(20.2)+1, func() { atStop = len(w.records("PodEvicted")) })
	w.at(secs(25), func() {
		assert.Equal(t, atStop, len(w.records("PodEvicted")), "nothing sent by a stopped pass")
		g.Start()
	})
	w.runUntil(secs(30))
	ev := w.evictions(ReasonPodGC)
	assert.Len(t, ev, 40)
	for pod, ts := range ev {
		assert.Len(t, ts, 1, pod)
	}
	assert.Equal(t, 0, atStop, "the DELETEs come after all 40 PATCHes (from 20.55 s)")
	assert.Equal(t, w.lastEvictionAfter(secs(25))+DefaultGCCheckPeriod, g.NextPass())
}

func (w *world) lastEvictionAfter(t time.Duration) time.Duration {
	last := t
	for _, r := range w.records("PodEvicted") {
		if r.T > last {
			last = r.T
		}
	}
	return last
}

// A pass whose parts are all empty but that looks too big for the bucket (an
// out-of-service node somewhere, many terminating pods on other, down nodes): it must
// finish at once and the loop must stay at 20 s.
func TestPodGCThrottledEmptyPass(t *testing.T) {
	w := newWorld(t)
	w.addNode("down", false)
	w.addNode("oos", true) // Ready: its pods do not qualify, but it counts
	for i := range 20 {
		w.addPod(fmt.Sprintf("default/p%02d", i), "down")
		require.NoError(t, w.s.Pods.Delete(w.op, fmt.Sprintf("default/p%02d", i), apiserver.DeleteOptions{}))
	}
	w.taintNode("oos", taint.Taint{Key: taint.OutOfService, Effect: taint.NoExecute})
	g := startGC(t, w, DefaultPodGCConfig())
	w.runUntil(secs(50))
	assert.Empty(t, w.records("PodEvicted"))
	assert.Equal(t, secs(60), g.NextPass())
}

// Requests behind an API-server outage in a throttled orphan pass: the GET
// fails, nothing is deleted, the name is queued again and the pods go after the outage.
func TestPodGCThrottledOutage(t *testing.T) {
	w := newWorld(t)
	w.addNode("gone", true)
	for i := range 40 {
		w.addPod(fmt.Sprintf("default/p%02d", i), "gone")
	}
	g := startGC(t, w, DefaultPodGCConfig())
	w.at(secs(1), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "gone", apiserver.DeleteOptions{})) })
	w.at(secs(59), func() { w.s.SetOutage(true) })
	w.at(secs(61), func() { w.s.SetOutage(false) })
	w.runUntil(secs(200))
	ev := w.evictions(ReasonPodGC)
	require.Len(t, ev, 40)
	first := time.Duration(1 << 62)
	for _, ts := range ev {
		first = min(first, ts[0])
	}
	// 60 s: re-queued (AddAfter before the GET, as upstream), the GET fails; 100 s: gone
	assert.Equal(t, secs(100), first)
	_ = g
}

// Taint eviction: phased evictions, the client partitioned while their
// requests wait. Every attempt fails after the 30 s timeout; the 5 attempts of each
// pod take ≈ 5 × 30 s; after the heal the pods are not evicted (the work was dropped),
// no request is sent by a stale attempt after a Stop.
func TestTaintEvictionStopWhilePhased(t *testing.T) {
	w := newWorld(t)
	w.addNode("worker", false)
	for i := range 30 {
		w.addPod(fmt.Sprintf("default/p%02d", i), "worker", tolerate(taint.Unreachable, taint.Seconds(60)))
	}
	tc := startTEC(t, w, DefaultTaintEvictionConfig())
	w.at(10*time.Second, func() { w.taintNode("worker", taint.UnreachableNoExecute) })
	w.at(71*time.Second, func() {
		n := len(w.records("PodEvicted"))
		assert.Equal(t, 0, n)
		tc.Stop()
	})
	w.runUntil(100 * time.Second)
	assert.Empty(t, w.records("PodEvicted"), "a stopped controller sends nothing")
	tc.Start()
	w.runUntil(200 * time.Second)
	assert.Len(t, w.evictions(ReasonTaintManagerEviction), 30)
}

// An untolerated taint (immediate work) for 40 pods with the default limit.
func TestImmediateEvictionsPhased(t *testing.T) {
	w := newWorld(t)
	w.addNode("worker", true)
	for i := range 40 {
		w.addPod(fmt.Sprintf("default/p%02d", i), "worker")
	}
	startTEC(t, w, DefaultTaintEvictionConfig())
	w.at(10*time.Second, func() { w.taintNode("worker", taint.Taint{Key: "x", Effect: taint.NoExecute}) })
	w.runUntil(60 * time.Second)
	ev := w.evictions(ReasonTaintManagerEviction)
	require.Len(t, ev, 40)
	var last time.Duration
	for _, ts := range ev {
		last = max(last, ts[0])
	}
	t.Logf("last eviction at %v", last)
	_ = flowcontrol.ControllerManager
}

// Within the burst nothing changes: a few evictions and a pod GC pass that fit
// kube-controller-manager's burst give the very trace of unlimited clients, record
// for record (verbose: every request and write).
func TestWithinBurstTraceIdentical(t *testing.T) {
	run := func(rl flowcontrol.RateLimit) []string {
		w := newWorld(t)
		w.tr.Verbose = true
		w.addNode("worker", true)
		w.addNode("gone", true)
		for i := range 5 {
			w.addPod(fmt.Sprintf("default/w%d", i), "worker")
			w.addPod(fmt.Sprintf("default/g%d", i), "gone")
		}
		te := DefaultTaintEvictionConfig()
		te.RateLimit = rl
		startTEC(t, w, te)
		gc := DefaultPodGCConfig()
		gc.RateLimit = rl
		startGC(t, w, gc)
		w.at(secs(1), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "gone", apiserver.DeleteOptions{})) })
		w.at(secs(60), func() { w.taintNode("worker", taint.Taint{Key: "x", Effect: taint.NoExecute}) })
		w.runUntil(secs(90))
		var buf bytes.Buffer
		require.NoError(t, sim.WriteText(&buf, w.records()))
		return strings.Split(buf.String(), "\n")
	}
	assert.Equal(t, run(flowcontrol.RateLimit{}), run(flowcontrol.ControllerManager))
}

// The throttled terminated part: threshold 5 and 40 terminated pods, one a second:
// 35 DELETEs > 30 tokens, so the pass is throttled.
// The 35 oldest go (30 at once, then one each 50 ms), the 5 newest stay, and the next
// pass is 20 s after the last answer.
func TestThrottledTerminated(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", true)
	for i := range 40 {
		w.addPod(fmt.Sprintf("default/t%02d", i), "a", phase(apiserver.PodSucceeded, ""))
		require.NoError(t, w.e.RunUntil(w.e.Now()+time.Second)) // creation order = age
	}
	cfg := DefaultPodGCConfig()
	cfg.TerminatedPodGCThreshold = 5
	start := w.e.Now()
	g := startGC(t, w, cfg)
	w.runUntil(start + 10*time.Second)
	ev := w.evictions(ReasonPodGC)
	require.Len(t, ev, 35)
	for i := range 35 {
		assert.Contains(t, ev, fmt.Sprintf("default/t%02d", i))
	}
	assert.Equal(t, []time.Duration{start + 250*time.Millisecond}, ev["default/t34"])
	assert.Equal(t, start+250*time.Millisecond+DefaultGCCheckPeriod, g.NextPass())
}
