package workload

import (
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/stretchr/testify/require"
)

func TestRankPodsForDeletion(t *testing.T) {
	now := 1000 * time.Second
	ready := func(at time.Duration) []apiserver.PodCondition {
		return []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue, LastTransitionTime: at}}
	}
	mk := func(name, node string, phase apiserver.PodPhase, created time.Duration, conds []apiserver.PodCondition) *apiserver.Pod {
		return &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Name: name, CreationTimestamp: created}, NodeName: node, Phase: phase, Conditions: conds}
	}
	for _, tc := range []struct {
		name string
		pods []*apiserver.Pod
		want []string
	}{
		{"unassigned first", []*apiserver.Pod{mk("assigned", "a", apiserver.PodPending, 0, nil), mk("unassigned", "", apiserver.PodPending, 0, nil)}, []string{"unassigned", "assigned"}},
		{"pending before running", []*apiserver.Pod{mk("running", "a", apiserver.PodRunning, 0, nil), mk("pending", "b", apiserver.PodPending, 0, nil)}, []string{"pending", "running"}},
		{"not ready before ready", []*apiserver.Pod{mk("ready", "a", apiserver.PodRunning, 0, ready(10)), mk("notready", "b", apiserver.PodRunning, 0, nil)}, []string{"notready", "ready"}},
		{"doubled up first", []*apiserver.Pod{mk("alone", "a", apiserver.PodRunning, 0, ready(0)), mk("double1", "b", apiserver.PodRunning, 0, ready(0)), mk("double2", "b", apiserver.PodRunning, 0, ready(0))},
			[]string{"double1", "double2", "alone"}},
		{"ready more recently first (log buckets)", []*apiserver.Pod{mk("old", "a", apiserver.PodRunning, 0, ready(10*time.Second)), mk("new", "b", apiserver.PodRunning, 0, ready(990*time.Second))},
			[]string{"new", "old"}},
		{"newer first", []*apiserver.Pod{mk("old", "a", apiserver.PodPending, time.Second, nil), mk("new", "b", apiserver.PodPending, 900*time.Second, nil)},
			[]string{"new", "old"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pods := append([]*apiserver.Pod(nil), tc.pods...)
			rankPodsForDeletion(pods, tc.pods, now, 0)
			var got []string
			for _, p := range pods {
				got = append(got, p.Name)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func TestIsPodActive(t *testing.T) {
	require.True(t, IsPodActive(&apiserver.Pod{Phase: apiserver.PodRunning}))
	require.False(t, IsPodActive(&apiserver.Pod{Phase: apiserver.PodSucceeded}))
	require.False(t, IsPodActive(&apiserver.Pod{Phase: apiserver.PodFailed}))
	require.False(t, IsPodActive(&apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Deleting: true}, Phase: apiserver.PodRunning}), "a terminating pod no longer counts")
}

// Scale 3 → 5 → 2 through the Deployment; the scale-down removes the most doubled-up
// pods first and the Deployment reports the ReplicaSet's ready replicas.
func TestDeploymentScale(t *testing.T) {
	w := newWorld(t, 3)
	w.addNode("n1", nil)
	w.addNode("n2", nil)
	_, err := w.s.Deployments.Create(w.c, webDeployment(3))
	require.NoError(t, err)
	w.run(10 * time.Second)
	require.Equal(t, 1, w.s.ReplicaSets.Len())
	rsKey := w.s.ReplicaSets.Keys()[0]
	rs, _ := w.s.ReplicaSets.Peek(rsKey)
	require.Equal(t, "default/web-"+PodTemplateHash(&webDeployment(3).Template), rsKey)
	require.Equal(t, PodTemplateHash(&webDeployment(3).Template), rs.Selector[LabelPodTemplateHash])
	ref, ok := rs.ControllerRef()
	require.True(t, ok)
	require.Equal(t, KindDeployment, ref.Kind)

	scale := func(n int32) {
		_, err := w.s.Deployments.Patch(w.c, "default/web", func(d *apiserver.Deployment) error { d.Replicas = n; return nil })
		require.NoError(t, err)
	}
	w.at(20*time.Second, func() { scale(5) })
	w.run(30 * time.Second)
	d, _ := w.s.Deployments.Peek("default/web")
	require.Equal(t, int32(5), d.ReadyReplicas)
	rs, _ = w.s.ReplicaSets.Peek(rsKey)
	require.Equal(t, int32(5), rs.Replicas)
	require.Equal(t, int32(5), rs.StatusReplicas)

	w.at(40*time.Second, func() { scale(2) })
	w.run(60 * time.Second)
	require.Equal(t, 2, w.s.Pods.Len())
	// n1 holds 3 pods and n2 2: every n1 pod ranks as more doubled up than any n2
	// pod, and upstream ranks once per sync, so all three go from n1.
	require.Empty(t, w.podsOn("n1"))
	require.Len(t, w.podsOn("n2"), 2)
	d, _ = w.s.Deployments.Peek("default/web")
	require.Equal(t, int32(2), d.ReadyReplicas)
	for _, p := range w.s.Pods.Keys() {
		pod, _ := w.s.Pods.Peek(p)
		ref, _ := pod.ControllerRef()
		require.Equal(t, KindReplicaSet, ref.Kind)
		require.True(t, ref.Controller)
		require.Regexp(t, `^web-[a-z0-9]+-[bcdfghjklmnpqrstvwxz2456789]{5}$`, pod.Name)
	}
	w.stop()
	require.Equal(t, 0, w.e.Pending())
}

// Same seed, same trace; another seed, other pod names.
func TestDeterministic(t *testing.T) {
	run := func(seed uint64) string {
		w := newWorld(t, seed)
		w.addNode("n1", nil)
		w.addNode("n2", nil)
		_, err := w.s.Deployments.Create(w.c, webDeployment(4))
		require.NoError(t, err)
		w.run(time.Minute)
		return sim.Digest(w.tr.Records())
	}
	require.Equal(t, run(7), run(7))
	require.NotEqual(t, run(7), run(8))
}

func TestConstructorErrors(t *testing.T) {
	e := sim.New()
	s := apiserver.New(e, nil, apiserver.DefaultConfig())
	c := s.NewClient("c", time.Second)
	_, err := NewReplicaSetController(nil, c, ReplicaSetConfig{})
	require.Error(t, err)
	_, err = NewReplicaSetController(s, c, ReplicaSetConfig{WatchLatency: -1})
	require.ErrorContains(t, err, "WatchLatency")
	_, err = NewDeploymentController(s, nil, DeploymentConfig{})
	require.Error(t, err)
	_, err = NewDaemonSetController(s, c, DaemonSetConfig{WatchLatency: -1})
	require.ErrorContains(t, err, "DaemonSetConfig.WatchLatency")
	_, err = NewDisruptionController(s, c, DisruptionConfig{WatchLatency: -1})
	require.ErrorContains(t, err, "DisruptionConfig.WatchLatency")
	_, err = NewTracker(s, c, TrackerConfig{WatchLatency: -1})
	require.ErrorContains(t, err, "TrackerConfig.WatchLatency")
	_, err = NewScheduler(s, c, SchedulerConfig{SchedulingLatency: -1})
	require.ErrorContains(t, err, "SchedulingLatency")
}

func TestSummarize(t *testing.T) {
	s := func(t time.Duration, r, d int32) Sample { return Sample{T: t * time.Second, Ready: r, Desired: d} }
	for _, tc := range []struct {
		name    string
		samples []Sample
		end     time.Duration
		want    Summary
	}{
		{"never settled", []Sample{s(0, 0, 3), s(5, 2, 3)}, 10 * time.Second, Summary{Workload: "w", MinReady: -1}},
		{"rollout is not a disruption", []Sample{s(0, 0, 3), s(5, 3, 3)}, 10 * time.Second,
			Summary{Workload: "w", Settled: true, FirstFullyReady: 5 * time.Second, MinReady: 3}},
		{"two disruptions, one open", []Sample{s(0, 3, 3), s(10, 2, 3), s(12, 1, 3), s(20, 3, 3), s(30, 2, 3)}, 40 * time.Second,
			Summary{Workload: "w", Settled: true, MinReady: 1, BelowDesired: 20 * time.Second, Disruptions: []Disruption{
				{Start: 10 * time.Second, End: 20 * time.Second, Recovered: true, MinReady: 1},
				{Start: 30 * time.Second, End: 40 * time.Second, MinReady: 2}}}},
		{"scale up counts as below desired", []Sample{s(0, 2, 2), s(10, 2, 3), s(15, 3, 3)}, 20 * time.Second,
			Summary{Workload: "w", Settled: true, MinReady: 2, BelowDesired: 5 * time.Second, Disruptions: []Disruption{
				{Start: 10 * time.Second, End: 15 * time.Second, Recovered: true, MinReady: 2}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, Summarize("w", tc.samples, tc.end))
		})
	}
	require.Equal(t, 5*time.Second, Disruption{Start: time.Second, End: 6 * time.Second}.Duration())
}

// Pods that tie in every rank but fall in one log2 bucket of time since ready are
// ordered by UID, which upstream's random UUIDs make a random order; nodesim's UIDs
// count up, and ordering them as numbers always deleted the oldest-created pods. The
// seeded permutation (uidOrder) picks other victims with other seeds and the same
// victims with the same seed.
func TestScaleDownUIDTieIsNotOldestFirst(t *testing.T) {
	victims := func(seed uint64) (later int, deleted []string) {
		w := newWorld(t, seed)
		w.addNode("n1", nil) // one node: no pod is more doubled up than another
		_, err := w.s.Deployments.Create(w.c, webDeployment(3))
		require.NoError(t, err)
		scale := func(n int32) {
			_, err := w.s.Deployments.Patch(w.c, "default/web", func(d *apiserver.Deployment) error { d.Replicas = n; return nil })
			require.NoError(t, err)
		}
		w.run(9 * time.Second)
		first := map[string]bool{}
		for _, k := range w.s.Pods.Keys() {
			first[k] = true
		}
		require.Len(t, first, 3)
		w.at(10*time.Second, func() { scale(6) })
		w.run(299 * time.Second)
		before := append([]string(nil), w.s.Pods.Keys()...)
		require.Len(t, before, 6)
		// at 300 s the six were ready 289–299 s ago: one log2 bucket (2^38 ns ≈ 275 s)
		w.at(300*time.Second, func() { scale(4) })
		w.run(320 * time.Second)
		for _, k := range before {
			if _, ok := w.s.Pods.Peek(k); !ok {
				deleted = append(deleted, k)
				if !first[k] {
					later++
				}
			}
		}
		require.Len(t, deleted, 2)
		return later, deleted
	}
	later := 0
	for seed := uint64(1); seed <= 16; seed++ {
		n, d := victims(seed)
		later += n
		_, again := victims(seed)
		require.Equal(t, d, again, "seed %d", seed)
	}
	require.Positive(t, later, "some seed deletes a pod of the later batch")
}
