package kubelet

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// From a review (session 15) of v1.37.2 tryUpdateNodeStatus: a no-change report that
// falls due resets delayAfterNodeStatusChange to 0 before its PATCH is sent, whether
// or not it succeeds, and a try ≥ 1 that finds nothing changed and no report due
// returns without a PATCH. So with a last report L and a negative offset d, a report
// due at L+5m+d during a partition fails, and the next is due at L+5m: a heal before
// L+5m is followed by no PATCH before L+5m (nodesim retried at every sync and sent
// one right after the heal).
func TestReportOffsetUsedUpByAFailedReport(t *testing.T) {
	var w *world
	var k *Kubelet
	name := ""
	for i := 0; i < 200; i++ {
		n := fmt.Sprintf("n%d", i)
		w = newWorld(t, true, Config{Version: 34, NoJitter: true}, n)
		k = w.k[n]
		k.Start()
		w.run(5 * time.Second)
		if k.delay < -100*time.Second {
			name = n
			break
		}
	}
	require.NotEmpty(t, name)
	L := k.lastReport
	due := L + 5*time.Minute + k.delay
	w.at(due-15*time.Second, func() { k.Client().SetPartitioned(true) })
	w.at(due+35*time.Second, func() { k.Client().SetPartitioned(false) })
	w.run(L + 5*time.Minute - time.Second)
	var patches []time.Duration
	for _, r := range w.tr.Records() {
		if r.Kind == "NodeStatusPatched" && r.T > due {
			patches = append(patches, r.T)
		}
	}
	require.Empty(t, patches, "upstream sends no status PATCH between the heal and L+5m")
}
