package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A rate-limited scale-up visits no more pods than an unlimited one, with or without
// minReadySeconds (a waiting sync keeps its counts, or lists once; the unlimited
// controller recounts at each sync).
func TestRateLimitedScaleUpVisitsNoMorePods(t *testing.T) {
	for _, mr := range []int32{0, 5} {
		var visits [2]int
		for i, cfg := range []ReplicaSetConfig{{}, DefaultReplicaSetConfig()} {
			w := limitedWorld(t, cfg)
			for i := range 20 {
				w.addNode(fmt.Sprint("m", i), nil)
			}
			d := appDeployment("app", 0)
			rs := &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "app-x"}, Replicas: 0,
				Selector: d.Selector, Template: d.Template, MinReadySeconds: mr}
			_, err := w.s.ReplicaSets.Create(w.c, rs)
			require.NoError(t, err)
			w.at(10*time.Second, func() {
				_, err := w.s.ReplicaSets.Patch(w.c, "default/app-x", func(x *apiserver.ReplicaSet) error { x.Replicas = 2000; return nil })
				require.NoError(t, err)
			})
			w.run(400 * time.Second)
			require.Equal(t, 2000, w.s.Pods.Len())
			visits[i] = w.rs.podVisits
		}
		assert.LessOrEqual(t, visits[1], visits[0], "minReadySeconds %d: limited vs unlimited", mr)
	}
}

// A counted sync that waits for its creations' tokens writes readyReplicas from the
// counts of its start (snapReady).
func TestWaitingCountedSyncWritesReadyOfItsStart(t *testing.T) {
	w := limitedWorld(t, DefaultReplicaSetConfig())
	_, err := w.s.Deployments.Create(w.c, appDeployment("app", 10))
	require.NoError(t, err)
	var bad []int32
	w.s.ReplicaSets.Watch(w.c, 0, func(ev apiserver.Event[*apiserver.ReplicaSet]) {
		if ev.Type == apiserver.Modified && w.s.Now() < 5*time.Second && ev.New.ReadyReplicas > 0 {
			bad = append(bad, ev.New.ReadyReplicas)
		}
	})
	w.at(1*time.Second, func() { w.scaleDeployment("app", 60) })
	w.run(30 * time.Second)
	require.Equal(t, 60, w.s.Pods.Len())
	require.Empty(t, bad, "no pod is Ready before 5 s")
}
