package kubelet

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

func (w *world) createPod(name, node string, tgps int64, readiness time.Duration, class string) {
	_, err := w.s.Pods.Create(w.kc, &apiserver.Pod{
		ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
		NodeName:   node,
		PodSpec:    &apiserver.PodSpec{TerminationGracePeriodSeconds: tgps, ReadinessDelay: readiness, PriorityClassName: class}})
	require.NoError(w.t, err)
}

func (w *world) pod(name string) *apiserver.Pod {
	p, _ := w.s.Pods.Peek("default/" + name)
	return p
}

func TestPodLifecycle(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	w.startAll("n")
	w.at(5*time.Second, func() { w.createPod("p", "n", 30, 5*time.Second, "") })
	w.run(5500 * time.Millisecond)
	require.Equal(t, apiserver.PodPending, w.pod("p").Phase)
	w.run(6 * time.Second) // DefaultPodStartDelay after the kubelet saw it
	require.Equal(t, apiserver.PodRunning, w.pod("p").Phase)
	require.False(t, w.pod("p").IsReady())
	w.run(11 * time.Second) // + ReadinessDelay
	require.True(t, w.pod("p").IsReady())

	// graceful delete: the kubelet's final delete when the grace period is over.
	w.at(20*time.Second, func() { require.NoError(t, w.s.Pods.Delete(w.kc, "default/p", apiserver.DeleteOptions{})) })
	w.run(49 * time.Second)
	require.True(t, w.pod("p").Deleting)
	w.run(50 * time.Second)
	require.Nil(t, w.pod("p"))
}

func TestPodTerminatingWhilePartitionedThenHeal(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(5*time.Second, func() {
		w.createPod("a", "n", 30, 0, "")
		w.createPod("b", "n", 30, 0, "")
	})
	w.run(10 * time.Second)
	require.True(t, w.pod("b").IsReady())
	w.at(20*time.Second, func() { k.Unsteady(); k.Client().SetPartitioned(true) })
	w.at(30*time.Second, func() {
		require.NoError(t, w.s.Pods.Delete(w.kc, "default/a", apiserver.DeleteOptions{}))
		// the node lifecycle controller's MarkPodsNotReady
		_, err := w.s.Pods.Patch(w.kc, "default/b", func(p *apiserver.Pod) error {
			p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, w.e.Now())
			return nil
		})
		require.NoError(t, err)
	})
	w.run(200 * time.Second)
	require.True(t, w.pod("a").Deleting, "a partitioned kubelet cannot confirm: the pod stays Terminating")
	require.False(t, w.pod("b").IsReady())
	w.at(200*time.Second, func() { k.Client().SetPartitioned(false) })
	// the kubelet learns of the deletion at the heal and kills the containers with
	// the pod's 30 s grace period from then (the pod worker's kill), not at the
	// deletion timestamp (60 s)
	// The status manager's cache already holds Ready: its pod worker's sync at the
	// delivery sends nothing, and the periodic batch (every 10 s from the kubelet's
	// start at 0) finds the API disagreeing and patches it.
	w.run(210*time.Second - time.Millisecond)
	require.False(t, w.pod("b").IsReady(), "not before the status manager's next periodic sync")
	w.run(210 * time.Second)
	require.True(t, w.pod("b").IsReady(), "the status manager sets Ready again")
	w.run(230*time.Second - time.Millisecond)
	require.NotNil(t, w.pod("a"))
	w.run(230 * time.Second)
	require.Nil(t, w.pod("a"))
}

func TestPodsAcrossStopAndPowerCycle(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("p", "n", 30, 3*time.Second, "") })
	w.run(10 * time.Second)
	require.True(t, w.pod("p").IsReady())

	// a stopped kubelet: containers keep running; a delete stays Terminating.
	k.Stop()
	require.NoError(t, w.s.Pods.Delete(w.kc, "default/p", apiserver.DeleteOptions{}))
	w.run(100 * time.Second)
	require.True(t, w.pod("p").Deleting)
	k.Start()
	// the restarted kubelet kills the still-running containers with the pod's 30 s
	// grace period from its start (a new process's pod worker), then deletes it
	w.run(130*time.Second - time.Millisecond)
	require.True(t, w.pod("p").Deleting)
	w.run(130 * time.Second)
	require.Nil(t, w.pod("p"), "the restarted kubelet finishes the deletion")

	// power cycle: the containers restart (Running, Ready after the delay again)
	w.createPod("q", "n", 30, 3*time.Second, "")
	w.run(140 * time.Second)
	require.True(t, w.pod("q").IsReady())
	k.PowerOff()
	w.run(150 * time.Second)
	require.True(t, w.pod("q").IsReady(), "nobody updates a dead node's pods")
	k.PowerOn()
	// The sync loop skips pods until the container runtime's first check (1 s after the
	// start): its backoff checks at 0.1, 0.3, 0.7 and 1.5 s, so pods are synced at
	// 151.5 s, written not Ready then, running 1 s later and Ready 3 s after that.
	w.run(151*time.Second + 499*time.Millisecond)
	require.True(t, w.pod("q").IsReady(), "nothing is synced before the loop's first pass")
	w.run(151*time.Second + 500*time.Millisecond)
	require.False(t, w.pod("q").IsReady())
	w.run(155*time.Second + 499*time.Millisecond)
	require.False(t, w.pod("q").IsReady())
	w.run(155*time.Second + 500*time.Millisecond)
	require.True(t, w.pod("q").IsReady())
}

// The main sync loop's first pass after a cold start: the checks at 0, 0.1, 0.3, 0.7,
// 1.5, 3.1, 6.3, 11.3 s (sleeps of 100 ms doubling to 5 s), the first at or after
// the runtime's first successful check.
func TestSyncLoopOpens(t *testing.T) {
	for up, want := range map[time.Duration]time.Duration{
		0: 0, time.Millisecond: 100 * time.Millisecond, time.Second: 1500 * time.Millisecond,
		1500 * time.Millisecond: 1500 * time.Millisecond, 2 * time.Second: 3100 * time.Millisecond,
		7 * time.Second: 11300 * time.Millisecond,
	} {
		require.Equal(t, want, syncLoopOpens(up), "runtime up at %v", up)
	}
}

func TestGracefulShutdown(t *testing.T) {
	// §8: shutdownGracePeriod 30 s, shutdownGracePeriodCriticalPods 10 s ⇒ regular pods
	// get min(20 s, terminationGracePeriodSeconds), critical pods min(10 s, …) after them.
	w := newWorld(t, false, Config{NoJitter: true, ShutdownGracePeriod: 30 * time.Second, ShutdownGracePeriodCriticalPods: 10 * time.Second}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() {
		w.createPod("web", "n", 30, 0, "")
		w.createPod("quick", "n", 5, 0, "")
		w.createPod("proxy", "n", 30, 0, "system-node-critical")
	})
	w.at(60*time.Second, func() { require.NoError(t, k.Shutdown()) })
	w.at(70*time.Second, func() { w.createPod("late", "n", 30, 0, "") })
	w.run(3 * time.Minute)
	require.False(t, k.Running())
	for _, name := range []string{"web", "quick", "proxy"} {
		p := w.pod(name)
		require.Equal(t, apiserver.PodFailed, p.Phase, name)
		require.Equal(t, "Terminated", p.Reason)
		require.Equal(t, "Pod was terminated in response to imminent node shutdown.", p.Message)
		dt := p.Condition(apiserver.PodDisruptionTarget)
		require.NotNil(t, dt)
		require.Equal(t, "TerminationByKubelet", dt.Reason)
	}
	require.Equal(t, "NodeShutdown", w.pod("late").Reason)
	require.Equal(t, apiserver.PodFailed, w.pod("late").Phase)
	golden(t, "graceful_shutdown", w.text())
}

func TestShutdownImmediateWithoutGracePeriod(t *testing.T) {
	w := newWorld(t, false, Config{}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
	w.run(10 * time.Second)
	require.NoError(t, k.Shutdown())
	require.False(t, k.Running())
	require.Equal(t, apiserver.PodRunning, w.pod("p").Phase)
	require.Error(t, k.Shutdown())
}

func TestShutdownByPodPriority(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true, ShutdownGracePeriodByPodPriority: []ShutdownGracePeriodByPodPriority{
		{Priority: 100000, ShutdownGracePeriodSeconds: 4},
		{Priority: 0, ShutdownGracePeriodSeconds: 7},
	}}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() {
		w.createPod("low", "n", 30, 0, "")
		w.createPod("high", "n", 30, 0, "system-cluster-critical")
	})
	w.at(20*time.Second, func() { require.NoError(t, k.Shutdown()) })
	var failedAt = map[string]time.Duration{}
	w.s.Pods.Watch(w.kc, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.New.Phase == apiserver.PodFailed && ev.Old != nil && ev.Old.Phase != apiserver.PodFailed {
			failedAt[ev.New.Name] = w.e.Now()
		}
	})
	w.run(time.Minute)
	require.Equal(t, 27*time.Second, failedAt["low"])
	require.Equal(t, 31*time.Second, failedAt["high"])
}

func TestRestartFixesPodsMarkedNotReady(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
	w.run(10 * time.Second)
	k.Stop()
	// the node lifecycle controller's MarkPodsNotReady while the kubelet is down
	_, err := w.s.Pods.Patch(w.kc, "default/p", func(p *apiserver.Pod) error {
		p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, w.e.Now())
		return nil
	})
	require.NoError(t, err)
	w.run(100 * time.Second)
	require.False(t, w.pod("p").IsReady())
	k.Start() // containers kept running: the status manager reports Ready at once
	require.True(t, w.pod("p").IsReady())
}

// markNotReady is the node lifecycle controller's MarkPodsNotReady of one pod.
func (w *world) markNotReady(name string) {
	_, err := w.s.Pods.Patch(w.kc, "default/"+name, func(p *apiserver.Pod) error {
		p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, w.e.Now())
		return nil
	})
	require.NoError(w.t, err)
}

// The status manager puts right a pod status someone else changed at its periodic
// batch (every 10 s from the kubelet's start), not when the change is delivered; a new
// kubelet process, whose cache is empty, writes its status at once.
func TestPodReadyReconciledAtStatusSyncTick(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.at(3*time.Second, func() { k.Start() }) // ticks at 13, 23, 33, … s
	w.at(5*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
	w.run(20 * time.Second)
	require.True(t, w.pod("p").IsReady())

	w.at(24*time.Second, func() { w.markNotReady("p") })
	w.run(33*time.Second - time.Millisecond)
	require.False(t, w.pod("p").IsReady(), "the delivery at 24 s changes nothing in the cache")
	w.run(33 * time.Second)
	require.True(t, w.pod("p").IsReady(), "the batch at 33 s reconciles")

	// the pod marked NotReady while the kubelet is down: the restarted process has no
	// cached status, so its first sync of the pod (its informer's list) writes it
	w.at(40*time.Second, func() { k.Stop() })
	w.at(50*time.Second, func() { w.markNotReady("p") })
	w.at(60*time.Second, func() { k.Start() })
	w.run(60 * time.Second)
	require.True(t, w.pod("p").IsReady(), "a new process writes at once")
}

// A running start's kubelet adopts its running pods with their statuses cached, and
// its status manager ticks at a phase drawn per node: a pod marked NotReady is Ready
// again at that node's next tick.
func TestAdoptedPodReconciledAtNodesPhase(t *testing.T) {
	e := sim.New()
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	kc := s.NewClient("kubectl", 30*time.Second)
	ticks := map[string]time.Duration{}
	for _, name := range []string{"a", "b"} {
		k, err := New(s, name, Config{})
		require.NoError(t, err)
		require.NoError(t, k.Restore(-time.Hour))
		_, err = s.Pods.Restore(&apiserver.Pod{
			ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "p-" + name, CreationTimestamp: -time.Hour},
			NodeName:   name, Phase: apiserver.PodRunning, PodSpec: &apiserver.PodSpec{},
			Conditions: []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue, LastTransitionTime: -time.Hour}}})
		require.NoError(t, err)
		k.StartRunning()
		base := k.runningPhases().podSync
		require.True(t, base >= 0 && base < PodStatusSyncPeriod, "phase %v", base)
		tick := base
		for tick <= time.Second {
			tick += PodStatusSyncPeriod
		}
		ticks[name] = tick
	}
	require.NotEqual(t, ticks["a"], ticks["b"], "each node has its own phase")
	_, err := e.At(time.Second, func() {
		for _, name := range []string{"a", "b"} {
			_, err := s.Pods.Patch(kc, "default/p-"+name, func(p *apiserver.Pod) error {
				p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, e.Now())
				return nil
			})
			require.NoError(t, err)
		}
	})
	require.NoError(t, err)
	names := []string{"a", "b"}
	if ticks["b"] < ticks["a"] {
		names = []string{"b", "a"}
	}
	for _, name := range names {
		require.NoError(t, e.RunUntil(ticks[name]-time.Millisecond))
		p, _ := s.Pods.Peek("default/p-" + name)
		require.False(t, p.IsReady(), "%s before its tick %v", name, ticks[name])
		require.NoError(t, e.RunUntil(ticks[name]))
		p, _ = s.Pods.Peek("default/p-" + name)
		require.True(t, p.IsReady(), "%s at its tick %v", name, ticks[name])
	}
}

// A graceful shutdown of a machine whose kubelet is stopped is immediate: no process
// holds the inhibitor lock that would delay it. The machine goes down with its pods
// as they are in the API, and the kubelet does not start until PowerOn.
func TestShutdownWithKubeletStoppedPowersOff(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true, ShutdownGracePeriod: 30 * time.Second, ShutdownGracePeriodCriticalPods: 10 * time.Second}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
	w.run(10 * time.Second)
	k.Stop()
	require.NoError(t, k.Shutdown())
	require.True(t, k.PoweredOff())
	k.Start()
	require.False(t, k.Running(), "a kubelet does not start on a machine that is off")
	w.run(60 * time.Second)
	require.Equal(t, apiserver.PodRunning, w.pod("p").Phase, "nobody updates a dead node's pods")
	k.PowerOn()
	require.True(t, k.Running())
	require.Error(t, func() error { k.PowerOff(); return k.Shutdown() }(), "a machine that is off cannot be shut down")
}

// Stopping (or restarting) the kubelet during a graceful shutdown releases its
// inhibitor lock: the machine goes down at once, with the pods not killed yet as they
// are in the API, and the restart's new process does not start on it.
func TestKubeletStopDuringShutdownPowersOff(t *testing.T) {
	for _, restart := range []bool{false, true} {
		w := newWorld(t, false, Config{NoJitter: true, ShutdownGracePeriod: 30 * time.Second, ShutdownGracePeriodCriticalPods: 10 * time.Second}, "n")
		k := w.k["n"]
		w.startAll("n")
		w.at(2*time.Second, func() {
			w.createPod("web", "n", 30, 0, "")
			w.createPod("proxy", "n", 30, 0, "system-node-critical")
		})
		w.at(60*time.Second, func() { require.NoError(t, k.Shutdown()) })
		w.at(65*time.Second, func() {
			if restart {
				k.Restart()
			} else {
				k.Stop()
			}
		})
		w.run(3 * time.Minute)
		require.True(t, k.PoweredOff(), "restart %v", restart)
		require.False(t, k.Running())
		require.Equal(t, apiserver.PodRunning, w.pod("proxy").Phase, "the critical pods' turn never came (restart %v)", restart)
	}
}

// A pod deleted while its machine is off stays Terminating until the machine's kubelet
// syncs it: at the sync loop's first pass, 1.5 s after PowerOn (not at PowerOn).
func TestTerminatingPodDeletedAtFirstSyncAfterPowerOn(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("p", "n", 30, 0, "") })
	w.run(10 * time.Second)
	k.PowerOff()
	require.NoError(t, w.s.Pods.Delete(w.kc, "default/p", apiserver.DeleteOptions{}))
	w.run(100 * time.Second)
	k.PowerOn()
	w.run(101*time.Second + 499*time.Millisecond)
	require.NotNil(t, w.pod("p"), "still Terminating before the loop's first pass")
	w.run(101*time.Second + 500*time.Millisecond)
	require.Nil(t, w.pod("p"))
}
