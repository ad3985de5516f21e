package kubelet

import (
	"errors"
	"strconv"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

type shutdownGroupState struct {
	timer sim.Handle
}

// ShuttingDown reports whether a graceful node shutdown is in progress.
func (k *Kubelet) ShuttingDown() bool { return k.shuttingDown }

// Shutdown is a graceful node shutdown (systemd-logind PrepareForShutdown): Ready turns
// False ("node is shutting down") at once, new pods are rejected, the pods are killed
// group by group from the lowest priority up, each with min(group period, its
// terminationGracePeriodSeconds), and then the machine goes down (PowerOff). With no
// shutdown grace period configured the shutdown is immediate: the machine goes down
// now and the pods stay as they are in the API. So it is when the kubelet is not
// running: no process holds an inhibitor lock to delay it. A machine that is off
// cannot be shut down (an error).
func (k *Kubelet) Shutdown() error {
	if !k.running {
		if k.poweredOff {
			return errors.New("kubelet: Shutdown of a machine that is powered off")
		}
		k.powerDown()
		return nil
	}
	if k.shuttingDown {
		return nil
	}
	k.Unsteady()
	groups := k.cfg.shutdownGroups()
	if len(groups) == 0 {
		k.PowerOff()
		return nil
	}
	k.shuttingDown = true
	k.logLine('I', posShutdownDetected, "Shutdown manager detected new shutdown event, isNodeShuttingDownNow", "", "event", "true")
	k.syncNow()
	k.runShutdownGroup(groups, 0)
	return nil
}

// groupOf is the index of the group a pod of that priority belongs to: the highest
// group whose priority is not above the pod's (the lowest group for anything below).
func groupOf(groups []ShutdownGracePeriodByPodPriority, prio int32) int {
	g := 0
	for i, gr := range groups {
		if prio >= gr.Priority {
			g = i
		}
	}
	return g
}

// runShutdownGroup kills the pods of group i and moves on when the last of them has
// stopped (each takes its whole grace period in this model) or the group period ends.
func (k *Kubelet) runShutdownGroup(groups []ShutdownGracePeriodByPodPriority, i int) {
	if !k.running {
		return
	}
	if i >= len(groups) {
		k.logLine('I', posShutdownDone, "Shutdown manager completed processing shutdown event, node will shutdown shortly", "")
		k.PowerOff()
		return
	}
	now := k.s.Now()
	period := time.Duration(groups[i].ShutdownGracePeriodSeconds) * time.Second
	var end time.Duration
	for _, p := range k.podInf.List() {
		if p.Terminal() || groupOf(groups, p.Priority) != i {
			continue
		}
		ps := k.pods[p.Key()]
		if ps != nil && (ps.shutdown || ps.killed && !p.Deleting) {
			continue
		}
		if ps == nil {
			ps = &podState{uid: p.UID}
			k.pods[p.Key()] = ps
		}
		grace := min(period, time.Duration(p.TerminationGracePeriodSeconds)*time.Second)
		if p.Deleting {
			// A pod already terminating is an active pod (isPodInactive): it is killed
			// with the group's grace if that is shorter than what its deletion has left
			// (calculateEffectiveGracePeriod), and ends Failed like the others.
			grace = max(0, min(grace, p.DeletionTimestamp-now))
			ps.final.Cancel()
		}
		ps.start.Cancel()
		ps.ready.Cancel()
		ps.killed, ps.shutdown = true, true
		key := p.Key()
		k.logLine('I', posShutdownPod, "Shutdown manager killing pod with gracePeriod", "", "pod", quote(key),
			"gracePeriod", strconv.FormatInt(int64(grace/time.Second), 10))
		k.s.Trace.Add(now, "PodEvicted", sim.S("pod", key), sim.S("node", k.name), sim.S("reason", ReasonNodeShutdown))
		ps.final, _ = k.s.Engine.At(now+grace, func() { k.podShutDown(key) })
		end = max(end, grace)
	}
	h, _ := k.s.Engine.At(now+end, func() { k.runShutdownGroup(groups, i+1) })
	k.shutdownG = append(k.shutdownG, shutdownGroupState{timer: h})
}

// podShutDown: the pod's containers stopped; its final status is Failed / Terminated
// with DisruptionTarget TerminationByKubelet.
func (k *Kubelet) podShutDown(key string) {
	if ps := k.pods[key]; ps != nil {
		ps.running = false
	}
	now := k.s.Now()
	k.writePodStatus(key, func(q *apiserver.Pod) {
		if q.Phase != apiserver.PodSucceeded {
			q.Phase = apiserver.PodFailed
		}
		q.Reason = ReasonTerminated
		q.Message = MsgShutdownTerminated
		q.SetCondition(apiserver.PodCondition{Type: apiserver.PodDisruptionTarget, Status: apiserver.ConditionTrue,
			Reason: ReasonTerminationByKubelet, Message: MsgShutdownTerminated}, now)
		q.SetCondition(apiserver.PodCondition{Type: PodContainersReady, Status: apiserver.ConditionFalse}, now)
		q.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, now)
	})
}
