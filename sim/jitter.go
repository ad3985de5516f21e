package sim

import "time"

// CycleLen is the number of waits after which a JitterCycle repeats.
const CycleLen = 64

// JitterCycle gives the waits of one jittered loop (wait.JitterUntil): wait i is
// d + U[0,1)·factor·d, computed as Rand.Jitter computes it, and the waits repeat every
// CycleLen draws. Each wait is a hash of the cycle's key and its place in the cycle,
// not the next draw of a stream.
//
// Why a cycle: a steady loop runs virtually (lazy mode), and whoever leaves lazy mode
// must know when exact mode's loop last ran and runs next. With one draw per run from a
// stream, that is a walk over every run since the loop went steady: a kubelet steady for
// 30 days has 260k lease renewals to replay, and a zone of 3,333 such kubelets took 4 s.
// With a cycle, whole cycles are skipped by their sum, so the walk costs at most a few
// cycles whatever the stretch. Upstream draws each wait from a process-wide source.
// Here each wait is uniform in [d, d+factor·d) and the loops of different nodes are
// independent, but one loop's waits repeat every 64 runs (about 11 minutes of a 10 s
// loop). That shows only in a verbose trace, which records every renewal: a node's
// LeaseRenewed intervals repeat every 64, and its status reports (every 30th sync with
// the defaults) fall into a cycle of 32 reports, about 2.7 hours. No Kubernetes-visible
// outcome (when a node goes Unknown, is tainted, its pods evicted) depends on a node's
// waits being independent over more than 64 runs.
//
// The zero value is a valid cycle (key 0); NewJitterCycle derives the key from a
// stream. A JitterCycle is a value: copying it copies its place.
type JitterCycle struct {
	key uint64
	pos uint8 // the next wait's place in the cycle
}

// NewJitterCycle returns a cycle keyed by one draw of r, starting at place 0.
func NewJitterCycle(r *Rand) JitterCycle { return JitterCycle{key: r.Uint64()} }

// Pos is the next wait's place in the cycle, in [0, CycleLen).
func (c *JitterCycle) Pos() int { return int(c.pos) }

// wait is the wait at place p, in Jitter's arithmetic (Float64, × factor, × d); factor
// must be > 0.
func (c *JitterCycle) wait(p uint8, d time.Duration, factor float64) time.Duration {
	// splitmix64 of the key and the place: a different 64-bit value per place
	z := c.key + uint64(p+1)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	z ^= z >> 31
	return d + time.Duration(float64(z>>11)/(1<<53)*factor*float64(d))
}

// Next returns the next wait, d jittered by factor (≤ 0 means 1, as upstream), and
// moves to the next place.
func (c *JitterCycle) Next(d time.Duration, factor float64) time.Duration {
	if factor <= 0 {
		factor = 1
	}
	w := c.wait(c.pos, d, factor)
	c.pos = (c.pos + 1) % CycleLen
	return w
}

// Walk steps t forward by extra + Next(d, factor) while t < until, exactly as a loop
// calling Next would, and returns the t the last step was taken from (t itself if none
// was) and the first t ≥ until. A walk longer than a few steps costs one cycle's waits
// (see JitterSteps), however far until is.
func (c *JitterCycle) Walk(t, until, d time.Duration, factor float64, extra time.Duration) (last, next time.Duration) {
	if factor <= 0 {
		factor = 1
	}
	// a step lasts at least extra+d: a short walk is cheaper step by step than the table
	if until-t > 8*(extra+d) || extra+d <= 0 {
		steps := c.Steps(d, factor, extra)
		return c.WalkSteps(&steps, t, until)
	}
	last = t
	for t < until {
		last = t
		t += extra + c.wait(c.pos, d, factor)
		c.pos = (c.pos + 1) % CycleLen
	}
	return last, t
}

// JitterSteps are the steps of one cycle for a given d, factor and extra: step p is
// extra plus the wait at place p, and the table holds their running sums, so that a
// walk of any length is whole cycles plus a binary search. Build it once (Steps) for
// many walks with the same d, factor and extra.
type JitterSteps struct {
	sum [CycleLen + 1]time.Duration // sum[p]: steps 0..p-1
}

// Steps returns the table of c's steps (extra + the jittered wait) for d, factor
// (≤ 0 means 1) and extra.
func (c *JitterCycle) Steps(d time.Duration, factor float64, extra time.Duration) JitterSteps {
	if factor <= 0 {
		factor = 1
	}
	var s JitterSteps
	for p := range uint8(CycleLen) {
		s.sum[p+1] = s.sum[p] + extra + c.wait(p, d, factor)
	}
	return s
}

// span is the length of the r steps from place p (0 ≤ r ≤ CycleLen).
func (s *JitterSteps) span(p, r int) time.Duration {
	if p+r <= CycleLen {
		return s.sum[p+r] - s.sum[p]
	}
	return s.sum[CycleLen] - s.sum[p] + s.sum[p+r-CycleLen]
}

// WalkSteps is Walk with the steps of s, which must be c's table for the walk's d,
// factor and extra. Steps of zero length (d and extra 0) never reach until: the walk
// takes none.
func (c *JitterCycle) WalkSteps(s *JitterSteps, t, until time.Duration) (last, next time.Duration) {
	cycle := s.sum[CycleLen]
	if t >= until || cycle <= 0 {
		return t, t
	}
	// whole cycles end before until: k of them, the most with t+k·cycle < until
	t += (until - 1 - t) / cycle * cycle
	// then the fewest steps r in [1, CycleLen] with t+span(p, r) ≥ until
	p := int(c.pos)
	lo, hi := 1, CycleLen
	for lo < hi {
		mid := (lo + hi) / 2
		if t+s.span(p, mid) >= until {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	c.pos = uint8((p + lo) % CycleLen)
	return t + s.span(p, lo-1), t + s.span(p, lo)
}
