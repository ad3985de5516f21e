package scenario_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// With spec.featureGates.TaintTolerationComparisonOperators on, Gt and Lt tolerations
// take effect in every component that matches tolerations: the scheduler binds a pod
// whose Gt 900 tolerates a taint of 950, and the taint eviction controller leaves a pod
// whose Lt 10 tolerates a NoExecute taint of 5. (Accepting them without the gate, as
// nodesim once did, gave a third state upstream never has: a toleration that
// tolerates nothing; the file is now rejected instead.)
func TestFeatureGateComparisonOperators(t *testing.T) {
	b, err := os.ReadFile("testdata/comparison-operators.yaml")
	require.NoError(t, err)
	sc, err := scenario.Parse("comparison-operators.yaml", b)
	require.NoError(t, err)
	for _, exact := range []bool{false, true} {
		res, err := scenario.Run(sc, scenario.RunOptions{Exact: exact})
		require.NoError(t, err)
		require.Empty(t, res.Failed())
	}
}
