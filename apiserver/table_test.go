package apiserver

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// TestPropertyObjTableIsAMap: under any sequence of sets, replacements, deletions
// and reservations, the table holds exactly what a map would, and each visits every
// object once.
func TestPropertyObjTableIsAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var tab objTable[*Pod]
		model := map[string]*Pod{}
		nkeys := rapid.SampledFrom([]int{4, 40, 400}).Draw(t, "keys")
		key := func() string { return fmt.Sprintf("k%d", rapid.IntRange(0, nkeys-1).Draw(t, "key")) }
		for i, n := 0, rapid.IntRange(0, 600).Draw(t, "ops"); i < n; i++ {
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case op < 5:
				k := key()
				p := storedPod(k)
				p.ResourceVersion = uint64(i)
				tab.set(k, p)
				model[k] = p
			case op < 8:
				k := key()
				tab.del(k)
				delete(model, k)
			case op < 9:
				tab.reserve(rapid.IntRange(0, 300).Draw(t, "reserve"))
			default:
				k := key()
				got, ok := tab.get(k)
				want, wok := model[k]
				require.Equal(t, wok, ok, k)
				require.Same(t, want, got, k)
			}
			require.Equal(t, len(model), tab.len())
		}
		for k, want := range model {
			got, ok := tab.get(k)
			require.True(t, ok, k)
			require.Same(t, want, got, k)
		}
		// walk finds what get finds, whatever the entry it tries first
		keys := make([]string, 0, len(model)+2)
		for k := range model {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		keys = append(append(keys, "absent"), keys...)
		next := walker{next: rapid.IntRange(0, len(tab.objs)+1).Draw(t, "next"), misses: rapid.IntRange(0, 2).Draw(t, "misses")}
		for _, k := range keys {
			got, ok := tab.walk(k, &next)
			want, wok := model[k]
			require.Equal(t, wok, ok, k)
			require.Same(t, want, got, k)
		}
		var seen []string
		tab.each(func(p *Pod) { seen = append(seen, p.Name) })
		slices.Sort(seen)
		want := make([]string, 0, len(model))
		for k := range model {
			want = append(want, k)
		}
		slices.Sort(want)
		require.Equal(t, want, append([]string{}, seen...))
		// every slot is reachable from its key's home without crossing an empty slot
		n := len(tab.slots)
		for i, s := range tab.slots {
			if s == 0 {
				continue
			}
			for j := home(uint32(s>>32), n); j != i; j = (j + 1) % n {
				require.NotZero(t, tab.slots[j], "empty slot inside a probe run")
			}
		}
	})
}

// Two tables fed the same operations visit their objects in the same order, though
// their hash seeds differ: the order of each cannot depend on the process.
func TestObjTableEachOrderIgnoresSeed(t *testing.T) {
	var a, b objTable[*Pod]
	for i := range 5000 {
		k := fmt.Sprintf("p%d", (i*7919)%3001)
		if i%5 == 4 {
			a.del(k)
			b.del(k)
			continue
		}
		p := storedPod(k)
		a.set(k, p)
		b.set(k, p)
	}
	var oa, ob []*Pod
	a.each(func(p *Pod) { oa = append(oa, p) })
	b.each(func(p *Pod) { ob = append(ob, p) })
	require.Equal(t, oa, ob)
	require.Equal(t, a.len(), len(oa))
}

// storedPod is a cluster-scoped pod named key with its key cached, as the store
// leaves the objects it holds (the table compares cached keys).
func storedPod(key string) *Pod {
	p := &Pod{ObjectMeta: ObjectMeta{Name: key}}
	p.ShareKey(key)
	return p
}
