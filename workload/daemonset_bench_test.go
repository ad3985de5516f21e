package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// BenchmarkDaemonSetNodeEvents: 200 agent nodes with their pods and two DaemonSets;
// each op changes one node's taints (a NoSchedule taint the pods do not tolerate, on
// and off in turn) and runs the engine until the controllers have handled it. It
// measures the DaemonSet controller's cost per node event, the API server's write
// and the other controllers' handlers included: in 1.31 each event queues both
// DaemonSets (the node's shouldRun changes), in 1.37 none (the node keeps its pods).
func BenchmarkDaemonSetNodeEvents(b *testing.B) {
	for _, v := range []int{31, 37} {
		b.Run(fmt.Sprintf("version=1.%d", v), func(b *testing.B) { benchmarkDaemonSetNodeEvents(b, v) })
	}
}

func benchmarkDaemonSetNodeEvents(b *testing.B, version int) {
	w := newWorld(b, 1)
	w.ds.Stop()
	var err error
	if w.ds, err = NewDaemonSetController(w.s, w.c, DaemonSetConfig{Version: version}); err != nil {
		b.Fatal(err)
	}
	w.ds.Start()
	const nodes = 200
	for i := range nodes {
		w.addNode(fmt.Sprintf("n%03d", i), map[string]string{"agent": "yes"})
	}
	for _, name := range []string{"agent", "agent2"} {
		ds := agentDaemonSet()
		ds.Name = name
		if _, err := w.s.DaemonSets.Create(w.c, ds); err != nil {
			b.Fatal(err)
		}
	}
	now := 10 * time.Second
	w.run(now)
	t := taint.Taint{Key: "example.com/maintenance", Effect: taint.NoSchedule}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("n%03d", i%nodes)
		on := (i/nodes)%2 == 0
		if _, err := w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error {
			if on {
				n.Taints = append(n.Taints, t)
			} else {
				n.Taints = removeTaint(n.Taints, t)
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		now += 100 * time.Millisecond
		w.run(now)
	}
}
