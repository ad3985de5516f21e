package workload

import (
	"sort"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// Rate limiting of failed syncs, as client-go's DefaultControllerRateLimiter's
// per-item exponential part (workqueue.NewItemExponentialFailureRateLimiter(5ms, 1000s)).
const (
	retryBaseDelay = 5 * time.Millisecond
	retryMaxDelay  = 1000 * time.Second
)

// syncDuration is how long a batch of syncs keeps the worker busy: a real sync makes
// API calls and takes about a millisecond. Without it, two controllers undoing each
// other's work (a DaemonSet pod the taint eviction controller deletes at once because
// its first matching toleration has tolerationSeconds 0) would loop forever at one
// virtual instant; with it they loop at the pace a real cluster would.
const syncDuration = time.Millisecond

// workQueue is a controller's work queue: keys added while a batch is pending are
// processed together, in key order, at the instant they were added (a worker picking
// them up at once), each key at most once per batch. A sync that fails is retried with
// per-key exponential backoff.
type workQueue struct {
	e        *sim.Engine
	sync     func(key string) error
	dirty    map[string]struct{}
	keys     []string
	timer    *sim.Timer
	failures map[string]int
	later    map[string]sim.Handle
	stopped  bool
	batch    []string
	// busyUntil is when the worker is free again after the last batch.
	busyUntil time.Duration
}

func newWorkQueue(e *sim.Engine, sync func(string) error) *workQueue {
	q := &workQueue{e: e, sync: sync, dirty: map[string]struct{}{}, failures: map[string]int{}, later: map[string]sim.Handle{}}
	q.timer, _ = e.NewTimer(q.run)
	return q
}

// add queues key for the next batch (now).
func (q *workQueue) add(key string) {
	if q.stopped {
		return
	}
	n := len(q.dirty)
	q.dirty[key] = struct{}{} // one hash of the key, not a lookup and then a store
	if len(q.dirty) == n {
		return // already queued
	}
	q.keys = append(q.keys, key)
	if !q.timer.Pending() {
		_ = q.timer.Schedule(max(q.e.Now(), q.busyUntil))
	}
}

// addAfter queues key d from now; an earlier pending addAfter for the key wins, as
// a delaying queue keeps the earliest time.
func (q *workQueue) addAfter(key string, d time.Duration) {
	if q.stopped {
		return
	}
	if d <= 0 {
		q.add(key)
		return
	}
	at := q.e.Now() + d
	if h, ok := q.later[key]; ok && h.Pending() {
		if h.When() <= at {
			return
		}
		h.Cancel()
	}
	h, err := q.e.At(at, func() {
		delete(q.later, key)
		q.add(key)
	})
	if err == nil {
		q.later[key] = h
	}
}

func (q *workQueue) run() {
	q.busyUntil = q.e.Now() + syncDuration
	batch := q.keys
	q.keys = q.batch[:0]
	sort.Strings(batch)
	for _, k := range batch {
		delete(q.dirty, k)
	}
	for _, k := range batch {
		if q.stopped {
			break
		}
		if err := q.sync(k); err != nil {
			n := q.failures[k]
			q.failures[k] = n + 1
			d := retryBaseDelay << uint(min(n, 30))
			if d > retryMaxDelay || d <= 0 {
				d = retryMaxDelay
			}
			q.addAfter(k, d)
		} else if len(q.failures) > 0 { // (most queues never fail: no hashing then)
			delete(q.failures, k)
		}
	}
	q.batch = batch[:0]
}

// stop cancels every pending timer of the queue.
func (q *workQueue) stop() {
	q.stopped = true
	q.timer.Stop()
	for _, h := range q.later { // cancelling has no observable order
		h.Cancel()
	}
	q.later = map[string]sim.Handle{}
}
