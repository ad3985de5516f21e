package apiserver

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func pairsOf(l Labels) [][2]string {
	var out [][2]string
	for k, v := range l.All() {
		out = append(out, [2]string{k, v})
	}
	return out
}

func TestLabelsZeroValue(t *testing.T) {
	var l Labels
	require.Equal(t, 0, l.Len())
	require.False(t, l.Has("a"))
	v, ok := l.Lookup("a")
	require.False(t, ok)
	require.Equal(t, "", v)
	require.Equal(t, "", l.Get("a"))
	require.Empty(t, pairsOf(l))
	require.True(t, l.Equal(Labels{}))
	require.True(t, l.Equal(NewLabels(nil)), "an empty map is the zero value")
	require.True(t, l.Equal(NewLabels(map[string]string{})))
	require.Equal(t, map[string]string{}, l.Map())
	require.Equal(t, "", l.String())
	require.Equal(t, l, l.Without("a"))
	require.Equal(t, Labels{}, LabelsOf("a", "1").Without("a"), "removing the last label gives the zero value")
}

func TestLabelsReadAndOrder(t *testing.T) {
	m := map[string]string{"zone": "a", "app": "web", "b": ""}
	l := NewLabels(m)
	m["app"] = "changed" // NewLabels copied
	require.Equal(t, 3, l.Len())
	require.Equal(t, "web", l.Get("app"))
	v, ok := l.Lookup("b")
	require.True(t, ok, "an empty value is a label")
	require.Equal(t, "", v)
	require.True(t, l.Has("b"))
	require.False(t, l.Has("c"))
	require.Equal(t, [][2]string{{"app", "web"}, {"b", ""}, {"zone", "a"}}, pairsOf(l), "All walks in key order")
	require.Equal(t, "app=web,b=,zone=a", l.String())

	// All stops when the loop does
	n := 0
	for range l.All() {
		n++
		break
	}
	require.Equal(t, 1, n)
}

func TestLabelsWithShadowsBase(t *testing.T) {
	base := LabelsOf("kubernetes.io/hostname", "", "kubernetes.io/os", "linux", "topology.kubernetes.io/zone", "a")
	n1 := base.With("kubernetes.io/hostname", "n1")
	n2 := base.With("kubernetes.io/hostname", "n2")
	require.Same(t, base.s.base, n1.s.base, "a set replacing one value shares its base")
	require.Same(t, base.s.base, n2.s.base)
	require.Equal(t, "", base.Get("kubernetes.io/hostname"), "With leaves its receiver as it was")
	require.Equal(t, "n1", n1.Get("kubernetes.io/hostname"), "the overlay shadows the base's value")
	require.Equal(t, "n2", n2.Get("kubernetes.io/hostname"))
	require.Equal(t, "linux", n1.Get("kubernetes.io/os"), "other keys read through to the base")
	require.Equal(t, [][2]string{{"kubernetes.io/hostname", "n1"}, {"kubernetes.io/os", "linux"}, {"topology.kubernetes.io/zone", "a"}}, pairsOf(n1))
	require.False(t, n1.Equal(n2))
	require.True(t, n1.Equal(LabelsOf("topology.kubernetes.io/zone", "a", "kubernetes.io/os", "linux", "kubernetes.io/hostname", "n1")),
		"an overlay and a flat set with the same pairs are equal")

	// the same key again stays an overlay; a second key copies; an unchanged value is the same set
	again := n1.With("kubernetes.io/hostname", "n3")
	require.Same(t, base.s.base, again.s.base)
	require.Equal(t, "n1", n1.Get("kubernetes.io/hostname"))
	require.True(t, n1.Same(n1.With("kubernetes.io/hostname", "n1")))
	two := n1.With("kubernetes.io/os", "windows")
	require.NotSame(t, base.s.base, two.s.base)
	require.Equal(t, [][2]string{{"kubernetes.io/hostname", "n1"}, {"kubernetes.io/os", "windows"}, {"topology.kubernetes.io/zone", "a"}}, pairsOf(two))
	added := n1.With("a", "1")
	require.Equal(t, [][2]string{{"a", "1"}, {"kubernetes.io/hostname", "n1"}, {"kubernetes.io/os", "linux"}, {"topology.kubernetes.io/zone", "a"}}, pairsOf(added))
	require.Equal(t, "n1", n1.Without("kubernetes.io/os").Get("kubernetes.io/hostname"), "Without keeps the overlay's value")
	require.Equal(t, 3, n1.Len())
}

func TestLabelsMapIsACopy(t *testing.T) {
	l := LabelsOf("a", "1", "b", "2").With("a", "3")
	m := l.Map()
	require.Equal(t, map[string]string{"a": "3", "b": "2"}, m)
	m["a"] = "x"
	m["c"] = "y"
	require.Equal(t, "3", l.Get("a"))
	require.False(t, l.Has("c"))
	require.Equal(t, map[string]string{"a": "3", "b": "2"}, l.Map(), "a new map each time")
}

func TestLabelsLarge(t *testing.T) {
	// past 8 keys, Lookup searches
	m := map[string]string{}
	for i := range 20 {
		m[fmt.Sprintf("k%02d", i)] = fmt.Sprint(i)
	}
	l := NewLabels(m).With("k07", "seven")
	for i := range 20 {
		want := fmt.Sprint(i)
		if i == 7 {
			want = "seven"
		}
		require.Equal(t, want, l.Get(fmt.Sprintf("k%02d", i)))
	}
	require.False(t, l.Has("k20"))
	require.False(t, l.Has("a"))
}

func TestLabelsReadsDoNotAllocate(t *testing.T) {
	l := LabelsOf("kubernetes.io/hostname", "", "kubernetes.io/os", "linux", "topology.kubernetes.io/zone", "a").With("kubernetes.io/hostname", "n1")
	o := LabelsOf("kubernetes.io/hostname", "n1", "kubernetes.io/os", "linux", "topology.kubernetes.io/zone", "a")
	var sink int
	require.Zero(t, testing.AllocsPerRun(100, func() {
		if l.Has("topology.kubernetes.io/zone") && l.Get("kubernetes.io/hostname") == "n1" && l.Equal(o) {
			sink++
		}
		if _, ok := l.Lookup("x"); ok {
			sink++
		}
		for range l.All() {
			sink++
		}
	}))
	require.NotZero(t, sink)
}

// The per-node cost of a pool's labels: interned with the hostname as the node's own
// value, each node's labels are one 32-byte allocation (the base is the pool's), where
// a Go map of seven labels cost ≈ 336 bytes. Fails if a node's labels go back to a
// map or a copy of the pairs.
func TestInternLabelsPerNodeCost(t *testing.T) {
	require.Equal(t, uintptr(8), unsafe.Sizeof(Labels{}), "a Labels is one pointer")
	require.Equal(t, uintptr(32), unsafe.Sizeof(labelSet{}), "a node's own part is 32 bytes")

	s := &Server{} // InternLabels reads nothing else
	pool := func(host string) map[string]string {
		return map[string]string{
			LabelHostname: host, LabelOS: "linux", LabelArch: "amd64", "beta.kubernetes.io/os": "linux",
			"beta.kubernetes.io/arch": "amd64", LabelZone: "a", LabelZoneBeta: "a",
		}
	}
	first := s.InternLabels(pool("n0"), LabelHostname)
	m := pool("n1")
	var l Labels
	allocs := testing.AllocsPerRun(100, func() { l = s.InternLabels(m, LabelHostname) })
	require.Equal(t, 1.0, allocs, "one allocation a node: its labelSet")
	require.Same(t, first.s.base, l.s.base, "the nodes of a pool share one base")
	require.True(t, l.Equal(NewLabels(m)))
	require.Equal(t, "n0", first.Get(LabelHostname))

	other := pool("n2")
	other[LabelZone] = "b"
	require.NotSame(t, first.s.base, s.InternLabels(other, LabelHostname).s.base, "another pool, another base")
	require.True(t, s.InternLabels(other, LabelHostname).Equal(NewLabels(other)))

	noHost := map[string]string{"app": "web"}
	a, b := s.InternLabels(noHost, LabelHostname), s.InternLabels(noHost, LabelHostname)
	require.True(t, a.Same(b), "a set without the own key is shared whole")
	require.True(t, a.Equal(LabelsOf("app", "web")))
	require.Equal(t, Labels{}, s.InternLabels(nil, LabelHostname))

	// a pool whose value of the own key is the base's placeholder is still itself
	empty := pool("")
	require.Equal(t, "", s.InternLabels(empty, LabelHostname).Get(LabelHostname))
	require.True(t, s.InternLabels(empty, LabelHostname).Has(LabelHostname))
}

// TestPropertyLabels checks Labels against a map model over random constructions and
// sequences of With and Without.
func TestPropertyLabels(t *testing.T) {
	keys := rapid.SampledFrom([]string{"a", "b", "c", "kubernetes.io/hostname", "kubernetes.io/os", "z", "", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"})
	vals := rapid.SampledFrom([]string{"", "1", "2", "x"})
	rapid.Check(t, func(t *rapid.T) {
		s := &Server{} // InternLabels reads nothing else
		model := rapid.MapOf(keys, vals).Draw(t, "init")
		var l Labels
		switch rapid.IntRange(0, 2).Draw(t, "ctor") {
		case 0:
			l = NewLabels(model)
		case 1:
			var kv []string
			for _, k := range slices.Sorted(maps.Keys(model)) {
				kv = append(kv, k, model[k])
			}
			l = LabelsOf(kv...)
		case 2:
			l = s.InternLabels(model, keys.Draw(t, "own"))
		}
		sets := []Labels{l}
		models := []map[string]string{maps.Clone(model)}
		steps := rapid.IntRange(0, 12).Draw(t, "steps")
		for range steps {
			i := rapid.IntRange(0, len(sets)-1).Draw(t, "from")
			k := keys.Draw(t, "key")
			m := maps.Clone(models[i])
			var next Labels
			if rapid.IntRange(0, 3).Draw(t, "op") == 0 {
				next = sets[i].Without(k)
				delete(m, k)
			} else {
				v := vals.Draw(t, "value")
				next = sets[i].With(k, v)
				m[k] = v
			}
			sets, models = append(sets, next), append(models, m)
		}
		for i, l := range sets {
			m := models[i]
			if l.Len() != len(m) {
				t.Fatalf("set %d: Len %d, model %d", i, l.Len(), len(m))
			}
			var want [][2]string
			for _, k := range slices.Sorted(maps.Keys(m)) {
				want = append(want, [2]string{k, m[k]})
			}
			if got := pairsOf(l); !slices.Equal(got, want) {
				t.Fatalf("set %d: All %v, model %v", i, got, want)
			}
			for _, k := range []string{"a", "b", "c", "kubernetes.io/hostname", "kubernetes.io/os", "z", "", "k4", "missing"} {
				v, ok := l.Lookup(k)
				mv, mok := m[k]
				if v != mv || ok != mok || l.Has(k) != mok || l.Get(k) != mv {
					t.Fatalf("set %d key %q: (%q, %v), model (%q, %v)", i, k, v, ok, mv, mok)
				}
			}
			if !maps.Equal(l.Map(), m) {
				t.Fatalf("set %d: Map %v, model %v", i, l.Map(), m)
			}
			for j, o := range sets {
				if l.Equal(o) != maps.Equal(m, models[j]) {
					t.Fatalf("sets %d and %d: Equal %v, models equal %v", i, j, l.Equal(o), maps.Equal(m, models[j]))
				}
			}
			if (l.Len() == 0) != (l == Labels{}) {
				t.Fatalf("set %d: empty sets are the zero value", i)
			}
		}
	})
}

func TestNamespaceLabels(t *testing.T) {
	l := NamespaceLabels("team-a")
	require.Equal(t, [][2]string{{LabelMetadataName, "team-a"}}, pairsOf(l))
	require.True(t, l.Equal(LabelsOf(LabelMetadataName, "team-a")))
	sel := LabelSelector{LabelMetadataName: "team-a"}
	var sink int
	require.Zero(t, testing.AllocsPerRun(100, func() {
		if sel.Matches(NamespaceLabels("team-a")) {
			sink++
		}
	}), "a namespace's labels, only read, are built on the stack")
	require.NotZero(t, sink)
}
