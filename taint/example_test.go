package taint_test

import (
	"fmt"

	"github.com/nodesim/nodesim/taint"
)

// A node stops heartbeating: the node lifecycle controller taints it
// unreachable:NoExecute. A plain pod got 300 s tolerations from the
// DefaultTolerationSeconds admission plugin; a DaemonSet pod tolerates the
// taint forever; a pod with a 60 s toleration of its own goes first.
func Example() {
	node, err := taint.Parse("node.kubernetes.io/unreachable:NoExecute")
	if err != nil {
		panic(err)
	}
	taints := []taint.Taint{node}

	pods := []struct {
		name string
		tols []taint.Toleration
	}{
		{"web", taint.AddDefaultTolerationSeconds(nil, taint.DefaultNotReadyTolerationSeconds, taint.DefaultUnreachableTolerationSeconds)},
		{"agent", taint.DaemonSetTolerations(nil, false)},
		{"batch", taint.AddDefaultTolerationSeconds([]taint.Toleration{
			{Key: taint.Unreachable, Operator: taint.OpExists, Effect: taint.NoExecute, TolerationSeconds: taint.Seconds(60)},
		}, 300, 300)},
		{"gpu", []taint.Toleration{{Key: "dedicated", Value: "gpu", Effect: taint.NoSchedule}}},
	}
	for _, p := range pods {
		ok, used := taint.GetMatchingTolerations(taints, p.tols, false)
		if !ok {
			fmt.Printf("%-5s evicted at once\n", p.name)
			continue
		}
		d, forever := taint.MinTolerationTime(used)
		if forever {
			fmt.Printf("%-5s stays (%s)\n", p.name, used[0])
			continue
		}
		fmt.Printf("%-5s evicted after %v (%s)\n", p.name, d, used[0])
	}
	// Output:
	// web   evicted after 5m0s (node.kubernetes.io/unreachable:NoExecute for 300s)
	// agent stays (node.kubernetes.io/unreachable:NoExecute)
	// batch evicted after 1m0s (node.kubernetes.io/unreachable:NoExecute for 60s)
	// gpu   evicted at once
}

// Parse errors say what is wrong and what is allowed.
func ExampleParse() {
	for _, s := range []string{"dedicated=gpu:NoSchedule", "dedicated=gpu", "dedicated=gpu:Never"} {
		t, err := taint.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("key %s, value %s, effect %s\n", t.Key, t.Value, t.Effect)
	}
	// Output:
	// key dedicated, value gpu, effect NoSchedule
	// parse taint "dedicated=gpu": missing effect; want key[=value]:effect with effect one of NoSchedule, PreferNoSchedule, NoExecute
	// parse taint "dedicated=gpu:Never": effect: invalid value "Never": must be one of NoSchedule, PreferNoSchedule, NoExecute
}

// Lt and Gt compare integer values, only with the
// TaintTolerationComparisonOperators feature gate on.
func ExampleToleration_ToleratesTaint() {
	node := taint.Taint{Key: "example.com/sla", Value: "950", Effect: taint.NoSchedule}
	tol := taint.Toleration{Key: "example.com/sla", Operator: taint.OpGt, Value: "900"}
	fmt.Println(tol, "gate off:", tol.ToleratesTaint(node, false))
	fmt.Println(tol, "gate on: ", tol.ToleratesTaint(node, true))
	// Output:
	// example.com/sla>900 gate off: false
	// example.com/sla>900 gate on:  true
}
