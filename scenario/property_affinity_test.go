package scenario_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// The properties below give generated Deployments and bare pods required pod
// affinity terms (scenariotest.GenOptions.PodAffinity): groups that follow their
// first pod into a node or zone, pods that need another Deployment's or the bare
// pods' domain, or a Deployment that does not exist, through the same faults as the
// other properties.
var affinityOptions = scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PodAffinity: true}

// TestPropertyLazyEqualsExactAffinity: lazy and exact mode give the same trace with
// pods held together by required affinity.
func TestPropertyLazyEqualsExactAffinity(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PodAffinity: true}))
}

// TestPropertyLazyEqualsExactAffinityLarge: larger fleets, more events, short grace
// periods, rate-limited controllers, spread constraints and anti-affinity as well
// (a pod spec may have terms of both kinds).
func TestPropertyLazyEqualsExactAffinityLarge(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 20, MaxObjects: 5, RateLimits: true, ShortGrace: true,
		SpreadConstraints: true, PodAntiAffinity: true, PodAffinity: true}))
}

// TestPropertyInvariantsAffinity checks every invariant of the library with
// required pod affinity (and anti-affinity).
func TestPropertyInvariantsAffinity(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		scenariotest.Check(rt, scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PodAffinity: true, PodAntiAffinity: rapid.Bool().Draw(rt, "anti")})
	})
}

// TestPropertyInvariantsAffinityVerbose: the same on smaller scenarios with the
// quiet records, which NoUnknownWithinGrace needs.
func TestPropertyInvariantsAffinityVerbose(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		scenariotest.Check(rt, scenariotest.GenOptions{MaxNodes: 5, MaxEvents: 4, MaxObjects: 2, Verbose: true, PodAffinity: true})
	})
}

// TestPropertyDeterminismAffinity: a scenario with affinity run twice gives the
// same trace, and so does a run with GOMAXPROCS 1 against one with 2 (the filter
// state and the term trackers are built from maps).
func TestPropertyDeterminismAffinity(t *testing.T) {
	rapid.Check(t, deterministic(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3, PodAffinity: true}))
}

// TestPodAffinityChangesTraces keeps the properties above from passing vacuously:
// over 300 fixed draws, the trace of a file with its affinity terms must differ
// from that of the same file without them in at least 20 % of the draws, and the
// terms must leave pods Pending for their sake (a FailedScheduling message naming
// pod affinity) in at least 10 %.
func TestPodAffinityChangesTraces(t *testing.T) {
	optionChangesTraces(t, affinityOptions, "podAffinity:", scenariotest.WithoutPodAffinity, "didn't match pod affinity rules")
}
