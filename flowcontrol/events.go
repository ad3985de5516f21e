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
)

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

	state  writerState
	queued int // events waiting, not counting the one being written
	tries  int // failed tries of the event being written
	stats  EventStats
}

// EventStats counts what an EventWriter did with the events emitted to it.
type EventStats struct {
	Written uint64 // sent and answered
	Dropped uint64 // emitted while MaxQueuedEvents waited
	Failed  uint64 // given up after MaxTriesPerEvent failed tries
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
// MaxQueuedEvents already wait.
func (w *EventWriter) Emit() {
	if w.state != writerIdle {
		if w.queued >= MaxQueuedEvents {
			w.stats.Dropped++
			return
		}
		w.queued++
		return
	}
	w.tries = 0
	if w.attempt() {
		w.next()
	}
}

// Stop drops every queued event and the one being written (the process is gone).
func (w *EventWriter) Stop() {
	w.timer.Stop()
	w.state, w.queued = writerIdle, 0
}

// Queued is how many events wait, counting the one being written.
func (w *EventWriter) Queued() int {
	if w.state == writerIdle {
		return w.queued
	}
	return w.queued + 1
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
	for w.queued > 0 {
		w.queued--
		w.tries = 0
		if !w.attempt() {
			return
		}
	}
}
