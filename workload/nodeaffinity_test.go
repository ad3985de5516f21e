package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

func TestPreferredAffinityScore(t *testing.T) {
	n := &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "w1", Labels: apiserver.NewLabels(map[string]string{"zone": "a", "disk": "ssd"})}}
	term := func(w int32, rs ...apiserver.NodeSelectorRequirement) apiserver.PreferredSchedulingTerm {
		return apiserver.PreferredSchedulingTerm{Weight: w, Preference: apiserver.NodeSelectorTerm{MatchExpressions: rs}}
	}
	assert.Equal(t, int64(0), PreferredAffinityScore(nil, n))
	assert.Equal(t, int64(30), PreferredAffinityScore([]apiserver.PreferredSchedulingTerm{
		term(10, req("zone", "In", "a")), term(20, req("disk", "Exists")), term(40, req("zone", "In", "b")),
		term(0, req("zone", "In", "a")), // weight 0 counts for nothing
		term(50),                        // no requirement: matches nothing
	}, n))
}

// NodeAffinity's score (weight 2, normalized to the best node's) against the others:
// of three equal empty nodes the pod goes to the one it prefers most; a node it
// prefers that carries a PreferNoSchedule taint it does not tolerate loses, as
// TaintToleration weighs 3.
func TestPreferredNodeAffinityPlacement(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tainted string
		want    string
	}{
		{"preferred zone", "", "b-0"},
		{"taint outweighs preference", "b-0", "c-0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 1)
			defer w.stop()
			for _, z := range []string{"a", "b", "c"} {
				name := z + "-0"
				w.addNode(name, map[string]string{apiserver.LabelZone: z})
				if name == tc.tainted {
					_, err := w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error {
						n.Taints = append(n.Taints, taint.Taint{Key: "k", Effect: taint.PreferNoSchedule})
						return nil
					})
					require.NoError(t, err)
				}
			}
			p := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "p"}, PodSpec: &apiserver.PodSpec{
				PreferredNodeAffinity: []apiserver.PreferredSchedulingTerm{
					{Weight: 80, Preference: apiserver.NodeSelectorTerm{MatchExpressions: []apiserver.NodeSelectorRequirement{req(apiserver.LabelZone, "In", "b")}}},
					{Weight: 60, Preference: apiserver.NodeSelectorTerm{MatchExpressions: []apiserver.NodeSelectorRequirement{req(apiserver.LabelZone, "In", "c")}}},
				}}}
			_, err := w.s.Pods.Create(w.c, p)
			require.NoError(t, err)
			w.run(w.s.Now() + time.Second)
			got, ok := w.s.Pods.Peek("default/p")
			require.True(t, ok)
			assert.Equal(t, tc.want, got.NodeName, fmt.Sprint(tc.name))
		})
	}
}
