package leaderelection

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// From a review (session 15): client-go's tryAcquireOrRenew refreshes observedTime only when
// the raw record differs from the one last seen, and the Lease lock's raw record is the
// JSON of a LeaderElectionRecord whose acquireTime/renewTime are metav1.Time, marshalled
// as RFC 3339 with whole seconds (resourcelock/leaselock.go LeaseLock.Get, v0.37.2;
// apimachinery meta/v1 Time.MarshalJSON). Two renewals in the same wall-clock second look
// the same to a standby. With a sub-second retryPeriod the standby's observedTime is the
// first poll that saw the last renewal's *second*, not the last renewal itself.
//
// Leader renews at 0, 0.5, 1.0, … (no jitter, to be exact); standby polls at 0.25, 0.75,
// …; the leader crashes at 10.6 s after its renewal at 10.5 s. Upstream: the poll at
// 10.25 s saw renewTime 10.0 (second 10, new); the poll at 10.75 s sees 10.5 (second 10
// again: same raw record) so observedTime stays 10.25 s, and the standby takes the lock at
// its first poll ≥ 10.25 + 2 = 12.25 s. nodesim compared the exact instants and took it
// at 12.75 s.
func TestObservedRecordHasSecondGranularity(t *testing.T) {
	e := sim.New(sim.WithSeed(1))
	tr := sim.NewTrace(true)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	mk := func(id string) *LeaderElector {
		cfg := DefaultConfig(id)
		cfg.LeaseDuration, cfg.RenewDeadline, cfg.RetryPeriod, cfg.JitterFactor = 2*time.Second, time.Second, 500*time.Millisecond, 0
		le, err := New(s, s.NewClient(id, 30*time.Second), nil, cfg)
		require.NoError(t, err)
		return le
	}
	a, b := mk("a"), mk("b")
	a.Start()
	_, err := e.At(250*time.Millisecond, b.Start)
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(10600*time.Millisecond))
	require.True(t, a.IsLeader())
	a.Stop()
	require.NoError(t, e.RunUntil(20*time.Second))
	var took time.Duration
	for _, r := range tr.Records() {
		if r.Kind == "Leader" && r.T > 10600*time.Millisecond {
			took = r.T
			break
		}
	}
	require.Equal(t, 12250*time.Millisecond, took, "upstream: observedTime stays at the first poll that saw renewTime's second (10.25 s)")
}

// The leader renews by its fast path (tryAcquireOrRenew, v0.31.0–v0.37.2): it updates
// the Lease it last wrote without reading it; when that fails it falls back to a GET.
// In an outage each attempt is an UPDATE, then a GET, both failing.
func TestLeaderRenewsByFastPath(t *testing.T) {
	e := sim.New(sim.WithSeed(1))
	tr := sim.NewTrace(true)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	cfg := DefaultConfig("a")
	cfg.JitterFactor = 0
	le, err := New(s, s.NewClient("a", 5*time.Second), nil, cfg)
	require.NoError(t, err)
	le.Start()
	require.NoError(t, e.RunUntil(21*time.Second))
	require.True(t, le.IsLeader())
	s.SetOutage(true)
	require.NoError(t, e.RunUntil(25*time.Second))
	var verbs []string
	for _, r := range tr.Records() {
		if r.Kind == "RequestFailed" && r.Str("client") == "a" {
			verbs = append(verbs, r.Str("verb"))
		}
	}
	require.Equal(t, []string{"update", "get", "update", "get"}, verbs, "22 s and 24 s")
}
