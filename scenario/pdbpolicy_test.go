package scenario_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A budget's unhealthyPodEvictionPolicy reaches the eviction API: a 2-replica
// Deployment, one pod per worker, minAvailable 2. test-worker is cut off at 60 s, so
// its pod is marked not Ready at 105.105 s and the budget is not satisfied (1 healthy
// of 2). A drain of test-worker at 120 s evicts that pod at once under AlwaysAllow;
// under IfHealthyBudget (the default) it is refused every 5 s until the timeout.
func TestDrainUnhealthyPodEvictionPolicy(t *testing.T) {
	for _, policy := range []string{"AlwaysAllow", "IfHealthyBudget"} {
		t.Run(policy, func(t *testing.T) {
			y := fmt.Sprintf(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: drain-unhealthy}
spec:
  duration: 5m
  nodes:
    - name: test-control-plane
      kubelet:
        registerWithTaints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
    - name: test-worker
    - name: test-worker2
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 0
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: nginx}]
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: web, namespace: default}
      spec:
        minAvailable: 2
        selector: {matchLabels: {app: web}}
        unhealthyPodEvictionPolicy: %s
  events:
    - at: 30s
      scale: {deployment: web, replicas: 2}
    - at: 60s
      partition: {node: test-worker}
    - at: 2m
      drain: {node: test-worker, timeout: 2m}
`, policy)
			res := run(t, "drain-unhealthy.yaml", y, scenario.RunOptions{})
			var notReady, evicted time.Duration = -1, -1
			refused := 0
			for _, r := range res.Records() {
				if r.Str("node") != "test-worker" {
					continue
				}
				switch {
				case r.Kind == "PodReady" && r.Str("to") == "False":
					notReady = r.T
				case r.Kind == "PodEvicted" && r.Str("reason") == "Drain":
					evicted = r.T
				case r.Kind == "EvictionRefused":
					refused++
				}
			}
			require.Positive(t, notReady, "the pod on test-worker is marked not Ready")
			require.Less(t, notReady, 120*time.Second)
			if policy == "AlwaysAllow" {
				require.Equal(t, 120*time.Second, evicted, "evicted at once without a disruption")
				require.Zero(t, refused)
				return
			}
			require.Equal(t, time.Duration(-1), evicted)
			require.Equal(t, 24, refused, "refused at 120 s and every 5 s until the 2 m timeout")
		})
	}
}
