package scenario_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// TestKnownSteadyKubeletMarkedLate is a lazy = exact divergence found by
// TestPropertyLazyEqualsExactSpreadLarge once the monitor pass ran eight workers, and
// not fixed yet (see the file's comment): it runs only with NODESIM_KNOWN=1, and
// requires the two traces to be equal.
func TestKnownSteadyKubeletMarkedLate(t *testing.T) {
	if os.Getenv("NODESIM_KNOWN") == "" {
		t.Skip("known divergence, open: set NODESIM_KNOWN=1 to run it")
	}
	sc, err := scenario.Load("testdata/known/steady-kubelet-marked-late.yaml")
	require.NoError(t, err)
	lazy, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	exact, err := scenario.Run(sc, scenario.RunOptions{Exact: true})
	require.NoError(t, err)
	var a, b bytes.Buffer
	_ = lazy.WriteText(&a)
	_ = exact.WriteText(&b)
	require.Equal(t, b.String(), a.String())
}
