package scenario_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/sim"
)

// onePodOnW0 runs three nodes w0–w2 of version, with pod default/p on w0 (its
// container spec extended by container, its pod spec by spec), and events.
func onePodOnW0(t *testing.T, version, container, spec, events string, seed uint64) []sim.Record {
	t.Helper()
	y := `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: w0}
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
` + container + spec + `  events:
` + events
	return run(t, "w0.yaml", y, scenario.RunOptions{Seed: &seed}).Records()
}

// A kubelet restart on a running node does not report the node NotReady: Run waits
// for its first updateRuntimeUp before the status loop starts, and the container
// runtime, which outlives the kubelet process, is up (pkg/kubelet/kubelet.go Run,
// v1.31.0–v1.37.2). So no not-ready taint, and a pod that tolerates not-ready for 2 s
// stays. A machine that powers on starts its runtime afresh: its node is NotReady
// until the first runtime check, and that pod is evicted.
func TestKubeletRestartKeepsNodeReady(t *testing.T) {
	tolerate := "        tolerations:\n          - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}\n"
	for _, tc := range []struct {
		name, events string
		blip         bool
	}{
		{"restartKubelet", "    - at: 100s\n      restartKubelet: {node: w0}\n", false},
		{"stopKubelet-then-start", "    - at: 100s\n      stopKubelet: {node: w0}\n    - at: 110s\n      startKubelet: {node: w0}\n", false},
		{"powerOff-then-on", "    - at: 100s\n      powerOff: {node: w0}\n    - at: 110s\n      powerOn: {node: w0}\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var notReady, tainted, evicted bool
			for _, r := range onePodOnW0(t, "1.37", "", tolerate, tc.events, 1) {
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

// podReadyChanges are default/p's PodReady records from 100 s on, as "T from→to".
func podReadyChanges(recs []sim.Record) []string {
	var got []string
	for _, r := range recs {
		if r.Kind == "PodReady" && r.Str("pod") == "default/p" && r.T >= 100*time.Second {
			got = append(got, r.T.String()+" "+r.Str("from")+"→"+r.Str("to"))
		}
	}
	return got
}

// After a machine powers on, its pods' containers start again: the API still shows
// them Ready from before it went down, and the kubelet's first status for them (no
// container running, an empty status manager cache), at its sync loop's first pass
// (1.5 s: the runtime's first check succeeds at 1 s), puts Ready to False until they
// run again (PodStartDelay, 1 s). A restarted kubelet, whose containers kept running,
// writes nothing for them.
func TestPowerOnPodsNotReadyUntilStarted(t *testing.T) {
	for _, tc := range []struct {
		name, events string
		want         []string
	}{
		{"powerOn", "    - at: 100s\n      powerOff: {node: w0}\n    - at: 120s\n      powerOn: {node: w0}\n",
			[]string{"2m1.5s True→False", "2m2.5s False→True"}},
		{"restartKubelet", "    - at: 120s\n      restartKubelet: {node: w0}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, podReadyChanges(onePodOnW0(t, "1.37", "", "", tc.events, 1)))
		})
	}
}

// A pod with a readiness probe across a kubelet restart: up to 1.34 the new process
// has no probe result, so the pod is not Ready from the restart until its first probe,
// a random part of periodSeconds later (prober/worker.go run); from 1.35 it stays
// Ready (ChangeContainerStatusOnKubeletRestart off by default).
func TestKubeletRestartReadinessProbe(t *testing.T) {
	probe := "            readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 5, periodSeconds: 10}\n"
	restart := "    - at: 100s\n      restartKubelet: {node: w0}\n"
	for _, version := range []string{"1.31", "1.33", "1.34", "1.35", "1.37"} {
		t.Run(version, func(t *testing.T) {
			for seed := uint64(1); seed <= 5; seed++ {
				got := podReadyChanges(onePodOnW0(t, version, probe, "", restart, seed))
				if version >= "1.35" {
					require.Empty(t, got, "seed %d", seed)
					continue
				}
				require.Len(t, got, 2, "seed %d", seed)
				require.Equal(t, "1m40s True→False", got[0], "not Ready at the restart")
				f := strings.Fields(got[1])
				require.Equal(t, "False→True", f[1])
				back, err := time.ParseDuration(f[0])
				require.NoError(t, err)
				require.Greater(t, back, 100*time.Second)
				require.Less(t, back, 110*time.Second, "Ready again within one period")
			}
		})
	}
}
