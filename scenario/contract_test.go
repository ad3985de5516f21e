package scenario_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// contractExample returns the first YAML block of docs/SCENARIOS.md: the contract's own
// example scenario.
func contractExample(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "docs", "SCENARIOS.md"))
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	require.True(t, ok, "no ```yaml block in docs/SCENARIOS.md")
	block, _, ok := strings.Cut(rest, "```")
	require.True(t, ok, "unterminated ```yaml block in docs/SCENARIOS.md")
	return block
}

// The contract's example scenario, exactly as docs/SCENARIOS.md writes it, loads and
// runs with its expectations holding. Its Deployment's pod template has no containers
// (upstream requires one; nodesim accepts none, see scenario/spec's package doc): the
// pods are created, scheduled and turn Ready as any other.
func TestContractExample(t *testing.T) {
	src := contractExample(t)
	sc, err := scenario.Parse("SCENARIOS.md", []byte(src))
	require.NoError(t, err)
	require.Len(t, sc.Spec.Expect, 2)
	require.Empty(t, sc.Spec.Objects[0].Deployment.Spec.Template.Spec.Containers, "the example's template has no containers")
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	require.Empty(t, res.Failed())
	require.True(t, res.OK())
	_, ok := first(res.Records(), "WorkloadReady", "workload", "deployment/default/web", "ready", "3")
	require.True(t, ok, "the Deployment's 3 container-less pods turn Ready")
}

// A pod without containers requests nothing, starts and turns Ready when its kubelet
// starts it, and is evicted like any other: by the taint eviction controller once its
// node is unreachable, and by a drain.
func TestPodWithoutContainers(t *testing.T) {
	res := run(t, "no-containers.yaml", `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: no-containers}
spec:
  duration: 6m
  nodes:
    - {name: a, cpu: "0"}
    - {name: b, labels: {pool: b}}
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: bare}
      spec:
        nodeName: a
        tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}]
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            nodeSelector: {pool: b}
  events:
    - {at: 60s, stopKubelet: {node: a}}
    - {at: 60s, drain: {node: b}}
  expect:
    - {at: 50s, pod: default/bare, ready: "True"}
    - {by: 50s, deployment: web, readyReplicas: {min: 2}}
    - {by: 4m, pod: default/bare, evicted: true}
`, scenario.RunOptions{})
	require.Empty(t, res.Failed())
	require.True(t, res.OK())
	_, ok := first(res.Records(), "PodEvicted", "pod", "default/bare", "reason", "TaintManagerEviction")
	require.True(t, ok, "the taint eviction controller evicts a pod without containers")
	drained, recs := 0, res.Records()
	for i := range recs {
		if r := &recs[i]; r.Kind == "PodEvicted" && r.Str("reason") == "Drain" && strings.HasPrefix(r.Str("pod"), "default/web-") {
			drained++
		}
	}
	require.Equal(t, 2, drained, "the drain evicts both container-less pods of b")
}
