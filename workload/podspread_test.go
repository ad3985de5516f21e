package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// zoneSpread is a DoNotSchedule constraint over zones for app=web pods.
func zoneSpread(maxSkew, minDomains int32) apiserver.TopologySpreadConstraint {
	return apiserver.TopologySpreadConstraint{MaxSkew: maxSkew, TopologyKey: apiserver.LabelZone, WhenUnsatisfiable: apiserver.DoNotSchedule,
		Selector: &apiserver.PodSelector{MatchLabels: map[string]string{"app": "web"}}, MinDomains: minDomains,
		NodeAffinityPolicy: apiserver.PolicyHonor, NodeTaintsPolicy: apiserver.PolicyIgnore}
}

// spreadPod is a pending app=web pod with constraints cons.
func spreadPod(name string, cons ...apiserver.TopologySpreadConstraint) *apiserver.Pod {
	return &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name, Labels: apiserver.NewLabels(map[string]string{"app": "web"})},
		PodSpec: &apiserver.PodSpec{TopologySpreadConstraints: cons}}
}

// bareWeb creates a bound app=web pod with no owner.
func (w *world) bareWeb(t *testing.T, name, node string) {
	_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name, Labels: apiserver.NewLabels(map[string]string{"app": "web"})},
		NodeName: node, PodSpec: &apiserver.PodSpec{}})
	require.NoError(t, err)
}

// The filter, worked out by hand from upstream's Filter (filtering.go): zones a, b, c
// of two nodes each hold 2, 1 and 0 app=web pods, and node x has no zone label.
// maxSkew 1: the minimum is 0 (zone c), so a (2+1−0 = 3) and b (2) fail, c (1)
// passes, x lacks the key. With one more pod in c the minimum is 1 and b passes too;
// minDomains 4 (three domains) takes the minimum as 0 again.
func TestSpreadFilterAsUpstream(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(2, "a", "b", "c")
	w.addNode("x", nil)
	w.bareWeb(t, "w1", "a-0")
	w.bareWeb(t, "w2", "a-1")
	w.bareWeb(t, "w3", "b-0")
	w.run(time.Second)
	verdicts := func(p *apiserver.Pod) map[string]failCode {
		f := w.sched.spreadPreFilter(p)
		require.NotNil(t, f)
		out := map[string]failCode{}
		for _, ni := range w.sched.nodes {
			out[ni.name] = f.verdict(ni)
		}
		return out
	}
	require.Equal(t, map[string]failCode{"a-0": failSpread, "a-1": failSpread, "b-0": failSpread, "b-1": failSpread,
		"c-0": fitOK, "c-1": fitOK, "x": failSpreadLabel}, verdicts(spreadPod("p", zoneSpread(1, 1))))

	w.bareWeb(t, "w4", "c-1")
	w.run(2 * time.Second)
	require.Equal(t, map[string]failCode{"a-0": failSpread, "a-1": failSpread, "b-0": fitOK, "b-1": fitOK,
		"c-0": fitOK, "c-1": fitOK, "x": failSpreadLabel}, verdicts(spreadPod("p", zoneSpread(1, 1))))
	require.Equal(t, map[string]failCode{"a-0": failSpread, "a-1": failSpread, "b-0": failSpread, "b-1": failSpread,
		"c-0": failSpread, "c-1": failSpread, "x": failSpreadLabel}, verdicts(spreadPod("p", zoneSpread(1, 4))))

	// A pod the selector does not match counts no self match: skew 2+0−1 = 1 in a.
	other := spreadPod("other", zoneSpread(1, 1))
	other.Labels = apiserver.NewLabels(map[string]string{"app": "other"})
	require.Equal(t, fitOK, verdicts(other)["a-0"])

	// An empty selector counts no pod (countPodsMatchSelector's Empty check) but
	// matches the pod itself: skew 0+1−0 everywhere. A nil one matches nothing.
	empty := zoneSpread(1, 1)
	empty.Selector = &apiserver.PodSelector{}
	require.Equal(t, fitOK, verdicts(spreadPod("p", empty))["a-0"])
	none := zoneSpread(1, 1)
	none.Selector = nil
	require.Equal(t, fitOK, verdicts(spreadPod("p", none))["a-0"])

	// matchLabelKeys adds the pod's own value: pods of another version do not count.
	byVersion := zoneSpread(1, 1)
	byVersion.MatchLabelKeys = []string{"version"}
	v2 := spreadPod("p", byVersion)
	v2.Labels = apiserver.NewLabels(map[string]string{"app": "web", "version": "v2"})
	require.Equal(t, fitOK, verdicts(v2)["a-0"])

	// NodeAffinityPolicy Honor (the default): nodes outside the pod's node selector do
	// not count, so with only zone a's nodes selected, a is the only domain.
	picky := spreadPod("p", zoneSpread(1, 1))
	picky.PodSpec = &apiserver.PodSpec{NodeSelector: map[string]string{apiserver.LabelZone: "a"}, TopologySpreadConstraints: picky.TopologySpreadConstraints}
	require.Equal(t, fitOK, verdicts(picky)["a-0"], "a alone: 2+1−2 = 1")
	ignore := zoneSpread(1, 1)
	ignore.NodeAffinityPolicy = apiserver.PolicyIgnore
	picky.PodSpec = &apiserver.PodSpec{NodeSelector: map[string]string{apiserver.LabelZone: "a"}, TopologySpreadConstraints: []apiserver.TopologySpreadConstraint{ignore}}
	require.Equal(t, failSpread, verdicts(picky)["a-0"], "every zone counts: 2+1−1 = 2")

	// Nodes that join (and move every node's place in the cache's order) are seen
	// with their values: the kept per-key values are rebuilt.
	w.addNode("y", nil)
	w.zonedNodes(1, "d")
	w.run(3 * time.Second)
	require.Equal(t, map[string]failCode{"a-0": failSpread, "a-1": failSpread, "b-0": failSpread, "b-1": failSpread,
		"c-0": failSpread, "c-1": failSpread, "d-0": fitOK, "x": failSpreadLabel, "y": failSpreadLabel}, verdicts(spreadPod("p", zoneSpread(1, 1))))
	// and a node whose labels change (y joins zone d) too
	_, err := w.s.Nodes.Patch(w.c, "y", func(n *apiserver.Node) error {
		n.Labels = apiserver.NewLabels(n.Labels.Map())
		n.Labels = n.Labels.With(apiserver.LabelZone, "d")
		return nil
	})
	require.NoError(t, err)
	w.run(4 * time.Second)
	require.Equal(t, fitOK, verdicts(spreadPod("p", zoneSpread(1, 1)))["y"])
}

// A pod that no node can take without breaking its zone spread waits, with the
// plugin's reason, until a pod it counts goes: the AssignedPodDelete event moves it,
// with queueing hints (1.37) and without (1.31).
func TestSpreadUnschedulableUntilPodDeleted(t *testing.T) {
	for _, minor := range []int{31, 37} {
		t.Run(fmt.Sprintf("1.%d", minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.zonedNodes(1, "a", "b")
			w.bareWeb(t, "w1", "a-0")
			w.bareWeb(t, "w2", "a-0")
			// counts a=2, b=1, and minDomains 3 over two zones takes the minimum as 0:
			// a 2+1, b 1+1, both over 1
			w.bareWeb(t, "w3", "b-0")
			w.run(time.Second)
			_, err := w.s.Pods.Create(w.c, spreadPod("p", zoneSpread(1, 3)))
			require.NoError(t, err)
			w.run(2 * time.Second)
			require.Equal(t, "", w.podNode("default/p"))
			p, _ := w.s.Pods.Peek("default/p")
			c := p.Condition(apiserver.PodScheduled)
			require.NotNil(t, c)
			require.Equal(t, "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints.", c.Message)
			// a pod of another namespace going changes nothing for it (with hints the
			// pod is not even tried again)
			attempts := w.attempts("default/p")
			_, err = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "other", Name: "o", Labels: apiserver.NewLabels(map[string]string{"app": "web"})},
				NodeName: "b-0", PodSpec: &apiserver.PodSpec{}})
			require.NoError(t, err)
			w.run(20 * time.Second)
			require.NoError(t, w.s.Pods.Delete(w.c, "other/o", apiserver.DeleteOptions{}))
			w.run(40 * time.Second)
			require.Equal(t, "", w.podNode("default/p"))
			if minor >= 32 {
				require.Equal(t, attempts, w.attempts("default/p"), "the hint skips a pod of another namespace")
			}
			// zone b's pod goes: b 0+1 fits
			require.NoError(t, w.s.Pods.Delete(w.c, "default/w3", apiserver.DeleteOptions{}))
			w.run(60 * time.Second)
			require.Equal(t, "b-0", w.podNode("default/p"))
		})
	}
}

// A ScheduleAnyway constraint of the pod's own replaces the system defaults: with a
// zone constraint only, a replica goes to the zone with the fewest, even onto a node
// that already has one.
func TestOwnSpreadScoreReplacesDefaults(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(2, "a", "b")
	w.bareWeb(t, "w1", "a-0")
	w.bareWeb(t, "w2", "a-1")
	w.bareWeb(t, "w3", "b-0")
	w.run(time.Second)
	soft := zoneSpread(1, 1)
	soft.WhenUnsatisfiable = apiserver.ScheduleAnyway
	order := []*nodeInfo{w.sched.infos["a-0"], w.sched.infos["a-1"], w.sched.infos["b-0"], w.sched.infos["b-1"]}
	scores := make([]int64, len(order))
	w.sched.ownSpreadScores(spreadPod("p", soft), order, scores)
	// weight ln(2+2) = 1.386; raw a 2·1.386+0 = 2.77 → 3, b 1.386 → 1; normalized
	// 100·(3+1−s)/3: a 33, b 100; times 2
	require.Equal(t, []int64{66, 66, 200, 200}, scores)
	// a pod with only a DoNotSchedule constraint gets no spread score at all
	clear(scores)
	w.sched.ownSpreadScores(spreadPod("p", zoneSpread(1, 1)), order, scores)
	require.Equal(t, []int64{0, 0, 0, 0}, scores)
}

// With hints, a change of the pending pod's own tolerations queues it again when one
// of its DoNotSchedule constraints honors taints (isSchedulableAfterTargetPodChange):
// node a-0, cordoned and tainted k=v:NoSchedule, is no domain for the pod until it
// tolerates the taint.
func TestSpreadHonorTaintsTolerationHint(t *testing.T) {
	w := newWorldWith(t, 1, SchedulerConfigFor(37))
	w.zonedNodes(1, "a", "b")
	_, err := w.s.Nodes.Patch(w.c, "a-0", func(n *apiserver.Node) error {
		n.Unschedulable = true
		n.Taints = append(n.Taints, taint.Taint{Key: "k", Value: "v", Effect: taint.NoSchedule})
		return nil
	})
	require.NoError(t, err)
	w.bareWeb(t, "w1", "b-0")
	w.bareWeb(t, "w2", "b-0")
	w.run(time.Second)
	c := zoneSpread(1, 2) // one domain counted (b) < minDomains: b 2+1−0 fails
	c.NodeTaintsPolicy = apiserver.PolicyHonor
	_, err = w.s.Pods.Create(w.c, spreadPod("p", c))
	require.NoError(t, err)
	w.run(20 * time.Second)
	require.Equal(t, "", w.podNode("default/p"))
	before := w.attempts("default/p")
	_, err = w.s.Pods.Patch(w.c, "default/p", func(p *apiserver.Pod) error {
		s := p.EditSpec()
		s.Tolerations = append(s.Tolerations, taint.Toleration{Key: "k", Operator: taint.OpEqual, Value: "v", Effect: taint.NoSchedule})
		return nil
	})
	require.NoError(t, err)
	w.run(40 * time.Second)
	require.Greater(t, w.attempts("default/p"), before, "tried again after the toleration change")
	require.Equal(t, "", w.podNode("default/p"), "a-0 is cordoned; b still breaks the skew")
}
