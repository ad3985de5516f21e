package kubelet

import (
	"slices"
	"strconv"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Pod condition types the kubelet writes besides Ready (apiserver names them all;
// these are kept for the callers that named them here).
const (
	PodInitialized     = apiserver.PodInitialized
	PodContainersReady = apiserver.PodContainersReady
)

// Shutdown reasons and messages (pkg/kubelet/nodeshutdown).
const (
	ReasonNodeShutdown         = "NodeShutdown"
	ReasonTerminated           = "Terminated"
	ReasonTerminationByKubelet = "TerminationByKubelet"
	MsgShutdownTerminated      = "Pod was terminated in response to imminent node shutdown."
	MsgShutdownRejected        = "Pod was rejected as the node is shutting down."
	MsgPodRejected             = "Pod was rejected: " // rejectPod's prefix to the admit handler's message
)

// podState is the kubelet's (and the machine's) view of one pod.
type podState struct {
	uid     uint64
	running bool          // containers run (survives a kubelet restart, not a power-off)
	readyAt time.Duration // when the readiness delay has passed
	killed  bool          // containers stopped by the kubelet
	// shutdown: killed by the shutdown manager (a pod already terminating is killed
	// again, with its group's grace period if shorter)
	shutdown bool
	// killGrace: the grace period of the kill under way (a shorter one shortens it)
	killGrace int32
	start     sim.Handle
	ready     sim.Handle
	final     sim.Handle
	dirty     bool // a status write failed or waits for a reconcile; the status manager retries
	// cached: this kubelet process has the pod's status in its status manager's cache
	// (it generated one, whether or not its write got through, or adopted it in a
	// running start). A version of the pod that disagrees with that status
	// (the node lifecycle controller marked it NotReady) is then put right by the
	// status manager's periodic reconcile, not at once: see reconcileAt.
	cached bool
}

func (ps *podState) stopTimers() {
	ps.start.Cancel()
	ps.ready.Cancel()
	ps.final.Cancel()
}

func (k *Kubelet) onPod(ev apiserver.Event[*apiserver.Pod]) {
	if !k.running {
		return
	}
	if ev.Type == apiserver.Deleted {
		key := ev.Old.Key()
		if ps := k.pods[key]; ps != nil {
			ps.stopTimers()
			delete(k.pods, key)
		}
		return
	}
	k.syncPod(ev.New)
}

// syncLoopOpens is how long after the kubelet's start its main sync loop first runs a
// pass when the container runtime's first status check succeeds runtimeUp after the
// start: syncLoop checks runtimeErrors at once and then after sleeps of 100 ms
// doubling to 5 s (kubelet.go syncLoop, v1.31.0–v1.37.2), so with the default 1 s it
// passes at 1.5 s, the check after 0.1 + 0.2 + 0.4 + 0.8 s.
func syncLoopOpens(runtimeUp time.Duration) time.Duration {
	const base, maxSleep = 100 * time.Millisecond, 5 * time.Second
	t, sleep := time.Duration(0), base
	for t < runtimeUp {
		t += sleep
		sleep = min(2*sleep, maxSleep)
	}
	return t
}

// openSyncLoop is the main sync loop's first pass: the pods seen before it are synced.
func (k *Kubelet) openSyncLoop() {
	for _, p := range k.podInf.List() {
		k.syncPod(p)
	}
}

// syncPod is the pod worker and the status manager for one pod.
func (k *Kubelet) syncPod(p *apiserver.Pod) {
	if !k.running {
		return
	}
	key := p.Key()
	now := k.s.Now()
	if now < k.loopOpen { // the sync loop skips pods until the runtime is up
		if !k.loopTimer.Pending() {
			_ = k.loopTimer.Schedule(k.loopOpen)
		}
		return
	}
	ps := k.pods[key]
	if ps != nil && ps.uid != p.UID {
		ps.stopTimers()
		ps = nil
		delete(k.pods, key)
	}
	if p.Deleting {
		if ps == nil {
			ps = &podState{uid: p.UID}
			k.pods[key] = ps
		}
		grace := time.Duration(p.DeletionGracePeriodSeconds) * time.Second
		if ps.final.Pending() {
			// being killed: a second DELETE may shorten the grace period, and the pod
			// worker kills with the shorter one (calculateEffectiveGracePeriod); a pod
			// that turned terminal meanwhile goes at once
			at := ps.final.When()
			if !ps.shutdown && p.DeletionGracePeriodSeconds < ps.killGrace {
				ps.killGrace = p.DeletionGracePeriodSeconds
				at = min(at, now+grace)
			}
			if p.Terminal() {
				at = now
			}
			if at < ps.final.When() {
				ps.final.Cancel()
				ps.final, _ = k.s.Engine.At(at, func() { k.finalDelete(key, p.UID) })
			}
			return
		}
		// The pod worker kills the containers when it learns of the deletion, with the
		// pod's deletionGracePeriodSeconds, and in this model running containers take
		// all of it: a pod deleted while the kubelet was cut off goes a grace period
		// after the heal, not at its deletion timestamp. Containers that do not run
		// (a machine that was off, a pod not started yet) have nothing to stop.
		at := now
		if ps.running && !p.Terminal() {
			at = now + grace
		}
		ps.start.Cancel()
		ps.ready.Cancel()
		ps.running = false
		ps.killed = true
		ps.killGrace = p.DeletionGracePeriodSeconds
		ps.final, _ = k.s.Engine.At(at, func() { k.finalDelete(key, p.UID) })
		return
	}
	if p.Terminal() {
		return
	}
	if ps == nil {
		ps = &podState{uid: p.UID}
		k.pods[key] = ps
		if k.shuttingDown {
			// admission (HandlePodAdditions), once per pod: a pod the kubelet already
			// admitted is killed in its priority group instead
			k.rejectPod(key)
			return
		}
	}
	if ps.killed {
		return
	}
	if !ps.running {
		if !ps.start.Pending() {
			ps.start, _ = k.s.Engine.At(now+k.cfg.PodStartDelay, func() { k.startPod(key) })
		}
		if p.IsReady() {
			// The API still shows the containers of a machine that went down (PowerOff):
			// the first sync's status has none running, and the status manager, whose
			// cache died with the process, writes it (updateStatusInternal, syncPod) —
			// not Ready until the containers run again.
			k.writePodStatus(key, func(q *apiserver.Pod) { setNotReady(q, now) })
		}
		return
	}
	// status manager: the containers run; make the API agree.
	wantReady := now >= ps.readyAt
	if !wantReady && !ps.ready.Pending() {
		// a new process (Stop cancelled the timer with the old one): the readiness
		// delay still counts from the containers' start
		k.armReady(key, ps)
	}
	if p.Phase == apiserver.PodRunning && p.IsReady() == wantReady {
		ps.dirty = false // nothing left to put right
		ps.cached = true // the pod worker's sync cached the status it generated
		return
	}
	if ps.cached && !k.resyncing {
		// The status the kubelet would write is the one its cache holds, so the pod
		// worker's sync changes nothing there and nothing is sent now; the status
		// manager's next periodic batch finds the API disagreeing and patches it.
		ps.dirty = true
		k.schedulePodResync(k.reconcileAt(now))
		return
	}
	k.writePodStatus(key, func(q *apiserver.Pod) { k.setRunning(q, wantReady, now) })
}

// reconcileAt is the status manager's first periodic sync after now: its ticker
// runs every PodStatusSyncPeriod from the kubelet's start (a running start's kubelet
// at a phase drawn per node: runningPhases).
func (k *Kubelet) reconcileAt(now time.Duration) time.Duration {
	d := (now - k.podSyncBase) % PodStatusSyncPeriod
	if d < 0 {
		d += PodStatusSyncPeriod
	}
	return now - d + PodStatusSyncPeriod
}

// schedulePodResync makes the status manager's resync run at at, or earlier if it is
// already due earlier.
func (k *Kubelet) schedulePodResync(at time.Duration) {
	if !k.podTimer.Pending() || k.podTimer.When() > at {
		_ = k.podTimer.Schedule(at)
	}
}

func (k *Kubelet) setRunning(q *apiserver.Pod, ready bool, now time.Duration) {
	SetRunning(q, ready, now)
}

// SetRunning writes the status the kubelet reports for a pod whose containers run:
// phase Running, Initialized and PodScheduled True, ContainersReady and Ready as
// ready, transition times now where a status changes.
func SetRunning(q *apiserver.Pod, ready bool, now time.Duration) {
	q.Phase = apiserver.PodRunning
	st := apiserver.ConditionFalse
	if ready {
		st = apiserver.ConditionTrue
	}
	q.SetCondition(apiserver.PodCondition{Type: PodInitialized, Status: apiserver.ConditionTrue}, now)
	q.SetCondition(apiserver.PodCondition{Type: PodContainersReady, Status: st}, now)
	q.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: st}, now)
	q.SetCondition(apiserver.PodCondition{Type: apiserver.PodScheduled, Status: apiserver.ConditionTrue}, now)
}

// setNotReady writes ContainersReady and Ready False, the status of a pod whose
// containers do not run (yet); its phase stays as it was.
func setNotReady(q *apiserver.Pod, now time.Duration) {
	q.SetCondition(apiserver.PodCondition{Type: PodContainersReady, Status: apiserver.ConditionFalse}, now)
	q.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, now)
}

// startPod: the containers run now; Ready follows after the pod's readiness delay.
func (k *Kubelet) startPod(key string) {
	ps := k.pods[key]
	p, ok := k.podInf.Get(key)
	if ps == nil || !ok || !k.running || ps.killed {
		return
	}
	now := k.s.Now()
	ps.running = true
	ps.readyAt = now + p.ReadinessDelay
	ready := p.ReadinessDelay <= 0
	k.writePodStatus(key, func(q *apiserver.Pod) { k.setRunning(q, ready, now) })
	if !ready {
		k.armReady(key, ps)
	}
}

// armReady makes the pod turn Ready when its readiness delay has passed (ps.readyAt).
func (k *Kubelet) armReady(key string, ps *podState) {
	ps.ready, _ = k.s.Engine.At(ps.readyAt, func() {
		k.writePodStatus(key, func(q *apiserver.Pod) { k.setRunning(q, true, k.s.Now()) })
	})
}

// writePodStatus PATCHes a pod's status; a failure is retried at the status manager's
// next periodic sync. The status is in the status manager's cache either way (upstream
// caches it before it tries the API).
func (k *Kubelet) writePodStatus(key string, fn func(*apiserver.Pod)) {
	ps := k.pods[key]
	if ps != nil {
		ps.cached = true
	}
	_, err := k.s.Pods.Patch(k.client, key, func(q *apiserver.Pod) error {
		fn(q)
		return nil
	})
	if err != nil {
		k.client.TraceError("patch", "pods", err)
		if ps != nil {
			ps.dirty = true
		}
		if !apiserver.IsNotFound(err) {
			k.schedulePodResync(k.reconcileAt(k.s.Now()))
		}
		return
	}
	if ps != nil {
		ps.dirty = false
	}
}

// resyncPods is the status manager's periodic resync, scheduled only while a write
// is pending.
func (k *Kubelet) resyncPods() {
	if !k.running {
		return
	}
	k.resyncing = true
	for _, p := range k.podInf.List() {
		k.syncPod(p)
	}
	k.resyncing = false
}

// finalDelete is the kubelet's final DELETE (grace 0) once the pod's containers are
// stopped and its grace period is over.
func (k *Kubelet) finalDelete(key string, uid uint64) {
	if !k.running {
		return
	}
	zero := int64(0)
	err := k.s.Pods.Delete(k.client, key, apiserver.DeleteOptions{GracePeriodSeconds: &zero, UID: uid})
	if err == nil || apiserver.IsNotFound(err) || apiserver.IsConflict(err) {
		return
	}
	k.client.TraceError("delete", "pods", err)
	if ps := k.pods[key]; ps != nil {
		ps.final, _ = k.s.Engine.At(k.s.Now()+PodStatusSyncPeriod, func() { k.finalDelete(key, uid) })
	}
}

// rejectPod is admission refusing a pod while the node shuts down (kubelet.go
// rejectPod: the admit handler's message after "Pod was rejected: ").
func (k *Kubelet) rejectPod(key string) {
	ps := k.pods[key]
	uid := ""
	if ps != nil {
		ps.killed = true
		ps.start.Cancel()
		uid = strconv.FormatUint(ps.uid, 10)
	}
	k.logLine('I', posPodAdmitRejected, "Pod admission denied", "", "podUID", quote(uid), "pod", quote(key), "reason", quote(ReasonNodeShutdown), "message", quote(MsgShutdownRejected))
	k.writePodStatus(key, func(q *apiserver.Pod) {
		q.Phase = apiserver.PodFailed
		q.Reason = ReasonNodeShutdown
		q.Message = MsgPodRejected + MsgShutdownRejected
	})
}

// podsPending reports whether some pod work is in flight (lazy mode waits for none).
func (k *Kubelet) podsPending() bool {
	// an any-of over the map: its order cannot reach the output.
	for _, ps := range k.pods {
		if ps.start.Pending() || ps.ready.Pending() || ps.final.Pending() || ps.dirty {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	return keys
}
