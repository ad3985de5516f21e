package kubelet

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

var seedNodes = []string{"test-control-plane", "test-worker", "test-worker2"}

// The seed story: three nodes register; `kubectl delete node test-worker` at 60 s while
// its kubelet runs; the kubelet is restarted at 100 s.
func TestGoldenDeleteNodeThenRestart(t *testing.T) {
	w := newWorld(t, true, Config{}, seedNodes...)
	w.startAll(seedNodes...)
	var oldUID uint64
	w.at(60*time.Second, func() {
		k := w.k["test-worker"]
		k.Unsteady()
		n, _ := w.s.Nodes.Peek("test-worker")
		oldUID = n.UID
		require.NoError(t, w.s.Nodes.Delete(w.kc, "test-worker", apiserver.DeleteOptions{}))
	})
	w.run(99 * time.Second)
	// it stays gone while its kubelet runs, and so does its Lease (GC'd, not recreated)
	_, ok := w.s.Nodes.Peek("test-worker")
	require.False(t, ok)
	_, ok = w.s.Leases.Peek("kube-node-lease/test-worker")
	require.False(t, ok)
	w.at(100*time.Second, func() { w.k["test-worker"].Restart() })
	w.run(125 * time.Second)
	n, ok := w.s.Nodes.Peek("test-worker")
	require.True(t, ok)
	require.NotEqual(t, oldUID, n.UID)
	require.Equal(t, 100100*time.Millisecond, n.CreationTimestamp) // new AGE
	l, ok := w.s.Leases.Peek("kube-node-lease/test-worker")
	require.True(t, ok)
	require.Equal(t, n.UID, l.OwnerReferences[0].UID)
	out := w.textFor("test-worker")
	// after the restart: one "Error updating node status, will retry" (the informer has
	// not seen the new Node yet), then the status syncs succeed.
	after := out[strings.Index(out, "100s "):]
	require.Equal(t, 1, strings.Count(after, "Error updating node status, will retry"), after)
	require.Equal(t, 1, strings.Count(after, "Attempting to register node"))
	require.Equal(t, 1, strings.Count(after, "Successfully registered node"))
	golden(t, "delete_node_restart", out)
}

// registerNode: false never registers (and so never gets a Lease: no Node to own it).
func TestRegisterNodeFalse(t *testing.T) {
	f := false
	w := newWorld(t, true, Config{RegisterNode: &f}, "test-worker")
	w.startAll("test-worker")
	w.run(5 * time.Minute)
	require.Zero(t, w.s.Nodes.Len())
	require.Zero(t, w.s.Leases.Len())
	require.NotContains(t, w.text("KubeletLog"), "Attempting to register node")
}

// Lease renewal through an API-server outage (30–75 s: renewed within 7 s of the server
// coming back) and a partition of the kubelet (120–200 s: requests time out after 10 s).
func TestGoldenOutageAndPartition(t *testing.T) {
	w := newWorld(t, true, Config{NoJitter: true}, "test-worker")
	k := w.k["test-worker"]
	w.startAll("test-worker")
	w.at(30*time.Second, func() { k.Unsteady(); w.s.SetOutage(true) })
	w.at(75*time.Second, func() { w.s.SetOutage(false) })
	w.at(120*time.Second, func() { k.Unsteady(); k.Client().SetPartitioned(true) })
	w.at(200*time.Second, func() { k.Client().SetPartitioned(false) })
	w.run(230 * time.Second)
	var renews []time.Duration
	for _, r := range w.tr.Records() {
		if r.Kind == "LeaseRenewed" {
			renews = append(renews, r.T)
		}
	}
	// outage: the sync at 30 fails; backoff GETs at 30, 30.2, 30.6, 31.4, 33, 36.2, 42.6,
	// 49.6, 56.6, 63.6, 70.6, 77.6 — the last finds the server back (≤ 7 s after 75).
	require.Contains(t, renews, 77600*time.Millisecond)
	require.LessOrEqual(t, 77600*time.Millisecond-75*time.Second, 7*time.Second)
	// partition: the sync at 127.6 makes five UPDATEs of 10 s each, then ensure GETs at
	// 177.6, 187.8, 198.2 (sent while partitioned: fails at 208.2), 209 (healed).
	require.Contains(t, renews, 209*time.Second)
	golden(t, "outage_partition", w.textFor("test-worker", "NodeCondition", "NodeRegistered", "TaintAdded"))
}
