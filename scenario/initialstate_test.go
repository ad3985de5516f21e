package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A cluster that starts out running traces nothing of its past, so its expectations
// start from the state at time zero of the nodes and pods they name: a node that stays
// Ready is Ready, a bare pod that runs is Ready and not deleted, and the control-plane
// taint a node registered with is there.
func TestRunningStartExpectationsSeeTimeZero(t *testing.T) {
	res := run(t, "running-expect.yaml", `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: running-expect}
spec:
  duration: 2m
  start: running
  nodes:
    - name: cp
      kubelet:
        registerWithTaints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
    - name: w0
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default}
      spec:
        nodeName: w0
        containers: [{name: app, image: nginx}]
  expect:
    - at: 1m
      node: w0
      ready: "True"
    - at: 1m
      node: cp
      taint: node-role.kubernetes.io/control-plane:NoSchedule
    - at: 1m
      pod: default/p
      ready: "True"
    - at: 1m
      pod: default/p
      deleted: false
`, scenario.RunOptions{})
	for _, e := range res.Expectations {
		require.True(t, e.OK, "%+v", e)
	}
}
