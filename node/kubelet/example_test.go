package kubelet_test

import (
	"fmt"
	"os"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/node/kubelet"
	"github.com/nodesim/nodesim/sim"
)

// A kubelet registers its node, turns Ready when the container runtime check passes,
// and renews its Lease; the node is then deleted under it.
func Example() {
	e := sim.New()
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	k, err := kubelet.New(s, "worker", kubelet.Config{NoJitter: true})
	if err != nil {
		panic(err)
	}
	k.Start()
	_ = e.RunUntil(time.Minute)
	l, _ := s.Leases.Peek("kube-node-lease/worker")
	fmt.Println("lease holder:", l.HolderIdentity, "steady:", k.Steady())

	k.Unsteady() // the scenario's duty before anything that others may observe
	kubectl := s.NewClient("kubectl", 30*time.Second)
	_ = s.Nodes.Delete(kubectl, "worker", apiserver.DeleteOptions{})
	_ = e.RunUntil(2 * time.Minute)
	_, found := s.Leases.Peek("kube-node-lease/worker")
	fmt.Println("lease after node deletion:", found)
	_ = sim.WriteText(os.Stdout, tr.Records())
	// Output:
	// lease holder: worker steady: true
	// lease after node deletion: false
	// 0.1s         NodeRegistered node=worker
	// 0.1s         NodeCondition node=worker type=MemoryPressure from="" to=False reason=KubeletHasSufficientMemory
	// 0.1s         NodeCondition node=worker type=DiskPressure from="" to=False reason=KubeletHasNoDiskPressure
	// 0.1s         NodeCondition node=worker type=PIDPressure from="" to=False reason=KubeletHasSufficientPID
	// 0.1s         NodeCondition node=worker type=Ready from="" to=False reason=KubeletNotReady
	// 0.1s         TaintAdded node=worker taint=node.kubernetes.io/not-ready:NoSchedule
	// 1s           NodeCondition node=worker type=Ready from=False to=True reason=KubeletReady
	// 60s          NodeDeleted node=worker
}
