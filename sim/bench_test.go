package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// benchSizes are the queue sizes BenchmarkKernel holds constant: 10k pending events is
// a few hundred nodes with their kubelet, lease and controller timers; 1M is the
// 100k-node fleet the design targets.
var benchSizes = []struct {
	name string
	n    int
}{
	{"pending=10k", 10_000},
	{"pending=1M", 1_000_000},
}

// meanOffset is the mean distance into the future at which a fired event schedules
// its successor. Offsets are drawn from [1ns, 2·meanOffset) so the queue keeps a
// steady, well-mixed shape.
const meanOffset = 10 * time.Second

// offsets is a cheap xorshift stream of future offsets. The kernel's own Rand would do
// as well; this keeps the generator's cost out of the figure.
type offsets uint64

func (o *offsets) next() time.Duration {
	x := uint64(*o)
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	*o = offsets(x)
	return 1 + time.Duration(x%uint64(2*meanOffset-1))
}

// timerKernel is the steady state of components that own their timers: n
// components, each with a Timer that its callback, a method, reschedules when it
// fires (Timer.Schedule reuse).
type timerKernel struct {
	e     *sim.Engine
	off   offsets
	comps []component
}

type component struct {
	k *timerKernel
	t *sim.Timer
}

func (c *component) fire() { _ = c.t.Schedule(c.k.e.Now() + c.k.off.next()) }

func newTimerKernel(tb testing.TB, n int) *timerKernel {
	k := &timerKernel{e: sim.New(), off: 0x9E3779B97F4A7C15, comps: make([]component, n)}
	for i := range k.comps {
		c := &k.comps[i]
		c.k = k
		var err error
		if c.t, err = k.e.NewTimer(c.fire); err != nil {
			tb.Fatal(err)
		}
		if err := c.t.Schedule(k.off.next()); err != nil {
			tb.Fatal(err)
		}
	}
	return k
}

// atKernel is the steady state of one-shot events: every fired event schedules a new
// one with Engine.At, which takes its timer from the engine's pool.
type atKernel struct {
	e    *sim.Engine
	off  offsets
	fire func()
}

func newAtKernel(tb testing.TB, n int) *atKernel {
	k := &atKernel{e: sim.New(), off: 0x9E3779B97F4A7C15}
	k.fire = k.onFire // one func value for every event: no closure per event
	for range n {
		if _, err := k.e.At(k.off.next(), k.fire); err != nil {
			tb.Fatal(err)
		}
	}
	return k
}

func (k *atKernel) onFire() { _, _ = k.e.At(k.e.Now()+k.off.next(), k.fire) }

// warm fires events until every timer has been moved at least about twice and at
// least a million events have fired, so that the queue has its steady-state shape
// and its pools (one-shot timers, queue chunks, entry indices) their steady-state
// sizes: they grow only when the queue reaches a size it never had before.
func warm(e *sim.Engine, n int) {
	for range max(2*n, 1_000_000) {
		e.Step()
	}
}

// BenchmarkKernel measures the steady state of the event loop: one op is one event
// fired, and the callback schedules exactly one new event at a random future offset,
// so the number of pending events stays constant. It must not allocate.
func BenchmarkKernel(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run("timer/"+sz.name, func(b *testing.B) {
			k := newTimerKernel(b, sz.n)
			warm(k.e, sz.n)
			b.ReportAllocs()
			for b.Loop() {
				k.e.Step()
			}
			report(b, k.e, sz.n)
		})
		b.Run("at/"+sz.name, func(b *testing.B) {
			k := newAtKernel(b, sz.n)
			warm(k.e, sz.n)
			b.ReportAllocs()
			for b.Loop() {
				k.e.Step()
			}
			report(b, k.e, sz.n)
		})
	}
}

func report(b *testing.B, e *sim.Engine, n int) {
	if e.Pending() != n {
		b.Fatalf("pending = %d, want %d", e.Pending(), n)
	}
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "events/s")
	}
}

// BenchmarkLoop measures jittered loops (wait.JitterUntil semantics): n loops with a
// 10 s period and 4 % jitter, the kubelet's lease-renewal shape. One op is one run.
func BenchmarkLoop(b *testing.B) {
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("loops=%d", n), func(b *testing.B) {
			e := sim.New()
			r := e.Rand("bench")
			for i := range n {
				sliding := i%2 == 0
				l, err := e.NewLoop(sim.LoopConfig{Period: 10 * time.Second, JitterFactor: 0.04, Sliding: sliding, Rand: r},
					func() time.Duration { return time.Millisecond })
				if err != nil {
					b.Fatal(err)
				}
				if err := l.StartAt(r.Uniform(0, 10*time.Second)); err != nil {
					b.Fatal(err)
				}
			}
			warm(e, n)
			b.ReportAllocs()
			for b.Loop() {
				e.Step()
			}
			report(b, e, n)
		})
	}
}

// BenchmarkRunUntil measures RunUntil over a window of the timer kernel, the way a
// scenario drives the engine.
func BenchmarkRunUntil(b *testing.B) {
	k := newTimerKernel(b, 10_000)
	warm(k.e, 10_000)
	b.ReportAllocs()
	start := k.e.Fired()
	for b.Loop() {
		_ = k.e.RunFor(time.Second)
	}
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(k.e.Fired()-start)/s, "events/s")
	}
}

// BenchmarkJitterWalk measures the replay of a steady stretch: 12 hours and 30 days
// of a 10 s loop with 4 % jitter (≈ 4,240 and 254k runs: what one kubelet's lease
// replays when a partition finds it steady after that long). One op is one walk.
func BenchmarkJitterWalk(b *testing.B) {
	for _, until := range []time.Duration{12 * time.Hour, 30 * 24 * time.Hour} {
		b.Run("until="+until.String(), func(b *testing.B) {
			c := sim.NewJitterCycle(sim.NewRand(1, "bench"))
			for b.Loop() {
				c.Walk(0, until, 10*time.Second, 0.04, 0)
			}
		})
	}
}
