package workload

import (
	"errors"
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

// errSyncInFlight is what a sync returns when it has not ended: it waits for its
// client's tokens (a worker blocked in the rate limiter's Wait) and its controller
// calls workQueue.done when it ends.
var errSyncInFlight = errors.New("workload: sync in flight")

// workQueue is a controller's work queue: keys added while a batch is pending are
// processed together, in key order, at the instant they were added (a worker picking
// them up at once), each key at most once per batch. A sync that fails is retried with
// per-key exponential backoff.
//
// A sync that returns errSyncInFlight holds its key until done, as client-go's
// workqueue holds a key between Get and Done (its processing set): an add of the key
// meanwhile only marks it dirty, and it is queued again when the sync is done. Such a
// sync also holds one of the queue's workers: with workers > 0, once that many syncs
// are in flight no other sync starts until one is done (upstream's worker goroutines,
// all blocked), and the keys wait in the queue.
type workQueue struct {
	e        *sim.Engine
	sync     func(key string) error
	dirty    map[string]struct{}
	keys     []string
	timer    *sim.Timer
	failures map[string]int
	// later holds each key's pending delayed add; free holds ended ones for reuse, so
	// that a delayed add allocates nothing once the queue has run a while (the
	// ReplicaSet controller makes one per pod turning Ready under minReadySeconds).
	later   map[string]*delayedAdd
	free    []*delayedAdd
	stopped bool
	batch   []string
	// busyUntil is when the worker is free again after the last batch.
	busyUntil time.Duration
	// processing: the keys whose sync is in flight; workers: how many may be (0: no
	// limit)
	processing map[string]struct{}
	workers    int
	// round counts the batches run; current and pos are the batch being run and the
	// index of the key being synced in it (sorted: a sync may look at the keys after
	// its own, as the DaemonSet controller does to take a DaemonSet's keys together)
	round   uint64
	current []string
	pos     int
	// taken: the keys of current before this index were synced by an earlier key's
	// sync (the DaemonSet controller's syncAll): never re-queued when no worker is free
	taken int
}

func newWorkQueue(e *sim.Engine, sync func(string) error) *workQueue {
	q := &workQueue{e: e, sync: sync, dirty: map[string]struct{}{}, failures: map[string]int{}, later: map[string]*delayedAdd{}}
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
	if len(q.processing) > 0 {
		if _, ok := q.processing[key]; ok {
			return // queued by done
		}
	}
	q.keys = append(q.keys, key)
	q.wake()
}

// wake schedules the next batch if there are keys, none is scheduled and a worker is
// free.
func (q *workQueue) wake() {
	if len(q.keys) > 0 && !q.timer.Pending() && !q.full() {
		_ = q.timer.Schedule(max(q.e.Now(), q.busyUntil))
	}
}

// full reports whether every worker holds a sync in flight.
func (q *workQueue) full() bool { return q.workers > 0 && len(q.processing) >= q.workers }

// delayedAdd is a pending addAfter of key. fire is bound to it once, when it is
// first made.
type delayedAdd struct {
	key  string
	h    sim.Handle
	fire func()
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
	da := q.later[key]
	if da != nil {
		if da.h.When() <= at {
			return
		}
		da.h.Cancel()
	} else {
		if n := len(q.free); n > 0 {
			da, q.free = q.free[n-1], q.free[:n-1]
		} else {
			da = &delayedAdd{}
			da.fire = func() { q.fired(da) }
		}
		da.key = key
	}
	h, err := q.e.At(at, da.fire)
	if err != nil {
		q.release(da)
		return
	}
	da.h = h
	q.later[key] = da
}

// fired is a delayed add's instant: the key is queued now.
func (q *workQueue) fired(da *delayedAdd) {
	key := da.key
	q.release(da)
	q.add(key)
}

func (q *workQueue) release(da *delayedAdd) {
	if q.later[da.key] == da {
		delete(q.later, da.key)
	}
	da.key, da.h = "", sim.Handle{}
	q.free = append(q.free, da)
}

func (q *workQueue) run() {
	q.busyUntil = q.e.Now() + syncDuration
	batch := q.keys
	q.keys = q.batch[:0]
	sort.Strings(batch)
	for _, k := range batch {
		delete(q.dirty, k)
	}
	q.round++
	q.current = batch
	for i, k := range batch {
		if q.stopped {
			break
		}
		q.pos = i
		if q.full() {
			// no worker is free: the rest stay queued until a sync in flight is done
			for _, k := range batch[max(i, q.taken):] {
				if _, ok := q.dirty[k]; !ok {
					q.dirty[k] = struct{}{}
					q.keys = append(q.keys, k)
				}
			}
			break
		}
		err := q.sync(k)
		if err == errSyncInFlight {
			if q.processing == nil {
				q.processing = map[string]struct{}{}
			}
			q.processing[k] = struct{}{}
			continue
		}
		q.forgetOrRetry(k, err)
	}
	q.current, q.pos, q.taken = nil, 0, 0
	q.batch = batch[:0]
}

// forgetOrRetry ends a sync of key: a failed one is queued again after its backoff
// (AddRateLimited), a successful one resets the key's backoff (Forget).
func (q *workQueue) forgetOrRetry(k string, err error) {
	if err != nil {
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

// done ends a sync of key that was in flight (the workqueue's Done): its result is
// handled as run handles one, the key is queued again if it was added meanwhile, and
// its worker is free.
func (q *workQueue) done(key string, err error) {
	if q.stopped {
		return
	}
	delete(q.processing, key)
	q.forgetOrRetry(key, err)
	if _, ok := q.dirty[key]; ok {
		q.keys = append(q.keys, key)
	}
	q.wake()
}

// stop cancels every pending timer of the queue.
func (q *workQueue) stop() {
	q.stopped = true
	q.timer.Stop()
	for _, da := range q.later { // cancelling has no observable order
		da.h.Cancel()
	}
	q.later = map[string]*delayedAdd{}
}
