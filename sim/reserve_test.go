package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/sim"
)

// fifo is a component that queues its own events in order (as a watch queues its
// notifications) and keeps one timer for the head, each event in the place that
// Reserve gave it when it was queued.
type fifo struct {
	e      *sim.Engine
	t      *sim.Timer
	items  []fifoItem
	lastAt time.Duration
	fire   func(label string)
}

type fifoItem struct {
	at    time.Duration
	seq   uint64
	label string
}

func (f *fifo) add(at time.Duration, label string) error {
	at = max(at, f.lastAt)
	f.lastAt = at
	f.items = append(f.items, fifoItem{at: at, seq: f.e.Reserve(), label: label})
	if !f.t.Pending() {
		return f.t.ScheduleReserved(at, f.items[0].seq)
	}
	return nil
}

func (f *fifo) head() {
	x := f.items[0]
	f.items = f.items[1:]
	if len(f.items) > 0 {
		if err := f.t.ScheduleReserved(f.items[0].at, f.items[0].seq); err != nil {
			panic(err)
		}
	}
	f.fire(x.label)
}

// TestPropertyReservedFIFOFiresAsAt: events queued by components with one timer each
// and reserved sequence numbers fire in exactly the order, and as many times, as the
// same events scheduled one by one with At — whatever else is scheduled between,
// from top level or from callbacks, at the same instants or later.
func TestPropertyReservedFIFOFiresAsAt(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		nq := rapid.IntRange(1, 3).Draw(rt, "queues")
		lat := make([]time.Duration, nq)
		for q := range lat {
			lat[q] = time.Duration(rapid.IntRange(0, 2).Draw(rt, "latency")) * time.Second
		}
		// what each event does when it fires: queue to a component, or schedule a
		// plain event, a few seconds on (drawn up front, the same for both engines)
		type op struct {
			queue int // -1: a plain event
			d     time.Duration
		}
		scripts := map[string][]op{}
		n := 0
		drawScript := func() []op {
			var s []op
			for range rapid.IntRange(0, 2).Draw(rt, "ops") {
				if n > 200 {
					break
				}
				n++
				s = append(s, op{queue: rapid.IntRange(-1, nq-1).Draw(rt, "queue"), d: time.Duration(rapid.IntRange(0, 3).Draw(rt, "d")) * time.Second})
			}
			return s
		}
		top := drawScript()
		run := func(reserved bool) ([]string, uint64) {
			e := sim.New()
			var log []string
			var fifos []*fifo
			var fire func(label string)
			count := 0
			do := func(o op) {
				count++
				label := fmt.Sprint("e", count)
				if _, ok := scripts[label]; !ok {
					scripts[label] = drawScript()
				}
				switch {
				case o.queue < 0:
					_, err := e.At(e.Now()+o.d, func() { fire(label) })
					require.NoError(rt, err)
				case reserved:
					require.NoError(rt, fifos[o.queue].add(e.Now()+lat[o.queue]+o.d, label))
				default: // the same queue, one At per event
					f := fifos[o.queue]
					at := max(e.Now()+lat[o.queue]+o.d, f.lastAt)
					f.lastAt = at
					_, err := e.At(at, func() { fire(label) })
					require.NoError(rt, err)
				}
			}
			fire = func(label string) {
				log = append(log, fmt.Sprint(label, "@", e.Now()))
				for _, o := range scripts[label] {
					do(o)
				}
			}
			for range nq {
				f := &fifo{e: e, fire: func(l string) { fire(l) }}
				var err error
				f.t, err = e.NewTimer(f.head)
				require.NoError(rt, err)
				fifos = append(fifos, f)
			}
			for _, o := range top {
				do(o)
			}
			require.NoError(rt, e.RunUntil(time.Hour))
			return log, e.Fired()
		}
		want, wantFired := run(false)
		got, gotFired := run(true)
		require.Equal(rt, want, got)
		require.Equal(rt, wantFired, gotFired)
	})
}

func TestScheduleReservedErrors(t *testing.T) {
	e := sim.New()
	tm, err := e.NewTimer(func() {})
	require.NoError(t, err)
	require.ErrorIs(t, tm.ScheduleReserved(time.Second, 1), sim.ErrNotReserved, "nothing reserved yet")
	seq := e.Reserve()
	require.ErrorIs(t, tm.ScheduleReserved(time.Second, 0), sim.ErrNotReserved)
	require.NoError(t, tm.ScheduleReserved(time.Second, seq))
	late := e.Reserve()
	_, err = e.At(time.Second, func() {})
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(time.Second))
	require.ErrorIs(t, tm.ScheduleReserved(time.Second, seq), sim.ErrFired, "before what fired last")
	require.ErrorIs(t, tm.ScheduleReserved(0, late), sim.ErrPast)
	require.NoError(t, tm.ScheduleReserved(2*time.Second, late))
	require.True(t, tm.Pending())
}
