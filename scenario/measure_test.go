package scenario_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A sweep's outcomes on the eviction-burst example (seed 1): the 40 evictions the
// taint eviction controller's client spreads from 382.8 s to 384.75 s.
func TestMeasureEvictionWave(t *testing.T) {
	sc, err := scenario.Load("../examples/eviction-burst.yaml")
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	o := scenario.Measure(res)
	assert.Equal(t, 40, o.PodsEvicted)
	assert.InDelta(t, 382.8, o.FirstEviction, 1e-6)
	assert.InDelta(t, 384.75, o.LastEviction, 1e-6)
	assert.Equal(t, 1, o.NodesUnknown)
}
