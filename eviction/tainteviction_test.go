package eviction

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

func startTEC(t testing.TB, w *world, cfg TaintEvictionConfig) *TaintEvictionController {
	tc, err := NewTaintEvictionController(w.s, w.kcm, cfg)
	require.NoError(t, err)
	tc.Start()
	return tc
}

// The seed timeline (docs/upstream-semantics.md §10 from the NoExecute taint on): default
// tolerations (DefaultTolerationSeconds, 300 s) go at N+300, a 60 s toleration at N+60,
// DaemonSet pods and tolerate-forever pods never. N = 50.1.
func TestTaintEvictionTimeline(t *testing.T) {
	w := newWorld(t)
	w.addNode("worker", false)
	w.addPod("default/web", "worker")
	w.addPod("default/fast", "worker", tolerate(taint.Unreachable, taint.Seconds(60)))
	w.addPod("kube-system/proxy", "worker", daemonSetPod)
	w.addPod("default/forever", "worker", tolerate(taint.Unreachable, nil), tolerate(taint.NotReady, nil))
	startTEC(t, w, DefaultTaintEvictionConfig())
	n := secs(50.1)
	w.at(n, func() { w.taintNode("worker", taint.UnreachableNoExecute) })
	w.runUntil(1000 * time.Second)

	ev := w.evictions(ReasonTaintManagerEviction)
	require.Equal(t, map[string][]time.Duration{
		"default/fast": {n + 60*time.Second},  // tolerationSeconds 60
		"default/web":  {n + 300*time.Second}, // DefaultTolerationSeconds 300
	}, ev)
	p, ok := w.s.Pods.Peek("default/web")
	require.True(t, ok, "graceful delete: with no kubelet the pod stays Terminating")
	require.True(t, p.Deleting)
	require.Equal(t, int32(30), p.DeletionGracePeriodSeconds, "the pod's own terminationGracePeriodSeconds")
	c := p.Condition(apiserver.PodDisruptionTarget)
	require.NotNil(t, c)
	require.Equal(t, DeletionByTaintManager, c.Reason)
	require.Equal(t, "Taint manager: deleting due to NoExecute taint", c.Message)
	golden(t, "taint_eviction", w.records("TaintAdded", "Event", "PodEvicted"))
}

func TestTaintEvictionDecisions(t *testing.T) {
	type step struct {
		at     float64
		add    []taint.Taint
		remove []taint.Taint
	}
	operator := taint.Taint{Key: "example.com/maintenance", Effect: taint.NoExecute}
	tenSeconds := taint.Taint{Key: "example.com/flaky", Effect: taint.NoExecute}
	cases := []struct {
		name    string
		opts    []podOpt
		cfg     TaintEvictionConfig
		steps   []step
		want    []float64 // eviction times
		cancels int
	}{
		{name: "no matching toleration: deleted at once",
			steps: []step{{at: 10, add: []taint.Taint{operator}}}, want: []float64{10}},
		{name: "second taint tolerated for 10s does not pull the 300s timer earlier",
			opts:  []podOpt{tolerate(tenSeconds.Key, taint.Seconds(10))},
			steps: []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute}}, {at: 20, add: []taint.Taint{tenSeconds}}},
			want:  []float64{310}},
		{name: "taints removed before the deadline cancel the eviction",
			steps:   []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute}}, {at: 200, remove: []taint.Taint{taint.UnreachableNoExecute}}},
			cancels: 1},
		{name: "not-ready/unreachable swap keeps the running timer",
			steps: []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute}},
				{at: 100, add: []taint.Taint{taint.NotReadyNoExecute}}, {at: 100.5, remove: []taint.Taint{taint.UnreachableNoExecute}}},
			want: []float64{310}},
		{name: "untolerated taint replaces a running timer with an immediate deletion",
			steps:   []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute}}, {at: 50, add: []taint.Taint{operator}}},
			want:    []float64{50},
			cancels: 1},
		{name: "tolerationSeconds 0 evicts at once",
			opts:  []podOpt{tolerate(taint.Unreachable, taint.Seconds(0))},
			steps: []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute}}}, want: []float64{10}},
		{name: "negative tolerationSeconds evicts at once",
			opts:  []podOpt{tolerate(taint.Unreachable, taint.Seconds(-5))},
			steps: []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute}}}, want: []float64{10}},
		{name: "tolerate forever",
			opts:  []podOpt{tolerate("", nil)},
			steps: []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute, operator}}}},
		{name: "NoSchedule taints are ignored",
			steps: []step{{at: 10, add: []taint.Taint{{Key: "example.com/x", Effect: taint.NoSchedule}}}}},
		{name: "re-taint after cancel starts a new full timer",
			steps: []step{{at: 10, add: []taint.Taint{taint.UnreachableNoExecute}}, {at: 100, remove: []taint.Taint{taint.UnreachableNoExecute}},
				{at: 150, add: []taint.Taint{taint.UnreachableNoExecute}}},
			want: []float64{450}, cancels: 1},
		{name: "Lt toleration ignored with the gate off",
			opts: []podOpt{func(p *apiserver.Pod) {
				p.EditSpec().Tolerations = append(p.Tolerations, taint.Toleration{Key: "example.com/level", Operator: taint.OpLt, Value: "5", Effect: taint.NoExecute})
			}},
			steps: []step{{at: 10, add: []taint.Taint{{Key: "example.com/level", Value: "3", Effect: taint.NoExecute}}}},
			want:  []float64{10}},
		{name: "Lt toleration matches with ComparisonOperators",
			cfg: TaintEvictionConfig{ComparisonOperators: true},
			opts: []podOpt{func(p *apiserver.Pod) {
				p.EditSpec().Tolerations = append(p.Tolerations, taint.Toleration{Key: "example.com/level", Operator: taint.OpLt, Value: "5", Effect: taint.NoExecute})
			}},
			steps: []step{{at: 10, add: []taint.Taint{{Key: "example.com/level", Value: "3", Effect: taint.NoExecute}}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.addNode("a", true)
			w.addPod("default/p", "a", tc.opts...)
			startTEC(t, w, tc.cfg)
			for _, st := range tc.steps {
				w.at(secs(st.at), func() {
					if len(st.add) > 0 {
						w.taintNode("a", st.add...)
					}
					if len(st.remove) > 0 {
						w.untaintNode("a", st.remove...)
					}
				})
			}
			w.runUntil(2000 * time.Second)
			require.Equal(t, tc.want, w.evictedAtSeconds(ReasonTaintManagerEviction, "default/p"))
			cancels := w.events("Cancelling deletion of Pod default/p")
			require.Equal(t, tc.cancels, cancels)
		})
	}
}

// A pod created on an already tainted node is processed when the controller sees it.
func TestTaintEvictionPodAddedToTaintedNode(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", false)
	w.taintNode("a", taint.UnreachableNoExecute)
	startTEC(t, w, DefaultTaintEvictionConfig())
	w.at(secs(7), func() { w.addPod("default/late", "a", tolerate(taint.Unreachable, taint.Seconds(20))) })
	w.runUntil(100 * time.Second)
	require.Equal(t, []time.Duration{27 * time.Second}, w.evictions(ReasonTaintManagerEviction)["default/late"])
}

// Node deleted: the controller forgets the node but keeps the pods' timers (§1.4).
func TestTaintEvictionNodeDeletedKeepsTimers(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", false)
	w.addPod("default/p", "a", tolerate(taint.Unreachable, taint.Seconds(60)))
	tc := startTEC(t, w, DefaultTaintEvictionConfig())
	w.at(secs(10), func() { w.taintNode("a", taint.UnreachableNoExecute) })
	w.at(secs(20), func() { require.NoError(t, w.s.Nodes.Delete(w.op, "a", apiserver.DeleteOptions{})) })
	w.runUntil(secs(30))
	at, ok := tc.Scheduled("default/p")
	require.True(t, ok)
	require.Equal(t, secs(70), at)
	w.runUntil(100 * time.Second)
	require.Equal(t, []time.Duration{secs(70)}, w.evictions(ReasonTaintManagerEviction)["default/p"])
}

// Failed attempts are retried 10 ms apart, five attempts in all (upstream retries = 5).
func TestTaintEvictionRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outage  time.Duration
		evicted bool
		at      time.Duration
	}{
		{name: "fourth attempt succeeds", outage: 25 * time.Millisecond, evicted: true, at: 10*time.Second + 30*time.Millisecond},
		{name: "fifth attempt succeeds", outage: 35 * time.Millisecond, evicted: true, at: 10*time.Second + 40*time.Millisecond},
		{name: "five failures give up", outage: 45 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.addNode("a", false)
			w.addPod("default/p", "a")
			startTEC(t, w, DefaultTaintEvictionConfig())
			w.at(secs(10), func() {
				w.taintNode("a", taint.Taint{Key: "x", Effect: taint.NoExecute})
				w.s.SetOutage(true)
			})
			w.at(10*time.Second+tc.outage, func() { w.s.SetOutage(false) })
			w.runUntil(100 * time.Second)
			ev := w.evictions(ReasonTaintManagerEviction)["default/p"]
			if !tc.evicted {
				require.Empty(t, ev)
				return
			}
			require.Equal(t, []time.Duration{tc.at}, ev)
		})
	}
}

// Up to 1.32 the key of a successful eviction is kept: a later change that is still
// tolerated does not delete the pod again; once cancelled (taints gone), a new taint
// does. An untolerated taint cancels the kept key and deletes again, as upstream's
// CancelWork drops the key whatever its state. From 1.33 the key is dropped once the
// eviction ran, so the still tolerated taint y at 20 s schedules the pod again (5 s,
// the minimum over the tolerations used).
func TestTaintEvictionNoDoubleDeletion(t *testing.T) {
	for _, tc := range []struct {
		version int
		want    []float64
	}{
		{31, []float64{15, 45, 50}},
		{32, []float64{15, 45, 50}},
		{33, []float64{15, 25, 45, 50}},
		{37, []float64{15, 25, 45, 50}},
		{0, []float64{15, 25, 45, 50}},
	} {
		t.Run(fmt.Sprint(tc.version), func(t *testing.T) {
			w := newWorld(t)
			w.addNode("a", false)
			w.addPod("default/p", "a", tolerate("x", taint.Seconds(5)), tolerate("y", taint.Seconds(100)))
			startTEC(t, w, TaintEvictionConfig{Version: tc.version})
			x := taint.Taint{Key: "x", Effect: taint.NoExecute}
			y := taint.Taint{Key: "y", Effect: taint.NoExecute}
			z := taint.Taint{Key: "z", Effect: taint.NoExecute}
			w.at(secs(10), func() { w.taintNode("a", x) })
			w.at(secs(20), func() { w.taintNode("a", y) })
			w.at(secs(30), func() { w.untaintNode("a", x, y) })
			w.at(secs(40), func() { w.taintNode("a", x) })
			w.at(secs(50), func() { w.taintNode("a", z) })
			w.runUntil(100 * time.Second)
			require.Equal(t, tc.want, w.evictedAtSeconds(ReasonTaintManagerEviction, "default/p"))
			for _, r := range w.records("Event") {
				require.NotContains(t, r.Str("message"), "Cancelling", "a completed eviction is dropped without an event")
			}
		})
	}
}

// A pod stuck Terminating (its kubelet is dead) after its eviction: from 1.33 the next
// tolerated NoExecute change (the unreachable → not-ready swap) starts a fresh 300 s
// timer and the pod is evicted, and its event recorded, a second time; up to 1.32 the
// kept key blocks it (timed_workers.go getWrappedWorkerFunc).
func TestTaintEvictionTerminatingPodRescheduledFrom133(t *testing.T) {
	for _, tc := range []struct {
		version int
		want    []float64
	}{
		{31, []float64{310}},
		{32, []float64{310}},
		{33, []float64{310, 700}},
		{34, []float64{310, 700}},
		{37, []float64{310, 700}},
	} {
		t.Run(fmt.Sprint(tc.version), func(t *testing.T) {
			w := newWorld(t)
			w.addNode("a", false)
			w.addPod("default/p", "a") // DefaultTolerationSeconds: 300 s for both taints
			startTEC(t, w, TaintEvictionConfig{Version: tc.version})
			w.at(secs(10), func() { w.taintNode("a", taint.UnreachableNoExecute) })
			w.at(secs(400), func() {
				w.taintNode("a", taint.NotReadyNoExecute)
				w.untaintNode("a", taint.UnreachableNoExecute)
			})
			w.runUntil(2000 * time.Second)
			require.Equal(t, tc.want, w.evictedAtSeconds(ReasonTaintManagerEviction, "default/p"))
			marks := w.events("Marking for deletion Pod default/p")
			require.Equal(t, len(tc.want), marks)
			p, ok := w.s.Pods.Peek("default/p")
			require.True(t, ok)
			require.True(t, p.Deleting, "no kubelet confirms: the pod stays Terminating")
		})
	}
}

// A tolerationSeconds so large that the fire time is past the last representable
// instant never fires and does not hold back other evictions (a wrapped, negative
// fire time would sit on top of the heap and stop every later eviction).
func TestTaintEvictionHugeTolerationSeconds(t *testing.T) {
	w := newWorld(t)
	w.addNode("w1", true)
	w.addNode("w2", true)
	w.addPod("default/long", "w1", tolerate("example.com/x", taint.Seconds(9223372000)))
	w.addPod("default/victim", "w2")
	tc := startTEC(t, w, DefaultTaintEvictionConfig())
	w.at(secs(60), func() { w.taintNode("w1", taint.Taint{Key: "example.com/x", Effect: taint.NoExecute}) })
	w.at(secs(70), func() { w.taintNode("w2", taint.Taint{Key: "example.com/y", Effect: taint.NoExecute}) })
	w.runUntil(1000 * time.Second)
	require.Equal(t, map[string][]time.Duration{"default/victim": {secs(70)}}, w.evictions(ReasonTaintManagerEviction))
	at, ok := tc.Scheduled("default/long")
	require.True(t, ok, "the eviction stays scheduled, as upstream's 292-year timer")
	require.Equal(t, time.Duration(math.MaxInt64), at)
	require.Equal(t, 1, tc.Pending())
}

// Cancelling work that was due at once (an untolerated taint) records no event:
// upstream keeps a nil worker for it and CancelWork reports false. Work that waited
// for its tolerationSeconds records the event even while its attempts are running.
func TestTaintEvictionCancelImmediateWorkNoEvent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    []podOpt
		fireAt  float64
		cancels int
	}{
		{name: "immediate", fireAt: 10, cancels: 0},
		{name: "delayed", opts: []podOpt{tolerate("x", taint.Seconds(5))}, fireAt: 15, cancels: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.addNode("a", false)
			w.addPod("default/p", "a", tc.opts...)
			startTEC(t, w, DefaultTaintEvictionConfig())
			x := taint.Taint{Key: "x", Effect: taint.NoExecute}
			w.at(secs(10), func() { w.taintNode("a", x) })
			w.at(secs(tc.fireAt), func() { w.s.SetOutage(true) })
			// the attempts at +0, +10 ms, +20 ms fail; the taint goes at +15 ms
			w.at(secs(tc.fireAt)+15*time.Millisecond, func() {
				w.s.SetOutage(false)
				w.untaintNode("a", x)
				w.s.SetOutage(true)
			})
			w.at(secs(tc.fireAt)+25*time.Millisecond, func() { w.s.SetOutage(false) })
			w.runUntil(100 * time.Second)
			cancels := w.events("Cancelling deletion of Pod default/p")
			require.Equal(t, tc.cancels, cancels)
			require.Equal(t, []time.Duration{secs(tc.fireAt) + 30*time.Millisecond}, w.evictions(ReasonTaintManagerEviction)["default/p"],
				"attempts already running go on after the cancel, as upstream's goroutine does")
		})
	}
}

// Stop cancels every timer: nothing fires afterwards, and a fresh instance (a new
// leader) schedules from its own start.
func TestTaintEvictionStopAndRestart(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", false)
	w.addPod("default/p", "a")
	tc := startTEC(t, w, DefaultTaintEvictionConfig())
	w.at(secs(10), func() { w.taintNode("a", taint.UnreachableNoExecute) })
	w.runUntil(secs(100))
	require.Equal(t, 1, tc.Pending())
	tc.Stop()
	require.Equal(t, 0, tc.Pending())
	w.runUntil(secs(400))
	require.Empty(t, w.evictions(ReasonTaintManagerEviction))
	startTEC(t, w, DefaultTaintEvictionConfig())
	w.runUntil(secs(1000))
	require.Equal(t, []time.Duration{secs(700)}, w.evictions(ReasonTaintManagerEviction)["default/p"],
		"§4.10: the eviction clock restarts on a controller-manager leader change")
}

func TestTaintEvictionConfigErrors(t *testing.T) {
	w := newWorld(t)
	_, err := NewTaintEvictionController(w.s, w.kcm, TaintEvictionConfig{WatchLatency: -1})
	require.ErrorContains(t, err, "TaintEvictionConfig.WatchLatency")
	_, err = NewTaintEvictionController(w.s, w.kcm, TaintEvictionConfig{Version: 30})
	require.ErrorContains(t, err, "TaintEvictionConfig.Version")
	_, err = NewTaintEvictionController(nil, w.kcm, TaintEvictionConfig{})
	require.Error(t, err)
	_, err = NewTaintEvictionController(w.s, nil, TaintEvictionConfig{})
	require.Error(t, err)
	other := apiserver.New(w.e, nil, apiserver.DefaultConfig())
	_, err = NewTaintEvictionController(w.s, other.NewClient("x", time.Second), TaintEvictionConfig{})
	require.ErrorContains(t, err, "another API server")
}

func TestDefaults(t *testing.T) {
	require.Equal(t, 5, DeletionRetries, "upstream retries = 5")
	require.Equal(t, 10*time.Millisecond, DeletionRetryInterval, "upstream sleeps 10 ms between attempts")
	cfg := DefaultPodGCConfig()
	require.Equal(t, 20*time.Second, cfg.GCCheckPeriod, "upstream gcCheckPeriod")
	require.Equal(t, 40*time.Second, cfg.QuarantineTime, "upstream quarantineTime")
	require.Equal(t, 12500, cfg.TerminatedPodGCThreshold, "upstream --terminated-pod-gc-threshold")
	require.Equal(t, 5*time.Second, DrainEvictionRetryInterval, "kubectl drain retries a 429 after 5 s")
	require.Equal(t, 1*time.Second, DrainPollInterval, "kubectl drain polls for deletion every 1 s")
}

// The timer starts when the controller processes the change: with a slow watch the
// eviction moves by the watch latency.
func TestTaintEvictionWatchLatency(t *testing.T) {
	w := newWorld(t)
	w.addNode("a", false)
	w.addPod("default/p", "a", tolerate(taint.Unreachable, taint.Seconds(60)))
	startTEC(t, w, TaintEvictionConfig{WatchLatency: 2 * time.Second})
	w.at(secs(10), func() { w.taintNode("a", taint.UnreachableNoExecute) })
	w.runUntil(200 * time.Second)
	require.Equal(t, []time.Duration{secs(72)}, w.evictions(ReasonTaintManagerEviction)["default/p"])
}
