package scenario_test

import (
	"testing"

	"pgregory.net/rapid"

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
	rapid.Check(t, deterministic(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PodAntiAffinity: true}))
}

// TestPodAntiAffinityChangesTraces keeps the properties above from passing
// vacuously: over 300 fixed draws (Example seeds, independent of -rapid.checks), the
// trace of a file with its terms must differ from that of the same file without them
// in at least 20 % of the draws, and the terms must leave pods Pending for their sake
// (a FailedScheduling message naming anti-affinity) in at least 10 %.
func TestPodAntiAffinityChangesTraces(t *testing.T) {
	optionChangesTraces(t, antiOptions, "podAntiAffinity:", scenariotest.WithoutPodAntiAffinity, "anti-affinity")
}
