package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"pgregory.net/rapid"
)

// drain is a fake kubectl drain: cordon, then evict every pod on the node through
// the eviction API, retrying a refused (429) eviction every 5 s.
func (w *world) drain(node string, done *bool) {
	_, err := w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error { n.Unschedulable = true; return nil })
	if err != nil {
		w.t.Fatalf("cordon: %v", err)
	}
	var step func()
	step = func() {
		pending := 0
		for _, p := range w.podsOn(node) {
			if p.Deleting {
				continue
			}
			pending++
			if err := w.s.Evict(w.c, p.Key(), nil); err != nil && !apiserver.IsTooManyRequests(err) && !apiserver.IsNotFound(err) {
				w.t.Fatalf("evict %s: %v", p.Key(), err)
			}
		}
		if pending == 0 {
			*done = true
			return
		}
		_, _ = w.e.After(5*time.Second, step)
	}
	step()
}

// With minAvailable: 2 over 3 replicas, draining a node that holds 2 of them never
// leaves fewer than 2 ready, whatever the placement, the start delays and the drain
// time.
func TestPropertyDrainRespectsMinAvailable(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		nodes := rapid.IntRange(2, 5).Draw(rt, "nodes")
		target := rapid.IntRange(0, nodes-1).Draw(rt, "target")
		other := rapid.IntRange(0, nodes-2).Draw(rt, "other")
		if other >= target {
			other++
		}
		delay := time.Duration(rapid.IntRange(0, 30_000).Draw(rt, "readinessDelayMs")) * time.Millisecond
		drainAt := time.Duration(rapid.IntRange(40, 120).Draw(rt, "drainAtS")) * time.Second
		seed := rapid.Uint64().Draw(rt, "seed")

		w := newWorld(t, seed)
		names := make([]string, nodes)
		for i := range names {
			names[i] = fmt.Sprintf("n%d", i)
			w.addNode(names[i], nil)
			if i != target && i != other {
				_, err := w.s.Nodes.Patch(w.c, names[i], func(n *apiserver.Node) error { n.Unschedulable = true; return nil })
				if err != nil {
					rt.Fatal(err)
				}
			}
		}
		// The target takes two replicas, the other one (allocatable.pods), until
		// the placement is done.
		for _, np := range []struct {
			i    int
			pods int64
		}{{target, 2}, {other, 1}} {
			_, _ = w.s.Nodes.Patch(w.c, names[np.i], func(n *apiserver.Node) error { n.Allocatable.Pods = np.pods; return nil })
		}
		d := webDeployment(3)
		d.Template.Spec.EditSpec().ReadinessDelay = delay
		if _, err := w.s.Deployments.Create(w.c, d); err != nil {
			rt.Fatal(err)
		}
		if _, err := w.s.PDBs.Create(w.c, &apiserver.PodDisruptionBudget{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
			Selector: apiserver.LabelSelector{"app": "web"}, MinAvailable: num(2)}); err != nil {
			rt.Fatal(err)
		}
		w.run(35 * time.Second)
		if got := len(w.podsOn(names[target])); got != 2 {
			rt.Fatalf("setup: target holds %d replicas, want 2", got)
		}
		for _, n := range names {
			_, _ = w.s.Nodes.Patch(w.c, n, func(n *apiserver.Node) error {
				n.Unschedulable, n.Allocatable.Pods = false, defaultAllocatable.Pods
				return nil
			})
		}
		done := false
		w.at(drainAt, func() { w.drain(names[target], &done) })
		w.run(drainAt + 5*time.Minute)
		if !done {
			rt.Fatalf("drain did not finish")
		}
		sum := w.track.Summary("deployment/default/web")
		if !sum.Settled || sum.MinReady < 2 {
			rt.Fatalf("ready dropped to %d (series %v)", sum.MinReady, w.track.Series("deployment/default/web"))
		}
		w.stop()
	})
}
