package kubelet

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// walkVirtualSyncs is virtualSync called for each sync before until: same syncs, same
// reports, same draws.
func TestWalkVirtualSyncsIsVirtualSyncLoop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noJitter   bool
		latency    time.Duration
		lastReport time.Duration
		delay      time.Duration
		reported   bool
		from       time.Duration
		until      time.Duration
	}{
		{"day", false, 0, -time.Minute, 0, false, 3 * time.Second, 24 * time.Hour},
		{"latency-and-offset", false, 20 * time.Millisecond, 0, 97 * time.Second, false, time.Second, 12 * time.Hour},
		{"negative-offset", false, 5 * time.Millisecond, 10 * time.Second, -2 * time.Minute, true, 12 * time.Second, 3 * time.Hour},
		{"no-jitter", true, 20 * time.Millisecond, 0, 0, false, time.Second, 12*time.Hour + 1},
		{"no-jitter-on-a-sync", true, 0, 0, 0, false, 10 * time.Second, 10 * time.Minute},
		{"nothing-due", false, 0, 0, 0, false, time.Hour, time.Hour},
		{"short", false, 0, 0, 0, false, time.Hour, time.Hour + 1},
		// cycles of reports skipped (see walkVirtualSyncs)
		{"thirty-days", false, 3 * time.Millisecond, -time.Minute, 0, false, 3 * time.Second, 30 * 24 * time.Hour},
		{"thirty-days-offset", false, 20 * time.Millisecond, 0, 97 * time.Second, false, time.Second, 30*24*time.Hour + 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ks [2]*Kubelet
			for i := range ks {
				s := apiserver.New(sim.New(sim.WithSeed(11)), sim.NewTrace(false), apiserver.DefaultConfig())
				k, err := New(s, "n", Config{NoJitter: tc.noJitter})
				require.NoError(t, err)
				k.client.Latency = tc.latency
				k.statusVirtual, k.lastReport, k.delay, k.vReported = tc.from, tc.lastReport, tc.delay, tc.reported
				ks[i] = k
			}
			a, b := ks[0], ks[1]
			a.walkVirtualSyncs(tc.until)
			for b.statusVirtual < tc.until {
				b.statusVirtual = b.virtualSync(b.statusVirtual)
			}
			require.Equal(t, b.statusVirtual, a.statusVirtual)
			require.Equal(t, b.lastReport, a.lastReport)
			require.Equal(t, b.delay, a.delay)
			require.Equal(t, b.vReported, a.vReported)
			require.Equal(t, b.statusJitter.Pos(), a.statusJitter.Pos(), "the same draws")
		})
	}
}

// The same over random seeds, report frequencies, latencies and stretches of up to 40
// days: skipping cycles of reports changes nothing.
func TestPropertyWalkVirtualSyncsIsVirtualSyncLoop(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		freq := rapid.SampledFrom([]time.Duration{10 * time.Second, 25 * time.Second, time.Minute, 5 * time.Minute, 20 * time.Minute}).Draw(rt, "reportFrequency")
		latency := time.Duration(rapid.Int64Range(0, int64(50*time.Millisecond)).Draw(rt, "latency"))
		lastReport := time.Duration(rapid.Int64Range(-int64(10*time.Minute), 0).Draw(rt, "lastReport"))
		delay := time.Duration(rapid.Int64Range(-int64(freq/2), int64(freq/2)).Draw(rt, "delay"))
		from := time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(rt, "from"))
		until := from + time.Duration(rapid.Int64Range(0, int64(40*24*time.Hour)).Draw(rt, "stretch"))
		var ks [2]*Kubelet
		for i := range ks {
			s := apiserver.New(sim.New(sim.WithSeed(seed)), sim.NewTrace(false), apiserver.DefaultConfig())
			k, err := New(s, "n", Config{NodeStatusUpdateFrequency: 10 * time.Second, NodeStatusReportFrequency: freq})
			if err != nil {
				rt.Fatal(err)
			}
			k.client.Latency = latency
			k.statusVirtual, k.lastReport, k.delay, k.vReported = from, lastReport, delay, false
			ks[i] = k
		}
		a, b := ks[0], ks[1]
		a.walkVirtualSyncs(until)
		for b.statusVirtual < until {
			b.statusVirtual = b.virtualSync(b.statusVirtual)
		}
		if a.statusVirtual != b.statusVirtual || a.lastReport != b.lastReport || a.delay != b.delay ||
			a.vReported != b.vReported || a.statusJitter.Pos() != b.statusJitter.Pos() {
			rt.Fatalf("walk: next %v, report %v, delay %v, reported %v, place %d; loop: %v, %v, %v, %v, %d",
				a.statusVirtual, a.lastReport, a.delay, a.vReported, a.statusJitter.Pos(),
				b.statusVirtual, b.lastReport, b.delay, b.vReported, b.statusJitter.Pos())
		}
	})
}

// A running start's kubelet that resumes steady takes exact mode's renewals with the
// client's latency: each renewal takes Client.Latency, and the next wait starts when it
// ends (sliding). Resume once took the fresh client's last request time (none: 0), so
// after an hour lazy mode's lease was renewed 0.35 s earlier than exact mode's.
func TestRunningStartLeaseWithLatencyLazyEqualsExact(t *testing.T) {
	renewAt := func(exact bool) (time.Duration, time.Duration) {
		e := sim.New(sim.WithSeed(3))
		s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
		k, err := New(s, "n", Config{Exact: exact})
		require.NoError(t, err)
		k.client.Latency = time.Millisecond
		require.NoError(t, k.Restore(-time.Hour))
		k.StartRunning()
		_, err = e.At(time.Hour, k.Unsteady)
		require.NoError(t, err)
		require.NoError(t, e.RunUntil(time.Hour))
		l, ok := s.Leases.Peek("kube-node-lease/n")
		require.True(t, ok)
		n, ok := s.Nodes.Peek("n")
		require.True(t, ok)
		return l.RenewTime, n.Condition(apiserver.NodeReady).LastHeartbeatTime
	}
	lazyRenew, lazyHB := renewAt(false)
	exactRenew, exactHB := renewAt(true)
	require.Equal(t, exactRenew, lazyRenew, "the last renewal")
	require.Equal(t, exactHB, lazyHB, "the last heartbeat")
}

// markUnknown is the node lifecycle controller's write of a stale node: every
// condition Unknown, heartbeats kept, through a client of its own.
func markUnknown(s *apiserver.Server, c *apiserver.Client, name string) {
	now := s.Now()
	_, _ = s.Nodes.PatchStatus(c, name, func(n *apiserver.Node) error {
		for i := range n.Conditions {
			cd := &n.Conditions[i]
			cd.Status, cd.Reason, cd.Message, cd.LastTransitionTime = apiserver.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status.", now
		}
		return nil
	})
}

// A Node whose conditions someone else changes while its kubelet is steady: the node
// lifecycle controller decides at a monitor pass that the node is stale and writes
// Unknown after waiting for its client's tokens, by which time the kubelet has renewed
// and gone steady again. Exact mode's next status sync sees the change and posts
// Ready; lazy mode's kubelet leaves steady mode when its informer delivers the write,
// and posts at that same sync. Without the check in onNode the lazy Node stayed
// Unknown. A write that changes no condition (a taint) leaves the kubelet steady.
func TestSteadyKubeletPostsAfterNodeMarkedUnknown(t *testing.T) {
	const markAt = 30*time.Second + 500*time.Millisecond
	run := func(exact bool) (text string, ready apiserver.NodeCondition, steadyBefore, steadyAfterTaint bool) {
		e := sim.New(sim.WithSeed(5))
		tr := sim.NewTrace(false)
		s := apiserver.New(e, tr, apiserver.DefaultConfig())
		k, err := New(s, "n", Config{Exact: exact})
		require.NoError(t, err)
		require.NoError(t, k.Restore(-time.Hour))
		k.StartRunning()
		nc := s.NewClient("node-controller", 30*time.Second)
		_, err = e.At(10*time.Second, func() {
			_, err := s.Nodes.Patch(nc, "n", func(n *apiserver.Node) error {
				n.Taints = append(n.Taints[:len(n.Taints):len(n.Taints)], taint.Taint{Key: "example.com/x", Effect: taint.NoSchedule})
				return nil
			})
			require.NoError(t, err)
		})
		require.NoError(t, err)
		_, err = e.At(20*time.Second, func() { steadyAfterTaint = k.Steady() })
		require.NoError(t, err)
		_, err = e.At(markAt, func() {
			steadyBefore = k.Steady()
			markUnknown(s, nc, "n")
		})
		require.NoError(t, err)
		require.NoError(t, e.RunUntil(markAt+time.Minute))
		k.Unsteady()
		n, ok := s.Nodes.Peek("n")
		require.True(t, ok)
		var b []byte
		for _, r := range tr.Records() {
			b = append(r.AppendText(b), '\n')
		}
		return string(b), *n.Condition(apiserver.NodeReady), steadyBefore, steadyAfterTaint
	}
	exactText, exactReady, _, _ := run(true)
	lazyText, lazyReady, steady, steadyAfterTaint := run(false)
	require.True(t, steadyAfterTaint, "a taint changes nothing the kubelet reports")
	require.True(t, steady, "the lazy kubelet is steady when its Node is marked")
	require.Equal(t, apiserver.ConditionTrue, exactReady.Status)
	require.Greater(t, exactReady.LastTransitionTime, markAt, "exact mode posts Ready at its next sync")
	require.Less(t, exactReady.LastTransitionTime, markAt+11*time.Second)
	require.Equal(t, exactReady, lazyReady)
	require.Equal(t, exactText, lazyText)
}

// A running start's Lease is restored deferred in lazy mode (apiserver.RestoreNodeLease:
// a steady kubelet's Lease is built at its first read) and built in exact mode: read,
// it is exact mode's, field by field (UID, resourceVersion, owner reference, renew
// time, key), but for Steady, which only lazy mode sets.
func TestRestoredLeaseLazyEqualsExact(t *testing.T) {
	names := []string{"c", "a", "b"}
	leases := func(exact bool) []*apiserver.Lease {
		e := sim.New(sim.WithSeed(3))
		s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
		for _, name := range names {
			_, err := RestoreNode(s, name, Config{Exact: exact}, -time.Hour)
			require.NoError(t, err)
		}
		out, err := s.Leases.List(s.NewClient("test", 0))
		require.NoError(t, err)
		return out
	}
	lazy, exact := leases(false), leases(true)
	require.Len(t, lazy, len(names))
	for i, l := range exact {
		require.False(t, l.Steady)
		require.True(t, lazy[i].Steady)
		l.Steady = true
	}
	if d := cmp.Diff(exact, lazy, cmp.AllowUnexported(apiserver.ObjectMeta{})); d != "" {
		t.Fatalf("(-exact +lazy):\n%s", d)
	}
}
