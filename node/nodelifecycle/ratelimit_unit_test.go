package nodelifecycle

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
)

// limitedWorld is a world whose controller is limited to lim, with nodes a (and b if
// two) and pods p0… on a.
func limitedWorld(t *testing.T, version int, lim flowcontrol.RateLimit, pods int, two bool) *world {
	t.Helper()
	return limitedWorldWorkers(t, version, lim, 0, pods, two)
}

// limitedWorldWorkers is limitedWorld with Config.MonitorWorkers set to workers.
func limitedWorldWorkers(t *testing.T, version int, lim flowcontrol.RateLimit, workers, pods int, two bool) *world {
	t.Helper()
	cfg := DefaultConfig(version)
	cfg.RateLimit = lim
	cfg.MonitorWorkers = workers
	w := newWorld(t, cfg)
	w.kubelet("a", nil, true).Start()
	if two {
		w.kubelet("b", nil, true).Start()
	}
	admin := w.s.NewClient("admin", time.Second)
	for i := range pods {
		_, err := w.s.Pods.Create(admin, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("p%d", i)},
			NodeName: "a", Phase: apiserver.PodRunning,
			Conditions: []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}}})
		require.NoError(t, err)
	}
	w.run(time.Millisecond)
	w.nc.Start()
	return w
}

// used is how many tokens the controller's bucket gave out since it held level (a
// bucket of 0.001 QPS: what it refilled over a minute or two rounds away).
func used(w *world, level float64) int {
	return int(math.Round(level - w.nc.limiter.Available(w.e.Now())))
}

// The requests a node costs its controller when it goes Unknown, counted on a bucket
// that never runs dry (burst 1000, 0.001 QPS), against upstream's
// monitorNodeHealth/tryUpdateNodeHealth, MarkPodsNotReady, SwapNodeControllerTaint and
// the NoExecute tainting pass (v1.31.0, v1.33.0, v1.37.2): its status update (1), the
// NodeNotReady Event (1), for each of its 5 pods a status update and an Event (10), the
// unreachable:NoSchedule taint (a GET and a PATCH: 2; the node has no not-ready taint
// to remove, and the node copy shows it, so no GET for the removal), the
// unreachable:NoExecute taint (2, likewise). In 1.37 the circuit breaker GETs the Lease
// of the stale node at each pass, the one that marks it too (NodeControllerLeaseCircuitBreaker,
// beta and on from 1.37; absent in 1.31 and 1.33). Node b keeps the zone Normal, so
// tainting goes on.
func TestRequestsPerNodeMarkedUnknown(t *testing.T) {
	for _, tc := range []struct {
		version int
		want    int
	}{
		{31, 1 + 1 + 10 + 2 + 2},
		{33, 1 + 1 + 10 + 2 + 2},
		{37, 1 + 1 + 1 + 10 + 2 + 2},
	} {
		t.Run(fmt.Sprintf("1.%d", tc.version), func(t *testing.T) {
			w := limitedWorld(t, tc.version, flowcontrol.RateLimit{QPS: 0.001, Burst: 1000}, 5, true)
			w.at(time.Second, func() { w.kl["a"].Stop() })
			w.run(30 * time.Second)
			level := w.nc.limiter.Available(w.e.Now())
			_, ok := find(w.tr.Records(), "NodeCondition", "node", "a", "type", "Ready", "to", "Unknown")
			require.False(t, ok)
			w.run(60 * time.Second)
			u, ok := find(w.tr.Records(), "NodeCondition", "node", "a", "type", "Ready", "to", "Unknown")
			require.True(t, ok)
			ne, ok := find(w.tr.Records(), "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute")
			require.True(t, ok)
			require.Less(t, ne.T, u.T+2*w.nc.step, "tainted by the pass after the one that marked it")
			want := tc.want
			if tc.version >= LeaseCircuitBreakerVersion {
				// and one Lease GET at every later pass so far, the node being stale
				want += int((w.e.Now() - u.T) / w.nc.step)
			}
			assert.Equal(t, want, used(w, level), "requests between 30 s and %v (Unknown at %v)", w.e.Now(), u.T)
			assert.Equal(t, uint64(3+5), w.nc.events.Stats().Written, "RegisteredNode ×2, NodeNotReady, 5 pod Events")
		})
	}
}

// A pass that runs out of tokens suspends and goes on at each token's instant, node
// by node, with the event writer and the NoSchedule worker taking their turns on the
// same bucket. Node a (5 pods, 1.31, the only node: its zone, the only one, goes
// FullDisruption) is stale at the pass at 40.041 s = T (its last renewal at 0, seen by
// the first pass at 1 ms, grace 40 s). Bucket of 3 at 1 QPS:
//
//	T    pass: UpdateStatus (token 1); NodeNotReady Event: the writer sends it (2);
//	     p0's status (3); p1 reserves T+1 and the pass suspends
//	T    the node's notification: the NoSchedule worker's GET reserves T+2;
//	     the writer's answer: p0's Event reserves T+3
//	T+1  p1; p2 reserves T+4       T+2  NoSchedule GET; its PATCH reserves T+5
//	T+3  p0's Event; p1's Event reserves T+6
//	T+4  p2; p3 reserves T+7       T+5  TaintAdded unreachable:NoSchedule
//	T+6  p1's Event; p2's Event reserves T+8
//	T+7  p3; p4 reserves T+9       T+9  p4; the pass ends: FullDisruption
//
// and the next pass starts NodeMonitorPeriod (+ the modelled pass duration) after it
// ends, at T+9+5.005 s.
func TestSuspendedPassHandWorked(t *testing.T) {
	w := limitedWorld(t, 31, flowcontrol.RateLimit{QPS: 1, Burst: 3}, 5, false)
	w.at(time.Second, func() { w.kl["a"].Stop() })
	T := time.Millisecond + 8*(DefaultNodeMonitorPeriod+DefaultPassDuration)
	require.Equal(t, 40041*time.Millisecond, T)
	w.run(T + 9*time.Second)
	recs := w.tr.Records()
	u, ok := find(recs, "NodeCondition", "node", "a", "type", "Ready", "to", "Unknown")
	require.True(t, ok)
	assert.Equal(t, T, u.T)
	e, ok := find(recs, "Event", "object", "node/a", "reason", EventNodeNotReady)
	require.True(t, ok)
	assert.Equal(t, T, e.T)
	for i, d := range []time.Duration{0, 1, 4, 7, 9} {
		r, ok := find(recs, "PodReady", "pod", fmt.Sprintf("default/p%d", i), "to", "False")
		require.True(t, ok, i)
		assert.Equal(t, T+d*time.Second, r.T, "p%d", i)
	}
	ns, ok := find(recs, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoSchedule")
	require.True(t, ok)
	assert.Equal(t, T+5*time.Second, ns.T)
	z, ok := find(recs, "ZoneState", "to", string(StateFullDisruption))
	require.True(t, ok)
	assert.Equal(t, T+9*time.Second, z.T, "handleDisruption at the pass's end")
	require.True(t, w.nc.loop.Running())
	assert.Equal(t, T+9*time.Second+DefaultNodeMonitorPeriod+DefaultPassDuration, w.nc.loop.Next())
}

// Node objects are those the pass listed at its start: b was relabelled at T+0.5 s,
// while the pass waited, and b's visit works on the version listed at T, so its
// UpdateStatus meets a conflict; the retry GETs b and decides again. Bucket of 1 at 1
// QPS, both kubelets stopped, 1.31, 2 pods on a. With the default 8 workers:
//
//	T    worker 0: a's UpdateStatus (the token); its NodeNotReady Event reserves T+1;
//	     p0 T+2 (worker 0 waits); worker 1 takes b: stale, its UpdateStatus T+3;
//	     a's notification: the NoSchedule worker's GET T+4
//	T+2  p0; its Event T+5; p1 T+6           T+3  b's UpdateStatus of the listed
//	     version: Conflict; its GET T+7      T+4  the NoSchedule GET; its PATCH T+8
//	T+6  p1; its Event T+9                   T+7  the GET; b is decided again, its
//	     UpdateStatus reserves T+10
//	T+10 b Unknown (LastTransitionTime T+7, the decision's instant)
//
// With one worker (MonitorWorkers 1, the model before session 18) b waits for a's pods:
//
//	T    a's UpdateStatus (the token); its NodeNotReady Event reserves T+1; p0 T+2 (the
//	     pass suspends); a's notification: the NoSchedule worker's GET T+3
//	T+2  p0; its Event T+4; p1 T+5          T+3  the NoSchedule GET; its PATCH T+6
//	T+5  p1; its Event T+7; b is visited: stale, its UpdateStatus T+8
//	T+8  b's UpdateStatus of the listed version: Conflict; its GET reserves T+9
//	T+9  the GET; b is decided again, its UpdateStatus reserves T+10
//	T+10 b Unknown (LastTransitionTime T+9)
//
// Visiting the version current at its visit, the pass would have written b at its
// first UpdateStatus.
func TestSuspendedPassWritesListedVersion(t *testing.T) {
	for _, tc := range []struct {
		workers    int
		p1, bTrans time.Duration
	}{
		{0, 6 * time.Second, 7 * time.Second},
		{1, 5 * time.Second, 9 * time.Second},
	} {
		t.Run(fmt.Sprintf("workers=%d", tc.workers), func(t *testing.T) {
			w := limitedWorldWorkers(t, 31, flowcontrol.RateLimit{QPS: 1, Burst: 1}, tc.workers, 2, true)
			w.at(time.Second, func() { w.kl["a"].Stop(); w.kl["b"].Stop() })
			T := time.Millisecond + 8*(DefaultNodeMonitorPeriod+DefaultPassDuration)
			admin := w.s.NewClient("admin", time.Second)
			w.at(T+500*time.Millisecond, func() {
				_, err := w.s.Nodes.Patch(admin, "b", func(n *apiserver.Node) error {
					n.Labels = apiserver.LabelsOf("x", "y")
					return nil
				})
				require.NoError(t, err)
			})
			w.run(T + 12*time.Second)
			recs := w.tr.Records()
			a, ok := find(recs, "NodeCondition", "node", "a", "type", "Ready", "to", "Unknown")
			require.True(t, ok)
			assert.Equal(t, T, a.T)
			for i, d := range []time.Duration{2 * time.Second, tc.p1} {
				r, ok := find(recs, "PodReady", "pod", fmt.Sprintf("default/p%d", i), "to", "False")
				require.True(t, ok, i)
				assert.Equal(t, T+d, r.T, "p%d", i)
			}
			b, ok := find(recs, "NodeCondition", "node", "b", "type", "Ready", "to", "Unknown")
			require.True(t, ok)
			assert.Equal(t, T+10*time.Second, b.T)
			n, _ := w.s.Nodes.Peek("b")
			assert.Equal(t, T+tc.bTrans, n.Condition(apiserver.NodeReady).LastTransitionTime)
			assert.Equal(t, "y", n.Labels.Get("x"))
		})
	}
}

// The tainting loop is sliding: a tick whose swaps wait for client tokens ends late,
// and the next runs on a 100 ms grid from that end, not from Start. 1.34 (the pass
// queues a node it marks Unknown), bucket of 3 at 1 QPS; zone a has a1 and a2 stopped
// and a3 healthy (Normal: 0.1 node/s), zone b b1 stopped and b2 healthy. The pass that
// marks them spends the bucket, so the tick after it, which takes zone a's token for a1
// and zone b's for b1, waits for their GETs and PATCHes and ends at b1's PATCH. Zone
// a's next token comes ten seconds after a1's (0.1 node/s); the bucket has refilled by
// then, and the tick that taints a2 sends its GET and PATCH at once: at an instant of
// the grid of b1's PATCH.
func TestTaintingTickSlides(t *testing.T) {
	cfg := DefaultConfig(34)
	cfg.RateLimit = flowcontrol.RateLimit{QPS: 1, Burst: 3}
	// The instants were worked out with one NoSchedule worker. With eight, the
	// NoSchedule swaps of a1, a2 and b1 run side by side and take more of the tokens,
	// and a2's tick waits for its client token too (written at the token's instant,
	// off the grid).
	cfg.NoScheduleWorkers = 1
	w := newWorld(t, cfg)
	for _, n := range []string{"a1", "a2", "a3"} {
		w.kubelet(n, map[string]string{apiserver.LabelZone: "a"}, true).Start()
	}
	for _, n := range []string{"b1", "b2"} {
		w.kubelet(n, map[string]string{apiserver.LabelZone: "b"}, true).Start()
	}
	w.run(time.Millisecond)
	w.nc.Start()
	w.at(time.Second, func() {
		for _, n := range []string{"a1", "a2", "b1"} {
			w.kl[n].Stop()
		}
	})
	w.run(3 * time.Minute)
	recs := w.tr.Records()
	ne := func(node string) time.Duration {
		r, ok := find(recs, "TaintAdded", "node", node, "taint", "node.kubernetes.io/unreachable:NoExecute")
		require.True(t, ok, node)
		return r.T
	}
	a1, b1, a2 := ne("a1"), ne("b1"), ne("a2")
	t.Logf("a1 %v b1 %v a2 %v", a1, b1, a2)
	require.Less(t, a1, b1, "one tick, zone a first")
	grid := 100 * time.Millisecond
	assert.NotZero(t, (b1-time.Millisecond)%grid, "b1's PATCH waited: off the grid from Start")
	assert.Zero(t, (a2-b1)%grid, "a2 on the grid of the slow tick's end")
	assert.Greater(t, a2, b1)
	assert.GreaterOrEqual(t, a2-a1, 8*time.Second, "zone a's 0.1 node/s")
}

// 1.37: the Unknown conditions' LastTransitionTime is read after the circuit breaker's
// Lease GET has returned, so after that GET's wait for a token (v1.37.2
// tryUpdateNodeHealth). Bucket of 1 at 1 QPS, a and b stopped together: a's visit
// starts the pass with a token at hand, so its GET comes at once and its UpdateStatus
// a second later; b's visit starts when a's UpdateStatus is sent, and its GET waits
// behind the Events and the NoSchedule worker's requests. b's LastTransitionTime is that
// GET's instant, after its visit began and at least a token before its own UpdateStatus.
func TestUnknownTransitionAfterLeaseGet(t *testing.T) {
	w := limitedWorld(t, 37, flowcontrol.RateLimit{QPS: 1, Burst: 1}, 0, true)
	w.at(time.Second, func() { w.kl["a"].Stop(); w.kl["b"].Stop() })
	w.run(3 * time.Minute)
	recs := w.tr.Records()
	ltt := func(name string) (written, transition time.Duration) {
		r, ok := find(recs, "NodeCondition", "node", name, "type", "Ready", "to", "Unknown")
		require.True(t, ok, name)
		n, _ := w.s.Nodes.Peek(name)
		return r.T, n.Condition(apiserver.NodeReady).LastTransitionTime
	}
	aw, at := ltt("a")
	bw, bt := ltt("b")
	t.Logf("a written %v transition %v; b written %v transition %v", aw, at, bw, bt)
	assert.Equal(t, aw-time.Second, at, "a: the GET at once, the UpdateStatus a token later")
	assert.Greater(t, bt, aw, "b: after its visit began (a's UpdateStatus)")
	assert.LessOrEqual(t, bt, bw-time.Second)
}

// A node's Events count in the event writer's spam filter by the node's name and UID (the
// event reference carries both): a node deleted and created again under its name starts
// a fresh bucket of 25. Fourteen incarnations of x, each registered and removed (28
// Events), pass the filter; counted by name alone, the last three were skipped.
func TestNodeEventSpamKeyHasUID(t *testing.T) {
	w := limitedWorld(t, 31, flowcontrol.RateLimit{QPS: 100, Burst: 100}, 0, false)
	admin := w.s.NewClient("admin", time.Second)
	period := DefaultNodeMonitorPeriod + DefaultPassDuration
	for i := range 14 {
		at := time.Second + time.Duration(2*i)*period
		w.at(at, func() {
			_, err := w.s.Nodes.Create(admin, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "x"},
				Conditions: []apiserver.NodeCondition{{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue, LastHeartbeatTime: at}}})
			require.NoError(t, err)
		})
		w.at(at+period, func() { require.NoError(t, w.s.Nodes.Delete(admin, "x", apiserver.DeleteOptions{})) })
	}
	w.run(time.Second + 29*period)
	recs := w.tr.Records()
	require.Len(t, findAll(recs, "Event", "object", "node/x", "reason", EventRegisteredNode), 14)
	require.Len(t, findAll(recs, "Event", "object", "node/x", "reason", EventRemovingNode), 14)
	st := w.nc.events.Stats()
	assert.Zero(t, st.Filtered)
	assert.GreaterOrEqual(t, st.Written, uint64(28))
}
