package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

// When the queue finds every worker busy right after a DaemonSet's syncAll went in
// flight, the rest of the batch waits for a worker, but not the node keys syncAll took
// (workQueue.taken): they were queued again and visited for nothing (2,400 node syncs
// for two DaemonSets with one worker; found by a review).
func TestDaemonSetFullWorkerPoolKeepsTakenKeys(t *testing.T) {
	for _, workers := range []int{1, 2, 3} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			cfg := DefaultDaemonSetConfig()
			cfg.ConcurrentSyncs = workers
			w := dsLimitedWorld(t, cfg)
			ds := agentDaemonSet()
			ds.Name = "agent2"
			_, err := w.s.DaemonSets.Create(w.c, ds)
			require.NoError(t, err)
			w.run(5 * time.Second)
			before := w.ds.nodeSyncs
			w.at(10*time.Second, func() { w.addAgentNodes("n", 100) })
			w.run(2 * time.Minute)
			require.Len(t, w.dsCreated("agent"), 100)
			require.Len(t, w.dsCreated("agent2"), 100)
			assert.LessOrEqual(t, w.ds.nodeSyncs-before, 2*250, "node syncs")
		})
	}
}

// An outage fails a waiting DaemonSet sync's later POSTs and its status write: the
// status is written again once the API server is back (a failed write is not
// remembered as written), and every node gets its pod (found by a review: 37 pods and
// desiredNumberScheduled 0 ten minutes later).
func TestDaemonSetStatusWriteRetriedAfterOutage(t *testing.T) {
	w := dsLimitedWorld(t, DefaultDaemonSetConfig())
	w.at(10*time.Second, func() { w.addAgentNodes("n", 100) })
	w.at(10500*time.Millisecond, func() { w.s.SetOutage(true) })
	w.at(12*time.Second, func() { w.s.SetOutage(false) })
	w.run(10 * time.Minute)
	ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
	assert.Equal(t, 100, w.s.Pods.Len(), "every node gets its pod after the outage")
	assert.Equal(t, int32(100), ds.DesiredNumberScheduled, "status written after the outage")
}

// A failed syncAll that started from a node key retries the whole DaemonSet, as
// upstream retries its one key: the nodes it took and could not finish stay dirty, and
// only a sync of the DaemonSet visits them. Here the pods never turn Ready (dead
// kubelets), so no status change would queue the DaemonSet (found by a review: 53 of
// 100 pods back).
func TestDaemonSetSyncErrorRetriesTheDaemonSet(t *testing.T) {
	w := dsLimitedWorld(t, DefaultDaemonSetConfig())
	for i := range 100 {
		w.kub.dead[fmt.Sprintf("n%03d", i)] = true
	}
	w.at(1*time.Second, func() { w.addAgentNodes("n", 100) })
	w.run(30 * time.Second)
	require.Equal(t, 100, w.s.Pods.Len())
	ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
	require.Equal(t, int32(100), ds.DesiredNumberScheduled)
	zero := int64(0)
	w.at(40*time.Second, func() {
		var keys []string
		w.s.Pods.Each(func(p *apiserver.Pod) { keys = append(keys, p.Key()) })
		for _, k := range keys {
			require.NoError(t, w.s.Pods.Delete(w.c, k, apiserver.DeleteOptions{GracePeriodSeconds: &zero}))
		}
	})
	w.at(40500*time.Millisecond, func() { w.s.SetOutage(true) })
	w.at(41*time.Second, func() { w.s.SetOutage(false) })
	w.run(10 * time.Minute)
	assert.Equal(t, 100, w.s.Pods.Len(), "every node gets its pod back after the outage")
}

// Nodes deleted while a DaemonSet sync waits: their POSTs still go (upstream's node
// list is the sync's start's too), its status says 100, and the next sync 80.
func TestDaemonSetNodeDeletedWhileSyncWaits(t *testing.T) {
	w := dsLimitedWorld(t, DefaultDaemonSetConfig())
	status := w.dsStatusTimes("agent")
	w.at(10*time.Second, func() { w.addAgentNodes("n", 100) })
	w.at(11*time.Second, func() {
		for i := 80; i < 100; i++ {
			require.NoError(t, w.s.Nodes.Delete(w.c, fmt.Sprintf("n%03d", i), apiserver.DeleteOptions{}))
		}
	})
	w.run(60 * time.Second)
	orphans := 0
	w.s.Pods.Each(func(p *apiserver.Pod) {
		if _, ok := w.s.Nodes.Peek(p.NodeName); !ok {
			orphans++
		}
	})
	ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
	assert.Equal(t, int32(80), ds.DesiredNumberScheduled)
	require.NotEmpty(t, *status)
	assert.Equal(t, int32(100), (*status)[0].Replicas, "the waiting sync's status")
	assert.Positive(t, orphans, "pods created for nodes deleted meanwhile (left to pod GC)")
}
