package scenario_test

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// The properties below give generated pod affinity and anti-affinity terms label
// keys (scenariotest.GenOptions.PodAffinityLabelKeys): matchLabelKeys
// [pod-template-hash] and mismatchLabelKeys [app], merged by the API server into
// the terms of each pod it creates, bare pods and the controllers' replicas alike.
var labelKeysOptions = scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PodAntiAffinity: true,
	PodAffinity: true, PreferredPodAffinity: true, PodAffinityLabelKeys: true}

// TestPropertyLazyEqualsExactLabelKeys: lazy and exact mode give the same trace with
// label keys in the terms.
func TestPropertyLazyEqualsExactLabelKeys(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PodAntiAffinity: true,
		PodAffinity: true, PodAffinityLabelKeys: true}))
}

// TestPropertyInvariantsLabelKeys checks every invariant of the library with label
// keys in the terms.
func TestPropertyInvariantsLabelKeys(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) { scenariotest.Check(rt, labelKeysOptions) })
}

// TestLabelKeysChangeTraces keeps the properties above from passing vacuously: over
// 150 fixed draws (Example seeds, independent of -rapid.checks), the trace of a file
// with label keys must differ from that of the same file without them
// (WithoutLabelKeys) in at least 10 % of the draws.
func TestLabelKeysChangeTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("300 runs")
	}
	const draws = 150
	gen := scenariotest.ScenarioYAML(labelKeysOptions)
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
	with, differ := 0, 0
	for i := range draws {
		text := gen.Example(i)
		plain := scenariotest.WithoutLabelKeys(text)
		if plain == text {
			continue
		}
		with++
		if strings.Contains(plain, "LabelKeys") {
			t.Fatalf("draw %d: label keys left:\n%s", i, plain)
		}
		if run(i, text) != run(i, plain) {
			differ++
		}
	}
	t.Logf("%d of %d draws have label keys; %d (%.0f %%) change the trace", with, draws, differ, 100*float64(differ)/draws)
	if differ*10 < draws {
		t.Errorf("label keys change the trace in %d of %d draws, fewer than 10 %%", differ, draws)
	}
}
