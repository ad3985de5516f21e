package nodelifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// TestExcludedZoneTainterRecreatedEachPass pins upstream's handling of a zone whose
// nodes all carry node.kubernetes.io/exclude-disruption. Such a zone never appears in
// zoneToNodeConditions, so handleDisruption drops it from zoneStates at the end of every
// pass, and at the start of the next pass classifyNodes lists its nodes as
// newZoneRepresentatives: addPodEvictorForNewZone gives it a new tainting queue with a
// full bucket. Its NoExecute taints are therefore not spaced by 1/nodeEvictionRate but
// by the monitor period, and an already-tainted node that is re-queued ahead of the
// others takes the pass's only token every time (a no-op swap), so the others wait.
//
// The real controllers (shared/oracle, v1.31.0, three excluded nodes in one zone, two
// kubelets stopped at 30 s) show both: with --phase-seed 5 node-2 goes Unknown first and
// is tainted at 66.9 s, node-1 at 72.0 s (5.1 s later, nodeEvictionRate 0.1); with
// --phase-seed 1 node-1 goes first, is tainted at 73.4 s, and node-2 is never tainted.
// (A regression: nodesim once kept the zone's queue across passes, spacing the taints
// 10 s apart and tainting both nodes.)
func TestExcludedZoneTainterRecreatedEachPass(t *testing.T) {
	for _, tt := range []struct {
		name        string
		first, next string
		want        []string // nodes with unreachable:NoExecute at the end, in taint order
	}{
		{"the later name goes first: both tainted one pass apart", "a-02", "a-01", []string{"a-02", "a-01"}},
		{"the earlier name goes first: it takes every pass's token", "a-01", "a-02", []string{"a-01"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig(31)
			w := newWorld(t, cfg)
			excl := map[string]string{apiserver.LabelZone: "a", taint.ExcludeDisruptionLabel: ""}
			// Both kubelets stop at 20 s; the one started at 5 s last renewed its Lease at
			// 15 s, the other at 20 s, so it goes Unknown one monitor pass earlier.
			for _, n := range []string{"a-00", "a-01", "a-02"} {
				k := w.kubelet(n, excl, true)
				if n != tt.first {
					k.Start()
				}
			}
			w.run(time.Millisecond)
			w.nc.Start()
			w.at(5*time.Second, func() { w.kl[tt.first].Start() })
			w.at(20*time.Second, func() { w.kl[tt.first].Stop(); w.kl[tt.next].Stop() })
			w.run(5 * time.Minute)
			tainted := findAll(w.tr.Records(), "TaintAdded", "taint", unreachNE)
			var got []string
			for _, r := range tainted {
				got = append(got, r.Str("node"))
			}
			require.Equal(t, tt.want, got)
			if len(tainted) == 2 {
				gap := tainted[1].T - tainted[0].T
				require.Equal(t, cfg.NodeMonitorPeriod, gap, "one taint per monitor pass, not per 1/nodeEvictionRate")
			}
			require.Empty(t, w.nc.ZoneStates(), "a zone of excluded nodes is never in the zone states")
		})
	}
}

// TestForgottenZoneReentersBeforeNewZone pins the order in which zones enter upstream's
// nc.zoneStates in one pass: monitorNodeHealth calls addPodEvictorForNewZone for the
// newZoneRepresentatives (known nodes whose zone handleDisruption forgot) before the
// added nodes, whatever their names. Zone x (excluded node c-0) sorts before zone a
// (m-0), so it holds slot 0 and, with no Rand (every walk starts at slot 0), is forgotten
// at every pass and re-enters at slot 0. When b-0 (zone b) registers, x re-enters first
// again (slot 0) and b takes slot 2: x keeps being forgotten. (nodesim once ordered all
// entering zones by first node name: b took slot 0, x slot 2, and x was kept from then on.)
func TestForgottenZoneReentersBeforeNewZone(t *testing.T) {
	cfg := DefaultConfig(37)
	w := newWorld(t, cfg)
	w.kubelet("c-0", map[string]string{apiserver.LabelZone: "x", taint.ExcludeDisruptionLabel: ""}, true).Start()
	w.kubelet("m-0", map[string]string{apiserver.LabelZone: "a"}, true).Start()
	b := w.kubelet("b-0", map[string]string{apiserver.LabelZone: "b"}, true)
	w.run(time.Millisecond)
	w.nc.Start()
	w.at(12500*time.Millisecond, b.Start)
	zoneByLabel := func(label string) *zone {
		for _, z := range w.nc.zoneList {
			if z.label == label {
				return z
			}
		}
		t.Fatalf("no zone %q", label)
		return nil
	}
	w.run(11 * time.Second)
	require.False(t, zoneByLabel("x").inStates, "x (slot 0) is forgotten at every pass")
	require.Equal(t, int8(1), zoneByLabel("a").slot)
	w.run(time.Minute)
	require.Equal(t, int8(1), zoneByLabel("a").slot)
	require.Equal(t, int8(2), zoneByLabel("b").slot, "b enters after the re-entering x")
	require.False(t, zoneByLabel("x").inStates, "x re-enters at slot 0 and is still forgotten at every pass")
}
