package apiserver

import (
	"slices"
	"strings"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// watchState is the part of a watch the client needs to resume it after a partition.
type watchState interface{ flushHeld() }

// stopper ends a watch.
type stopper interface{ stop() }

type watcher[T Obj[T]] struct {
	c       *Client
	latency time.Duration
	fn      func(Event[T])
	held    []Event[T]
	lastAt  time.Duration
	stopped bool
	// undelivered counts notifications sent but not yet delivered (scheduled or held)
	undelivered int
	// queue holds the scheduled notifications, each with its instant and its place
	// in the engine's order, reserved when it was scheduled. A watch delivers in order
	// (its instants never decrease), so one timer, for the head, stands for all of
	// them: they fire exactly where one event each would, and a burst of 100k writes
	// leaves the engine one entry per watch, not 100k.
	queue notifications[T]
	timer *sim.Timer
	// a selected watch: its index and value, to leave them on stop
	ix    *selIndex[T]
	value string
}

func (w *watcher[T]) stop() {
	w.stopped = true
	if w.ix == nil {
		return
	}
	if sv := w.ix.lookup(w.value); sv != nil {
		for i, x := range sv.watchers {
			if x == w {
				sv.watchers = append(sv.watchers[:i:i], sv.watchers[i+1:]...)
				break
			}
		}
		w.ix.drop(w.value, sv)
	}
}

func (w *watcher[T]) send(ev Event[T]) {
	if w.stopped {
		return
	}
	w.undelivered++
	if w.c.partitioned {
		w.held = append(w.held, ev)
		return
	}
	w.schedule(ev)
}

// queued is a scheduled notification: its change, instant and place (sim.Engine.Reserve).
type queued[T any] struct {
	ev  Event[T]
	at  time.Duration
	seq uint64
}

func (w *watcher[T]) schedule(ev Event[T]) {
	e := w.c.s.Engine
	at := e.Now() + w.latency
	if at < w.lastAt { // a watch delivers in order even if its latency shrank
		at = w.lastAt
	}
	w.lastAt = at
	if w.timer == nil {
		w.timer, _ = e.NewTimer(w.deliverHead)
	}
	w.queue.push(queued[T]{ev: ev, at: at, seq: e.Reserve()})
	if !w.timer.Pending() {
		w.scheduleHead()
	}
}

// scheduleHead sets the timer for the oldest scheduled notification.
func (w *watcher[T]) scheduleHead() {
	h := w.queue.first()
	if err := w.timer.ScheduleReserved(h.at, h.seq); err != nil {
		panic(err) // a place reserved for an instant not before now: never refused
	}
}

// deliverHead delivers the oldest scheduled notification.
func (w *watcher[T]) deliverHead() {
	ev := w.queue.pop()
	if !w.queue.empty() {
		w.scheduleHead()
	}
	w.undelivered--
	if !w.stopped {
		w.fn(ev)
	}
}

// notifications is a FIFO of scheduled notifications in chunks taken from and
// returned to the kind's pool. A burst (a zone's 100k pods marked NotReady) queues
// 100k notifications on each of several watches: a slice would be copied and
// reallocated as it doubled (≈ 51 MB allocated over the zone-outage day), while
// chunks are never copied and, once drained, serve the next burst or another watch.
// A queue's first chunk is small, since most watches (a kubelet's, a node's) hold a
// notification or two at a time, and each next one twice the size of the last, up to
// a maximum: a zone's 3,333 kubelets flushing 30 held notifications each on heal
// take 60 places each, not 132.
type notifications[T any] struct {
	pool       *chunkPool[T]
	head, tail *notificationChunk[T]
	hi         int // index of the oldest notification in head
}

// The chunk sizes, in notifications of 40 bytes: minChunk << k for k < chunkSizes.
const (
	minChunk   = 4
	chunkSizes = 7 // up to 256
)

type notificationChunk[T any] struct {
	next *notificationChunk[T]
	n    int
	q    []queued[T] // minChunk << size places
	size uint8
}

// chunkPool holds a kind's unused notification chunks, by size, linked by next.
type chunkPool[T any] struct {
	free [chunkSizes]*notificationChunk[T]
}

// take returns an empty chunk of minChunk << size places.
func (p *chunkPool[T]) take(size uint8) *notificationChunk[T] {
	c := p.free[size]
	if c == nil {
		return &notificationChunk[T]{q: make([]queued[T], minChunk<<size), size: size}
	}
	p.free[size], c.next = c.next, nil
	return c
}

func (p *chunkPool[T]) put(c *notificationChunk[T]) {
	c.n, c.next = 0, p.free[c.size]
	p.free[c.size] = c
}

func (q *notifications[T]) empty() bool { return q.head == nil }

// first is the oldest notification; the queue must not be empty.
func (q *notifications[T]) first() *queued[T] { return &q.head.q[q.hi] }

func (q *notifications[T]) push(n queued[T]) {
	t := q.tail
	if t == nil || t.n == len(t.q) {
		if t == nil {
			t = q.pool.take(0)
			q.head = t
		} else {
			t.next = q.pool.take(min(t.size+1, chunkSizes-1))
			t = t.next
		}
		q.tail = t
	}
	t.q[t.n] = n
	t.n++
}

// pop removes and returns the oldest notification; the queue must not be empty. Its
// place is cleared, so that a delivered change holds no object alive.
func (q *notifications[T]) pop() Event[T] {
	h := q.head
	ev := h.q[q.hi].ev
	h.q[q.hi] = queued[T]{}
	q.hi++
	if q.hi < h.n {
		return ev
	}
	q.head, q.hi = h.next, 0
	if q.head == nil {
		q.tail = nil
	}
	q.pool.put(h)
	return ev
}

func (w *watcher[T]) flushHeld() {
	held := w.held
	w.held = nil
	for _, ev := range held {
		w.schedule(ev)
	}
}

// Watch is a running watch; Stop ends it.
type Watch struct{ s stopper }

// Stop ends the watch; notifications not yet delivered are dropped.
func (w *Watch) Stop() { w.s.stop() }

// Watch delivers every change of the kind to fn, as engine events latency after the
// change (in change order). While the client is partitioned, notifications are held
// and delivered when it heals.
func (k *Kind[T]) Watch(c *Client, latency time.Duration, fn func(Event[T])) *Watch {
	w := &watcher[T]{c: c, latency: latency, fn: fn, queue: notifications[T]{pool: &k.chunks}}
	k.watchers = append(k.watchers, w)
	c.watchers = append(c.watchers, w)
	return &Watch{s: w}
}

// AddWatchIndex lets clients watch only the objects whose fn value equals a given
// string, as a field selector does (pods by spec.nodeName, a node by metadata.name).
// A change is delivered to the watchers of the old and of the new value.
func (k *Kind[T]) AddWatchIndex(name string, fn func(T) string) {
	k.addWatchIndex(name, fn, false)
}

// AddKeyWatchIndex is AddWatchIndex for an index whose value is the object's key
// (a Node by name, a Lease by namespace/name): it needs no list of keys per value.
func (k *Kind[T]) AddKeyWatchIndex(name string) {
	k.addWatchIndex(name, func(o T) string { return o.Meta().Key() }, true)
}

func (k *Kind[T]) addWatchIndex(name string, fn func(T) string, byKey bool) {
	ix := k.watchIndex(name)
	if ix == nil {
		ix = &selIndex[T]{name: name}
		k.selIdx = append(k.selIdx, ix)
	}
	// (re)built for fn, keeping the watches already selecting a value
	old := ix.vals
	ix.fn, ix.byKey, ix.vals, ix.lastSV = fn, byKey, map[string]*selValue[T]{}, nil
	for v, sv := range old {
		if len(sv.watchers) > 0 {
			ix.vals[v] = &selValue[T]{watchers: sv.watchers}
		}
	}
	ix.listed = false // (re)listed for fn at the first selectedKeys
}

// list builds the key lists of ix's values from the store (whose values have none
// yet: see selIndex.listed).
//
// The store's table is walked once, sequentially, noting each key's value; the
// values' lists are then cut from one array by counting, and each is sorted once.
// Appending to each value's list in the walk would touch a different list, and
// compare with its last key, at every step: two cache misses per object and a
// growing slice per value (≈ 0.1 s for 300k pods).
func (k *Kind[T]) list(ix *selIndex[T]) {
	ix.listed = true
	type keyed struct {
		sv  *selValue[T]
		key string
		obj T
	}
	walked := make([]keyed, 0, k.items.len())
	var lastV string
	var last *selValue[T]
	k.items.each(func(o T) {
		v := ix.fn(o)
		if v == "" {
			return
		}
		if v != lastV || last == nil {
			lastV, last = v, ix.value(v)
		}
		last.keys.nsorted++ // the count, for now
		walked = append(walked, keyed{last, o.Meta().Key(), o})
	})
	all := make([]string, len(walked))
	objs := make([]T, len(walked))
	var listed []*selValue[T]
	at := 0
	for _, w := range walked { // the values in walk order: each gets the next window
		if l := &w.sv.keys; l.keys == nil {
			l.keys = all[at : at : at+l.nsorted]
			w.sv.listed = objs[at : at : at+l.nsorted]
			at += l.nsorted
			listed = append(listed, w.sv)
		}
	}
	for _, w := range walked { // within the windows' capacity
		w.sv.keys.keys = append(w.sv.keys.keys, w.key)
		w.sv.listed = append(w.sv.listed, w.obj)
	}
	var pairs []keyed // the keys and their objects sorted together
	for _, sv := range listed {
		if keys := sv.keys.keys; !slices.IsSorted(keys) {
			pairs = pairs[:0]
			for i, key := range keys {
				pairs = append(pairs, keyed{key: key, obj: sv.listed[i]})
			}
			slices.SortFunc(pairs, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
			for i, p := range pairs {
				keys[i], sv.listed[i] = p.key, p.obj
			}
		}
	}
	k.listedObjs = ix
}

// selectedKeys are the stored keys whose index value is value, sorted.
func (k *Kind[T]) selectedKeys(ix *selIndex[T], value string) []string {
	if ix.byKey {
		if k.items.has(value) {
			return []string{value}
		}
		return nil
	}
	if !ix.listed {
		k.list(ix)
	}
	if sv := ix.lookup(value); sv != nil {
		return sv.keys.sorted()
	}
	return nil
}

// WatchSelected is Watch restricted to objects whose index value is value (see
// AddWatchIndex). Its cost per change does not grow with the number of such watches.
func (k *Kind[T]) WatchSelected(c *Client, latency time.Duration, index, value string, fn func(Event[T])) *Watch {
	ix := k.watchIndex(index)
	w := &watcher[T]{c: c, latency: latency, fn: fn, ix: ix, value: value, queue: notifications[T]{pool: &k.chunks}}
	sv := ix.value(value)
	sv.watchers = append(sv.watchers, w)
	c.watchers = append(c.watchers, w)
	return &Watch{s: w}
}

// NewSelectedInformer is an informer over the objects whose index value is value,
// like an informer with a field selector (the kubelet's pods and its own Node).
func NewSelectedInformer[T Obj[T]](k *Kind[T], c *Client, latency time.Duration, index, value string) *Informer[T] {
	ix := k.watchIndex(index)
	keys := k.selectedKeys(ix, value)
	inf := &Informer[T]{k: k, items: make(map[string]T, len(keys))}
	fn := ix.fn
	if sv := ix.lookup(value); k.listedObjs == ix && sv != nil && len(sv.listed) == len(keys) {
		for i, key := range keys { // as listed, and the store has not changed since
			inf.items[key] = sv.listed[i]
		}
	} else {
		for _, key := range keys {
			inf.items[key], _ = k.items.get(key)
		}
	}
	inf.keys = keyList{keys: slices.Clone(keys), nsorted: len(keys)}
	inf.selIndex, inf.selValue = fn, value
	inf.watch = k.WatchSelected(c, latency, index, value, inf.apply)
	return inf
}

// Informer is a client-side cache of one kind, filled by a watch: what a component
// sees of the cluster. It may lag the API server by its watch latency, and while its
// client is partitioned it does not change at all.
//
// An informer over a whole kind does not copy the store: its cache is the store seen
// through lag, the objects whose cached version is not the stored one (changes not
// delivered yet). The store tells the informer of each change before it makes it, so
// that the informer can keep what it had (Kind.put); a delivery that catches up with
// the store drops the entry. A million pods then cost one table (the store's), not
// one per informer, and lag holds only what is in flight. A selected informer, and an
// informer once stopped (it must no longer follow the store), keep a private copy in
// items.
type Informer[T Obj[T]] struct {
	k *Kind[T]
	// private cache (items != nil): the objects and their keys
	items map[string]T
	keys  keyList
	// shared cache (items == nil): what differs from the store, the number of cached
	// objects, how many lag entries differ from the store in presence (not just in
	// version), and the key list last merged for them
	lag     lagTable[T]
	n       int
	ndiff   int
	merged  []string
	mergeOK bool

	handlers []func(Event[T])
	indexes  []*index[T]
	watch    *Watch
	// a selected informer drops objects that leave its selection
	selIndex func(T) string
	selValue string
}

// lagged is an informer's cached version of an object that the store has changed
// since: ok false if the informer does not have the object. storeOK is whether the
// store has the key now, pending how many of the store's changes of the key are still
// to be delivered: the entry goes when the last one arrives.
type lagged[T any] struct {
	obj     T
	ok      bool
	storeOK bool
	pending int32
}

// index lists the keys per value of fn. A value's list sorts lazily (keyList): a
// namespace index holds every pod under one value, and keeping that list sorted on
// each pod created or deleted would move all of it.
type index[T any] struct {
	name string
	fn   func(T) string
	by   map[string]*keyList
}

func (ix *index[T]) add(v, key string) { ix.list(v).add(key) }

// list is v's key list, made empty if v has none.
func (ix *index[T]) list(v string) *keyList {
	l := ix.by[v]
	if l == nil {
		l = &keyList{}
		ix.by[v] = l
	}
	return l
}

func (ix *index[T]) remove(v, key string) {
	if l := ix.by[v]; l != nil {
		if l.remove(key); l.len() == 0 {
			delete(ix.by, v)
		}
	}
}

// keys are the keys with value v, in order (the index's own slice).
func (ix *index[T]) keys(v string) []string {
	if l := ix.by[v]; l != nil {
		return l.sorted()
	}
	return nil
}

// NewInformer lists the kind (as an informer's initial LIST, which always succeeds in
// this model) and keeps the cache current through a watch with the given latency.
func NewInformer[T Obj[T]](k *Kind[T], c *Client, latency time.Duration) *Informer[T] {
	inf := &Informer[T]{k: k, n: k.items.len()}
	k.views = append(k.views, inf)
	inf.watch = k.Watch(c, latency, inf.apply)
	return inf
}

// Stop ends the informer's watch. Its cache stays as it is: an informer that viewed
// the store takes a private copy, since the store goes on changing.
func (inf *Informer[T]) Stop() {
	inf.watch.Stop()
	if inf.items != nil {
		return
	}
	keys := inf.Keys()
	items := make(map[string]T, len(keys))
	for _, key := range keys {
		items[key], _ = inf.Get(key)
	}
	inf.items = items
	inf.keys = keyList{keys: slices.Clone(keys), nsorted: len(keys)}
	inf.lag, inf.merged = lagTable[T]{}, nil
	k := inf.k
	k.views = slices.DeleteFunc(k.views, func(v *Informer[T]) bool { return v == inf })
}

// Discard ends the informer's watch and empties its cache: for a component that
// stops for good and will not read it again (a process that exits), where Stop
// would copy a million pods out of the store to keep what it showed.
func (inf *Informer[T]) Discard() {
	inf.watch.Stop()
	if inf.items == nil {
		k := inf.k
		k.views = slices.DeleteFunc(k.views, func(v *Informer[T]) bool { return v == inf })
	}
	inf.items, inf.keys, inf.n = map[string]T{}, keyList{}, 0
	inf.lag, inf.merged, inf.indexes = lagTable[T]{}, nil, nil
}

// storeChanging is told by the store, before it changes key, what the key held (had:
// whether it existed) and whether it will exist after the change. The informer keeps
// its version until the change is delivered; ndiff counts the entries whose presence
// differs from the store's.
func (inf *Informer[T]) storeChanging(key string, old T, had, will bool) {
	e, _, ok := inf.lag.entry(key)
	if !ok {
		*e = lagged[T]{obj: old, ok: had, storeOK: had}
	}
	if e.ok != e.storeOK {
		inf.ndiff--
	}
	e.storeOK = will
	e.pending++
	if e.ok != e.storeOK {
		inf.ndiff++
		inf.mergeOK = false
	}
}

// delivered applies a change to a shared cache: the informer now has obj (ok) or not.
// The change's lag entry exists (storeChanging made it); with no later change of the
// key in flight, the informer has caught up with the store and the entry goes.
func (inf *Informer[T]) delivered(key string, obj T, ok bool) {
	e, slot, _ := inf.lag.entry(key)
	switch {
	case ok && !e.ok:
		inf.n++
		inf.mergeOK = false
	case e.ok && !ok:
		inf.n--
		inf.mergeOK = false
	}
	if e.ok != e.storeOK {
		inf.ndiff--
	}
	if e.pending--; e.pending == 0 {
		inf.lag.drop(slot)
		return
	}
	e.obj, e.ok = obj, ok
	if e.ok != e.storeOK {
		inf.ndiff++
		inf.mergeOK = false
	}
}

// get returns the cached object.
func (inf *Informer[T]) get(key string) (T, bool) {
	if inf.items != nil {
		o, ok := inf.items[key]
		return o, ok
	}
	if e, lagging := inf.lag.get(key); lagging {
		return e.obj, e.ok
	}
	return inf.k.items.get(key)
}

// walk is get for keys taken in order (see objTable.walk).
func (inf *Informer[T]) walk(key string, next *walker) (T, bool) {
	if inf.items != nil {
		o, ok := inf.items[key]
		return o, ok
	}
	if e, lagging := inf.lag.get(key); lagging {
		return e.obj, e.ok
	}
	return inf.k.items.walk(key, next)
}

// set caches obj (ok) or drops key (!ok) in a private cache; had says whether key
// was cached.
func (inf *Informer[T]) set(key string, obj T, ok, had bool) {
	switch {
	case ok:
		inf.items[key] = obj
		if !had {
			inf.keys.add(key)
		}
	case had:
		delete(inf.items, key)
		inf.keys.remove(key)
	}
}

// cache applies a delivered change to the cache, shared or private.
func (inf *Informer[T]) cache(key string, obj T, ok, had bool) {
	if inf.items == nil {
		inf.delivered(key, obj, ok)
	} else {
		inf.set(key, obj, ok, had)
	}
}

// AddHandler registers fn for every change the informer applies, after the cache is
// updated (as a shared informer's event handler).
func (inf *Informer[T]) AddHandler(fn func(Event[T])) { inf.handlers = append(inf.handlers, fn) }

// AddIndex indexes the cache by fn (e.g. pods by node name). Objects for which fn
// returns "" are not indexed. Adding an index name the informer already has does
// nothing (as for a shared informer's indexers, the same name must mean the same fn).
// The index is built at its first query and kept current from then on: an index
// nothing asks (a PodDisruptionBudget controller's with no budgets) costs nothing,
// and one asked only late costs no upkeep before. An index named like one of the
// kind's watch indexes (IndexNodeName) must give the same values as the watch index:
// an informer that views the store builds it from the store's lists for that index.
func (inf *Informer[T]) AddIndex(name string, fn func(T) string) {
	for _, ix := range inf.indexes {
		if ix.name == name {
			return
		}
	}
	inf.indexes = append(inf.indexes, &index[T]{name: name, fn: fn})
}

// index returns the index named name, built, or nil.
func (inf *Informer[T]) index(name string) *index[T] {
	for _, ix := range inf.indexes {
		if ix.name == name {
			if ix.by == nil {
				inf.build(ix)
			}
			return ix
		}
	}
	return nil
}

// build fills ix from the cache.
func (inf *Informer[T]) build(ix *index[T]) {
	ix.by = map[string]*keyList{}
	fn := ix.fn
	// Walking the cache (the store's table, or the private map) is sequential where
	// walking the keys in order would look each object up at random (a cache miss per
	// object for a million pods); each value's list is then sorted once, and its order
	// is the keys' whatever the walk's.
	if inf.items != nil {
		for key, o := range inf.items {
			if v := fn(o); v != "" {
				ix.add(v, key)
			}
		}
	} else if wix := inf.k.watchIndex(ix.name); wix != nil && !wix.byKey {
		inf.buildFromWatchIndex(ix, wix)
		return
	} else {
		// The store holds runs of objects with one value (a running start stores each
		// ReplicaSet's pods together): the last value's list is reused without a lookup.
		var lastV string
		var last *keyList
		inf.k.items.each(func(o T) {
			key := o.Meta().Key()
			if _, lagging := inf.lag.get(key); !lagging {
				if v := fn(o); v != "" {
					if last == nil || v != lastV {
						lastV, last = v, ix.list(v)
					}
					last.add(key)
				}
			}
		})
		inf.lag.each(func(key string, e lagged[T]) {
			if v := ""; e.ok {
				if v = fn(e.obj); v != "" {
					ix.add(v, key)
				}
			}
		})
	}
	for _, l := range ix.by {
		l.sorted()
	}
}

// buildFromWatchIndex fills ix, of a view, from the key lists of the store's watch
// index of the same name (AddIndex's contract: the same values), listed for it if
// they are not yet, then corrects the keys the view lags on. The store walks its
// objects once for both: the kubelets' selected watches of a zone and the lifecycle
// controller's pods-by-node index of the same pods (0.1 s each for 300k pods).
func (inf *Informer[T]) buildFromWatchIndex(ix *index[T], wix *selIndex[T]) {
	if !wix.listed {
		inf.k.list(wix)
	}
	// the copies are cut from one array, and their lists from one slice
	total := 0
	for _, sv := range wix.vals {
		total += sv.keys.len()
	}
	all := make([]string, 0, total)
	lists := make([]keyList, 0, len(wix.vals))
	ix.by = make(map[string]*keyList, len(wix.vals))
	for v, sv := range wix.vals { // each value's own list: the order cannot show
		if keys := sv.keys.sorted(); len(keys) > 0 {
			at := len(all)
			all = append(all, keys...)
			lists = append(lists, keyList{keys: all[at:len(all):len(all)], nsorted: len(keys)})
			ix.by[v] = &lists[len(lists)-1]
		}
	}
	fn := ix.fn
	inf.lag.each(func(key string, e lagged[T]) { // each key's own correction
		stored, ok := inf.k.items.get(key)
		var was, is string
		if ok {
			was = fn(stored)
		}
		if e.ok {
			is = fn(e.obj)
		}
		if was != is {
			if was != "" {
				ix.remove(was, key)
			}
			if is != "" {
				ix.add(is, key)
			}
		}
	})
}

// ByIndex returns the objects whose index value is v, in key order.
func (inf *Informer[T]) ByIndex(name, v string) []T {
	ix := inf.index(name)
	if ix == nil {
		return nil
	}
	return inf.objects(ix.keys(v))
}

// objects returns the cached objects of keys (in order, each cached).
func (inf *Informer[T]) objects(keys []string) []T {
	out := make([]T, 0, len(keys))
	var next walker
	for _, key := range keys {
		o, _ := inf.walk(key, &next)
		out = append(out, o)
	}
	return out
}

// EachByIndex calls fn for each object whose index value is v, in key order: ByIndex
// without allocating a slice. fn must not change the informer.
func (inf *Informer[T]) EachByIndex(name, v string, fn func(T)) {
	if ix := inf.index(name); ix != nil {
		var next walker
		for _, key := range ix.keys(v) {
			o, _ := inf.walk(key, &next)
			fn(o)
		}
	}
}

// CountByIndex returns how many objects have index value v.
func (inf *Informer[T]) CountByIndex(name, v string) int {
	if ix := inf.index(name); ix != nil {
		if l := ix.by[v]; l != nil {
			return l.len()
		}
	}
	return 0
}

func (inf *Informer[T]) apply(ev Event[T]) {
	key := ev.New.Meta().Key()
	var old T
	var had bool
	if inf.items == nil {
		// A view's watch began with the cache equal to the store and delivers every
		// change in order, so what the view has of key is what this change replaced:
		// no lookup.
		old, had = ev.Old, ev.Type != Added
	} else {
		old, had = inf.items[key]
	}
	if inf.selIndex != nil && ev.Type != Deleted && inf.selIndex(ev.New) != inf.selValue {
		ev.Type = Deleted // it left the selection: a field-selected watch reports a deletion
	}
	switch ev.Type {
	case Deleted:
		if !had {
			return
		}
		inf.cache(key, ev.New, false, true)
		for _, ix := range inf.indexes {
			if ix.by == nil {
				continue
			}
			if v := ix.fn(old); v != "" {
				ix.remove(v, key)
			}
		}
	default:
		if had && old.Meta().ResourceVersion >= ev.New.Meta().ResourceVersion {
			return
		}
		inf.cache(key, ev.New, true, had)
		for _, ix := range inf.indexes {
			if ix.by == nil {
				continue
			}
			var ov string
			if had {
				ov = ix.fn(old)
			}
			nv := ix.fn(ev.New)
			if had && ov == nv {
				continue
			}
			if had && ov != "" {
				ix.remove(ov, key)
			}
			if nv != "" {
				ix.add(nv, key)
			}
		}
		if had {
			ev.Old = old
			ev.Type = Modified
		} else {
			ev.Type = Added
		}
	}
	for _, h := range inf.handlers {
		h(ev)
	}
}

// Rewind undoes ev in the cache without calling the handlers: for a selected informer
// started in a SelectMiss hook (its initial list already holds the change), so that
// the change then arrives through its watch as it would have if the informer had been
// there before. An informer that views the store has no initial list to undo: Rewind
// does nothing to it.
func (inf *Informer[T]) Rewind(ev Event[T]) {
	if inf.items == nil {
		return
	}
	key := ev.New.Meta().Key()
	before := ev.Type != Added && (inf.selIndex == nil || inf.selIndex(ev.Old) == inf.selValue)
	cur, had := inf.items[key]
	inf.set(key, ev.Old, before, had)
	for _, ix := range inf.indexes {
		if ix.by == nil {
			continue
		}
		if had {
			if v := ix.fn(cur); v != "" {
				ix.remove(v, key)
			}
		}
		if before {
			if v := ix.fn(ev.Old); v != "" {
				ix.add(v, key)
			}
		}
	}
}

// Get returns the cached object.
func (inf *Informer[T]) Get(key string) (T, bool) { return inf.get(key) }

// Len is the number of cached objects.
func (inf *Informer[T]) Len() int {
	if inf.items != nil {
		return len(inf.items)
	}
	return inf.n
}

// Keys returns the cached keys in order (the informer's own slice, or the store's;
// do not modify).
func (inf *Informer[T]) Keys() []string {
	if inf.items != nil {
		return inf.keys.sorted()
	}
	if inf.ndiff == 0 {
		return inf.k.keys.sorted()
	}
	if !inf.mergeOK {
		inf.merged = inf.mergeKeys()
		inf.mergeOK = true
	}
	return inf.merged
}

// mergeKeys lists the keys of a shared cache whose key set differs from the store's:
// the store's, less those the informer does not have yet, plus those the store no
// longer has.
func (inf *Informer[T]) mergeKeys() []string {
	var gone []string
	inf.lag.each(func(key string, e lagged[T]) {
		if inStore := inf.k.items.has(key); e.ok && !inStore {
			gone = append(gone, key)
		}
	})
	slices.Sort(gone)
	stored := inf.k.keys.sorted()
	out := make([]string, 0, inf.n)
	i := 0
	for _, key := range stored {
		for i < len(gone) && gone[i] < key {
			out = append(out, gone[i])
			i++
		}
		if e, ok := inf.lag.get(key); ok && !e.ok {
			continue
		}
		out = append(out, key)
	}
	return append(out, gone[i:]...)
}

// Range calls fn for every cached object, in an order that is not key order but is
// fixed by what happened to the store (never by map order or a hash seed): for a
// start's initial pass whose outcome cannot depend on the order (counting, sets). An
// informer that views the store and is not behind it walks the store's table in
// memory order, where List looks each key up at random. fn must not change the
// informer.
func (inf *Informer[T]) Range(fn func(T)) {
	if inf.items == nil && inf.lag.len() == 0 {
		inf.k.items.each(fn)
		return
	}
	for _, key := range inf.Keys() {
		o, _ := inf.get(key)
		fn(o)
	}
}

// List returns the cached objects in key order.
func (inf *Informer[T]) List() []T { return inf.objects(inf.Keys()) }
