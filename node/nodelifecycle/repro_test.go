package nodelifecycle

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Cases the property once found, kept as regressions.
func TestLazyEqualsExactRegressions(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	tests := []struct {
		name string
		spec clusterSpec
	}{
		{"stop before the controller's first event (write listed at Start)", clusterSpec{version: 31, latency: 3 * time.Millisecond,
			zones: []int{0, 0, 0, 0}, actions: []action{{at: ms(1.3), node: 0, kind: 0}}}},
		{"restart, status write while steady, stop before the pass that sees them", clusterSpec{version: 31, zones: []int{0, 0},
			actions: []action{{at: ms(1.3), node: 1, kind: 0}, {at: ms(8.3), node: 1, kind: 1}, {at: ms(12.3), node: 1, kind: 3}, {at: ms(327.3), node: 1, kind: 0}}}},
		{"a tick on the instant of the pass that enqueues reads the cache before the pass's own write arrives", clusterSpec{version: 34,
			zones: make([]int, 21), actions: []action{{at: ms(6.3), node: 4, kind: 0}, {at: ms(87.3), node: 2, kind: 0},
				{at: ms(157216.3), node: 1, kind: 0}, {at: ms(29.3), node: 20, kind: 0}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(runReference(t, tt.spec), runCluster(t, tt.spec, false, true)); d != "" {
				t.Fatal("exact mode differs from the reference:", d)
			}
			exact := runCluster(t, tt.spec, false, true)
			lazy := runCluster(t, tt.spec, true, false)
			if d := cmp.Diff(exact, lazy); d != "" {
				t.Fatal(d)
			}
		})
	}
}
