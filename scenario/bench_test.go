package scenario_test

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nodesim/nodesim/scenario"
)

func fleet(b *testing.B, nodes, zones int, duration time.Duration, extra string) *scenario.Scenario {
	b.Helper()
	y := fmt.Sprintf(`
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: fleet}
spec:
  duration: %s
  nodes:
`, duration)
	for z := 0; z < zones; z++ {
		y += fmt.Sprintf("    - {namePrefix: z%d-, count: %d, zone: zone-%d}\n", z, nodes/zones, z)
	}
	y += extra
	sc, err := scenario.Parse("fleet.yaml", []byte(y))
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

// BenchmarkFleetHealthy: a healthy fleet for 1 and 30 virtual days, booting at time
// zero or starting out running (spec.start). The cost of a healthy node must not grow
// with virtual time (node-hours/s).
func BenchmarkFleetHealthy(b *testing.B) {
	for _, start := range []string{"running", "booting"} {
		for _, n := range []int{10_000, 100_000} {
			for _, days := range []int{1, 30} {
				b.Run(fmt.Sprintf("start=%s/nodes=%d/days=%d", start, n, days), func(b *testing.B) {
					d := time.Duration(days) * 24 * time.Hour
					sc := fleet(b, n, 3, d, "  start: "+start+"\n")
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						if _, err := scenario.Run(sc, scenario.RunOptions{}); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(n)*d.Hours()*float64(b.N)/b.Elapsed().Seconds(), "node-hours/s")
				})
			}
		}
	}
}

// BenchmarkLateOutage: the healthy running fleet of BenchmarkFleetHealthy (10k nodes)
// for 1 and 30 days, with one zone partitioned for a minute one hour before the end.
// Waking a zone's kubelets from lazy mode replays their loops since they went steady;
// that must cost the same after a day or a month (see sim.JitterCycle).
func BenchmarkLateOutage(b *testing.B) {
	for _, days := range []int{1, 30} {
		b.Run(fmt.Sprintf("days=%d", days), func(b *testing.B) {
			d := time.Duration(days) * 24 * time.Hour
			extra := fmt.Sprintf("  start: running\n  events:\n    - at: %s\n      partition: {zone: zone-1, for: 1m}\n", d-time.Hour)
			sc := fleet(b, 10_000, 3, d, extra)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := scenario.Run(sc, scenario.RunOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// deployments is a spec.objects section: a DaemonSet "agent" (if ds) and 100
// Deployments sharing replicas equally.
func deployments(replicas int, ds bool) string {
	extra := "  objects:\n"
	if ds {
		extra += `    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: agent}
      spec:
        selector: {matchLabels: {app: agent}}
        template:
          metadata: {labels: {app: agent}}
          spec: {containers: [{name: a, image: agent}]}
`
	}
	const n = 100
	for i := 0; i < n; i++ {
		extra += fmt.Sprintf(`    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web-%d}
      spec:
        replicas: %d
        selector: {matchLabels: {app: web-%d}}
        template:
          metadata: {labels: {app: web-%d}}
          spec: {containers: [{name: w, image: nginx}]}
`, i, replicas/n, i, i)
	}
	return extra
}

// BenchmarkZoneOutage: 10k nodes in 3 zones running pods of 100 Deployments and a
// DaemonSet (one pod per node), one zone partitioned for 10 minutes at 12 h within a
// 24-hour run. The cluster starts out running (spec.start), so the figure is the day
// and its outage, not a boot. heap-MiB is the peak of the heap in use (HeapInuse),
// sampled every 10 ms during the run and once after it.
func BenchmarkZoneOutage(b *testing.B) {
	for _, pods := range []int{30_000, 300_000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			extra := "  start: running\n" + deployments(pods-10_000, true)
			extra += "  events:\n    - at: 12h\n      partition: {zone: zone-1, for: 10m}\n"
			sc := fleet(b, 10_000, 3, 24*time.Hour, extra)
			b.ReportAllocs()
			b.ResetTimer()
			var peak uint64
			for i := 0; i < b.N; i++ {
				peak = max(peak, peakHeapInuse(func() {
					res, err := scenario.Run(sc, scenario.RunOptions{})
					if err != nil {
						b.Fatal(err)
					}
					runtime.KeepAlive(res)
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "heap-MiB")
		})
	}
}

// BenchmarkAPIServerOutage: the day of BenchmarkZoneOutage with 30k pods, but the
// whole API server down for 10 minutes at 12 h instead of one zone's network: all 10k
// kubelets retry, each failing at once. It measures that failing loops cost nothing
// while they cannot succeed (lazy mode; see the kubelet package doc).
func BenchmarkAPIServerOutage(b *testing.B) {
	extra := "  start: running\n" + deployments(20_000, true)
	extra += "  events:\n    - at: 12h\n      apiServerOutage: {for: 10m}\n"
	runDay(b, extra)
}

// BenchmarkZoneDown: the cluster of BenchmarkZoneOutage with 30k pods, one zone's
// kubelets stopped at 1 h for the rest of the day. The zone's nodes go Unknown, are
// tainted at the full-disruption rate (0.1 nodes/s, about 9 hours for the zone) and
// their pods replaced elsewhere; after that they cost the passes and the pod GC
// nothing (see the nodelifecycle and eviction package docs).
func BenchmarkZoneDown(b *testing.B) {
	extra := "  start: running\n" + deployments(20_000, true)
	extra += "  events:\n    - at: 1h\n      stopKubelet: {zone: zone-1}\n"
	runDay(b, extra)
}

// BenchmarkUnschedulableDay: the zone-outage day with 30k pods, plus a Deployment of
// 1,000 replicas whose node selector matches no node. Every node change during the
// partition moves them back to be retried against all 10k nodes (see the workload
// package doc on what that costs).
func BenchmarkUnschedulableDay(b *testing.B) {
	extra := "  start: running\n" + deployments(20_000, true)
	extra += "    - apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: nowhere}\n      spec:\n        replicas: 1000\n        selector: {matchLabels: {app: nowhere}}\n        template:\n          metadata: {labels: {app: nowhere}}\n          spec:\n            nodeSelector: {disktype: ssd}\n            containers: [{name: w, image: nginx}]\n"
	extra += "  events:\n    - at: 12h\n      partition: {zone: zone-1, for: 10m}\n"
	runDay(b, extra)
}

// runDay runs a 24-hour day of a running 10k-node cluster in 3 zones, with extra
// appended to its spec.
func runDay(b *testing.B, extra string) {
	sc := fleet(b, 10_000, 3, 24*time.Hour, extra)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scenario.Run(sc, scenario.RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// peakHeapInuse runs fn and returns the most heap in use seen while it ran: sampled
// every 10 ms by another goroutine (each sample stops the world for a few
// microseconds) and once when fn returns, with what fn returned still reachable.
func peakHeapInuse(fn func()) uint64 {
	var peak uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	fn()
	close(stop)
	<-done
	sample()
	return peak
}

// BenchmarkBuild: building a running cluster of 100k nodes, without pods and with 1M
// pods of 100 Deployments (Build only: nothing runs). live-B/node and live-B/pod are
// the live heap after the build (a GC first) over the nodes, and over the pods beyond
// the node-only world's heap.
func BenchmarkBuild(b *testing.B) {
	const nodes, pods = 100_000, 1_000_000
	live := func(b *testing.B, sc *scenario.Scenario) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		w, err := scenario.Build(sc, scenario.RunOptions{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(w)
		return after.HeapAlloc - before.HeapAlloc
	}
	nodeOnly := fleet(b, nodes, 3, time.Minute, "  start: running\n")
	withPods := fleet(b, nodes, 3, time.Minute, "  start: running\n"+deployments(pods, false))
	var nodeHeap uint64
	b.Run("nodes=100000", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := scenario.Build(nodeOnly, scenario.RunOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		nodeHeap = live(b, nodeOnly)
		b.ReportMetric(float64(nodeHeap)/nodes, "live-B/node")
	})
	b.Run("nodes=100000/pods=1000000", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := scenario.Build(withPods, scenario.RunOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if nodeHeap == 0 {
			nodeHeap = live(b, nodeOnly)
		}
		b.ReportMetric(float64(live(b, withPods)-nodeHeap)/pods, "live-B/pod")
	})
}

// BenchmarkSeedSweep: 1,000 seeds of the kubelet-stops example on all cores.
func BenchmarkSeedSweep(b *testing.B) {
	sc, err := scenario.Load("../examples/kubelet-stops.yaml")
	if err != nil {
		b.Fatal(err)
	}
	const seeds = 1000
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		next := make(chan uint64)
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range next {
					seed := s
					if _, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed}); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for s := uint64(1); s <= seeds; s++ {
			next <- s
		}
		close(next)
		wg.Wait()
	}
	b.ReportMetric(float64(seeds*b.N)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkShutdownStormWithBudget: three nodes in graceful shutdown (a DaemonSet pod
// with a 120 s termination grace keeps it going) and a Deployment whose pods tolerate
// every taint, so the scheduler keeps binding replacements there and the kubelets keep
// rejecting them: about 100 Failed pods a second for four and a half minutes, all
// under one PodDisruptionBudget. Every pod event syncs the budget; its sync reads the
// pod set it keeps, not a walk of the namespace's thousands of Failed pods (which made
// this run take about 50 s).
func BenchmarkShutdownStormWithBudget(b *testing.B) {
	sc, err := scenario.Parse("storm.yaml", []byte(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: storm}
spec:
  duration: 300s
  kubernetesVersion: "1.34"
  start: running
  kubelet: {shutdownGracePeriod: 120s, shutdownGracePeriodCriticalPods: 13s}
  nodes:
    - {namePrefix: n, count: 3}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 5
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: c, image: nginx}]
            tolerations: [{operator: Exists}]
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: web}
      spec:
        minAvailable: 0
        selector: {matchLabels: {app: web}}
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: ds}
      spec:
        selector: {matchLabels: {app: ds}}
        template:
          metadata: {labels: {app: ds}}
          spec:
            containers: [{name: c, image: nginx}]
            terminationGracePeriodSeconds: 120
  events:
    - at: 30s
      shutdown: {nodes: [n0, n1, n2]}
`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scenario.Run(sc, scenario.RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
