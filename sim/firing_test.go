package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

func TestFiring(t *testing.T) {
	e := sim.New()
	require.False(t, e.Firing())
	var inside []bool
	_, err := e.At(time.Second, func() { inside = append(inside, e.Firing()) })
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(time.Second))
	require.Equal(t, []bool{true}, inside)
	require.False(t, e.Firing(), "between runs")
}
