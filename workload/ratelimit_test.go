package workload

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
)

// limitedWorld is newWorld with the ReplicaSet controller built from cfg, and two
// nodes that hold 220 pods of appDeployment.
func limitedWorld(t *testing.T, cfg ReplicaSetConfig) *world {
	w := newWorld(t, 1)
	w.rs.Stop()
	var err error
	w.rs, err = NewReplicaSetController(w.s, w.c, cfg)
	require.NoError(t, err)
	w.rs.Start()
	w.addNode("n1", nil)
	w.addNode("n2", nil)
	return w
}

// appDeployment is a Deployment whose pods request nothing.
func appDeployment(name string, replicas int32) *apiserver.Deployment {
	return &apiserver.Deployment{
		ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
		Replicas:   replicas,
		Selector:   apiserver.LabelSelector{"app": name},
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": name}), Spec: apiserver.Pod{
			PodSpec: &apiserver.PodSpec{TerminationGracePeriodSeconds: 30, ReadinessDelay: 5 * time.Second}}},
	}
}

func (w *world) scaleDeployment(name string, n int32) {
	_, err := w.s.Deployments.Patch(w.c, "default/"+name, func(d *apiserver.Deployment) error { d.Replicas = n; return nil })
	require.NoError(w.t, err)
}

// created returns when each pod was created, in order, per Deployment.
func (w *world) created() map[string][]time.Duration {
	out := map[string][]time.Duration{}
	for _, r := range w.tr.Records() {
		if r.Kind == "PodCreated" {
			name := r.Str("pod")[len("default/"):] // <deployment>-<hash>-<suffix>
			name = name[:strings.LastIndexByte(name, '-')]
			name = name[:strings.LastIndexByte(name, '-')]
			out[name] = append(out[name], r.T)
		}
	}
	return out
}

// statusTimes records when the ReplicaSet of the Deployment name got each new
// status.replicas.
func (w *world) statusTimes(name string) *[]statusAt {
	var out []statusAt
	w.s.ReplicaSets.Watch(w.c, 0, func(ev apiserver.Event[*apiserver.ReplicaSet]) {
		rs := ev.New
		if ev.Type == apiserver.Modified && rs.Namespace == "default" && rs.Labels.Get("app") == name && ev.Old.StatusReplicas != rs.StatusReplicas {
			out = append(out, statusAt{w.s.Now(), rs.StatusReplicas})
		}
	})
	return &out
}

type statusAt struct {
	T        time.Duration
	Replicas int32
}

// deletionTimes records when each pod started terminating.
func (w *world) deletionTimes() *[]time.Duration {
	var out []time.Duration
	w.s.Pods.Watch(w.c, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.Type == apiserver.Modified && ev.New.Deleting && !ev.Old.Deleting {
			out = append(out, w.s.Now())
		}
	})
	return &out
}

// ticks returns n instants 50 ms apart (one token each at 20 requests a second) from
// first.
func ticks(first time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = first + time.Duration(i)*50*time.Millisecond
	}
	return out
}

func repeat(at time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = at
	}
	return out
}

// Scaling a Deployment from 0 to 100 replicas: each creation is a POST and its
// SuccessfulCreate Event, and slowStartBatch creates in batches of 1, 2, 4, 8, 16,
// 32 and 37. The first four batches, 15 POSTs, find their tokens at once; the event
// writer sends one Event and takes the next only once it is answered, a round later,
// so the batch of 16 gets 14 tokens at once and 2 more at 10.05 and 10.1 s, the
// writer the next (10.15 s), the batch of 32 10.2 to 11.75 s, the writer 11.8 s, the
// batch of 37 11.85 to 13.65 s. The event correlator's spam filter lets 25 Events
// about the ReplicaSet through and skips the other 75, which spend no token. A sync
// in flight holds its key: the informer shows the creations as they come and queues
// the ReplicaSet, but no second sync creates more (100 pods, not more), and the
// status is written by the sync that runs once it is done, at a later token, 13.75 s.
func TestScaleUpPacedByClientRateLimit(t *testing.T) {
	w := limitedWorld(t, DefaultReplicaSetConfig())
	_, err := w.s.Deployments.Create(w.c, appDeployment("app", 0))
	require.NoError(t, err)
	status := w.statusTimes("app")
	w.at(10*time.Second, func() { w.scaleDeployment("app", 100) })
	w.run(60 * time.Second)

	want := repeat(10*time.Second, 29)
	want = append(want, ticks(10050*time.Millisecond, 2)...)
	want = append(want, ticks(10200*time.Millisecond, 32)...)
	want = append(want, ticks(11850*time.Millisecond, 37)...)
	assert.Equal(t, want, w.created()["app"])
	assert.Equal(t, 100, w.s.Pods.Len(), "one sync at a time")
	require.NotEmpty(t, *status)
	assert.Equal(t, statusAt{13750 * time.Millisecond, 100}, (*status)[0], "the status, by the next sync")
	assert.Equal(t, flowcontrol.EventStats{Written: 25, Filtered: 75}, w.rs.events.Stats())

	unlimited := limitedWorld(t, ReplicaSetConfig{})
	_, err = unlimited.s.Deployments.Create(unlimited.c, appDeployment("app", 0))
	require.NoError(t, err)
	unlimited.at(10*time.Second, func() { unlimited.scaleDeployment("app", 100) })
	unlimited.run(60 * time.Second)
	assert.Equal(t, repeat(10*time.Second, 100), unlimited.created()["app"])
}

// A sync whose requests all find a token runs as it did without a limiter, at once:
// two Deployments scaled together (to 4 and 3: 14 requests, then the status writes;
// later down to 1, 10 requests) give the same trace, pod names and order included,
// and leave nothing scheduled that an unlimited controller would not.
func TestWithinBurstAsWithoutLimit(t *testing.T) {
	run := func(cfg ReplicaSetConfig) (string, int) {
		w := limitedWorld(t, cfg)
		for _, name := range []string{"a", "b"} {
			_, err := w.s.Deployments.Create(w.c, appDeployment(name, 0))
			require.NoError(t, err)
		}
		w.at(10*time.Second, func() {
			w.scaleDeployment("a", 4)
			w.scaleDeployment("b", 3)
		})
		w.at(40*time.Second, func() {
			w.scaleDeployment("a", 1)
			w.scaleDeployment("b", 1)
		})
		w.run(time.Minute)
		w.stop()
		var order []string
		for _, r := range w.tr.Records() {
			if r.Kind == "PodCreated" {
				order = append(order, r.Str("pod")[len("default/"):][:1])
			}
		}
		assert.Equal(t, []string{"a", "a", "a", "a", "b", "b", "b"}, order, "each sync to its end, one after the other")
		return sim.Digest(w.tr.Records()), w.e.Pending()
	}
	d, pending := run(DefaultReplicaSetConfig())
	d0, pending0 := run(ReplicaSetConfig{})
	assert.Equal(t, d0, d)
	assert.Equal(t, pending0, pending)
}

// A batch's requests reserve their tokens before the batch's Events: scaling a to 9
// (batches 1, 2, 4, 2: 18 requests) and b to 7 at once leaves b's batch of 4 six
// tokens. Its four POSTs take four of them at once and two of its Events the rest;
// had each goroutine's Event come right after its POST, the fourth POST would wait
// 50 ms.
func TestBatchReservesBeforeItsEvents(t *testing.T) {
	w := limitedWorld(t, DefaultReplicaSetConfig())
	for _, name := range []string{"a", "b"} {
		_, err := w.s.Deployments.Create(w.c, appDeployment(name, 0))
		require.NoError(t, err)
	}
	w.at(10*time.Second, func() {
		w.scaleDeployment("a", 9)
		w.scaleDeployment("b", 7)
	})
	w.run(30 * time.Second)
	got := w.created()
	assert.Equal(t, repeat(10*time.Second, 9), got["a"])
	assert.Equal(t, repeat(10*time.Second, 7), got["b"])
}

// Deletions start all at once, each a DELETE and its SuccessfulDelete Event: 40 of
// them against a full bucket of 30, by a controller that took over at 30 s (so the
// spam filter lets 25 of its Events about the ReplicaSet through). Every DELETE
// reserves its token before any Event: 30 go at once, the other 10 from 60.05 s, one
// every 50 ms, and the Events from 60.55 s.
func TestScaleDownPacedByClientRateLimit(t *testing.T) {
	w := limitedWorld(t, ReplicaSetConfig{})
	_, err := w.s.Deployments.Create(w.c, appDeployment("app", 40))
	require.NoError(t, err)
	deleted := w.deletionTimes()
	w.at(30*time.Second, func() {
		w.rs.Stop()
		w.rs, err = NewReplicaSetController(w.s, w.c, DefaultReplicaSetConfig())
		require.NoError(t, err)
		w.rs.Start()
	})
	w.at(60*time.Second, func() { w.scaleDeployment("app", 0) })
	w.run(90 * time.Second)
	want := append(repeat(60*time.Second, 30), ticks(60050*time.Millisecond, 10)...)
	assert.Equal(t, want, *deleted)
	assert.Equal(t, flowcontrol.EventStats{Written: 25, Filtered: 15}, w.rs.events.Stats(), "40 SuccessfulDelete")

	unlimited := limitedWorld(t, ReplicaSetConfig{})
	_, err = unlimited.s.Deployments.Create(unlimited.c, appDeployment("app", 40))
	require.NoError(t, err)
	deleted = unlimited.deletionTimes()
	unlimited.at(60*time.Second, func() { unlimited.scaleDeployment("app", 0) })
	unlimited.run(90 * time.Second)
	assert.Equal(t, repeat(60*time.Second, 40), *deleted)
}

// Syncs of other ReplicaSets start while one waits for tokens, on other workers
// (--concurrent-replicaset-syncs 5): b's first POST reserves its token at 10 s, while
// a's batch of 16 waits for its last two (10.05 and 10.1 s), and b's pods come before
// a's last. With one worker, b's sync
// starts only once a's is done.
func TestOtherReplicaSetsSyncOnOtherWorkers(t *testing.T) {
	run := func(workers int) map[string][]time.Duration {
		cfg := DefaultReplicaSetConfig()
		cfg.ConcurrentSyncs = workers
		w := limitedWorld(t, cfg)
		for _, name := range []string{"a", "b"} {
			_, err := w.s.Deployments.Create(w.c, appDeployment(name, 0))
			require.NoError(t, err)
		}
		w.at(10*time.Second, func() {
			w.scaleDeployment("a", 40)
			w.scaleDeployment("b", 40)
		})
		w.run(60 * time.Second)
		got := w.created()
		require.Len(t, got["a"], 40)
		require.Len(t, got["b"], 40)
		return got
	}
	got := run(0)
	assert.Equal(t, 10150*time.Millisecond, got["b"][0], "after a's batch of 16")
	assert.Less(t, got["b"][0], got["a"][39])
	got = run(1)
	assert.Greater(t, got["b"][0], got["a"][39])
}

// Stop (a lost leadership) cancels the sync in flight and the queued Events. A Start
// at 12 s, while the old client's tokens are reserved beyond it, is a new process
// with a new clientset: its bucket is full, and it creates 29 of the 52 missing pods
// at once, as the first sync did.
func TestStopMidSync(t *testing.T) {
	w := limitedWorld(t, DefaultReplicaSetConfig())
	_, err := w.s.Deployments.Create(w.c, appDeployment("app", 0))
	require.NoError(t, err)
	w.at(10*time.Second, func() { w.scaleDeployment("app", 100) })
	w.run(11010 * time.Millisecond)
	old := w.rs.events
	w.rs.Stop()
	assert.Zero(t, old.Queued())
	w.run(12 * time.Second)
	assert.Len(t, w.created()["app"], 48, "29 at once, 10.05 and 10.1 s, then 10.2 to 11 s")
	assert.Equal(t, flowcontrol.EventStats{Written: 2}, old.Stats(), "one a round: 10 s, then the token of 10.15 s")
	w.rs.Start()
	w.run(60 * time.Second)
	got := w.created()["app"]
	require.Len(t, got, 100)
	assert.Equal(t, repeat(12*time.Second, 29), got[48:77])
}

// slowStartBatch starts no batch after one with an error, and the sync fails: an API
// server outage from 10.5 s fails the last 26 POSTs of the batch of 32 (10.5 to
// 11.75 s), and the batch of 37 never starts. Each retry tries a batch of one, a POST
// and a status write, 100 ms apart (the failure's backoff re-adds the key while the
// next sync is in flight, so it runs again as soon as that one is done). After the
// outage the ReplicaSet gets its 100 pods, not more: the skipped creations were
// never expected.
func TestSlowStartStopsAtFailedBatch(t *testing.T) {
	w := limitedWorld(t, DefaultReplicaSetConfig())
	w.tr.Verbose = true
	_, err := w.s.Deployments.Create(w.c, appDeployment("app", 0))
	require.NoError(t, err)
	w.at(10*time.Second, func() { w.scaleDeployment("app", 100) })
	w.at(10500*time.Millisecond, func() { w.s.SetOutage(true) })
	w.at(12*time.Second, func() { w.s.SetOutage(false) })
	w.run(60 * time.Second)
	var failed []time.Duration
	for _, r := range w.tr.Records() {
		if r.Kind == "RequestFailed" && r.Str("client") == "kube-controller-manager" && r.Str("verb") == "create" && r.Str("resource") == "pods" {
			failed = append(failed, r.T)
		}
	}
	want := append(ticks(10500*time.Millisecond, 26), 11850*time.Millisecond, 11950*time.Millisecond)
	assert.Equal(t, want, failed)
	assert.Len(t, w.created()["app"], 100)
	assert.Equal(t, 100, w.s.Pods.Len())
}

// An UpdateStatus with the resourceVersion the sync read meets a conflict when the
// ReplicaSet changed while the sync waited for its token: it GETs the ReplicaSet and
// tries again, each a request of its own. 15 pods spend the burst at 10 s; the sync
// that counts them (10.001 s) waits for its status token (10.05 s); the Deployment's
// scale to 16 at 10.02 s changes the ReplicaSet, so the UpdateStatus of 10.05 s
// fails, the GET gets 10.1 s and the second UpdateStatus 10.15 s.
func TestStatusConflictRetriedAfterGet(t *testing.T) {
	w := limitedWorld(t, DefaultReplicaSetConfig())
	_, err := w.s.Deployments.Create(w.c, appDeployment("app", 0))
	require.NoError(t, err)
	status := w.statusTimes("app")
	w.at(10*time.Second, func() { w.scaleDeployment("app", 15) })
	w.at(10020*time.Millisecond, func() { w.scaleDeployment("app", 16) })
	w.run(30 * time.Second)
	require.NotEmpty(t, *status)
	assert.Equal(t, statusAt{10150 * time.Millisecond, 15}, (*status)[0])
}

func TestReplicaSetConfigValidated(t *testing.T) {
	w := newWorld(t, 1)
	_, err := NewReplicaSetController(w.s, w.c, ReplicaSetConfig{RateLimit: flowcontrol.RateLimit{QPS: 20}})
	assert.ErrorContains(t, err, "ReplicaSetConfig.RateLimit")
	assert.ErrorContains(t, err, "burst 0: must be at least 1")
	_, err = NewReplicaSetController(w.s, w.c, ReplicaSetConfig{ConcurrentSyncs: -1})
	assert.ErrorContains(t, err, "ReplicaSetConfig.ConcurrentSyncs")
}
