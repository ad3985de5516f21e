package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// From an audit of the derived answers (session 15). In a cluster that starts out
// running, a Deployment's ready replicas are known from time zero: an `after:` that
// must not hold before its time is not failed by the moment before the first record
// (it read 0 ready there), and a `by: 0s` is judged on the restored count. A pod that
// is deleted is no longer Ready (it kept its last Ready value).
func TestExpectationsInitialWorkloadAndDeletedPod(t *testing.T) {
	res := run(t, "expect-audit.yaml", `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: expect-audit}
spec:
  duration: 5m
  start: running
  nodes:
    - {name: a}
    - {name: b}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 4
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: nginx}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: solo, namespace: default}
      spec:
        nodeName: b
        containers: [{name: c, image: nginx}]
  events:
    - at: 60s
      stopKubelet: {node: a}
    - at: 100s
      drain: {node: b, timeout: 2m}
  expect:
    - after: 30s
      deployment: default/web
      readyReplicas: {max: 3}
    - by: 0s
      deployment: default/web
      readyReplicas: {min: 4}
    - at: 4m
      pod: default/solo
      ready: "True"
`, scenario.RunOptions{})
	require.Len(t, res.Expectations, 3)
	require.True(t, res.Expectations[0].OK, res.Expectations[0].Detail)
	require.True(t, res.Expectations[1].OK, res.Expectations[1].Detail)
	require.False(t, res.Expectations[2].OK, "solo was drained and deleted by 4m")
}

// A readyReplicas expectation with both min and max is a range: both bounds are judged.
// Before, the judge looked at min only when both were given, so a count above max
// passed (found writing examples/node-pool-join.yaml).
func TestExpectationReadyReplicasRange(t *testing.T) {
	res := run(t, "expect-range.yaml", `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: expect-range}
spec:
  duration: 1m
  start: running
  nodes:
    - {name: a}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 4
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: nginx}]
  expect:
    - at: 30s
      deployment: default/web
      readyReplicas: {min: 1, max: 3}
    - at: 30s
      deployment: default/web
      readyReplicas: {min: 5, max: 6}
    - at: 30s
      deployment: default/web
      readyReplicas: {min: 3, max: 4}
`, scenario.RunOptions{})
	require.Len(t, res.Expectations, 3)
	require.False(t, res.Expectations[0].OK, "4 ready is above max 3")
	require.Contains(t, res.Expectations[0].Detail, "readyReplicas=4")
	require.False(t, res.Expectations[1].OK, "4 ready is below min 5")
	require.True(t, res.Expectations[2].OK, res.Expectations[2].Detail)
}
