package leaderelection_test

import (
	"fmt"
	"os"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/lease/leaderelection"
	"github.com/nodesim/nodesim/sim"
)

// Two kube-controller-manager instances; the leader crashes at 60 s. Its container runs
// again a second later (the kubelet's next PLEG relist), as a fresh candidate. The old
// lease expires on each candidate's own clock, leaseDuration after it last saw the record
// change, and the first to poll after that takes over: here the restarted process.
func Example() {
	e := sim.New(sim.WithSeed(1))
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	cfg := leaderelection.DefaultProcessConfig(func(i int, c *apiserver.Client) (func(), error) {
		fmt.Printf("%v: kube-controller-manager-%d starts its controllers\n", e.Now(), i)
		return func() {}, nil
	})
	cfg.Instances = 2
	p, err := leaderelection.NewProcess(s, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	p.Start()
	_ = e.RunUntil(time.Minute)
	fmt.Println("killed", p.Failover())
	_ = e.RunUntil(2 * time.Minute)
	_ = sim.WriteText(os.Stdout, tr.Records())
	// Output:
	// 0s: kube-controller-manager-0 starts its controllers
	// killed kube-controller-manager-0
	// 1m18.310178708s: kube-controller-manager-0 starts its controllers
	// 0s           Leader holder=kube-controller-manager-0
	// 78.310178708s Leader holder=kube-controller-manager-0
}
