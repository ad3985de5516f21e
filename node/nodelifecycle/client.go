package nodelifecycle

import (
	"math"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// worker is one of upstream's goroutines that send requests through the controller's
// client (the monitor pass, the NoSchedule worker, the NoExecute tainting loop): it
// makes one request at a time, each after its token (see the package documentation,
// "The client's rate limit"). A request whose token is there is sent at once, inline;
// otherwise the worker keeps the reserved token and its timer resumes it at the
// token's instant, when the same step asks again and gets it.
type worker struct {
	timer  *sim.Timer
	held   bool // a token is reserved for the next request: the timer fires at its instant
	waited bool // it waited for a token since the caller last cleared it
}

func (w *worker) stop() {
	w.timer.Stop()
	w.held, w.waited = false, false
}

// take reports whether w may send its next request now. If not, a token is reserved
// and w's timer is set for its instant; the caller returns and asks again then.
func (nc *Controller) take(w *worker) bool {
	if w.held {
		w.held = false
		return true
	}
	if nc.limiter == nil {
		return true
	}
	now := nc.s.Now()
	at := nc.limiter.Wait(now)
	if at <= now {
		return true
	}
	w.held, w.waited = true, true
	if at == math.MaxInt64 {
		return false // never: the worker stays stuck, as a goroutine waiting forever
	}
	_ = w.timer.Schedule(at)
	return false
}

// event records an Event about a node (its name and UID) in the trace and hands it to
// the event writer, whose spam filter counts it by both: a node deleted and created
// again under its name gets a fresh bucket, as the event reference carries the UID.
func (nc *Controller) event(object string, uid uint64, reason, message string) {
	nc.tr.Add(nc.s.Now(), "Event", sim.S("object", object), sim.S("reason", reason), sim.S("message", message))
	if nc.events != nil {
		nc.events.EmitAbout(flowcontrol.SpamKey{UID: uid, Name: object})
	}
}

// podEvent hands MarkPodsNotReady's Warning NodeNotReady Event about p to the writer
// (not recorded in the trace: the PodReady record shows the change).
func (nc *Controller) podEvent(p *apiserver.Pod) {
	if nc.events != nil {
		nc.events.EmitAbout(flowcontrol.SpamKey{UID: p.UID, Warning: true})
	}
}

// The taint sets the controller adds and removes (one slice each, never changed).
var (
	unreachableSet = []taint.Taint{taint.UnreachableNoExecute}
	notReadySet    = []taint.Taint{taint.NotReadyNoExecute}
)

// taintOp is SwapNodeControllerTaint or markNodeAsReachable's pair of
// RemoveTaintOffNode, carried out request by request: sets[0] is added
// (AddOrUpdateTaintOnNode: a GET, then a PATCH if the taints change the node), then
// sets[1] and sets[2] removed (RemoveTaintOffNode: nothing when the caller's copy of
// the node carries none of them, else a GET, then a PATCH if the node has one). A
// PATCH applies to the node as it is when it is sent (upstream's PATCH carries the
// resourceVersion of its GET and, on a conflict, GETs again: not modelled).
type taintOp struct {
	name    string
	node    *apiserver.Node // the caller's copy
	stamp   time.Duration   // timeAdded of the added taints: when the swap started
	sets    [3][]taint.Taint
	i       int  // the set in progress
	got     bool // its GET is done: its PATCH is next
	failed  bool
	gone    bool   // a removal met NotFound (done: the node is gone)
	wrote   bool   // it wrote the node
	wroteRV uint64 // the resourceVersion of its last write
}

// swapOp sets op up as SwapNodeControllerTaint(add, remove) of node.
func (nc *Controller) swapOp(op *taintOp, node *apiserver.Node, add, remove []taint.Taint) {
	*op = taintOp{name: node.Name, node: node, stamp: nc.s.Now(), sets: [3][]taint.Taint{add, remove}}
}

// reachableOp sets op up as markNodeAsReachable's taint removals from node.
func (nc *Controller) reachableOp(op *taintOp, node *apiserver.Node) {
	*op = taintOp{name: node.Name, node: node, stamp: nc.s.Now(), sets: [3][]taint.Taint{nil, unreachableSet, notReadySet}}
}

// runOp carries op on as w; it reports whether op is finished (op.failed says how),
// false when w waits for a token.
func (nc *Controller) runOp(w *worker, op *taintOp) bool {
	for ; op.i < len(op.sets); op.i, op.got = op.i+1, false {
		ts := op.sets[op.i]
		adding := op.i == 0
		if len(ts) == 0 || (!adding && op.node != nil && !hasAnyTaint(op.node, ts)) {
			continue
		}
		if !op.got {
			if !nc.take(w) {
				return false
			}
			cur, err := nc.s.Nodes.Get(nc.c, op.name)
			if err != nil {
				if !adding && apiserver.IsNotFound(err) {
					op.gone = true
					continue
				}
				op.failed = true
				return true
			}
			if (adding && !mergeTaints(cur, ts, op.stamp, false)) || (!adding && !hasAnyTaint(cur, ts)) {
				continue
			}
			op.got = true
		}
		if !nc.take(w) {
			return false
		}
		var err error
		nc.wroteRV, nc.patchGone = 0, false
		if adding {
			err = nc.addTaints(op.name, op.stamp, ts...)
		} else {
			err = nc.removeTaints(op.name, nil, ts...)
		}
		if err != nil {
			op.failed = true
			return true
		}
		if nc.wroteRV != 0 {
			op.wrote, op.wroteRV = true, nc.wroteRV
		}
		op.gone = op.gone || nc.patchGone
	}
	return true
}

func hasAnyTaint(node *apiserver.Node, ts []taint.Taint) bool {
	for _, t := range ts {
		for i := range node.Taints {
			if node.Taints[i].Key == t.Key && node.Taints[i].Effect == t.Effect {
				return true
			}
		}
	}
	return false
}

// mergeTaints is AddOrUpdateTaintOnNode's merge of ts, stamped timeAdded = stamp, into
// node's taints: it reports whether the merge changes them, and with apply it also
// makes the change (the PATCH's mutation); without, it leaves node alone (the check
// made on the GET's copy before the PATCH is sent).
func mergeTaints(node *apiserver.Node, ts []taint.Taint, stamp time.Duration, apply bool) bool {
	changed := false
	for _, t := range ts {
		t.TimeAdded = stamp
		found := false
		for i := range node.Taints {
			if node.Taints[i].Key == t.Key && node.Taints[i].Effect == t.Effect {
				found = true
				if node.Taints[i] != t {
					if !apply {
						return true
					}
					node.Taints[i] = t
					changed = true
				}
			}
		}
		if !found {
			if !apply {
				return true
			}
			node.Taints = append(node.Taints, t)
			changed = true
		}
	}
	return changed
}

// passSeg is a point where a throttled pass waited: the nodes whose names come after
// after are visited at at or later.
type passSeg struct {
	after string
	at    time.Duration
}

// passEpoch is a stretch of the monitor loop's history: a run of passes every step
// from start (segs nil, throttled false), or one throttled pass that started at start
// and waited at segs.
type passEpoch struct {
	start     time.Duration
	throttled bool
	segs      []passSeg
}

// passHistory is how long the history of throttled passes is kept: leaveSteady dates
// a renewal or a status heartbeat by the first visit after its delivery, and the
// values a steady kubelet's node carries are minutes old at most.
const passHistory = time.Hour

// visitIn is the instant at which the throttled pass e visits (or visited) the node
// called name.
func (e *passEpoch) visitIn(name string) time.Duration {
	at := e.start
	for i := len(e.segs) - 1; i >= 0; i-- {
		if e.segs[i].after < name {
			return e.segs[i].at
		}
	}
	return at
}

// firstVisitAfter is the instant of the first visit of the node called name, by exact
// mode's passes, strictly after d, or MaxInt64 when none has happened or been placed
// yet (a pass in progress that has not reached it, or a pass to come past the last
// epoch's end). With byStart, the first visit by a pass that started after d: a pass
// works on the Node objects it listed at its start (the Lease is read at the visit).
func (nc *Controller) firstVisitAfter(name string, d time.Duration, byStart bool) time.Duration {
	p := &nc.pass
	for i := range nc.epochs {
		e := &nc.epochs[i]
		limit := time.Duration(math.MaxInt64)
		if i+1 < len(nc.epochs) {
			limit = nc.epochs[i+1].start
		}
		if !e.throttled {
			t := e.start
			if d >= e.start {
				t = e.start + ((d-e.start)/nc.step+1)*nc.step
			}
			if t < limit {
				return t
			}
			continue
		}
		if i == len(nc.epochs)-1 && p.open && p.throttled && !nc.passedIn(name) {
			return math.MaxInt64
		}
		if v := e.visitIn(name); v > d && (!byStart || e.start > d) {
			return v
		}
	}
	return math.MaxInt64
}

// passedIn reports whether the open pass has handed the node called name out to a
// visitor (its visit started), or passed it.
func (nc *Controller) passedIn(name string) bool {
	p := &nc.pass
	switch p.phase {
	case phaseAdded:
		return false
	case phaseVisit:
		return p.handedAll || (p.lastName != "" && name <= p.lastName)
	}
	return true
}

// lastVisit is the instant of exact mode's last visit, so far, of the node called name.
func (nc *Controller) lastVisit(name string) time.Duration {
	p := &nc.pass
	last := len(nc.epochs) - 1
	if p.open && p.throttled { // the last epoch is this pass's
		if nc.passedIn(name) {
			return nc.epochs[last].visitIn(name)
		}
		return nc.prevPassVisit(name, last)
	}
	for i := last; i >= 0; i-- {
		if e := &nc.epochs[i]; e.start <= nc.lastPass {
			if e.throttled {
				return e.visitIn(name)
			}
			break
		}
	}
	return nc.lastPass
}

// prevPassVisit is the visit of name by the pass before the throttled pass of epoch
// i: the last pass of epoch i-1.
func (nc *Controller) prevPassVisit(name string, i int) time.Duration {
	if i == 0 {
		return -1
	}
	e := &nc.epochs[i-1]
	if e.throttled {
		return e.visitIn(name)
	}
	end := nc.epochs[i].start
	if end <= e.start {
		return nc.prevPassVisit(name, i-1)
	}
	return e.start + (end-e.start-1)/nc.step*nc.step
}

// pruneEpochs forgets epochs that ended more than passHistory ago.
func (nc *Controller) pruneEpochs() {
	now := nc.s.Now()
	drop := 0
	for drop+2 < len(nc.epochs) && nc.epochs[drop+1].start < now-passHistory {
		drop++
	}
	if drop > 0 {
		n := copy(nc.epochs, nc.epochs[drop:])
		clear(nc.epochs[n:])
		nc.epochs = nc.epochs[:n]
	}
}
