package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The seed scenario (docs/upstream-semantics.md §10): two nodes, one zone; the worker's kubelet
// stops right after renewing its Lease at t=0 (here: the kubelets start at -, the
// controller at 0.001 s so its first pass sees that renewal).
func seedWorld(t *testing.T, version int, lazy bool) *world {
	cfg := DefaultConfig(version)
	w := newWorld(t, cfg)
	cp := w.kubelet("test-control-plane", map[string]string{"node-role.kubernetes.io/control-plane": ""}, lazy)
	wk := w.kubelet("test-worker", nil, lazy)
	cp.Start()
	wk.Start()
	w.run(time.Millisecond)
	w.nc.Start()
	w.run(2 * time.Millisecond)
	wk.Stop()
	return w
}

func TestSeedScenario(t *testing.T) {
	ms := time.Millisecond
	pass := func(k int) time.Duration { return ms + time.Duration(k)*(DefaultNodeMonitorPeriod+DefaultPassDuration) }
	tests := []struct {
		version   int
		unknown   time.Duration // Ready→Unknown: the pass after probe + nodeMonitorGracePeriod (strictly after)
		noExecute time.Duration // unreachable:NoExecute: next 100 ms tick (1.34+: current Ready) or one pass later (≤1.33: observed Ready)
	}{
		// 1.31: grace 40 s ⇒ pass 8 (40.041 s); NoExecute at pass 9 (45.046 s) + tick ⇒ 45.101 s.
		{31, pass(8), 45101 * ms},
		// 1.33: grace 50 s ⇒ pass 10 (50.051 s); NoExecute at pass 11 (55.056 s) + tick ⇒ 55.101 s.
		{33, pass(10), 55101 * ms},
		// 1.34 and 1.37: same pass's enqueue ⇒ the next 100 ms tick, 50.101 s.
		{34, pass(10), 50101 * ms},
		{37, pass(10), 50101 * ms},
	}
	for _, tt := range tests {
		for _, lazy := range []bool{false, true} {
			t.Run(fmt.Sprintf("1.%d/lazy=%v", tt.version, lazy), func(t *testing.T) {
				w := seedWorld(t, tt.version, lazy)
				w.run(10 * time.Minute)
				recs := w.tr.Records()
				u, ok := find(recs, "NodeCondition", "node", "test-worker", "type", "Ready", "to", "Unknown")
				require.True(t, ok)
				require.Equal(t, tt.unknown, u.T)
				require.Equal(t, ReasonNodeStatusUnknown, u.Str("reason"))
				ns, ok := find(recs, "TaintAdded", "node", "test-worker", "taint", "node.kubernetes.io/unreachable:NoSchedule")
				require.True(t, ok)
				require.Equal(t, tt.unknown, ns.T, "unreachable:NoSchedule comes with the Unknown write")
				ne, ok := find(recs, "TaintAdded", "node", "test-worker", "taint", "node.kubernetes.io/unreachable:NoExecute")
				require.True(t, ok)
				require.Equal(t, tt.noExecute, ne.T)
				require.Len(t, findAll(recs, "TaintAdded", "taint", "node.kubernetes.io/unreachable:NoExecute"), 1)
				_, ok = find(recs, "NodeCondition", "node", "test-control-plane", "to", "Unknown")
				require.False(t, ok, "the healthy node never goes Unknown")
				require.Equal(t, map[string]ZoneState{"": StateNormal}, w.nc.ZoneStates(), "1 ready + 1 not ready is Normal")
				golden(t, fmt.Sprintf("seed-1.%d", tt.version), text(t, recs))
			})
		}
	}
}
