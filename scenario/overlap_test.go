package scenario_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// Faults that overlap end with the last of them. a-0 is cut off twice — with its zone
// from 60 s for 5 minutes, alone from 90 s for 1 minute — and stays cut off until the
// zone's partition ends at 360 s: the 150 s heal heals nothing, and the node is not
// Ready again before 360 s. Two API-server outages (60 s for 3 minutes, 90 s for 30 s)
// keep the server down until 240 s, with one apiServerRecovered. Before, the first end
// healed everything. Lazy and exact agree.
func TestOverlappingFaultsEndWithTheLast(t *testing.T) {
	sc, err := scenario.Parse("overlap.yaml", []byte(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: overlap}
spec:
  duration: 8m
  nodes:
    - {namePrefix: a-, count: 2, zone: a}
    - {namePrefix: b-, count: 2, zone: b}
  events:
    - {at: 60s, partition: {zone: a, for: 5m}}
    - {at: 90s, partition: {node: a-0, for: 1m}}
    - {at: 60s, apiServerOutage: {for: 3m}}
    - {at: 90s, apiServerOutage: {for: 30s}}
`))
	require.NoError(t, err)
	for _, exact := range []bool{false, true} {
		res, err := scenario.Run(sc, scenario.RunOptions{Exact: exact})
		require.NoError(t, err)
		var recovered []time.Duration
		heals := map[time.Duration]string{}
		readyAgain := time.Duration(-1)
		for _, r := range res.Records() {
			switch {
			case r.Kind == "Action" && r.Str("action") == "apiServerRecovered":
				recovered = append(recovered, r.T)
			case r.Kind == "Action" && r.Str("action") == "heal":
				heals[r.T] = r.Str("nodes")
			case r.Kind == "NodeCondition" && r.Str("node") == "a-0" && r.Str("type") == "Ready" && r.Str("to") == "True" && r.T > 60*time.Second && readyAgain < 0:
				readyAgain = r.T
			}
		}
		require.Equal(t, []time.Duration{240 * time.Second}, recovered, "exact %v", exact)
		require.Equal(t, map[time.Duration]string{150 * time.Second: "", 360 * time.Second: "a-0,a-1"}, heals, "exact %v", exact)
		require.Greater(t, readyAgain, 360*time.Second, "a-0 Ready again only after the zone's partition ends (exact %v)", exact)
	}
}
