package apiserver

import (
	"maps"
	"slices"
	"time"
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
	// a selected watch: its kind and selection, to leave it on stop
	k  *Kind[T]
	sk selKey
}

func (w *watcher[T]) stop() {
	w.stopped = true
	if w.k == nil {
		return
	}
	k, sk := w.k, w.sk
	ws := k.selective[sk]
	for i, x := range ws {
		if x == w {
			k.selective[sk] = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(k.selective[sk]) == 0 {
		delete(k.selective, sk)
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

func (w *watcher[T]) schedule(ev Event[T]) {
	e := w.c.s.Engine
	at := e.Now() + w.latency
	if at < w.lastAt { // a watch delivers in order even if its latency shrank
		at = w.lastAt
	}
	w.lastAt = at
	_, _ = e.At(at, func() {
		w.undelivered--
		if !w.stopped {
			w.fn(ev)
		}
	})
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
	w := &watcher[T]{c: c, latency: latency, fn: fn}
	k.watchers = append(k.watchers, w)
	c.watchers = append(c.watchers, w)
	return &Watch{s: w}
}

// AddWatchIndex lets clients watch only the objects whose fn value equals a given
// string, as a field selector does (pods by spec.nodeName, a node by metadata.name).
// A change is delivered to the watchers of the old and of the new value.
func (k *Kind[T]) AddWatchIndex(name string, fn func(T) string) {
	if k.watchIndex == nil {
		k.watchIndex = map[string]func(T) string{}
		k.selective = map[selKey][]*watcher[T]{}
		k.selKeys = map[selKey][]string{}
	}
	if !k.keyIndex[name] {
		for _, key := range k.keys.sorted() {
			if v := fn(k.items[key]); v != "" {
				sk := selKey{name, v}
				k.selKeys[sk] = append(k.selKeys[sk], key)
			}
		}
	}
	if _, ok := k.watchIndex[name]; !ok {
		k.selNames = append(k.selNames, name)
	}
	k.watchIndex[name] = fn
}

// AddKeyWatchIndex is AddWatchIndex for an index whose value is the object's key
// (a Node by name, a Lease by namespace/name): it needs no list of keys per value.
func (k *Kind[T]) AddKeyWatchIndex(name string) {
	if k.keyIndex == nil {
		k.keyIndex = map[string]bool{}
	}
	k.keyIndex[name] = true
	k.AddWatchIndex(name, func(o T) string { return o.Meta().Key() })
}

// selectedKeys are the stored keys whose index value is value, sorted.
func (k *Kind[T]) selectedKeys(index, value string) []string {
	if k.keyIndex[index] {
		if _, ok := k.items[value]; ok {
			return []string{value}
		}
		return nil
	}
	return k.selKeys[selKey{index, value}]
}

// WatchSelected is Watch restricted to objects whose index value is value (see
// AddWatchIndex). Its cost per change does not grow with the number of such watches.
func (k *Kind[T]) WatchSelected(c *Client, latency time.Duration, index, value string, fn func(Event[T])) *Watch {
	w := &watcher[T]{c: c, latency: latency, fn: fn, k: k, sk: selKey{index, value}}
	k.selective[w.sk] = append(k.selective[w.sk], w)
	c.watchers = append(c.watchers, w)
	return &Watch{s: w}
}

// NewSelectedInformer is an informer over the objects whose index value is value,
// like an informer with a field selector (the kubelet's pods and its own Node).
func NewSelectedInformer[T Obj[T]](k *Kind[T], c *Client, latency time.Duration, index, value string) *Informer[T] {
	keys := k.selectedKeys(index, value)
	inf := &Informer[T]{k: k, items: make(map[string]T, len(keys))}
	fn := k.watchIndex[index]
	for _, key := range keys {
		inf.items[key] = k.items[key]
	}
	inf.keys = keyList{keys: slices.Clone(keys), nsorted: len(keys), dead: make([]bool, len(keys))}
	inf.selIndex, inf.selValue = fn, value
	inf.watch = k.WatchSelected(c, latency, index, value, inf.apply)
	return inf
}

// Informer is a client-side cache of one kind, filled by a watch: what a component
// sees of the cluster. It may lag the API server by its watch latency, and while its
// client is partitioned it does not change at all.
type Informer[T Obj[T]] struct {
	k        *Kind[T]
	items    map[string]T
	keys     keyList
	handlers []func(Event[T])
	indexes  []*index[T]
	watch    *Watch
	// a selected informer drops objects that leave its selection
	selIndex func(T) string
	selValue string
}

type index[T any] struct {
	name string
	fn   func(T) string
	by   map[string][]string
}

// NewInformer lists the kind (as an informer's initial LIST, which always succeeds in
// this model) and keeps the cache current through a watch with the given latency.
func NewInformer[T Obj[T]](k *Kind[T], c *Client, latency time.Duration) *Informer[T] {
	// the initial list is the store itself: cloning the map copies its table wholesale,
	// far faster than inserting a million keys one by one.
	inf := &Informer[T]{k: k, items: maps.Clone(k.items)}
	if inf.items == nil {
		inf.items = map[string]T{}
	}
	keys := k.keys.sorted()
	inf.keys = keyList{keys: slices.Clone(keys), nsorted: len(keys), dead: make([]bool, len(keys))}
	inf.watch = k.Watch(c, latency, inf.apply)
	return inf
}

// Stop ends the informer's watch.
func (inf *Informer[T]) Stop() { inf.watch.Stop() }

// AddHandler registers fn for every change the informer applies, after the cache is
// updated (as a shared informer's event handler).
func (inf *Informer[T]) AddHandler(fn func(Event[T])) { inf.handlers = append(inf.handlers, fn) }

// AddIndex indexes the cache by fn (e.g. pods by node name). Objects for which fn
// returns "" are not indexed. Adding an index name the informer already has does
// nothing (as for a shared informer's indexers, the same name must mean the same fn).
func (inf *Informer[T]) AddIndex(name string, fn func(T) string) {
	for _, ix := range inf.indexes {
		if ix.name == name {
			return
		}
	}
	ix := &index[T]{name: name, fn: fn, by: map[string][]string{}}
	for _, key := range inf.keys.sorted() { // in key order: each value's list stays sorted
		if v := fn(inf.items[key]); v != "" {
			ix.by[v] = append(ix.by[v], key)
		}
	}
	inf.indexes = append(inf.indexes, ix)
}

// ByIndex returns the objects whose index value is v, in key order.
func (inf *Informer[T]) ByIndex(name, v string) []T {
	for _, ix := range inf.indexes {
		if ix.name == name {
			keys := ix.by[v]
			out := make([]T, 0, len(keys))
			for _, key := range keys {
				out = append(out, inf.items[key])
			}
			return out
		}
	}
	return nil
}

// EachByIndex calls fn for each object whose index value is v, in key order: ByIndex
// without allocating a slice. fn must not change the informer.
func (inf *Informer[T]) EachByIndex(name, v string, fn func(T)) {
	for _, ix := range inf.indexes {
		if ix.name == name {
			for _, key := range ix.by[v] {
				fn(inf.items[key])
			}
			return
		}
	}
}

// CountByIndex returns how many objects have index value v.
func (inf *Informer[T]) CountByIndex(name, v string) int {
	for _, ix := range inf.indexes {
		if ix.name == name {
			return len(ix.by[v])
		}
	}
	return 0
}

func (inf *Informer[T]) apply(ev Event[T]) {
	key := ev.New.Meta().Key()
	old, had := inf.items[key]
	if inf.selIndex != nil && ev.Type != Deleted && inf.selIndex(ev.New) != inf.selValue {
		ev.Type = Deleted // it left the selection: a field-selected watch reports a deletion
	}
	switch ev.Type {
	case Deleted:
		if !had {
			return
		}
		delete(inf.items, key)
		inf.keys.remove(key)
		for _, ix := range inf.indexes {
			if v := ix.fn(old); v != "" {
				ix.by[v] = sortedRemove(ix.by[v], key)
				if len(ix.by[v]) == 0 {
					delete(ix.by, v)
				}
			}
		}
	default:
		if had && old.Meta().ResourceVersion >= ev.New.Meta().ResourceVersion {
			return
		}
		inf.items[key] = ev.New
		if !had {
			inf.keys.add(key)
		}
		for _, ix := range inf.indexes {
			var ov string
			if had {
				ov = ix.fn(old)
			}
			nv := ix.fn(ev.New)
			if had && ov == nv {
				continue
			}
			if had && ov != "" {
				ix.by[ov] = sortedRemove(ix.by[ov], key)
				if len(ix.by[ov]) == 0 {
					delete(ix.by, ov)
				}
			}
			if nv != "" {
				ix.by[nv] = sortedInsert(ix.by[nv], key)
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

// Rewind undoes ev in the cache without calling the handlers: for an informer started
// in a SelectMiss hook (its initial list already holds the change), so that the change
// then arrives through its watch as it would have if the informer had been there
// before.
func (inf *Informer[T]) Rewind(ev Event[T]) {
	key := ev.New.Meta().Key()
	before := ev.Type != Added && (inf.selIndex == nil || inf.selIndex(ev.Old) == inf.selValue)
	cur, had := inf.items[key]
	if before {
		inf.items[key] = ev.Old
		if !had {
			inf.keys.add(key)
		}
	} else if had {
		delete(inf.items, key)
		inf.keys.remove(key)
	}
	for _, ix := range inf.indexes {
		if had {
			if v := ix.fn(cur); v != "" {
				if ix.by[v] = sortedRemove(ix.by[v], key); len(ix.by[v]) == 0 {
					delete(ix.by, v)
				}
			}
		}
		if before {
			if v := ix.fn(ev.Old); v != "" {
				ix.by[v] = sortedInsert(ix.by[v], key)
			}
		}
	}
}

// Get returns the cached object.
func (inf *Informer[T]) Get(key string) (T, bool) {
	o, ok := inf.items[key]
	return o, ok
}

// Len is the number of cached objects.
func (inf *Informer[T]) Len() int { return len(inf.items) }

// Keys returns the cached keys in order (the informer's own slice; do not modify).
func (inf *Informer[T]) Keys() []string { return inf.keys.sorted() }

// List returns the cached objects in key order.
func (inf *Informer[T]) List() []T {
	keys := inf.keys.sorted()
	out := make([]T, 0, len(keys))
	for _, key := range keys {
		out = append(out, inf.items[key])
	}
	return out
}
