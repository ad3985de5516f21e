package scenario_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// runLazy builds sc's world in lazy mode, checks that every node Lease is deferred
// (apiserver.Server.RestoreNodeLease), runs it to the end and returns how many
// Leases are still not built, and the text trace.
func runLazy(t *testing.T, sc *scenario.Scenario, nodes int) (deferred int, text string) {
	t.Helper()
	w, err := scenario.Build(sc, scenario.RunOptions{})
	require.NoError(t, err)
	require.Equal(t, nodes, w.Server.DeferredLeases(), "a running start defers the steady kubelets' Leases")
	require.NoError(t, w.Engine.RunUntil(sc.Spec.Duration))
	var b strings.Builder
	res := &scenario.Result{Scenario: sc, Seed: w.Engine.Seed(), End: sc.Spec.Duration, Trace: w.Trace, World: w}
	require.NoError(t, res.WriteText(&b))
	return w.Server.DeferredLeases(), b.String()
}

// A healthy cluster that starts out running builds none of its node Leases through a
// run: the node lifecycle controller lists them as summaries (apiserver.EachLeaseSummary),
// a steady kubelet renews virtually, and the controller-manager that dies and is
// restarted (a failover) discards its caches instead of copying them out of the store.
// The Leases' records (40 bytes each) stay where the Leases (224 bytes) would be: the
// saving of BenchmarkBuild's live-B/node holds for the run too.
func TestHealthyRunningStartBuildsNoLease(t *testing.T) {
	for _, version := range []string{"1.31", "1.37"} {
		sc, err := scenario.Parse("healthy.yaml", []byte(longFaultScenario(version, "3h",
			"    - at: 1h\n      failoverControllerManager: {}\n")))
		require.NoError(t, err)
		deferred, lazy := runLazy(t, sc, 30)
		require.Equal(t, 30, deferred, "%s: Leases built during the run", version)
		require.Contains(t, lazy, "Leader", "%s: the controller-manager failed over", version)
		_, exact := lazyAndExactText(t, sc)
		require.Equal(t, exact, lazy, "%s: lazy trace (actual) differs from exact (expected)", version)
	}
}

// A node whose kubelet stops has its Lease built (the kubelet writes its last renewal
// when it stops, and the controller's circuit breaker GETs it under 1.37) and no other
// node's is; the trace is exact mode's. The run ends before the node's pods are evicted
// (whose replacements would wake other kubelets).
func TestStoppedKubeletBuildsItsLease(t *testing.T) {
	for _, version := range []string{"1.31", "1.37"} {
		sc, err := scenario.Parse("stop.yaml", []byte(longFaultScenario(version, "14m",
			"    - at: 10m\n      stopKubelet: {node: b-3}\n")))
		require.NoError(t, err)
		deferred, lazy := runLazy(t, sc, 30)
		require.Equal(t, 29, deferred, "%s: only b-3's Lease is built", version)
		require.Contains(t, lazy, "NodeCondition node=b-3 type=Ready from=True to=Unknown", version)
		require.Contains(t, lazy, "TaintAdded node=b-3 taint=node.kubernetes.io/unreachable:NoExecute", version)
		require.NotContains(t, lazy, "PodEvicted", version)
		_, exact := lazyAndExactText(t, sc)
		require.Equal(t, exact, lazy, "%s: lazy trace (actual) differs from exact (expected)", version)
	}
}
