package workload

import (
	"maps"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
)

// cacheSpreadCounts recomputes, from the scheduler's own cache (its pod informer's
// delivered versions, its assumed bindings) and its node view, what spreadOwner uid
// should hold at this instant: per node, and per zone id over the nodes that exist.
func cacheSpreadCounts(sc *Scheduler, uid uint64) (map[*nodeInfo]int32, map[uint32]int32) {
	byNode := map[*nodeInfo]int32{}
	sc.podInf.Range(func(p *apiserver.Pod) {
		if _, assumed := sc.assumed[p.Key()]; assumed {
			return
		}
		if k := spreadKeyOf(p); k.owner == uid && k.counts {
			byNode[sc.infos[p.NodeName]]++
		}
	})
	for _, a := range sc.assumed {
		if a.spread.owner == uid && a.spread.counts {
			byNode[sc.infos[a.node]]++
		}
	}
	byZone := map[uint32]int32{}
	for _, ni := range sc.nodes {
		if c := byNode[ni]; c != 0 {
			byZone[sc.zoneOf[ni.idx]&topoZoneID] += c
		}
	}
	return byNode, byZone
}

// naiveSpreadScores is upstream's PreScore/Score/NormalizeScore written out
// literally (podtopologyspread/scoring.go, 1.31–1.37) over the scheduler's cache:
// system default constraints, requireAllTopologies false, nodeAffinityPolicy Honor,
// weight 2. The selector is "controlled by uid", as nodesim models it.
func naiveSpreadScores(sc *Scheduler, p *apiserver.Pod, order []*nodeInfo) []int64 {
	r, _ := p.ControllerRef()
	byNode, _ := cacheSpreadCounts(sc, r.UID)
	zoneCount := map[string]*int64{}
	for _, ni := range order {
		v := ni.node.Labels.Get(apiserver.LabelZone)
		if zoneCount[v] == nil {
			zoneCount[v] = new(int64)
		}
	}
	for _, ni := range sc.nodes { // allNodes
		if !matchesAffinity(p, ni.node) {
			continue
		}
		if c := zoneCount[ni.node.Labels.Get(apiserver.LabelZone)]; c != nil {
			*c += int64(byNode[ni])
		}
	}
	wHost, wZone := math.Log(float64(len(order)+2)), math.Log(float64(len(zoneCount)+2))
	raw := make([]int64, len(order))
	minS, maxS := int64(math.MaxInt64), int64(0)
	for i, ni := range order {
		var s float64
		if _, ok := ni.node.Labels.Lookup(apiserver.LabelHostname); ok {
			s += float64(float64(byNode[ni])*wHost) + 2
		}
		if v, ok := ni.node.Labels.Lookup(apiserver.LabelZone); ok {
			s += float64(float64(*zoneCount[v])*wZone) + 4
		}
		raw[i] = int64(math.Round(s))
		minS, maxS = min(minS, raw[i]), max(maxS, raw[i])
	}
	out := make([]int64, len(order))
	for i, v := range raw {
		n := int64(MaxNodeScore)
		if maxS != 0 {
			n = MaxNodeScore * (maxS + minS - v) / maxS
		}
		out[i] = 2 * n
	}
	return out
}

// TestPropertySpreadCountsEveryInstant checks the spread counts against the cache at
// every step, not only once everything is delivered, and spreadScores against the
// literal upstream computation for random feasible subsets and node selectors
// (nodes with and without the zone and hostname labels).
func TestPropertySpreadCountsEveryInstant(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		cfg := DefaultSchedulerConfig()
		cfg.WatchLatency = time.Duration(rapid.SampledFrom([]int{0, 5, 150}).Draw(rt, "latencyMs")) * time.Millisecond
		w := newWorldWith(t, 1, cfg)
		defer w.stop()
		w.rs.Stop()
		w.dep.Stop()
		nodes := []string{"n0", "n1", "n2", "n3", "n4"}
		zones := []string{"a", "b", "", "-"} // "-": no zone label at all
		labels := func(z string, ssd bool) map[string]string {
			l := map[string]string{}
			if z != "-" {
				l[apiserver.LabelZone] = z
			}
			if ssd {
				l["disk"] = "ssd"
			}
			return l
		}
		for _, n := range nodes {
			w.addNode(n, labels(rapid.SampledFrom(zones).Draw(rt, "zone"), rapid.Bool().Draw(rt, "ssd")))
		}
		sets := w.replicaSets(rt, "x", "y")
		names := []string{"a", "b", "c", "d", "e", "f", "g"}
		check := func() {
			if !w.sched.spreadOn {
				require.Empty(rt, w.sched.spread, "no counts before the first spread score")
			}
			for _, rs := range sets {
				if !w.sched.spreadOn {
					break
				}
				uid := rs.UID
				so := w.sched.spread[uid]
				if so == nil { // no pod counted: no entry
					so = &noSpread
				}
				wantNode, wantZone := cacheSpreadCounts(w.sched, uid)
				gotZone := map[uint32]int32{}
				for z, c := range so.byZone {
					if c != 0 {
						gotZone[uint32(z)] = c
					}
				}
				gotNode := map[*nodeInfo]int32{}
				maps.Copy(gotNode, so.byNode)
				require.Equal(rt, wantNode, gotNode, "owner %d per node at %v", uid, w.s.Now())
				require.Equal(rt, wantZone, gotZone, "owner %d per zone at %v", uid, w.s.Now())
			}
			if len(w.sched.nodes) < 2 {
				return
			}
			rs := rapid.SampledFrom(sets).Draw(rt, "scored")
			p := ownedPod(rs, "probe", "")
			if rapid.Bool().Draw(rt, "picky") {
				p.PodSpec = &apiserver.PodSpec{NodeSelector: map[string]string{"disk": "ssd"}}
			}
			var order []*nodeInfo
			for _, ni := range w.sched.nodes {
				if rapid.Bool().Draw(rt, "feasible") {
					order = append(order, ni)
				}
			}
			if len(order) < 2 {
				return
			}
			got := make([]int64, len(order))
			w.sched.spreadScores(p, order, got)
			require.Equal(rt, naiveSpreadScores(w.sched, p, order), got, "scores at %v", w.s.Now())
		}
		for range rapid.IntRange(1, 40).Draw(rt, "steps") {
			key := "default/" + rapid.SampledFrom(names).Draw(rt, "pod")
			node := rapid.SampledFrom(nodes).Draw(rt, "node")
			switch rapid.IntRange(0, 8).Draw(rt, "op") {
			case 0, 8:
				rs := rapid.SampledFrom(sets).Draw(rt, "rs")
				bind := rapid.SampledFrom([]string{"", node}).Draw(rt, "bind")
				_, _ = w.s.Pods.Create(w.c, ownedPod(rs, key[len("default/"):], bind))
			case 1:
				_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: new(int64)})
			case 2:
				grace := int64(30)
				_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: &grace})
			case 3:
				_, _ = w.s.Pods.Patch(w.c, key, func(p *apiserver.Pod) error { p.Phase = apiserver.PodFailed; return nil })
			case 4:
				z := rapid.SampledFrom(zones).Draw(rt, "relabel")
				ssd := rapid.Bool().Draw(rt, "relabelSSD")
				_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
					l := n.Labels.Map()
					delete(l, apiserver.LabelZone)
					delete(l, "disk")
					maps.Copy(l, labels(z, ssd))
					if rapid.Bool().Draw(rt, "dropHostname") {
						delete(l, apiserver.LabelHostname)
					}
					n.Labels = apiserver.NewLabels(l)
					return nil
				})
			case 5:
				if _, ok := w.s.Nodes.Peek(node); ok {
					_ = w.s.Nodes.Delete(w.c, node, apiserver.DeleteOptions{})
				} else {
					w.addNode(node, labels(rapid.SampledFrom(zones).Draw(rt, "readd"), rapid.Bool().Draw(rt, "readdSSD")))
				}
			case 6:
				w.sched.spreadFor(rapid.SampledFrom(sets).Draw(rt, "track").UID)
			case 7:
				w.sched.Stop()
				w.sched.Start()
			}
			w.run(w.s.Now() + time.Duration(rapid.IntRange(0, 200).Draw(rt, "waitMs"))*time.Millisecond)
			check()
		}
	})
}
