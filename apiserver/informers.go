package apiserver

import "time"

// Informers is a shared informer factory, as kube-controller-manager's
// SharedInformerFactory: one informer per kind on one client with one watch latency,
// which every controller of a process reads and registers its handlers on. Each change
// is then applied to one cache and its handlers run in one delivery, in registration
// order, where private informers would each apply it in consecutive deliveries in the
// same order.
//
// A controller that takes its informers from a factory does not stop them: whoever
// created the factory stops it (Stop) once the controllers are stopped, and a stopped
// controller's handlers must do nothing.
//
// The factory keeps what private informers would show exactly: an informer is handed
// out again only while it is in sync (every change sent to it delivered), so that it
// holds what a fresh initial list would hold and will deliver exactly the changes a
// fresh watch would. If a kind changed since its informer was last handed out and that
// change is not delivered yet (a controller wrote during its Start, say), the next
// request gets a new informer for the kind, which later requests share.
type Informers struct {
	c       *Client
	latency time.Duration
	// current informer per kind (keyed by *Kind[T], looked up only, never iterated)
	byKind map[any]any
	// every informer made, in creation order, to stop them all
	all []interface {
		Stop()
		Discard()
	}
	stopped bool
}

// NewInformers returns a factory of informers on c whose watches have the given latency.
func NewInformers(c *Client, latency time.Duration) *Informers {
	return &Informers{c: c, latency: latency, byKind: map[any]any{}}
}

// Client is the client the factory's informers watch through.
func (f *Informers) Client() *Client { return f.c }

// Latency is the factory's watch latency.
func (f *Informers) Latency() time.Duration { return f.latency }

// Stop stops every informer the factory made; later requests get stopped informers
// that are never filled.
func (f *Informers) Stop() {
	f.stopped = true
	for _, inf := range f.all {
		inf.Stop()
	}
}

// Discard is Stop for a process that exits: every informer the factory made is
// discarded (Informer.Discard), its cache emptied. Its controllers are stopped and
// read nothing again, and Stop would copy every kind its informers view out of the
// store: a million pods, and every node Lease a running start restored unbuilt
// (Server.RestoreNodeLease), which it would build.
func (f *Informers) Discard() {
	f.stopped = true
	for _, inf := range f.all {
		inf.Discard()
	}
}

// Serves reports whether the factory's informers are what a component on client c with
// watch latency latency would make itself.
func (f *Informers) Serves(c *Client, latency time.Duration) bool {
	return f != nil && f.c == c && f.latency == latency
}

// SharedInformer returns the factory's informer of kind k, listing the kind and
// starting its watch on first use (see Informers for when a new one is made).
func SharedInformer[T Obj[T]](f *Informers, k *Kind[T]) *Informer[T] {
	if inf, ok := f.byKind[k].(*Informer[T]); ok && (f.stopped || inf.synced()) {
		return inf
	}
	inf := NewInformer(k, f.c, f.latency)
	f.byKind[k] = inf
	f.all = append(f.all, inf)
	if f.stopped {
		inf.Stop()
	}
	return inf
}

// InformerFor is the informer a component on client c with watch latency latency uses
// for kind k: the factory's shared one when f serves c and latency (shared true; the
// component must not stop it), else a private one of its own.
func InformerFor[T Obj[T]](f *Informers, k *Kind[T], c *Client, latency time.Duration) (inf *Informer[T], shared bool) {
	if f.Serves(c, latency) {
		return SharedInformer(f, k), true
	}
	return NewInformer(k, c, latency), false
}

// synced reports whether every change sent to the informer's watch has been applied.
func (inf *Informer[T]) synced() bool {
	w, ok := inf.watch.s.(*watcher[T])
	return ok && !w.stopped && w.undelivered == 0
}

// InFlight reports whether changes sent to the informer's watch are on their way to
// it. Changes held for a partitioned client do not count: they come when it heals.
func (inf *Informer[T]) InFlight() bool {
	w, ok := inf.watch.s.(*watcher[T])
	return ok && !w.stopped && w.undelivered > len(w.held)
}

// AddHandlerWhile is AddHandler for a component that shares the informer and may stop
// before it: fn runs only while live reports true.
func (inf *Informer[T]) AddHandlerWhile(live func() bool, fn func(Event[T])) {
	inf.AddHandler(func(ev Event[T]) {
		if live() {
			fn(ev)
		}
	})
}

// AddComponentHandler registers a component's handler: on an informer it owns, as
// AddHandler (it runs until the informer is stopped); on one it shares (shared, from
// InformerFor), as AddHandlerWhile(live, fn), since the informer outlives it.
func (inf *Informer[T]) AddComponentHandler(shared bool, live func() bool, fn func(Event[T])) {
	if shared {
		inf.AddHandlerWhile(live, fn)
		return
	}
	inf.AddHandler(fn)
}
