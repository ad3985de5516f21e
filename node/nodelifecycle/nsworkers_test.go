package nodelifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
)

// Two NoSchedule workers under a bucket of 1 at 1 QPS. Nodes a and b (steady, Ready,
// their boot taints long removed, the bucket full) are cordoned together at T = 30.5 s
// by an operator, and b is uncordoned at T+1.5 s while a worker holds it:
//
//	T      a's update: worker 0 takes a, its GET (the token), its PATCH T+1; b's
//	       update: worker 1 takes b (worker 0 holds a), its GET T+2
//	T+1    a tainted unschedulable; worker 0 is free (a's own write, delivered next,
//	       queues a, which has nothing left to change)
//	T+1.5  b uncordoned: b is queued again, but worker 1 holds it, so it is only
//	       marked (the workqueue's dirty set), and free worker 0 does not take it
//	T+2    b's GET (the node uncordoned already: the taint is still missing, the swap
//	       goes on, as upstream's decided at the take); its PATCH T+3
//	T+3    b tainted; worker 1 lets b go and b is queued; worker 0 takes it: queued
//	       while held, and the informer does not have worker 1's write yet, whose
//	       delivery queues b again: worker 0 takes it then, to remove the taint: its
//	       GET T+4, its PATCH T+5
//	T+5    b untainted
//
// With one worker the instants are the same (b's GET waits for a's PATCH, at T+2, as
// the bucket allows no more); what two workers change here is that b is held from T,
// and that a node queued while held waits for its own worker even when another is
// free. TestTwoVisitorsHandWorked has a case where the second worker taints a node two
// tokens earlier.
func TestTwoNoScheduleWorkersHandWorked(t *testing.T) {
	cfg := DefaultConfig(31)
	cfg.RateLimit = flowcontrol.RateLimit{QPS: 1, Burst: 1}
	cfg.NoScheduleWorkers = 2
	w := newWorld(t, cfg)
	for _, n := range []string{"a", "b"} {
		w.kubelet(n, nil, true).Start()
	}
	w.run(time.Millisecond)
	w.nc.Start()
	admin := w.s.NewClient("admin", time.Second)
	cordon := func(name string, on bool) {
		_, err := w.s.Nodes.Patch(admin, name, func(n *apiserver.Node) error {
			n.Unschedulable = on
			return nil
		})
		require.NoError(t, err)
	}
	const T = 30500 * time.Millisecond
	s := time.Second
	w.at(T, func() { cordon("a", true); cordon("b", true) })
	w.at(T+s/2, func() {
		require.NotNil(t, w.nc.ns[0].cur, "worker 0 holds a")
		assert.Equal(t, "a", w.nc.ns[0].cur.name)
		require.NotNil(t, w.nc.ns[1].cur, "worker 1 holds b")
		assert.Equal(t, "b", w.nc.ns[1].cur.name)
	})
	w.at(T+3*s/2, func() {
		cordon("b", false)
	})
	w.at(T+7*s/4, func() {
		b := w.nc.nodes["b"]
		assert.Nil(t, w.nc.ns[0].cur, "worker 0 is free")
		assert.Same(t, b, w.nc.ns[1].cur, "and worker 1 still holds b")
		assert.True(t, b.nsQueued && b.nsAgain && b.nsHeld, "b is marked queued while held")
		assert.Empty(t, w.nc.nsQ, "not in the queue the free worker takes from")
	})
	w.run(T + 10*s)
	recs := w.tr.Records()
	at := func(kind string, kv ...string) time.Duration {
		t.Helper()
		r, ok := find(recs, kind, kv...)
		require.True(t, ok, "%s %v", kind, kv)
		return r.T - T
	}
	const unsched = "node.kubernetes.io/unschedulable:NoSchedule"
	assert.Equal(t, s, at("TaintAdded", "node", "a", "taint", unsched))
	assert.Equal(t, 3*s, at("TaintAdded", "node", "b", "taint", unsched))
	assert.Equal(t, 5*s, at("TaintRemoved", "node", "b", "taint", unsched))
	_, ok := find(recs, "TaintRemoved", "node", "a", "taint", unsched)
	assert.False(t, ok)
	for i := range w.nc.ns {
		assert.Nil(t, w.nc.ns[i].cur, "worker %d done", i)
	}
}
