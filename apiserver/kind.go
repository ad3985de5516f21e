package apiserver

import (
	"slices"
	"time"
	"unsafe"
)

// Obj is what a stored kind must provide: its metadata and a deep copy.
type Obj[T any] interface {
	Meta() *ObjectMeta
	DeepCopy() T
}

// EventType is the type of a watch event.
type EventType uint8

// Watch event types.
const (
	Added EventType = iota
	Modified
	Deleted
)

func (t EventType) String() string {
	return [...]string{"ADDED", "MODIFIED", "DELETED"}[t]
}

// Event is one watch notification. Old is the previous version (zero for Added),
// New the new one (for Deleted: the last version).
type Event[T any] struct {
	Type EventType
	Old  T
	New  T
}

// Hooks let a kind's owner add admission and bookkeeping. All are optional.
type Hooks[T any] struct {
	// Admit runs on create (mutating admission), after metadata is set.
	Admit func(obj T) error
	// AdmitUpdate runs on update and patch.
	AdmitUpdate func(old, obj T) error
	// Changed runs after every stored change, before watchers are notified; the trace
	// records are written here.
	Changed func(ev Event[T])
	// GracefulDelete decides how a delete proceeds: it returns the object with its
	// deletion timestamp set and true if the object must stay until a final delete,
	// or false to remove it at once. grace is nil when the caller gave none.
	GracefulDelete func(obj T, grace *int64, now time.Duration) (T, bool)
}

// Kind is the store of one resource: objects by key, kept in key order, with watches.
// Stored objects are never mutated: every write stores a new copy, so a watcher or an
// informer may keep the pointers it was given.
type Kind[T Obj[T]] struct {
	s          *Server
	Resource   string
	namespaced bool
	// uids is the counter this kind's UIDs come from, and uidBase what they are
	// drawn above (see leaseUIDBase)
	uids     *uint64
	uidBase  uint64
	items    objTable[T]
	keyArena []byte // see restoredKey
	keys     keyList
	watchers []*watcher[T]
	chunks   chunkPool[T] // the notification chunks its watches are not using
	Hooks    Hooks[T]
	// watch indexes (field selectors), in the order added: per value, the stored keys
	// with that value and the watches that select it
	selIdx []*selIndex[T]

	// views are the informers whose cache is this store seen through what they have
	// not been delivered yet (see Informer); each store change is told to them first.
	views []*Informer[T]

	// listedObjs: a watch index's first list kept each value's objects (selValue.listed)
	// for the selected informers started before the store changes again — a zone's
	// kubelets adopted at once take their pods from the list, with no lookup each
	listedObjs *selIndex[T]

	// SelectMiss, when set, is called before a change is delivered to the selected
	// watches of an index value that has none, so that its owner can start one on
	// demand (a component materialised when something first concerns it). A watch
	// started in SelectMiss receives this change; an informer started there should
	// first be rewound to before it (Informer.Rewind).
	SelectMiss func(index, value string, ev Event[T])
}

// selIndex is one watch index (AddWatchIndex).
type selIndex[T Obj[T]] struct {
	name string
	fn   func(T) string
	// byKey: the value is the object's key (no key lists are kept)
	byKey bool
	vals  map[string]*selValue[T]
	// listed: the values' key lists are built and kept. They are built when a
	// selected informer first lists (selectedKeys): until then a change only finds its
	// watches, so a store of a million pods whose kubelets never start (lazy mode)
	// keeps no lists.
	listed bool
	// the value looked up last and its entry (nil: none): writes come in runs for one
	// value (a node's pods marked NotReady, a kubelet writing its pods' status)
	lastV  string
	lastSV *selValue[T]
}

// selValue is what a watch index knows of one value: the stored keys with it (sorted
// when read, so that a restore of a million pods only appends; a selected informer's
// initial list then costs what it returns) and the watches selecting it.
type selValue[T Obj[T]] struct {
	keys     keyList
	watchers []*watcher[T]
	// listed: the objects of keys, in keys' order, as the index's first list found
	// them; dropped at the store's next change (see Kind.listedObjs)
	listed []T
}

// lookup returns the entry of v, or nil.
func (ix *selIndex[T]) lookup(v string) *selValue[T] {
	if ix.lastSV != nil && v == ix.lastV {
		return ix.lastSV
	}
	sv := ix.vals[v]
	if sv != nil {
		ix.lastV, ix.lastSV = v, sv
	}
	return sv
}

// value returns the entry of v, made if missing.
func (ix *selIndex[T]) value(v string) *selValue[T] {
	sv := ix.lookup(v)
	if sv == nil {
		sv = &selValue[T]{}
		ix.vals[v] = sv
	}
	return sv
}

// drop forgets v's entry once it has neither keys nor watches.
func (ix *selIndex[T]) drop(v string, sv *selValue[T]) {
	if sv.keys.len() == 0 && len(sv.watchers) == 0 {
		delete(ix.vals, v)
		if ix.lastSV == sv {
			ix.lastSV = nil
		}
	}
}

func (k *Kind[T]) watchIndex(name string) *selIndex[T] {
	for _, ix := range k.selIdx {
		if ix.name == name {
			return ix
		}
	}
	return nil
}

// statusCopier is a kind whose writes store a lighter copy than DeepCopy (see
// Pod.StatusCopy).
type statusCopier[T any] interface{ StatusCopy() T }

// specHolder is a kind whose objects must hold a non-nil spec (pods, and workloads
// through their templates): ensureSpec gives one without a spec the shared empty one,
// so that reading a stored object's spec fields never panics.
type specHolder interface{ ensureSpec() }

// ensureSpec is specHolder's ensureSpec for kinds that are one.
func ensureSpec[T any](obj T) {
	if sh, ok := any(obj).(specHolder); ok {
		sh.ensureSpec()
	}
}

// statusSubresource is a kind whose status writes (PatchStatus, UpdateStatusFrom)
// store a lighter copy than its other writes: the Node (see Node.statusCopy).
type statusSubresource[T any] interface{ statusCopy() T }

// statusWriteCopy is the copy a status write stores.
func (k *Kind[T]) statusWriteCopy(obj T) T {
	if sc, ok := any(obj).(statusSubresource[T]); ok {
		return sc.statusCopy()
	}
	return k.writeCopy(obj)
}

// copyForWrite is the copy a write stores: a status write's (statusWriteCopy) or
// any other's (writeCopy).
func (k *Kind[T]) copyForWrite(obj T, status bool) T {
	if status {
		return k.statusWriteCopy(obj)
	}
	return k.writeCopy(obj)
}

// writeCopy is the copy an update or a patch stores.
func (k *Kind[T]) writeCopy(obj T) T {
	if sc, ok := any(obj).(statusCopier[T]); ok {
		return sc.StatusCopy()
	}
	return obj.DeepCopy()
}

// NewKind registers a resource with the server. Packages that model more kinds
// (workloads, budgets) register them this way.
func NewKind[T Obj[T]](s *Server, resource string, namespaced bool) *Kind[T] {
	return &Kind[T]{s: s, Resource: resource, namespaced: namespaced, uids: &s.uid}
}

// Len is the number of stored objects.
func (k *Kind[T]) Len() int { return k.items.len() }

// Peek returns the stored object without going through a client (no faults apply).
// Reports and tests use it; components read through informers or clients.
func (k *Kind[T]) Peek(key string) (T, bool) {
	return k.items.get(key)
}

// Keys returns the stored keys in order (the slice is the store's own; do not modify).
func (k *Kind[T]) Keys() []string { return k.keys.sorted() }

// Each calls fn for every stored object in key order (no faults apply; for reports).
func (k *Kind[T]) Each(fn func(T)) {
	var next walker
	for _, key := range k.keys.sorted() {
		o, _ := k.items.walk(key, &next)
		fn(o)
	}
}

// Range calls fn for every stored object in an order that is not key order but is
// fixed by what happened to the store (never by a hash seed): for a start's initial
// pass whose outcome cannot depend on the order (counting, sets). It walks the
// store's table in memory order, where Each looks each key up at random. fn must
// not change the store.
func (k *Kind[T]) Range(fn func(T)) { k.items.each(fn) }

// Get reads an object.
func (k *Kind[T]) Get(c *Client, key string) (T, error) {
	var zero T
	if err := c.check("get", k.Resource); err != nil {
		return zero, err
	}
	o, ok := k.items.get(key)
	if !ok {
		return zero, notFound(k.Resource, nameOf(key))
	}
	return o, nil
}

// List returns every object in key order.
func (k *Kind[T]) List(c *Client) ([]T, error) {
	if err := c.check("list", k.Resource); err != nil {
		return nil, err
	}
	keys := k.keys.sorted()
	out := make([]T, 0, len(keys))
	var next walker
	for _, key := range keys {
		o, _ := k.items.walk(key, &next)
		out = append(out, o)
	}
	return out, nil
}

func nameOf(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			return key[i+1:]
		}
	}
	return key
}

// Create stores a new object. The server sets UID, resourceVersion and creation
// timestamp; admission runs first.
func (k *Kind[T]) Create(c *Client, obj T) (T, error) {
	var zero T
	if err := c.check("create", k.Resource); err != nil {
		return zero, err
	}
	obj = obj.DeepCopy()
	ensureSpec(obj)
	m := obj.Meta()
	key, err := k.claim(m)
	if err != nil {
		return zero, err
	}
	m.CreationTimestamp = k.s.Now()
	m.Deleting = false
	if k.Hooks.Admit != nil {
		if err := k.Hooks.Admit(obj); err != nil {
			return zero, err
		}
	}
	m.ResourceVersion = k.s.nextRV()
	k.put(key, obj, zero, false)
	k.keys.add(key)
	k.changed(Event[T]{Type: Added, New: obj})
	return obj, nil
}

// Reserve makes room for n more objects, so that restoring a large cluster does not
// regrow the store as it fills. It changes nothing observable.
func (k *Kind[T]) Reserve(n int) {
	if n <= 0 {
		return
	}
	k.items.reserve(n)
	k.keys.keys = slices.Grow(k.keys.keys, n)
}

// claim checks that a new object's key is free, caches the key and gives the object
// its UID.
func (k *Kind[T]) claim(m *ObjectMeta) (string, error) {
	key := m.Key()
	if k.items.has(key) {
		return "", alreadyExists(k.Resource, m.Name)
	}
	k.keep(m, key)
	return key, nil
}

// keep caches a new object's free key and gives the object its UID.
func (k *Kind[T]) keep(m *ObjectMeta, key string) {
	m.key = key
	if ns := len(m.Namespace); ns > 0 {
		// the namespace and the name are the key's head and tail: one string per
		// object instead of three, and isKey compares pointers
		m.Namespace, m.Name = key[:ns], key[ns+1:]
	}
	*k.uids++
	m.UID = k.uidBase | *k.uids
}

// keyArenaChunk is the size of the blocks restored keys are cut from: ≈ 500 pod keys.
const keyArenaChunk = 16 << 10

// restoredKey is "ns/name" in the kind's key arena: a million restored pods then cost
// a million keys of their exact length and a few hundred allocations, where a string
// each took a million allocations rounded up to their size class. The arena's bytes
// are never written again once a key is cut; a block stays alive while any of its
// keys does, which suits objects restored once at the start.
func (k *Kind[T]) restoredKey(ns, name string) string {
	n := len(ns) + 1 + len(name)
	if len(k.keyArena)+n > cap(k.keyArena) {
		k.keyArena = make([]byte, 0, max(keyArenaChunk, n))
	}
	start := len(k.keyArena)
	k.keyArena = append(k.keyArena, ns...)
	k.keyArena = append(k.keyArena, '/')
	k.keyArena = append(k.keyArena, name...)
	return unsafe.String(&k.keyArena[start], n)
}

// Restore stores an object that already existed when the simulation started, for a
// cluster that starts out running rather than booting: the object keeps its
// CreationTimestamp (usually before time zero) and gets a UID and a resourceVersion;
// neither admission nor the change hooks run, so nothing is traced — nothing happened
// now. Watchers already running see it as created. Restore takes ownership of obj, and
// objects restored together may share maps and slices: stored objects are never
// mutated (every write stores a new copy).
func (k *Kind[T]) Restore(obj T) (T, error) {
	var zero T
	ensureSpec(obj)
	m := obj.Meta()
	var key string
	switch {
	case m.key != "" && m.isKey(m.key):
		key = m.key
	case m.Namespace != "":
		key = k.restoredKey(m.Namespace, m.Name)
	default:
		key = m.Name
	}
	// one probe of the table both checks the key and finds where it goes (claim and
	// put would take two: a million restored pods spend a cache miss on each)
	slot, h, exists := k.items.slot(key)
	if exists {
		return zero, alreadyExists(k.Resource, m.Name)
	}
	k.keep(m, key)
	m.ResourceVersion = k.s.nextRV()
	if k.listedObjs != nil {
		k.dropListedObjs()
	}
	for _, v := range k.views {
		v.storeChanging(key, zero, false, true)
	}
	k.items.insertAt(slot, h, obj)
	k.keys.add(key)
	k.notify(Event[T]{Type: Added, New: obj})
	return obj, nil
}

// restoreDeferred is Restore of an object that the kind's deferredSource builds at
// its first read (see objTable.def; the Leases' steadyLeases): it takes the object's
// key from the key arena, its UID and its resourceVersion as Restore would, and
// returns them with the dense index at which the source must keep what it needs to
// build the object, before anything reads the store. ok is false, and nothing is
// stored, if the object must be restored built: a watch would be told of it.
func (k *Kind[T]) restoreDeferred(ns, name string) (key string, j int, uid, rv uint64, ok bool, err error) {
	key = k.restoredKey(ns, name)
	if !k.unwatched(key) {
		return key, 0, 0, 0, false, nil
	}
	slot, h, exists := k.items.slot(key)
	if exists {
		return key, 0, 0, 0, false, alreadyExists(k.Resource, name)
	}
	*k.uids++
	uid = k.uidBase | *k.uids
	rv = k.s.nextRV()
	if k.listedObjs != nil {
		k.dropListedObjs()
	}
	j = k.items.insertDeferred(slot, h)
	k.keys.add(key)
	return key, j, uid, rv, true, nil
}

// unwatched reports whether an object of key stored now would reach no watch: the
// kind has no watch and no informer over it, no SelectMiss, and its watch indexes
// are by key (their values need no object) and select no watch for key. Restore's
// notification of such an object does nothing.
func (k *Kind[T]) unwatched(key string) bool {
	if len(k.watchers) > 0 || len(k.views) > 0 || k.SelectMiss != nil {
		return false
	}
	for _, ix := range k.selIdx {
		if !ix.byKey {
			return false
		}
		if sv := ix.lookup(key); sv != nil && len(sv.watchers) > 0 {
			return false
		}
	}
	return true
}

// Update replaces an object; obj's resourceVersion must match the stored one
// (optimistic concurrency), else Conflict. The server stores a copy of obj; for a
// kind with a status copy (pods, ReplicaSets, Deployments, DaemonSets) that copy
// shares obj's maps and slices (a pod's conditions excepted), so the caller must not
// change those in place afterwards.
func (k *Kind[T]) Update(c *Client, obj T) (T, error) {
	var zero T
	if err := c.check("update", k.Resource); err != nil {
		return zero, err
	}
	m := obj.Meta()
	key := m.Key()
	old, ok := k.items.get(key)
	if !ok {
		return zero, notFound(k.Resource, m.Name)
	}
	if m.ResourceVersion != old.Meta().ResourceVersion {
		return zero, conflict(k.Resource, m.Name)
	}
	return k.store(old, k.writeCopy(obj))
}

// UpdateFrom is Update of a change to cur, a version the caller read (from an
// informer, say): fn changes a copy of cur made as the server copies what it stores,
// and the result is stored if cur is still the stored version (the resourceVersion
// precondition), else Conflict. It spares the caller's own copy: one copy per write.
func (k *Kind[T]) UpdateFrom(c *Client, cur T, fn func(obj T) error) (T, error) {
	return k.updateFrom(c, cur, fn, false)
}

// UpdateStatusFrom is UpdateFrom through the status subresource (an UpdateStatus
// call): fn may change only the object's status, and must not change in place the
// maps and slices its copy shares with cur (for a Node: labels, annotations, owner
// references; see Node.statusCopy). For kinds without a lighter status copy it is
// UpdateFrom.
func (k *Kind[T]) UpdateStatusFrom(c *Client, cur T, fn func(obj T) error) (T, error) {
	return k.updateFrom(c, cur, fn, true)
}

func (k *Kind[T]) updateFrom(c *Client, cur T, fn func(obj T) error, status bool) (T, error) {
	var zero T
	if err := c.check("update", k.Resource); err != nil {
		return zero, err
	}
	m := cur.Meta()
	old, ok := k.items.get(m.Key())
	if !ok {
		return zero, notFound(k.Resource, m.Name)
	}
	if m.ResourceVersion != old.Meta().ResourceVersion {
		return zero, conflict(k.Resource, m.Name)
	}
	obj := k.copyForWrite(cur, status)
	if err := fn(obj); err != nil {
		return zero, err
	}
	return k.store(old, obj)
}

// Patch applies fn to a copy of the current object and stores the result, with no
// resourceVersion precondition (a strategic-merge or JSON patch in effect). fn may
// return an error to abandon the patch. For a kind with a status copy (pods and the
// workload kinds: see Update), fn
// gets that: it may set fields and replace maps and slices, but must not change in
// place those the copy shares with the stored version.
func (k *Kind[T]) Patch(c *Client, key string, fn func(obj T) error) (T, error) {
	return k.patch(c, key, fn, false)
}

// PatchStatus is Patch through the status subresource (a PATCH of nodes/status, as
// the kubelet sends): fn may change only the object's status, and must not change in
// place the maps and slices its copy shares with the stored version (for a Node:
// labels, annotations, owner references; see Node.statusCopy). For kinds without a
// lighter status copy it is Patch.
func (k *Kind[T]) PatchStatus(c *Client, key string, fn func(obj T) error) (T, error) {
	return k.patch(c, key, fn, true)
}

func (k *Kind[T]) patch(c *Client, key string, fn func(obj T) error, status bool) (T, error) {
	var zero T
	if err := c.check("patch", k.Resource); err != nil {
		return zero, err
	}
	old, ok := k.items.get(key)
	if !ok {
		return zero, notFound(k.Resource, nameOf(key))
	}
	obj := k.copyForWrite(old, status)
	if err := fn(obj); err != nil {
		return zero, err
	}
	return k.store(old, obj)
}

func (k *Kind[T]) store(old, obj T) (T, error) {
	var zero T
	m := obj.Meta()
	om := old.Meta()
	// Identity and server-owned fields cannot change through an update.
	m.UID, m.CreationTimestamp, m.Namespace, m.Name, m.key = om.UID, om.CreationTimestamp, om.Namespace, om.Name, om.key
	m.Deleting, m.DeletionTimestamp, m.DeletionGracePeriodSeconds = om.Deleting, om.DeletionTimestamp, om.DeletionGracePeriodSeconds
	if k.Hooks.AdmitUpdate != nil {
		if err := k.Hooks.AdmitUpdate(old, obj); err != nil {
			return zero, err
		}
	}
	ensureSpec(obj)
	m.ResourceVersion = k.s.nextRV()
	k.put(m.Key(), obj, old, true)
	k.changed(Event[T]{Type: Modified, Old: old, New: obj})
	return obj, nil
}

// DeleteOptions are the options of a DELETE.
type DeleteOptions struct {
	// GracePeriodSeconds: nil uses the object's default; 0 deletes at once (force).
	GracePeriodSeconds *int64
	// Preconditions: if non-zero, the stored UID must match.
	UID uint64
}

// Delete deletes an object. For kinds with graceful deletion (pods), the object may
// only get a deletion timestamp and stay until a final delete.
func (k *Kind[T]) Delete(c *Client, key string, opts DeleteOptions) error {
	if err := c.check("delete", k.Resource); err != nil {
		return err
	}
	old, ok := k.items.get(key)
	if !ok {
		return notFound(k.Resource, nameOf(key))
	}
	if opts.UID != 0 && old.Meta().UID != opts.UID {
		return conflict(k.Resource, nameOf(key))
	}
	if k.Hooks.GracefulDelete != nil {
		if obj, keep := k.Hooks.GracefulDelete(old.DeepCopy(), opts.GracePeriodSeconds, k.s.Now()); keep {
			if m, o := obj.Meta(), old.Meta(); o.Deleting && m.DeletionTimestamp == o.DeletionTimestamp &&
				m.DeletionGracePeriodSeconds == o.DeletionGracePeriodSeconds {
				return nil // graceful deletion pending: nothing to write
			}
			obj.Meta().ResourceVersion = k.s.nextRV()
			k.put(key, obj, old, true)
			k.changed(Event[T]{Type: Modified, Old: old, New: obj})
			return nil
		}
	}
	k.remove(key, old)
	return nil
}

// dropListedObjs forgets the objects a first list kept: the store is changing.
func (k *Kind[T]) dropListedObjs() {
	for _, sv := range k.listedObjs.vals { // each its own: the order cannot show
		sv.listed = nil
	}
	k.listedObjs = nil
}

// put stores obj under key, which held old (had: whether it held anything; the
// callers know), telling the informers that view the store first.
func (k *Kind[T]) put(key string, obj, old T, had bool) {
	if k.listedObjs != nil {
		k.dropListedObjs()
	}
	for _, v := range k.views {
		v.storeChanging(key, old, had, true)
	}
	k.items.set(key, obj)
}

// remove drops the object and notifies.
func (k *Kind[T]) remove(key string, old T) {
	if k.listedObjs != nil {
		k.dropListedObjs()
	}
	for _, v := range k.views {
		v.storeChanging(key, old, true, false)
	}
	k.items.del(key)
	k.keys.remove(key)
	k.s.nextRV()
	k.changed(Event[T]{Type: Deleted, Old: old, New: old})
}

func (k *Kind[T]) changed(ev Event[T]) {
	if k.Hooks.Changed != nil {
		k.Hooks.Changed(ev)
	}
	k.notify(ev)
}

// notify delivers a change to the kind's watchers and keeps the selection indexes.
func (k *Kind[T]) notify(ev Event[T]) {
	for _, w := range k.watchers {
		w.send(ev)
	}
	for _, ix := range k.selIdx {
		ov := ""
		if ev.Type != Added {
			ov = ix.fn(ev.Old)
		}
		nv := ix.fn(ev.New)
		if ev.Type == Deleted {
			nv = ""
		}
		var osv, nsv *selValue[T]
		if ov != nv && ix.listed {
			key := ev.New.Meta().Key()
			if ov != "" {
				if osv = ix.lookup(ov); osv != nil {
					osv.keys.remove(key)
					ix.drop(ov, osv)
				}
			}
			if nv != "" {
				nsv = ix.value(nv)
				nsv.keys.add(key)
			}
		}
		if ev.Type == Deleted {
			nv = ix.fn(ev.New)
		}
		if ov != "" {
			for _, w := range k.selected(ix, ov, osv, ev) {
				w.send(ev)
			}
		}
		if nv != "" && nv != ov {
			for _, w := range k.selected(ix, nv, nsv, ev) {
				w.send(ev)
			}
		}
	}
}

// selected returns the selected watches of an index value (sv: its entry if known),
// giving SelectMiss its chance to start one first.
func (k *Kind[T]) selected(ix *selIndex[T], value string, sv *selValue[T], ev Event[T]) []*watcher[T] {
	if sv == nil { // (a known entry is current, or it has no watches: then re-read below)
		sv = ix.lookup(value)
	}
	if (sv == nil || len(sv.watchers) == 0) && k.SelectMiss != nil {
		k.SelectMiss(ix.name, value, ev)
		sv = ix.lookup(value)
	}
	if sv == nil {
		return nil
	}
	return sv.watchers
}
