package eviction

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
// before the DELETEs: the burst goes to 15 Events and 15 GETs, no pod is evicted when
// the evictions fall due, and the DELETEs go out from 2.4 s on, one each 50 ms (20
// requests a second), interleaved with the Events still queued, the last at 3.9 s.
func TestEvictionsPacedByClientRateLimit(t *testing.T) {
	due := 70 * time.Second
	got, events := evictionTimes(t, DefaultTaintEvictionConfig())
	assert.Equal(t, due+2400*time.Millisecond, got[0])
	assert.Equal(t, due+3900*time.Millisecond, got[len(got)-1])
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
// evictions writes 40 Events, and an eviction due at that instant waits for tokens
// behind the event writer's.
func TestCancelEventsShareTheBucket(t *testing.T) {
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
	w.at(10*time.Second, func() {
		w.untaintNode("a", taint.UnreachableNoExecute)
		w.taintNode("b", maintenance)
	})
	w.runUntil(20 * time.Second)
	cancels := 0
	for _, r := range w.records("Event") {
		if r.T == 10*time.Second && r.Str("message") == "Cancelling deletion of Pod "+r.Str("object") {
			cancels++
		}
	}
	require.Equal(t, 40, cancels)
	// 30 Events at once; the writer reserves the 31st for 10.05 s, the GET gets
	// 10.1 s, the writer's 32nd 10.15 s, the PATCH 10.2 s, the 33rd 10.25 s, the
	// DELETE 10.3 s
	assert.Equal(t, map[string][]time.Duration{"default/b": {10300 * time.Millisecond}},
		w.evictions(ReasonTaintManagerEviction))
}

func TestRateLimitValidated(t *testing.T) {
	w := newWorld(t)
	_, err := NewTaintEvictionController(w.s, w.kcm, TaintEvictionConfig{RateLimit: flowcontrol.RateLimit{QPS: 20}})
	assert.ErrorContains(t, err, "TaintEvictionConfig.RateLimit")
	assert.ErrorContains(t, err, "burst 0: must be at least 1")
}
