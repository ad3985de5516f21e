package sim

import (
	"fmt"
	"math/bits"
)

// Mul64 exposes the portable 64×64→128 multiply behind Rand.Int64N.
var Mul64 = mul64

// CheckQueue verifies the event queue's invariants (see the comment on the queue in
// engine.go). The property tests call it between operations.
func CheckQueue(e *Engine) error {
	q := &e.q
	n, live := 0, 0
	liveOf := make(map[*Timer]int)
	for b := range q.bkt {
		head := q.bkt[b]
		if full := q.full[b>>6]>>(b&63)&1 == 1; full != (head != nil) {
			return fmt.Errorf("bucket %d: chunks %v but full bit %v", b, head != nil, full)
		}
		if b == 0 && head != nil {
			return fmt.Errorf("bucket 0 holds entries")
		}
		for c := head; c != nil; c = c.next {
			if c == head && (c.n < 1 || c.n > chunkLen) || c != head && c.n != chunkLen {
				return fmt.Errorf("bucket %d: a chunk holds %d entries", b, c.n)
			}
			if err := noTimerBeyond(c); err != nil {
				return fmt.Errorf("bucket %d: %w", b, err)
			}
			for i := range c.s[:c.n] {
				s := &c.s[i]
				n++
				if s.at < 0 {
					return fmt.Errorf("entry at %v < 0", s.at)
				}
				if got := q.bucket(s.at, s.seq); got != b {
					return fmt.Errorf("entry (%v, %d) in bucket %d, belongs in %d", s.at, s.seq, b, got)
				}
				if !q.last.less(s) {
					return fmt.Errorf("entry (%v, %d) not after the last fired (%v, %d)", s.at, s.seq, q.last.at, q.last.seq)
				}
				t := s.t
				if t == nil {
					return fmt.Errorf("entry (%v, %d) has no timer", s.at, s.seq)
				}
				if t.seq == s.seq {
					live++
					liveOf[t]++
					if t.at != s.at {
						return fmt.Errorf("live entry at %v for a timer due %v", s.at, t.at)
					}
					if s.at < e.now {
						return fmt.Errorf("live entry at %v before now %v", s.at, e.now)
					}
				}
			}
		}
	}
	for w, m := range q.full {
		if (m != 0) != (q.any>>w&1 == 1) {
			return fmt.Errorf("summary bit %d is %d for word %#x", w, q.any>>w&1, m)
		}
	}
	for c := q.free; c != nil; c = c.next {
		if c.n != 0 {
			return fmt.Errorf("a free chunk holds %d entries", c.n)
		}
		if err := noTimerBeyond(c); err != nil {
			return fmt.Errorf("a free chunk: %w", err)
		}
	}
	if n != q.n {
		return fmt.Errorf("queue counts %d entries, holds %d", q.n, n)
	}
	if live != e.live {
		return fmt.Errorf("engine counts %d pending timers, queue holds %d live entries", e.live, live)
	}
	for t, c := range liveOf {
		if c != 1 {
			return fmt.Errorf("timer due %v has %d live entries", t.at, c)
		}
	}
	if q.least.s != nil {
		b := -1
		for w, m := range q.full {
			if m != 0 {
				b = w<<6 + bits.TrailingZeros64(m)
				break
			}
		}
		p := q.least
		if b < 0 || p.b != b {
			return fmt.Errorf("cached least %+v, first bucket %d", p, b)
		}
		inBucket := false
		for c := q.bkt[b]; c != nil; c = c.next {
			for i := range c.s[:c.n] {
				inBucket = inBucket || &c.s[i] == p.s
				if c.s[i].less(p.s) {
					return fmt.Errorf("cached least is not the least")
				}
			}
		}
		if !inBucket {
			return fmt.Errorf("cached least is not an entry of its bucket")
		}
	}
	return nil
}

// QueueLen is the number of entries in the queue, stale ones included.
func QueueLen(e *Engine) int { return e.q.n }

// RandState and SetRandState expose a stream's xoshiro256** state.
func RandState(r *Rand) [4]uint64       { return r.s }
func SetRandState(r *Rand, s [4]uint64) { r.s = s }

// Chunks reports the queue's chunks: allocated, and free.
func Chunks(e *Engine) (made, free int) {
	for c := e.q.free; c != nil; c = c.next {
		free++
	}
	return e.q.made, free
}

// ChunkRecords is the size of a chunk of retained trace records.
const ChunkRecords = chunkRecords

// noTimerBeyond checks that c's unused places hold no timer, which would keep it
// alive after its entry left the queue.
func noTimerBeyond(c *chunk) error {
	for i := c.n; i < chunkLen; i++ {
		if c.s[i].t != nil {
			return fmt.Errorf("unused place %d of a chunk of %d entries holds a timer", i, c.n)
		}
	}
	return nil
}
