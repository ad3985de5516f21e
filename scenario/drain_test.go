package scenario_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A drain of several nodes is kubectl drain a b (or -l …): RunDrain cordons every node
// first, then drains them one after the other, each with its own timeout, and goes on
// to the next when one fails. A review found nodesim draining them all at once.
func TestDrainOfSeveralNodesInTurn(t *testing.T) {
	res := run(t, "drain-in-turn.yaml", `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: drain-in-turn}
spec:
  duration: 10m
  start: running
  nodes:
    - {name: a}
    - {name: b}
    - {name: c}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 6
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: nginx}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: stuck, namespace: default}
      spec:
        nodeName: a
        terminationGracePeriodSeconds: 600
        containers: [{name: c, image: nginx}]
  events:
    - at: 60s
      drain: {nodes: [a, b], timeout: 60s}
`, scenario.RunOptions{})
	recs := res.Records()
	secs := func(kind string, kv ...string) time.Duration {
		t.Helper()
		at, ok := first(recs, kind, kv...)
		require.True(t, ok, "no %s %v", kind, kv)
		return at
	}
	// both cordoned at the start
	require.Equal(t, 60*time.Second, secs("TaintAdded", "node", "a", "taint", "node.kubernetes.io/unschedulable:NoSchedule"))
	require.Equal(t, 60*time.Second, secs("TaintAdded", "node", "b", "taint", "node.kubernetes.io/unschedulable:NoSchedule"))
	// a's stuck pod takes 600 s to go: a's drain times out at 120 s, and b's starts then
	require.Equal(t, 120*time.Second, secs("DrainFinished", "node", "a", "outcome", "Timeout"))
	require.Equal(t, 120*time.Second, secs("DrainStarted", "node", "b"))
	require.Equal(t, 120*time.Second, secs("PodEvicted", "node", "b", "reason", "Drain"), "b's pods are evicted only in its turn")
	// its own timeout: its pods go after their 30 s grace period
	require.Equal(t, 150*time.Second, secs("DrainFinished", "node", "b", "outcome", "Drained"))
}
