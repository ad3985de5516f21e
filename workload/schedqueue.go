package workload

import (
	"container/heap"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// The scheduling queue (pkg/scheduler/internal/queue/scheduling_queue.go in 1.31,
// pkg/scheduler/backend/queue/{scheduling_queue,active_queue,backoff_queue}.go from
// 1.33): an active queue, a backoff queue and a pool of unschedulable pods. What
// moves a pod out of the pool depends on the version (SchedulerConfig.QueueingHints
// and PopFromBackoffQ); see the package doc.

const (
	qNone uint8 = iota
	qActive
	qBackoff
	qUnschedulable
)

// Rejector plugins: the filters that rejected a pod in its last cycle (upstream
// QueuedPodInfo.UnschedulablePlugins, the plugins of the FitError's diagnosis).
const (
	rejUnschedulable uint8 = 1 << iota // NodeUnschedulable
	rejTaint                           // TaintToleration
	rejAffinity                        // NodeAffinity
	rejFit                             // NodeResourcesFit
	rejSpread                          // PodTopologySpread
	rejInterPod                        // InterPodAffinity
	numRejectors     = iota
	rejFitIndex      = 3
	rejSpreadIndex   = 4
	rejInterPodIndex = 5
)

// Ticker periods of PriorityQueue.Run: the backoff flush (flushBackoffQCompleted,
// every second; from 1.33 aligned to whole seconds, the backoff ordering window)
// and the unschedulable flush (flushUnschedulablePodsLeftover, every 30 s).
const (
	backoffFlushPeriod  = time.Second
	leftoverFlushPeriod = 30 * time.Second
)

type qpod struct {
	key string
	// pod is the version of the pod last listed or delivered
	pod      *apiserver.Pod
	prio     int32
	seq      uint64
	attempts int
	state    uint8
	// rej are the plugins that rejected the pod in its last cycle; 0 after an Error
	// (no node at all, a failed binding), which puts it in the error backoff queue.
	rej uint8
	// ts is when the pod last came back to the queue after a failed cycle
	// (QueuedPodInfo.Timestamp), until the end of its backoff computed from it
	// (getBackoffTime: truncated to whole seconds with PopFromBackoffQ).
	ts, until time.Duration
	lastMsg   string
	idx       int
}

type activeQ []*qpod

func (q activeQ) Len() int { return len(q) }
func (q activeQ) Less(i, j int) bool {
	if q[i].prio != q[j].prio {
		return q[i].prio > q[j].prio
	}
	return q[i].seq < q[j].seq
}
func (q activeQ) Swap(i, j int) { q[i], q[j] = q[j], q[i]; q[i].idx = i; q[j].idx = j }
func (q *activeQ) Push(x any)   { p := x.(*qpod); p.idx = len(*q); *q = append(*q, p) }
func (q *activeQ) Pop() any {
	old := *q
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	p.idx = -1
	return p
}

func (sc *Scheduler) enqueue(p *apiserver.Pod) {
	qp := &qpod{key: p.Key(), pod: p, prio: p.Priority, idx: -1}
	sc.queued[qp.key] = qp
	sc.pushActive(qp)
}

func (sc *Scheduler) pushActive(qp *qpod) {
	sc.seq++
	qp.seq = sc.seq
	qp.state = qActive
	heap.Push(&sc.active, qp)
	sc.kick()
}

// kick starts a cycle if there is a pod Pop would return and none is under way.
func (sc *Scheduler) kick() {
	if sc.cycle.Pending() {
		return
	}
	if sc.active.Len() > 0 || (sc.cfg.PopFromBackoffQ && sc.backqPop > 0) {
		_ = sc.cycle.Schedule(sc.s.Now() + sc.cfg.SchedulingLatency)
	}
}

// pop is the queue's Pop: the head of the active queue, or with PopFromBackoffQ and
// an empty active queue the head of the backoff queue (activeQueue.unlockedPop,
// 1.33+): the pod is tried before its backoff ends, and the attempt counts as any
// other (Attempts grows, so does its next backoff). Error pods are not taken.
func (sc *Scheduler) pop() *qpod {
	var qp *qpod
	switch {
	case sc.active.Len() > 0:
		qp = heap.Pop(&sc.active).(*qpod)
	case sc.cfg.PopFromBackoffQ && sc.backqPop > 0:
		i := slices.IndexFunc(sc.backq, func(b *qpod) bool { return b.rej != 0 })
		qp = sc.backq[i]
		sc.backq = slices.Delete(sc.backq, i, i+1)
		sc.backqPop--
	default:
		return nil
	}
	qp.state = qNone
	return qp
}

func (sc *Scheduler) dequeue(key string) {
	qp := sc.queued[key]
	if qp == nil {
		return
	}
	delete(sc.queued, key)
	switch qp.state {
	case qActive:
		heap.Remove(&sc.active, qp.idx)
	case qBackoff:
		if i := slices.Index(sc.backq, qp); i >= 0 {
			sc.backq = slices.Delete(sc.backq, i, i+1)
			if qp.rej != 0 {
				sc.backqPop--
			}
		}
	case qUnschedulable:
		sc.leaveUnsched(qp)
	}
	qp.state = qNone
}

func (sc *Scheduler) leaveUnsched(qp *qpod) {
	delete(sc.unsched, qp.key)
	for i := range numRejectors {
		if qp.rej&(1<<i) != 0 {
			sc.unschedBy[i]--
		}
	}
}

// failed puts back a pod whose cycle failed, rejected by the plugins rej
// (AddUnschedulableIfNotPresent): into the unschedulable pool, or with no rejector
// (an Error) into the backoff queue. nodesim's cycle runs at one instant, so no
// event arrives while the pod is in flight and none moves it at once.
func (sc *Scheduler) failed(qp *qpod, rej uint8) {
	now := sc.s.Now()
	qp.rej, qp.ts = rej, now
	qp.until = sc.expiry(now, qp.attempts)
	if rej == 0 {
		sc.toActiveOrBackoff(qp)
		return
	}
	qp.state = qUnschedulable
	sc.unsched[qp.key] = qp
	for i := range numRejectors {
		if rej&(1<<i) != 0 {
			sc.unschedBy[i]++
		}
	}
	if due := sc.leftoverDue(qp); !sc.leftTimer.Pending() || sc.leftTimer.When() > due {
		_ = sc.leftTimer.Schedule(due)
	}
}

// backoff is calculateBackoffDuration: min(initial·2^(attempts-1), max).
func (sc *Scheduler) backoff(attempts int) time.Duration {
	d := sc.cfg.PodInitialBackoff
	for i := 1; i < attempts && d < sc.cfg.PodMaxBackoff; i++ {
		d *= 2
	}
	return min(d, sc.cfg.PodMaxBackoff)
}

// expiry is getBackoffTime for a pod back in the queue at ts after attempts
// attempts: ts plus its backoff, truncated to the 1 s ordering window
// (backoffQueue.alignToWindow) with PopFromBackoffQ. Virtual time is aligned on the
// scenario's start, taken to be a whole second.
func (sc *Scheduler) expiry(ts time.Duration, attempts int) time.Duration {
	e := ts + sc.backoff(attempts)
	if sc.cfg.PopFromBackoffQ {
		e = e.Truncate(backoffFlushPeriod)
	}
	return e
}

// backingOff is isPodBackingoff. From 1.33 (PopFromBackoffQ) the expiry is not before
// now truncated to the window (backoff_queue.go: "in case of windows equality we want
// to return true"); before, the expiry is after now (scheduling_queue.go
// boTime.After), so a pod whose backoff ends at the instant of a flush tick or an event
// is released then. A backoff of zero (PodInitialBackoff 0, a library setting) still
// waits for the next tick: with a zero SchedulingLatency its retries would otherwise
// never leave the instant.
func (sc *Scheduler) backingOff(qp *qpod, now time.Duration) bool {
	if sc.cfg.PopFromBackoffQ {
		return qp.until >= now.Truncate(backoffFlushPeriod)
	}
	return qp.until > now || qp.until == qp.ts && qp.until == now
}

// flushTick is the first tick of the backoff flush that releases qp: on whole seconds
// from 1.33 (waitUntilAlignedWithOrderingWindow), the first after its expiry; every
// second from Start before (wait.Until), the first at or after its expiry, or after it
// for a zero backoff (see backingOff).
func (sc *Scheduler) flushTick(qp *qpod) time.Duration {
	t := qp.until
	if sc.cfg.PopFromBackoffQ {
		return (t/backoffFlushPeriod + 1) * backoffFlushPeriod
	}
	phase := sc.startedAt
	if qp.until == qp.ts {
		return phase + ((t-phase)/backoffFlushPeriod+1)*backoffFlushPeriod
	}
	return phase + ((t-phase+backoffFlushPeriod-1)/backoffFlushPeriod)*backoffFlushPeriod
}

func (sc *Scheduler) maxInUnsched() time.Duration {
	if d := sc.cfg.PodMaxInUnschedulablePodsDuration; d > 0 {
		return d
	}
	return defaultPodMaxInUnschedulable
}

// leftoverDue is the first tick of the unschedulable flush (every 30 s from Start)
// at which qp has waited longer than PodMaxInUnschedulablePodsDuration.
func (sc *Scheduler) leftoverDue(qp *qpod) time.Duration {
	return sc.startedAt + ((qp.ts+sc.maxInUnsched()-sc.startedAt)/leftoverFlushPeriod+1)*leftoverFlushPeriod
}

// toActiveOrBackoff moves a pod to the active queue, or to the backoff queue while
// it backs off (requeuePodViaQueueingHint with queueAfterBackoff).
func (sc *Scheduler) toActiveOrBackoff(qp *qpod) {
	now := sc.s.Now()
	if !sc.backingOff(qp, now) {
		sc.pushActive(qp)
		return
	}
	qp.state = qBackoff
	sc.seq++
	qp.seq = sc.seq
	i, _ := slices.BinarySearchFunc(sc.backq, qp, func(b, q *qpod) int {
		if sc.backqLess(b, q) {
			return -1
		}
		return 1
	})
	sc.backq = slices.Insert(sc.backq, i, qp)
	if qp.rej != 0 {
		sc.backqPop++
	}
	if at := sc.flushTick(sc.backq[0]); !sc.backTimer.Pending() || sc.backTimer.When() > at {
		_ = sc.backTimer.Schedule(at)
	}
	sc.kick()
}

// backqLess orders the backoff queue: by expiry, then (with PopFromBackoffQ,
// lessBackoffCompletedWithPriority) as the active queue; ties by arrival.
func (sc *Scheduler) backqLess(a, b *qpod) bool {
	if a.until != b.until {
		return a.until < b.until
	}
	if sc.cfg.PopFromBackoffQ && a.prio != b.prio {
		return a.prio > b.prio
	}
	return a.seq < b.seq
}

// flushBackoff is flushBackoffQCompleted at one of its ticks.
func (sc *Scheduler) flushBackoff() {
	now := sc.s.Now()
	n := 0
	for n < len(sc.backq) && !sc.backingOff(sc.backq[n], now) {
		n++
	}
	due := slices.Clone(sc.backq[:n])
	sc.backq = slices.Delete(sc.backq, 0, n)
	for _, qp := range due {
		if qp.rej != 0 {
			sc.backqPop--
		}
		sc.pushActive(qp)
	}
	if len(sc.backq) > 0 {
		_ = sc.backTimer.Schedule(sc.flushTick(sc.backq[0]))
	}
}

// flushLeftover is flushUnschedulablePodsLeftover at one of its ticks: the pods
// unschedulable for longer than PodMaxInUnschedulablePodsDuration move (a wildcard
// event: after their backoff, long over by then).
func (sc *Scheduler) flushLeftover() {
	now := sc.s.Now()
	var move []*qpod
	next := time.Duration(-1)
	for _, qp := range sc.unsched {
		if now-qp.ts > sc.maxInUnsched() {
			move = append(move, qp)
		} else if due := sc.leftoverDue(qp); next < 0 || due < next {
			next = due
		}
	}
	if next >= 0 {
		_ = sc.leftTimer.Schedule(next)
	}
	sc.move(move)
}

// move takes pods out of the unschedulable pool, in key order (upstream walks a
// map; the order decides their places in the active queue).
func (sc *Scheduler) move(qps []*qpod) {
	slices.SortFunc(qps, func(a, b *qpod) int { return strings.Compare(a.key, b.key) })
	for _, qp := range qps {
		sc.leaveUnsched(qp)
		sc.toActiveOrBackoff(qp)
	}
}

// onNodeEvent is the node informer's add (o nil) or update handler
// (addNodeToCache, updateNodeInCache): MoveAllToActiveOrBackoffQueue with the
// events of NodeSchedulingPropertiesChange.
func (sc *Scheduler) onNodeEvent(o, n *apiserver.Node) {
	if len(sc.unsched) == 0 {
		return
	}
	if !sc.cfg.QueueingHints {
		// 1.31: every filter plugin registers Node Add and every Node update
		// (EventsToRegister), so any event moves the pods that pass
		// preCheckForNode against the node.
		if o != nil && !nodeUpdateEvent(o, n) {
			return
		}
		// PodTopologySpread and InterPodAffinity register Node Add, UpdateNodeLabel
		// and UpdateNodeTaint (which spec.unschedulable turning false gives) only: a
		// pod no other plugin rejected stays for another update.
		spreadEvent := o == nil || !o.Labels.Equal(n.Labels) || !sameTaints(o.Taints, n.Taints) || (o.Unschedulable && !n.Unschedulable)
		ni := sc.infos[n.Name]
		sc.moveIf(func(qp *qpod) bool {
			return (spreadEvent || qp.rej == 0 || qp.rej&^(rejSpread|rejInterPod) != 0) && preCheckForNode(qp.pod, ni, sc.s.Config.ComparisonOperators)
		})
		return
	}
	// Hints: only the plugins that registered one of the update's events, and that
	// rejected some pod, are asked.
	interested := uint8(rejUnschedulable | rejTaint | rejAffinity | rejFit | rejSpread | rejInterPod) // Node/Add
	if o != nil {
		interested = nodeUpdatePlugins(o, n)
	}
	asked := false
	for i := range numRejectors {
		asked = asked || (interested&(1<<i) != 0 && sc.unschedBy[i] > 0)
	}
	if !asked {
		return
	}
	cmpOps := sc.s.Config.ComparisonOperators
	sc.moveIf(func(qp *qpod) bool { return nodeHint(qp.pod, qp.rej&interested, o, n, cmpOps) })
}

// onNodeDelete is deleteNodeFromCache's NodeDelete event, which moves pods from
// 1.33 (with hints; 1.31's handler only updates the cache): of the modelled plugins
// only PodTopologySpread registers it, and its hint queues a pod when the deleted
// node had the topology keys of all its DoNotSchedule constraints.
func (sc *Scheduler) onNodeDelete(o *apiserver.Node) {
	if !sc.cfg.QueueingHints || sc.unschedBy[rejSpreadIndex] == 0 {
		return
	}
	sc.moveIf(func(qp *qpod) bool {
		return qp.rej&rejSpread != 0 && labelsHaveKeys(o.Labels, constraintsOf(qp.pod, apiserver.DoNotSchedule))
	})
}

// onAssignedPodDelete is deletePodFromCache's AssignedPodDelete event for the bound
// pod q (gone: deleted, or terminal, which the scheduler's informer sees as a delete;
// otherwise its resources changed). NodeResourcesFit registers it (Pod/Delete;
// AssignedPod/Delete from 1.34), and its hint queues every pod it rejected;
// PodTopologySpread registers it too (Pod/Delete), its hint queuing a pod of q's
// namespace that one of its DoNotSchedule constraints' selectors matches q for
// (isSchedulableAfterAssignedPodChange); and InterPodAffinity (Pod/Delete,
// AssignedPod/Delete from 1.34), its hint queuing a pod when q matches all its
// own required anti-affinity terms (1.33's isSchedulableAfterPodChange: none, no
// match), or from 1.36 (SchedulerConfig.AntiAffinityDeleteHint) when q matches any
// of them or the pod matches any of q's (antiDeleteHint). Without hints (1.31)
// every pod either rejected moves.
func (sc *Scheduler) onAssignedPodDelete(q *apiserver.Pod, gone bool) {
	fit, spread := sc.unschedBy[rejFitIndex] > 0, gone && sc.unschedBy[rejSpreadIndex] > 0
	inter := gone && sc.unschedBy[rejInterPodIndex] > 0
	if !fit && !spread && !inter {
		return
	}
	sc.moveIf(func(qp *qpod) bool {
		if qp.rej&rejFit != 0 {
			return true
		}
		if inter && qp.rej&rejInterPod != 0 && (!sc.cfg.QueueingHints || antiDeleteHint(qp.pod, q, sc.cfg.AntiAffinityDeleteHint)) {
			return true
		}
		if !spread || qp.rej&rejSpread == 0 {
			return false
		}
		return !sc.cfg.QueueingHints || qp.pod.Namespace == q.Namespace && spreadSelects(qp.pod, q)
	})
}

// antiDeleteHint is InterPodAffinity's hint for the deletion of the bound pod q, for
// a pod p it rejected (p's required affinity terms play no part: the hint asks only
// about anti-affinity when a pod goes, 1.33 and 1.37 alike). The hints match
// terms with no namespace labels (AffinityTerm.Matches(pod, nil)): a non-empty
// namespaceSelector is read against none. Before the fix of kubernetes#134393
// (both false), q must match every anti-affinity term of p's, and a pod without
// such terms is never queued; after it, q matches some term of p's, or p some term
// of q's.
func antiDeleteHint(p, q *apiserver.Pod, both bool) bool {
	if !both {
		if len(p.RequiredPodAntiAffinity) == 0 {
			return false
		}
		for i := range p.RequiredPodAntiAffinity {
			if !termMatches(&p.RequiredPodAntiAffinity[i], p.Namespace, q.Namespace, q.Labels, apiserver.Labels{}) {
				return false
			}
		}
		return true
	}
	for i := range p.RequiredPodAntiAffinity {
		if termMatches(&p.RequiredPodAntiAffinity[i], p.Namespace, q.Namespace, q.Labels, apiserver.Labels{}) {
			return true
		}
	}
	for i := range q.RequiredPodAntiAffinity {
		if termMatches(&q.RequiredPodAntiAffinity[i], q.Namespace, p.Namespace, p.Labels, apiserver.Labels{}) {
			return true
		}
	}
	return false
}

// onAssignedPodAdd is addPodToCache's AssignedPodAdd event for q, a pod newly bound
// (or first seen bound). PodTopologySpread registers it, its hint queuing a pod of
// q's namespace that one of its DoNotSchedule constraints' selectors matches q for;
// InterPodAffinity too, its hint queuing a pod whose every required affinity term
// matches q (isSchedulableAfterPodChange, 1.37's isSchedulableAfterAssignedPodChange;
// the terms read no namespace labels). Without hints (1.31, AssignedPodAdded) the
// queue first picks the pods rejected by PodTopologySpread in q's namespace and
// those with a required affinity term that matches q, read with q's namespace
// labels (getUnschedulablePodsWithCrossTopologyTerm), and of those moves the ones
// either plugin rejected.
func (sc *Scheduler) onAssignedPodAdd(q *apiserver.Pod) {
	if sc.unschedBy[rejSpreadIndex] == 0 && sc.unschedBy[rejInterPodIndex] == 0 {
		return
	}
	hints := sc.cfg.QueueingHints
	sc.moveIf(func(qp *qpod) bool {
		p := qp.pod
		if !hints {
			if qp.rej&(rejSpread|rejInterPod) == 0 {
				return false
			}
			return qp.rej&rejSpread != 0 && p.Namespace == q.Namespace || anyTermMatches(p.RequiredPodAffinity, p.Namespace, q, nsLabelsOf(q.Namespace))
		}
		if qp.rej&rejSpread != 0 && p.Namespace == q.Namespace && spreadSelects(p, q) {
			return true
		}
		return qp.rej&rejInterPod != 0 && allTermsMatch(p.RequiredPodAffinity, p.Namespace, q)
	})
}

// anyTermMatches reports whether one of terms (of a pod of namespace owner) matches
// q, whose namespace has labels nsl.
func anyTermMatches(terms []apiserver.PodAffinityTerm, owner string, q *apiserver.Pod, nsl apiserver.Labels) bool {
	for i := range terms {
		if termMatches(&terms[i], owner, q.Namespace, q.Labels, nsl) {
			return true
		}
	}
	return false
}

// allTermsMatch is the hints' podMatchesAllAffinityTerms: there are terms, and
// each (of a pod of namespace owner) matches q, read with no namespace labels.
func allTermsMatch(terms []apiserver.PodAffinityTerm, owner string, q *apiserver.Pod) bool {
	if len(terms) == 0 {
		return false
	}
	for i := range terms {
		if !termMatches(&terms[i], owner, q.Namespace, q.Labels, apiserver.Labels{}) {
			return false
		}
	}
	return true
}

// honorsTaints reports whether a DoNotSchedule constraint of p has nodeTaintsPolicy
// Honor: PodTopologySpread's hint for a change of the pod's own tolerations
// (isSchedulableAfterTargetPodChange; the pod's label changes, its other case, do not
// happen in nodesim).
func honorsTaints(p *apiserver.Pod) bool {
	for _, c := range constraintsOf(p, apiserver.DoNotSchedule) {
		if c.honorTaints {
			return true
		}
	}
	return false
}

// spreadSelects reports whether a DoNotSchedule constraint of p selects q
// (podLabelsMatchSpreadConstraints).
func spreadSelects(p, q *apiserver.Pod) bool {
	cons := constraintsOf(p, apiserver.DoNotSchedule)
	for i := range cons {
		if cons[i].sel.matches(q.Labels) {
			return true
		}
	}
	return false
}

// onOwnUpdate is the queue's Update for a pod in the unschedulable pool whose
// scheduling fields changed. Without hints any update moves it (isPodUpdated);
// with hints, TaintToleration queues it on a toleration change, NodeUnschedulable
// when it now tolerates the unschedulable taint, NodeResourcesFit when its
// requests went down (UpdatePodScaleDown), PodTopologySpread on a toleration change
// when a DoNotSchedule constraint honors taints; a changed node selector or affinity
// (mutable only while the pod is gated) has no hint and leaves it.
func (sc *Scheduler) onOwnUpdate(qp *qpod, o, n *apiserver.Pod) {
	if sc.cfg.QueueingHints {
		tolChanged := !slices.EqualFunc(o.Tolerations, n.Tolerations, sameToleration)
		queue := qp.rej&rejTaint != 0 && tolChanged ||
			qp.rej&rejUnschedulable != 0 && tolChanged && taint.TolerationsTolerateTaint(n.Tolerations, unschedulableTaint, sc.s.Config.ComparisonOperators) ||
			qp.rej&rejFit != 0 && (n.Requests.MilliCPU < o.Requests.MilliCPU || n.Requests.Memory < o.Requests.Memory) ||
			qp.rej&rejSpread != 0 && tolChanged && honorsTaints(n)
		if !queue {
			return
		}
	}
	sc.leaveUnsched(qp)
	sc.toActiveOrBackoff(qp)
}

func (sc *Scheduler) moveIf(ok func(*qpod) bool) {
	var move []*qpod
	for _, qp := range sc.unsched {
		if ok(qp) {
			move = append(move, qp)
		}
	}
	sc.move(move)
}

// nodeUpdateEvent reports whether an update gives any event of 1.31's
// NodeSchedulingPropertiesChange: spec.unschedulable turned false, allocatable,
// labels, taints, condition statuses or annotations changed.
func nodeUpdateEvent(o, n *apiserver.Node) bool {
	if (o.Unschedulable && !n.Unschedulable) || o.Allocatable != n.Allocatable ||
		!o.Labels.Equal(n.Labels) || !maps.Equal(o.Annotations, n.Annotations) || !sameTaints(o.Taints, n.Taints) {
		return true
	}
	if len(o.Conditions) != len(n.Conditions) {
		return true
	}
	for i := range o.Conditions {
		if c := n.Condition(o.Conditions[i].Type); c == nil || c.Status != o.Conditions[i].Status {
			return true
		}
	}
	return false
}

// taintGone reports whether a taint of a is not in b (key, value and effect).
func taintGone(a, b []taint.Taint) bool {
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y taint.Taint) bool { return x.Key == y.Key && x.Value == y.Value && x.Effect == y.Effect }) {
			return true
		}
	}
	return false
}

func sameTaints(a, b []taint.Taint) bool {
	return slices.EqualFunc(a, b, func(x, y taint.Taint) bool {
		return x.Key == y.Key && x.Value == y.Value && x.Effect == y.Effect && x.TimeAdded == y.TimeAdded
	})
}

// nodeUpdatePlugins are the plugins that registered an event of this update, with
// hints (EventsToRegister, 1.33 and 1.37): NodeUnschedulable and TaintToleration
// Node/UpdateNodeTaint (which spec.unschedulable turning false also gives:
// extractNodeSpecUnschedulableChange), NodeAffinity Node/UpdateNodeLabel,
// NodeResourcesFit Node/UpdateNodeAllocatable. Conditions and annotations concern
// none of them. Of those, only the plugins whose hint can say Queue for this update
// are returned, so that an update no hint can turn costs no walk of the pool:
// NodeUnschedulable's only when spec.unschedulable turned false, TaintToleration's
// only when a taint went (taints added cannot make a pod tolerate the node).
func nodeUpdatePlugins(o, n *apiserver.Node) uint8 {
	var r uint8
	if o.Unschedulable && !n.Unschedulable {
		r |= rejUnschedulable
	}
	if taintGone(o.Taints, n.Taints) {
		r |= rejTaint
	}
	if !o.Labels.Equal(n.Labels) {
		r |= rejAffinity
	}
	if o.Allocatable != n.Allocatable {
		r |= rejFit
	}
	// PodTopologySpread: Node/UpdateNodeLabel and UpdateNodeTaint
	if !o.Labels.Equal(n.Labels) || !sameTaints(o.Taints, n.Taints) {
		r |= rejSpread
	}
	// InterPodAffinity: Node/UpdateNodeLabel (with hints)
	if !o.Labels.Equal(n.Labels) {
		r |= rejInterPod
	}
	return r
}

// nodeHint is the OR of the QueueingHintFns of the plugins rej for a node added (o
// nil) or updated from o to n: each plugin asks only whether its own verdict could
// turn, not whether the pod now fits.
//   - NodeUnschedulable (isSchedulableAfterNodeChange): the node is added
//     schedulable, or goes from unschedulable to schedulable.
//   - TaintToleration (isSchedulableAfterNodeChange): some NoSchedule/NoExecute
//     taint was untolerated before (or the node is new) and none is now.
//   - NodeAffinity (isSchedulableAfterNodeChange): the node matches the pod's
//     selector and required affinity now and did not before (or is new).
//   - NodeResourcesFit (isSchedulableAfterNodeChange): the pod fits the node's
//     allocatable with nothing on it (isFit), and the node is new or its allowed pods,
//     or the allocatable cpu or memory the pod requests, went up
//     (haveAnyRequestedResourcesIncreased).
func nodeHint(p *apiserver.Pod, rej uint8, o, n *apiserver.Node, cmpOps bool) bool {
	if rej&rejUnschedulable != 0 && !n.Unschedulable && (o == nil || o.Unschedulable) {
		return true
	}
	if rej&rejTaint != 0 {
		_, is := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, noScheduleOrExecute, cmpOps)
		was := true
		if o != nil {
			_, was = taint.FindUntoleratedTaint(o.Taints, p.Tolerations, noScheduleOrExecute, cmpOps)
		}
		if was && !is {
			return true
		}
	}
	if rej&rejAffinity != 0 && matchesAffinity(p, n) && (o == nil || !matchesAffinity(p, o)) {
		return true
	}
	if rej&rejSpread != 0 && spreadNodeHint(p, o, n) {
		return true
	}
	if rej&rejInterPod != 0 && interNodeHint(p, o, n) {
		return true
	}
	if rej&rejFit != 0 && insufficientResources(p, n.Allocatable, apiserver.Resources{}, 0) == 0 {
		if o == nil {
			return true
		}
		a, b := o.Allocatable, n.Allocatable
		if b.Pods > a.Pods || (p.Requests.MilliCPU > 0 && b.MilliCPU > a.MilliCPU) || (p.Requests.Memory > 0 && b.Memory > a.Memory) {
			return true
		}
	}
	return false
}

// spreadNodeHint is PodTopologySpread's isSchedulableAfterNodeChange for a node
// added (o nil) or updated: the node has the keys of all the pod's DoNotSchedule
// constraints and is new, or had them not before, or keeps them with a key's value
// or its taints changed; an update that takes the keys away queues it too.
func spreadNodeHint(p *apiserver.Pod, o, n *apiserver.Node) bool {
	cons := constraintsOf(p, apiserver.DoNotSchedule)
	now := labelsHaveKeys(n.Labels, cons)
	if o == nil {
		return now
	}
	if was := labelsHaveKeys(o.Labels, cons); was != now {
		return true
	}
	if !now {
		return false
	}
	for i := range cons {
		if o.Labels.Get(cons[i].key) != n.Labels.Get(cons[i].key) {
			return true
		}
	}
	return !sameTaints(o.Taints, n.Taints)
}

func matchesAffinity(p *apiserver.Pod, n *apiserver.Node) bool {
	return MatchesNodeSelector(p.NodeSelector, n.Labels) && MatchesNodeSelectorTerms(p.RequiredNodeAffinity, n)
}

// preCheckForNode is 1.31's pre-check of a node event (eventhandlers.go): the pod
// passes AdmissionCheck against the node as the scheduler's cache has it
// (NodeResourcesFit with the pods on it, then node affinity; node name and ports are
// not modelled) and tolerates its NoSchedule taints (NoExecute and
// spec.unschedulable are not checked).
func preCheckForNode(p *apiserver.Pod, ni *nodeInfo, cmpOps bool) bool {
	if ni == nil || ni.node == nil {
		return false
	}
	n := ni.node
	if insufficientResources(p, n.Allocatable, ni.requested, int64(ni.pods)) != 0 || !matchesAffinity(p, n) {
		return false
	}
	_, bad := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, func(t taint.Taint) bool { return t.Effect == taint.NoSchedule }, cmpOps)
	return !bad
}

// interNodeHint is InterPodAffinity's isSchedulableAfterNodeChange: a node added
// queues the pod if it has one of the pod's required affinity terms' keys, or the
// pod has a required anti-affinity term; a node updated, if it gained an affinity
// term's key or changed its value, or lost an anti-affinity term's key or changed
// its value. A pod without terms, rejected by the existing pods' anti-affinity
// only, is not queued by a node event.
func interNodeHint(p *apiserver.Pod, o, n *apiserver.Node) bool {
	for i := range p.RequiredPodAffinity {
		k := p.RequiredPodAffinity[i].TopologyKey
		nv, has := n.Labels.Lookup(k)
		if o == nil {
			if has {
				return true
			}
			continue
		}
		ov, had := o.Labels.Lookup(k)
		if has && (!had || ov != nv) {
			return true
		}
	}
	for i := range p.RequiredPodAntiAffinity {
		if o == nil {
			return true
		}
		k := p.RequiredPodAntiAffinity[i].TopologyKey
		ov, had := o.Labels.Lookup(k)
		nv, has := n.Labels.Lookup(k)
		if had && (!has || ov != nv) {
			return true
		}
	}
	return false
}
