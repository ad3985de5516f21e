package kubelet

import (
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// BenchmarkKubeletSteady measures one virtual day of a healthy kubelet in lazy mode;
// it reports the engine events fired per day (≈0 once steady).
func BenchmarkKubeletSteady(b *testing.B) {
	e := sim.New()
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	k, err := New(s, "n", Config{})
	if err != nil {
		b.Fatal(err)
	}
	k.Start()
	if err := e.RunUntil(time.Minute); err != nil {
		b.Fatal(err)
	}
	if !k.Steady() {
		b.Fatal("kubelet did not go steady")
	}
	fired := e.Fired()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.RunFor(24 * time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.Fired()-fired)/float64(b.N), "events/day")
}

// BenchmarkKubeletExact is the same day in exact mode: every renewal and sync fires.
func BenchmarkKubeletExact(b *testing.B) {
	e := sim.New()
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	k, err := New(s, "n", Config{Exact: true})
	if err != nil {
		b.Fatal(err)
	}
	k.Start()
	fired := e.Fired()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.RunFor(24 * time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(e.Fired()-fired)/float64(b.N), "events/day")
}

// BenchmarkUnsteadyAfterDay is the cost of materialising a day of virtual heartbeats.
func BenchmarkUnsteadyAfterDay(b *testing.B) {
	e := sim.New()
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	k, err := New(s, "n", Config{})
	if err != nil {
		b.Fatal(err)
	}
	k.Start()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := e.RunFor(24 * time.Hour); err != nil {
			b.Fatal(err)
		}
		k.Unsteady()
	}
}
