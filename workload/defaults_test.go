package workload

import (
	"errors"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/stretchr/testify/require"
)

func TestSchedulerDefaults(t *testing.T) {
	c := DefaultSchedulerConfig()
	require.Equal(t, time.Second, c.PodInitialBackoff, "kube-scheduler podInitialBackoffSeconds = 1")
	require.Equal(t, 10*time.Second, c.PodMaxBackoff, "kube-scheduler podMaxBackoffSeconds = 10")
	require.Equal(t, 10*time.Millisecond, c.SchedulingLatency, "nodesim's modelled cycle")
}

// The work queue retries a failing key after 5 ms, doubling (client-go
// DefaultControllerRateLimiter: ItemExponentialFailureRateLimiter(5ms, 1000s)).
func TestWorkQueueRetryBackoff(t *testing.T) {
	e := sim.New()
	var at []time.Duration
	q := newWorkQueue(e, func(string) error {
		at = append(at, e.Now())
		if len(at) < 5 {
			return errors.New("boom")
		}
		return nil
	})
	q.add("k")
	e.Run()
	ms := time.Millisecond
	require.Equal(t, []time.Duration{0, 5 * ms, 15 * ms, 35 * ms, 75 * ms}, at)
	require.Empty(t, q.failures, "success forgets the failures")
	q.addAfter("k", time.Hour)
	q.stop()
	require.Equal(t, 0, e.Pending(), "stop cancels delayed adds")
}

// replica_set.go BurstReplicas = 500: one sync creates at most 500 pods.
func TestReplicaSetBurstReplicas(t *testing.T) {
	w := newWorld(t, 1)
	_, err := w.s.ReplicaSets.Create(w.c, &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "big"},
		Replicas: 600, Selector: apiserver.LabelSelector{"app": "big"},
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": "big"})}})
	require.NoError(t, err)
	for w.s.Pods.Len() == 0 && w.e.Step() {
	}
	require.Equal(t, BurstReplicas, w.s.Pods.Len())
	require.NoError(t, w.e.RunUntil(syncDuration))
	require.Equal(t, 600, w.s.Pods.Len(), "the rest once the informer has shown the first burst (the next sync, syncDuration later)")
	w.stop()
}

// disruption.go DeletionTimeout = 2 min: a pod the eviction API let go but that was
// never deleted counts as unhealthy for 2 minutes, then counts again; the
// controller rechecks at that instant without any other event.
func TestDisruptionDeletionTimeout(t *testing.T) {
	require.Equal(t, 2*time.Minute, DeletionTimeout)
	w := newWorld(t, 1)
	w.addNode("n1", nil)
	_, err := w.s.Deployments.Create(w.c, webDeployment(2))
	require.NoError(t, err)
	_, err = w.s.PDBs.Create(w.c, &apiserver.PodDisruptionBudget{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
		Selector: apiserver.LabelSelector{"app": "web"}, MinAvailable: num(1)})
	require.NoError(t, err)
	w.run(10 * time.Second)
	victim := w.podsOn("n1")[0]
	w.at(20*time.Second, func() {
		_, err := w.s.PDBs.Patch(w.c, "default/web", func(b *apiserver.PodDisruptionBudget) error {
			b.DisruptedPods = map[string]time.Duration{victim.Name: w.s.Now()}
			b.DisruptionsAllowed--
			return nil
		})
		require.NoError(t, err)
	})
	w.run(20*time.Second + time.Millisecond)
	b, _ := w.s.PDBs.Peek("default/web")
	require.Equal(t, int32(1), b.CurrentHealthy)
	require.Equal(t, int32(0), b.DisruptionsAllowed)
	w.run(20*time.Second + 2*time.Minute)
	b, _ = w.s.PDBs.Peek("default/web")
	require.Equal(t, int32(1), b.CurrentHealthy, "still within the timeout at exactly 2 min")
	w.run(20*time.Second + 2*time.Minute + time.Millisecond)
	b, _ = w.s.PDBs.Peek("default/web")
	require.Equal(t, int32(2), b.CurrentHealthy)
	require.Equal(t, int32(1), b.DisruptionsAllowed)
	require.Empty(t, b.DisruptedPods)
	w.stop()
}
