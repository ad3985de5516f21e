package kubelet

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Behind a partition or an outage, lazy mode replays what exact mode ran; these
// schedules reach each way the replay can end (heal, a fault on the kubelet, an outage
// starting or ending, a fault long enough for the lease backoff to sit at its cap)
// with jitter on, and the two modes must agree on the trace and on what an observer
// sees at every fault.
func TestBehindEqualsExact(t *testing.T) {
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
		{"outage", []fault{{10 * m, fOutage, 0}, {20 * m, fOutageEnd, 0}}, 40 * m},
		{"pressure-in-outage", []fault{{10 * m, fOutage, 0}, {13 * m, fPressure, 1}, {20 * m, fOutageEnd, 0}}, 45 * m},
		{"partition-through-outage", []fault{{10 * m, fOutage, 0}, {12 * m, fPartition, 0}, {20 * m, fOutageEnd, 0}, {26 * m, fHeal, 0}}, 45 * m},
		{"restart-in-outage", []fault{{10 * m, fOutage, 0}, {15 * m, fRestart, 1}, {17 * m, fStop, 0}, {90 * m, fOutageEnd, 0}, {91 * m, fStart, 0}}, 110 * m},
		// cut off for days: the replay walks whole jitter cycles (walkBehind)
		{"two-days", []fault{{10 * m, fPartition, 0}, {10 * m, fPartition, 1}, {2*24*60*m + 7*m, fHeal, 0}, {2*24*60*m + 9*m, fHeal, 1}}, 2*24*60*m + 30*m},
		{"day-long-outage", []fault{{10 * m, fOutage, 0}, {24*60*m + 3*m, fOutageEnd, 0}}, 24*60*m + 20*m},
		{"pressure-then-days", []fault{{10 * m, fPartition, 0}, {11 * m, fPressure, 0}, {3*24*60*m + m, fHeal, 0}}, 3*24*60*m + 20*m},
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

// A kubelet cut off by a partition or an outage schedules nothing in lazy mode once its
// status loop and its lease backoff have settled into failing; exact mode runs every
// try.
func TestBehindSchedulesNothing(t *testing.T) {
	for _, outage := range []bool{false, true} {
		exact, lazy := behindFired(t, true, outage), behindFired(t, false, outage)
		require.Greater(t, exact, uint64(500), "exact mode runs each try of the hour (outage %v)", outage)
		require.Zero(t, lazy, "lazy mode runs nothing behind the fault (outage %v)", outage)
	}
}

// behindFired is the number of events a kubelet fires in the second hour of a fault.
func behindFired(t *testing.T, exact, outage bool) uint64 {
	e := sim.New(sim.WithSeed(3))
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	k, err := New(s, "node-0", Config{Exact: exact})
	require.NoError(t, err)
	k.Start()
	require.NoError(t, e.RunUntil(10*time.Minute))
	k.Unsteady()
	if outage {
		s.SetOutage(true)
	} else {
		k.Client().SetPartitioned(true)
	}
	// the first failing syncs: a report falls due within 5 min ± 2.5 min
	require.NoError(t, e.RunUntil(20*time.Minute))
	before := e.Fired()
	require.NoError(t, e.RunUntil(80*time.Minute))
	return e.Fired() - before
}

// The end of the fault alone (no Unsteady, as when the scenario's partition heals or
// its outage ends) catches the loops up: the client's BeforeChange hook.
func TestBehindFaultEndCatchesUp(t *testing.T) {
	for _, outage := range []bool{false, true} {
		run := func(exact bool) string {
			e := sim.New(sim.WithSeed(5))
			s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
			k, err := New(s, "node-0", Config{Exact: exact})
			require.NoError(t, err)
			k.Start()
			var seen string
			_, _ = e.At(10*time.Minute, func() {
				k.Unsteady()
				if outage {
					s.SetOutage(true)
				} else {
					k.Client().SetPartitioned(true)
				}
			})
			_, _ = e.At(20*time.Minute, func() {
				if outage {
					s.SetOutage(false)
				} else {
					k.Client().SetPartitioned(false)
				}
			})
			_, _ = e.At(21*time.Minute, func() {
				k.Unsteady()
				seen = observe(s, []string{"node-0"})
			})
			require.NoError(t, e.RunUntil(21*time.Minute))
			return seen
		}
		exact, lazy := run(true), run(false)
		require.Contains(t, exact, "renew=12", "renewed within a minute of the end (outage %v)", outage)
		require.Equal(t, exact, lazy, "outage %v", outage)
	}
}
