package sim_test

import (
	"testing"

	"pgregory.net/rapid"
)

func TestZZStats(t *testing.T) {
	var fires, ties, recs, loopsFired, moves, stale, past, runs int
	rapid.Check(t, func(rt *rapid.T) {
		p := genProgram(rt)
		tr := runEngine(rt, &p).Records()
		recs += len(tr)
		for i := range tr {
			r := &tr[i]
			switch r.Kind {
			case "fire":
				fires++
				if i > 0 && tr[i-1].Kind == "fire" && tr[i-1].T == r.T {
					ties++
				}
				if r.Str("ev")[0] == 'l' {
					loopsFired++
				}
			case "move":
				moves++
			case "run":
				runs++
			}
			switch r.Str("err") {
			case "stale":
				stale++
			case "past":
				past++
			}
		}
	})
	t.Logf("records %d fires %d ties %d loopfires %d moves %d stale %d past %d runs %d", recs, fires, ties, loopsFired, moves, stale, past, runs)
}
