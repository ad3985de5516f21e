package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A sweep's outcomes on the eviction-burst example (seed 1): the 40 evictions the
// taint eviction controller's client spreads from 383.18 s to 385.13 s (the node
// lifecycle controller's client, busy marking the 40 pods, puts the taint 0.38 s
// later than without its limit).
func TestMeasureEvictionWave(t *testing.T) {
	sc, err := scenario.Load("../examples/eviction-burst.yaml")
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	o := scenario.Measure(res)
	assert.Equal(t, 40, o.PodsEvicted)
	assert.InDelta(t, 383.18, o.FirstEviction, 1e-6)
	assert.InDelta(t, 385.13, o.LastEviction, 1e-6)
	assert.Equal(t, 1, o.NodesUnknown)
}

// From an audit of the derived answers (session 15). out-of-service.yaml evicts each
// of its 2 pods (taint eviction) and pod GC then force-deletes them (PodEvicted again):
// 2 pods, not 4 records. drain-pdb.yaml's Deployment starts at 0 of 0 and is scaled to
// 4 at 30 s: its rollout is not a shortfall, and after it is whole the drain never
// takes it below 3 of 4 (it counted 0.0 and 3.06 s from the 0 of 0 at the start).
func TestMeasureCountsPodsAndSkipsRollouts(t *testing.T) {
	run := func(file string) scenario.Outcome {
		sc, err := scenario.Load(file)
		require.NoError(t, err)
		res, err := scenario.Run(sc, scenario.RunOptions{})
		require.NoError(t, err)
		return scenario.Measure(res)
	}
	o := run("../examples/out-of-service.yaml")
	assert.Equal(t, 2, o.PodsEvicted)
	o = run("../examples/drain-pdb.yaml")
	assert.Equal(t, 0.75, o.MinReadyFraction)
	assert.Less(t, o.SecondsBelowDesired, 3.0)
	assert.Greater(t, o.SecondsBelowDesired, 0.0)
}
