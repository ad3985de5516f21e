package kubelet

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

// A restarted kubelet's first sync of a pod whose API status already agrees writes
// nothing but still caches the status (upstream's pod worker calls SetPodStatus, and
// the status is not cached yet): a later NotReady mark waits for the status manager's
// tick, as it would had the process written it.
func TestRestartedKubeletCachesAgreeingPod(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.at(3*time.Second, func() { k.Start() })
	w.at(5*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
	w.run(20 * time.Second)
	require.True(t, w.pod("p").IsReady())

	w.at(25*time.Second, func() { k.Restart() }) // new process: ticks at 35, 45, … s
	w.run(30 * time.Second)
	require.True(t, w.pod("p").IsReady())

	w.at(37*time.Second, func() { w.markNotReady("p") })
	w.run(45*time.Second - time.Millisecond)
	require.False(t, w.pod("p").IsReady(),
		"the restarted process synced p at 25 s (its cache holds Ready): the delivery at 37 s sends nothing; the batch at 45 s reconciles")
}

// A failed pod write is retried at the status manager's next tick (upstream's
// syncBatch(true) finds the version not yet sent), and a reconcile deferred while
// that retry is pending waits for its own tick.
func TestFailedPodWriteRetriedAtTick(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.at(3*time.Second, func() { k.Start() }) // ticks at 13, 23, 33, … s
	w.at(5*time.Second, func() {
		w.createPod("a", "n", 30, 11500*time.Millisecond, "") // Running at ~6 s, Ready write at ~17.5 s
		w.createPod("b", "n", 30, 0, "")
	})
	w.run(16 * time.Second)
	require.True(t, w.pod("b").IsReady())
	require.False(t, w.pod("a").IsReady())
	// a's Ready write fails behind a short partition: retried 10 s later (~27.5 s)
	w.at(17*time.Second, func() { k.Unsteady(); k.Client().SetPartitioned(true) })
	w.at(19*time.Second, func() { k.Client().SetPartitioned(false) })
	w.run(24 * time.Second)
	require.True(t, w.pod("a").IsReady(), "upstream retries a's failed write at the status manager's 23 s tick (syncBatch(true): needsUpdate)")
	// b is marked NotReady after the 23 s tick: upstream reconciles it at 33 s
	w.at(24*time.Second, func() { w.markNotReady("b") })
	w.run(33*time.Second - time.Millisecond)
	require.False(t, w.pod("b").IsReady(), "b is reconciled only at the 33 s tick (syncBatch(true))")
}

// A pod whose reconcile was deferred and that is deleted while the kubelet is stopped
// must not keep the restarted kubelet from going steady (lazy mode): the status
// manager's pending work goes with the old process, and no Deleted event ever comes
// for the pod.
func TestDeferredPodDeletedWhileStoppedLetsKubeletGoSteady(t *testing.T) {
	for _, deleteIt := range []bool{false, true} {
		w := newWorld(t, false, Config{}, "n")
		k := w.k["n"]
		w.at(0, func() { k.Start() })
		w.at(5*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
		w.at(100*time.Second, func() { w.markNotReady("p") })
		// the delivery (~100 s) deferred the reconcile to the next tick (110 s)
		w.at(105*time.Second, func() { k.Stop() })
		if deleteIt {
			zero := int64(0)
			w.at(106*time.Second, func() {
				require.NoError(t, w.s.Pods.Delete(w.kc, "default/p", apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
			})
		}
		w.at(107*time.Second, func() { k.Start() })
		w.run(30 * time.Minute)
		require.True(t, k.Steady(), "deleted while stopped: %v", deleteIt)
	}
}

// A kubelet restarted behind a partition caches the statuses its failing writes
// carried (upstream caches before it writes), so at the heal the held version the
// taint manager wrote before deleting the pod (DisruptionTarget added, Ready still
// False) is not "put right" at delivery: an evicted pod is never set Ready again just
// before its final DELETE.
func TestRestartBehindPartitionNoReadyForEvictedPod(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.at(3*time.Second, func() { k.Start() })
	w.at(5*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
	w.at(20*time.Second, func() { k.Unsteady(); k.Client().SetPartitioned(true) })
	w.at(30*time.Second, func() { w.markNotReady("p") })
	w.at(43*time.Second, func() { k.Restart() })
	w.at(100*time.Second, func() {
		// the taint eviction controller: DisruptionTarget, then delete
		_, err := w.s.Pods.Patch(w.kc, "default/p", func(p *apiserver.Pod) error {
			p.SetCondition(apiserver.PodCondition{Type: apiserver.PodDisruptionTarget, Status: apiserver.ConditionTrue,
				Reason: "DeletionByTaintManager"}, w.e.Now())
			return nil
		})
		require.NoError(t, err)
		require.NoError(t, w.s.Pods.Delete(w.kc, "default/p", apiserver.DeleteOptions{}))
	})
	w.at(200*time.Second, func() { k.Client().SetPartitioned(false) })
	w.run(300 * time.Second)
	require.Nil(t, w.pod("p"))
	require.NotContains(t, w.text("PodReady"), "from=False to=True", "an evicted pod is never set Ready again")
}

// A kubelet restarted while a pod's containers run but before its readiness delay has
// passed arms the readiness again: the containers kept running, so the pod turns Ready
// when the delay from their start has passed, as it would have without the restart.
// (Stop cancels the timer with the process; the new process's first sync of the pod
// found its status agreeing, NotReady, and nothing turned it Ready: a stress run found
// it, and it predates the session's reconcile change.)
func TestRestartDuringReadinessDelayStillTurnsReady(t *testing.T) {
	for _, restart := range []func(k *Kubelet, w *world){
		func(k *Kubelet, w *world) { w.at(30*time.Second, func() { k.Restart() }) },
		func(k *Kubelet, w *world) {
			w.at(30*time.Second, func() { k.Stop() })
			w.at(40*time.Second, func() { k.Start() })
		},
	} {
		w := newWorld(t, false, Config{NoJitter: true}, "n")
		k := w.k["n"]
		w.at(3*time.Second, func() { k.Start() })
		w.at(5*time.Second, func() { w.createPod("p", "n", 30, time.Minute, "") }) // running at 6 s
		restart(k, w)
		w.run(66*time.Second - time.Millisecond)
		require.False(t, w.pod("p").IsReady())
		w.run(66 * time.Second)
		require.True(t, w.pod("p").IsReady(), "Ready a minute after its containers started")
	}
}
