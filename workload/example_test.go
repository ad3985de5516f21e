package workload_test

import (
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/nodesim/nodesim/workload"
)

// A Deployment's pods are created by the ReplicaSet its controller owns and bound by
// the scheduler; with no kubelet in this example they stay Pending, and the tracker
// shows none ready.
func Example() {
	e := sim.New()
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	c := s.NewClient("kube-controller-manager", 30*time.Second)
	for _, name := range []string{"a", "b"} {
		_, _ = s.Nodes.Create(c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name},
			Allocatable: apiserver.Resources{MilliCPU: 2000, Memory: 4 << 30, Pods: 110}})
		// what the node lifecycle controller does once the node is Ready
		_, _ = s.Nodes.Patch(c, name, func(n *apiserver.Node) error { n.Taints = []taint.Taint{}; return nil })
	}
	dc, _ := workload.NewDeploymentController(s, c, workload.DeploymentConfig{})
	rc, _ := workload.NewReplicaSetController(s, c, workload.ReplicaSetConfig{})
	sc, _ := workload.NewScheduler(s, s.NewClient("kube-scheduler", 30*time.Second), workload.DefaultSchedulerConfig())
	tk, _ := workload.NewTracker(s, c, workload.TrackerConfig{})
	for _, x := range []interface{ Start() }{tk, dc, rc, sc} {
		x.Start()
	}
	_, _ = s.Deployments.Create(c, &apiserver.Deployment{
		ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"}, Replicas: 2,
		Selector: apiserver.LabelSelector{"app": "web"},
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": "web"})},
	})
	_ = e.RunUntil(time.Second)
	s.Pods.Each(func(p *apiserver.Pod) { fmt.Println(p.Name, "on", p.NodeName, p.Phase) })
	sum := tk.Summary("deployment/default/web")
	fmt.Println("settled:", sum.Settled)
	// Output:
	// web-554848779f-gm6hv on b Pending
	// web-554848779f-tdb6h on a Pending
	// settled: false
}
