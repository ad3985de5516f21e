package kubelet

// Tests from a review of the kubelet's pod handling against v1.31.0, v1.33.0 and
// v1.37.2 (session 15); each failed before its fix.

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

func (w *world) createProbedPod(name, node string, period time.Duration) {
	_, err := w.s.Pods.Create(w.kc, &apiserver.Pod{
		ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
		NodeName:   node,
		PodSpec:    &apiserver.PodSpec{TerminationGracePeriodSeconds: 30, ReadinessProbePeriod: period}})
	require.NoError(w.t, err)
}

// From the release that carries setReadyStateOnKubeletRestart's pod-Ready check
// (read in v1.37.2 prober_manager.go): for a container started > 10 s before the
// restart that has a readiness probe, ready is kept only if the pod's Ready condition
// (as the API holds it) is True. A pod the node lifecycle controller marked NotReady
// while the kubelet was down stays NotReady until its first probe, U[0, period) later.
func TestRestartKeepsMarkedNotReadyPodNotReadyUntilProbed(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true, Version: 37}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createProbedPod("p", "n", 10*time.Second) })
	w.run(10 * time.Second)
	k.Stop()
	w.markNotReady("p")
	w.run(100 * time.Second)
	k.Start()
	require.False(t, w.pod("p").IsReady(), "1.37: not Ready before its readiness probe has run")
	w.run(110 * time.Second)
	require.True(t, w.pod("p").IsReady(), "Ready after the first probe, within one period")
}

// A pod already Terminating (graceful deletion with a long grace) when a graceful node
// shutdown starts is an active pod (isPodInactive: termination requested ⇒ active); the
// shutdown manager kills it with its group's period, which can only shorten its grace
// (pod_workers.go calculateEffectiveGracePeriod), and its status function makes it
// Failed / Terminated with DisruptionTarget. nodeshutdown_manager.go killPods, v1.37.2.
func TestShutdownKillsTerminatingPodWithGroupGrace(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true, ShutdownGracePeriod: 30 * time.Second, ShutdownGracePeriodCriticalPods: 10 * time.Second}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("slow", "n", 600, 0, "") })
	w.at(50*time.Second, func() { require.NoError(t, w.s.Pods.Delete(w.kc, "default/slow", apiserver.DeleteOptions{})) })
	var failedAt time.Duration = -1
	w.s.Pods.Watch(w.kc, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.New != nil && ev.New.Phase == apiserver.PodFailed && failedAt < 0 {
			failedAt = w.e.Now()
		}
	})
	w.at(60*time.Second, func() { require.NoError(t, k.Shutdown()) })
	w.run(5 * time.Minute)
	p := w.pod("slow")
	if p != nil {
		require.Equal(t, apiserver.PodFailed, p.Phase, "killed within its group's 20 s, not left Terminating")
		dt := p.Condition(apiserver.PodDisruptionTarget)
		require.NotNil(t, dt)
	}
	require.True(t, failedAt >= 0 && failedAt <= 80*time.Second, "failed at %v", failedAt)
}

// kubelet.go rejectPod (v1.31.0, v1.33.0, v1.37.2) prefixes the admit handler's
// message: "Pod was rejected: " + "Pod was rejected as the node is shutting down."
func TestShutdownRejectionMessage(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true, ShutdownGracePeriod: 30 * time.Second, ShutdownGracePeriodCriticalPods: 10 * time.Second}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("web", "n", 30, 0, "") })
	w.at(60*time.Second, func() { require.NoError(t, k.Shutdown()) })
	w.at(61*time.Second, func() { w.createPod("late", "n", 30, 0, "") })
	w.run(62 * time.Second)
	require.Equal(t, "Pod was rejected: Pod was rejected as the node is shutting down.", w.pod("late").Message)
}

// Admission runs once per pod (HandlePodAdditions). A pod admitted before the shutdown
// whose containers have not started yet is killed in its priority group, not rejected
// when some later update of it is delivered; and once Failed it never becomes Running.
func TestShutdownDoesNotRejectAdmittedPod(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true, ShutdownGracePeriod: 30 * time.Second, ShutdownGracePeriodCriticalPods: 10 * time.Second}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.at(2*time.Second, func() { w.createPod("web", "n", 30, 0, "") }) // the regular group lasts 20 s
	w.run(10 * time.Second)
	w.at(59500*time.Millisecond, func() { w.createPod("proxy", "n", 30, 0, "system-node-critical") }) // starts at 60.5 s
	w.at(60*time.Second, func() { require.NoError(t, k.Shutdown()) })
	// any update of the pod delivered to the kubelet before its containers start
	w.at(60200*time.Millisecond, func() {
		_, err := w.s.Pods.Patch(w.kc, "default/proxy", func(p *apiserver.Pod) error {
			p.Annotations = map[string]string{"example.com/gate": "open"} // a new map: the stored one is shared
			return nil
		})
		require.NoError(t, err)
	})
	var phases []apiserver.PodPhase
	w.s.Pods.Watch(w.kc, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.New != nil && (len(phases) == 0 || phases[len(phases)-1] != ev.New.Phase) {
			phases = append(phases, ev.New.Phase)
		}
	})
	w.run(61 * time.Second)
	require.NotEqual(t, ReasonNodeShutdown, w.pod("proxy").Reason, "an admitted pod is not rejected again")
	w.run(3 * time.Minute)
	for i := 1; i < len(phases); i++ {
		require.False(t, phases[i-1] == apiserver.PodFailed && phases[i] != apiserver.PodFailed, "phase left Failed: %v", phases)
	}
}
