package lease_test

import (
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/lease"
	"github.com/nodesim/nodesim/sim"
)

// A node's Lease renewed every 10 s (jitter off), through a 20 s API-server outage: the backoff GETs at 30, 30.2, 30.6, 31.4, 33, 36.2,
// 42.6 and 49.6 s; the last one finds the server back.
func Example() {
	e := sim.New()
	s := apiserver.New(e, nil, apiserver.DefaultConfig())
	admin := s.NewClient("admin", 30*time.Second)
	_, _ = s.Nodes.Create(admin, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "worker"}})

	kubelet := s.NewClient("kubelet/worker", 10*time.Second)
	ctl, err := lease.New(s, kubelet, sim.NewRand(e.Seed(), "kubelet/worker/lease"),
		lease.Config{HolderIdentity: "worker", NoJitter: true})
	if err != nil {
		panic(err)
	}
	s.Leases.Watch(admin, 0, func(ev apiserver.Event[*apiserver.Lease]) {
		fmt.Println("renewTime", ev.New.RenewTime)
	})
	ctl.Start()
	_, _ = e.At(25*time.Second, func() { s.SetOutage(true) })
	_, _ = e.At(45*time.Second, func() { s.SetOutage(false) })
	_ = e.RunUntil(60 * time.Second)
	// Output:
	// renewTime 0s
	// renewTime 10s
	// renewTime 20s
	// renewTime 49.6s
	// renewTime 59.6s
}
