package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
)

// limitedSpec is a random cluster of genCluster with pods on its nodes and a small
// client rate limit for the controller.
type limitedSpec struct {
	clusterSpec
	pods  []int // pods per node
	limit flowcontrol.RateLimit
}

func genLimited(t *rapid.T) limitedSpec {
	spec := limitedSpec{clusterSpec: genCluster(t)}
	for range spec.zones {
		spec.pods = append(spec.pods, rapid.IntRange(0, 5).Draw(t, "pods"))
	}
	spec.limit = flowcontrol.RateLimit{
		QPS:   float32(rapid.IntRange(1, 5).Draw(t, "qps")),
		Burst: rapid.IntRange(1, 10).Draw(t, "burst"),
	}
	return spec
}

// runLimited runs the cluster with the controller limited to lim (exact controller
// with exact kubelets, or lazy with steady ones) and returns its trace.
func runLimited(t tb, spec limitedSpec, lim flowcontrol.RateLimit, lazy bool) string {
	cfg := DefaultConfig(spec.version)
	cfg.WatchLatency = spec.latency
	cfg.Exact = !lazy
	cfg.RateLimit = lim
	w := newWorld(t, cfg)
	startZoned(w, spec.clusterSpec, lazy)
	admin := w.s.NewClient("admin", time.Second)
	for i, n := range spec.pods {
		for j := range n {
			_, err := w.s.Pods.Create(admin, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("p%02d-%d", i, j)},
				NodeName: fmt.Sprintf("n%02d", i), Phase: apiserver.PodRunning,
				Conditions: []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}}})
			require.NoError(t, err)
		}
	}
	w.run(time.Millisecond)
	w.nc.Start()
	schedule(w, spec.clusterSpec)
	w.run(10 * time.Minute)
	return text(t, w.tr.Records())
}

// TestLazyEqualsExactRateLimited: with a small client rate limit (QPS 1-5, burst
// 1-10), so that passes wait for their tokens and run over seconds, lazy mode gives the
// same trace as exact mode on the random clusters of TestLazyEqualsExact, with pods.
func TestLazyEqualsExactRateLimited(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genLimited(t)
		exact := runLimited(t, spec, spec.limit, false)
		lazy := runLimited(t, spec, spec.limit, true)
		if d := cmp.Diff(exact, lazy); d != "" {
			t.Fatalf("version 1.%d latency %v zones %v pods %v limit %+v actions %+v\nlazy differs from exact (-exact +lazy):\n%s",
				spec.version, spec.latency, spec.zones, spec.pods, spec.limit, spec.actions, d)
		}
	})
}

// TestRateLimitWithinBurstChangesNothing: a limit whose burst is never used up gives
// the trace of no limit at all, in both modes: within the burst every request is sent
// at once, inline, as before the controller had a limit.
func TestRateLimitWithinBurstChangesNothing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genLimited(t)
		lazy := rapid.Bool().Draw(t, "lazy")
		free := runLimited(t, spec, flowcontrol.RateLimit{}, lazy)
		big := runLimited(t, spec, flowcontrol.RateLimit{QPS: 20, Burst: 1 << 20}, lazy)
		if d := cmp.Diff(free, big); d != "" {
			t.Fatalf("lazy %v: a burst never used up changes the trace (-no limit +limit):\n%s", lazy, d)
		}
	})
}

// TestRateLimitChangesTraces keeps the property above from passing for want of
// requests: on fixed draws, the small limits of TestLazyEqualsExactRateLimited change
// the trace of most clusters that mark pods.
func TestRateLimitChangesTraces(t *testing.T) {
	changed, marked := 0, 0
	for seed := range 40 {
		spec := rapid.Custom(genLimited).Example(seed)
		free := runLimited(t, spec, flowcontrol.RateLimit{}, true)
		if !containsPodReadyFalse(free) {
			continue
		}
		marked++
		if free != runLimited(t, spec, spec.limit, true) {
			changed++
		}
	}
	require.Greater(t, marked, 5)
	require.Greater(t, changed*2, marked, "%d of %d changed", changed, marked)
}

func containsPodReadyFalse(s string) bool {
	for i := 0; i+len("PodReady") < len(s); i++ {
		if s[i:i+len("PodReady")] == "PodReady" {
			return true
		}
	}
	return false
}
