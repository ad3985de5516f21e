package flowcontrol

import (
	"errors"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// Waiting holds a component's requests that wait for their tokens and sends each at
// its token's instant, in the order of the instants, behind one engine timer. The
// instants Limiter.Wait hands out never decrease, so the requests stay in order as
// they are added.
type Waiting[T any] struct {
	e     *sim.Engine
	timer *sim.Timer
	send  func(T)
	reqs  []waitingRequest[T]
	gen   uint64 // bumped by Drop: a round of sends in progress stops
}

type waitingRequest[T any] struct {
	req T
	at  time.Duration
}

// NewWaiting returns an empty Waiting that sends a request with send.
func NewWaiting[T any](e *sim.Engine, send func(T)) (*Waiting[T], error) {
	if e == nil || send == nil {
		return nil, errors.New("flowcontrol: NewWaiting needs an engine and a send function")
	}
	w := &Waiting[T]{e: e, send: send}
	var err error
	if w.timer, err = e.NewTimer(w.fire); err != nil {
		return nil, err
	}
	return w, nil
}

// Add queues req to be sent at the instant at, which Limiter.Wait returned (no
// earlier than any instant added before). An instant that is now is sent by an engine
// event after what is already due now.
func (w *Waiting[T]) Add(req T, at time.Duration) {
	w.reqs = append(w.reqs, waitingRequest[T]{req, at})
	if len(w.reqs) == 1 {
		_ = w.timer.Schedule(at)
	}
}

// Len is how many requests wait.
func (w *Waiting[T]) Len() int { return len(w.reqs) }

// Each calls fn for each waiting request, in order.
func (w *Waiting[T]) Each(fn func(req T, at time.Duration)) {
	for _, r := range w.reqs {
		fn(r.req, r.at)
	}
}

// Drop forgets every waiting request (the process is gone).
func (w *Waiting[T]) Drop() {
	w.gen++
	w.timer.Stop()
	clear(w.reqs)
	w.reqs = w.reqs[:0]
}

// fire sends the requests whose instant has come, in order.
func (w *Waiting[T]) fire() {
	now := w.e.Now()
	n := 0
	for n < len(w.reqs) && w.reqs[n].at <= now {
		n++
	}
	due := w.reqs[:n:n]
	w.reqs = w.reqs[n:]
	if len(w.reqs) > 0 {
		_ = w.timer.Schedule(w.reqs[0].at)
	}
	gen := w.gen
	for _, r := range due {
		if w.gen != gen {
			return
		}
		w.send(r.req)
	}
	clear(due)
	if len(w.reqs) == 0 {
		w.reqs = nil // let the sent prefix go
	}
}
