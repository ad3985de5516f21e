package eviction

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// BenchmarkTaintEviction: 10k pods (default tolerations) on 100 nodes, all nodes
// tainted unreachable:NoExecute at once. One op = the controller processing the 100
// node updates and scheduling 10k evictions, then the 10k evictions firing 300 s
// later (status PATCH + graceful DELETE each).
func BenchmarkTaintEviction(b *testing.B) {
	const nodes, perNode = 100, 100
	for b.Loop() {
		b.StopTimer()
		w := newWorld(b)
		w.tr.Retain = false
		for n := 0; n < nodes; n++ {
			name := fmt.Sprintf("node-%03d", n)
			w.addNode(name, false)
			for p := 0; p < perNode; p++ {
				w.addPod(fmt.Sprintf("default/pod-%03d-%03d", n, p), name)
			}
		}
		tc, err := NewTaintEvictionController(w.s, w.kcm, DefaultTaintEvictionConfig())
		if err != nil {
			b.Fatal(err)
		}
		tc.Start()
		runtime.GC()
		b.StartTimer()
		for n := 0; n < nodes; n++ {
			_, _ = w.s.Nodes.Patch(w.op, fmt.Sprintf("node-%03d", n), func(nd *apiserver.Node) error {
				nd.Taints = append(nd.Taints, taint.Taint{Key: taint.Unreachable, Effect: taint.NoExecute, TimeAdded: w.e.Now()})
				return nil
			})
		}
		if err := w.e.RunFor(time.Second); err != nil {
			b.Fatal(err)
		}
		if tc.Pending() != nodes*perNode {
			b.Fatalf("pending %d", tc.Pending())
		}
		if err := w.e.RunFor(400 * time.Second); err != nil {
			b.Fatal(err)
		}
		if tc.Pending() != 0 {
			b.Fatalf("pending %d after the deadline", tc.Pending())
		}
	}
}

// BenchmarkTaintEvictionSchedule is the scheduling half alone: the 100 node updates
// processed and 10k evictions scheduled.
func BenchmarkTaintEvictionSchedule(b *testing.B) {
	const nodes, perNode = 100, 100
	for b.Loop() {
		b.StopTimer()
		w := newWorld(b)
		w.tr.Retain = false
		for n := 0; n < nodes; n++ {
			name := fmt.Sprintf("node-%03d", n)
			w.addNode(name, false)
			for p := 0; p < perNode; p++ {
				w.addPod(fmt.Sprintf("default/pod-%03d-%03d", n, p), name)
			}
		}
		tc, _ := NewTaintEvictionController(w.s, w.kcm, DefaultTaintEvictionConfig())
		tc.Start()
		runtime.GC()
		b.StartTimer()
		for n := 0; n < nodes; n++ {
			_, _ = w.s.Nodes.Patch(w.op, fmt.Sprintf("node-%03d", n), func(nd *apiserver.Node) error {
				nd.Taints = append(nd.Taints, taint.Taint{Key: taint.Unreachable, Effect: taint.NoExecute, TimeAdded: w.e.Now()})
				return nil
			})
		}
		_ = w.e.RunFor(time.Second)
	}
}

// BenchmarkPodGCPassHealthy: a pass over a cluster of 10k healthy pods costs nothing
// per pod (the candidate sets are empty).
func BenchmarkPodGCPassHealthy(b *testing.B) {
	w := newWorld(b)
	w.tr.Retain = false
	for n := 0; n < 100; n++ {
		name := fmt.Sprintf("node-%03d", n)
		w.addNode(name, true)
		for p := 0; p < 100; p++ {
			w.addPod(fmt.Sprintf("default/pod-%03d-%03d", n, p), name)
		}
	}
	g, _ := NewPodGC(w.s, w.kcm, DefaultPodGCConfig())
	g.Start()
	b.ResetTimer()
	for b.Loop() {
		_ = w.e.RunFor(DefaultGCCheckPeriod)
	}
}
