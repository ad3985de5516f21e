package scenario_test

import (
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// Larger fleets and more events than TestPropertyLazyEqualsExact, so that zones have
// many nodes waiting in their tainting queues (written by a review).
func TestPropertyLazyEqualsExactLarge(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 20, MaxObjects: 2}))
}
