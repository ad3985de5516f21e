package eviction

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/taint"
)

// orphanTimes runs pod GC over n running pods of a node deleted at 1 s and returns
// when each was deleted, in order, and the next pass after the last.
func orphanTimes(t *testing.T, n int, rl flowcontrol.RateLimit) ([]time.Duration, time.Duration) {
	w := newWorld(t)
	w.addNode("gone", true)
	w.addNode("b", true)
	for i := range n {
		w.addPod(fmt.Sprintf("default/p%03d", i), "gone")
	}
	cfg := DefaultPodGCConfig()
	cfg.RateLimit = rl
	g := startGC(t, w, cfg)
	w.at(time.Second, func() { require.NoError(t, w.s.Nodes.Delete(w.op, "gone", apiserver.DeleteOptions{})) })
	w.at(61*time.Second, func() {
		assert.Equal(t, rl.QPS == 0, g.loop.Running(), "no pass is due while a throttled one runs")
	})
	w.runUntil(75 * time.Second)
	var out []time.Duration
	for _, r := range w.records("PodEvicted") {
		out = append(out, r.T)
	}
	require.Len(t, out, n)
	return out, g.NextPass()
}

// The orphans of a deleted node go one after the other, a PATCH (phase Failed,
// DisruptionTarget) and a DELETE each, after the GET that finds the node gone: 201
// requests for 100 pods. The pass at 60 s (noticed at 20 s, 40 s of quarantine) deletes
// 14 pods with the burst of 30, the rest at 20 requests a second, the last 8.55 s
// later; the next pass starts 20 s after that, as upstream's sliding loop waits for
// gc() to return.
func TestPodGCOrphansPacedByClientRateLimit(t *testing.T) {
	pass := 60 * time.Second
	got, next := orphanTimes(t, 100, flowcontrol.ControllerManager)
	n := 0
	for _, at := range got {
		if at == pass {
			n++
		}
	}
	assert.Equal(t, 14, n)
	last := got[len(got)-1]
	assert.Equal(t, pass+8550*time.Millisecond, last)
	assert.Equal(t, last+DefaultGCCheckPeriod, next)

	got, next = orphanTimes(t, 100, flowcontrol.RateLimit{})
	assert.Equal(t, pass, got[len(got)-1])
	assert.Equal(t, pass+DefaultGCCheckPeriod, next)
}

// Terminating pods on an out-of-service node are deleted by a goroutine each: all 40
// PATCHes reserve their tokens first (30 at once, 10 more by 0.5 s), then each DELETE
// once its PATCH is answered, from 0.55 s to 2.5 s.
func TestPodGCOutOfServicePacedInRounds(t *testing.T) {
	w := newWorld(t)
	w.addNode("dead", false)
	for i := range 40 {
		w.addPod(fmt.Sprintf("default/p%02d", i), "dead")
	}
	for i := range 40 {
		require.NoError(t, w.s.Pods.Delete(w.op, fmt.Sprintf("default/p%02d", i), apiserver.DeleteOptions{}))
	}
	startGC(t, w, DefaultPodGCConfig())
	w.at(secs(7), func() {
		w.taintNode("dead", taint.Taint{Key: taint.OutOfService, Value: "nodeshutdown", Effect: taint.NoExecute})
	})
	w.runUntil(100 * time.Second)
	var got []time.Duration
	for _, r := range w.records("PodEvicted") {
		got = append(got, r.T)
	}
	require.Len(t, got, 40)
	assert.Equal(t, secs(20.55), got[0])
	assert.Equal(t, secs(22.5), got[len(got)-1])
}
