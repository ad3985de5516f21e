package workload

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
)

// dsLimitedWorld is newWorld with the DaemonSet controller built from cfg and the
// agent DaemonSet (nodes labelled agent=yes).
func dsLimitedWorld(t *testing.T, cfg DaemonSetConfig) *world {
	w := newWorld(t, 1)
	w.ds.Stop()
	var err error
	w.ds, err = NewDaemonSetController(w.s, w.c, cfg)
	require.NoError(t, err)
	w.ds.Start()
	t.Cleanup(func() {
		assert.Zero(t, w.ds.overdrawn, "inline requests sent without their token (decide underestimated)")
	})
	_, err = w.s.DaemonSets.Create(w.c, agentDaemonSet())
	require.NoError(t, err)
	return w
}

// addAgentNodes adds n eligible nodes at once, named prefix000, prefix001, ….
func (w *world) addAgentNodes(prefix string, n int) {
	for i := range n {
		w.addNode(fmt.Sprintf("%s%03d", prefix, i), map[string]string{"agent": "yes"})
	}
}

// dsCreated returns when each pod of the DaemonSet name was created, in order.
func (w *world) dsCreated(name string) []time.Duration {
	var out []time.Duration
	for _, r := range w.tr.Records() {
		if r.Kind == "PodCreated" && strings.HasPrefix(r.Str("pod"), "kube-system/"+name+"-") {
			out = append(out, r.T)
		}
	}
	return out
}

// dsStatusTimes records when the DaemonSet name got each new desiredNumberScheduled.
func (w *world) dsStatusTimes(name string) *[]statusAt {
	var out []statusAt
	w.s.DaemonSets.Watch(w.c, 0, func(ev apiserver.Event[*apiserver.DaemonSet]) {
		ds := ev.New
		if ev.Type == apiserver.Modified && ds.Name == name && ev.Old.DesiredNumberScheduled != ds.DesiredNumberScheduled {
			out = append(out, statusAt{w.s.Now(), ds.DesiredNumberScheduled})
		}
	})
	return &out
}

// 100 nodes join at once: upstream's one sync of the DaemonSet creates their pods
// (each a POST and its SuccessfulCreate Event) in slowStartBatch's batches of 1, 2,
// 4, 8, 16, 32 and 37, as the ReplicaSet controller does: 29 at once (batches 1 to
// 8 and 14 of the 16; the event writer takes one token per round trip), the other
// two of the 16 at 10.05 and 10.1 s, the batch of 32 from 10.2 to 11.75 s, the batch
// of 37 from 11.85 to 13.65 s. The spam filter lets 25 of the 100 Events through. The
// sync holds the DaemonSet's keys while it waits: the informer's events for its own
// creations queue them again, and no second sync creates more; its status write
// (desired 100) goes at its token after the last POST and the writer's next Event,
// 13.75 s. Unlimited, all 100 come at 10 s.
func TestDaemonSetNodesAddedPacedByClientRateLimit(t *testing.T) {
	w := dsLimitedWorld(t, DefaultDaemonSetConfig())
	status := w.dsStatusTimes("agent")
	w.at(10*time.Second, func() { w.addAgentNodes("n", 100) })
	w.at(11*time.Second, func() {
		assert.NotNil(t, w.ds.inflight["kube-system/agent"], "in flight")
		assert.Len(t, w.ds.q.processing, 1, "holding a key and a worker")
	})
	w.run(60 * time.Second)

	want := repeat(10*time.Second, 29)
	want = append(want, ticks(10050*time.Millisecond, 2)...)
	want = append(want, ticks(10200*time.Millisecond, 32)...)
	want = append(want, ticks(11850*time.Millisecond, 37)...)
	assert.Equal(t, want, w.dsCreated("agent"))
	assert.Equal(t, 100, w.s.Pods.Len(), "one sync at a time")
	require.NotEmpty(t, *status)
	assert.Equal(t, statusAt{13750 * time.Millisecond, 100}, (*status)[0], "one status write, at the sync's end")
	assert.Equal(t, flowcontrol.EventStats{Written: 25, Filtered: 75}, w.ds.events.Stats())
	// syncAll took the batch's 100 node keys: none is visited again for nothing (they
	// were held and re-queued, and a sync that waited visited them all again)
	// syncAll took the batch's node keys: none is queued again to be visited for
	// nothing (218 node syncs; an unlimited controller makes 400, one per node and
	// change of its pod; holding and re-queueing the taken keys made 1,200)
	assert.LessOrEqual(t, w.ds.nodeSyncs, 250, "node syncs")

	unlimited := dsLimitedWorld(t, DaemonSetConfig{})
	unlimited.at(10*time.Second, func() { unlimited.addAgentNodes("n", 100) })
	unlimited.run(60 * time.Second)
	assert.Equal(t, repeat(10*time.Second, 100), unlimited.dsCreated("agent"))
}

// A sync whose requests all find a token runs as it did without a limiter: nodes
// joining a few at a time (3, then 5, then 2 leaving the selector) give the same
// trace, pod names and order included, and leave as much scheduled.
func TestDaemonSetWithinBurstAsWithoutLimit(t *testing.T) {
	run := func(cfg DaemonSetConfig) (string, int) {
		w := dsLimitedWorld(t, cfg)
		w.at(10*time.Second, func() { w.addAgentNodes("a", 3) })
		w.at(20*time.Second, func() { w.addAgentNodes("b", 5) })
		w.at(30*time.Second, func() {
			for _, n := range []string{"b001", "b003"} {
				_, err := w.s.Nodes.Patch(w.c, n, func(x *apiserver.Node) error {
					x.Labels = apiserver.NewLabels(map[string]string{apiserver.LabelHostname: n})
					return nil
				})
				require.NoError(t, err)
			}
		})
		w.run(time.Minute)
		require.Len(t, w.dsCreated("agent"), 8)
		w.stop()
		return sim.Digest(w.tr.Records()), w.e.Pending()
	}
	d, pending := run(DefaultDaemonSetConfig())
	d0, pending0 := run(DaemonSetConfig{})
	assert.Equal(t, d0, d)
	assert.Equal(t, pending0, pending)
}

// While a DaemonSet's sync waits for tokens it holds one of the
// --concurrent-daemonset-syncs workers (2). 100 nodes join at once for three
// DaemonSets, whose keys sort agent, agent2, agent3 (a DaemonSet's node keys follow
// its own: pairSep): the syncs of agent and agent2 start at 10 s (agent2's first POST
// reserves its token after agent's first batches, 10.15 s), and agent3's only once
// agent's is done (13.85 s, after its status write), its first POST after agent2's
// reservations, at 19.15 s. With 3 workers agent3's sync starts at 10 s too, and its
// first pod comes at 10.2 s.
func TestDaemonSetSyncInFlightHoldsWorker(t *testing.T) {
	created := func(workers int) map[string][]time.Duration {
		cfg := DefaultDaemonSetConfig()
		cfg.ConcurrentSyncs = workers
		w := dsLimitedWorld(t, cfg)
		for _, name := range []string{"agent2", "agent3"} {
			ds := agentDaemonSet()
			ds.Name = name
			_, err := w.s.DaemonSets.Create(w.c, ds)
			require.NoError(t, err)
		}
		w.at(10*time.Second, func() { w.addAgentNodes("n", 100) })
		w.run(2 * time.Minute)
		out := map[string][]time.Duration{}
		for _, name := range []string{"agent", "agent2", "agent3"} {
			out[name] = w.dsCreated(name)
			require.Len(t, out[name], 100, name)
		}
		assert.Equal(t, 300, w.s.Pods.Len())
		return out
	}
	two := created(0)
	assert.Equal(t, 10*time.Second, two["agent"][0])
	assert.Equal(t, 10150*time.Millisecond, two["agent2"][0])
	assert.Equal(t, 13800*time.Millisecond, two["agent"][99])
	assert.Equal(t, 19150*time.Millisecond, two["agent3"][0], "no worker free before agent's sync is done")
	three := created(3)
	assert.Equal(t, 10200*time.Millisecond, three["agent3"][0])
}

// Stop drops the sync in flight and its queued Events; the next Start, at once, is a
// new process with a full bucket: 29 of the 100 pods were created at 10 s and 8
// more by 10.45 s, and the new process's sync creates the other 63 from 10.5 s, 29
// of them at once (no pod twice).
func TestDaemonSetStopMidSync(t *testing.T) {
	w := dsLimitedWorld(t, DefaultDaemonSetConfig())
	w.at(10*time.Second, func() { w.addAgentNodes("n", 100) })
	w.at(10500*time.Millisecond, func() {
		w.ds.Stop()
		assert.Zero(t, w.ds.events.Queued())
		assert.Zero(t, w.ds.waiting.Len())
		assert.Len(t, w.dsCreated("agent"), 37)
		w.ds.Start()
	})
	w.run(60 * time.Second)
	created := w.dsCreated("agent")
	require.Len(t, created, 100)
	assert.Equal(t, repeat(10500*time.Millisecond, 29), created[37:66])
	assert.Equal(t, 100, w.s.Pods.Len())
}

// A batch's requests reserve their tokens before the batch's Events (see
// TestBatchReservesBeforeItsEvents): 30 nodes leave the DaemonSet's selector at
// once, against a full bucket and a new process's writer, so their 30 DELETEs (with 25 SuccessfulDelete Events
// the spam filter lets through) are phased: all 30 reserve a token first and go at
// once, and the Events wait. Had each goroutine's Event come right after its
// DELETE, the first Event would take a token and the last DELETE wait 50 ms.
func TestDaemonSetBatchReservesBeforeItsEvents(t *testing.T) {
	w := dsLimitedWorld(t, DefaultDaemonSetConfig())
	w.at(10*time.Second, func() { w.addAgentNodes("n", 30) })
	w.at(30*time.Second, func() { w.ds.Stop(); w.ds.Start() }) // a new writer: its spam filter lets 25 through
	deleted := w.deletionTimes()
	w.at(60*time.Second, func() {
		for i := range 30 {
			n := fmt.Sprintf("n%03d", i)
			_, err := w.s.Nodes.Patch(w.c, n, func(x *apiserver.Node) error {
				x.Labels = apiserver.NewLabels(map[string]string{apiserver.LabelHostname: n})
				return nil
			})
			require.NoError(t, err)
		}
	})
	w.run(90 * time.Second)
	assert.Equal(t, repeat(60*time.Second, 30), *deleted)
}

// Nodesim syncs a DaemonSet's nodes by keys of their own, each writing the status
// when it changed; upstream's one sync writes it once. An inline batch of them
// spends one token on the status: 3 nodes joining at once spend 3 POSTs, their 3
// Events and 1 status write. Each node joins with the not-ready taint, which queues
// nothing but leaves it stale, so the first node key's sync visits all three (as
// upstream's one sync does) and writes the status once.
func TestDaemonSetInlineStatusOneToken(t *testing.T) {
	w := dsLimitedWorld(t, DefaultDaemonSetConfig())
	status := w.dsStatusTimes("agent")
	w.at(10*time.Second, func() { w.addAgentNodes("n", 3) })
	w.at(10*time.Second+syncDuration/2, func() {
		assert.InDelta(t, 30-7+0.01, w.ds.limiter.Available(w.s.Now()), 1e-9)
	})
	w.run(20 * time.Second)
	assert.Equal(t, []statusAt{{10 * time.Second, 3}}, *status, "one write: the first key's sync visits the stale nodes")
}

func TestDaemonSetConfigValidated(t *testing.T) {
	w := newWorld(t, 1)
	_, err := NewDaemonSetController(w.s, w.c, DaemonSetConfig{RateLimit: flowcontrol.RateLimit{QPS: 20}})
	assert.ErrorContains(t, err, "DaemonSetConfig.RateLimit")
	_, err = NewDaemonSetController(w.s, w.c, DaemonSetConfig{ConcurrentSyncs: -1})
	assert.ErrorContains(t, err, "DaemonSetConfig.ConcurrentSyncs")
}
