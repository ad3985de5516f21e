package apiserver

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// keyList must behave as a sorted set under any sequence of adds, removes and reads.
func TestKeyListMatchesSortedSet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var l keyList
		model := map[string]bool{}
		for i, n := 0, rapid.IntRange(0, 200).Draw(t, "ops"); i < n; i++ {
			k := rapid.SampledFrom([]string{"a", "b", "c", "d", "e", "f", "g", "h"}).Draw(t, "key")
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				if !model[k] {
					l.add(k)
					model[k] = true
				}
			case 1:
				l.remove(k)
				delete(model, k)
			case 2:
				var want []string
				for k := range model {
					want = append(want, k)
				}
				sort.Strings(want)
				got := append([]string(nil), l.sorted()...)
				if len(want) == 0 {
					want = nil
				}
				if len(got) == 0 {
					got = nil
				}
				require.Equal(t, want, got)
				require.Equal(t, len(want), l.len())
			}
		}
	})
}

// With many keys added between reads, a removal sorts the long unsorted tail first;
// the set must still be exact.
func TestKeyListLongTails(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var l keyList
		model := map[string]bool{}
		for i, n := 0, rapid.IntRange(0, 1500).Draw(t, "ops"); i < n; i++ {
			k := fmt.Sprintf("k%04d", rapid.IntRange(0, 999).Draw(t, "key"))
			switch op := rapid.IntRange(0, 20).Draw(t, "op"); {
			case op < 14:
				if !model[k] {
					l.add(k)
					model[k] = true
				}
			case op < 20:
				l.remove(k)
				delete(model, k)
			default:
				require.Equal(t, sortedSet(model), append([]string{}, l.sorted()...))
			}
			require.Equal(t, len(model), l.len())
		}
	})
}

// Keys appended in order extend the sorted prefix (no sort on the next read); mixed
// with removals (dead marks), re-additions and out-of-order keys, the set must stay
// exact and the prefix sorted.
func TestKeyListInOrderAppends(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var l keyList
		model := map[string]bool{}
		next := 0
		for i, n := 0, rapid.IntRange(0, 400).Draw(t, "ops"); i < n; i++ {
			var k string
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case op < 5: // the next key in order
				next += rapid.IntRange(1, 3).Draw(t, "step")
				k = fmt.Sprintf("k%04d", next)
				if !model[k] {
					l.add(k)
					model[k] = true
				}
			case op < 6: // any key
				k = fmt.Sprintf("k%04d", rapid.IntRange(0, next+2).Draw(t, "key"))
				if !model[k] {
					l.add(k)
					model[k] = true
				}
			case op < 8:
				k = fmt.Sprintf("k%04d", rapid.IntRange(0, next).Draw(t, "key"))
				l.remove(k)
				delete(model, k)
			default:
				require.Equal(t, sortedSet(model), append([]string{}, l.sorted()...))
			}
			require.Equal(t, len(model), l.len())
			require.True(t, sort.StringsAreSorted(l.keys[:l.nsorted]), "sorted prefix")
			if l.dead != nil {
				require.Len(t, l.dead, l.nsorted)
			}
		}
	})
}

// sortedSet is the model's keys in order.
func sortedSet(model map[string]bool) []string {
	out := make([]string, 0, len(model))
	for k := range model {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
