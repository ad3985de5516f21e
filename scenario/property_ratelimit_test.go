package scenario_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// The properties below draw small controller-manager client limits (kubeAPIQPS 0.5
// to 5, burst 1 to 10), so that the node lifecycle, taint eviction, pod GC,
// ReplicaSet and DaemonSet controllers wait for tokens in scenarios of a few nodes
// (the node lifecycle controller's monitor passes then run over time): at the default
// 20/30 the generated scenarios seldom go past a burst.
var rateLimitedOptions = scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 6, MaxObjects: 4, RateLimits: true}

// TestPropertyLazyEqualsExactRateLimited: lazy and exact mode give the same trace
// while the controllers' requests wait for tokens.
func TestPropertyLazyEqualsExactRateLimited(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(rateLimitedOptions))
}

// TestPropertyInvariantsRateLimited checks every invariant of the library with the
// controllers' requests waiting for tokens.
func TestPropertyInvariantsRateLimited(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) { scenariotest.Check(rt, rateLimitedOptions) })
}

// TestPropertyInvariantsRateLimitedVerbose: the same with the quiet records, which
// some invariants need.
func TestPropertyInvariantsRateLimitedVerbose(t *testing.T) {
	reproDir(t)
	o := rateLimitedOptions
	o.MaxNodes, o.Verbose = 5, true
	rapid.Check(t, func(rt *rapid.T) { scenariotest.Check(rt, o) })
}

// TestPropertyLazyEqualsExactRateLimitedLarge: larger fleets, more events and
// faults that last, with the controllers waiting for tokens (short grace periods
// too, so that nodes flap and their pods are evicted and replaced again).
func TestPropertyLazyEqualsExactRateLimitedLarge(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 20, MaxObjects: 4, RateLimits: true, ShortGrace: true}))
}
