package nodelifecycle

import (
	"math"
	"time"
)

// tokenBucket is client-go's flowcontrol token bucket (golang.org/x/time/rate underneath)
// with burst 1, or the never-accepting limiter when qps is zero. The QPS is a float32 as in
// kube-controller-manager's configuration, widened to float64 as rate.Limit does: 0.01 is
// then slightly below 0.01, which is why a 0.01 QPS bucket refills on the 100 ms grid after
// 100.1 s, not 100 s.
type tokenBucket struct {
	qps     float32
	tokens  float64
	last    time.Duration
	hasLast bool
	// the last firstAcceptTick answer: a pass re-queues every waiting node of a zone
	// and asks again after each, with the bucket unchanged
	memo acceptMemo
}

// acceptMemo is firstAcceptTick's answer t, ok for from, origin and period, while valid
// (the bucket's state has not changed since).
type acceptMemo struct {
	valid                bool
	from, origin, period time.Duration
	t                    time.Duration
	ok                   bool
}

func newTokenBucket(qps float32) tokenBucket {
	if qps <= 0 {
		return tokenBucket{}
	}
	return tokenBucket{qps: qps, tokens: EvictionRateLimiterBurst} // starts full
}

func (b *tokenBucket) never() bool { return b.qps <= 0 }

// available is rate.Limiter's advance: the tokens the bucket would hold at t.
func (b *tokenBucket) available(t time.Duration) float64 {
	if !b.hasLast {
		return EvictionRateLimiterBurst
	}
	last := b.last
	if t < last {
		last = t
	}
	tok := b.tokens + (t-last).Seconds()*float64(b.qps)
	if tok > EvictionRateLimiterBurst {
		tok = EvictionRateLimiterBurst
	}
	return tok
}

// accepts reports whether TryAccept at t would succeed (rate.Limiter.AllowN with n = 1:
// a deficit worth less than a nanosecond of refill is accepted, as upstream).
func (b *tokenBucket) accepts(t time.Duration) (bool, float64) {
	if b.never() {
		return false, 0
	}
	rem := b.available(t) - 1
	if rem < 0 {
		wait := time.Duration(float64(time.Second) * (-rem / float64(b.qps)))
		if wait > 0 {
			return false, rem
		}
	}
	return true, rem
}

// tryAccept takes a token at t if there is one.
func (b *tokenBucket) tryAccept(t time.Duration) bool {
	ok, rem := b.accepts(t)
	if ok {
		b.tokens, b.last, b.hasLast = rem, t, true
		b.memo.valid = false
	}
	return ok
}

// firstAcceptTick returns the first instant origin + k·period ≥ from at which tryAccept
// would succeed, and false if it never will (qps zero or a refill longer than ~30 years).
func (b *tokenBucket) firstAcceptTick(from, origin, period time.Duration) (time.Duration, bool) {
	if m := &b.memo; m.valid && m.from == from && m.origin == origin && m.period == period {
		return m.t, m.ok
	}
	t, ok := b.computeFirstAcceptTick(from, origin, period)
	b.memo = acceptMemo{valid: true, from: from, origin: origin, period: period, t: t, ok: ok}
	return t, ok
}

func (b *tokenBucket) computeFirstAcceptTick(from, origin, period time.Duration) (time.Duration, bool) {
	if b.never() {
		return 0, false
	}
	g := gridAtOrAfter(from, origin, period)
	if ok, _ := b.accepts(g); ok {
		return g, true
	}
	need := (1 - b.available(b.last)) / float64(b.qps) // seconds after last
	if need > 1e9 || math.IsNaN(need) {
		return 0, false
	}
	est := b.last + time.Duration(need*float64(time.Second)) - 2*period
	if est > g {
		g = gridAtOrAfter(est, origin, period)
	}
	for i := 0; i < 1000; i++ {
		if ok, _ := b.accepts(g); ok {
			return g, true
		}
		g += period
	}
	return 0, false
}

// gridAtOrAfter is the first origin + k·period ≥ t with k ≥ 1: the tick at origin itself
// runs when the loop starts, before the first monitor pass, when every queue is empty.
func gridAtOrAfter(t, origin, period time.Duration) time.Duration {
	if t <= origin+period {
		return origin + period
	}
	k := (t - origin + period - 1) / period
	return origin + k*period
}

// timedValue is one entry of a zone's tainting queue (scheduler.TimedValue).
type timedValue struct {
	name      string
	uid       uint64
	addedAt   time.Duration
	processAt time.Duration
	seq       uint64
	item      *queueItem
}

// queueItem is a name's membership of a queue: in the set, and the seq of its live heap
// entry (0: none). A queue keeps the item of every name it has seen (a zone's nodes at
// most), so that a caller may hold on to it.
type queueItem struct {
	inSet bool
	seq   uint64
	owner *nodeHealth // the controller's record of the name, when it has re-added it
}

// rateLimitedTimedQueue is scheduler.RateLimitedTimedQueue: a unique set of node names,
// processed in processAt order (ties in insertion order), at most as fast as its token
// bucket allows. After a successful action an entry leaves the heap but stays in the set,
// so re-adding it is a no-op until Remove.
//
// The heap is a slice sorted by (processAt, seq). The controller removes and re-adds
// every waiting node of a zone on every monitor pass (markNodeForTainting, as upstream),
// so removal is lazy: a removed entry stays in the slice, dead (its seq is no longer its
// item's), until it reaches the head or the slice is compacted. That keeps a pass over n
// waiting nodes O(n) instead of O(n²), with one map lookup per node.
type rateLimitedTimedQueue struct {
	heap    []timedValue // sorted by (processAt, seq); dead entries included
	items   map[string]*queueItem
	live    int // entries of the heap that are not dead
	limiter tokenBucket
	seq     uint64

	// The lazy mode's nodes that wait here, skipped by the passes (see
	// Controller.prepareWaiting): how many, and during a pass that skips them, they and
	// their UIDs in queue order (which is name order), and how many of them the pass
	// has re-added so far.
	nWaiting int
	skipping bool
	queued   bool // the pass queued a node it visited here
	skip     []*nodeHealth
	skipUID  []uint64
	next     int
	// skip is also what the last walk found, valid while the queue has had no push
	// (seq) and no entry dropped (live) since: skipSeq and skipLive then still equal.
	skipOK            bool
	skipSeq, skipLive uint64
}

func newRateLimitedTimedQueue(qps float32) *rateLimitedTimedQueue {
	return &rateLimitedTimedQueue{items: map[string]*queueItem{}, limiter: newTokenBucket(qps)}
}

func (q *rateLimitedTimedQueue) has(name string) bool {
	it := q.items[name]
	return it != nil && it.inSet
}

// waiting reports whether the heap holds a live entry.
func (q *rateLimitedTimedQueue) waiting() bool { return q.live > 0 }

func (q *rateLimitedTimedQueue) dead(v *timedValue) bool { return v.item.seq != v.seq }

func (q *rateLimitedTimedQueue) push(v timedValue) {
	q.seq++
	v.seq = q.seq
	if v.item.seq == 0 {
		q.live++
	}
	v.item.seq = v.seq
	i := len(q.heap)
	for i > 0 && q.heap[i-1].processAt > v.processAt {
		i--
	}
	q.heap = append(q.heap, timedValue{})
	copy(q.heap[i+1:], q.heap[i:])
	q.heap[i] = v
}

// drop makes the item's heap entry dead; the slice is compacted when most of it is dead.
func (q *rateLimitedTimedQueue) drop(it *queueItem) {
	if it.seq == 0 {
		return
	}
	it.seq = 0
	q.live--
	if len(q.heap) > 32 && len(q.heap) > 2*q.live {
		kept := q.heap[:0]
		for _, v := range q.heap {
			if !q.dead(&v) {
				kept = append(kept, v)
			}
		}
		clear(q.heap[len(kept):])
		q.heap = kept
	}
}

// head returns the first live entry, dropping dead ones before it.
func (q *rateLimitedTimedQueue) head() (timedValue, bool) {
	for len(q.heap) > 0 {
		if v := q.heap[0]; !q.dead(&v) {
			return v, true
		}
		q.heap[0] = timedValue{}
		q.heap = q.heap[1:]
	}
	return timedValue{}, false
}

// item returns name's item, creating it (not in the set).
func (q *rateLimitedTimedQueue) item(name string) *queueItem {
	it := q.items[name]
	if it == nil {
		it = &queueItem{}
		q.items[name] = it
	}
	return it
}

// add enqueues name with processAt = now unless it is already in the set.
func (q *rateLimitedTimedQueue) add(name string, uid uint64, now time.Duration) bool {
	return q.addItem(q.item(name), name, uid, now)
}

// addItem is add of it, name's item.
func (q *rateLimitedTimedQueue) addItem(it *queueItem, name string, uid uint64, now time.Duration) bool {
	if it.inSet {
		return false
	}
	it.inSet = true
	q.push(timedValue{name: name, uid: uid, addedAt: now, processAt: now, item: it})
	return true
}

// remove deletes name from the set and the heap; it reports whether it was in the set.
func (q *rateLimitedTimedQueue) remove(name string) bool {
	it := q.items[name]
	if it == nil || !it.inSet {
		return false
	}
	it.inSet = false
	q.drop(it)
	return true
}

// readd is remove then add of it, name's item: the name goes to the back with
// processAt = now.
func (q *rateLimitedTimedQueue) readd(it *queueItem, name string, uid uint64, now time.Duration) {
	q.drop(it)
	it.inSet = true
	q.push(timedValue{name: name, uid: uid, addedAt: now, processAt: now, item: it})
}

// try is RateLimitedTimedQueue.Try at now: while there is a head, take a token (stop if
// none), stop if the head is not due, else run fn; on failure the head is retried after
// wait + 1 ns, on success it leaves the heap (but not the set).
func (q *rateLimitedTimedQueue) try(now time.Duration, fn func(v timedValue) (bool, time.Duration)) {
	for {
		if _, ok := q.head(); !ok {
			return
		}
		if !q.limiter.tryAccept(now) {
			return
		}
		v, _ := q.head()
		if now < v.processAt {
			return
		}
		ok, wait := fn(v)
		if v.item.seq == 0 {
			continue // fn removed it
		}
		q.drop(v.item)
		if !ok {
			v.processAt = now + wait + 1
			q.push(v)
		}
	}
}

// swapLimiter is RateLimitedTimedQueue.SwapLimiter: a new bucket (full, or drained when the
// old one had no token left), or the never limiter for qps ≤ 0.
func (q *rateLimitedTimedQueue) swapLimiter(qps float32, now time.Duration) {
	if q.limiter.qps == qps || (qps <= 0 && q.limiter.never()) {
		return
	}
	if qps <= 0 {
		q.limiter = tokenBucket{}
		return
	}
	nb := newTokenBucket(qps)
	if !q.limiter.tryAccept(now) {
		nb.tryAccept(now)
	}
	q.limiter = nb
}

// dropSkip forgets the waiting nodes a pass found (Controller.prepareWaiting).
func (q *rateLimitedTimedQueue) dropSkip() {
	clear(q.skip)
	q.skip, q.skipUID, q.skipOK = q.skip[:0], q.skipUID[:0], false
}
