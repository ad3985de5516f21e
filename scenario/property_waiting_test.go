package scenario_test

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// Larger fleets and more events than TestPropertyLazyEqualsExact, so that zones have
// many nodes waiting in their tainting queues (written by a review).
func TestPropertyLazyEqualsExactLarge(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		sc := scenariotest.Scenario(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 20, MaxObjects: 2}).Draw(rt, "scenario")
		lazy, err := scenario.Run(sc, scenario.RunOptions{})
		if err != nil {
			rt.Fatalf("run: %v", err)
		}
		exact, err := scenario.Run(sc, scenario.RunOptions{Exact: true})
		if err != nil {
			rt.Fatalf("run: %v", err)
		}
		if lazy.Digest() != exact.Digest() {
			var a, b strings.Builder
			_ = lazy.WriteText(&a)
			_ = exact.WriteText(&b)
			rt.Fatalf("lazy and exact traces differ:\nlazy:\n%s\nexact:\n%s", a.String(), b.String())
		}
	})
}
