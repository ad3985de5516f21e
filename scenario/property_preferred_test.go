package scenario_test

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// The properties below give generated Deployments and bare pods preferred pod
// affinity and anti-affinity terms (scenariotest.GenOptions.PreferredPodAffinity),
// which only InterPodAffinity's score reads, through the same faults as the other
// properties.

// TestPropertyLazyEqualsExactPreferred: lazy and exact mode give the same trace
// with preferred inter-pod terms, alone and beside required ones.
func TestPropertyLazyEqualsExactPreferred(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		required := rapid.Bool().Draw(rt, "required")
		lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PreferredPodAffinity: true,
			PodAffinity: required, PodAntiAffinity: required})(rt)
	})
}

// TestPropertyInvariantsPreferred checks every invariant of the library with
// preferred inter-pod terms (and, half the time, required ones).
func TestPropertyInvariantsPreferred(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		required := rapid.Bool().Draw(rt, "required")
		scenariotest.Check(rt, scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PreferredPodAffinity: true,
			PodAffinity: required, PodAntiAffinity: required})
	})
}

// TestPropertyDeterminismPreferred: a scenario with preferred terms run twice gives
// the same trace, and so does a run with GOMAXPROCS 1 against one with 2 (the
// score's sums are built from maps).
func TestPropertyDeterminismPreferred(t *testing.T) {
	rapid.Check(t, deterministic(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PreferredPodAffinity: true}))
}

// TestPreferredPodAffinityChangesTraces keeps the properties above from passing
// vacuously: over 300 fixed draws, the trace of a file with its preferred terms must
// differ from that of the same file without them (WithoutPreferredPodAffinity, which
// must leave a file that loads and has none) in at least 10 % of the draws.
func TestPreferredPodAffinityChangesTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("600 runs")
	}
	const draws = 300
	gen := scenariotest.ScenarioYAML(scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PreferredPodAffinity: true})
	run := func(i int, text string) string {
		sc, err := scenario.Parse("generated.yaml", []byte(text))
		if err != nil {
			t.Fatalf("draw %d: %v\n%s", i, err, text)
		}
		res, err := scenario.Run(sc, scenario.RunOptions{})
		if err != nil {
			t.Fatalf("draw %d: run: %v", i, err)
		}
		return res.Digest()
	}
	var with, differ int
	for i := range draws {
		text := gen.Example(i)
		if !strings.Contains(text, "podAffinityTerm:") {
			continue
		}
		with++
		plain := scenariotest.WithoutPreferredPodAffinity(text)
		if strings.Contains(plain, "podAffinityTerm:") || strings.Contains(plain, "affinity:") {
			t.Fatalf("draw %d: preferred terms not removed:\n%s", i, plain)
		}
		if run(i, text) != run(i, plain) {
			differ++
		}
	}
	t.Logf("%d of %d draws have preferred terms; %d (%.0f %%) change the trace", with, draws, differ, 100*float64(differ)/draws)
	if differ*10 < draws {
		t.Errorf("the option changes the trace in %d of %d draws, fewer than 10 %%", differ, draws)
	}
}
