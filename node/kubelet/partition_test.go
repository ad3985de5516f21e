package kubelet

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Behind a partition, lazy mode replays what exact mode ran; these schedules reach
// each way the replay can end (heal, a fault on the kubelet, an outage, a partition
// long enough for the lease backoff to sit at its cap) with jitter on, and the two
// modes must agree on the trace and on what an observer sees at every fault.
func TestBehindPartitionEqualsExact(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		name   string
		faults []fault
		until  time.Duration
	}{
		{"heal", []fault{{10 * m, fPartition, 0}, {20 * m, fHeal, 0}}, 40 * m},
		// a change during the partition: every sync's try 0 then draws a report delay,
		// which decides when the report after the heal's is due.
		{"pressure-while-partitioned", []fault{{10 * m, fPartition, 0}, {11 * m, fPressure, 0}, {20 * m, fHeal, 0}}, 45 * m},
		{"stop-and-start", []fault{{10 * m, fPartition, 0}, {17 * m, fStop, 0}, {20 * m, fHeal, 0}, {21 * m, fStart, 0}}, 40 * m},
		{"outage-while-partitioned", []fault{{10 * m, fPartition, 0}, {15 * m, fOutage, 0}, {16 * m, fOutageEnd, 0}, {20 * m, fHeal, 1}, {25 * m, fHeal, 0}}, 45 * m},
		{"two-hours", []fault{{10 * m, fPartition, 0}, {10 * m, fPartition, 1}, {130 * m, fHeal, 0}, {131 * m, fHeal, 1}}, 150 * m},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d1, t1, o1 := runSchedule(t, true, true, 2, tc.faults, tc.until)
			d2, t2, o2 := runSchedule(t, false, true, 2, tc.faults, tc.until)
			require.Equal(t, o1, o2)
			require.Equal(t, t1, t2)
			require.Equal(t, d1, d2)
		})
	}
}

// A partitioned kubelet in lazy mode schedules nothing once its status loop and its
// lease backoff have settled into failing; exact mode runs every try.
func TestBehindPartitionSchedulesNothing(t *testing.T) {
	fired := func(exact bool) uint64 {
		e := sim.New(sim.WithSeed(3))
		s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
		k, err := New(s, "node-0", Config{Exact: exact})
		require.NoError(t, err)
		k.Start()
		require.NoError(t, e.RunUntil(10*time.Minute))
		k.Unsteady()
		k.Client().SetPartitioned(true)
		// the first failing syncs: a report falls due within 5 min ± 2.5 min
		require.NoError(t, e.RunUntil(20*time.Minute))
		before := e.Fired()
		require.NoError(t, e.RunUntil(80*time.Minute))
		return e.Fired() - before
	}
	exact, lazy := fired(true), fired(false)
	require.Greater(t, exact, uint64(500), "exact mode runs each try of the hour")
	require.Zero(t, lazy, "lazy mode runs nothing behind the partition")
}
