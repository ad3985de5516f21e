package eviction

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/taint"
)

// evictionTimes runs 30 pods that tolerate the unreachable taint for 60 s on a node
// tainted at 10 s, and returns when each was evicted, in order, and what the
// controller's event writer did.
func evictionTimes(t *testing.T, cfg TaintEvictionConfig) ([]time.Duration, flowcontrol.EventStats) {
	w := newWorld(t)
	w.addNode("worker", false)
	for i := range 30 {
		w.addPod(fmt.Sprintf("default/p%02d", i), "worker", tolerate(taint.Unreachable, taint.Seconds(60)))
	}
	tc := startTEC(t, w, cfg)
	w.at(10*time.Second, func() { w.taintNode("worker", taint.UnreachableNoExecute) })
	w.runUntil(200 * time.Second)
	var out []time.Duration
	for _, r := range w.records("PodEvicted") {
		out = append(out, r.T)
	}
	require.Len(t, out, 30)
	return out, tc.events.Stats()
}

// Each eviction spends four tokens of the controller's client (its Event, GET, status
// PATCH and DELETE), 120 for 30 pods against a burst of 30. As upstream's goroutines
// do, every eviction reserves its GET before any PATCH is reserved, and every PATCH
// before the DELETEs, while the event writer takes one token per round: the burst
// goes to the 30 GETs but a few, no pod is evicted when the evictions fall due, and
// the DELETEs go out from 1.7 s on, about one each 50 ms (20 requests a second),
// interleaved with the Events still queued, the last at 3.15 s.
func TestEvictionsPacedByClientRateLimit(t *testing.T) {
	due := 70 * time.Second
	got, events := evictionTimes(t, DefaultTaintEvictionConfig())
	assert.Equal(t, due+1700*time.Millisecond, got[0])
	assert.Equal(t, due+3150*time.Millisecond, got[len(got)-1])
	for i := 1; i < len(got); i++ {
		assert.Less(t, got[i-1], got[i], "one DELETE per token")
	}
	assert.Equal(t, flowcontrol.EventStats{Written: 30}, events)

	unlimited := DefaultTaintEvictionConfig()
	unlimited.RateLimit = flowcontrol.RateLimit{}
	got, _ = evictionTimes(t, unlimited)
	for _, at := range got {
		assert.Equal(t, due, at)
	}
}

// The controller's Events go through the same client: cancelling 40 scheduled
// evictions writes 40 Events, the burst at once and the rest at 20 a second, and an
// eviction due 100 ms later waits for tokens behind them, one request per round with
// the writer's.
func TestCancelEventsShareTheBucket(t *testing.T) {
	evicted := func(cancel bool) time.Duration {
		w := newWorld(t)
		w.addNode("a", false)
		w.addNode("b", false)
		for i := range 40 {
			w.addPod(fmt.Sprintf("default/a%02d", i), "a", tolerate(taint.Unreachable, taint.Seconds(300)))
		}
		w.addPod("default/b", "b") // tolerates the unreachable taint for 300 s, not this one
		maintenance := taint.Taint{Key: "example.com/maintenance", Effect: taint.NoExecute}
		startTEC(t, w, DefaultTaintEvictionConfig())
		w.taintNode("a", taint.UnreachableNoExecute)
		if cancel {
			w.at(10*time.Second, func() { w.untaintNode("a", taint.UnreachableNoExecute) })
		}
		w.at(10100*time.Millisecond, func() { w.taintNode("b", maintenance) })
		w.runUntil(20 * time.Second)
		if cancel {
			cancels := 0
			for _, r := range w.records("Event") {
				if r.T == 10*time.Second && r.Str("message") == "Cancelling deletion of Pod "+r.Str("object") {
					cancels++
				}
			}
			require.Equal(t, 40, cancels)
		}
		ev := w.evictions(ReasonTaintManagerEviction)["default/b"]
		require.Len(t, ev, 1)
		return ev[0]
	}
	assert.Equal(t, 10100*time.Millisecond, evicted(false))
	assert.Equal(t, 10400*time.Millisecond, evicted(true), "six rounds of 50 ms")
}

func TestRateLimitValidated(t *testing.T) {
	w := newWorld(t)
	_, err := NewTaintEvictionController(w.s, w.kcm, TaintEvictionConfig{RateLimit: flowcontrol.RateLimit{QPS: 20}})
	assert.ErrorContains(t, err, "TaintEvictionConfig.RateLimit")
	assert.ErrorContains(t, err, "burst 0: must be at least 1")
}

// For random pods, tolerations and taint schedules on two nodes: a client rate limit
// only delays evictions. The same pods are evicted (at least once) as without a
// limit, none earlier, and by any instant t at most burst + qps·t of them have
// completed (each is at least a GET and a DELETE). Later evictions of a pod still
// Terminating (from 1.33) may differ in number: a key is dropped only when its slower
// eviction ends, as upstream's is.
func TestPropertyRateLimitOnlyDelays(t *testing.T) {
	keys := []taint.Taint{{Key: "k0", Effect: taint.NoExecute}, {Key: "k1", Effect: taint.NoExecute}}
	nodes := []string{"a", "b"}
	rapid.Check(t, func(rt *rapid.T) {
		type podSpec struct {
			node string
			opts []podOpt
		}
		pods := make([]podSpec, rapid.IntRange(1, 30).Draw(rt, "pods"))
		for i := range pods {
			pods[i].node = rapid.SampledFrom(nodes).Draw(rt, fmt.Sprintf("node%d", i))
			for k, tn := range keys {
				switch rapid.IntRange(0, 2).Draw(rt, fmt.Sprintf("kind%d_%d", i, k)) {
				case 1:
					pods[i].opts = append(pods[i].opts, tolerate(tn.Key, nil))
				case 2:
					s := rapid.Int64Range(0, 30).Draw(rt, fmt.Sprintf("sec%d_%d", i, k))
					pods[i].opts = append(pods[i].opts, tolerate(tn.Key, taint.Seconds(s)))
				}
			}
		}
		type toggle struct {
			at   time.Duration
			node string
			key  int
		}
		var sched []toggle
		at := time.Duration(0)
		for i := range rapid.IntRange(1, 10).Draw(rt, "toggles") {
			at += time.Duration(rapid.IntRange(1, 20).Draw(rt, fmt.Sprintf("gap%d", i))) * time.Second
			sched = append(sched, toggle{at, rapid.SampledFrom(nodes).Draw(rt, fmt.Sprintf("tnode%d", i)),
				rapid.IntRange(0, len(keys)-1).Draw(rt, fmt.Sprintf("key%d", i))})
		}
		version := rapid.SampledFrom([]int{31, 37}).Draw(rt, "version")
		limit := flowcontrol.RateLimit{
			QPS:   rapid.SampledFrom([]float32{0.5, 2, 5}).Draw(rt, "qps"),
			Burst: rapid.SampledFrom([]int{1, 4, 10}).Draw(rt, "burst"),
		}
		run := func(rl flowcontrol.RateLimit) map[string][]time.Duration {
			w := newWorld(t)
			for _, n := range nodes {
				w.addNode(n, false)
			}
			for i, p := range pods {
				w.addPod(fmt.Sprintf("default/p%02d", i), p.node, p.opts...)
			}
			startTEC(t, w, TaintEvictionConfig{Version: version, RateLimit: rl})
			on := map[toggle]bool{}
			for _, ch := range sched {
				k := toggle{node: ch.node, key: ch.key}
				tn := keys[ch.key]
				if on[k] {
					w.at(ch.at, func() { w.untaintNode(ch.node, tn) })
				} else {
					w.at(ch.at, func() { w.taintNode(ch.node, tn) })
				}
				on[k] = !on[k]
			}
			// long enough for every request: at most 30 pods × 10 toggles, 4 tokens
			// an eviction and an Event per cancellation, at 0.5 a second
			w.runUntil(at + 3*time.Hour)
			return w.evictions(ReasonTaintManagerEviction)
		}
		free, limited := run(flowcontrol.RateLimit{}), run(limit)
		for pod, evs := range free {
			got, ok := limited[pod]
			if !ok {
				rt.Fatalf("%s evicted at %v without a limit, never with %+v", pod, evs, limit)
			}
			if got[0] < evs[0] {
				rt.Fatalf("%s evicted at %v with %+v, before %v without a limit", pod, got[0], limit, evs[0])
			}
		}
		var firsts []time.Duration
		for pod, evs := range limited {
			if _, ok := free[pod]; !ok {
				rt.Fatalf("%s evicted at %v with %+v, never without a limit", pod, evs, limit)
			}
			firsts = append(firsts, evs...)
		}
		slices.Sort(firsts)
		for i, e := range firsts {
			if budget := float64(limit.Burst) + float64(limit.QPS)*e.Seconds(); float64(2*(i+1)) > budget+1e-9 {
				rt.Fatalf("%d evictions done by %v: more than %v tokens allow", i+1, e, budget)
			}
		}
	})
}

// A pod replaced under the same name while its eviction's PATCH waits for a token: the
// PATCH carries the GET's uid as a precondition (PatchPodStatus) and fails, and the
// next attempt GETs, patches and deletes the new pod, as upstream's retry does.
func TestWaitingPatchHasUIDPrecondition(t *testing.T) {
	w := newWorld(t)
	w.tr.Verbose = true
	w.addNode("worker", false)
	w.addNode("healthy", true)
	for i := range 30 {
		w.addPod(fmt.Sprintf("default/p%02d", i), "worker", tolerate(taint.Unreachable, taint.Seconds(60)))
	}
	tc := startTEC(t, w, DefaultTaintEvictionConfig())
	w.at(10*time.Second, func() { w.taintNode("worker", taint.UnreachableNoExecute) })
	var victim string
	var oldUID uint64
	w.at(70*time.Second+time.Millisecond, func() {
		tc.waiting.Each(func(w *podWork, _ time.Duration) {
			if victim == "" && w.step == stepPatch {
				victim = w.key
			}
		})
		require.NotEmpty(t, victim, "a PATCH waits for its token")
		p, ok := w.s.Pods.Peek(victim)
		require.True(t, ok)
		oldUID = p.UID
		zero := int64(0)
		require.NoError(t, w.s.Pods.Delete(w.op, victim, apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
		require.NotEqual(t, oldUID, w.addPod(victim, "healthy").UID)
	})
	w.runUntil(200 * time.Second)
	failed := 0
	for _, r := range w.records("RequestFailed") {
		if r.Str("verb") == "patch" && r.T > 70*time.Second {
			failed++
		}
	}
	assert.Equal(t, 1, failed, "the PATCH with the old uid fails once")
	p, ok := w.s.Pods.Peek(victim)
	require.True(t, ok)
	assert.NotEqual(t, oldUID, p.UID)
	assert.True(t, p.Deleting, "the retry deletes the pod now under that name")
}

// The event correlator's spam filter counts a pod's Events by namespace/name (the
// controller's reference has no UID): 25, then one each 5 minutes. A node whose
// tolerated NoExecute taint flaps 40 times in 400 s has its pod's "Cancelling
// deletion" Event written 26 times; the others are skipped and spend no token.
func TestTaintEvictionEventsSpamFiltered(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", false)
	w.addPod("default/p", "a", tolerate(taint.Unreachable, taint.Seconds(300)))
	tc := startTEC(t, w, DefaultTaintEvictionConfig())
	for i := range 40 {
		at := time.Duration(i) * 10 * time.Second
		w.at(at, func() { w.taintNode("a", taint.UnreachableNoExecute) })
		w.at(at+5*time.Second, func() { w.untaintNode("a", taint.UnreachableNoExecute) })
	}
	w.runUntil(500 * time.Second)
	cancels := 0
	for _, r := range w.records("Event") {
		if r.Str("message") == "Cancelling deletion of Pod default/p" {
			cancels++
		}
	}
	require.Equal(t, 40, cancels, "the trace records every Event the controller emits")
	assert.Equal(t, flowcontrol.EventStats{Written: 26, Filtered: 14}, tc.events.Stats())
}
