package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

// steadyEvents is how many events each allocation check fires, after warm and as
// many again to warm up (testing.AllocsPerRun runs the function once before
// measuring). One run of that many events makes the result the exact number of
// allocations in the run, not an average rounded down.
const steadyEvents = 100_000

func skipAllocChecks(t *testing.T) {
	t.Helper()
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	if raceEnabled {
		t.Skip("the race detector makes this slow; allocations are checked without it")
	}
}

func requireNoAllocs(t *testing.T, what string, f func()) {
	t.Helper()
	require.Zero(t, testing.AllocsPerRun(1, f), "%s allocates in steady state", what)
}

func TestNoAllocsPerEventTimers(t *testing.T) {
	skipAllocChecks(t)
	k := newTimerKernel(t, 10_000)
	warm(k.e, 10_000)
	requireNoAllocs(t, "Timer.Schedule reuse", func() {
		for range steadyEvents {
			k.e.Step()
		}
	})
}

func TestNoAllocsPerEventOneShots(t *testing.T) {
	skipAllocChecks(t)
	k := newAtKernel(t, 10_000)
	warm(k.e, 10_000)
	requireNoAllocs(t, "Engine.At with pooled one-shots", func() {
		for range steadyEvents {
			k.e.Step()
		}
	})
}

func TestNoAllocsPerEventRunUntil(t *testing.T) {
	skipAllocChecks(t)
	k := newAtKernel(t, 1_000)
	warm(k.e, 1_000)
	requireNoAllocs(t, "RunFor", func() {
		for range 1000 {
			_ = k.e.RunFor(100 * time.Millisecond) // about 10 events each
			_, _ = k.e.Peek()
		}
	})
}

func TestNoAllocsPerEventLoops(t *testing.T) {
	skipAllocChecks(t)
	e := sim.New()
	r := e.Rand("loops")
	for i := range 1000 {
		l, err := e.NewLoop(sim.LoopConfig{Period: 10 * time.Second, JitterFactor: 0.04, Sliding: i%2 == 0, Rand: r},
			func() time.Duration { return time.Millisecond })
		require.NoError(t, err)
		require.NoError(t, l.StartAt(r.Uniform(0, 10*time.Second)))
	}
	warm(e, 1000)
	requireNoAllocs(t, "jittered Loops", func() {
		for range steadyEvents {
			e.Step()
		}
	})
}

// Churn: handles moved and cancelled, timers moved and stopped far more often than
// anything fires, so that stale entries pile up and the queue is compacted.
func TestNoAllocsPerEventChurn(t *testing.T) {
	skipAllocChecks(t)
	e := sim.New()
	var off offsets = 12345
	fire := func() {}
	hs := make([]sim.Handle, 1000)
	for i := range hs {
		hs[i], _ = e.At(off.next(), fire)
	}
	timers := make([]*sim.Timer, 1000)
	for i := range timers {
		timers[i], _ = e.NewTimer(fire)
		_ = timers[i].Schedule(off.next())
	}
	i := 0
	churn := func() {
		for range steadyEvents / 10 {
			i++
			h := &hs[i%len(hs)]
			switch i % 4 {
			case 0:
				if h.Move(e.Now()+off.next()) != nil {
					*h, _ = e.At(e.Now()+off.next(), fire)
				}
			case 1:
				h.Cancel()
				*h, _ = e.At(e.Now()+off.next(), fire)
			case 2:
				_ = timers[i%len(timers)].Schedule(e.Now() + off.next())
			case 3:
				tm := timers[i%len(timers)]
				tm.Stop()
				_ = tm.Schedule(e.Now() + off.next())
			}
			if i%8 == 0 {
				e.Step()
			}
		}
	}
	churn()
	churn()
	require.NoError(t, sim.CheckQueue(e))
	requireNoAllocs(t, "Move, Cancel, Schedule and Stop", churn)
	require.NoError(t, sim.CheckQueue(e))
}

// Adding a record to a streaming trace (a sink, nothing retained) allocates nothing:
// the record is built in place, not on the heap.
func TestNoAllocsPerTraceRecord(t *testing.T) {
	tr := &sim.Trace{Verbose: true}
	tr.SetSink(func(*sim.Record) {})
	if n := testing.AllocsPerRun(1000, func() { tr.Add(1, "K", sim.S("a", "b"), sim.I("n", 3)) }); n != 0 {
		t.Fatalf("Trace.Add allocated %v times per record", n)
	}
}
