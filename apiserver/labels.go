package apiserver

import (
	"iter"
	"slices"
	"strconv"
	"strings"
)

// Labels is an object's metadata.labels: an immutable set of key/value pairs, the
// part of upstream's labels.Labels (Has, Get) and labels.Set that nodesim reads. The
// zero value is the empty set.
//
// Why not a map: stored objects are never changed in place, so one set can be shared
// by every version of an object and by every pod stamped from a template, and a set
// that differs from another in one value can share the rest. A fleet of 100k nodes
// differs only in kubernetes.io/hostname: their labels are one sorted base (the
// pool's os, arch, zone, … and the hostname key) and, per node, 32 bytes naming the
// base and the node's own hostname (Server.InternLabels), where a Go map of seven
// labels took ≈ 336 bytes a node.
//
// A Labels is one pointer, so copying an object copies no labels. Reading is
// allocation-free: Lookup scans the sorted keys (a binary search past 8), which for
// the handful of labels an object has is as fast as a small map's hashed probe.
// Changes return a new set (With, Without) and leave the receiver as it was.
type Labels struct{ s *labelSet }

// labelPair is one label.
type labelPair struct{ key, value string }

// labelBase is pairs sorted by key, shared by the sets built on it and never changed.
type labelBase struct{ pairs []labelPair }

// labelSet is its base's pairs with the value of pairs[slot] replaced by value (slot
// < 0: none), 32 bytes: a node that differs from its pool only in its hostname owns
// one of these and nothing else.
type labelSet struct {
	base  *labelBase
	slot  int
	value string
}

// flatLabels is a set and its own base in one allocation.
type flatLabels struct {
	set  labelSet
	base labelBase
}

// labelsOf makes a set of pairs, which must be sorted by key without duplicates and
// are kept (not copied).
func labelsOf(pairs []labelPair) Labels {
	if len(pairs) == 0 {
		return Labels{}
	}
	f := &flatLabels{base: labelBase{pairs: pairs}}
	f.set = labelSet{base: &f.base, slot: -1}
	return Labels{&f.set}
}

// NewLabels returns the set of m's pairs (a copy: m may change afterwards). An empty
// or nil m gives the empty set.
func NewLabels(m map[string]string) Labels {
	if len(m) == 0 {
		return Labels{}
	}
	pairs := make([]labelPair, 0, len(m))
	for k, v := range m {
		pairs = append(pairs, labelPair{k, v})
	}
	slices.SortFunc(pairs, func(a, b labelPair) int { return strings.Compare(a.key, b.key) })
	return labelsOf(pairs)
}

// LabelsOf returns the set of the pairs kv lists as key, value, key, value, …; a
// later pair overrides an earlier one of the same key. It panics if kv has an odd
// length (a programming error: it is for literals in code and tests).
func LabelsOf(kv ...string) Labels {
	if len(kv)%2 != 0 {
		panic("apiserver.LabelsOf: odd number of arguments")
	}
	l := Labels{}
	for i := 0; i < len(kv); i += 2 {
		l = l.With(kv[i], kv[i+1])
	}
	return l
}

// index returns the position of key in the base's pairs, or -1.
func (s *labelSet) index(key string) int {
	ps := s.base.pairs
	if len(ps) <= 8 {
		for i := range ps {
			if ps[i].key == key {
				return i
			}
		}
		return -1
	}
	i, ok := slices.BinarySearchFunc(ps, key, func(p labelPair, k string) int { return strings.Compare(p.key, k) })
	if !ok {
		return -1
	}
	return i
}

// at returns the i-th pair in key order.
func (s *labelSet) at(i int) (key, value string) {
	p := &s.base.pairs[i]
	if i == s.slot {
		return p.key, s.value
	}
	return p.key, p.value
}

// Lookup returns the value of key and whether the set has it.
func (l Labels) Lookup(key string) (string, bool) {
	s := l.s
	if s == nil {
		return "", false
	}
	i := s.index(key)
	if i < 0 {
		return "", false
	}
	_, v := s.at(i)
	return v, true
}

// Get returns the value of key, "" if the set has no such key (labels.Labels.Get).
func (l Labels) Get(key string) string {
	v, _ := l.Lookup(key)
	return v
}

// Has reports whether the set has key (labels.Labels.Has).
func (l Labels) Has(key string) bool {
	return l.s != nil && l.s.index(key) >= 0
}

// Len is the number of labels.
func (l Labels) Len() int {
	if l.s == nil {
		return 0
	}
	return len(l.s.base.pairs)
}

// All yields the pairs in key order (byte-wise), so that whatever is built from them
// is the same in every run.
func (l Labels) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		s := l.s
		if s == nil {
			return
		}
		for i := range s.base.pairs {
			if !yield(s.at(i)) {
				return
			}
		}
	}
}

// Map returns a new map of the pairs, which the caller may change (never nil).
func (l Labels) Map() map[string]string {
	m := make(map[string]string, l.Len())
	for k, v := range l.All() {
		m[k] = v
	}
	return m
}

// Equal reports whether l and o have the same pairs.
func (l Labels) Equal(o Labels) bool {
	if l.s == o.s {
		return true
	}
	if l.Len() != o.Len() {
		return false
	}
	if l.Len() == 0 {
		return true
	}
	for i := range l.s.base.pairs {
		lk, lv := l.s.at(i)
		ok, ov := o.s.at(i)
		if lk != ok || lv != ov {
			return false
		}
	}
	return true
}

// Same reports whether l and o are the same set, not just equal ones: the cheap test
// for "built from the same template" (a pod's labels are its template's).
func (l Labels) Same(o Labels) bool { return l.s == o.s }

// pairs returns a new slice of the pairs in key order, with room for one more.
func (l Labels) pairs() []labelPair {
	ps := make([]labelPair, 0, l.Len()+1)
	for k, v := range l.All() {
		ps = append(ps, labelPair{k, v})
	}
	return ps
}

// With returns the set with key's value set to value (added or replaced); l is left
// as it is. A set that replaces the value of one key of another shares the other's
// pairs and costs 32 bytes; a second change, or a new key, copies the pairs.
func (l Labels) With(key, value string) Labels {
	s := l.s
	if s == nil {
		return labelsOf([]labelPair{{key, value}})
	}
	i := s.index(key)
	if i >= 0 {
		if _, v := s.at(i); v == value {
			return l
		}
		if s.slot < 0 || s.slot == i {
			return Labels{&labelSet{base: s.base, slot: i, value: value}}
		}
		ps := l.pairs()
		ps[i].value = value
		return labelsOf(ps)
	}
	ps := l.pairs()
	at, _ := slices.BinarySearchFunc(ps, key, func(p labelPair, k string) int { return strings.Compare(p.key, k) })
	return labelsOf(slices.Insert(ps, at, labelPair{key, value}))
}

// Without returns the set without key; l is left as it is.
func (l Labels) Without(key string) Labels {
	if l.s == nil {
		return l
	}
	i := l.s.index(key)
	if i < 0 {
		return l
	}
	return labelsOf(slices.Delete(l.pairs(), i, i+1))
}

// String renders the set as upstream's labels.Set.String does: "k=v,k=v" in key order.
func (l Labels) String() string {
	var b strings.Builder
	for k, v := range l.All() {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	return b.String()
}

// labelBases interns the shared part of label sets: Server.InternLabels. One per
// Server, so that worlds run in parallel share nothing mutable.
type labelBases struct {
	m   map[string]*labelSet
	key []byte // scratch for the lookup key
	// recent are the last sets found or made, tried first: the kubelets of a pool
	// register one after another (or a few pools in turn), and comparing m with a
	// base costs a few map reads where the keyed lookup sorts and encodes m.
	recent [labelBasesRecent]*labelSet
	next   int
}

// labelBasesRecent is how many interned sets InternLabels tries before its map.
const labelBasesRecent = 8

// holds reports whether shared, a set InternLabels made, is m's but for own's value.
func (shared *labelSet) holds(m map[string]string, own string, hasOwn bool) bool {
	ps := shared.base.pairs
	if len(ps) != len(m) || (shared.slot >= 0) != hasOwn || hasOwn && ps[shared.slot].key != own {
		return false
	}
	for i := range ps {
		if i == shared.slot {
			continue
		}
		if v, ok := m[ps[i].key]; !ok || v != ps[i].value {
			return false
		}
	}
	return true
}

// InternLabels returns the set of m's pairs (m is not kept), sharing with every set
// this server interned before for the same pairs but own's value all but that value:
// a kubelet interns its Node's labels with own kubernetes.io/hostname, so that the
// nodes of a pool (the same os, arch, zone and --node-labels) hold one sorted base
// and 32 bytes each. A set without own is shared whole. The cache belongs to the
// server (one per simulated world) and grows by one entry per distinct pool.
func (s *Server) InternLabels(m map[string]string, own string) Labels {
	if len(m) == 0 {
		return Labels{}
	}
	c := &s.labelBases
	ownValue, hasOwn := m[own]
	var shared *labelSet
	for _, r := range c.recent {
		if r != nil && r.holds(m, own, hasOwn) {
			shared = r
			break
		}
	}
	if shared == nil {
		shared = c.lookup(m, own, hasOwn)
		c.recent[c.next] = shared
		c.next = (c.next + 1) % labelBasesRecent
	}
	if !hasOwn {
		return Labels{shared}
	}
	return Labels{&labelSet{base: shared.base, slot: shared.slot, value: ownValue}}
}

// lookup finds or makes the shared set of m but for own's value, by m's pairs.
func (c *labelBases) lookup(m map[string]string, own string, hasOwn bool) *labelSet {
	var buf [16]string
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := c.key[:0]
	if hasOwn {
		b = appendLen(b, own)
	}
	b = append(b, '|')
	for _, k := range keys {
		if hasOwn && k == own {
			continue
		}
		b = appendLen(b, k)
		b = appendLen(b, m[k])
	}
	c.key = b
	shared := c.m[string(b)] // no allocation: a map index by a converted []byte
	if shared == nil {
		pairs := make([]labelPair, len(keys))
		for i, k := range keys {
			pairs[i] = labelPair{k, m[k]}
			if hasOwn && k == own {
				pairs[i].value = "" // every set on this base replaces it
			}
		}
		shared = labelsOf(pairs).s
		if hasOwn {
			shared.slot = slices.Index(keys, own)
		}
		if c.m == nil {
			c.m = map[string]*labelSet{}
		}
		c.m[string(b)] = shared
	}
	return shared
}

// appendLen appends s with its length in front, so that no pair of strings can be
// confused with another.
func appendLen(b []byte, s string) []byte {
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

// NamespaceLabels is the labels of namespace ns as the API server sets them,
// kubernetes.io/metadata.name=ns alone (nodesim has no Namespace objects, so no
// other label). It inlines, and its three parts are separate variables (a struct
// pointing into itself would escape: golang.org/issue/35518), so a caller that only
// reads the set, matching a namespaceSelector, builds it on its stack.
func NamespaceLabels(ns string) Labels {
	pair := [1]labelPair{{LabelMetadataName, ns}}
	base := labelBase{pairs: pair[:]}
	set := labelSet{base: &base, slot: -1}
	return Labels{&set}
}
