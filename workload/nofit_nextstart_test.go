package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
)

// A full cycle that finds no node sets nextStart to nextStart mod the number of nodes;
// the no-fit cache's refresh must too. Otherwise, after nodes are deleted and then added,
// the next successful cycle starts filtering from a different node (found by review).
func TestNoFitRefreshKeepsNextStartInRange(t *testing.T) {
	run := func(off bool) string {
		w := newWorld(t, 1)
		w.sched.noFit.off = off
		for i := range 200 {
			w.addNode(fmt.Sprintf("n%03d", i), map[string]string{"disk": "hdd"})
		}
		mk := func(name string, sel map[string]string) {
			_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
				PodSpec: &apiserver.PodSpec{NodeSelector: sel}})
			if err != nil {
				t.Fatal(err)
			}
		}
		mk("fit1", nil)
		w.run(w.s.Now() + time.Second)
		mk("nofit", map[string]string{"disk": "none"})
		w.run(w.s.Now() + time.Second)
		for i := 80; i < 200; i++ {
			_ = w.s.Nodes.Delete(w.c, fmt.Sprintf("n%03d", i), apiserver.DeleteOptions{})
		}
		w.run(w.s.Now() + time.Second)
		w.addNode("m000", map[string]string{"disk": "hdd"}) // retries nofit: refresh
		w.run(w.s.Now() + 30*time.Second)
		for i := 1; i < 40; i++ {
			w.addNode(fmt.Sprintf("m%03d", i), map[string]string{"disk": "hdd"})
		}
		w.run(w.s.Now() + 30*time.Second)
		mk("fit2", nil)
		w.run(w.s.Now() + 30*time.Second)
		b := schedulingTrace(w)
		fmt.Fprintf(b, "nextStart %d nodes %d\n", w.sched.nextStart, len(w.sched.nodes))
		w.stop()
		return b.String()
	}
	if on, off := run(false), run(true); on != off {
		t.Fatalf("with the shortcut:\n%s\nwithout:\n%s", on, off)
	}
}
