package nodelifecycle_test

import (
	"fmt"
	"os"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/node/nodelifecycle"
	"github.com/nodesim/nodesim/sim"
)

// Two nodes: "healthy" heartbeats through a steady Lease, "worker" never heartbeats again.
// The worker goes Unknown 10 passes after the controller first saw it (the pass at 50.05 s
// is strictly after 0 + 50 s), gets unreachable:NoSchedule at once and
// unreachable:NoExecute at the next 100 ms tick.
func Example() {
	e := sim.New()
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	kubelet := s.NewClient("kubelets", 10*time.Second)
	for _, name := range []string{"healthy", "worker"} {
		_, _ = s.Nodes.Create(kubelet, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name},
			Conditions: []apiserver.NodeCondition{{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue, Reason: "KubeletReady"}}})
	}
	_, _ = s.Leases.Create(kubelet, &apiserver.Lease{ObjectMeta: apiserver.ObjectMeta{Namespace: "kube-node-lease", Name: "healthy"},
		HolderIdentity: "healthy", LeaseDurationSeconds: 40, Steady: true})

	nc, err := nodelifecycle.New(s, s.NewClient("kube-controller-manager", 30*time.Second), nodelifecycle.DefaultConfig(37))
	if err != nil {
		fmt.Println(err)
		return
	}
	nc.Start()
	_ = e.RunUntil(2 * time.Minute)
	nc.Stop()
	var out []sim.Record
	for _, r := range tr.Records() {
		if r.T > 0 && r.Str("type") != "MemoryPressure" && r.Str("type") != "DiskPressure" && r.Str("type") != "PIDPressure" {
			out = append(out, r)
		}
	}
	_ = sim.WriteText(os.Stdout, out)
	// Output:
	// 50.05s       NodeCondition node=worker type=Ready from=True to=Unknown reason=NodeStatusUnknown
	// 50.05s       Event object=node/worker reason=NodeNotReady message="Node worker status is now: NodeNotReady"
	// 50.05s       TaintAdded node=worker taint=node.kubernetes.io/unreachable:NoSchedule
	// 50.1s        TaintAdded node=worker taint=node.kubernetes.io/unreachable:NoExecute
}
