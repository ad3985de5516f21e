package apiserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLeaseCreateKeepsPodUIDs: a Lease CREATE does not move the UIDs of other kinds.
// Lazy mode materialises a kubelet's lease controller behind an outage when the
// outage ends, so its Lease CREATE can come after a pod CREATE at the same instant
// where exact mode's came before (regressions/lease-create-at-outage-end-keeps-pod-uids);
// a pod's UID decides the ReplicaSet controller's tie-break between pods to delete, so
// it must come out the same either way. UIDs stay unique across kinds.
func TestLeaseCreateKeepsPodUIDs(t *testing.T) {
	run := func(leaseFirst bool) (pod, node uint64, lease uint64) {
		s, _, _ := newTestServer(t)
		c := s.NewClient("test", 0)
		n, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
		require.NoError(t, err)
		createLease := func() {
			l, err := s.Leases.Create(c, &Lease{ObjectMeta: ObjectMeta{Namespace: "kube-node-lease", Name: "a"}, HolderIdentity: "a"})
			require.NoError(t, err)
			lease = l.UID
		}
		if leaseFirst {
			createLease()
		}
		p, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "web"}})
		require.NoError(t, err)
		if !leaseFirst {
			createLease()
		}
		return p.UID, n.UID, lease
	}
	podA, nodeA, leaseA := run(true)
	podB, nodeB, leaseB := run(false)
	require.Equal(t, podA, podB, "the pod's UID depends on when the Lease was created")
	require.Equal(t, nodeA, nodeB)
	require.Equal(t, leaseA, leaseB)
	require.NotEqual(t, leaseA, podA)
	require.NotEqual(t, leaseA, nodeA)
	require.NotEqual(t, podA, nodeA)
}
