package sim

import (
	"time"
)

// Rand is a small, fast, deterministic random stream (xoshiro256**, seeded through
// splitmix64). Streams are independent: each is derived from the engine seed and a
// name, so adding a stream (a node, a component) never changes another stream's draws.
type Rand struct{ s [4]uint64 }

// NewRand returns the stream called name under the given seed. The same seed and name
// always give the same sequence.
func NewRand(seed uint64, name string) *Rand {
	r := &Rand{}
	r.Reseed(seed, name)
	return r
}

// Reseed resets r to the stream called name under seed, without allocating.
func (r *Rand) Reseed(seed uint64, name string) {
	// FNV-1a of the name, mixed with the seed, then expanded by splitmix64.
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	x := seed*0x9E3779B97F4A7C15 ^ h
	for i := range r.s {
		x += 0x9E3779B97F4A7C15
		z := x
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		r.s[i] = z ^ (z >> 31)
	}
}

// Rand returns the engine's stream called name (see NewRand).
func (e *Engine) Rand(name string) *Rand { return NewRand(e.seed, name) }

func rotl(x uint64, k uint) uint64 { return (x << k) | (x >> (64 - k)) }

// Uint64 returns a uniformly distributed 64-bit value.
func (r *Rand) Uint64() uint64 {
	s := &r.s
	result := rotl(s[1]*5, 7) * 9
	t := s[1] << 17
	s[2] ^= s[0]
	s[3] ^= s[1]
	s[1] ^= s[2]
	s[0] ^= s[3]
	s[2] ^= t
	s[3] = rotl(s[3], 45)
	return result
}

// Float64 returns a uniformly distributed value in [0, 1).
func (r *Rand) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Int64N returns a uniformly distributed value in [0, n); n ≤ 0 returns 0.
func (r *Rand) Int64N(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return int64(r.uint64N(uint64(n)))
}

// uint64N returns a uniformly distributed value in [0, n); n must not be 0.
func (r *Rand) uint64N(n uint64) uint64 {
	// Lemire's multiply-shift with rejection, unbiased.
	for {
		hi, lo := mul64(r.Uint64(), n)
		if lo >= n || lo >= (-n)%n {
			return hi
		}
	}
}

func mul64(a, b uint64) (hi, lo uint64) {
	const mask32 = 1<<32 - 1
	a0, a1 := a&mask32, a>>32
	b0, b1 := b&mask32, b>>32
	w0 := a0 * b0
	t := a1*b0 + w0>>32
	w1 := t&mask32 + a0*b1
	return a1*b1 + t>>32 + w1>>32, a * b
}

// Uniform returns a duration uniformly distributed in [lo, hi); hi ≤ lo returns lo.
func (r *Rand) Uniform(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	// The span is computed in uint64: hi-lo overflows int64 when the range is wider
	// than half of int64's (the draws for narrower ranges are the same either way).
	return lo + time.Duration(r.uint64N(uint64(hi)-uint64(lo)))
}

// Jitter returns d + U[0,1)·factor·d, the jittered wait that
// k8s.io/apimachinery/pkg/util/wait.Jitter computes. A factor ≤ 0 means 1, as upstream.
func (r *Rand) Jitter(d time.Duration, factor float64) time.Duration {
	if factor <= 0 {
		factor = 1
	}
	// the product is never negative, so converting truncates as math.Floor would
	return d + time.Duration(r.Float64()*factor*float64(d))
}
