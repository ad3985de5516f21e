package scenario_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// From a review of leader election (session 15): a 9 s API-server outage. Upstream the leader's renew rounds
// start RetryPeriod after the previous round's request returned (wait.UntilWithContext,
// sliding), so their phase relative to a fault is arbitrary (it depends on when the
// process acquired and drifts by each request's duration); the round that first fails
// starts in (T, T+2 s] and its last attempt, at +8 s, succeeds once the API server is back
// at T+9 s only when that round started after T+1 s: about half of all runs keep their
// leader, half restart kube-controller-manager. nodesim's leader acquired at exactly 0 s
// and renewed at exact multiples of 2 s in every seed, so the answer was decided by the
// parity of the fault's whole second (20 of 20 seeds at 60 s, 0 of 20 at 61 s); the
// phase of the leader a run starts with is now drawn per seed.
func TestLeaderRenewPhaseDrawnPerSeed(t *testing.T) {
	for _, at := range []string{"60s", "61s"} {
		t.Run(at, func(t *testing.T) {
			yaml := fmt.Sprintf(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: short-outage}
spec:
  duration: 2m
  nodes:
    - name: test-worker
  events:
    - at: %s
      apiServerOutage: {for: 9s}
`, at)
			restarts := 0
			const seeds = 20
			for s := uint64(1); s <= seeds; s++ {
				sc, err := scenario.Parse("short-outage.yaml", []byte(yaml))
				require.NoError(t, err)
				seed := s
				res, err := scenario.Run(sc, scenario.RunOptions{Seed: &seed})
				require.NoError(t, err)
				leaders := 0
				for _, r := range res.Trace.Records() {
					if r.Kind == "Leader" {
						leaders++
					}
				}
				if leaders > 1 {
					restarts++
				}
			}
			require.True(t, restarts > 0 && restarts < seeds,
				"upstream restarts kube-controller-manager in about half of such runs; nodesim: %d of %d seeds", restarts, seeds)
		})
	}
}
