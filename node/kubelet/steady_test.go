package kubelet

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// walkVirtualSyncs is virtualSync called for each sync before until: same syncs, same
// reports, same draws.
func TestWalkVirtualSyncsIsVirtualSyncLoop(t *testing.T) {
	for _, tc := range []struct {
		name       string
		noJitter   bool
		latency    time.Duration
		lastReport time.Duration
		delay      time.Duration
		reported   bool
		from       time.Duration
		until      time.Duration
	}{
		{"day", false, 0, -time.Minute, 0, false, 3 * time.Second, 24 * time.Hour},
		{"latency-and-offset", false, 20 * time.Millisecond, 0, 97 * time.Second, false, time.Second, 12 * time.Hour},
		{"negative-offset", false, 5 * time.Millisecond, 10 * time.Second, -2 * time.Minute, true, 12 * time.Second, 3 * time.Hour},
		{"no-jitter", true, 20 * time.Millisecond, 0, 0, false, time.Second, 12*time.Hour + 1},
		{"no-jitter-on-a-sync", true, 0, 0, 0, false, 10 * time.Second, 10 * time.Minute},
		{"nothing-due", false, 0, 0, 0, false, time.Hour, time.Hour},
		{"short", false, 0, 0, 0, false, time.Hour, time.Hour + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ks [2]*Kubelet
			for i := range ks {
				s := apiserver.New(sim.New(sim.WithSeed(11)), sim.NewTrace(false), apiserver.DefaultConfig())
				k, err := New(s, "n", Config{NoJitter: tc.noJitter})
				require.NoError(t, err)
				k.client.Latency = tc.latency
				k.statusVirtual, k.lastReport, k.delay, k.vReported = tc.from, tc.lastReport, tc.delay, tc.reported
				ks[i] = k
			}
			a, b := ks[0], ks[1]
			a.walkVirtualSyncs(tc.until)
			for b.statusVirtual < tc.until {
				b.statusVirtual = b.virtualSync(b.statusVirtual)
			}
			require.Equal(t, b.statusVirtual, a.statusVirtual)
			require.Equal(t, b.lastReport, a.lastReport)
			require.Equal(t, b.delay, a.delay)
			require.Equal(t, b.vReported, a.vReported)
			require.Equal(t, b.statusRand.Uint64(), a.statusRand.Uint64(), "the same draws")
		})
	}
}
