package sim

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"
	"unsafe"
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
	q       queue
	live    int // pending timers: queue entries that are not stale
	pool    []*oneShot
	seed    uint64
	start   time.Time
	stopped bool
	firing  bool
	fired   uint64
	touch   uint64 // see take
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
	ErrNotReserved = errors.New("sim: sequence number was not reserved")
	ErrFired       = errors.New("sim: (time, sequence) is not after the last event fired")
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

// Firing reports whether a timer's callback is running. Outside one (between RunUntil
// calls, say) every event due at or before Now has fired; inside one, events due at Now
// may still be waiting. Components that skip events (lazy modes) use it to tell whether
// an event of theirs due exactly now would already have run.
func (e *Engine) Firing() bool { return e.firing }

// Pending is the number of timers waiting to fire.
func (e *Engine) Pending() int { return e.live }

// Timer is a reusable scheduled callback. A component usually owns a few long-lived
// Timers and moves them (Schedule) instead of creating new events, which keeps the
// steady state allocation-free. The zero Timer is not usable; use NewTimer.
type Timer struct {
	e  *Engine
	fn func()
	at time.Duration
	// seq is the sequence number of the timer's live queue entry while the timer is
	// scheduled, and 0 while it is not (sequence numbers start at 1). Four words:
	// a Timer fits the 32-byte size class and so never spans two cache lines.
	seq uint64
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
	pending := t.seq != 0
	e.seq++
	t.at, t.seq = at, e.seq
	if pending {
		// The entry for the old schedule goes stale (see the queue comment).
		e.push(t)
		e.maybeCompact()
		return nil
	}
	e.live++
	e.push(t)
	return nil
}

// Reserve takes the next sequence number without scheduling anything, for a
// component that queues its own events in order and keeps one Timer for the first
// (a watch: a notification per change, delivered in change order). Scheduled later
// with ScheduleReserved, an event fires where one scheduled at the moment of the
// Reserve call would have, among everything due at the same instant; the engine's
// queue holds one entry for the component, not one per queued event.
func (e *Engine) Reserve() uint64 {
	e.seq++
	return e.seq
}

// ScheduleReserved is Schedule with a sequence number from Reserve (replacing any
// pending schedule). It is an error if at is before now, if seq was not reserved, or
// if (at, seq) is not after the event firing or last fired: the engine's time and
// order never go back.
func (t *Timer) ScheduleReserved(at time.Duration, seq uint64) error {
	e := t.e
	if at < e.now {
		return fmt.Errorf("%w: %v < %v", ErrPast, at, e.now)
	}
	if seq == 0 || seq > e.seq {
		return fmt.Errorf("%w: %d", ErrNotReserved, seq)
	}
	if at == e.q.last.at && seq <= e.q.last.seq && e.fired > 0 {
		return fmt.Errorf("%w: %d at %v", ErrFired, seq, at)
	}
	// Schedule's tail, written out: a shared helper is not inlined and costs Schedule,
	// the kernel's hot path, ≈ 10 instructions per event (cachegrind)
	pending := t.seq != 0
	t.at, t.seq = at, seq
	if !pending {
		e.live++
	}
	e.push(t)
	if pending {
		e.maybeCompact()
	}
	return nil
}

// ScheduleAfter sets the timer to fire d after the current time. A negative d is an error.
func (t *Timer) ScheduleAfter(d time.Duration) error { return t.Schedule(t.e.now + d) }

// Stop cancels the pending schedule. It reports whether the timer was pending.
func (t *Timer) Stop() bool {
	if t.seq == 0 {
		return false
	}
	t.seq = 0
	t.e.live--
	t.e.maybeCompact()
	return true
}

// Pending reports whether the timer is scheduled.
func (t *Timer) Pending() bool { return t.seq != 0 }

// When is the instant the timer is scheduled for (meaningful while Pending).
func (t *Timer) When() time.Duration { return t.at }

// A oneShot backs the events of Engine.At. Its Timer has a nil fn, which no other
// Timer has, and the event's callback is call; it returns to the engine's pool when
// it fires or is cancelled, and gen tells the event a Handle refers to from the
// later ones it backs. (A method value for fn would do without the nil, but each
// would be an object of its own, a cache miss per event.)
type oneShot struct {
	Timer // first, so that a *Timer with a nil fn converts to its *oneShot
	call  func()
	gen   uint32
}

func (o *oneShot) release() {
	o.gen++
	o.call = nil
	o.e.pool = append(o.e.pool, o)
}

// Handle refers to a one-shot event created by At or After. It stays valid until the
// event fires or is cancelled; after that its methods report a stale handle.
type Handle struct {
	o   *oneShot
	gen uint32
}

func (h Handle) live() bool { return h.o != nil && h.o.gen == h.gen && h.o.seq != 0 }

// Cancel removes the event. It reports whether the event was still pending.
func (h Handle) Cancel() bool {
	if !h.live() {
		return false
	}
	h.o.Stop()
	h.o.release()
	return true
}

// Move reschedules the pending event to at. It fails with ErrStaleHandle if the event
// already fired or was cancelled, and with ErrPast if at is before now.
func (h Handle) Move(at time.Duration) error {
	if !h.live() {
		return ErrStaleHandle
	}
	return h.o.Schedule(at)
}

// Pending reports whether the event is still waiting to fire.
func (h Handle) Pending() bool { return h.live() }

// When is the instant the event is due (meaningful while Pending).
func (h Handle) When() time.Duration {
	if !h.live() {
		return 0
	}
	return h.o.at
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
	var o *oneShot
	if n := len(e.pool); n > 0 {
		o = e.pool[n-1]
		e.pool = e.pool[:n-1]
	} else {
		o = &oneShot{Timer: Timer{e: e}}
	}
	o.call = fn
	e.seq++
	o.at, o.seq = at, e.seq
	e.live++
	e.push(&o.Timer)
	return Handle{o: o, gen: o.gen}, nil
}

// After schedules fn to run once, d after now. A negative d is an error.
func (e *Engine) After(d time.Duration, fn func()) (Handle, error) { return e.At(e.now+d, fn) }

// Peek returns the time of the next pending event, and false if there is none.
func (e *Engine) Peek() (time.Duration, bool) {
	t, _ := e.next()
	if t == nil {
		return 0, false
	}
	return t.at, true
}

// Step fires the next event, advancing the clock to its time. It reports whether an
// event was fired.
func (e *Engine) Step() bool { return e.fireNext(math.MaxInt64) }

// fireNext fires the next event if it is due at or before until, and reports whether
// it did. It is the engine's hot path: the common case, a live cached least, is
// checked here rather than in a call to next, and the lone entry in its bucket is
// taken without a call either (see take).
func (e *Engine) fireNext(until time.Duration) bool {
	p := e.q.least
	var t *Timer
	if p.s != nil {
		t = p.s.t
	}
	if t == nil || t.seq != p.s.seq {
		if t, p = e.next(); t == nil {
			return false
		}
	}
	if t.at > until {
		return false
	}
	fn := t.fn
	if fn == nil {
		// A one-shot: it goes back to the pool before its callback runs.
		o := (*oneShot)(unsafe.Pointer(t))
		fn = o.call
		o.release()
	}
	t.seq = 0
	e.live--
	e.now = t.at
	e.fired++
	e.take(p)
	was := e.firing
	e.firing = true
	fn()
	e.firing = was
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
	for e.fireNext(until) {
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

// The queue is a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan), the monotone
// priority queue that suits a discrete-event simulation: an entry's key is (at, seq)
// read as one 128-bit number, and keys only grow, because nothing is scheduled before
// now and every schedule takes a new seq. Keys are read in base 256: an entry's
// bucket is the first digit in which its key differs from the last fired key (the
// level) and its own value of that digit, so every entry in a lower bucket is smaller
// than every entry in a higher one. Firing takes the least entry of the first
// non-empty bucket, makes it the last fired key and moves the rest of that bucket to
// lower levels. An entry only ever moves down, so an event costs a few sequential
// copies whatever the queue size: in BenchmarkKernel about 2 moves and 3 entries
// scanned per event at 10k pending, 3 and 4 at 1M.
//
// An entry holds its timer's pointer next to its key, so the entry that fires names
// its timer without another load. (Entries named their timer by an index into a
// table of timers for a while, to keep them pointer-free: no write barrier and no GC
// scan. A radix heap moves an entry about twice, so barriers cost little, while the
// table and its free list cost a cache line or two per event: at 1M pending, `at`
// events went from 558 to 361 ns, and L2 misses per event at 10k pending, in
// cachegrind, from 2.56 to 2.09 for timers and 1.49 to 1.14 for `at`.) A chunk put
// back on the free list is cleared, so the queue keeps no fired timer alive.
//
// This replaced a 4-ary heap of *Timer. Profiles of BenchmarkKernel at 10k pending
// events put the heap's time in its sift-down: first in cache misses on the Timers
// (each compare dereferenced one, and each move wrote the Timer's index), then, with
// keys inline, in bounds checks, write barriers and mispredicted comparisons over
// about 7 levels, and at 1M pending in a cache miss per level. A binary radix heap
// moved each entry about 7 times; base 16 about 3; base 256 about 2.
//
// Most events take an entry alone in its bucket (92 % of them at 10k pending, 84 % at
// 1M): nothing moves, and the next least is then usually alone in its bucket too. The
// fixed cost of an event, not the moves, is then most of the kernel's instructions,
// which is why fireNext and take handle that case without calls, and a lone entry
// without leastOf's scan (about 600 instructions per event down to 450 at 10k
// pending). The rest is memory: the next timer, which take touches ahead of time,
// and the callback's closure and receiver, which the engine cannot reach.
//
// Removal is lazy, as in the Go runtime's timer heaps. Stop only marks the timer not
// pending (its seq becomes 0), and Schedule on a pending timer adds a new entry; an
// entry is stale when its seq is not its timer's: the timer is no longer pending or
// has been rescheduled since.
// Stale entries are dropped when one comes up as the least (its whole bucket is
// swept), and the queue is swept when they outnumber the live ones, which keeps
// memory within about twice the live entries. Each pending timer has exactly one live
// entry, so q.n = live + stale. Which entries are stale never affects the order in
// which live entries fire: that is (at, seq), a total order, and seq is unique to
// each entry.

type slot struct {
	at  time.Duration // ≥ 0, so it compares the same as a uint64
	seq uint64
	t   *Timer
}

func (a *slot) less(b *slot) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// key is an entry's key without its timer: the last fired key is kept as one, so that
// setting it (once per event) is a plain store, with no write-barrier check.
type key struct {
	at  time.Duration
	seq uint64
}

func (k *key) less(s *slot) bool { return k.at < s.at || (k.at == s.at && k.seq < s.seq) }

type queue struct {
	last key                  // key of the last fired entry
	n    int                  // entries in all buckets
	full [buckets / 64]uint64 // bit k set when bucket k is not empty
	any  uint64               // bit w set when full[w] is not 0
	bkt  [buckets]*chunk
	free *chunk // unused chunks, linked by next
	made int    // chunks allocated
	// The least entry's position, when least.s is not nil: computed before a
	// callback runs (Engine.take) and kept up to date by push, so that the next
	// event, Peek, and RunUntil with nothing due cost O(1).
	least pos
}

// A bucket is a stack of chunks: the first holds the most recent entries and is the
// only one that may be partly filled. Chunks are recycled through queue.free and
// allocated in batches of a quarter of those made so far (at least 4), so the queue
// stops allocating once it has held its largest number of entries: a bucket's
// chunks number at most len/chunkLen + 1, and the batches absorb the fluctuation in
// partly filled chunks. Small chunks keep that slack small with 4096 buckets.
const chunkLen = 16

type chunk struct {
	next *chunk // first, so that the GC scans a single word of the chunk
	n    int
	s    [chunkLen]slot
}

// pos is where an entry is: s, in bucket b.
type pos struct {
	b int
	s *slot
}

// The radix is 2^digitBits: a key is read as 128/digitBits digits, and the bucket of
// an entry is given by the first digit in which its key differs from the last fired
// key (its level) and its value there.
const (
	digitBits = 8
	digits    = 1 << digitBits
	levels    = 128 / digitBits
	buckets   = levels * digits
)

// bucket is the index of the bucket an entry with key (at, seq) belongs in.
func (q *queue) bucket(at time.Duration, seq uint64) int { return bucketOf(at, seq, &q.last) }

func bucketOf(at time.Duration, seq uint64, last *key) int {
	// sh is the level times digitBits: the shift that brings the digit down. Keys
	// in the queue differ from the last fired key, so the length is never 0.
	if x := uint64(at ^ last.at); x != 0 {
		sh := uint(bits.Len64(x)-1) &^ (digitBits - 1)
		return levels/2*digits + int(sh)*(digits/digitBits) + int(uint64(at)>>sh)&(digits-1)
	}
	sh := uint(bits.Len64(seq^last.seq)-1) &^ (digitBits - 1)
	return int(sh)*(digits/digitBits) + int(seq>>sh)&(digits-1)
}

func (q *queue) newChunk(next *chunk) *chunk {
	if q.free == nil {
		batch := make([]chunk, max(4, q.made/4))
		q.made += len(batch)
		for i := range batch {
			q.freeChunk(&batch[i])
		}
	}
	c := q.free
	q.free = c.next
	c.next = next
	return c
}

// freeChunk returns c to the free list, its entries' timers cleared so that it keeps
// no timer alive. Only the pointers need clearing: a clear of the whole entries cost
// a call to the runtime's memclrHasPointers (and its write-barrier check) per chunk,
// ≈ 40 instructions per event in BenchmarkKernel, 8 % of the event.
func (q *queue) freeChunk(c *chunk) {
	for i := range c.s[:c.n] {
		c.s[i].t = nil
	}
	c.n = 0
	c.next = q.free
	q.free = c
}

func (q *queue) setFull(b int) {
	q.full[b>>6] |= 1 << (b & 63)
	q.any |= 1 << (b >> 6)
}

func (q *queue) clearFull(b int) {
	q.full[b>>6] &^= 1 << (b & 63)
	if q.full[b>>6] == 0 {
		q.any &^= 1 << (b >> 6)
	}
}

// first is the first non-empty bucket, or -1.
func (q *queue) first() int {
	if q.any == 0 {
		return -1
	}
	w := bits.TrailingZeros64(q.any)
	return w<<6 + bits.TrailingZeros64(q.full[w&(len(q.full)-1)])
}

// leastOf is the position of the least entry in bucket b, which must not be empty.
func (q *queue) leastOf(b int) pos {
	c := q.bkt[b]
	p := pos{b: b, s: &c.s[0]}
	at, seq := p.s.at, p.s.seq
	for ; c != nil; c = c.next {
		s := c.s[:c.n]
		for k := range s {
			if x := &s[k]; x.at < at || x.at == at && x.seq < seq {
				at, seq = x.at, x.seq
				p.s = x
			}
		}
	}
	return p
}

// next returns the earliest pending timer and the position of its entry, dropping
// the stale entries it meets, or a nil timer when none is pending. The entry stays
// queued.
func (e *Engine) next() (*Timer, pos) {
	q := &e.q
	for {
		if q.least.s == nil {
			b := q.first()
			if b < 0 {
				return nil, pos{}
			}
			q.least = q.leastOf(b)
		}
		p := q.least
		if t := p.s.t; t.seq == p.s.seq {
			return t, p
		}
		// The least is stale: drop every stale entry of its bucket at once, which
		// keeps a run of stale entries linear rather than quadratic.
		e.sweep(p.b)
	}
}

// take removes the least entry, at p in the first non-empty bucket, makes its key the
// last one and redistributes the rest of its bucket into lower buckets. Then, before
// the callback runs, it finds the next least entry (push keeps it up to date if the
// callback schedules an earlier one) and touches its timer, so that the cache miss
// on the timer overlaps with the callback instead of stalling the next event.
func (e *Engine) take(p pos) {
	q := &e.q
	s := p.s
	q.last = key{at: s.at, seq: s.seq}
	q.n--
	c := q.bkt[p.b]
	q.bkt[p.b] = nil
	q.clearFull(p.b)
	if c.n == 1 && c.next == nil {
		// The entry was alone in its bucket: the case of most events. (freeChunk,
		// written out for a chunk of one entry.)
		c.s[0].t = nil
		c.n, c.next, q.free = 0, q.free, c
	} else {
		// Remove the entry taken: the bucket's most recent entry fills its place
		// (the first chunk may be left empty).
		c.n--
		*s = c.s[c.n]
		c.s[c.n].t = nil
		q.spread(c)
	}
	b := q.first()
	if b < 0 {
		q.least.s = nil
		return
	}
	if c := q.bkt[b]; c.n == 1 && c.next == nil {
		q.least = pos{b: b, s: &c.s[0]}
	} else {
		q.least = q.leastOf(b)
	}
	// A load and a branch that is never taken: unlike a store of the loaded value,
	// it lets the callback run while the load is outstanding.
	if q.least.s.t.at < 0 {
		e.touch++
	}
}

// spread moves the entries of the chunks from c on, a bucket taken from, into the
// lower buckets that their keys now belong in.
func (q *queue) spread(c *chunk) {
	for c != nil {
		// This loop is where the queue spends its time: push's insertion, inlined
		// by hand.
		s := c.s[:c.n]
		for k := range s {
			x := &s[k]
			b := bucketOf(x.at, x.seq, &q.last) & (buckets - 1)
			h := q.bkt[b]
			if h == nil || h.n == chunkLen {
				h = q.newChunk(h)
				q.bkt[b] = h
				q.setFull(b)
			}
			h.s[h.n&(chunkLen-1)] = *x
			h.n++
		}
		next := c.next
		q.freeChunk(c)
		c = next
	}
}

// push queues an entry for t's schedule and keeps the cached least entry, if any, up
// to date.
func (e *Engine) push(t *Timer) {
	q := &e.q
	b := q.bucket(t.at, t.seq)
	c := q.bkt[b]
	if c == nil || c.n == chunkLen {
		c = q.newChunk(c)
		q.bkt[b] = c
		q.setFull(b)
	}
	s := &c.s[c.n&(chunkLen-1)]
	*s = slot{at: t.at, seq: t.seq, t: t}
	c.n++
	q.n++
	// Below the cached least's bucket every bucket was empty, so s is then alone in
	// its bucket and the least; in the same bucket it is the least if it is less.
	if q.least.s != nil && (b < q.least.b || b == q.least.b && s.less(q.least.s)) {
		q.least = pos{b: b, s: s}
	}
}

// minCompact is the number of stale entries below which the queue is never rebuilt.
const minCompact = 64

// maybeCompact drops the stale entries once they outnumber the live ones.
func (e *Engine) maybeCompact() {
	stale := e.q.n - e.live
	if stale < minCompact || stale <= e.live {
		return
	}
	for b := range e.q.bkt {
		if e.q.bkt[b] != nil {
			e.sweep(b)
		}
	}
}

// sweep drops the stale entries of bucket b. The others stay in b, since the last
// fired key does not change.
func (e *Engine) sweep(b int) {
	q := &e.q
	q.least.s = nil
	c := q.bkt[b]
	q.bkt[b] = nil
	q.clearFull(b)
	for c != nil {
		q.n -= c.n
		for k := range c.s[:c.n] {
			if s := &c.s[k]; s.t.seq == s.seq {
				e.push(s.t)
			}
		}
		next := c.next
		q.freeChunk(c)
		c = next
	}
}
