package apiserver

import "hash/maphash"

// lagTable is an informer's lag, key → lagged, in place of a map[string]lagged. Every
// write to a viewed kind makes an entry and its delivery drops it, so a burst (a
// zone's pods marked NotReady, then written Ready on heal) fills the lag with 100k
// entries and empties it again. A map spreads them over its groups at random; here
// the entries sit in a dense slice in the order they were made (a freed one is reused
// first), which is nearly the order a watch delivers them, and the index is 8-byte
// slots (a 32-bit hash and the entry's position, linear probing, as objTable): the
// burst and its deliveries walk the entries in sequence, and the slots of 100k
// entries take 1 MB, not the 5 MB of a map's groups. Keys are compared as strings;
// the store's keys are shared strings, so equal keys compare by pointer.
type lagTable[T any] struct {
	seed  maphash.Seed
	slots []uint64 // 0: empty; else the key's 32-bit hash << 32 | (entry index + 1)
	ents  []lagEntry[T]
	free  []int32
	n     int
}

type lagEntry[T any] struct {
	key string // "": free
	e   lagged[T]
}

func (l *lagTable[T]) len() int { return l.n }

func (l *lagTable[T]) hash(key string) uint32 { return uint32(maphash.String(l.seed, key)) }

// find returns the slot holding key, or the empty slot where it would go (found false).
func (l *lagTable[T]) find(key string, h uint32) (slot int, found bool) {
	n := len(l.slots)
	for i := home(h, n); ; {
		s := l.slots[i]
		if s == 0 {
			return i, false
		}
		if uint32(s>>32) == h && l.ents[uint32(s)-1].key == key {
			return i, true
		}
		if i++; i == n {
			i = 0
		}
	}
}

// get returns key's entry.
func (l *lagTable[T]) get(key string) (lagged[T], bool) {
	if l.n == 0 {
		return lagged[T]{}, false
	}
	if i, ok := l.find(key, l.hash(key)); ok {
		return l.ents[uint32(l.slots[i])-1].e, true
	}
	return lagged[T]{}, false
}

// entry returns key's entry to change in place, made zero if missing (found false),
// and its slot for drop. Both are valid until the table next changes.
func (l *lagTable[T]) entry(key string) (e *lagged[T], slot int, found bool) {
	if l.slots == nil {
		l.seed = maphash.MakeSeed()
		l.slots = make([]uint64, minSlots)
	}
	h := l.hash(key)
	i, ok := l.find(key, h)
	if ok {
		return &l.ents[uint32(l.slots[i])-1].e, i, true
	}
	if l.n+1 > len(l.slots)*3/4 {
		l.slots = rehash(l.slots, 2*len(l.slots))
		i, _ = l.find(key, h)
	}
	var j int32
	if n := len(l.free); n > 0 {
		j = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		j = int32(len(l.ents))
		l.ents = append(l.ents, lagEntry[T]{})
	}
	l.ents[j].key = key
	l.slots[i] = uint64(h)<<32 | uint64(j+1)
	l.n++
	return &l.ents[j].e, i, false
}

// drop removes the entry at slot (from entry).
func (l *lagTable[T]) drop(slot int) {
	j := int32(uint32(l.slots[slot]) - 1)
	l.ents[j] = lagEntry[T]{} // the key and the object go with it
	l.free = append(l.free, j)
	l.n--
	clearSlot(l.slots, slot)
}

// each calls fn for every entry, in the dense slice's order (which depends only on
// the sequence of changes, never on the hash seed).
func (l *lagTable[T]) each(fn func(key string, e lagged[T])) {
	for i := range l.ents {
		if x := &l.ents[i]; x.key != "" {
			fn(x.key, x.e)
		}
	}
}
