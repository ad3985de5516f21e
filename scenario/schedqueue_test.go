package scenario_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// schedBackoffScenario is a review's example: two nodes pool=a, w1 cordoned, w2's
// kubelet stopped, so the two web pods are evicted at 70.1 s (unreachable tolerated
// 5 s) and their replacements fit nowhere. Taints added to cp, a node they do not
// select, at 71.5, 73.6 and 77.7 s, then w1 uncordoned at 78 s.
const schedBackoffScenario = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: sched-backoff}
spec:
  duration: 2m
  kubernetesVersion: "%s"
  nodes:
    - name: cp
    - name: w1
      labels: {pool: a}
    - name: w2
      labels: {pool: a}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            nodeSelector: {pool: a}
            containers: [{name: a, image: x}]
            tolerations:
              - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 5}
  events:
    - at: 10s
      cordon: {node: w1}
    - at: 11s
      stopKubelet: {node: w2}
    - at: 71.5s
      taint: {node: cp, taint: "a=1:NoSchedule"}
    - at: 73.6s
      taint: {node: cp, taint: "b=1:NoSchedule"}
    - at: 77.7s
      taint: {node: cp, taint: "c=1:NoSchedule"}
    - at: 78s
      uncordon: {node: w1}
`

// The taints on cp concern no plugin that rejected the replacements (1.32+: hints;
// 1.31: cp fails preCheckForNode's node affinity check), so they stay unschedulable
// with one attempt and a 1 s backoff long over, and the uncordon at 78 s binds them
// in the next two cycles. nodesim used to move them at each taint, doubling their
// backoff, and bound them at 85.72 s (79.72 s in 1.32 and 1.33, where the node
// lifecycle controller evicts them at 75.1 s; at 65.1 s in 1.31).
func TestSchedulerQueueIgnoresIrrelevantTaints(t *testing.T) {
	for _, v := range []string{"1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"} {
		t.Run(v, func(t *testing.T) {
			res := run(t, "sched-backoff.yaml", fmt.Sprintf(schedBackoffScenario, v), scenario.RunOptions{})
			var bound []time.Duration
			failed := map[string]int{}
			for _, r := range res.Records() {
				if r.Kind == "PodScheduled" && r.T > 60*time.Second {
					require.Equal(t, "w1", r.Str("node"))
					bound = append(bound, r.T)
				}
				if r.Kind == "FailedScheduling" && r.T > 60*time.Second {
					failed[r.Str("pod")]++
					require.True(t, strings.HasPrefix(r.Str("message"), "0/3 nodes are available"))
				}
			}
			require.Len(t, failed, 2)
			for p, n := range failed {
				require.Equal(t, 1, n, "%s tried once before the uncordon", p)
			}
			require.Equal(t, []time.Duration{78010 * time.Millisecond, 78020 * time.Millisecond}, bound)
		})
	}
}
