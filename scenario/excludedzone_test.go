package scenario_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A zone whose nodes are all excluded from disruption checks, in a cluster with another
// zone: when its kubelets stop, every one of its nodes is tainted and its pods evicted,
// one node per token (10 s apart). Upstream's handleDisruption forgets such a zone only
// at the passes whose map order puts it before a zone that is not FullDisruption;
// forgetting it at every pass (nodesim until session 11) gave it a fresh queue each time,
// whose first entry, the node already tainted, spent the token: x-1 was never tainted in
// 12 of 20 seeds. The oracle (the real controller) taints both in 20 of 20 runs.
func TestExcludedZoneTaintsEveryNode(t *testing.T) {
	const y = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: excluded-zone}
spec:
  duration: 5m
  start: running
  kubernetesVersion: "1.37"
  nodes:
    - {namePrefix: x-, count: 2, zone: x, labels: {node.kubernetes.io/exclude-disruption: ""}}
    - {name: a-0, zone: a}
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: px0}
      spec:
        nodeName: x-0
        containers: [{name: c, image: nginx}]
        tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: px1}
      spec:
        nodeName: x-1
        containers: [{name: c, image: nginx}]
        tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}]
  events:
    - at: 60s
      stopKubelet: {nodes: [x-0, x-1]}
`
	sc, err := scenario.Parse("excluded-zone.yaml", []byte(y))
	require.NoError(t, err)
	for seed := uint64(1); seed <= 20; seed++ {
		res, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed})
		require.NoError(t, err)
		var b strings.Builder
		require.NoError(t, res.WriteText(&b))
		tr := b.String()
		for _, want := range []string{
			"TaintAdded node=x-0 taint=node.kubernetes.io/unreachable:NoExecute",
			"TaintAdded node=x-1 taint=node.kubernetes.io/unreachable:NoExecute",
			"PodEvicted pod=default/px0", "PodEvicted pod=default/px1",
		} {
			require.Contains(t, tr, want, "seed %d", seed)
		}
		require.NotContains(t, tr, "zone=x", "seed %d: a zone with no counted node has no state", seed)
	}
	lazy, exact := lazyAndExactText(t, sc)
	require.Equal(t, exact, lazy, "lazy trace (actual) differs from exact (expected)")
}
