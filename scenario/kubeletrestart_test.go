package scenario_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A kubelet restart on a running node does not report the node NotReady: Run waits
// for its first updateRuntimeUp before the status loop starts, and the container
// runtime, which outlives the kubelet process, is up (pkg/kubelet/kubelet.go Run,
// v1.31.0–v1.37.2). So no not-ready taint, and a pod that tolerates not-ready for 2 s
// stays. A machine that powers on starts its runtime afresh: its node is NotReady
// until the first runtime check, and that pod is evicted.
func TestKubeletRestartKeepsNodeReady(t *testing.T) {
	for _, tc := range []struct {
		name, events string
		blip         bool
	}{
		{"restartKubelet", "    - at: 100s\n      restartKubelet: {node: w0}\n", false},
		{"stopKubelet-then-start", "    - at: 100s\n      stopKubelet: {node: w0}\n    - at: 110s\n      startKubelet: {node: w0}\n", false},
		{"powerOff-then-on", "    - at: 100s\n      powerOff: {node: w0}\n    - at: 110s\n      powerOn: {node: w0}\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: restart}
spec:
  duration: 3m
  nodes:
    - namePrefix: w
      count: 3
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default}
      spec:
        nodeName: w0
        containers: [{name: app, image: nginx}]
        tolerations:
          - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
  events:
` + tc.events
			sc, err := scenario.Parse("restart.yaml", []byte(y))
			require.NoError(t, err)
			res, err := scenario.Run(sc, scenario.RunOptions{})
			require.NoError(t, err)
			var notReady, tainted, evicted bool
			for _, r := range res.Records() {
				if r.T < 100*time.Second {
					continue
				}
				switch {
				case r.Kind == "NodeCondition" && r.Str("node") == "w0" && r.Str("type") == "Ready" && r.Str("to") == "False":
					notReady = true
				case r.Kind == "TaintAdded" && r.Str("node") == "w0" && r.Str("taint") == "node.kubernetes.io/not-ready:NoExecute":
					tainted = true
				case r.Kind == "PodEvicted" && r.Str("pod") == "default/p":
					evicted = true
				}
			}
			require.Equal(t, tc.blip, notReady, "Ready=False after 100 s")
			require.Equal(t, tc.blip, tainted, "not-ready:NoExecute after 100 s")
			require.Equal(t, tc.blip, evicted, "the pod evicted")
		})
	}
}

// After a machine powers on, its pods' containers start again: the API still shows
// them Ready from before it went down, and the kubelet's first status for them (no
// container running, an empty status manager cache) puts Ready to False until they
// run again (PodStartDelay, 1 s). A restarted kubelet, whose containers kept running,
// writes nothing for them.
func TestPowerOnPodsNotReadyUntilStarted(t *testing.T) {
	for _, tc := range []struct {
		name, events string
		want         []string
	}{
		{"powerOn", "    - at: 100s\n      powerOff: {node: w0}\n    - at: 120s\n      powerOn: {node: w0}\n",
			[]string{"2m0s True→False", "2m1s False→True"}},
		{"restartKubelet", "    - at: 120s\n      restartKubelet: {node: w0}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: reboot}
spec:
  duration: 3m
  nodes:
    - namePrefix: w
      count: 3
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default}
      spec:
        nodeName: w0
        containers: [{name: app, image: nginx}]
  events:
` + tc.events
			sc, err := scenario.Parse("reboot.yaml", []byte(y))
			require.NoError(t, err)
			res, err := scenario.Run(sc, scenario.RunOptions{})
			require.NoError(t, err)
			var got []string
			for _, r := range res.Records() {
				if r.Kind == "PodReady" && r.Str("pod") == "default/p" && r.T >= 100*time.Second {
					got = append(got, r.T.String()+" "+r.Str("from")+"→"+r.Str("to"))
				}
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// A pod with a readiness probe across a kubelet restart: up to 1.34 the new process
// has no probe result, so the pod is not Ready from the restart until its first probe,
// a random part of periodSeconds later (prober/worker.go run); from 1.35 it stays
// Ready (ChangeContainerStatusOnKubeletRestart off by default).
func TestKubeletRestartReadinessProbe(t *testing.T) {
	for _, version := range []string{"1.31", "1.33", "1.34", "1.35", "1.37"} {
		t.Run(version, func(t *testing.T) {
			y := `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: probe}
spec:
  duration: 3m
  kubernetesVersion: "` + version + `"
  nodes:
    - namePrefix: w
      count: 3
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default}
      spec:
        nodeName: w0
        containers:
          - name: app
            image: nginx
            readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 5, periodSeconds: 10}
  events:
    - at: 100s
      restartKubelet: {node: w0}
`
			for seed := uint64(1); seed <= 5; seed++ {
				sc, err := scenario.Parse("probe.yaml", []byte(y))
				require.NoError(t, err)
				res, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed})
				require.NoError(t, err)
				var changes []time.Duration
				var froms []string
				for _, r := range res.Records() {
					if r.Kind == "PodReady" && r.Str("pod") == "default/p" && r.T >= 100*time.Second {
						changes = append(changes, r.T)
						froms = append(froms, r.Str("from"))
					}
				}
				if version >= "1.35" {
					require.Empty(t, changes, "seed %d", seed)
					continue
				}
				require.Len(t, changes, 2, "seed %d", seed)
				require.Equal(t, []string{"True", "False"}, froms)
				require.Equal(t, 100*time.Second, changes[0], "not Ready at the restart")
				require.Greater(t, changes[1], 100*time.Second)
				require.Less(t, changes[1], 110*time.Second, "Ready again within one period")
			}
		})
	}
}
