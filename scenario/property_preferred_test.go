package scenario_test

import (
	"testing"

	"pgregory.net/rapid"

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
// differ from that of the same file without them (WithoutPreferredPodAffinity) in
// at least 20 % of the draws (preferred terms leave no pod Pending).
func TestPreferredPodAffinityChangesTraces(t *testing.T) {
	optionChangesTraces(t, scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PreferredPodAffinity: true},
		"podAffinityTerm:", scenariotest.WithoutPreferredPodAffinity, "")
}
