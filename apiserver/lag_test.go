package apiserver

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// TestPropertyLagTableIsAMap: the lag table answers as a map would, through growth,
// deletions in any order (backward-shift) and reused entries.
func TestPropertyLagTableIsAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var l lagTable[*Pod]
		model := map[string]int32{}
		nkeys := rapid.IntRange(1, 300).Draw(t, "keys")
		steps := rapid.IntRange(1, 2000).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			key := fmt.Sprintf("default/p-%d", rapid.IntRange(0, nkeys-1).Draw(t, "key"))
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0: // storeChanging's use: make or change
				e, _, found := l.entry(key)
				if _, ok := model[key]; found != ok {
					t.Fatalf("entry(%s) found %v, want %v", key, found, ok)
				}
				e.pending++
				model[key]++
			case 1: // delivered's use: change, or drop
				if _, ok := model[key]; !ok {
					continue
				}
				e, slot, found := l.entry(key)
				if !found || e.pending != model[key] {
					t.Fatalf("entry(%s) = %v %v, want pending %d", key, e.pending, found, model[key])
				}
				if rapid.Bool().Draw(t, "drop") {
					l.drop(slot)
					delete(model, key)
				} else {
					e.pending++
					model[key]++
				}
			case 2:
				e, ok := l.get(key)
				if want, wok := model[key]; ok != wok || e.pending != want {
					t.Fatalf("get(%s) = %d %v, want %d %v", key, e.pending, ok, want, wok)
				}
			}
			if l.len() != len(model) {
				t.Fatalf("len %d, want %d", l.len(), len(model))
			}
		}
		seen := map[string]bool{}
		l.each(func(key string, e lagged[*Pod]) {
			if seen[key] || e.pending != model[key] {
				t.Fatalf("each: %s twice, or pending %d, want %d", key, e.pending, model[key])
			}
			seen[key] = true
		})
		if len(seen) != len(model) {
			t.Fatalf("each visited %d keys, want %d", len(seen), len(model))
		}
	})
}
