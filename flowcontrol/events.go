package flowcontrol

import (
	"errors"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Constants of client-go's event recorder (tools/record/event.go, v0.31.0–v0.37.2).
const (
	// MaxQueuedEvents is how many events wait for the writer; more are dropped.
	MaxQueuedEvents = 1000
	// MaxTriesPerEvent is how many times the writer tries to send one event.
	MaxTriesPerEvent = 12
	// EventRetrySleep is the pause between two tries (the first is uniform in
	// [0, EventRetrySleep)).
	EventRetrySleep = 10 * time.Second
	// SpamBurst and SpamQPS are the event correlator's spam filter: each SpamKey's
	// events pass through a token bucket of SpamBurst refilled at SpamQPS
	// (tools/record/events_cache.go defaultSpamBurst, defaultSpamQPS).
	SpamBurst         = 25
	SpamQPS   float32 = 1. / 300.
)

// SpamKey is what the event correlator's spam filter counts a writer's events by
// (EventSourceObjectSpamFilter, getSpamKey): the object the event is about and the
// event's type. The object is its UID, or, for a component whose event reference
// carries no UID (the taint eviction controller's pods), its namespace/name. An event
// the filter skips is not written and spends no token.
type SpamKey struct {
	UID     uint64
	Name    string
	Warning bool // a Warning event, else Normal
}

// spamCache is the size of the correlator's cache of spam-filter buckets
// (maxLruCacheEntries). A bucket that is full again is the same as none: the writer
// forgets those once it holds more than twice as many keys (upstream's LRU evicts the
// least recently used ones, full or not: not modelled).
const spamCache = 4096

// queuedEvent is an event waiting for the writer; unkeyed events (Emit) are not
// filtered.
type queuedEvent struct {
	key   SpamKey
	keyed bool
}

type writerState uint8

const (
	writerIdle          writerState = iota
	writerAtToken                   // the timer fires when the event's token comes: send it
	writerAtRetry                   // the timer fires after a failed try's sleep: try again
	writerAtAnswer                  // the timer fires when the API server's answer comes
	writerAtLastFailure             // the timer fires when the last try has failed
)

// EventWriter is a component's event sink writer (see the package documentation).
// It is not safe to use after Stop.
type EventWriter struct {
	e     *sim.Engine
	c     *apiserver.Client
	lim   *Limiter
	rand  *sim.Rand
	timer *sim.Timer

	state writerState
	queue []queuedEvent // events waiting, not counting the one being written, from head
	head  int
	tries int // failed tries of the event being written
	stats EventStats
	// spam is the spam filter's bucket of each key it has seen (the correlator's LRU
	// cache of 4096 keys is not modelled: a writer here sees far fewer)
	spam map[SpamKey]*Limiter
}

// EventStats counts what an EventWriter did with the events emitted to it.
type EventStats struct {
	Written uint64 // sent and answered
	Dropped uint64 // emitted while MaxQueuedEvents waited
	Failed  uint64 // given up after MaxTriesPerEvent failed tries
	// Filtered counts the events the spam filter skipped (EmitAbout)
	Filtered uint64
}

// NewEventWriter returns an idle writer that sends through client c, each request
// waiting on lim (nil: no limit). r draws the first retry sleep; without it the first
// sleep is half of EventRetrySleep.
func NewEventWriter(e *sim.Engine, c *apiserver.Client, lim *Limiter, r *sim.Rand) (*EventWriter, error) {
	if e == nil || c == nil {
		return nil, errors.New("flowcontrol: NewEventWriter needs an engine and a client")
	}
	w := &EventWriter{e: e, c: c, lim: lim, rand: r}
	var err error
	if w.timer, err = e.NewTimer(w.fired); err != nil {
		return nil, err
	}
	return w, nil
}

// Emit hands one event to the writer (record.EventRecorder.Event): it is sent now if
// the writer is idle and a token is there, else queued, or dropped when
// MaxQueuedEvents already wait. The spam filter does not look at it: for a component
// whose events about one object stay far below SpamBurst.
func (w *EventWriter) Emit() { w.emit(queuedEvent{}) }

// EmitAbout is Emit of an event the spam filter counts under key: when the writer
// takes it, it is skipped unless key's bucket holds a token.
func (w *EventWriter) EmitAbout(key SpamKey) { w.emit(queuedEvent{key, true}) }

func (w *EventWriter) emit(ev queuedEvent) {
	if w.state != writerIdle {
		if len(w.queue)-w.head >= MaxQueuedEvents {
			w.stats.Dropped++
			return
		}
		w.queue = append(w.queue, ev)
		return
	}
	if w.take(ev) {
		w.next()
	}
}

// Admits reports how many of n events about key the spam filter would let through
// if the writer took them now (the component's estimate of the tokens they need).
func (w *EventWriter) Admits(key SpamKey, n int) int {
	b := w.spam[key]
	if b == nil {
		return min(n, SpamBurst)
	}
	return min(n, int(b.Available(w.e.Now())))
}

// Stop drops every queued event and the one being written (the process is gone).
func (w *EventWriter) Stop() {
	w.timer.Stop()
	w.state = writerIdle
	clear(w.queue)
	w.queue, w.head = w.queue[:0], 0
}

// Queued is how many events wait, counting the one being written.
func (w *EventWriter) Queued() int {
	n := len(w.queue) - w.head
	if w.state != writerIdle {
		n++
	}
	return n
}

// take starts on an event (recordToSink): the correlator's spam filter skips it or
// lets it through (EventCorrelate), and the writer tries to send it. It reports
// whether the event is finished now.
func (w *EventWriter) take(ev queuedEvent) bool {
	if ev.keyed {
		b := w.spam[ev.key]
		if b == nil {
			if w.spam == nil {
				w.spam = map[SpamKey]*Limiter{}
			}
			if len(w.spam) > 2*spamCache {
				now := w.e.Now()
				for k, old := range w.spam { // deletes every full one: the order cannot show
					if old.Available(now) >= SpamBurst {
						delete(w.spam, k)
					}
				}
			}
			b, _ = NewLimiter(SpamQPS, SpamBurst)
			w.spam[ev.key] = b
		}
		if !b.Allow(w.e.Now()) {
			w.stats.Filtered++
			return true
		}
	}
	w.tries = 0
	return w.attempt()
}

// Stats reports what the writer did so far.
func (w *EventWriter) Stats() EventStats { return w.stats }

// attempt makes one try at the current event: it reserves a token and sends the
// event if the token is there. It reports whether the event is finished now; if not,
// the timer carries it on.
func (w *EventWriter) attempt() bool {
	now := w.e.Now()
	if at := w.lim.Wait(now); at > now {
		w.wait(writerAtToken, at)
		return false
	}
	return w.send()
}

// send is the current event's request, sent now.
func (w *EventWriter) send() bool {
	now := w.e.Now()
	if took, failing := w.c.Failing(); failing {
		w.tries++
		if w.tries >= MaxTriesPerEvent {
			if took > 0 {
				w.wait(writerAtLastFailure, now+took)
				return false
			}
			w.stats.Failed++
			return true
		}
		sleep := EventRetrySleep
		if w.tries == 1 {
			if w.rand != nil {
				sleep = time.Duration(float64(EventRetrySleep) * w.rand.Float64())
			} else {
				sleep = EventRetrySleep / 2
			}
		}
		w.wait(writerAtRetry, now+took+sleep)
		return false
	}
	// The writer takes its next event once this one is answered, a round trip later:
	// after the requests other goroutines make at this instant (an engine event even
	// with no latency), so within a burst it takes one token per round, not the burst.
	w.wait(writerAtAnswer, now+w.c.Latency)
	return false
}

func (w *EventWriter) wait(s writerState, at time.Duration) {
	w.state = s
	_ = w.timer.Schedule(at)
}

func (w *EventWriter) fired() {
	var done bool
	switch w.state {
	case writerAtToken:
		done = w.send()
	case writerAtRetry:
		done = w.attempt()
	case writerAtAnswer:
		w.stats.Written++
		done = true
	case writerAtLastFailure:
		w.stats.Failed++
		done = true
	}
	if done {
		w.next()
	}
}

// next takes the queued events in order, for as long as each finishes at once.
func (w *EventWriter) next() {
	w.state = writerIdle
	for w.head < len(w.queue) {
		ev := w.queue[w.head]
		w.head++
		if w.head == len(w.queue) {
			w.queue, w.head = w.queue[:0], 0
		}
		if !w.take(ev) {
			return
		}
	}
}
