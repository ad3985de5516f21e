package nodelifecycle

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
)

// TestTickSwapRequeuedByPass: the tainting tick's swap of b waits for client tokens;
// meanwhile a monitor pass visits b from its listed copy (no taint yet) and removes and
// re-adds it (markNodeForTainting). Upstream's Try then takes the name's heap entry out
// (RemoveFromQueue by name) when the swap succeeds, the re-added one included, so b is
// swapped once and its taint's timeAdded is that swap's, before the PATCH landed. Keeping
// the re-added entry swapped b a second time (GET + PATCH, a timeAdded later than the
// taint's landing). Found by review (finding 5).
func TestTickSwapRequeuedByPass(t *testing.T) {
	w := limitedWorld(t, 31, flowcontrol.RateLimit{QPS: 0.5, Burst: 3}, 3, true)
	w.kubelet("c", nil, true).Start()
	w.at(time.Second, func() { w.kl["a"].SetReady(apiserver.ConditionFalse); w.kl["b"].SetReady(apiserver.ConditionFalse) })
	w.run(3 * time.Minute)
	added := findAll(w.tr.Records(), "TaintAdded", "node", "b", "taint", "node.kubernetes.io/not-ready:NoExecute")
	require.Len(t, added, 1)
	n, _ := w.s.Nodes.Peek("b")
	var timeAdded time.Duration
	for _, tt := range n.Taints {
		if tt.Key == "node.kubernetes.io/not-ready" && tt.Effect == "NoExecute" {
			timeAdded = tt.TimeAdded
		}
	}
	require.NotZero(t, timeAdded)
	require.LessOrEqual(t, timeAdded, added[0].T, "b's not-ready:NoExecute was PATCHed again after it landed (timeAdded %v)", timeAdded)
}
