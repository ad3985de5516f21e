package sim_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

// recorder collects "name@time" for every callback it hands out.
type recorder struct {
	e   *sim.Engine
	got []string
}

func (r *recorder) fn(name string) func() {
	return func() { r.got = append(r.got, fmt.Sprintf("%s@%v", name, r.e.Now())) }
}

func newRecorder(opts ...sim.Option) *recorder { return &recorder{e: sim.New(opts...)} }

func mustAt(t *testing.T, e *sim.Engine, at time.Duration, fn func()) sim.Handle {
	t.Helper()
	h, err := e.At(at, fn)
	require.NoError(t, err)
	return h
}

func checkQueue(t *testing.T, e *sim.Engine) {
	t.Helper()
	require.NoError(t, sim.CheckQueue(e))
}

func TestNewDefaults(t *testing.T) {
	e := sim.New()
	require.Equal(t, time.Duration(0), e.Now())
	require.Equal(t, uint64(1), e.Seed())
	require.Equal(t, sim.DefaultStart, e.Start())
	require.Equal(t, 0, e.Pending())
	require.Equal(t, uint64(0), e.Fired())
	_, ok := e.Peek()
	require.False(t, ok)
	require.False(t, e.Step())

	start := time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)
	e = sim.New(sim.WithSeed(42), sim.WithStart(start))
	require.Equal(t, uint64(42), e.Seed())
	require.Equal(t, start, e.Start())
	require.Equal(t, start.Add(90*time.Second), e.Wall(90*time.Second))
}

func TestOrderByTimeThenScheduling(t *testing.T) {
	r := newRecorder()
	mustAt(t, r.e, 3*time.Second, r.fn("c"))
	mustAt(t, r.e, time.Second, r.fn("a1"))
	mustAt(t, r.e, 2*time.Second, r.fn("b"))
	mustAt(t, r.e, time.Second, r.fn("a2"))
	_, err := r.e.After(time.Second, r.fn("a3"))
	require.NoError(t, err)
	require.Equal(t, 5, r.e.Pending())
	checkQueue(t, r.e)
	r.e.Run()
	require.Equal(t, []string{"a1@1s", "a2@1s", "a3@1s", "b@2s", "c@3s"}, r.got)
	require.Equal(t, uint64(5), r.e.Fired())
	require.Equal(t, 0, r.e.Pending())
	require.Equal(t, 3*time.Second, r.e.Now())
}

func TestScheduleNowFromCallbackRunsAfterThoseAlreadyDue(t *testing.T) {
	r := newRecorder()
	mustAt(t, r.e, time.Second, func() {
		r.fn("first")()
		mustAt(t, r.e, r.e.Now(), r.fn("nested-now"))
		_, err := r.e.After(0, r.fn("nested-after0"))
		require.NoError(t, err)
	})
	mustAt(t, r.e, time.Second, r.fn("second"))
	mustAt(t, r.e, time.Second+1, r.fn("later"))
	r.e.Run()
	require.Equal(t, []string{"first@1s", "second@1s", "nested-now@1s", "nested-after0@1s", "later@1.000000001s"}, r.got)
}

func TestSchedulingErrors(t *testing.T) {
	e := sim.New()
	require.NoError(t, e.RunUntil(10*time.Second))

	_, err := e.At(9*time.Second, func() {})
	require.ErrorIs(t, err, sim.ErrPast)
	_, err = e.After(-1, func() {})
	require.ErrorIs(t, err, sim.ErrPast)
	_, err = e.At(20*time.Second, nil)
	require.ErrorIs(t, err, sim.ErrNilFunc)
	_, err = e.After(time.Second, nil)
	require.ErrorIs(t, err, sim.ErrNilFunc)
	_, err = e.NewTimer(nil)
	require.ErrorIs(t, err, sim.ErrNilFunc)
	require.ErrorIs(t, e.RunUntil(9*time.Second), sim.ErrPast)
	require.ErrorIs(t, e.RunFor(-1), sim.ErrPast)
	require.Equal(t, 10*time.Second, e.Now(), "a failed RunUntil leaves the clock alone")

	tm, err := e.NewTimer(func() {})
	require.NoError(t, err)
	require.ErrorIs(t, tm.Schedule(9*time.Second), sim.ErrPast)
	require.ErrorIs(t, tm.ScheduleAfter(-time.Nanosecond), sim.ErrPast)
	require.False(t, tm.Pending())

	// The exact current instant is not the past.
	h, err := e.At(10*time.Second, func() {})
	require.NoError(t, err)
	require.ErrorIs(t, h.Move(10*time.Second-1), sim.ErrPast)
	require.True(t, h.Pending(), "a failed Move leaves the event as it was")
	require.Equal(t, 10*time.Second, h.When())
	require.Equal(t, 1, e.Pending())
	checkQueue(t, e)
}

func TestHandleLifecycle(t *testing.T) {
	r := newRecorder()
	h := mustAt(t, r.e, 5*time.Second, r.fn("x"))
	require.True(t, h.Pending())
	require.Equal(t, 5*time.Second, h.When())

	require.NoError(t, h.Move(2*time.Second))
	require.Equal(t, 2*time.Second, h.When())
	require.NoError(t, r.e.RunUntil(time.Second))
	require.Empty(t, r.got)
	require.True(t, h.Pending())
	require.NoError(t, r.e.RunUntil(3*time.Second))
	require.Equal(t, []string{"x@2s"}, r.got)

	// Fired: every method reports a stale handle.
	require.False(t, h.Pending())
	require.Equal(t, time.Duration(0), h.When())
	require.False(t, h.Cancel())
	require.ErrorIs(t, h.Move(4*time.Second), sim.ErrStaleHandle)

	// Cancelled: the same.
	h2 := mustAt(t, r.e, 4*time.Second, r.fn("y"))
	require.True(t, h2.Cancel())
	require.False(t, h2.Cancel())
	require.False(t, h2.Pending())
	require.ErrorIs(t, h2.Move(5*time.Second), sim.ErrStaleHandle)
	require.ErrorIs(t, h2.Move(0), sim.ErrStaleHandle, "stale is reported before past")
	r.e.Run()
	require.Equal(t, []string{"x@2s"}, r.got)

	// The zero Handle is stale.
	var zero sim.Handle
	require.False(t, zero.Pending())
	require.False(t, zero.Cancel())
	require.ErrorIs(t, zero.Move(time.Hour), sim.ErrStaleHandle)
	require.Equal(t, time.Duration(0), zero.When())
}

// A fired or cancelled one-shot's timer goes back to the pool and backs the next At.
// Its old handles must not reach the new event.
func TestStaleHandleAfterPoolReuse(t *testing.T) {
	r := newRecorder()
	old := mustAt(t, r.e, time.Second, r.fn("old"))
	require.True(t, old.Cancel())
	fresh := mustAt(t, r.e, 2*time.Second, r.fn("fresh"))
	require.False(t, old.Pending())
	require.False(t, old.Cancel(), "must not cancel the event that reuses the timer")
	require.ErrorIs(t, old.Move(3*time.Second), sim.ErrStaleHandle)
	require.True(t, fresh.Pending())
	require.Equal(t, 2*time.Second, fresh.When())

	r.e.Run()
	next := mustAt(t, r.e, 5*time.Second, r.fn("next"))
	require.False(t, fresh.Cancel())
	require.True(t, next.Pending())
	r.e.Run()
	require.Equal(t, []string{"fresh@2s", "next@5s"}, r.got)
}

func TestMoveGivesNewSequence(t *testing.T) {
	r := newRecorder()
	a := mustAt(t, r.e, time.Second, r.fn("a"))
	mustAt(t, r.e, time.Second, r.fn("b"))
	require.NoError(t, a.Move(time.Second)) // same instant, but now scheduled after b
	tm, err := r.e.NewTimer(r.fn("t"))
	require.NoError(t, err)
	require.NoError(t, tm.Schedule(time.Second))
	mustAt(t, r.e, time.Second, r.fn("c"))
	require.NoError(t, tm.Schedule(time.Second)) // moved behind c
	r.e.Run()
	require.Equal(t, []string{"b@1s", "a@1s", "c@1s", "t@1s"}, r.got)
}

func TestTimer(t *testing.T) {
	r := newRecorder()
	n := 0
	var tm *sim.Timer
	tm, err := r.e.NewTimer(func() {
		n++
		r.fn("tick")()
		if n < 3 {
			require.False(t, tm.Pending(), "a timer is not pending while it runs")
			require.NoError(t, tm.ScheduleAfter(2*time.Second))
		}
	})
	require.NoError(t, err)
	require.False(t, tm.Pending())
	require.False(t, tm.Stop())

	require.NoError(t, tm.Schedule(time.Second))
	require.True(t, tm.Pending())
	require.Equal(t, time.Second, tm.When())
	require.NoError(t, tm.Schedule(4*time.Second)) // replaces the pending schedule
	require.Equal(t, 1, r.e.Pending())
	require.NoError(t, tm.Schedule(time.Second))
	r.e.Run()
	require.Equal(t, []string{"tick@1s", "tick@3s", "tick@5s"}, r.got)
	require.False(t, tm.Pending())

	require.NoError(t, tm.ScheduleAfter(time.Second))
	require.True(t, tm.Stop())
	require.False(t, tm.Stop())
	require.False(t, tm.Pending())
	require.Equal(t, 0, r.e.Pending())
	r.e.Run()
	require.Len(t, r.got, 3)
	checkQueue(t, r.e)
}

func TestTimerStopInsideOwnCallbackAndOthers(t *testing.T) {
	r := newRecorder()
	var a, b *sim.Timer
	a, _ = r.e.NewTimer(func() {
		r.fn("a")()
		require.False(t, a.Stop(), "not pending while running")
		require.True(t, b.Stop(), "b due at the same instant is still pending")
	})
	b, _ = r.e.NewTimer(r.fn("b"))
	require.NoError(t, a.Schedule(time.Second))
	require.NoError(t, b.Schedule(time.Second))
	r.e.Run()
	require.Equal(t, []string{"a@1s"}, r.got)
}

func TestStep(t *testing.T) {
	r := newRecorder()
	mustAt(t, r.e, 2*time.Second, r.fn("b"))
	mustAt(t, r.e, time.Second, r.fn("a"))
	require.True(t, r.e.Step())
	require.Equal(t, time.Second, r.e.Now())
	require.Equal(t, []string{"a@1s"}, r.got)
	require.True(t, r.e.Step())
	require.Equal(t, 2*time.Second, r.e.Now())
	require.False(t, r.e.Step())
	require.Equal(t, 2*time.Second, r.e.Now(), "an idle Step leaves the clock")
	require.Equal(t, uint64(2), r.e.Fired())
}

func TestPeek(t *testing.T) {
	e := sim.New()
	_, ok := e.Peek()
	require.False(t, ok)
	h := mustAt(t, e, 5*time.Second, func() {})
	mustAt(t, e, 7*time.Second, func() {})
	at, ok := e.Peek()
	require.True(t, ok)
	require.Equal(t, 5*time.Second, at)
	require.Equal(t, time.Duration(0), e.Now(), "Peek does not advance the clock")
	at, _ = e.Peek()
	require.Equal(t, 5*time.Second, at, "Peek is idempotent")

	// Peek sees through cancelled and moved events.
	require.True(t, h.Cancel())
	at, _ = e.Peek()
	require.Equal(t, 7*time.Second, at)
	// An event scheduled after a Peek, earlier than what Peek saw, comes first.
	mustAt(t, e, 3*time.Second, func() {})
	at, _ = e.Peek()
	require.Equal(t, 3*time.Second, at)
	require.NoError(t, e.RunUntil(4*time.Second))
	mustAt(t, e, 4*time.Second, func() {})
	at, _ = e.Peek()
	require.Equal(t, 4*time.Second, at)
	checkQueue(t, e)
}

func TestRunUntil(t *testing.T) {
	r := newRecorder()
	for _, s := range []int{1, 2, 3, 5} {
		mustAt(t, r.e, time.Duration(s)*time.Second, r.fn(fmt.Sprint(s)))
	}
	require.NoError(t, r.e.RunUntil(3*time.Second))
	require.Equal(t, []string{"1@1s", "2@2s", "3@3s"}, r.got, "events at exactly until fire")
	require.Equal(t, 3*time.Second, r.e.Now())

	require.NoError(t, r.e.RunUntil(4*time.Second))
	require.Equal(t, 4*time.Second, r.e.Now(), "the clock advances to until even when idle")
	require.Len(t, r.got, 3)

	require.NoError(t, r.e.RunUntil(4*time.Second), "until == now is allowed")

	// Events scheduled by callbacks within the window fire in the same call.
	mustAt(t, r.e, 4500*time.Millisecond, func() {
		r.fn("chain")()
		mustAt(t, r.e, r.e.Now()+100*time.Millisecond, r.fn("chained"))
		mustAt(t, r.e, 6*time.Second, r.fn("beyond"))
	})
	require.NoError(t, r.e.RunUntil(5*time.Second))
	require.Equal(t, []string{"1@1s", "2@2s", "3@3s", "chain@4.5s", "chained@4.6s", "5@5s"}, r.got)
	require.Equal(t, 1, r.e.Pending())
}

func TestRunFor(t *testing.T) {
	r := newRecorder()
	mustAt(t, r.e, 1500*time.Millisecond, r.fn("a"))
	require.NoError(t, r.e.RunFor(time.Second))
	require.Equal(t, time.Second, r.e.Now())
	require.Empty(t, r.got)
	require.NoError(t, r.e.RunFor(time.Second))
	require.Equal(t, 2*time.Second, r.e.Now())
	require.Equal(t, []string{"a@1.5s"}, r.got)
	require.NoError(t, r.e.RunFor(0))
	require.Equal(t, 2*time.Second, r.e.Now())
}

func TestRun(t *testing.T) {
	r := newRecorder()
	mustAt(t, r.e, time.Second, func() {
		r.fn("a")()
		mustAt(t, r.e, time.Hour, r.fn("b"))
	})
	r.e.Run()
	require.Equal(t, []string{"a@1s", "b@1h0m0s"}, r.got)
	require.Equal(t, time.Hour, r.e.Now(), "Run leaves the clock at the last event")
	r.e.Run() // idle: nothing happens
	require.Equal(t, time.Hour, r.e.Now())
}

func TestHalt(t *testing.T) {
	r := newRecorder()
	mustAt(t, r.e, time.Second, r.fn("a"))
	mustAt(t, r.e, 2*time.Second, func() { r.fn("halt")(); r.e.Halt() })
	mustAt(t, r.e, 2*time.Second, r.fn("same-instant"))
	mustAt(t, r.e, 3*time.Second, r.fn("c"))

	require.NoError(t, r.e.RunUntil(10*time.Second))
	require.Equal(t, []string{"a@1s", "halt@2s"}, r.got)
	require.Equal(t, 2*time.Second, r.e.Now(), "Halt leaves the clock at the halting event")
	require.Equal(t, 2, r.e.Pending())

	// A new run resumes where the halted one stopped.
	require.NoError(t, r.e.RunUntil(10*time.Second))
	require.Equal(t, []string{"a@1s", "halt@2s", "same-instant@2s", "c@3s"}, r.got)
	require.Equal(t, 10*time.Second, r.e.Now())

	// Halt inside Run.
	mustAt(t, r.e, 11*time.Second, func() { r.fn("halt-run")(); r.e.Halt() })
	mustAt(t, r.e, 12*time.Second, r.fn("after"))
	r.e.Run()
	require.Equal(t, 11*time.Second, r.e.Now())
	require.Equal(t, 1, r.e.Pending())
	r.e.Run()
	require.Equal(t, 12*time.Second, r.e.Now())

	// Halt inside RunFor; and Halt outside a run does not stop the next run.
	mustAt(t, r.e, 13*time.Second, func() { r.e.Halt() })
	mustAt(t, r.e, 14*time.Second, r.fn("x"))
	require.NoError(t, r.e.RunFor(5*time.Second))
	require.Equal(t, 13*time.Second, r.e.Now())
	r.e.Halt()
	require.NoError(t, r.e.RunFor(5*time.Second))
	require.Equal(t, 18*time.Second, r.e.Now())
	require.Contains(t, r.got, "x@14s")

	// Halt from a callback fired by Step does not leak into the next run.
	mustAt(t, r.e, 19*time.Second, func() { r.e.Halt() })
	mustAt(t, r.e, 20*time.Second, r.fn("y"))
	require.True(t, r.e.Step())
	require.NoError(t, r.e.RunFor(5*time.Second))
	require.Contains(t, r.got, "y@20s")
	require.Equal(t, 24*time.Second, r.e.Now())
}

func TestPendingCountsLiveEventsOnly(t *testing.T) {
	e := sim.New()
	tm, _ := e.NewTimer(func() {})
	var hs []sim.Handle
	for i := range 10 {
		hs = append(hs, mustAt(t, e, time.Duration(i+1)*time.Second, func() {}))
	}
	require.NoError(t, tm.Schedule(time.Second))
	require.Equal(t, 11, e.Pending())
	for i := range 5 {
		require.True(t, hs[i].Cancel())
	}
	require.NoError(t, hs[9].Move(time.Hour))
	require.NoError(t, tm.Schedule(2*time.Second))
	require.Equal(t, 6, e.Pending())
	checkQueue(t, e)
	e.Run()
	require.Equal(t, uint64(6), e.Fired())
	require.Equal(t, 0, e.Pending())
	require.Equal(t, time.Hour, e.Now())
	require.Equal(t, 0, sim.QueueLen(e), "stale entries are gone once passed")
}

// Churn: timers moved far more often than they fire, and events cancelled in bulk.
// Stale entries must not accumulate beyond the live ones (plus a small constant).
func TestStaleEntriesAreBounded(t *testing.T) {
	e := sim.New()
	const n = 1000
	fired := 0
	timers := make([]*sim.Timer, n)
	for i := range timers {
		timers[i], _ = e.NewTimer(func() { fired++ })
		require.NoError(t, timers[i].Schedule(time.Hour))
	}
	r := sim.NewRand(7, "churn")
	maxLen := 0
	for round := range 50 {
		for _, tm := range timers {
			require.NoError(t, tm.Schedule(e.Now()+time.Hour+r.Uniform(0, time.Hour)))
		}
		maxLen = max(maxLen, sim.QueueLen(e))
		require.NoError(t, e.RunFor(time.Minute))
		if round%10 == 0 {
			checkQueue(t, e)
		}
	}
	require.Equal(t, n, e.Pending())
	require.LessOrEqual(t, maxLen, 2*n+64+1)
	checkQueue(t, e)

	// Stop them all: the queue empties of stale entries.
	for _, tm := range timers {
		require.True(t, tm.Stop())
	}
	require.Equal(t, 0, e.Pending())
	require.LessOrEqual(t, sim.QueueLen(e), 64)
	checkQueue(t, e)
	_, ok := e.Peek()
	require.False(t, ok)
	require.Equal(t, 0, fired)

	// And they still work.
	for i, tm := range timers {
		require.NoError(t, tm.Schedule(e.Now()+time.Duration(i)))
	}
	e.Run()
	require.Equal(t, n, fired)
}

// Keys span the whole range of virtual time, ties included; the order must hold for
// extreme instants too.
func TestExtremeInstants(t *testing.T) {
	r := newRecorder()
	const maxT = time.Duration(1<<63 - 1)
	mustAt(t, r.e, maxT, r.fn("max1"))
	mustAt(t, r.e, 0, r.fn("zero"))
	mustAt(t, r.e, maxT, r.fn("max2"))
	mustAt(t, r.e, 1<<62, r.fn("big"))
	mustAt(t, r.e, 1, r.fn("one"))
	r.e.Run()
	require.Equal(t, []string{"zero@0s", "one@1ns", "big@1281023h53m38.427387904s",
		"max1@2562047h47m16.854775807s", "max2@2562047h47m16.854775807s"}, r.got)
	require.Equal(t, maxT, r.e.Now())
	mustAt(t, r.e, maxT, r.fn("max3"))
	require.NoError(t, r.e.RunUntil(maxT))
	require.Equal(t, "max3@2562047h47m16.854775807s", r.got[len(r.got)-1])
}

// A long random workout of the engine against a sorted-slice reference, with far
// more events than the property test uses, spread over spans from nanoseconds to
// centuries so that every level of the queue is exercised.
func TestLargeRandomWorkoutAgainstSortedSlice(t *testing.T) {
	e := sim.New()
	r := sim.NewRand(99, "workout")
	type key struct {
		at  time.Duration
		seq int // the order of scheduling (and moving)
	}
	type event struct {
		h sim.Handle
		k key
	}
	less := func(a, b key) bool { return a.at < b.at || a.at == b.at && a.seq < b.seq }
	var (
		ref    []key // pending events, sorted by (at, seq)
		events []*event
		seq    int
		fired  int
	)
	find := func(k key) int { return sort.Search(len(ref), func(i int) bool { return !less(ref[i], k) }) }
	insert := func(k key) { ref = slices.Insert(ref, find(k), k) }
	spans := []time.Duration{0, 1, time.Microsecond, time.Second, time.Hour, 1 << 56}
	for round := range 12 {
		for range 1500 {
			seq++
			ev := &event{k: key{e.Now() + r.Uniform(0, spans[r.Int64N(int64(len(spans)))]+1), seq}}
			ev.h = mustAt(t, e, ev.k.at, func() {
				if len(ref) == 0 || ref[0] != ev.k {
					t.Fatalf("fired %v, reference says %v", ev.k, ref[:min(1, len(ref))])
				}
				ref = ref[1:]
				fired++
			})
			events = append(events, ev)
			insert(ev.k)
		}
		// Cancel or move some at random.
		for range 300 {
			ev := events[r.Int64N(int64(len(events)))]
			if !ev.h.Pending() {
				continue
			}
			require.Equal(t, ev.k.at, ev.h.When())
			j := find(ev.k)
			require.Equal(t, ev.k, ref[j])
			ref = slices.Delete(ref, j, j+1)
			if r.Int64N(2) == 0 {
				require.True(t, ev.h.Cancel())
				continue
			}
			seq++
			ev.k = key{e.Now() + r.Uniform(0, time.Hour), seq}
			require.NoError(t, ev.h.Move(ev.k.at))
			insert(ev.k)
		}
		require.Equal(t, len(ref), e.Pending())
		if round%5 == 0 {
			checkQueue(t, e)
		}
		for range len(ref) / 2 {
			require.True(t, e.Step())
		}
	}
	e.Run()
	require.Empty(t, ref)
	require.Equal(t, uint64(fired), e.Fired())
}
