package apiserver

import (
	"hash/maphash"
	"math/bits"
)

// objTable is the store's index of objects by key, in place of a map[string]T: a
// million pods cost ≈ 19 bytes each here (an 8-byte slot at most ¾ full and an
// 8-byte entry in a dense slice) where a map took ≈ 40–47 (a 24-byte slot, groups
// at most ⅞ full, tables of powers of two). Slots use linear probing and hold a
// 32-bit hash of the key next to the object's index, so that a probe dereferences an
// object only when the hashes agree, and growing or deleting never rehashes a key.
// The number of slots need not be a power of two (a key's first slot is its hash
// scaled to the table), so that a table reserved for n objects is n·4/3 slots, not
// up to twice that.
//
// Walking the dense slice (each) visits objects in an order that depends only on the
// sequence of inserts and deletes, never on the hash seed, which differs per process.
// Keys are compared with the stored objects' cached keys, which the store set and
// nobody changes (stored objects are never written).
type objTable[T Obj[T]] struct {
	seed maphash.Seed
	// slots: 0 is empty; else the key's 32-bit hash << 32 | (index in objs + 1)
	slots []uint64
	objs  []T
	live  []uint64 // bit i: objs[i] holds an object
	free  []int32  // indexes of objs that are free, reused last freed first
	n     int

	// Deferred objects (Kind.restoreDeferred): bit j of pend says that objs[j] holds
	// the zero T for an object not built yet, which def names (its key) and builds at
	// its first read. Every read of an object goes through obj or keyOf, so that it
	// is built there, once, and stored like any other: the same pointer ever after.
	// def is nil for the kinds that defer nothing (one test on their reads).
	def   deferredSource[T]
	pend  []uint64
	npend int // bits set in pend: at 0, def is told to release what it holds
}

// deferredSource holds a kind's objects that are not built yet, by dense index.
type deferredSource[T any] interface {
	// deferredKey is the key of the object deferred at j.
	deferredKey(j int) string
	// build returns the object deferred at j, exactly as Restore would have stored it.
	build(j int) T
	// release: no object is deferred any more (all built or gone).
	release()
}

// pending reports whether objs[j] is deferred.
func (t *objTable[T]) pending(j int) bool {
	return j/64 < len(t.pend) && t.pend[j/64]&(1<<(j%64)) != 0
}

// obj is objs[j] (which holds an object), built first if deferred.
func (t *objTable[T]) obj(j int) T {
	if t.def != nil && t.pending(j) {
		o := t.def.build(j)
		t.objs[j] = o
		t.undefer(j)
		return o
	}
	return t.objs[j]
}

// keyOf is the key of objs[j] (which holds an object), which stays deferred.
func (t *objTable[T]) keyOf(j int) string {
	if t.def != nil && t.pending(j) {
		return t.def.deferredKey(j)
	}
	return t.objs[j].Meta().key
}

// undefer clears j's pending bit: objs[j] is being overwritten or freed.
func (t *objTable[T]) undefer(j int) {
	if t.pending(j) {
		t.pend[j/64] &^= 1 << (j % 64)
		if t.npend--; t.npend == 0 {
			t.def.release()
		}
	}
}

const minSlots = 16

func (t *objTable[T]) init(n int) {
	t.seed = maphash.MakeSeed()
	t.slots = make([]uint64, slotsFor(n))
}

// slotsFor is the number of slots that holds n objects at most ¾ full.
func slotsFor(n int) int { return max(n+n/3+1, minSlots) }

// home is the first slot of a key whose hash is h in a table of n slots.
func home(h uint32, n int) int { return int(uint64(h) * uint64(n) >> 32) }

func (t *objTable[T]) hash(key string) uint32 { return uint32(maphash.String(t.seed, key)) }

// find returns the slot holding key, or the empty slot where it would go (found false).
func (t *objTable[T]) find(key string, h uint32) (slot int, found bool) {
	n := len(t.slots)
	for i := home(h, n); ; {
		s := t.slots[i]
		if s == 0 {
			return i, false
		}
		if uint32(s>>32) == h && t.keyOf(int(uint32(s))-1) == key {
			return i, true
		}
		if i++; i == n {
			i = 0
		}
	}
}

func (t *objTable[T]) len() int { return t.n }

func (t *objTable[T]) get(key string) (T, bool) {
	j := t.index(key)
	if j < 0 {
		var zero T
		return zero, false
	}
	return t.obj(j), true
}

// has reports whether key is stored, without building a deferred object.
func (t *objTable[T]) has(key string) bool { return t.index(key) >= 0 }

// index is the dense index of key's object, or -1.
func (t *objTable[T]) index(key string) int {
	if t.n == 0 {
		return -1
	}
	i, ok := t.find(key, t.hash(key))
	if !ok {
		return -1
	}
	return int(uint32(t.slots[i]) - 1)
}

// walk is get for a walk of keys in order: it tries the dense entry after the one
// the walk found last before probing, so that a walk of objects stored in key order
// (a running start stores large ReplicaSets so) reads the dense slice in sequence
// instead of a slot at random per key. A wrong guess costs a cache miss or two, so a
// walk that guesses wrong twice in a row (the pods of one node, which come from many
// ReplicaSets) stops guessing.
func (t *objTable[T]) walk(key string, w *walker) (T, bool) {
	j := t.walkIndex(key, w)
	if j < 0 {
		var zero T
		return zero, false
	}
	return t.obj(j), true
}

// walkIndex is walk's dense index of key's object (-1 if none), which it does not
// build if deferred.
func (t *objTable[T]) walkIndex(key string, w *walker) int {
	j := w.next
	if w.misses >= 2 || j >= len(t.objs) || t.live[j/64]&(1<<(j%64)) == 0 || t.keyOf(j) != key {
		if w.misses < 2 {
			w.misses++
		}
		if j = t.index(key); j < 0 {
			return -1
		}
	} else {
		w.misses = 0
	}
	w.next = j + 1
	return j
}

// walker is the state of a walk (the zero walker starts one).
type walker struct {
	next   int // the dense entry to try first
	misses int // wrong guesses in a row
}

// set stores obj under key (obj's key), replacing what it held.
func (t *objTable[T]) set(key string, obj T) {
	i, h, ok := t.slot(key)
	if ok {
		j := int(uint32(t.slots[i])) - 1
		t.undefer(j)
		t.objs[j] = obj
		return
	}
	t.insertAt(i, h, obj)
}

// slot is find for a key about to be inserted: its hash, and the slot that holds it
// or where it goes (valid for insertAt until the table next changes).
func (t *objTable[T]) slot(key string) (i int, h uint32, found bool) {
	if t.slots == nil {
		t.init(0)
	}
	h = t.hash(key)
	i, found = t.find(key, h)
	return i, h, found
}

// insertAt stores obj (of a key not in the table) at the empty slot i that slot
// returned for its key's hash h, and returns its dense index.
func (t *objTable[T]) insertAt(i int, h uint32, obj T) int {
	var j int32
	if n := len(t.free); n > 0 {
		j = t.free[n-1]
		t.free = t.free[:n-1]
		t.objs[j] = obj
	} else {
		j = int32(len(t.objs))
		t.objs = append(t.objs, obj)
		if int(j)/64 >= len(t.live) {
			t.live = append(t.live, 0)
		}
	}
	t.live[j/64] |= 1 << (j % 64)
	t.slots[i] = uint64(h)<<32 | uint64(j+1)
	t.n++
	if t.n*4 > len(t.slots)*3 {
		t.grow(slotsFor(2 * t.n))
	}
	return int(j)
}

// insertDeferred is insertAt of an object deferred (see def): its dense index, where
// def must hold it before the table is next read.
func (t *objTable[T]) insertDeferred(i int, h uint32) int {
	var zero T
	j := t.insertAt(i, h, zero)
	for j/64 >= len(t.pend) {
		t.pend = append(t.pend, 0)
	}
	t.pend[j/64] |= 1 << (j % 64)
	t.npend++
	return j
}

// del removes key if present.
func (t *objTable[T]) del(key string) {
	if t.n == 0 {
		return
	}
	i, ok := t.find(key, t.hash(key))
	if !ok {
		return
	}
	j := int32(uint32(t.slots[i]) - 1)
	var zero T
	t.undefer(int(j))
	t.objs[j] = zero
	t.live[j/64] &^= 1 << (j % 64)
	t.free = append(t.free, j)
	t.n--
	clearSlot(t.slots, i)
}

// clearSlot empties slot i of a linear-probing table of hash<<32|index slots by
// backward-shift deletion: each later entry of the run that may live in the hole (its
// home is not cyclically within (hole, its slot]) moves up, so that no lookup meets
// an empty slot before its key and no tombstones accumulate.
func clearSlot(slots []uint64, i int) {
	n := len(slots)
	dist := func(from, to int) int { // cyclic
		if to >= from {
			return to - from
		}
		return to + n - from
	}
	hole := i
	for k := i; ; {
		if k++; k == n {
			k = 0
		}
		s := slots[k]
		if s == 0 {
			break
		}
		if dist(home(uint32(s>>32), n), k) >= dist(hole, k) {
			slots[hole] = s
			hole = k
		}
	}
	slots[hole] = 0
}

// grow rehashes into n slots.
func (t *objTable[T]) grow(n int) { t.slots = rehash(t.slots, n) }

// rehash returns the slots of old in a table of n: each slot carries its hash, no key
// is read.
func rehash(old []uint64, n int) []uint64 {
	slots := make([]uint64, n)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := home(uint32(s>>32), n)
		for slots[i] != 0 {
			if i++; i == n {
				i = 0
			}
		}
		slots[i] = s
	}
	return slots
}

// reserve makes room for n more objects without growing.
func (t *objTable[T]) reserve(n int) {
	if t.slots == nil {
		t.init(n)
	} else if want := slotsFor(t.n + n); want > len(t.slots) {
		t.grow(want)
	}
	if cap(t.objs)-len(t.objs) < n {
		objs := make([]T, len(t.objs), len(t.objs)+n)
		copy(objs, t.objs)
		t.objs = objs
	}
}

// each calls fn for every object, in the dense slice's order (see objTable).
func (t *objTable[T]) each(fn func(T)) {
	for w, word := range t.live {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &= word - 1
			fn(t.obj(w*64 + b))
		}
	}
}
