package spec

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse checks that no input makes Parse panic or hang, that a rejected input
// returns no scenario and well-formed errors, and that an accepted one can be
// varied. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("testdata/kubelet-stops.yaml")
	require.NoError(f, err)
	f.Add(example)
	f.Add([]byte(header))
	old := maxNodes
	maxNodes = 5000 // keep each input cheap
	f.Cleanup(func() { maxNodes = old })
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			require.Nil(t, s)
			var list ErrorList
			require.ErrorAs(t, err, &list)
			require.NotEmpty(t, list)
			for _, e := range list {
				require.Equal(t, "fuzz.yaml", e.File)
				require.NotEmpty(t, e.Problem)
				require.GreaterOrEqual(t, e.Line, 0)
			}
			return
		}
		require.NotNil(t, s)
		_, _ = s.With("seed", "2")
		_, _ = s.With("kubernetesVersion", "1.31")
	})
}
