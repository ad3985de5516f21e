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
			ObjectMeta: apiserver.ObjectMeta{Name: name, Labels: map[string]string{apiserver.LabelZone: fmt.Sprintf("zone-%d", i%3)}},
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
