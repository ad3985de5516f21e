package sim_test

import (
	"hash/fnv"
	"math"
	"math/bits"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

func draws(r *sim.Rand, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = r.Uint64()
	}
	return out
}

func TestRandSameSeedAndNameSameSequence(t *testing.T) {
	for _, name := range []string{"", "node-a", "kubelet/node-a/lease", "ünïcödé"} {
		a, b := sim.NewRand(42, name), sim.NewRand(42, name)
		require.Equal(t, draws(a, 1000), draws(b, 1000), name)
		a, b = sim.NewRand(42, name), sim.NewRand(42, name)
		for range 100 {
			require.Equal(t, a.Float64(), b.Float64())
			require.Equal(t, a.Int64N(1000), b.Int64N(1000))
			require.Equal(t, a.Uniform(time.Second, time.Minute), b.Uniform(time.Second, time.Minute))
			require.Equal(t, a.Jitter(10*time.Second, 0.04), b.Jitter(10*time.Second, 0.04))
		}
	}
	// Engine.Rand is NewRand under the engine's seed; Reseed resets in place.
	e := sim.New(sim.WithSeed(9))
	require.Equal(t, draws(sim.NewRand(9, "x"), 10), draws(e.Rand("x"), 10))
	r := sim.NewRand(1, "other")
	r.Uint64()
	r.Reseed(9, "x")
	require.Equal(t, draws(sim.NewRand(9, "x"), 10), draws(r, 10))
}

// The streams are pinned: these values are part of every trace ever recorded, so a
// change here changes every simulation's output for a given seed.
func TestRandGoldenValues(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		name string
		want []uint64
	}{
		{1, "", []uint64{0x476aebe6e6c64b8b, 0xd72dc515e85c31f0, 0x9d9787d0a25de0ff}},
		{1, "node-a", []uint64{0xf8a6bcf749a1b52d, 0x20728982773f1833, 0xae53eaec2f3f66f9}},
		{2, "node-a", []uint64{0x4cf859ad36e45ce7, 0xa013fddb36b37407, 0x45698227f1f9b997}},
		{0, "x", []uint64{0x1d390f38ab447a2d, 0x2dc9f7c9e39ab9e0, 0x30bd78012b1ab7c}},
	} {
		require.Equal(t, tc.want, draws(sim.NewRand(tc.seed, tc.name), 3), "seed %d name %q", tc.seed, tc.name)
	}
}

// The generator is xoshiro256** (Blackman and Vigna): check the reference vector
// for the state {1, 2, 3, 4}.
func TestRandIsXoshiro256StarStar(t *testing.T) {
	r := sim.NewRand(0, "")
	sim.SetRandState(r, [4]uint64{1, 2, 3, 4})
	require.Equal(t, []uint64{11520, 0, 1509978240, 1215971899390074240, 1216172134540287360,
		607988272756665600, 16172922978634559625, 8476171486693032832, 10595114339597558777,
		2904607092377533576}, draws(r, 10))
}

// The state is seeded as documented: FNV-1a of the name, mixed with the seed, then
// expanded by splitmix64. FNV-1a comes from hash/fnv; splitmix64 is checked against
// its reference vector.
func TestRandSeeding(t *testing.T) {
	splitmix := func(x uint64, n int) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			x += 0x9E3779B97F4A7C15
			z := x
			z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
			z = (z ^ (z >> 27)) * 0x94D049BB133111EB
			out[i] = z ^ (z >> 31)
		}
		return out
	}
	require.Equal(t, []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423,
		4593380528125082431, 16408922859458223821}, splitmix(1234567, 5))

	for _, tc := range []struct {
		seed uint64
		name string
	}{{1, ""}, {42, "node-a"}, {math.MaxUint64, "kubelet/zone-b/node-17/lease"}} {
		h := fnv.New64a()
		h.Write([]byte(tc.name))
		want := splitmix(tc.seed*0x9E3779B97F4A7C15^h.Sum64(), 4)
		got := sim.RandState(sim.NewRand(tc.seed, tc.name))
		require.Equal(t, want, got[:], "seed %d name %q", tc.seed, tc.name)
	}
}

func TestRandStreamsAreIndependent(t *testing.T) {
	// Different names, and different seeds, give different streams.
	seen := map[uint64]string{}
	for _, seed := range []uint64{0, 1, 2} {
		for _, name := range []string{"", "a", "b", "node-1", "node-2", "node-10", "\x00"} {
			first := sim.NewRand(seed, name).Uint64()
			if prev, dup := seen[first]; dup {
				t.Fatalf("streams %q and seed %d/%q start alike", prev, seed, name)
			}
			seen[first] = name
		}
	}

	// Creating and drawing from other streams never shifts a stream's draws.
	alone := draws(sim.NewRand(5, "node-a"), 100)
	a := sim.NewRand(5, "node-a")
	var interleaved []uint64
	for i := range 100 {
		b := sim.NewRand(5, "node-b")
		b.Uint64()
		interleaved = append(interleaved, a.Uint64())
		if i%10 == 0 {
			sim.NewRand(5, "node-c").Int64N(10)
		}
	}
	require.Equal(t, alone, interleaved)

	// Neighbouring names are uncorrelated: the correlation of 100k paired draws is
	// near 0 (|r| < 0.02, about 6 standard errors).
	x, y := sim.NewRand(1, "node-1"), sim.NewRand(1, "node-2")
	const n = 100_000
	var sx, sy, sxx, syy, sxy float64
	for range n {
		u, v := x.Float64(), y.Float64()
		sx, sy, sxx, syy, sxy = sx+u, sy+v, sxx+u*u, syy+v*v, sxy+u*v
	}
	cov := sxy/n - sx/n*sy/n
	corr := cov / math.Sqrt((sxx/n-sx/n*sx/n)*(syy/n-sy/n*sy/n))
	require.Less(t, math.Abs(corr), 0.02)
}

func TestRandFloat64(t *testing.T) {
	r := sim.NewRand(1, "f")
	sum := 0.0
	for range 100_000 {
		f := r.Float64()
		if f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v, outside [0, 1)", f)
		}
		sum += f
	}
	require.InDelta(t, 0.5, sum/100_000, 0.01)
}

func TestRandInt64NBounds(t *testing.T) {
	r := sim.NewRand(1, "n")
	for _, n := range []int64{1, 2, 3, 7, 10, 1000, 1<<32 + 1, 3 << 61, math.MaxInt64} {
		for range 2000 {
			if v := r.Int64N(n); v < 0 || v >= n {
				t.Fatalf("Int64N(%d) = %d", n, v)
			}
		}
	}
	for _, n := range []int64{0, -1, math.MinInt64} {
		require.Equal(t, int64(0), r.Int64N(n), "n=%d", n)
	}
	// Large n reaches the top of the range.
	hi := 0
	for range 1000 {
		if r.Int64N(math.MaxInt64) > math.MaxInt64/2 {
			hi++
		}
	}
	require.InDelta(t, 500, hi, 100)
}

// Int64N is Lemire's multiply-shift with rejection: compare it with a
// straightforward implementation over bits.Mul64 on a copy of the stream, with an n
// where rejections are frequent.
func TestRandInt64NIsLemire(t *testing.T) {
	for _, n := range []int64{3, 1000, 3 << 61, math.MaxInt64 / 3 * 2} {
		r, ref := sim.NewRand(4, "lemire"), sim.NewRand(4, "lemire")
		for range 5000 {
			var want uint64
			for {
				hi, lo := bits.Mul64(ref.Uint64(), uint64(n))
				if lo >= uint64(n) || lo >= -uint64(n)%uint64(n) {
					want = hi
					break
				}
			}
			require.Equal(t, int64(want), r.Int64N(n))
		}
	}
}

func TestRandInt64NUniform(t *testing.T) {
	r := sim.NewRand(1, "chi")
	const k, n = 10, 100_000
	var counts [k]int
	for range n {
		counts[r.Int64N(k)]++
	}
	chi2 := 0.0
	for _, c := range counts {
		d := float64(c) - n/k
		chi2 += d * d / (n / k)
	}
	require.Less(t, chi2, 27.88, "χ² with 9 degrees of freedom at p = 0.001")
}

func TestMul64(t *testing.T) {
	r := sim.NewRand(1, "mul")
	cases := [][2]uint64{{0, 0}, {1, 1}, {math.MaxUint64, math.MaxUint64}, {math.MaxUint64, 2}, {1 << 32, 1 << 32}, {0xFFFFFFFF, 0xFFFFFFFF}}
	for range 10_000 {
		cases = append(cases, [2]uint64{r.Uint64(), r.Uint64()})
	}
	for _, c := range cases {
		hi, lo := sim.Mul64(c[0], c[1])
		whi, wlo := bits.Mul64(c[0], c[1])
		require.Equal(t, [2]uint64{whi, wlo}, [2]uint64{hi, lo}, "%#x × %#x", c[0], c[1])
	}
}

func TestRandUniform(t *testing.T) {
	r := sim.NewRand(1, "u")
	for _, tc := range []struct{ lo, hi time.Duration }{
		{0, 1},
		{0, time.Second},
		{-time.Minute, -time.Second},
		{-time.Second, time.Second},
		{time.Hour, time.Hour + 3},
		{math.MinInt64, math.MaxInt64},
		{math.MinInt64, 0},
		{-1, math.MaxInt64},
	} {
		var below, above int
		mid := tc.lo/2 + tc.hi/2
		for range 2000 {
			v := r.Uniform(tc.lo, tc.hi)
			if v < tc.lo || v >= tc.hi {
				t.Fatalf("Uniform(%d, %d) = %d", tc.lo, tc.hi, v)
			}
			if v < mid {
				below++
			} else {
				above++
			}
		}
		if tc.hi-tc.lo > 1000 || tc.hi-tc.lo < 0 { // wide ranges (the latter overflow int64)
			require.InDelta(t, 1000, below, 150, "[%d, %d) is not uniform: %d below the middle, %d above", tc.lo, tc.hi, below, above)
		}
	}
	// An empty or inverted range returns lo and draws nothing.
	before := sim.RandState(r)
	require.Equal(t, time.Second, r.Uniform(time.Second, time.Second))
	require.Equal(t, time.Second, r.Uniform(time.Second, 0))
	require.Equal(t, before, sim.RandState(r))
}

func TestRandJitter(t *testing.T) {
	r := sim.NewRand(1, "j")
	for _, tc := range []struct {
		d      time.Duration
		factor float64
		max    float64 // the factor actually used
	}{
		{10 * time.Second, 0.04, 0.04},
		{40 * time.Second, 0.5, 0.5},
		{time.Second, 1, 1},
		{time.Second, 2.5, 2.5},
		{time.Second, 0, 1}, // factor ≤ 0 means 1, as wait.Jitter
		{time.Second, -3, 1},
		{7, 0.3, 0.3}, // a few nanoseconds: the floor keeps the bounds
	} {
		seenLow, seenHigh := false, false
		for range 5000 {
			v := r.Jitter(tc.d, tc.factor)
			if v < tc.d || float64(v-tc.d) >= tc.max*float64(tc.d) {
				t.Fatalf("Jitter(%v, %v) = %v, outside [d, d·(1+%v))", tc.d, tc.factor, v, tc.max)
			}
			if float64(v-tc.d) < 0.1*tc.max*float64(tc.d) {
				seenLow = true
			}
			if float64(v-tc.d) > 0.9*tc.max*float64(tc.d) {
				seenHigh = true
			}
		}
		if tc.d > 1000 {
			require.True(t, seenLow && seenHigh, "%v·%v: draws do not span the range", tc.d, tc.factor)
		}
	}
	require.Equal(t, time.Duration(0), r.Jitter(0, 0.5))
	// The draw is d + ⌊U·factor·d⌋ with U from Float64.
	a, b := sim.NewRand(2, "j"), sim.NewRand(2, "j")
	for range 100 {
		require.Equal(t, 10*time.Second+time.Duration(math.Floor(b.Float64()*0.04*float64(10*time.Second))), a.Jitter(10*time.Second, 0.04))
	}
}

// Jitter is wait.Jitter's d + floor(U·factor·d): its truncating conversion must give
// exactly the floor for every draw (the product is never negative).
func TestRandJitterIsFloor(t *testing.T) {
	a, b := sim.NewRand(7, "floor"), sim.NewRand(7, "floor")
	for i := range 200_000 {
		d := time.Duration(1 + i%50_000*7919)
		factor := []float64{0.04, 0.1, 0.5, 1, 1.2}[i%5]
		want := d + time.Duration(math.Floor(b.Float64()*factor*float64(d)))
		if got := a.Jitter(d, factor); got != want {
			t.Fatalf("draw %d: Jitter(%v, %v) = %v, want %v", i, d, factor, got, want)
		}
	}
}
