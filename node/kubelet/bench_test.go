package kubelet

import (
	"fmt"
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

// BenchmarkPartitionHeal is a zone's kubelets through a partition, as on the zone-outage
// day (issue #9), without the controllers: 1,000 nodes restored running with 30 Ready
// pods each, steady for 12 h; then all leave steady mode and are partitioned for 10
// minutes, during which their pods are marked NotReady (as the node lifecycle controller
// does), and run 10 minutes after the heal, writing their pods Ready again. Only the
// partition and what follows is timed.
func BenchmarkPartitionHeal(b *testing.B) {
	const nodes, podsPerNode = 1000, 30
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := sim.New(sim.WithSeed(uint64(i)))
		s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
		op := s.NewClient("operator", time.Minute)
		ks := make([]*Kubelet, nodes)
		for n := range ks {
			name := fmt.Sprintf("node-%04d", n)
			k, err := New(s, name, Config{})
			if err != nil {
				b.Fatal(err)
			}
			if err := k.Restore(-time.Hour); err != nil {
				b.Fatal(err)
			}
			for j := range podsPerNode {
				p := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("%s-%02d", name, j), CreationTimestamp: -time.Hour},
					NodeName: name}
				SetRunning(p, true, -time.Hour)
				if _, err := s.Pods.Restore(p); err != nil {
					b.Fatal(err)
				}
			}
			k.StartRunning()
			ks[n] = k
		}
		if err := e.RunUntil(12 * time.Hour); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, k := range ks {
			k.Unsteady()
			k.Client().SetPartitioned(true)
		}
		if err := e.RunFor(5 * time.Minute); err != nil {
			b.Fatal(err)
		}
		for _, key := range s.Pods.Keys() {
			_, err := s.Pods.Patch(op, key, func(p *apiserver.Pod) error {
				p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, e.Now())
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := e.RunFor(5 * time.Minute); err != nil {
			b.Fatal(err)
		}
		for _, k := range ks {
			k.Client().SetPartitioned(false)
		}
		if err := e.RunFor(10 * time.Minute); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for _, key := range s.Pods.Keys()[:1] {
			if p, _ := s.Pods.Peek(key); !p.IsReady() {
				b.Fatalf("pod %s not Ready again after the heal", key)
			}
		}
	}
}
