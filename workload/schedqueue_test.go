package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
	"github.com/stretchr/testify/require"
)

// versions are the scheduling queues modelled: 1.31 (no hints: pre-check), 1.32
// (queueing hints), 1.33 and 1.37 (hints, pop from backoff, 1 s window).
var versions = []int{31, 32, 33, 37}

func createPod(t *testing.T, w *world, name string, spec *apiserver.PodSpec) {
	t.Helper()
	_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}, PodSpec: spec})
	require.NoError(t, err)
}

func patchNode(t *testing.T, w *world, name string, fn func(n *apiserver.Node)) {
	t.Helper()
	_, err := w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error { fn(n); return nil })
	require.NoError(t, err)
}

func addTaint(n *apiserver.Node, t taint.Taint) {
	n.Taints = append(append([]taint.Taint(nil), n.Taints...), t)
}

func (w *world) attempts(key string) int {
	if qp := w.sched.queued[key]; qp != nil {
		return qp.attempts
	}
	return -1
}

// cordonedPoolWorld is a world of minor version's scheduler with node a (pool=a,
// cordoned) and node cp (no labels).
func cordonedPoolWorld(t *testing.T, minor int) *world {
	w := newWorldWith(t, 1, SchedulerConfigFor(minor))
	w.addNode("a", map[string]string{"pool": "a"})
	w.addNode("cp", nil)
	patchNode(t, w, "a", func(n *apiserver.Node) { n.Unschedulable = true })
	return w
}

// An event that no plugin which rejected the pod cares about leaves it in the
// unschedulable pool: its attempts, hence its backoff, do not grow. Here the pod
// (nodeSelector pool=a) is rejected by NodeUnschedulable on a (cordoned) and by
// NodeAffinity on cp. A taint added to cp is irrelevant for every version (1.31:
// cp fails preCheckForNode's affinity check). A taint added to a matters to no
// plugin with hints; 1.31's pre-check looks at NoSchedule taints and not at
// spec.unschedulable, so a NoExecute taint lets it through and the pod is retried.
func TestQueueIrrelevantEventDoesNotRetry(t *testing.T) {
	for _, minor := range versions {
		t.Run(fmt.Sprint("1.", minor), func(t *testing.T) {
			w := cordonedPoolWorld(t, minor)
			createPod(t, w, "p", &apiserver.PodSpec{NodeSelector: map[string]string{"pool": "a"}})
			w.run(time.Second)
			require.Equal(t, 1, w.attempts("default/p"))
			w.at(5*time.Second, func() {
				patchNode(t, w, "cp", func(n *apiserver.Node) { addTaint(n, taint.Taint{Key: "x", Value: "1", Effect: taint.NoSchedule}) })
			})
			w.run(6 * time.Second)
			require.Equal(t, 1, w.attempts("default/p"), "a taint on a node the pod does not select")
			w.at(20*time.Second, func() {
				patchNode(t, w, "a", func(n *apiserver.Node) { addTaint(n, taint.Taint{Key: "y", Effect: taint.NoExecute}) })
			})
			w.run(21 * time.Second)
			want := 1
			if minor == 31 {
				want = 2
			}
			require.Equal(t, want, w.attempts("default/p"), "a taint on the cordoned node")
			require.Equal(t, "", w.podNode("default/p"))
		})
	}
}

// A relevant event moves the pod: a label that makes cp match (NodeAffinity's hint;
// 1.31: a label update that passes the pre-check), an uncordon (NodeUnschedulable's
// hint).
func TestQueueRelevantEventRetries(t *testing.T) {
	for _, minor := range versions {
		t.Run(fmt.Sprint("1.", minor), func(t *testing.T) {
			w := cordonedPoolWorld(t, minor)
			createPod(t, w, "p", &apiserver.PodSpec{NodeSelector: map[string]string{"pool": "a"}})
			createPod(t, w, "q", &apiserver.PodSpec{NodeSelector: map[string]string{"pool": "a"}, Tolerations: []taint.Toleration{{Key: "x", Operator: taint.OpExists}}})
			w.run(time.Minute)
			w.at(time.Minute, func() {
				patchNode(t, w, "cp", func(n *apiserver.Node) {
					n.Labels = apiserver.NewLabels(map[string]string{"pool": "a"})
					addTaint(n, taint.Taint{Key: "x", Effect: taint.NoSchedule})
				})
			})
			w.run(time.Minute + time.Second)
			require.Equal(t, "cp", w.podNode("default/q"))
			require.Equal(t, "", w.podNode("default/p"))
			w.at(2*time.Minute, func() { patchNode(t, w, "a", func(n *apiserver.Node) { n.Unschedulable = false }) })
			w.run(2*time.Minute + time.Second)
			require.Equal(t, "a", w.podNode("default/p"))
		})
	}
}

// From 1.33 an idle scheduler pops a pod from the backoff queue before its backoff
// ends (SchedulerPopFromBackoffQ). The pod fails at 0.01 s (backoff 1 s); the taint
// that rejected it goes at 0.5 s. 1.33+: tried at once, bound at 0.51 s. Before: it
// waits in the backoff queue until the flush tick after 1.01 s (every second from
// the scheduler's start), bound at 2.01 s.
func TestQueuePopFromBackoffWhenIdle(t *testing.T) {
	for _, minor := range versions {
		t.Run(fmt.Sprint("1.", minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.addNode("a", nil)
			x := taint.Taint{Key: "x", Effect: taint.NoSchedule}
			patchNode(t, w, "a", func(n *apiserver.Node) { addTaint(n, x) })
			createPod(t, w, "p", nil)
			w.at(500*time.Millisecond, func() { patchNode(t, w, "a", func(n *apiserver.Node) { n.Taints = nil }) })
			w.run(5 * time.Second)
			recs := filterKinds(w.tr.Records(), "PodScheduled")
			require.Len(t, recs, 1)
			want := 2010 * time.Millisecond
			if minor >= 33 {
				want = 510 * time.Millisecond
			}
			require.Equal(t, want, recs[0].T)
			require.Equal(t, uint64(2), w.sched.Attempts)
		})
	}
}

// From 1.33 backoff expiries are truncated to whole seconds and released at the
// flush on the next whole second: a pod failing at 2.7 s (second attempt, 2 s)
// expires at 4 s and is released at 5 s; before, at the first tick (every second
// from the scheduler's start) at or after 4.7 s, 5 s too; one failing at 2.2 s: 4 s
// and 5 s from 1.33, the tick at or after 4.2 s, 5 s, before. Before 1.33 a pod whose
// expiry falls on a tick is released at that tick (isPodBackingoff: boTime.After(now)):
// failing at 3 s, it expires at 5 s and goes at the 5 s tick.
func TestQueueBackoffExpiry(t *testing.T) {
	for _, c := range []struct {
		minor       int
		ts, until   time.Duration
		releaseTick time.Duration
	}{
		{31, 2700 * time.Millisecond, 4700 * time.Millisecond, 5 * time.Second},
		{33, 2700 * time.Millisecond, 4 * time.Second, 5 * time.Second},
		{37, 2200 * time.Millisecond, 4 * time.Second, 5 * time.Second},
		{32, 2200 * time.Millisecond, 4200 * time.Millisecond, 5 * time.Second},
		{31, 3 * time.Second, 5 * time.Second, 5 * time.Second},
		{33, 3 * time.Second, 5 * time.Second, 6 * time.Second},
	} {
		sc := &Scheduler{cfg: SchedulerConfigFor(c.minor)}
		e := sc.expiry(c.ts, 2)
		require.Equal(t, c.until, e, "1.%d", c.minor)
		qp := &qpod{ts: c.ts, until: e}
		require.Equal(t, c.releaseTick, sc.flushTick(qp), "1.%d", c.minor)
		over := e // isPodBackingoff: the expiry is not after now
		if sc.cfg.PopFromBackoffQ {
			over = c.releaseTick // the expiry is before now truncated to the window
		}
		require.True(t, sc.backingOff(qp, over-time.Millisecond), "1.%d", c.minor)
		require.False(t, sc.backingOff(qp, over), "1.%d", c.minor)
	}
	// a zero backoff waits for the next tick, so that retries leave the instant
	sc := &Scheduler{cfg: SchedulerConfigFor(31)}
	qp := &qpod{ts: 3 * time.Second, until: 3 * time.Second}
	require.True(t, sc.backingOff(qp, 3*time.Second))
	require.Equal(t, 4*time.Second, sc.flushTick(qp))
}

// A pod no event moves is retried by the unschedulable flush (every 30 s) once it
// has waited more than 5 minutes: failed at 0.01 s, retried at the 330 s tick.
func TestQueueLeftoverFlush(t *testing.T) {
	for _, minor := range versions {
		t.Run(fmt.Sprint("1.", minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.addNode("a", nil)
			patchNode(t, w, "a", func(n *apiserver.Node) { addTaint(n, taint.Taint{Key: "x", Effect: taint.NoSchedule}) })
			createPod(t, w, "p", nil)
			w.run(329 * time.Second)
			require.Equal(t, 1, w.attempts("default/p"))
			w.run(331 * time.Second)
			require.Equal(t, 2, w.attempts("default/p"))
			require.Len(t, filterKinds(w.tr.Records(), "FailedScheduling"), 1, "same message: no new record")
			w.run(661 * time.Second)
			require.Equal(t, 3, w.attempts("default/p"), "flushed again at 660 s")
		})
	}
}

// An assigned pod's deletion concerns NodeResourcesFit only: the pod it rejected is
// retried and bound, the one NodeAffinity rejected is not retried.
func TestQueueAssignedPodDeleteMovesFitRejected(t *testing.T) {
	for _, minor := range versions {
		t.Run(fmt.Sprint("1.", minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.addNode("a", nil)
			patchNode(t, w, "a", func(n *apiserver.Node) { n.Allocatable.Pods = 1 })
			createPod(t, w, "first", nil)
			w.run(time.Second)
			createPod(t, w, "second", nil)
			createPod(t, w, "third", &apiserver.PodSpec{NodeSelector: map[string]string{"pool": "b"}})
			w.run(time.Minute)
			require.Equal(t, 1, w.attempts("default/third"))
			w.at(time.Minute, func() {
				require.NoError(t, w.s.Pods.Delete(w.c, "default/first", apiserver.DeleteOptions{GracePeriodSeconds: taint.Seconds(0)}))
			})
			w.run(time.Minute + time.Second)
			require.Equal(t, "a", w.podNode("default/second"))
			require.Equal(t, 1, w.attempts("default/third"))
		})
	}
}

// 1.31's pre-check lets through a pod that fits a node whatever its
// spec.unschedulable, on any of NodeSchedulingPropertiesChange's events, a
// condition's status among them; with hints no filter plugin registers condition
// changes.
func TestQueueConditionChange(t *testing.T) {
	for _, minor := range versions {
		t.Run(fmt.Sprint("1.", minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.addNode("a", nil)
			patchNode(t, w, "a", func(n *apiserver.Node) { n.Unschedulable = true })
			createPod(t, w, "p", nil)
			w.run(time.Minute)
			require.Equal(t, 1, w.attempts("default/p"))
			w.at(time.Minute, func() {
				patchNode(t, w, "a", func(n *apiserver.Node) {
					n.Conditions = append([]apiserver.NodeCondition(nil), n.Conditions...)
					c := &n.Conditions[0]
					c.Status = map[apiserver.ConditionStatus]apiserver.ConditionStatus{apiserver.ConditionTrue: apiserver.ConditionFalse, apiserver.ConditionFalse: apiserver.ConditionTrue}[c.Status]
				})
			})
			w.run(time.Minute + time.Second)
			want := 1
			if minor == 31 {
				want = 2
			}
			require.Equal(t, want, w.attempts("default/p"))
		})
	}
}

func TestSchedulerConfigFor(t *testing.T) {
	for minor, want := range map[int][2]bool{31: {false, false}, 32: {true, false}, 33: {true, true}, 37: {true, true}} {
		c := SchedulerConfigFor(minor)
		require.Equal(t, want, [2]bool{c.QueueingHints, c.PopFromBackoffQ}, "1.%d", minor)
	}
	d := DefaultSchedulerConfig()
	require.True(t, d.QueueingHints && d.PopFromBackoffQ, "the default is 1.37's queue")
}

// Before 1.33 a pod whose backoff ends on a flush tick is released at that tick
// (isPodBackingoff: boTime.After(now)). Created at 0.99 s, it fails at 1.0 s (one
// cycle, 10 ms) with a backoff of 1 s: it expires at 2.0 s, a tick of the flush
// (every second from the scheduler's start at 0). The taint that rejected it goes at
// 1.5 s, so it waits in the backoff queue and is released at the 2.0 s tick: bound at
// 2.01 s, not at 3.01 s.
func TestQueueBackoffEndsOnTick(t *testing.T) {
	for _, minor := range []int{31, 32} {
		t.Run(fmt.Sprint("1.", minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.addNode("a", nil)
			x := taint.Taint{Key: "x", Effect: taint.NoSchedule}
			patchNode(t, w, "a", func(n *apiserver.Node) { addTaint(n, x) })
			w.at(990*time.Millisecond, func() { createPod(t, w, "p", nil) })
			w.at(1500*time.Millisecond, func() { patchNode(t, w, "a", func(n *apiserver.Node) { n.Taints = nil }) })
			w.run(5 * time.Second)
			recs := filterKinds(w.tr.Records(), "PodScheduled")
			require.Len(t, recs, 1)
			require.Equal(t, 2010*time.Millisecond, recs[0].T)
		})
	}
}
