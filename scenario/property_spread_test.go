package scenario_test

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// The properties below give generated Deployments and bare pods topologySpreadConstraints
// of their own (scenariotest.GenOptions.SpreadConstraints): DoNotSchedule ones that
// filter, with minDomains and nodeTaintsPolicy, and ScheduleAnyway ones that replace
// the system default spreading, through the same faults as the other properties.
var spreadOptions = scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, SpreadConstraints: true}

// TestPropertyLazyEqualsExactSpread: lazy and exact mode give the same trace with
// pods spread by their own constraints.
func TestPropertyLazyEqualsExactSpread(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, SpreadConstraints: true}))
}

// TestPropertyLazyEqualsExactSpreadLarge: larger fleets, more events, short grace
// periods and rate-limited controllers, so that evicted replicas are replaced (or
// left Pending by their constraints) while nodes flap and zones go down.
func TestPropertyLazyEqualsExactSpreadLarge(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 20, MaxObjects: 5, RateLimits: true, ShortGrace: true, SpreadConstraints: true}))
}

// TestPropertyInvariantsSpread checks every invariant of the library with pods spread
// by their own constraints.
func TestPropertyInvariantsSpread(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) { scenariotest.Check(rt, spreadOptions) })
}

// TestPropertyInvariantsSpreadVerbose: the same on smaller scenarios with the quiet
// records, which NoUnknownWithinGrace needs.
func TestPropertyInvariantsSpreadVerbose(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		scenariotest.Check(rt, scenariotest.GenOptions{MaxNodes: 5, MaxEvents: 4, MaxObjects: 2, Verbose: true, SpreadConstraints: true})
	})
}

// TestPropertyDeterminismSpread: a scenario with spread constraints run twice gives
// the same trace, and so does a run with GOMAXPROCS 1 against one with 2 (the
// constraints' per-selector trackers and interned topologies are built from maps).
func TestPropertyDeterminismSpread(t *testing.T) {
	rapid.Check(t, deterministic(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, SpreadConstraints: true}))
}

// TestSpreadConstraintsChangeTraces keeps the properties above from passing
// vacuously: over 300 fixed draws (Example seeds, independent of -rapid.checks), the
// trace of a file with its constraints must differ from that of the same file with
// them removed in at least 20 % of the draws, and DoNotSchedule constraints must leave
// pods Pending for their sake (a FailedScheduling message naming the topology spread
// constraints) in at least 10 %.
func TestSpreadConstraintsChangeTraces(t *testing.T) {
	optionChangesTraces(t, spreadOptions, "topologySpreadConstraints:", scenariotest.WithoutSpreadConstraints, "topology spread")
}

// optionChangesTraces requires that a generator option matters: over 300 fixed draws
// with opts (Example seeds, independent of -rapid.checks), the trace of a file with
// what the option adds (marked by mark in the text) must differ from that of the same
// file through strip in at least 20 % of the draws, and a FailedScheduling message
// containing pending must leave a pod Pending in at least 10 % (no such check when
// pending is "").
func optionChangesTraces(t *testing.T, opts scenariotest.GenOptions, mark string, strip func(string) string, pending string) {
	if testing.Short() {
		t.Skip("600 runs")
	}
	const draws = 300
	gen := scenariotest.ScenarioYAML(opts)
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
	var with, differ, failures int
	for i := range draws {
		text := gen.Example(i)
		if !strings.Contains(text, mark) {
			continue
		}
		with++
		plain := strip(text)
		if strings.Contains(plain, mark) || strings.Count(plain, "\n") >= strings.Count(text, "\n") {
			t.Fatalf("draw %d: %s not removed:\n%s", i, mark, plain)
		}
		res := run(i, text)
		if res.Digest() != run(i, plain).Digest() {
			differ++
		}
		for _, r := range res.Records() {
			if pending != "" && r.Kind == "FailedScheduling" && strings.Contains(r.Str("message"), pending) {
				failures++
				break
			}
		}
	}
	t.Logf("%d of %d draws have %s; %d (%.0f %%) change the trace", with, draws, mark, differ, 100*float64(differ)/draws)
	if pending != "" {
		t.Logf("%d (%.0f %%) have a pod Pending for %q", failures, 100*float64(failures)/draws, pending)
	}
	if differ*5 < draws {
		t.Errorf("the option changes the trace in %d of %d draws, fewer than 20 %%", differ, draws)
	}
	if pending != "" && failures*10 < draws {
		t.Errorf("pods Pending for %q in %d of %d draws, fewer than 10 %%", pending, failures, draws)
	}
}
