package apiserver

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// labelKeysSpec is a template's spec with a term of each kind, one with label keys
// of both lists, one without.
func labelKeysSpec() *PodSpec {
	web := &PodSelector{MatchLabels: map[string]string{"app": "web"}}
	return &PodSpec{
		RequiredPodAntiAffinity: []PodAffinityTerm{
			{Selector: web, TopologyKey: "zone", MatchLabelKeys: []string{"pod-template-hash", "missing"}, MismatchLabelKeys: []string{"track"}},
			{Selector: web, TopologyKey: "host"},
		},
		PreferredPodAffinity: []WeightedPodAffinityTerm{{Weight: 5, PodAffinityTerm: PodAffinityTerm{TopologyKey: "zone", MatchLabelKeys: []string{"app"}}}},
	}
}

// The merge at creation: "key In (value)" per matchLabelKeys key the pod has, then
// "key NotIn (value)" per mismatchLabelKeys key; keys the pod lacks and nil
// selectors get nothing; the lists stay; the template's spec is not written; pods
// of one template with the same values share one admitted spec, and a hit costs no
// allocation; an update merges nothing more.
func TestLabelKeysMergedOnCreate(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("test", 0)
	tmpl := labelKeysSpec()
	pod := func(name, hash string) *Pod {
		return &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name,
			Labels: NewLabels(map[string]string{"app": "web", "pod-template-hash": hash, "track": "stable"})}, PodSpec: tmpl}
	}
	p1, err := s.Pods.Create(c, pod("p1", "h1"))
	require.NoError(t, err)
	got := p1.RequiredPodAntiAffinity[0]
	require.Equal(t, map[string]string{"app": "web"}, got.Selector.MatchLabels)
	require.Equal(t, []NodeSelectorRequirement{{Key: "pod-template-hash", Operator: "In", Values: []string{"h1"}}, {Key: "track", Operator: "NotIn", Values: []string{"stable"}}},
		got.Selector.MatchExpressions)
	require.Equal(t, []string{"pod-template-hash", "missing"}, got.MatchLabelKeys)
	require.Equal(t, []string{"track"}, got.MismatchLabelKeys)
	require.Same(t, tmpl.RequiredPodAntiAffinity[1].Selector, p1.RequiredPodAntiAffinity[1].Selector, "a term without keys is untouched")
	require.Nil(t, p1.PreferredPodAffinity[0].Selector, "a nil selector matches no pod and stays nil")
	require.Equal(t, labelKeysSpec(), tmpl, "the template's spec is not written")
	require.Len(t, p1.Tolerations, 2, "admission's default tolerations too")

	p2, err := s.Pods.Create(c, pod("p2", "h1"))
	require.NoError(t, err)
	require.Same(t, p1.PodSpec, p2.PodSpec, "replicas share the merged spec")
	p3, err := s.Pods.Create(c, pod("p3", "h2"))
	require.NoError(t, err)
	require.Equal(t, []string{"h2"}, p3.RequiredPodAntiAffinity[0].Selector.MatchExpressions[0].Values)
	p4, err := s.Pods.Create(c, pod("p4", "h1"))
	require.NoError(t, err)
	require.Same(t, p1.PodSpec, p4.PodSpec, "remembered beside another template's")

	probe := pod("probe", "h1")
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = s.admitSpec(tmpl, probe.Labels, true) }), "a remembered merge allocates nothing")

	// an update admits the stored (merged) spec again: nothing is added twice
	p5, err := s.Pods.Patch(c, "default/p1", func(p *Pod) error {
		p.EditSpec().TerminationGracePeriodSeconds = 7
		return nil
	})
	require.NoError(t, err)
	require.Len(t, p5.RequiredPodAntiAffinity[0].Selector.MatchExpressions, 2)

	// more templates than are remembered: each result is still right
	for i := range labelKeysCacheSize + 3 {
		spec := labelKeysSpec()
		for j := range 2 {
			p, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: fmt.Sprintf("t%d-%d", i, j),
				Labels: NewLabels(map[string]string{"pod-template-hash": fmt.Sprint(i)})}, PodSpec: spec})
			require.NoError(t, err)
			require.Equal(t, []NodeSelectorRequirement{{Key: "pod-template-hash", Operator: "In", Values: []string{fmt.Sprint(i)}}},
				p.RequiredPodAntiAffinity[0].Selector.MatchExpressions)
		}
	}
	p6, err := s.Pods.Create(c, pod("p6", "h1"))
	require.NoError(t, err)
	require.Equal(t, p1.RequiredPodAntiAffinity, p6.RequiredPodAntiAffinity, "merged again once forgotten")
}
