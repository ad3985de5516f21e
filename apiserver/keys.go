package apiserver

import "sort"

// keyList is a set of keys handed out in sorted order. Additions append to an
// unsorted tail and removals mark entries dead, both without moving the rest, so that
// booting 100k nodes or creating 1M pods costs O(n log n) in all rather than O(n²);
// the first read after changes sorts the tail and merges it in (O(n + k log k)).
type keyList struct {
	keys    []string
	nsorted int    // keys[:nsorted] is sorted
	dead    []bool // dead[i]: keys[i] was removed (only for the sorted prefix; nil until then)
	ndead   int
}

func (l *keyList) len() int { return len(l.keys) - l.ndead }

// add inserts k; the caller guarantees k is not in the set. A key that sorts after
// all the others extends the sorted prefix: objects created in key order (a running
// start lays out a ReplicaSet's pods so) then never need sorting.
func (l *keyList) add(k string) {
	if n := len(l.keys); l.nsorted == n && (n == 0 || l.keys[n-1] < k) {
		l.nsorted++
		if l.dead != nil {
			l.dead = append(l.dead, false)
		}
	}
	l.keys = append(l.keys, k)
}

// remove deletes k if present.
func (l *keyList) remove(k string) {
	if len(l.keys)-l.nsorted > 256 {
		l.sorted() // a long unsorted tail would be scanned on every removal
	}
	prefix := l.keys[:l.nsorted]
	i := sort.SearchStrings(prefix, k)
	if i < len(prefix) && prefix[i] == k && (l.dead == nil || !l.dead[i]) {
		if l.dead == nil {
			l.dead = make([]bool, l.nsorted)
		}
		l.dead[i] = true
		l.ndead++
		return
	}
	for j := l.nsorted; j < len(l.keys); j++ {
		if l.keys[j] == k {
			last := len(l.keys) - 1
			l.keys[j] = l.keys[last]
			l.keys[last] = ""
			l.keys = l.keys[:last]
			return
		}
	}
}

// sorted returns the keys in order (the list's own slice: do not modify).
func (l *keyList) sorted() []string {
	if l.ndead == 0 && l.nsorted == len(l.keys) {
		return l.keys
	}
	tail := l.keys[l.nsorted:]
	sort.Strings(tail)
	out := make([]string, 0, l.len())
	i, j := 0, 0
	for i < l.nsorted || j < len(tail) {
		if i < l.nsorted && l.ndead > 0 && l.dead[i] {
			i++
			continue
		}
		if j >= len(tail) || (i < l.nsorted && l.keys[i] < tail[j]) {
			out = append(out, l.keys[i])
			i++
		} else {
			out = append(out, tail[j])
			j++
		}
	}
	l.keys = out
	l.nsorted = len(out)
	if cap(l.dead) >= len(out) {
		l.dead = l.dead[:len(out)]
		clear(l.dead)
	} else {
		l.dead = nil // made when something is removed
	}
	l.ndead = 0
	return l.keys
}
