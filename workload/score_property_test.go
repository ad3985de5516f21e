package workload

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// upstream balancedResourceScore (1.31 balancedResourceScorer; 1.37
// balancedResourceScore), transcribed literally for resources [cpu, memory].
func upBalanced(requested, allocatable []int64) int64 {
	var fr []float64
	var total float64
	for i := range requested {
		if allocatable[i] == 0 {
			continue
		}
		f := float64(requested[i]) / float64(allocatable[i])
		if f > 1 {
			f = 1
		}
		total += f
		fr = append(fr, f)
	}
	std := 0.0
	if len(fr) == 2 {
		std = math.Abs((fr[0] - fr[1]) / 2)
	} else if len(fr) > 2 {
		mean := total / float64(len(fr))
		var sum float64
		for _, f := range fr {
			sum += (f - mean) * (f - mean)
		}
		std = math.Sqrt(sum / float64(len(fr)))
	}
	return int64((1 - std) * float64(MaxNodeScore))
}

// upstream score for one node, per release; skip reports PreScore's Skip.
func upBalancedScore(mode BalancedMode, alloc, node, pod apiserver.Resources) (score int64, skip bool) {
	if mode != BalancedAll && pod.MilliCPU == 0 && pod.Memory == 0 {
		return 0, true
	}
	a := []int64{alloc.MilliCPU, alloc.Memory}
	allocated := []int64{node.MilliCPU, node.Memory}
	req := []int64{node.MilliCPU + pod.MilliCPU, node.Memory + pod.Memory}
	for i := range a { // resource_allocation.go: entries with zero allocatable stay zero
		if a[i] == 0 {
			allocated[i], req[i] = 0, 0
		}
	}
	if mode != BalancedImprovement {
		return upBalanced(req, a), false
	}
	with, without := upBalanced(req, a), upBalanced(allocated, a)
	return MaxNodeScore/2 + (MaxNodeScore/2+with-without)/2, false
}

// balancedScore equals a literal transcription of upstream's BalancedAllocation
// (balanced_allocation.go, resource_allocation.go: 1.31 and 1.33, 1.37's change
// formula) for random allocatables, node requests and pod requests, zeros included
// (from the session-13 review).
func TestPropertyBalancedScoreVsUpstream(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		r := func(name string, hi int64) int64 {
			return rapid.OneOf(rapid.Just(int64(0)), rapid.Int64Range(0, hi)).Draw(rt, name)
		}
		alloc := apiserver.Resources{MilliCPU: r("acpu", 64000), Memory: r("amem", 256<<30)}
		node := apiserver.Resources{MilliCPU: r("ncpu", 80000), Memory: r("nmem", 300<<30)}
		pod := apiserver.Resources{MilliCPU: r("pcpu", 8000), Memory: r("pmem", 32<<30)}
		for _, mode := range []BalancedMode{BalancedAll, BalancedSkipBestEffort, BalancedImprovement} {
			want, skip := upBalancedScore(mode, alloc, node, pod)
			if skip {
				continue
			}
			require.Equal(rt, want, balancedScore(mode, alloc, node, pod), "mode %d", mode)
		}
	})
}

// selectNode against a literal re-computation of every score of the default profile
// (LeastAllocated, BalancedAllocation per release, TaintToleration, PodTopologySpread),
// ties to the smallest name (no Rand), on random small clusters (from the session-13
// review).
func TestPropertySelectNodeVsNaive(t *testing.T) {
	runs, feasible := 0, 0
	defer func() {
		if runs >= 100 && feasible < runs/2 {
			t.Errorf("only %d of %d cases had a feasible node: the property checks little", feasible, runs)
		}
	}()
	rapid.Check(t, func(rt *rapid.T) {
		runs++
		cfg := DefaultSchedulerConfig()
		cfg.BalancedAllocation = BalancedMode(rapid.IntRange(0, 2).Draw(rt, "mode"))
		w := newWorldWith(t, 1, cfg)
		defer w.stop()
		w.rs.Stop()
		w.dep.Stop()
		nn := rapid.IntRange(2, 7).Draw(rt, "nodes")
		var names []string
		for i := range nn {
			name := fmt.Sprintf("n%d", i)
			names = append(names, name)
			alloc := apiserver.Resources{MilliCPU: rapid.SampledFrom([]int64{2000, 4000, 8000}).Draw(rt, "cpu"),
				Memory: rapid.SampledFrom([]int64{4 << 30, 8 << 30, 32 << 30}).Draw(rt, "mem"), Pods: 110}
			l := map[string]string{apiserver.LabelHostname: name}
			if z := rapid.SampledFrom([]string{"a", "b", "-"}).Draw(rt, "zone"); z != "-" {
				l[apiserver.LabelZone] = z
			}
			var ts []taint.Taint
			for range rapid.IntRange(0, 2).Draw(rt, "prefer") {
				ts = append(ts, taint.Taint{Key: fmt.Sprint("k", len(ts)), Effect: taint.PreferNoSchedule})
			}
			w.createReadyNode(rt, name, l, ts, alloc)
		}
		rs := w.replicaSets(rt, "x")[0]
		req := func(n string) apiserver.Resources {
			return apiserver.Resources{MilliCPU: rapid.SampledFrom([]int64{0, 100, 500, 1000}).Draw(rt, n+"cpu"),
				Memory: rapid.SampledFrom([]int64{0, 256 << 20, 1 << 30, 3 << 30}).Draw(rt, n+"mem")}
		}
		for i := range rapid.IntRange(0, 12).Draw(rt, "pods") {
			p := ownedPod(rs, fmt.Sprint("p", i), rapid.SampledFrom(names).Draw(rt, "on"))
			if rapid.Bool().Draw(rt, "bare") {
				p.OwnerReferences = nil
			}
			p.Requests = req("p")
			_, _ = w.s.Pods.Create(w.c, p)
		}
		w.run(w.s.Now() + time.Second)
		probe := ownedPod(rs, "probe", "")
		if rapid.Bool().Draw(rt, "probeBare") {
			probe.OwnerReferences = nil
		}
		probe.Requests = req("probe")
		// preferred node affinity: up to two weighted terms on the zone or the hostname
		type pref struct {
			key, value string
			weight     int64
		}
		var prefs []pref
		for i := range rapid.IntRange(0, 2).Draw(rt, "preferred") {
			pr := pref{key: apiserver.LabelZone, value: rapid.SampledFrom([]string{"a", "b"}).Draw(rt, fmt.Sprint("pzone", i)),
				weight: rapid.Int64Range(1, 100).Draw(rt, fmt.Sprint("pweight", i))}
			if rapid.Bool().Draw(rt, fmt.Sprint("phost", i)) {
				pr.key, pr.value = apiserver.LabelHostname, rapid.SampledFrom(names).Draw(rt, fmt.Sprint("pname", i))
			}
			prefs = append(prefs, pr)
			probe.EditSpec().PreferredNodeAffinity = append(probe.PreferredNodeAffinity, apiserver.PreferredSchedulingTerm{
				Weight: int32(pr.weight), Preference: apiserver.NodeSelectorTerm{MatchExpressions: []apiserver.NodeSelectorRequirement{
					{Key: pr.key, Operator: "In", Values: []string{pr.value}}}}})
		}
		sc := w.sched
		// naive
		var order []*nodeInfo
		for _, ni := range sc.nodes {
			if filterNode(probe, ni.node, ni.requested, int64(ni.pods), false).code == fitOK {
				order = append(order, ni)
			}
		}
		got := sc.selectNode(probe)
		feasible++
		if len(order) == 0 {
			feasible--
			require.Nil(rt, got)
			return
		}
		var spread []int64
		if r, ok := probe.ControllerRef(); ok && r.Kind == KindReplicaSet && len(order) >= 2 {
			spread = naiveSpreadScores(sc, probe, order)
		}
		var maxPrefer, maxAffinity int64
		affinity := make([]int64, len(order))
		for i, ni := range order {
			maxPrefer = max(maxPrefer, countPreferNoSchedule(ni.node.Taints, nil, false))
			for _, pr := range prefs {
				if ni.node.Labels.Get(pr.key) == pr.value {
					affinity[i] += pr.weight
				}
			}
			maxAffinity = max(maxAffinity, affinity[i])
		}
		pCPU, pMem := nonZero(probe.Requests)
		best, bestTotal := "", int64(-1)
		for i, ni := range order {
			a := ni.node.Allocatable
			la := (leastAllocated(ni.nzCPU+pCPU, a.MilliCPU) + leastAllocated(ni.nzMem+pMem, a.Memory)) / 2
			ba, skip := upBalancedScore(cfg.BalancedAllocation, a, ni.requested, probe.Requests)
			if skip {
				ba = 0
			}
			ts := int64(MaxNodeScore)
			if maxPrefer > 0 {
				ts = MaxNodeScore - countPreferNoSchedule(ni.node.Taints, nil, false)*MaxNodeScore/maxPrefer
			}
			total := la + ba + 3*ts
			if maxAffinity > 0 { // NodeAffinity, weight 2, DefaultNormalizeScore
				total += 2 * (MaxNodeScore * affinity[i] / maxAffinity)
			}
			if spread != nil {
				total += spread[i]
			}
			if total > bestTotal || (total == bestTotal && ni.name < best) {
				best, bestTotal = ni.name, total
			}
		}
		require.Equal(rt, best, got.name)
	})
}
