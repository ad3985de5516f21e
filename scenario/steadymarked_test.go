package scenario_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/sim"
)

// steadyMarkedFile is a cluster of three kubelets (node-0, node-14, node-15) under a
// 6 s API-server outage against a 6 s grace period and a client limit of 0.5 QPS,
// burst 1: the monitor pass at 6.03 s finds the three stale, and its eight visitors'
// UpdateStatus requests wait seconds for their tokens while the kubelets come back.
const steadyMarkedFile = "scenariotest/testdata/regressions/steady-kubelet-marked-late.yaml"

// runBoth runs the file lazy and exact with seed and requires identical traces; it
// returns exact mode's verbose records.
func runBoth(t *testing.T, seed uint64) []sim.Record {
	t.Helper()
	sc, err := scenario.Load(steadyMarkedFile)
	require.NoError(t, err)
	lazy, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed})
	require.NoError(t, err)
	exact, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed, Exact: true})
	require.NoError(t, err)
	if lazy.Digest() != exact.Digest() {
		var a, b strings.Builder
		require.NoError(t, lazy.WriteText(&a))
		require.NoError(t, exact.WriteText(&b))
		require.Equal(t, b.String(), a.String(), "lazy trace (actual) differs from exact (expected)")
	}
	verbose, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed, Verbose: true})
	require.NoError(t, err)
	return verbose.Records()
}

// Seed 1: node-14's Unknown is written at 10.03 s, after its kubelet renewed and went
// steady; exact mode's kubelet sees it at its next status sync, 13.32 s, and posts
// Ready. Lazy mode's steady kubelet once never synced and node-14 stayed Unknown. Two
// parts now keep it exact, each enough here: the controller brings the kubelet out of
// steady mode when it sends the write (beforeWriteUnknown), and the kubelet's Node
// handler leaves steady mode when the conditions stop matching what it reports (the
// one that holds with a watch latency, when the kubelet can go steady again before
// the write reaches it; TestSteadyKubeletPostsAfterNodeMarkedUnknown in node/kubelet
// fails without it).
func TestSteadyKubeletMarkedLate(t *testing.T) {
	recs := runBoth(t, 1)
	var unknown, ready time.Duration
	for _, r := range recs {
		if r.Kind == "NodeCondition" && r.Str("node") == "node-14" && r.Str("type") == "Ready" {
			switch r.Str("to") {
			case "Unknown":
				unknown = r.T
			case "True":
				ready = r.T
			}
		}
	}
	require.Equal(t, 10030*time.Millisecond, unknown, "written after its token, 4 s after the decision")
	require.Equal(t, 13319397868*time.Nanosecond, ready, "posted at the kubelet's next status sync")
}

// Seed 3: node-15 is found stale at 6.03 s, its kubelet comes back, goes steady, and
// reports at 10.19 s (a status report due by time) before the UpdateStatus is sent at
// 12.03 s. Exact mode's write meets a conflict, GETs the node and decides again: not
// stale, nothing written. Lazy mode's kubelet made that report only virtually, and the
// write once went through (node-15 Unknown, its pod NotReady); the controller now
// brings the kubelet out of steady mode before the write (beforeWriteUnknown).
func TestSteadyKubeletReportsBeforeUnknownWrite(t *testing.T) {
	recs := runBoth(t, 3)
	patched := false
	for _, r := range recs {
		if r.Str("node") != "node-15" {
			continue
		}
		require.False(t, r.Kind == "NodeCondition", "node-15 never marked: %s at %v", r.Kind, r.T)
		if r.Kind == "NodeStatusPatched" && r.T > 6030*time.Millisecond && r.T < 12030*time.Millisecond {
			patched = true
		}
	}
	require.True(t, patched, "the kubelet reports between the decision and the write")
}

// Eight NoSchedule workers hold booting nodes whose kubelets report while held; the
// nodes are deleted at 22 s, and node-14's removal of not-ready:NoSchedule meets
// NotFound. Exact mode's report at 19.3 s had queued node-14 again, and a worker
// spends a GET on it before the deletion reaches the informer, so node-12's taint goes
// at 40 s. Lazy mode once skipped that GET (node-12 at 38 s); the controller now looks
// at the kubelet's reports when a removal meets NotFound (runSlot, op.gone).
func TestNoScheduleRemovalMeetsDeletedNode(t *testing.T) {
	sc, err := scenario.Load("scenariotest/testdata/regressions/noschedule-removal-meets-deleted-node.yaml")
	require.NoError(t, err)
	lazy, exact := lazyAndExactText(t, sc)
	require.Contains(t, exact, "40s          TaintRemoved node=node-12 taint=node.kubernetes.io/not-ready:NoSchedule")
	require.Equal(t, exact, lazy, "lazy trace (actual) differs from exact (expected)")
}
