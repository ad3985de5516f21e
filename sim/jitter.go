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
// cycles whatever the stretch. Upstream draws each wait from a process-wide source; no
// observable property of a loop depends on its waits being independent over more than
// 64 runs (10 minutes of a 10 s loop): each wait is uniform in [d, d+factor·d), and the
// loops of different nodes are independent.
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
// was) and the first t ≥ until. Whole cycles are skipped by their sum, so a walk costs
// at most about 3·CycleLen waits, however far until is.
func (c *JitterCycle) Walk(t, until, d time.Duration, factor float64, extra time.Duration) (last, next time.Duration) {
	if factor <= 0 {
		factor = 1
	}
	last = t
	// a cycle lasts at least CycleLen·(extra+d): skipping is worth its sum only past
	// two of them
	if until-t > 2*CycleLen*(extra+d) {
		for c.pos != 0 && t < until {
			last = t
			t += extra + c.wait(c.pos, d, factor)
			c.pos = (c.pos + 1) % CycleLen
		}
		sum := CycleLen * extra
		for p := range uint8(CycleLen) {
			sum += c.wait(p, d, factor)
		}
		// k whole cycles end at t+k·sum ≤ until-1: at least one step is left to walk,
		// which sets last
		if t < until {
			t += (until - 1 - t) / sum * sum
		}
	}
	for t < until {
		last = t
		t += extra + c.wait(c.pos, d, factor)
		c.pos = (c.pos + 1) % CycleLen
	}
	return last, t
}
