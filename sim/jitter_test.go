package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/sim"
)

// walkByNext is Walk written as the loop it stands for.
func walkByNext(c *sim.JitterCycle, t, until, d time.Duration, factor float64, extra time.Duration) (last, next time.Duration) {
	last = t
	for t < until {
		last = t
		t += extra + c.Next(d, factor)
	}
	return last, t
}

// Walk is a loop of Next calls: same steps, same place afterwards, whether it skips
// whole cycles or not.
func TestJitterCycleWalkIsNextLoop(t *testing.T) {
	for i, tc := range []struct {
		t, until, d time.Duration
		factor      float64
		extra       time.Duration
		skip        int // draws to take before the walk
	}{
		{0, 24 * time.Hour, 10 * time.Second, 0.04, 0, 0},
		{5 * time.Second, 12 * time.Hour, 10 * time.Second, 0.04, 3 * time.Millisecond, 17},
		{0, 30 * 24 * time.Hour, 10 * time.Second, 0.04, 0, 63},
		{time.Hour, time.Hour, 10 * time.Second, 0.04, 0, 5}, // nothing due: no draw
		{time.Hour, time.Hour + 1, 10 * time.Second, 0.04, 0, 0},
		{0, time.Minute, time.Second, 0, 0, 0},     // factor ≤ 0 means 1, as Jitter
		{0, 100_000, 7, 0.3, 1, 1},                 // nanosecond steps
		{0, 10 * time.Hour, time.Second, 9, 0, 40}, // steps up to 10 d
	} {
		a := sim.NewJitterCycle(sim.NewRand(uint64(i), "walk"))
		for range tc.skip {
			a.Next(tc.d, tc.factor)
		}
		b := a
		wantLast, wantNext := walkByNext(&b, tc.t, tc.until, tc.d, tc.factor, tc.extra)
		last, next := a.Walk(tc.t, tc.until, tc.d, tc.factor, tc.extra)
		require.Equal(t, wantLast, last, "case %d", i)
		require.Equal(t, wantNext, next, "case %d", i)
		require.Equal(t, b.Pos(), a.Pos(), "case %d", i)
		require.Equal(t, b.Next(tc.d, tc.factor), a.Next(tc.d, tc.factor), "case %d: the draw after", i)
	}
}

// Walks over one JitterSteps table, one after another (as the kubelet walks its
// status syncs from report to report), are the loop too.
func TestPropertyJitterStepsWalksAreNextLoop(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a := sim.NewJitterCycle(sim.NewRand(rapid.Uint64().Draw(rt, "seed"), "walk"))
		d := time.Duration(rapid.Int64Range(1, int64(time.Minute)).Draw(rt, "d"))
		factor := rapid.Float64Range(-1, 2).Draw(rt, "factor")
		extra := time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(rt, "extra"))
		steps := a.Steps(d, factor, extra)
		b := a
		t := time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "t"))
		want := t
		for i := range rapid.IntRange(1, 20).Draw(rt, "walks") {
			until := t + time.Duration(rapid.Int64Range(-int64(d), 300*int64(d+extra)).Draw(rt, "span"))
			var wantLast time.Duration
			wantLast, want = walkByNext(&b, want, until, d, factor, extra)
			last, next := a.WalkSteps(&steps, t, until)
			if last != wantLast || next != want || a.Pos() != b.Pos() {
				rt.Fatalf("walk %d: (%v, %v) at place %d, the loop (%v, %v) at place %d", i, last, next, a.Pos(), wantLast, want, b.Pos())
			}
			t = next
		}
	})
}

// Steps of zero length would never reach until: the walk takes none (a loop calling
// Next would spin forever).
func TestJitterCycleWalkZeroSteps(t *testing.T) {
	c := sim.NewJitterCycle(sim.NewRand(1, "walk"))
	last, next := c.Walk(time.Second, time.Hour, 0, 0.5, 0)
	require.Equal(t, time.Second, last)
	require.Equal(t, time.Second, next)
	require.Zero(t, c.Pos())
}

func TestPropertyJitterCycleWalkIsNextLoop(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a := sim.NewJitterCycle(sim.NewRand(rapid.Uint64().Draw(rt, "seed"), "walk"))
		for range rapid.IntRange(0, 2*sim.CycleLen).Draw(rt, "skip") {
			a.Next(time.Second, 0.5)
		}
		d := time.Duration(rapid.Int64Range(1, int64(time.Minute)).Draw(rt, "d"))
		factor := rapid.Float64Range(-1, 2).Draw(rt, "factor")
		extra := time.Duration(rapid.Int64Range(0, int64(time.Second)).Draw(rt, "extra"))
		t0 := time.Duration(rapid.Int64Range(0, int64(time.Hour)).Draw(rt, "t"))
		span := time.Duration(rapid.Int64Range(0, 400).Draw(rt, "steps")) * (d + extra)
		b := a
		wantLast, wantNext := walkByNext(&b, t0, t0+span, d, factor, extra)
		last, next := a.Walk(t0, t0+span, d, factor, extra)
		if last != wantLast || next != wantNext || a.Pos() != b.Pos() {
			rt.Fatalf("Walk = (%v, %v) at place %d, the loop (%v, %v) at place %d", last, next, a.Pos(), wantLast, wantNext, b.Pos())
		}
	})
}

// The waits repeat every CycleLen draws and stay in [d, d+factor·d); the cycles of
// two streams differ.
func TestJitterCycleRepeatsAndStaysInRange(t *testing.T) {
	const d, factor = 10 * time.Second, 0.04
	a := sim.NewJitterCycle(sim.NewRand(1, "kubelet/n1/lease"))
	b := sim.NewJitterCycle(sim.NewRand(1, "kubelet/n2/lease"))
	var first [sim.CycleLen]time.Duration
	distinct := map[time.Duration]bool{}
	same := 0
	var sum time.Duration
	for i := range 3 * sim.CycleLen {
		w := a.Next(d, factor)
		require.GreaterOrEqual(t, w, d)
		require.Less(t, w, d+time.Duration(factor*float64(d)))
		if i < sim.CycleLen {
			first[i] = w
			distinct[w] = true
			sum += w - d
			if w == b.Next(d, factor) {
				same++
			}
		} else {
			require.Equal(t, first[i%sim.CycleLen], w, "draw %d", i)
		}
	}
	require.Len(t, distinct, sim.CycleLen, "the waits of one cycle are distinct")
	require.Less(t, same, 2, "two streams' cycles are different")
	// the mean jitter of a cycle is near factor·d/2 = 200 ms (64 uniform draws:
	// standard deviation ≈ 14 ms)
	mean := sum / sim.CycleLen
	require.InDelta(t, float64(200*time.Millisecond), float64(mean), float64(60*time.Millisecond))
}
