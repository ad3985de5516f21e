package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
)

// The node and Lease a record keeps (its views, kept by the informer handlers and Start)
// are what the informers hold, after every event: a visit reads them instead of looking
// the node and its Lease up. Clusters are random as in TestLazyEqualsExact, in exact or
// lazy mode, with node deletions and controller restarts (stopped across changes, or not).
func TestPropertyRecordViewsMatchInformers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genCluster(t)
		exact := rapid.Bool().Draw(t, "exact")
		cfg := DefaultConfig(spec.version)
		cfg.WatchLatency = spec.latency
		cfg.Exact = exact
		w := newWorld(t, cfg)
		startZoned(w, spec, !exact)
		w.run(time.Millisecond)
		w.nc.Start()
		schedule(w, spec)
		// Deletions (the kubelet stops; a later start registers the node again) and
		// restarts, in any combination: a node deleted while the controller is stopped
		// must be forgotten when it starts again.
		admin := w.s.NewClient("admin", time.Second)
		for i, n := 0, rapid.IntRange(0, 3).Draw(t, "deleted"); i < n; i++ {
			k := w.kl[fmt.Sprintf("n%02d", rapid.IntRange(0, len(spec.zones)-1).Draw(t, "node"))]
			w.at(time.Duration(rapid.IntRange(1, 400).Draw(t, "deleteAtS"))*time.Second, func() {
				k.Stop()
				_ = w.s.Nodes.Delete(admin, k.name, apiserver.DeleteOptions{})
			})
		}
		for i, n := 0, rapid.IntRange(0, 2).Draw(t, "restarts"); i < n; i++ {
			at := time.Duration(rapid.IntRange(1, 400).Draw(t, "stopAtS")) * time.Second
			down := time.Duration(rapid.IntRange(0, 60).Draw(t, "downS")) * time.Second
			w.at(at, func() { w.nc.Stop() })
			w.at(at+down, func() { w.nc.Start() })
		}
		for {
			next, ok := w.e.Peek()
			if !ok || next > 10*time.Minute {
				break
			}
			w.e.Step()
			if w.nc.Running() {
				checkViews(t, w.nc)
			}
		}
	})
}

// checkViews compares versions by resourceVersion (and UID), not by pointer: a record
// needs the informer's version, not necessarily its very object.
func checkViews(t *rapid.T, nc *Controller) {
	t.Helper()
	for _, key := range nc.nodeInf.Keys() {
		if nc.nodes[key] == nil {
			t.Fatalf("%v: node %s is cached but has no record", nc.s.Now(), key)
		}
	}
	type version struct{ uid, rv uint64 }
	for name, n := range nc.nodes {
		var got, want version
		if n.node != nil {
			got = version{n.node.UID, n.node.ResourceVersion}
		}
		if node, ok := nc.nodeInf.Get(name); ok {
			want = version{node.UID, node.ResourceVersion}
		}
		if got != want {
			t.Fatalf("%v: node %s: the record keeps %+v, the informer holds %+v", nc.s.Now(), name, got, want)
		}
		lv := leaseView{}
		if l, ok := nc.leaseInf.Get(NodeLeaseNamespace + "/" + name); ok {
			lv.set(l.Summary())
		}
		if kept := n.lease; kept != lv {
			t.Fatalf("%v: lease of %s: the record keeps %+v, the informer holds %+v", nc.s.Now(), name, kept, lv)
		}
	}
}
