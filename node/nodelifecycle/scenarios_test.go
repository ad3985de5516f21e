package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

const (
	unreachNS = "node.kubernetes.io/unreachable:NoSchedule"
	unreachNE = "node.kubernetes.io/unreachable:NoExecute"
	notReadNS = "node.kubernetes.io/not-ready:NoSchedule"
	notReadNE = "node.kubernetes.io/not-ready:NoExecute"
)

// fleet starts count lazy kubelets per zone (zone "" = unlabelled), names zone-i, then the
// controller 1 ms later.
func fleet(t *testing.T, cfg Config, zones map[string]int) *world {
	w := newWorld(t, cfg)
	for _, z := range sortedKeys(zones) {
		var labels map[string]string
		if z != "" {
			labels = map[string]string{apiserver.LabelZone: z}
		}
		for i := 0; i < zones[z]; i++ {
			w.kubelet(fmt.Sprintf("%s-%02d", nameOr(z, "node"), i), labels, true).Start()
		}
	}
	w.run(time.Millisecond)
	w.nc.Start()
	return w
}

func nameOr(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sortedKeys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func (w *world) at(t time.Duration, fn func()) {
	_, err := w.e.At(t, fn)
	require.NoError(w.t, err)
}

func (w *world) stopAll(prefix string, n int) {
	for i := 0; i < n; i++ {
		w.kl[fmt.Sprintf("%s-%02d", prefix, i)].Stop()
	}
}

func times(recs []sim.Record) []time.Duration {
	var out []time.Duration
	for _, r := range recs {
		out = append(out, r.T)
	}
	return out
}

func noExecuteLeft(w *world) []string {
	var out []string
	w.s.Nodes.Each(func(n *apiserver.Node) {
		if n.HasTaint(taint.UnreachableNoExecute) || n.HasTaint(taint.NotReadyNoExecute) {
			out = append(out, n.Name)
		}
	})
	return out
}

// A kubelet that reports Ready=False gets the not-ready taints; when it then dies, the
// controller swaps them to unreachable without a gap (add first, then remove).
func TestNotReadyThenUnreachable(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"": 3})
	w.at(20300*time.Millisecond, func() { w.kl["node-01"].SetReady(apiserver.ConditionFalse) })
	w.at(100300*time.Millisecond, func() { w.kl["node-01"].Stop() })
	w.run(5 * time.Minute)
	recs := w.tr.Records()
	all := findAll(recs, "TaintAdded", "node", "node-01", "taint", notReadNS)
	require.Len(t, all, 2, "admission's at registration, then the controller's")
	ns := all[1]
	require.Equal(t, 20300*time.Millisecond, ns.T, "NoSchedule follows the kubelet's status write at once")
	ne, ok := find(recs, "TaintAdded", "node", "node-01", "taint", notReadNE)
	require.True(t, ok)
	require.Greater(t, ne.T, ns.T)
	require.LessOrEqual(t, ne.T-ns.T, DefaultNodeMonitorPeriod+DefaultPassDuration+NodeEvictionPeriod,
		"queued at the next pass (observed False), tainted at the next 100 ms tick")
	u, ok := find(recs, "NodeCondition", "node", "node-01", "type", "Ready", "from", "False", "to", "Unknown")
	require.True(t, ok, "a kubelet-reported False becomes Unknown too")
	var sequence []string
	for _, r := range recs {
		if r.T == u.T && r.Str("node") == "node-01" && (r.Kind == "TaintAdded" || r.Kind == "TaintRemoved") {
			sequence = append(sequence, r.Kind+" "+r.Str("taint"))
		}
	}
	require.Equal(t, []string{
		"TaintAdded " + unreachNE, "TaintRemoved " + notReadNE, // same pass, not rate-limited
		"TaintAdded " + unreachNS, "TaintRemoved " + notReadNS, // node informer event
	}, sequence)
	n, _ := w.s.Nodes.Peek("node-01")
	require.True(t, n.HasTaint(taint.UnreachableNoExecute))
	require.False(t, n.HasTaint(taint.NotReadyNoExecute))
	golden(t, "notready-then-unreachable", text(t, recs[len(recs)-12:]))
}

// The kubelet comes back before any eviction: the NoSchedule taint goes with its Ready=True
// write, the NoExecute taint at the next monitor pass.
func TestRecoveryRemovesTaints(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"": 3})
	w.at(10300*time.Millisecond, func() { w.kl["node-02"].Stop() })
	w.at(80300*time.Millisecond, func() { w.kl["node-02"].Start() })
	w.run(3 * time.Minute)
	recs := w.tr.Records()
	_, ok := find(recs, "TaintAdded", "node", "node-02", "taint", unreachNE)
	require.True(t, ok)
	rs, ok := find(recs, "TaintRemoved", "node", "node-02", "taint", unreachNS)
	require.True(t, ok)
	require.Equal(t, 80300*time.Millisecond, rs.T)
	re, ok := find(recs, "TaintRemoved", "node", "node-02", "taint", unreachNE)
	require.True(t, ok)
	require.Greater(t, re.T, rs.T)
	require.LessOrEqual(t, re.T-rs.T, DefaultNodeMonitorPeriod+DefaultPassDuration)
	require.Empty(t, noExecuteLeft(w))
	_, ok = find(recs, "NodeCondition", "node", "node-02", "type", "Ready", "from", "Unknown", "to", "True")
	require.True(t, ok)
}

// 60 nodes in 3 zones, zone b down: b goes FullDisruption (the others stay Normal) and
// keeps nodeEvictionRate 0.1: one NoExecute taint per 10 s.
func TestOneZoneDown(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"a": 20, "b": 20, "c": 20})
	w.at(30300*time.Millisecond, func() { w.stopAll("b", 20) })
	w.run(6 * time.Minute)
	recs := w.tr.Records()
	zs := findAll(recs, "ZoneState")
	var got []string
	for _, r := range zs {
		got = append(got, fmt.Sprintf("%s %s→%s", r.Str("zone"), r.Str("from"), r.Str("to")))
	}
	require.Equal(t, []string{"a Initial→Normal", "b Initial→Normal", "c Initial→Normal", "b Normal→FullDisruption"}, got)
	ts := times(findAll(recs, "TaintAdded", "taint", unreachNE))
	require.Len(t, ts, 20)
	for i := 1; i < len(ts); i++ {
		require.Equal(t, 10*time.Second, ts[i]-ts[i-1], "1/nodeEvictionRate on the 100 ms grid")
	}
	require.Less(t, ts[0]-zs[3].T, NodeEvictionPeriod, "the first taint at the next tick")
}

// A zone of more than largeClusterSizeThreshold (50) nodes in PartialDisruption is tainted at
// secondaryNodeEvictionRate 0.01: every 100.1 s (float32 QPS on the 100 ms grid).
func TestPartialDisruptionLargeZone(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"a": 60})
	w.at(30300*time.Millisecond, func() { w.stopAll("a", 40) })
	w.run(8 * time.Minute)
	recs := w.tr.Records()
	z, ok := find(recs, "ZoneState", "zone", "a", "to", string(StatePartialDisruption))
	require.True(t, ok, "40 of 60 not ready ≥ unhealthyZoneThreshold 0.55")
	ts := times(findAll(recs, "TaintAdded", "taint", unreachNE))
	require.GreaterOrEqual(t, len(ts), 4)
	require.Less(t, ts[0]-z.T, NodeEvictionPeriod)
	for i := 1; i < len(ts); i++ {
		require.Equal(t, 100100*time.Millisecond, ts[i]-ts[i-1])
	}
}

// A zone of at most 50 nodes in PartialDisruption is not tainted at all.
func TestPartialDisruptionSmallZone(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"a": 20})
	w.at(30300*time.Millisecond, func() { w.stopAll("a", 15) })
	w.run(8 * time.Minute)
	recs := w.tr.Records()
	_, ok := find(recs, "ZoneState", "zone", "a", "from", string(StateNormal), "to", string(StatePartialDisruption))
	require.True(t, ok)
	require.Empty(t, findAll(recs, "TaintAdded", "taint", unreachNE))
	require.Len(t, findAll(recs, "NodeCondition", "type", "Ready", "to", "Unknown"), 15)
}

// Every node down: once every zone is FullDisruption no NoExecute taint remains (those added
// while only zone a was down are removed) and nothing more is tainted.
func TestAllZonesDown(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"a": 3, "b": 3})
	w.at(10300*time.Millisecond, func() { w.stopAll("a", 3) })
	w.at(30300*time.Millisecond, func() { w.stopAll("b", 3) })
	w.run(10 * time.Minute)
	recs := w.tr.Records()
	added := findAll(recs, "TaintAdded", "taint", unreachNE)
	require.NotEmpty(t, added, "zone a alone is tainted at 0.1/s before b goes down")
	zb, ok := find(recs, "ZoneState", "zone", "b", "to", string(StateFullDisruption))
	require.True(t, ok)
	for _, r := range added {
		require.Less(t, r.T, zb.T)
	}
	removed := findAll(recs, "TaintRemoved", "taint", unreachNE)
	require.Len(t, removed, len(added))
	for _, r := range removed {
		require.Equal(t, zb.T, r.T, "master disruption mode removes every NoExecute taint")
	}
	require.Empty(t, noExecuteLeft(w))
	require.Equal(t, map[string]ZoneState{"a": StateFullDisruption, "b": StateFullDisruption}, w.nc.ZoneStates())
	golden(t, "all-zones-down", text(t, findAll(recs, "ZoneState")))
}

// Leaving all-zones-down mode gives every node a fresh grace period.
func TestExitMasterDisruptionFreshGrace(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"a": 2})
	w.at(10300*time.Millisecond, func() { w.stopAll("a", 2) })
	w.at(200300*time.Millisecond, func() { w.kl["a-00"].Start() })
	w.run(10 * time.Minute)
	recs := w.tr.Records()
	z, ok := find(recs, "ZoneState", "zone", "a", "from", string(StateFullDisruption), "to", string(StatePartialDisruption))
	if !ok {
		z, ok = find(recs, "ZoneState", "zone", "a", "from", string(StateFullDisruption))
	}
	require.True(t, ok)
	// a-01 is still down; it is already Unknown so the fresh grace changes nothing visible,
	// but it may be queued again: it gets its NoExecute taint after the exit.
	ne := findAll(recs, "TaintAdded", "node", "a-01", "taint", unreachNE)
	require.Len(t, ne, 1)
	require.Greater(t, ne[0].T, z.T)
}

// Failover after the NoExecute taint: the new leader starts with empty memory, removes the
// NLC taints of every node it sees for the first time and re-adds them (rate-limited, bucket
// full: the first at once), and gives still-healthy nodes a fresh grace period.
func TestFailoverRestartsTaintClock(t *testing.T) {
	w := fleet(t, DefaultConfig(37), map[string]int{"": 3})
	w.at(300*time.Millisecond, func() { w.kl["node-01"].Stop() })
	w.at(70300*time.Millisecond, func() { w.kl["node-02"].Stop() })
	var nc2 *Controller
	w.at(80*time.Second, func() { w.nc.Stop() })
	w.at(97*time.Second, func() {
		var err error
		nc2, err = New(w.s, w.s.NewClient("kube-controller-manager-1", 30*time.Second), DefaultConfig(37))
		require.NoError(t, err)
		nc2.Start()
	})
	w.run(5 * time.Minute)
	recs := w.tr.Records()
	first, ok := find(recs, "TaintAdded", "node", "node-01", "taint", unreachNE)
	require.True(t, ok)
	require.Less(t, first.T, 80*time.Second)
	rm, ok := find(recs, "TaintRemoved", "node", "node-01", "taint", unreachNE)
	require.True(t, ok)
	require.Equal(t, 97*time.Second, rm.T, "the new leader's first pass")
	again := findAll(recs, "TaintAdded", "node", "node-01", "taint", unreachNE)
	require.Len(t, again, 2)
	require.Equal(t, 97100*time.Millisecond, again[1].T, "re-added at the new leader's first tick after its first pass")
	// node-02 stopped at 70.3 s (last renewal ≤ 70.3 s): the old leader would have marked it
	// Unknown at ≈120 s; the new leader's fresh grace puts it at 97 s + 10 passes.
	u, ok := find(recs, "NodeCondition", "node", "node-02", "type", "Ready", "to", "Unknown")
	require.True(t, ok)
	require.Equal(t, 97*time.Second+10*(DefaultNodeMonitorPeriod+DefaultPassDuration), u.T)
	require.Equal(t, 2, len(findAll(recs, "Event", "object", "node/node-01", "reason", EventRegisteredNode)))
}

// Up to 1.33 the NoExecute taint waits one pass after Unknown; a leader change in between
// leaves the node Unknown and untainted until the new leader's first pass queues it (its
// observed Ready is already Unknown) and its first tick taints it.
func TestFailoverBetweenUnknownAndNoExecute133(t *testing.T) {
	w := fleet(t, DefaultConfig(33), map[string]int{"": 3})
	w.at(300*time.Millisecond, func() { w.kl["node-01"].Stop() })
	w.at(52*time.Second, func() { w.nc.Stop() })
	w.at(67*time.Second, func() {
		nc2, err := New(w.s, w.s.NewClient("kube-controller-manager-1", 30*time.Second), DefaultConfig(33))
		require.NoError(t, err)
		nc2.Start()
	})
	w.run(3 * time.Minute)
	recs := w.tr.Records()
	u, ok := find(recs, "NodeCondition", "node", "node-01", "type", "Ready", "to", "Unknown")
	require.True(t, ok)
	require.Less(t, u.T, 52*time.Second)
	ne := findAll(recs, "TaintAdded", "node", "node-01", "taint", unreachNE)
	require.Len(t, ne, 1)
	require.Equal(t, 67100*time.Millisecond, ne[0].T)
}

// An API server outage: the controller cannot write Unknown (the node is skipped and not
// counted in its zone, "no pods will be evicted"); once the API is back it writes it.
func TestOutageDelaysUnknown(t *testing.T) {
	for _, v := range []int{34, 37} {
		t.Run(fmt.Sprint("1.", v), func(t *testing.T) {
			w := fleet(t, DefaultConfig(v), map[string]int{"": 3})
			w.at(300*time.Millisecond, func() { w.kl["node-01"].Stop() })
			w.at(45*time.Second, func() { w.s.SetOutage(true) })
			w.at(62*time.Second, func() { w.s.SetOutage(false) })
			w.run(2 * time.Minute)
			u, ok := find(w.tr.Records(), "NodeCondition", "node", "node-01", "type", "Ready", "to", "Unknown")
			require.True(t, ok)
			// passes at 0.001 + k·5.005 s: 50.051 … 60.061 fail; 65.066 is the first after the outage
			require.Equal(t, time.Millisecond+13*(DefaultNodeMonitorPeriod+DefaultPassDuration), u.T)
			require.Equal(t, map[string]ZoneState{"": StateNormal}, w.nc.ZoneStates())
		})
	}
}
