package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// Required node affinity by field (metadata.name), as the DaemonSet controller writes
// it upstream and users pin pods: the pod goes to the named node. The field used to
// be dropped at load, leaving a term that matched no node, so the pod never ran.
func TestRequiredAffinityMatchFields(t *testing.T) {
	res := run(t, "match-fields", `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
spec:
  duration: 1m
  nodes: [{name: w1}, {name: w2}, {name: w3}]
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: pinned}
      spec:
        containers: [{name: app, image: nginx}]
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms: [{matchFields: [{key: metadata.name, operator: In, values: [w2]}]}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: not-w1-w2}
      spec:
        containers: [{name: app, image: nginx}]
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions: [{key: kubernetes.io/hostname, operator: NotIn, values: [w1]}]
                  matchFields: [{key: metadata.name, operator: NotIn, values: [w2]}]
`, scenario.RunOptions{})
	_, ok := first(res.Records(), "PodScheduled", "pod", "default/pinned", "node", "w2")
	require.True(t, ok, "pinned runs on w2")
	_, ok = first(res.Records(), "PodScheduled", "pod", "default/not-w1-w2", "node", "w3")
	require.True(t, ok, "expressions and fields are ANDed: only w3 is left")
}

// Preferred node affinity is loaded and scored: of three empty nodes the pod goes to
// the one in the zone it prefers most (the cluster is up when the pod is scheduled).
func TestPreferredAffinityLoaded(t *testing.T) {
	res := run(t, "preferred", `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
spec:
  duration: 1m
  start: running
  nodes: [{name: a-0, zone: a}, {name: b-0, zone: b}, {name: c-0, zone: c}]
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: app, image: nginx}]
        affinity:
          nodeAffinity:
            preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 20, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [b]}]}}
              - {weight: 70, preference: {matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [c]}]}}
`, scenario.RunOptions{})
	_, ok := first(res.Records(), "PodScheduled", "pod", "default/p", "node", "c-0")
	require.True(t, ok, "p runs on c-0")
}
