package sim_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// podNames are the values a retained record points at; they live outside the trace
// (as a pod's key does in the API server), so that only the trace's own bytes count.
var podNames = func() []string {
	s := make([]string, 1000)
	for i := range s {
		s[i] = fmt.Sprintf("default/web-%d", i)
	}
	return s
}()

// addPodReady adds a record shaped like the outage day's commonest one (PodReady,
// four string attributes).
func addPodReady(tr *sim.Trace, i int) {
	tr.Add(time.Duration(i), "PodReady", sim.S("pod", podNames[i%len(podNames)]), sim.S("node", "z1-1"),
		sim.S("from", "True"), sim.S("to", "False"))
}

// retainedBytesPerRecord is the live heap a trace holds per retained PodReady record.
func retainedBytesPerRecord(n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr := sim.NewTrace(false)
	for i := range n {
		addPodReady(tr, i)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tr)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// Adding a retained record allocates only the trace's chunks, amortised.
func BenchmarkTraceAddRetained(b *testing.B) {
	b.ReportAllocs()
	tr := sim.NewTrace(false)
	for i := 0; b.Loop(); i++ {
		addPodReady(tr, i)
	}
	b.ReportMetric(retainedBytesPerRecord(200_000), "retained-B/record")
}

func BenchmarkTraceAddStreamed(b *testing.B) {
	b.ReportAllocs()
	tr := &sim.Trace{}
	tr.SetSink(func(*sim.Record) {})
	for i := 0; b.Loop(); i++ {
		addPodReady(tr, i)
	}
}
