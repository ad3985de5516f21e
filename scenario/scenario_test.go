package scenario_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/sim"
)

var update = flag.Bool("update", false, "rewrite golden files")

func run(t *testing.T, name, yaml string, opts scenario.RunOptions) *scenario.Result {
	t.Helper()
	sc, err := scenario.Parse(name, []byte(yaml))
	require.NoError(t, err)
	res, err := scenario.Run(sc, opts)
	require.NoError(t, err)
	return res
}

// first returns the time of the first record of kind whose attributes include all of kv.
func first(recs []sim.Record, kind string, kv ...string) (time.Duration, bool) {
	for i := range recs {
		r := &recs[i]
		if r.Kind != kind {
			continue
		}
		ok := true
		for j := 0; j+1 < len(kv); j += 2 {
			if r.Str(kv[j]) != kv[j+1] {
				ok = false
				break
			}
		}
		if ok {
			return r.T, true
		}
	}
	return 0, false
}

const stopScenario = `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: stop}
spec:
  duration: 8m
  seed: %d
  kubernetesVersion: "%s"
  start: %s
  nodes:
    - name: control-plane
    - name: worker
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: web}
      spec:
        nodeName: worker
        containers: [{name: web, image: nginx}]
  events:
    - at: 60s
      stopKubelet: {node: worker}
`

// The seed question per version (docs/upstream-semantics.md §0a and §10): a kubelet stops
// at S after renewing at R ∈ (S−10.4 s, S]. Ready goes Unknown ≈ grace after the
// first monitor pass that saw R (grace 40 s on 1.31, 50 s from 1.32), the
// unreachable:NoSchedule taint at once, unreachable:NoExecute one monitor pass (≈5 s)
// later up to 1.33 (the observed Ready) and within the 100 ms tainting tick from 1.34
// (the current Ready), and the default-toleration pod is evicted exactly 300 s
// (DefaultTolerationSeconds) after the NoExecute taint. The same holds whether the
// cluster boots at time zero or starts out running.
func TestKubeletStopsPerVersion(t *testing.T) {
	cases := []struct {
		version            string
		grace              time.Duration
		noExecLo, noExecHi time.Duration
	}{
		{"1.31", 40 * time.Second, 4900 * time.Millisecond, 5200 * time.Millisecond},
		{"1.33", 50 * time.Second, 4900 * time.Millisecond, 5200 * time.Millisecond},
		{"1.34", 50 * time.Second, 0, 100 * time.Millisecond},
		{"1.37", 50 * time.Second, 0, 100 * time.Millisecond},
	}
	for _, c := range cases {
		for _, start := range []string{"booting", "running"} {
			for seed := 1; seed <= 5; seed++ {
				t.Run(fmt.Sprintf("%s/%s/seed%d", c.version, start, seed), func(t *testing.T) {
					res := run(t, "stop.yaml", fmt.Sprintf(stopScenario, seed, c.version, start), scenario.RunOptions{})
					stop := 60 * time.Second
					unknown, ok := first(res.Records(), "NodeCondition", "node", "worker", "type", "Ready", "to", "Unknown")
					require.True(t, ok, "worker never went Unknown")
					// R ∈ (S−10.4, S]; the probe pass is within 5 s (+pass durations) after R.
					require.Greater(t, unknown-stop, c.grace-10400*time.Millisecond)
					require.LessOrEqual(t, unknown-stop, c.grace+5200*time.Millisecond)
					ns, ok := first(res.Records(), "TaintAdded", "node", "worker", "taint", "node.kubernetes.io/unreachable:NoSchedule")
					require.True(t, ok)
					require.Equal(t, unknown, ns, "unreachable:NoSchedule is added as soon as the controller's Unknown write is seen")
					ne, ok := first(res.Records(), "TaintAdded", "node", "worker", "taint", "node.kubernetes.io/unreachable:NoExecute")
					require.True(t, ok)
					require.GreaterOrEqual(t, ne-unknown, c.noExecLo)
					require.LessOrEqual(t, ne-unknown, c.noExecHi)
					ev, ok := first(res.Records(), "PodEvicted", "pod", "default/web")
					require.True(t, ok)
					require.Equal(t, 300*time.Second, ev-ne, "default tolerationSeconds 300 from the NoExecute taint")
				})
			}
		}
	}
}

func TestDeterminismAndLazyEqualsExact(t *testing.T) {
	sc, err := scenario.Load("../examples/kubelet-stops.yaml")
	require.NoError(t, err)
	a, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	b, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	require.Equal(t, a.Digest(), b.Digest(), "same scenario and seed give byte-identical traces")
	exact, err := scenario.Run(sc, scenario.RunOptions{Exact: true})
	require.NoError(t, err)
	require.Equal(t, a.Digest(), exact.Digest(), "the steady-state shortcut must not change the trace")
	running, err := sc.With("start", "running")
	require.NoError(t, err)
	r1, err := scenario.Run(running, scenario.RunOptions{})
	require.NoError(t, err)
	r2, err := scenario.Run(running, scenario.RunOptions{})
	require.NoError(t, err)
	require.Equal(t, r1.Digest(), r2.Digest(), "a running start is deterministic too")
	rx, err := scenario.Run(running, scenario.RunOptions{Exact: true})
	require.NoError(t, err)
	require.Equal(t, r1.Digest(), rx.Digest(), "a running start: exact == lazy")
	require.NotEqual(t, a.Digest(), r1.Digest(), "a running start has no boot")
	seed := uint64(99)
	other, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed})
	require.NoError(t, err)
	require.NotEqual(t, a.Digest(), other.Digest(), "another seed gives other heartbeat phases")
}

// TestKubeletStopsGolden pins the worked example's whole timeline.
func TestKubeletStopsGolden(t *testing.T) {
	sc, err := scenario.Load("../examples/kubelet-stops.yaml")
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	require.True(t, res.OK(), "%v", res.Failed())
	var buf bytes.Buffer
	require.NoError(t, res.WriteText(&buf))
	golden := filepath.Join("testdata", "kubelet-stops.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	if d := cmp.Diff(string(want), buf.String()); d != "" {
		t.Fatalf("timeline differs from %s (-want +got); rerun with -update if intended:\n%s", golden, d)
	}
}

// An action on the kubelet before the node's boot instant decides its state: a
// kubelet started early, its Node deleted, then stopped, is not started (and does not
// register again) when its boot instant comes.
func TestEarlyActionsReplaceTheBoot(t *testing.T) {
	sc, err := scenario.Load("scenariotest/testdata/regressions/boot-start-after-early-actions.yaml")
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	registered := 0
	for _, r := range res.Records() {
		if r.Kind == "NodeRegistered" && r.Str("node") == "node-9" {
			registered++
		}
	}
	require.Equal(t, 1, registered, "node-9 registers once, at its early start")
	_, stillThere := res.World.Server.Nodes.Peek("node-9")
	require.False(t, stillThere)
}
