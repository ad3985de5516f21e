package eviction

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/taint"
)

// BenchmarkTaintEviction: 10k pods (default tolerations) on 100 nodes, all nodes
// tainted unreachable:NoExecute at once. One op = the controller processing the 100
// node updates and scheduling 10k evictions, then the 10k evictions firing 300 s
// later (status PATCH + graceful DELETE each). The client is not rate limited here
// (the controller's own cost per eviction); BenchmarkTaintEvictionThrottled is the
// same with kube-controller-manager's limit.
func BenchmarkTaintEviction(b *testing.B) {
	benchmarkTaintEviction(b, flowcontrol.RateLimit{}, 400*time.Second)
}

// BenchmarkTaintEvictionThrottled: as BenchmarkTaintEviction with the default client
// rate limit (20 requests a second after 30): the 40k requests of the 10k evictions
// take 2,000 s of virtual time, each request an engine event at its token's instant.
func BenchmarkTaintEvictionThrottled(b *testing.B) {
	benchmarkTaintEviction(b, flowcontrol.ControllerManager, 2400*time.Second)
}

func benchmarkTaintEviction(b *testing.B, rl flowcontrol.RateLimit, run time.Duration) {
	const nodes, perNode = 100, 100
	cfg := DefaultTaintEvictionConfig()
	cfg.RateLimit = rl
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
		tc, err := NewTaintEvictionController(w.s, w.kcm, cfg)
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
		if err := w.e.RunFor(run); err != nil {
			b.Fatal(err)
		}
		if tc.Pending() != 0 || tc.waiting.Len() != 0 || w.s.Pods.Len() != nodes*perNode {
			b.Fatalf("pending %d, waiting %d after the deadline", tc.Pending(), tc.waiting.Len())
		}
		pods, _ := w.s.Pods.List(w.op)
		for _, p := range pods {
			if !p.Deleting {
				b.Fatalf("%s not evicted", p.Key())
			}
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
