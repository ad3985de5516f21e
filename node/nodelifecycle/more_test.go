package nodelifecycle

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// NodeControllerLeaseCircuitBreaker (1.37): a renewal that is in the API server but not yet in
// the controller's lease cache (watch latency) keeps the node from going Unknown; without
// the breaker (1.34) the stale cache wins.
func TestLeaseCircuitBreaker(t *testing.T) {
	for _, tt := range []struct {
		version int
		unknown bool
	}{{34, true}, {37, false}} {
		t.Run(fmt.Sprint("1.", tt.version), func(t *testing.T) {
			cfg := DefaultConfig(tt.version)
			cfg.WatchLatency = time.Second
			w := newWorld(t, cfg)
			w.kubelet("n0", nil, true).Start()
			w.kubelet("n1", nil, false).Start()
			w.kubelet("n2", nil, true).Start()
			w.run(time.Millisecond)
			w.nc.Start()
			w.at(500*time.Millisecond, func() { w.kl["n1"].Stop() })
			// Only the Lease is renewed, 0.25 s before the pass that finds n1 stale
			// (50.051 s); the cache has it 1 s later.
			w.at(49800*time.Millisecond, func() {
				_, err := w.s.Leases.Patch(w.kl["n1"].c, NodeLeaseNamespace+"/n1", func(l *apiserver.Lease) error {
					l.RenewTime = 49800 * time.Millisecond
					return nil
				})
				require.NoError(t, err)
			})
			w.run(80 * time.Second)
			u, ok := find(w.tr.Records(), "NodeCondition", "node", "n1", "type", "Ready", "to", "Unknown")
			require.Equal(t, tt.unknown, ok)
			if ok {
				require.Equal(t, 50051*time.Millisecond, u.T)
			}
		})
	}
}

// Nodes labelled node.kubernetes.io/exclude-disruption do not count in their zone.
func TestExcludeDisruption(t *testing.T) {
	for _, tt := range []struct {
		name     string
		excluded bool
		state    ZoneState
		tainted  int
	}{
		{"counted: 1 ready of 3 is Normal", false, StateNormal, 2},
		{"excluded: 0 ready of 2 is FullDisruption (every zone)", true, StateFullDisruption, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, DefaultConfig(37))
			labels := map[string]string{apiserver.LabelZone: "a"}
			if tt.excluded {
				labels = map[string]string{apiserver.LabelZone: "a", taint.ExcludeDisruptionLabel: ""}
			}
			w.kubelet("a-00", labels, true).Start()
			w.kubelet("a-01", map[string]string{apiserver.LabelZone: "a"}, true).Start()
			w.kubelet("a-02", map[string]string{apiserver.LabelZone: "a"}, true).Start()
			w.run(time.Millisecond)
			w.nc.Start()
			w.at(3*time.Second, func() { w.stopAll("a", 3); w.kl["a-00"].Start() })
			w.run(3 * time.Minute)
			require.Equal(t, map[string]ZoneState{"a": tt.state}, w.nc.ZoneStates())
			require.Len(t, findAll(w.tr.Records(), "TaintAdded", "taint", unreachNE), tt.tainted)
		})
	}
}

// A Node without a Ready condition and without a Lease gets nodeStartupGracePeriod (60 s)
// from its creation, then every condition is added as Unknown / NodeStatusNeverUpdated.
func TestStartupGraceNeverUpdated(t *testing.T) {
	w := newWorld(t, DefaultConfig(37))
	w.kubelet("healthy", nil, true).Start()
	_, err := w.s.Nodes.Create(w.s.NewClient("admin", time.Second), &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "silent"}})
	require.NoError(t, err)
	w.run(time.Millisecond)
	w.nc.Start()
	w.run(2 * time.Minute)
	recs := findAll(w.tr.Records(), "NodeCondition", "node", "silent")
	require.Len(t, recs, 4)
	for _, r := range recs {
		require.Equal(t, ReasonNodeStatusNeverUpdated, r.Str("reason"))
		require.Equal(t, "", r.Str("from"))
		require.Equal(t, "Unknown", r.Str("to"))
		// passes at 0.001 + k·5.005 s; the first strictly after 0 + 60 s is k = 12
		require.Equal(t, time.Millisecond+12*(DefaultNodeMonitorPeriod+DefaultPassDuration), r.T)
	}
	n, _ := w.s.Nodes.Peek("silent")
	require.Equal(t, MessageNodeStatusNeverUpd, n.Condition(apiserver.NodeReady).Message)
	require.True(t, n.HasTaint(taint.UnreachableNoSchedule))
	_, ok := find(w.tr.Records(), "Event", "object", "node/silent", "reason", EventNodeNotReady)
	require.False(t, ok, "observed Ready was never True: no NodeNotReady event")
}

// MarkPodsNotReady: the pods on a node the controller flips to Unknown get Ready=False in
// the same pass; a pod bound later to that node gets it when it is bound (processPod).
func TestMarkPodsNotReady(t *testing.T) {
	w := newWorld(t, DefaultConfig(37))
	w.kubelet("a", nil, true).Start()
	w.kubelet("b", nil, true).Start()
	admin := w.s.NewClient("admin", time.Second)
	mkPod := func(name, node string) {
		_, err := w.s.Pods.Create(admin, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
			NodeName: node, Phase: apiserver.PodRunning,
			Conditions: []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}}})
		require.NoError(t, err)
	}
	mkPod("p1", "b")
	mkPod("p2", "b")
	mkPod("q", "a")
	w.run(time.Millisecond)
	w.nc.Start()
	w.at(time.Second, func() { w.kl["b"].Stop() })
	w.at(70*time.Second, func() { mkPod("late", "b") })
	w.run(2 * time.Minute)
	recs := w.tr.Records()
	u, ok := find(recs, "NodeCondition", "node", "b", "type", "Ready", "to", "Unknown")
	require.True(t, ok)
	for _, p := range []string{"default/p1", "default/p2"} {
		r, ok := find(recs, "PodReady", "pod", p, "to", "False")
		require.True(t, ok, p)
		require.Equal(t, u.T, r.T)
	}
	_, ok = find(recs, "PodReady", "pod", "default/q", "to", "False")
	require.False(t, ok)
	r, ok := find(recs, "PodReady", "pod", "default/late", "to", "False")
	require.True(t, ok)
	require.Equal(t, 70*time.Second, r.T)
}

// Stop cancels every timer the controller owns.
func TestStopCancelsTimers(t *testing.T) {
	w := newWorld(t, DefaultConfig(37))
	w.nc.Start()
	w.run(time.Second)
	require.True(t, w.nc.Running())
	w.nc.Stop()
	require.Equal(t, 0, w.e.Pending())
	require.False(t, w.nc.Running())
}

// A deleted Node is forgotten at the next pass (Event RemovingNode) and leaves its zone.
func TestNodeDeleted(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"a": 2, "b": 1})
	w.at(10*time.Second, func() {
		w.kl["b-00"].Stop()
		require.NoError(t, w.s.Nodes.Delete(w.s.NewClient("admin", time.Second), "b-00", apiserver.DeleteOptions{}))
	})
	w.run(2 * time.Minute)
	recs := w.tr.Records()
	r, ok := find(recs, "Event", "object", "node/b-00", "reason", EventRemovingNode)
	require.True(t, ok)
	require.Equal(t, "Removing Node b-00 from Controller", r.Str("message"))
	require.Equal(t, time.Millisecond+2*(DefaultNodeMonitorPeriod+DefaultPassDuration), r.T)
	require.Equal(t, map[string]ZoneState{"a": StateNormal}, w.nc.ZoneStates(), "a zone with no node left is dropped")
	_, ok = find(recs, "NodeCondition", "node", "b-00", "to", "Unknown")
	require.False(t, ok)
}

// A controller stopped and started again is a new process with empty memory: a Node
// deleted while it was stopped is one it never saw (no RemovingNode event), and its
// zone is not counted. (It used to keep the records of the earlier run: first the
// deleted node as cached, which the next pass read although it was gone; then its
// probe timestamps, which exact mode used and lazy mode could not rebuild.)
func TestRestartAfterNodeDeletedWhileStopped(t *testing.T) {
	for _, exact := range []bool{false, true} {
		cfg := DefaultConfig(37)
		cfg.Exact = exact
		w := fleet(t, cfg, map[string]int{"a": 2, "b": 1})
		w.at(10*time.Second, func() { w.nc.Stop() })
		w.at(11*time.Second, func() {
			w.kl["b-00"].Stop()
			require.NoError(t, w.s.Nodes.Delete(w.s.NewClient("admin", time.Second), "b-00", apiserver.DeleteOptions{}))
		})
		w.at(20*time.Second, func() { w.nc.Start() })
		w.run(2 * time.Minute)
		_, ok := find(w.tr.Records(), "Event", "object", "node/b-00", "reason", EventRemovingNode)
		require.False(t, ok, "exact=%v: the new process never saw b-00", exact)
		r, ok := find(w.tr.Records(), "NodeCondition", "node", "b-00", "to", "Unknown")
		require.False(t, ok, "exact=%v: %v", exact, r)
		require.Equal(t, map[string]ZoneState{"a": StateNormal}, w.nc.ZoneStates(), "exact=%v", exact)
	}
}

// breakerScript is the circuit breaker tests' run: n1's kubelet stops at 0.5 s and
// n2's at 100.5 s; at patchAt (if > 0) a renewal of n1's Lease is patched in, which
// the lease cache gets a watch latency later; then four minutes pass.
func breakerScript(t *testing.T, w *world, patchAt time.Duration) {
	t.Helper()
	w.at(500*time.Millisecond, func() { w.kl["n1"].Stop() })
	w.at(100500*time.Millisecond, func() { w.kl["n2"].Stop() })
	if patchAt > 0 {
		w.at(patchAt, func() {
			_, err := w.s.Leases.Patch(w.kl["n1"].c, NodeLeaseNamespace+"/n1", func(l *apiserver.Lease) error {
				l.RenewTime = patchAt
				return nil
			})
			require.NoError(t, err)
		})
	}
	w.run(4 * time.Minute)
}

// A node that stays Unknown is skipped by lazy passes, but its visit GETs its Lease
// under the circuit breaker: a renewal of it that the lease cache does not have yet
// trips the breaker in exact mode, and the pass skips every node after it (n2, whose
// Unknown then comes later). Lazy mode must visit it then too.
func TestStuckNodeTripsBreaker(t *testing.T) {
	unknownAt := func(exact bool, patchAt time.Duration) time.Duration {
		cfg := DefaultConfig(37)
		cfg.WatchLatency = time.Second
		cfg.Exact = exact
		w := newWorld(t, cfg)
		w.kubelet("n0", nil, true).Start()
		w.kubelet("n1", nil, true).Start()
		w.kubelet("n2", nil, true).Start()
		w.run(time.Millisecond)
		w.nc.Start()
		breakerScript(t, w, patchAt)
		_, tainted := find(w.tr.Records(), "TaintAdded", "node", "n1", "taint", unreachNE)
		require.True(t, tainted, "n1 is tainted, then stays Unknown")
		u, ok := find(w.tr.Records(), "NodeCondition", "node", "n2", "type", "Ready", "to", "Unknown")
		require.True(t, ok)
		return u.T
	}
	u := unknownAt(true, 0)
	patch := u - 250*time.Millisecond
	exact := unknownAt(true, patch)
	require.Greater(t, exact, u, "the breaker trips at n1 and n2 goes Unknown later")
	require.Equal(t, exact, unknownAt(false, patch), "lazy mode visits the stuck n1 too")
}

// A stuck node through master disruption mode, which takes every node out of its
// tainting set and its taints off, and back out of it, with a watch latency longer than
// a pass period (the next pass still sees the stuck node tainted): lazy mode gives
// exact mode's trace.
func TestStuckNodeThroughMasterDisruption(t *testing.T) {
	run := func(exact bool) string {
		cfg := DefaultConfig(37)
		cfg.WatchLatency = 6 * time.Second
		cfg.Exact = exact
		w := newWorld(t, cfg)
		w.kubelet("n0", nil, true).Start()
		w.kubelet("n1", nil, true).Start()
		w.run(time.Millisecond)
		w.nc.Start()
		w.at(500*time.Millisecond, func() { w.kl["n1"].Stop() })
		w.at(200*time.Second, func() { w.kl["n0"].Stop() })
		w.at(400*time.Second, func() { w.kl["n0"].Start() })
		w.run(8 * time.Minute)
		return text(t, w.tr.Records())
	}
	exact := run(true)
	require.Contains(t, exact, "FullDisruption")
	require.Equal(t, exact, run(false))
}

// While the controller's client fails (an outage, the controller still running), the
// circuit breaker's GET of a stale node's Lease fails and the node is not counted: a
// zone whose nodes all stay Unknown leaves the zone states until the outage ends. Lazy
// mode must visit its stuck nodes then, not read the lease cache.
func TestStuckNodesInOutage(t *testing.T) {
	run := func(exact bool) string {
		cfg := DefaultConfig(37)
		cfg.Exact = exact
		w := newWorld(t, cfg)
		w.kubelet("a0", map[string]string{apiserver.LabelZone: "a"}, true).Start()
		w.kubelet("b0", map[string]string{apiserver.LabelZone: "b"}, true).Start()
		w.run(time.Millisecond)
		w.nc.Start()
		w.at(500*time.Millisecond, func() { w.kl["a0"].Stop() })
		w.at(200*time.Second, func() { w.s.SetOutage(true) })
		w.at(220*time.Second, func() { w.s.SetOutage(false) })
		w.run(5 * time.Minute)
		return text(t, w.tr.Records())
	}
	exact := run(true)
	require.Contains(t, exact, "220.221s     ZoneState zone=a from=Initial to=FullDisruption", "zone a left the states in the outage")
	require.Equal(t, exact, run(false))
}

// A Lease write that changes the Lease's version but not its renewTime is not recorded
// by a visit; once the node is stale again, exact mode's circuit breaker finds the
// version changed and leaves the node uncounted at every pass (zone b drops out of the
// zone states). Such a node is not stuck: lazy mode visits it too.
func TestStuckNodeLeaseVersionChanged(t *testing.T) {
	run := func(exact bool) string {
		cfg := DefaultConfig(37)
		cfg.Exact = exact
		w := newWorld(t, cfg)
		w.kubelet("n0", map[string]string{apiserver.LabelZone: "a"}, false).Start()
		w.kubelet("n1", map[string]string{apiserver.LabelZone: "b"}, false).Start()
		w.run(time.Millisecond)
		w.nc.Start()
		w.at(10*time.Second, func() { w.kl["n1"].Stop() })
		patch := func(at time.Duration, fn func(*apiserver.Lease)) {
			w.at(at, func() {
				_, err := w.s.Leases.Patch(w.kl["n1"].c, NodeLeaseNamespace+"/n1", func(l *apiserver.Lease) error { fn(l); return nil })
				require.NoError(t, err)
			})
		}
		patch(120*time.Second, func(l *apiserver.Lease) { l.RenewTime = 120 * time.Second })
		patch(125*time.Second, func(l *apiserver.Lease) { l.HolderIdentity = "x" }) // a new version, the same renewTime
		patch(250*time.Second, func(l *apiserver.Lease) { l.RenewTime = 250 * time.Second })
		w.run(6 * time.Minute)
		return text(t, w.tr.Records())
	}
	exact := run(true)
	require.Contains(t, exact, "ZoneState zone=b from=Initial to=FullDisruption")
	require.Equal(t, exact, run(false))
}

// After a circuit-breaker trip the nodes after it are left uncounted for the pass;
// lazy mode marks the skipped ones active, and they must stay so until a pass counts
// them again (found by review; zones [0 0 0 0 0 0 1 0 0] as in the property test).
func TestTrippedNodesCountedAgain(t *testing.T) {
	run := func(exact bool) string {
		cfg := DefaultConfig(37)
		cfg.WatchLatency = 1500 * time.Millisecond
		cfg.Exact = exact
		w := newWorld(t, cfg)
		for i, z := range []int{0, 0, 0, 0, 0, 0, 1, 0, 0} {
			var labels map[string]string
			if z != 0 {
				labels = map[string]string{apiserver.LabelZone: fmt.Sprintf("z%d", z)}
			}
			w.kubelet(fmt.Sprintf("n%02d", i), labels, !exact).Start()
		}
		w.run(time.Millisecond)
		w.nc.Start()
		w.at(1300*time.Microsecond, func() { w.kl["n00"].Stop() })
		w.at(48551300*time.Microsecond, func() { w.kl["n00"].Start() })
		w.run(3 * time.Minute)
		return text(t, w.tr.Records())
	}
	exact := run(true)
	require.Contains(t, exact, "55.056s      ZoneState zone=z1 from=Initial to=Normal")
	require.Equal(t, exact, run(false))
}

// NotReady nodes with steady Leases wait in the tainting queue, re-added at every pass
// in name order; only once tainted are they skipped. Here a9…a5 go NotReady a second
// apart and the zone's token bucket (0.1/s) makes them wait; a1 goes NotReady later,
// when the waiting ones renew steadily again, and is re-queued ahead of a7 and a8.
func TestNotReadyNodesWaitInNameOrder(t *testing.T) {
	run := func(exact bool) string {
		cfg := DefaultConfig(37)
		cfg.Exact = exact
		w := newWorld(t, cfg)
		for i := range 12 {
			w.kubelet(fmt.Sprintf("a%02d", i), map[string]string{apiserver.LabelZone: "a"}, true).Start()
		}
		w.run(time.Millisecond)
		w.nc.Start()
		for i, name := range []string{"a09", "a08", "a07", "a06", "a05"} {
			w.at(time.Duration(60+i)*time.Second, func() { w.kl[name].SetReady(apiserver.ConditionFalse) })
		}
		w.at(85*time.Second, func() { w.kl["a01"].SetReady(apiserver.ConditionFalse) })
		w.run(3 * time.Minute)
		return text(t, w.tr.Records())
	}
	exact := run(true)
	a1 := strings.Index(exact, "TaintAdded node=a01 taint="+taint.NotReadyNoExecute.String())
	a8 := strings.Index(exact, "TaintAdded node=a08 taint="+taint.NotReadyNoExecute.String())
	require.True(t, a1 >= 0 && a8 >= 0 && a1 < a8, "a01 is tainted before a08:\n%s", exact)
	require.Equal(t, exact, run(false))
}
