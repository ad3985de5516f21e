package workload

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

// versionTerm is a required anti-affinity term over key for app=web pods of the
// same pod-template-hash (matchLabelKeys), as a Deployment's manifest writes it.
func versionTerm(key string) apiserver.PodAffinityTerm {
	t := antiTerm(key)
	t.MatchLabelKeys = []string{LabelPodTemplateHash}
	return t
}

func hashLabels(hash string) map[string]string {
	return map[string]string{"app": "web", LabelPodTemplateHash: hash}
}

// admitted creates p unbound and returns it as the API server stored it, label keys
// merged, before the scheduler has seen it.
func (w *world) admitted(t *testing.T, p *apiserver.Pod) *apiserver.Pod {
	_, err := w.s.Pods.Create(w.c, p)
	require.NoError(t, err)
	got, ok := w.s.Pods.Peek(p.Key())
	require.True(t, ok)
	return got
}

// The filter with matchLabelKeys and mismatchLabelKeys, worked out by hand from
// upstream's merge at creation (strategy.go applyMatchLabelKeysAndMismatchLabelKeys)
// and Filter (filtering.go): zones a, b, c of two nodes each; web pods of the old
// template (pod-template-hash old) on a-0 and b-0, each with a zone anti-affinity
// term over app=web narrowed by matchLabelKeys [pod-template-hash].
func TestLabelKeysAntiFilterAsUpstream(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(2, "a", "b", "c")
	w.bind(t, antiPodOf("default", "old1", hashLabels("old"), versionTerm(apiserver.LabelZone)), "a-0")
	w.bind(t, antiPodOf("default", "old2", hashLabels("old"), versionTerm(apiserver.LabelZone)), "b-0")
	w.run(time.Second)
	const (
		ok   = fitOK
		own  = failAntiAffinity
		them = failExistingAnti
	)
	old1, _ := w.s.Pods.Peek("default/old1")
	require.Equal(t, []apiserver.NodeSelectorRequirement{{Key: LabelPodTemplateHash, Operator: "In", Values: []string{"old"}}},
		old1.RequiredPodAntiAffinity[0].Selector.MatchExpressions, "merged at creation: app=web, pod-template-hash in (old)")
	require.Equal(t, []string{LabelPodTemplateHash}, old1.RequiredPodAntiAffinity[0].MatchLabelKeys, "the field stays")

	// A pod of the new template: its own term is app=web, pod-template-hash in
	// (new), which no bound pod matches, and the old pods' terms do not match it:
	// every node passes. (Without the merge both halves keep it out of a and b.)
	n1 := w.admitted(t, antiPodOf("default", "new1", hashLabels("new"), versionTerm(apiserver.LabelZone)))
	require.Equal(t, map[string]failCode{"a-0": ok, "a-1": ok, "b-0": ok, "b-1": ok, "c-0": ok, "c-1": ok}, w.antiVerdicts(n1))
	// a pod of the old template is kept out of a and b by its own term
	o3 := w.admitted(t, antiPodOf("default", "old3", hashLabels("old"), versionTerm(apiserver.LabelZone)))
	require.Equal(t, map[string]failCode{"a-0": own, "a-1": own, "b-0": own, "b-1": own, "c-0": ok, "c-1": ok}, w.antiVerdicts(o3))
	// a pod without the label: the key is skipped, the term is app=web alone
	bare := w.admitted(t, antiPodOf("default", "bare", webLabels, versionTerm(apiserver.LabelZone)))
	require.Empty(t, bare.RequiredPodAntiAffinity[0].Selector.MatchExpressions)
	require.Equal(t, map[string]failCode{"a-0": own, "a-1": own, "b-0": own, "b-1": own, "c-0": ok, "c-1": ok}, w.antiVerdicts(bare))
	// a new pod without terms: the old pods' terms do not match it
	plain := w.admitted(t, antiPodOf("default", "plain", hashLabels("new")))
	require.Equal(t, ok, w.antiVerdicts(plain)["a-0"])
	for _, name := range []string{"new1", "old3", "bare", "plain"} { // before the scheduler places them
		require.NoError(t, w.s.Pods.Delete(w.c, "default/"+name, apiserver.DeleteOptions{}))
	}

	// A new pod on c-0: the next new pod is kept out of zone c by its own term
	// (checked before the bound pod's, which matches it too); an old pod without
	// terms is not kept out by the new pod's.
	w.bind(t, antiPodOf("default", "new2", hashLabels("new"), versionTerm(apiserver.LabelZone)), "c-0")
	w.run(2 * time.Second)
	n3 := w.admitted(t, antiPodOf("default", "new3", hashLabels("new"), versionTerm(apiserver.LabelZone)))
	require.Equal(t, map[string]failCode{"a-0": ok, "a-1": ok, "b-0": ok, "b-1": ok, "c-0": own, "c-1": own}, w.antiVerdicts(n3))
	n4 := w.admitted(t, antiPodOf("default", "new4", hashLabels("new")))
	require.Equal(t, map[string]failCode{"a-0": ok, "a-1": ok, "b-0": ok, "b-1": ok, "c-0": them, "c-1": them}, w.antiVerdicts(n4))
	o4 := w.admitted(t, antiPodOf("default", "old4", hashLabels("old")))
	require.Equal(t, map[string]failCode{"a-0": them, "a-1": them, "b-0": them, "b-1": them, "c-0": ok, "c-1": ok}, w.antiVerdicts(o4))
	for _, name := range []string{"new3", "new4", "old4"} { // before the scheduler places them
		require.NoError(t, w.s.Pods.Delete(w.c, "default/"+name, apiserver.DeleteOptions{}))
	}

	// mismatchLabelKeys [app] over every pod ({}): hostname anti-affinity to the
	// pods of other apps (app notin (cache); a pod without an app label is one).
	away := apiserver.PodAffinityTerm{Selector: &apiserver.PodSelector{}, MismatchLabelKeys: []string{"app"}, TopologyKey: apiserver.LabelHostname}
	w.bind(t, antiPodOf("default", "cache1", map[string]string{"app": "cache"}), "a-1")
	w.bind(t, antiPodOf("default", "nolabel", nil), "b-1")
	w.run(3 * time.Second)
	c2 := w.admitted(t, antiPodOf("default", "cache2", map[string]string{"app": "cache"}, away))
	require.Equal(t, []apiserver.NodeSelectorRequirement{{Key: "app", Operator: "NotIn", Values: []string{"cache"}}},
		c2.RequiredPodAntiAffinity[0].Selector.MatchExpressions)
	require.Equal(t, map[string]failCode{"a-0": own, "a-1": ok, "b-0": own, "b-1": own, "c-0": own, "c-1": ok}, w.antiVerdicts(c2))
}

// A Deployment's replicas with hostname anti-affinity narrowed by matchLabelKeys
// [pod-template-hash] ignore a web pod of no template: three replicas bind on the
// three nodes, one beside it. Fails if the API server's merge is dropped (the
// third replica then waits, kept off the legacy pod's node).
func TestLabelKeysDeploymentIgnoresOtherPods(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(1, "a", "b", "c")
	w.bind(t, antiPodOf("default", "legacy", map[string]string{"app": "web", "version": "legacy"}), "a-0")
	d := webDeployment(3)
	d.Template.Spec.PodSpec.RequiredPodAntiAffinity = []apiserver.PodAffinityTerm{versionTerm(apiserver.LabelHostname)}
	_, err := w.s.Deployments.Create(w.c, d)
	require.NoError(t, err)
	w.run(30 * time.Second)
	hash := PodTemplateHash(&d.Template)
	var specs []*apiserver.PodSpec
	nodes := map[string]int{}
	w.s.Pods.Each(func(p *apiserver.Pod) {
		if p.Name == "legacy" {
			return
		}
		require.NotEmpty(t, p.NodeName, "%s is pending", p.Key())
		nodes[p.NodeName]++
		specs = append(specs, p.PodSpec)
		require.Equal(t, []apiserver.NodeSelectorRequirement{{Key: LabelPodTemplateHash, Operator: "In", Values: []string{hash}}},
			p.RequiredPodAntiAffinity[0].Selector.MatchExpressions)
	})
	require.Equal(t, map[string]int{"a-0": 1, "b-0": 1, "c-0": 1}, nodes)
	require.Len(t, specs, 3)
	require.Same(t, specs[0], specs[1], "the replicas share one merged spec")
	require.Same(t, specs[0], specs[2])
	rs, ok := w.s.ReplicaSets.Peek("default/web-" + hash)
	require.True(t, ok)
	require.Empty(t, rs.Template.Spec.RequiredPodAntiAffinity[0].Selector.MatchExpressions, "the template is not merged")
}
