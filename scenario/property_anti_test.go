package scenario_test

import (
	"runtime"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// The properties below give generated Deployments and bare pods required pod
// anti-affinity terms (scenariotest.GenOptions.PodAntiAffinity): terms that keep
// replicas apart per node or zone, some reaching every app, bound bare pods whose
// terms keep others off, through the same faults as the other properties.
var antiOptions = scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PodAntiAffinity: true}

// TestPropertyLazyEqualsExactAnti: lazy and exact mode give the same trace with
// pods kept apart by required anti-affinity.
func TestPropertyLazyEqualsExactAnti(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PodAntiAffinity: true}))
}

// TestPropertyLazyEqualsExactAntiLarge: larger fleets, more events, short grace
// periods, rate-limited controllers and spread constraints as well, so that evicted
// replicas are replaced (or left Pending by their terms) while nodes flap.
func TestPropertyLazyEqualsExactAntiLarge(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 20, MaxObjects: 5, RateLimits: true, ShortGrace: true,
		SpreadConstraints: true, PodAntiAffinity: true}))
}

// TestPropertyInvariantsAnti checks every invariant of the library with required
// pod anti-affinity.
func TestPropertyInvariantsAnti(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) { scenariotest.Check(rt, antiOptions) })
}

// TestPropertyInvariantsAntiVerbose: the same on smaller scenarios with the quiet
// records, which NoUnknownWithinGrace needs.
func TestPropertyInvariantsAntiVerbose(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		scenariotest.Check(rt, scenariotest.GenOptions{MaxNodes: 5, MaxEvents: 4, MaxObjects: 2, Verbose: true, PodAntiAffinity: true})
	})
}

// TestPropertyDeterminismAnti: a scenario with anti-affinity run twice gives the
// same trace, and so does a run with GOMAXPROCS 1 against one with 2 (the filter
// state and the term trackers are built from maps).
func TestPropertyDeterminismAnti(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		sc := scenariotest.Scenario(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PodAntiAffinity: true}).Draw(rt, "scenario")
		run := func(procs int) string {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			res, err := scenario.Run(sc, scenario.RunOptions{})
			if err != nil {
				rt.Fatalf("run: %v", err)
			}
			return res.Digest()
		}
		a, b := run(1), run(2)
		if a != b {
			rt.Fatalf("GOMAXPROCS 1 gives %s, 2 gives %s", a, b)
		}
		if c := run(2); c != b {
			rt.Fatalf("two runs give %s and %s", b, c)
		}
	})
}

// TestPodAntiAffinityChangesTraces keeps the properties above from passing
// vacuously: over 300 fixed draws (Example seeds, independent of -rapid.checks), the
// trace of a file with its terms must differ from that of the same file without them
// in at least 20 % of the draws, and the terms must leave pods Pending for their sake
// (a FailedScheduling message naming anti-affinity) in at least 10 %.
func TestPodAntiAffinityChangesTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("600 runs")
	}
	const draws = 300
	gen := scenariotest.ScenarioYAML(antiOptions)
	run := func(i int, text string) *scenario.Result {
		sc, err := scenario.Parse("generated.yaml", []byte(text))
		if err != nil {
			t.Fatalf("draw %d: %v\n%s", i, err, text)
		}
		res, err := scenario.Run(sc, scenario.RunOptions{})
		if err != nil {
			t.Fatalf("draw %d: run: %v", i, err)
		}
		return res
	}
	var withTerms, differ, antiFailures int
	for i := range draws {
		text := gen.Example(i)
		if !strings.Contains(text, "podAntiAffinity:") {
			continue
		}
		withTerms++
		plain := scenariotest.WithoutPodAntiAffinity(text)
		if strings.Contains(plain, "podAntiAffinity") || strings.Count(plain, "\n") >= strings.Count(text, "\n") {
			t.Fatalf("draw %d: terms not removed:\n%s", i, plain)
		}
		res := run(i, text)
		if res.Digest() != run(i, plain).Digest() {
			differ++
		}
		for _, r := range res.Records() {
			if r.Kind == "FailedScheduling" && strings.Contains(r.Str("message"), "anti-affinity") {
				antiFailures++
				break
			}
		}
	}
	t.Logf("%d of %d draws have terms; %d (%.0f %%) change the trace; %d (%.0f %%) have a pod Pending for anti-affinity",
		withTerms, draws, differ, 100*float64(differ)/draws, antiFailures, 100*float64(antiFailures)/draws)
	if differ*5 < draws {
		t.Errorf("the terms change the trace in %d of %d draws, fewer than 20 %%", differ, draws)
	}
	if antiFailures*10 < draws {
		t.Errorf("pods Pending for anti-affinity in %d of %d draws, fewer than 10 %%", antiFailures, draws)
	}
}
