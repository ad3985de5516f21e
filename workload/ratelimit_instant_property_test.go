package workload

import (
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Within the burst a rate-limited ReplicaSet or DaemonSet controller behaves as an
// unlimited one even when actions fall at the same instant (a gap of 0) or close
// together: the verbose traces are equal.
func TestPropertyWithinBurstSameInstantAsUnlimited(t *testing.T) {
	rapid.Check(t, withinBurstAsUnlimited(t, burstDraws{
		maxActions: 3, gaps: []time.Duration{0, 2 * time.Second},
		maxB: 3, nodesAdded: func(int) int { return 1 },
	}))
}
