package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// steadyFleet registers n Ready nodes in 3 zones with steady Leases and runs the
// controller's first pass.
func steadyFleet(b *testing.B, n int) *Controller {
	e := sim.New()
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	c := s.NewClient("kubelets", 10*time.Second)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("node-%06d", i)
		_, err := s.Nodes.Create(c, &apiserver.Node{
			ObjectMeta: apiserver.ObjectMeta{Name: name, Labels: apiserver.NewLabels(map[string]string{apiserver.LabelZone: fmt.Sprintf("zone-%d", i%3)})},
			Conditions: []apiserver.NodeCondition{{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue, Reason: "KubeletReady"}},
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Leases.Create(c, &apiserver.Lease{ObjectMeta: apiserver.ObjectMeta{Namespace: NodeLeaseNamespace, Name: name},
			HolderIdentity: name, LeaseDurationSeconds: 40, Steady: true}); err != nil {
			b.Fatal(err)
		}
	}
	nc, err := New(s, s.NewClient("kube-controller-manager", 30*time.Second), DefaultConfig(37))
	if err != nil {
		b.Fatal(err)
	}
	nc.Start()
	if err := e.RunFor(time.Minute); err != nil { // first passes visit everything once
		b.Fatal(err)
	}
	return nc
}

// BenchmarkMonitorPassHealthy is one monitor pass over a healthy fleet whose Leases are
// steady: its cost must not grow with the number of nodes.
func BenchmarkMonitorPassHealthy(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			nc := steadyFleet(b, n)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				nc.monitorPass()
			}
		})
	}
}

// partitionedFleet is n nodes in 3 zones, nine kubelet labels each, whose first zone
// stopped heartbeating at time zero (its Leases are not steady and never renewed) and
// has gone Unknown and FullDisruption; the other zones' Leases are steady.
func partitionedFleet(b testing.TB, n int, exact bool) *Controller {
	e := sim.New()
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	c := s.NewClient("kubelets", 10*time.Second)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("node-%06d", i)
		zone := fmt.Sprintf("zone-%d", i%3)
		labels := map[string]string{
			apiserver.LabelHostname: name, apiserver.LabelOS: "linux", apiserver.LabelArch: "amd64",
			"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
			apiserver.LabelZone: zone, apiserver.LabelZoneBeta: zone,
			apiserver.LabelRegion: "r", apiserver.LabelRegionBeta: "r",
		}
		var conds []apiserver.NodeCondition
		for _, t := range []apiserver.NodeConditionType{apiserver.NodeMemoryPressure, apiserver.NodeDiskPressure, apiserver.NodePIDPressure} {
			conds = append(conds, apiserver.NodeCondition{Type: t, Status: apiserver.ConditionFalse, Reason: "KubeletHasNoPressure"})
		}
		conds = append(conds, apiserver.NodeCondition{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue, Reason: "KubeletReady"})
		if _, err := s.Nodes.Create(c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name, Labels: apiserver.NewLabels(labels)}, Conditions: conds}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Leases.Create(c, &apiserver.Lease{ObjectMeta: apiserver.ObjectMeta{Namespace: NodeLeaseNamespace, Name: name},
			HolderIdentity: name, LeaseDurationSeconds: 40, Steady: i%3 != 0}); err != nil {
			b.Fatal(err)
		}
	}
	cfg := DefaultConfig(37)
	cfg.Exact = exact
	nc, err := New(s, s.NewClient("kube-controller-manager", 30*time.Second), cfg)
	if err != nil {
		b.Fatal(err)
	}
	nc.Start()
	if err := e.RunFor(2 * time.Minute); err != nil {
		b.Fatal(err)
	}
	if got := nc.ZoneStates()["zone-0"]; got != StateFullDisruption {
		b.Fatalf("zone-0 is %s, want %s", got, StateFullDisruption)
	}
	return nc
}

// BenchmarkMonitorPassPartitioned is one monitor pass while a third of the fleet is
// partitioned and waits in its zone's tainting queue. Exact mode visits every node at
// every pass, re-queueing each Unknown one, as upstream does (ns/visit); a lazy pass
// skips the steady nodes and the waiting ones (waitingUnknown) and, with the queue
// unchanged since the last pass, does not walk the queue either.
func BenchmarkMonitorPassPartitioned(b *testing.B) {
	for _, exact := range []bool{true, false} {
		b.Run(map[bool]string{true: "exact", false: "lazy"}[exact], func(b *testing.B) {
			nc := partitionedFleet(b, 10_000, exact)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				nc.monitorPass()
			}
			if exact {
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000, "ns/visit")
			} else if nc.nWaiting < 3000 {
				b.Fatalf("%d nodes skipped as waiting, want the partitioned zone's", nc.nWaiting)
			}
		})
	}
}
