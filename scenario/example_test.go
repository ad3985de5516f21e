package scenario_test

import (
	"fmt"
	"time"

	"github.com/nodesim/nodesim/scenario"
)

// A kubelet stops: when does the node go Unknown, and when is its NoExecute taint
// added? (Kubernetes 1.37 defaults: grace period 50 s.)
func Example() {
	sc, err := scenario.New("kubelet-stops").
		Duration(5*time.Minute).
		Node("control-plane").
		Node("worker").
		At(time.Minute, scenario.StopKubelet(scenario.OnNode("worker"))).
		Expect(scenario.By, 2*time.Minute, scenario.NodeTaint("worker", "node.kubernetes.io/unreachable:NoExecute")).
		Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := scenario.Run(sc, scenario.RunOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Records() {
		if r.Kind == "NodeCondition" && r.Str("type") == "Ready" && r.Str("to") == "Unknown" {
			fmt.Printf("worker Unknown %.0fs after the stop\n", (r.T - time.Minute).Seconds())
		}
	}
	fmt.Println("expectations held:", res.OK())
	// Output:
	// worker Unknown 50s after the stop
	// expectations held: true
}
