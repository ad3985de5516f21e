package nodelifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

// restore makes the kubelet one that has run since before time zero, as a running
// start restores it: its Node Ready with heartbeat hb, its Lease renewed at hb through
// apiserver.Server.RestoreNodeLease (a lazy kubelet's Lease is steady, and deferred:
// the store builds it at its first read), its loops going on from hb (a lazy one's
// virtually).
func (k *fakeKubelet) restore(hb time.Duration) {
	s := k.w.s
	n, err := s.Nodes.Restore(&apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: k.name,
		Labels: apiserver.NewLabels(k.labels), CreationTimestamp: -time.Hour}, Conditions: k.conds(hb)})
	require.NoError(k.w.t, err)
	require.NoError(k.w.t, s.RestoreNodeLease(apiserver.NodeLease{Namespace: NodeLeaseNamespace, Node: k.name,
		NodeUID: n.UID, Created: -time.Hour, LeaseDurationSeconds: 40, RenewTime: hb, Steady: k.lazy}))
	k.running, k.steady = true, k.lazy
	k.statBase, k.base = hb, hb
	_ = k.statT.Schedule(hb + k.report)
	if !k.lazy {
		_ = k.leaseT.Schedule(hb + k.renew)
	}
}

// The controller starts over Leases restored deferred: Start lists them as summaries
// and builds none, and so do its passes over steady nodes. Under the 1.37 circuit
// breaker, n1's kubelet stops (its Lease written, so built) and n1 goes stale; a
// renewal of n1's Lease patched just before the pass that finds it stale is in flight
// to the lease cache, so the breaker GETs the live Lease and compares its
// resourceVersion with the one recorded (leaseView keeps no Lease pointer), trips, and
// the pass skips n2 (stale too), whose Unknown comes later. Lazy mode, whose other
// Leases stay unbuilt throughout, gives exact mode's trace (exact mode restores every
// Lease built, not steady).
func TestBreakerWithDeferredLeases(t *testing.T) {
	run := func(exact bool, patchAt time.Duration) (unknown time.Duration, trace string) {
		cfg := DefaultConfig(37)
		cfg.WatchLatency = time.Second
		cfg.Exact = exact
		w := newWorld(t, cfg)
		names := []string{"n0", "n1", "n2", "n3"}
		for _, name := range names {
			w.kubelet(name, nil, !exact).restore(-3 * time.Second)
		}
		deferred := len(names)
		if exact {
			deferred = 0
		}
		require.Equal(t, deferred, w.s.DeferredLeases())
		w.nc.Start()
		w.run(time.Millisecond)
		require.Equal(t, deferred, w.s.DeferredLeases(), "exact=%v: Start builds no Lease", exact)
		breakerScript(t, w, patchAt)
		if !exact {
			require.Equal(t, 2, w.s.DeferredLeases(), "only the stopped kubelets' Leases are built")
		}
		_, tainted := find(w.tr.Records(), "TaintAdded", "node", "n1", "taint", unreachNE)
		require.True(t, tainted, "exact=%v: n1 is tainted", exact)
		u, ok := find(w.tr.Records(), "NodeCondition", "node", "n2", "type", "Ready", "to", "Unknown")
		require.True(t, ok, "exact=%v", exact)
		return u.T, text(t, w.tr.Records())
	}
	u, exact := run(true, 0)
	_, lazy := run(false, 0)
	require.Equal(t, exact, lazy, "no patch")
	patch := u - 250*time.Millisecond
	tripped, exact := run(true, patch)
	require.Greater(t, tripped, u, "the breaker trips at n1 and n2 goes Unknown later")
	_, lazy = run(false, patch)
	require.Equal(t, exact, lazy, "patched before the pass")
}
