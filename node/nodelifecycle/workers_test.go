package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
)

// workersWorld is a world limited to lim with MonitorWorkers workers and the named
// nodes, each with pods pods called NODE-p0…, started at 0 and the controller at 1 ms.
func workersWorld(t *testing.T, version int, lim flowcontrol.RateLimit, workers, pods int, nodes ...string) *world {
	t.Helper()
	cfg := DefaultConfig(version)
	cfg.RateLimit = lim
	cfg.MonitorWorkers = workers
	w := newWorld(t, cfg)
	admin := w.s.NewClient("admin", time.Second)
	for _, n := range nodes {
		w.kubelet(n, nil, true).Start()
		for i := range pods {
			_, err := w.s.Pods.Create(admin, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("%s-p%d", n, i)},
				NodeName: n, Phase: apiserver.PodRunning,
				Conditions: []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}}})
			require.NoError(t, err)
		}
	}
	w.run(time.Millisecond)
	w.nc.Start()
	return w
}

// Two visitors share the bucket with the event writer and the NoSchedule workers, each
// reserving its next token when it has sent its request, so the tokens go round. Nodes a
// and b (3 pods each, 1.31, both kubelets stopped at 1 s, stale at T = 40.041 s),
// bucket of 1 at 1 QPS, the default 8 monitor workers and 8 NoSchedule workers:
//
//	T    visitor 0 takes a: its UpdateStatus (the token); its NodeNotReady Event
//	     reserves T+1; a-p0 T+2 (visitor 0 waits); visitor 1 takes b: its UpdateStatus
//	     T+3; visitors 2–7 find no node; a's notification: NoSchedule worker 0 takes a,
//	     its GET T+4
//	T+1  a's Event                        T+2  a-p0; its Event T+5; a-p1 T+6
//	T+3  b Unknown; its Event queued; b-p0 T+7; b's notification: NoSchedule worker 1
//	     takes b (worker 0 holds a), its GET T+8
//	T+4  the NoSchedule GET of a; its PATCH T+9
//	T+5  a-p0's Event; b's Event T+10     T+6  a-p1; a-p2 T+11
//	T+7  b-p0; b-p1 T+12                  T+8  b's GET; its PATCH T+13
//	T+9  a tainted unreachable:NoSchedule T+10 b's Event; a-p1's Event T+14
//	T+11 a-p2; visitor 0 finds no node    T+12 b-p1; b-p2 T+15
//	T+13 b tainted unreachable:NoSchedule T+14 a-p1's Event; b-p0's T+16
//	T+15 b-p2; the last visitor is done: handleDisruption, FullDisruption
//
// With one NoSchedule worker b's GET waited for a's PATCH (T+8): b was tainted at T+15,
// a at T+8, and the pass ended at T+14. With one monitor worker b would be marked
// Unknown after a's pods (TestSuspendedPassWritesListedVersion).
func TestTwoVisitorsHandWorked(t *testing.T) {
	w := workersWorld(t, 31, flowcontrol.RateLimit{QPS: 1, Burst: 1}, 0, 3, "a", "b")
	w.at(time.Second, func() { w.kl["a"].Stop(); w.kl["b"].Stop() })
	T := time.Millisecond + 8*(DefaultNodeMonitorPeriod+DefaultPassDuration)
	w.run(T + 16*time.Second)
	recs := w.tr.Records()
	at := func(kind string, kv ...string) time.Duration {
		t.Helper()
		r, ok := find(recs, kind, kv...)
		require.True(t, ok, "%s %v", kind, kv)
		return r.T - T
	}
	s := time.Second
	assert.Equal(t, time.Duration(0), at("NodeCondition", "node", "a", "type", "Ready", "to", "Unknown"))
	assert.Equal(t, 3*s, at("NodeCondition", "node", "b", "type", "Ready", "to", "Unknown"))
	for pod, want := range map[string]time.Duration{"a-p0": 2 * s, "a-p1": 6 * s, "a-p2": 11 * s, "b-p0": 7 * s, "b-p1": 12 * s, "b-p2": 15 * s} {
		assert.Equal(t, want, at("PodReady", "pod", "default/"+pod, "to", "False"), pod)
	}
	assert.Equal(t, 9*s, at("TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoSchedule"))
	assert.Equal(t, 13*s, at("TaintAdded", "node", "b", "taint", "node.kubernetes.io/unreachable:NoSchedule"))
	assert.Equal(t, 15*s, at("ZoneState", "to", string(StateFullDisruption)))
	require.True(t, w.nc.loop.Running())
	assert.Equal(t, T+15*s+DefaultNodeMonitorPeriod+DefaultPassDuration, w.nc.loop.Next())
}

// While every worker waits, the limiter serves them first come, first served, each
// reserving again when it has sent: each gets about one token per round. Nine nodes of
// 40 pods go stale together (1.31, 10 QPS, burst 1); over 20 s of the pass that marks
// their pods, the event writer (one goroutine, one Event per pod) gets about 1/(W+1) of
// the tokens with W monitor workers: 1/9 with eight, not the half it gets with one.
func TestWorkersShareTheBucket(t *testing.T) {
	names := []string{"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"}
	for _, tc := range []struct {
		workers int
		share   float64
	}{
		{0, 1.0 / 9},
		{1, 1.0 / 2},
	} {
		t.Run(fmt.Sprintf("workers=%d", tc.workers), func(t *testing.T) {
			w := workersWorld(t, 31, flowcontrol.RateLimit{QPS: 10, Burst: 1}, tc.workers, 40, names...)
			w.at(time.Second, func() {
				for _, n := range names {
					w.kl[n].Stop()
				}
			})
			T := time.Millisecond + 8*(DefaultNodeMonitorPeriod+DefaultPassDuration)
			// after the NoSchedule worker's 18 requests, before the pass ends
			from, to := T+5*time.Second, T+25*time.Second
			w.run(from)
			written := w.nc.events.Stats().Written
			w.run(to)
			require.True(t, w.nc.pass.open, "the pass still marks pods")
			got := float64(w.nc.events.Stats().Written-written) / (10 * (to - from).Seconds())
			assert.InDelta(t, tc.share, got, 0.02, "the writer's share of the tokens")
		})
	}
}

// Visitors start in index order and take nodes in name order; a visitor that finishes
// takes the next node at that instant, so visit starts never decrease in name order;
// and a visitor's state is its own: each holds its node, its step and its pods.
func TestVisitorState(t *testing.T) {
	w := workersWorld(t, 31, flowcontrol.RateLimit{QPS: 1, Burst: 1}, 3, 2, "a", "b", "c", "d")
	w.at(time.Second, func() {
		for _, n := range []string{"a", "b", "c", "d"} {
			w.kl[n].Stop()
		}
	})
	T := time.Millisecond + 8*(DefaultNodeMonitorPeriod+DefaultPassDuration)
	w.run(T)
	require.Len(t, w.nc.vis, 3)
	var cur []string
	for i := range w.nc.vis {
		v := &w.nc.vis[i]
		require.NotNil(t, v.cur, "visitor %d", i)
		cur = append(cur, v.cur.name)
		assert.True(t, v.w.held, "visitor %d waits for a token", i)
	}
	assert.Equal(t, []string{"a", "b", "c"}, cur, "handed out in name order, one each")
	assert.Equal(t, stepPods, w.nc.vis[0].step, "a marked, its pods next")
	assert.Len(t, w.nc.vis[0].podList, 2)
	assert.Equal(t, stepWrite, w.nc.vis[1].step, "b's UpdateStatus waits")
	assert.Equal(t, "c", w.nc.pass.lastName)
	assert.False(t, w.nc.pass.handedAll)
	// d is handed out to the first visitor to finish, at its instant
	w.run(T + 30*time.Second)
	recs := w.tr.Records()
	var starts []time.Duration
	for _, n := range []string{"a", "b", "c", "d"} {
		r, ok := find(recs, "NodeCondition", "node", n, "type", "Ready", "to", "Unknown")
		require.True(t, ok, n)
		starts = append(starts, r.T)
	}
	assert.IsNonDecreasing(t, starts)
	for i := range w.nc.vis {
		assert.Nil(t, w.nc.vis[i].cur, "visitor %d idle after the pass", i)
	}
}

// MonitorWorkers and NoScheduleWorkers default to 8 with a limit and 1 without, take
// a value set, and are bounded.
func TestWorkerCountsConfig(t *testing.T) {
	for _, c := range []struct {
		field    string
		set      func(*Config, int)
		get      func(Config) int
		def, max int
	}{
		{"MonitorWorkers", func(c *Config, n int) { c.MonitorWorkers = n }, Config.monitorWorkers, DefaultMonitorWorkers, MaxMonitorWorkers},
		{"NoScheduleWorkers", func(c *Config, n int) { c.NoScheduleWorkers = n }, Config.noScheduleWorkers, DefaultNoScheduleWorkers, MaxNoScheduleWorkers},
	} {
		t.Run(c.field, func(t *testing.T) {
			cfg := DefaultConfig(31)
			assert.Equal(t, 1, c.get(cfg))
			cfg.RateLimit = flowcontrol.ControllerManager
			assert.Equal(t, c.def, c.get(cfg))
			c.set(&cfg, 3)
			assert.Equal(t, 3, c.get(cfg))
			require.NoError(t, cfg.Validate())
			c.set(&cfg, -1)
			require.ErrorContains(t, cfg.Validate(), c.field)
			c.set(&cfg, c.max+1)
			require.ErrorContains(t, cfg.Validate(), c.field)
		})
	}
}
