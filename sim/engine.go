package sim

import (
	"errors"
	"fmt"
	"time"
)

// Engine is a discrete-event simulator: a virtual clock and a queue of timers.
//
// Timers fire in (time, sequence) order, where the sequence number is taken when a
// timer is scheduled (or moved). Two timers due at the same instant therefore fire in
// the order they were scheduled. An Engine is not safe for concurrent use; it is meant
// to be driven by one goroutine, and everything it calls runs on that goroutine.
type Engine struct {
	now     time.Duration
	seq     uint64
	heap    []slot // pending and stale entries; see the queue comment below
	live    int    // pending timers: entries in heap that are not stale
	pool    []*Timer
	seed    uint64
	start   time.Time
	stopped bool
	fired   uint64
}

// Option configures an Engine.
type Option func(*Engine)

// WithSeed sets the seed all random streams derive from (default 1).
func WithSeed(seed uint64) Option { return func(e *Engine) { e.seed = seed } }

// WithStart sets the wall-clock instant that virtual time zero renders as. It is used
// only to render times (see Engine.Wall); the simulation never reads a real clock.
func WithStart(t time.Time) Option { return func(e *Engine) { e.start = t } }

// DefaultStart is the instant virtual time zero renders as unless WithStart says
// otherwise. It is fixed so that rendered output is reproducible.
var DefaultStart = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// New returns an Engine at virtual time zero with no pending timers.
func New(opts ...Option) *Engine {
	e := &Engine{seed: 1, start: DefaultStart}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Errors returned by scheduling calls.
var (
	ErrPast        = errors.New("sim: time is before the engine's current time")
	ErrNilFunc     = errors.New("sim: nil callback")
	ErrBadPeriod   = errors.New("sim: period must be positive")
	ErrBadJitter   = errors.New("sim: jitter factor must be zero or positive")
	ErrStaleHandle = errors.New("sim: handle refers to an event that already fired or was cancelled")
)

// Now is the current virtual time: the time of the timer being fired, or the time
// the last Run call advanced the clock to.
func (e *Engine) Now() time.Duration { return e.now }

// Seed is the seed the engine's random streams derive from.
func (e *Engine) Seed() uint64 { return e.seed }

// Wall renders a virtual instant as wall-clock time from the configured start.
func (e *Engine) Wall(t time.Duration) time.Time { return e.start.Add(t) }

// Start is the wall-clock instant virtual time zero renders as.
func (e *Engine) Start() time.Time { return e.start }

// Fired is the number of timers fired so far.
func (e *Engine) Fired() uint64 { return e.fired }

// Pending is the number of timers waiting to fire.
func (e *Engine) Pending() int { return e.live }

// Timer is a reusable scheduled callback. A component usually owns a few long-lived
// Timers and moves them (Schedule) instead of creating new events, which keeps the
// steady state allocation-free. The zero Timer is not usable; use NewTimer.
type Timer struct {
	e   *Engine
	fn  func()
	at  time.Duration
	seq uint64
	gen uint32
	// pending is set while the timer is scheduled; its live queue entry is the one
	// carrying seq.
	pending bool
	// pooled timers back one-shot events (Engine.At) and return to the pool on fire.
	pooled bool
}

// NewTimer returns an unscheduled Timer that calls fn when it fires. It returns an
// error if fn is nil.
func (e *Engine) NewTimer(fn func()) (*Timer, error) {
	if fn == nil {
		return nil, ErrNilFunc
	}
	return &Timer{e: e, fn: fn}, nil
}

// Schedule sets the timer to fire at the instant at, replacing any pending schedule.
// Moving a timer gives it a new sequence number: among timers due at the same instant
// it now fires after those scheduled before this call.
func (t *Timer) Schedule(at time.Duration) error {
	e := t.e
	if at < e.now {
		return fmt.Errorf("%w: %v < %v", ErrPast, at, e.now)
	}
	e.seq++
	t.at, t.seq = at, e.seq
	if t.pending {
		// The entry for the old schedule goes stale (see the queue comment).
		e.push(t)
		e.maybeCompact()
		return nil
	}
	t.pending = true
	e.live++
	e.push(t)
	return nil
}

// ScheduleAfter sets the timer to fire d after the current time. A negative d is an error.
func (t *Timer) ScheduleAfter(d time.Duration) error { return t.Schedule(t.e.now + d) }

// Stop cancels the pending schedule. It reports whether the timer was pending.
func (t *Timer) Stop() bool {
	if !t.pending {
		return false
	}
	t.pending = false
	t.e.live--
	t.e.maybeCompact()
	return true
}

// Pending reports whether the timer is scheduled.
func (t *Timer) Pending() bool { return t.pending }

// When is the instant the timer is scheduled for (meaningful while Pending).
func (t *Timer) When() time.Duration { return t.at }

// Handle refers to a one-shot event created by At or After. It stays valid until the
// event fires or is cancelled; after that its methods report a stale handle.
type Handle struct {
	t   *Timer
	gen uint32
}

func (h Handle) live() bool { return h.t != nil && h.t.gen == h.gen && h.t.pending }

// Cancel removes the event. It reports whether the event was still pending.
func (h Handle) Cancel() bool {
	if !h.live() {
		return false
	}
	h.t.Stop()
	h.t.release()
	return true
}

// Move reschedules the pending event to at. It fails with ErrStaleHandle if the event
// already fired or was cancelled, and with ErrPast if at is before now.
func (h Handle) Move(at time.Duration) error {
	if !h.live() {
		return ErrStaleHandle
	}
	return h.t.Schedule(at)
}

// Pending reports whether the event is still waiting to fire.
func (h Handle) Pending() bool { return h.live() }

// When is the instant the event is due (meaningful while Pending).
func (h Handle) When() time.Duration {
	if !h.live() {
		return 0
	}
	return h.t.at
}

// At schedules fn to run once at the instant at. Events at the same instant run in the
// order they were scheduled. Scheduling in the past or a nil fn is an error.
func (e *Engine) At(at time.Duration, fn func()) (Handle, error) {
	if fn == nil {
		return Handle{}, ErrNilFunc
	}
	if at < e.now {
		return Handle{}, fmt.Errorf("%w: %v < %v", ErrPast, at, e.now)
	}
	var t *Timer
	if n := len(e.pool); n > 0 {
		t = e.pool[n-1]
		e.pool = e.pool[:n-1]
	} else {
		t = &Timer{e: e, pooled: true}
	}
	t.fn = fn
	e.seq++
	t.at, t.seq = at, e.seq
	t.pending = true
	e.live++
	e.push(t)
	return Handle{t: t, gen: t.gen}, nil
}

// After schedules fn to run once, d after now. A negative d is an error.
func (e *Engine) After(d time.Duration, fn func()) (Handle, error) { return e.At(e.now+d, fn) }

func (t *Timer) release() {
	if !t.pooled {
		return
	}
	t.gen++
	t.fn = nil
	t.e.pool = append(t.e.pool, t)
}

// Peek returns the time of the next pending event, and false if there is none.
func (e *Engine) Peek() (time.Duration, bool) {
	t := e.next()
	if t == nil {
		return 0, false
	}
	return t.at, true
}

// Step fires the next event, advancing the clock to its time. It reports whether an
// event was fired.
func (e *Engine) Step() bool {
	t := e.next()
	if t == nil {
		return false
	}
	e.pop()
	t.pending = false
	e.live--
	e.now = t.at
	e.fired++
	fn := t.fn
	if t.pooled {
		t.release()
	}
	fn()
	return true
}

// Halt makes the current Run, RunUntil or RunFor call return after the event being
// fired. Pending events stay queued.
func (e *Engine) Halt() { e.stopped = true }

// RunUntil fires every event due at or before until, in order, then sets the clock to
// until (unless Halt was called, which leaves the clock at the last event). Events
// scheduled by callbacks for instants ≤ until fire in the same call. It returns an
// error if until is before now.
func (e *Engine) RunUntil(until time.Duration) error {
	if until < e.now {
		return fmt.Errorf("%w: %v < %v", ErrPast, until, e.now)
	}
	e.stopped = false
	for {
		t := e.next()
		if t == nil || t.at > until {
			break
		}
		e.Step()
		if e.stopped {
			return nil
		}
	}
	e.now = until
	return nil
}

// RunFor runs for d of virtual time from now (see RunUntil).
func (e *Engine) RunFor(d time.Duration) error { return e.RunUntil(e.now + d) }

// Run fires events until none is left (or Halt is called). A model with a periodic
// loop never becomes idle: use RunUntil for those.
func (e *Engine) Run() {
	e.stopped = false
	for !e.stopped && e.Step() {
	}
}

// The queue is a 4-ary min-heap of entries ordered by (at, seq). Each entry carries
// its timer's key inline, so sifting compares contiguous memory and never touches a
// Timer: a profile of the first version (a heap of *Timer, each knowing its index)
// showed more than two thirds of the time in cache misses on those pointers.
//
// Removal is lazy, as in the Go runtime's timer heaps. Stop only marks the timer not
// pending, and Schedule on a pending timer pushes a new entry; an entry is stale when
// its timer is no longer pending or has been rescheduled since (its seq differs).
// Stale entries are dropped when they reach the top, and the heap is rebuilt when they
// outnumber the live ones, which keeps memory within twice the live entries and the
// amortised cost of Stop and Schedule at O(log n). Each pending timer has exactly one
// live entry, so len(heap) = live + stale. Which entries are stale never affects the
// order in which live entries fire: that is (at, seq), a total order.

type slot struct {
	at  time.Duration
	seq uint64
	t   *Timer
}

func (s *slot) stale() bool { return !s.t.pending || s.t.seq != s.seq }

func less(a, b *slot) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// next drops stale entries from the top and returns the earliest pending timer, or
// nil when none is pending. The timer stays queued.
func (e *Engine) next() *Timer {
	for len(e.heap) > 0 {
		if s := &e.heap[0]; !s.stale() {
			return s.t
		}
		e.pop()
	}
	return nil
}

func (e *Engine) push(t *Timer) {
	i := len(e.heap)
	e.heap = append(e.heap, slot{at: t.at, seq: t.seq, t: t})
	e.up(i)
}

// pop removes the top entry; the heap must not be empty.
func (e *Engine) pop() {
	h := e.heap
	last := len(h) - 1
	h[0] = h[last]
	h[last] = slot{}
	e.heap = h[:last]
	if last > 1 {
		e.down(0)
	}
}

// minCompact is the number of stale entries below which the heap is never rebuilt.
const minCompact = 64

// maybeCompact rebuilds the heap without its stale entries once they outnumber the
// live ones.
func (e *Engine) maybeCompact() {
	stale := len(e.heap) - e.live
	if stale < minCompact || stale <= e.live {
		return
	}
	h := e.heap
	n := 0
	for i := range h {
		if !h[i].stale() {
			h[n] = h[i]
			n++
		}
	}
	clear(h[n:])
	e.heap = h[:n]
	for i := (n - 2) / 4; i >= 0; i-- {
		e.down(i)
	}
}

func (e *Engine) up(i int) {
	h := e.heap
	x := h[i]
	for i > 0 {
		p := (i - 1) / 4
		if !less(&x, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = x
}

func (e *Engine) down(i int) {
	h := e.heap
	n := len(h)
	x := h[i]
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		if c+3 < n {
			// All four children exist (the common case): a fixed pattern.
			if less(&h[c+1], &h[m]) {
				m = c + 1
			}
			if less(&h[c+2], &h[m]) {
				m = c + 2
			}
			if less(&h[c+3], &h[m]) {
				m = c + 3
			}
		} else {
			for j := c + 1; j < n; j++ {
				if less(&h[j], &h[m]) {
					m = j
				}
			}
		}
		if !less(&h[m], &x) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = x
}
