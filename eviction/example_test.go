package eviction_test

import (
	"fmt"
	"os"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/eviction"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// A node goes unreachable at t=50s: the pod with the admission-added 300 s toleration
// is evicted at 350 s, the one tolerating unreachable for 60 s at 110 s, and the
// DaemonSet pod never. Deleting the Node at 400 s lets PodGC force-delete all three
// after its 40 s quarantine (first noticed by the pass at 420 s, confirmed at 460 s).
func Example() {
	e := sim.New()
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	kubectl := s.NewClient("kubectl", 30*time.Second)
	kcm := s.NewClient("kube-controller-manager", 30*time.Second)

	_, _ = s.Nodes.Create(kubectl, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "worker"}})
	for _, p := range []*apiserver.Pod{
		{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
			PodSpec: &apiserver.PodSpec{TerminationGracePeriodSeconds: 30}},
		{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "cache"}, PodSpec: &apiserver.PodSpec{Tolerations: []taint.Toleration{
			{Key: taint.Unreachable, Operator: taint.OpExists, Effect: taint.NoExecute, TolerationSeconds: taint.Seconds(60)}},
			TerminationGracePeriodSeconds: 30}},
		{ObjectMeta: apiserver.ObjectMeta{Namespace: "kube-system", Name: "proxy"},
			PodSpec: &apiserver.PodSpec{Tolerations: taint.DaemonSetTolerations(nil, false), TerminationGracePeriodSeconds: 30}},
	} {
		p.NodeName, p.Phase = "worker", apiserver.PodRunning
		_, _ = s.Pods.Create(kubectl, p)
	}

	tec, err := eviction.NewTaintEvictionController(s, kcm, eviction.DefaultTaintEvictionConfig())
	if err != nil {
		panic(err)
	}
	gc, err := eviction.NewPodGC(s, kcm, eviction.DefaultPodGCConfig())
	if err != nil {
		panic(err)
	}
	tec.Start()
	gc.Start()

	_, _ = e.At(50*time.Second, func() {
		_, _ = s.Nodes.Patch(kubectl, "worker", func(n *apiserver.Node) error {
			n.Taints = append(n.Taints, taint.Taint{Key: taint.Unreachable, Effect: taint.NoExecute, TimeAdded: e.Now()})
			return nil
		})
	})
	_, _ = e.At(400*time.Second, func() { _ = s.Nodes.Delete(kubectl, "worker", apiserver.DeleteOptions{}) })
	_ = e.RunUntil(500 * time.Second)

	var recs []sim.Record
	for _, r := range tr.Records() {
		switch r.Kind {
		case "PodEvicted", "NodeDeleted":
			recs = append(recs, r)
		}
	}
	if err := sim.WriteText(os.Stdout, recs); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 110s         PodEvicted pod=default/cache node=worker reason=TaintManagerEviction
	// 350s         PodEvicted pod=default/web node=worker reason=TaintManagerEviction
	// 400s         NodeDeleted node=worker
	// 460s         PodEvicted pod=default/cache node=worker reason=PodGC
	// 460s         PodEvicted pod=default/web node=worker reason=PodGC
	// 460s         PodEvicted pod=kube-system/proxy node=worker reason=PodGC
}
