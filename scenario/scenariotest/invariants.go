package scenariotest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/spec"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	corev1 "k8s.io/api/core/v1"
)

// Invariant checks one rule over a run's trace; nil means it held.
type Invariant func(res *scenario.Result) error

// Named is an invariant with its name, for reports.
type Named struct {
	Name  string
	Check Invariant
}

// All returns every invariant of the library, in a fixed order. NoUnknownWithinGrace
// needs the quiet heartbeat records: it passes vacuously on a non-verbose run.
func All() []Named {
	return []Named{
		{"TimeMonotonic", TimeMonotonic},
		{"NoUnknownWithinGrace", NoUnknownWithinGrace},
		{"ControllerNeverWritesReadyTrueFalse", ControllerNeverWritesReadyTrueFalse},
		{"NoEarlyTaintEviction", NoEarlyTaintEviction},
		{"ForeverTolerantNeverEvicted", ForeverTolerantNeverEvicted},
		{"NoNoExecuteWhileAllZonesFullyDisrupted", NoNoExecuteWhileAllZonesFullyDisrupted},
		{"NoExecuteRateLimited", NoExecuteRateLimited},
		{"NoReRegistrationWithoutRestart", NoReRegistrationWithoutRestart},
		{"DrainsRespectPDB", DrainsRespectPDB},
		{"PodGCDeletionJustified", PodGCDeletionJustified},
	}
}

// CheckAll runs every invariant and joins the failures, each prefixed by its name.
func CheckAll(res *scenario.Result) error {
	var errs []error
	for _, inv := range All() {
		if err := inv.Check(res); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", inv.Name, err))
		}
	}
	return errors.Join(errs...)
}

const (
	reasonKubeletReady    = "KubeletReady"
	reasonKubeletNotReady = "KubeletNotReady"
	reasonUnknown         = "NodeStatusUnknown"
	reasonNeverUpdated    = "NodeStatusNeverUpdated"
	// tickSlack is the rate limiter's polling tick (upstream's doEvictionPass runs
	// every 100 ms, NodeEvictionPeriod).
	tickSlack = 100 * time.Millisecond
)

func at(r *sim.Record) string { return sim.Seconds(r.T) + "s" }

// TimeMonotonic: records are in simulation order, so their times never go back
// (docs/SCENARIOS.md: "One JSON object per line, in simulation order").
func TimeMonotonic(res *scenario.Result) error {
	for i := 1; i < len(res.Records()); i++ {
		if res.Records()[i].T < res.Records()[i-1].T {
			return fmt.Errorf("record %d (%s at %s) is before record %d at %s", i, res.Records()[i].Kind, at(&res.Records()[i]), i-1, at(&res.Records()[i-1]))
		}
	}
	return nil
}

// NoUnknownWithinGrace: the node lifecycle controller marks a node's conditions
// Unknown only when it has seen no heartbeat (Lease renewal or NodeStatus update)
// for longer than the grace period: pkg/controller/nodelifecycle
// node_lifecycle_controller.go tryUpdateNodeHealth, `if nc.now().After(
// nodeHealth.probeTimestamp.Add(gracePeriod))`, where probeTimestamp is never
// earlier than the heartbeat it records. It uses the quiet LeaseRenewed and
// NodeStatusPatched records, so it only bites on a verbose run.
//
// When the controller's client is rate limited (kubeAPIQPS > 0) the status write may
// wait for its token after the decision, and a Lease renewal may come in between (a
// status patch would not: the write of the node as decided meets a conflict and the
// node is decided again). The last heartbeat may then be a renewal within the grace
// period, if the one before it was not.
func NoUnknownWithinGrace(res *scenario.Result) error {
	cm := res.Scenario.Spec.ControllerManager
	grace := min(cm.NodeMonitorGracePeriod, cm.NodeStartupGracePeriod)
	limited := cm.KubeAPIQPS > 0
	last := map[string]time.Duration{}
	prev := map[string]time.Duration{} // the heartbeat before last, if last is a renewal
	renewal := map[string]bool{}
	for i := range res.Records() {
		r := &res.Records()[i]
		switch r.Kind {
		case "LeaseRenewed", "NodeStatusPatched":
			if n := r.Str("node"); n != "" {
				if h, ok := last[n]; ok {
					prev[n] = h
				} else {
					delete(prev, n)
				}
				last[n], renewal[n] = r.T, r.Kind == "LeaseRenewed"
			}
		case "NodeCondition":
			if r.Str("type") != "Ready" || r.Str("to") != "Unknown" {
				continue
			}
			if rs := r.Str("reason"); rs != reasonUnknown && rs != reasonNeverUpdated {
				continue
			}
			n := r.Str("node")
			if h, ok := last[n]; ok && r.T-h <= grace {
				if p, ok := prev[n]; limited && renewal[n] && (!ok || r.T-p > grace) {
					continue
				}
				return fmt.Errorf("node %s went Unknown at %s, %s after a heartbeat at %s (grace %s)", n, at(r), r.T-h, sim.Seconds(h)+"s", grace)
			}
		}
	}
	return nil
}

// ControllerNeverWritesReadyTrueFalse: Ready True and False come only from the
// kubelet (pkg/kubelet/nodestatus setters.go ReadyCondition: reasons KubeletReady,
// KubeletNotReady, or what it was made to report); the node lifecycle controller only
// ever writes Unknown, with NodeStatusUnknown or NodeStatusNeverUpdated
// (node_lifecycle_controller.go tryUpdateNodeHealth).
func ControllerNeverWritesReadyTrueFalse(res *scenario.Result) error {
	injected := map[string]bool{}
	for _, ev := range res.Scenario.Spec.Events {
		if ev.Action == spec.ActionSetCondition && ev.Condition.Type == "Ready" {
			injected[ev.Condition.Status+"/"+ev.Condition.Reason] = true
		}
	}
	for i := range res.Records() {
		r := &res.Records()[i]
		if r.Kind != "NodeCondition" || r.Str("type") != "Ready" {
			continue
		}
		to, reason := r.Str("to"), r.Str("reason")
		switch to {
		case "True", "False":
			if reason == reasonUnknown || reason == reasonNeverUpdated {
				return fmt.Errorf("node %s Ready=%s at %s with the controller's reason %s", r.Str("node"), to, at(r), reason)
			}
			ok := (to == "True" && reason == reasonKubeletReady) || (to == "False" && reason == reasonKubeletNotReady) || injected[to+"/"+reason]
			if !ok {
				return fmt.Errorf("node %s Ready=%s at %s with reason %q: not the kubelet's", r.Str("node"), to, at(r), reason)
			}
		case "Unknown":
			if reason != reasonUnknown && reason != reasonNeverUpdated && !injected["Unknown/"+reason] {
				return fmt.Errorf("node %s Ready=Unknown at %s with reason %q", r.Str("node"), to, reason)
			}
		}
	}
	return nil
}

// nodeTaints tracks each node's taints (with the time each was added) through the trace.
type nodeTaints map[string]map[string]time.Duration

func (nt nodeTaints) apply(r *sim.Record) {
	n := r.Str("node")
	switch r.Kind {
	case "TaintAdded":
		if nt[n] == nil {
			nt[n] = map[string]time.Duration{}
		}
		nt[n][r.Str("taint")] = r.T
		nt.track(n, r.T)
	case "TaintRemoved":
		if nt[n] == nil {
			return
		}
		if _, ok := nt[n][r.Str("taint")]; ok {
			delete(nt[n], r.Str("taint"))
			nt[n][goneKey+r.Str("taint")] = r.T
		}
		nt.track(n, r.T)
	case "NodeDeleted":
		// The taint eviction controller only forgets the node (handleNodeUpdate on
		// NotFound: delete(tc.taintedNodes, name)); evictions it has scheduled for the
		// node's pods still fire. Keep the taints as they were until a new Node of that
		// name registers.
		if nt[n] == nil {
			nt[n] = map[string]time.Duration{}
		}
		nt[n][deletedKey] = r.T
	case "NodeRegistered":
		if _, ok := nt[n][deletedKey]; !ok {
			return
		}
		// A new Node object: its taints are its own (TaintAdded records follow); the
		// old ones end here, which cancels evictions unless NoExecute taints come back
		// at this instant.
		delete(nt[n], deletedKey)
		for k := range nt[n] {
			if !strings.HasPrefix(k, "\x00") {
				delete(nt[n], k)
				nt[n][goneKey+k] = r.T
			}
		}
		nt.track(n, r.T)
	}
}

// noExecuteSince returns since when the node has carried at least one NoExecute taint
// without a break: the taint eviction controller keeps a pod's scheduled eviction (and
// its CreatedAt) while the taints change, and cancels it when none is left. A period
// that ended at now still counts (see noExecute).
func (nt nodeTaints) noExecuteSince(n string, now time.Duration) time.Duration {
	if s, ok := nt[n][sinceKey]; ok {
		return s
	}
	if end, ok := nt[n][endKey]; ok && end == now {
		return nt[n][lastSinceKey]
	}
	return 0
}

// Special keys in a node's map: the start of its current NoExecute period, the start
// and end of the last period, and taints removed (goneKey+taint → removal time).
const (
	sinceKey     = "\x00since"
	lastSinceKey = "\x00lastSince"
	endKey       = "\x00end"
	goneKey      = "\x00gone:"
	deletedKey   = "\x00deleted"
)

func (nt nodeTaints) track(n string, t time.Duration) {
	count := 0
	for k := range nt[n] {
		if !strings.HasPrefix(k, "\x00") && strings.HasSuffix(k, ":NoExecute") {
			count++
		}
	}
	since, had := nt[n][sinceKey]
	switch {
	case count > 0 && !had:
		if end, ok := nt[n][endKey]; ok && end == t {
			nt[n][sinceKey] = nt[n][lastSinceKey] // removed and re-added at one instant
		} else {
			nt[n][sinceKey] = t
		}
	case count == 0 && had:
		delete(nt[n], sinceKey)
		nt[n][lastSinceKey], nt[n][endKey] = since, t
	}
}

// noExecute returns the node's NoExecute taints, parsed, with TimeAdded set, plus
// those removed at now: controllers act on their informers, which see a change made
// at an instant only after the other events of that instant (the taint eviction
// controller of a new leader may evict on the taint the new node lifecycle controller
// is removing at that same instant, as upstream's can within milliseconds).
func (nt nodeTaints) noExecute(n string, now time.Duration) []taint.Taint {
	var out []taint.Taint
	for s, t := range nt[n] {
		if gone, ok := strings.CutPrefix(s, goneKey); ok {
			if t != now {
				continue
			}
			s = gone
		} else if strings.HasPrefix(s, "\x00") {
			continue
		}
		if !strings.HasSuffix(s, ":NoExecute") {
			continue
		}
		if tt, err := taint.Parse(s); err == nil {
			tt.TimeAdded = t
			out = append(out, tt)
		}
	}
	return out
}

// PodTolerations returns the tolerations a pod of the scenario has once admitted: its
// manifest's (or its workload template's, matched by name prefix) plus the
// DefaultTolerationSeconds admission plugin's, plus the DaemonSet controller's for
// DaemonSet pods. ok is false for a pod the scenario does not describe.
func PodTolerations(sc *scenario.Scenario, pod string) (tols []taint.Toleration, ok bool) {
	ns, name, _ := strings.Cut(pod, "/")
	var ds bool
	for _, o := range sc.Spec.Objects {
		m := o.Meta()
		if m.Namespace != ns {
			continue
		}
		switch {
		case o.Pod != nil && m.Name == name:
			tols, ok = convert(o.Pod.Spec.Tolerations), true
		case o.Deployment != nil && strings.HasPrefix(name, m.Name+"-"):
			tols, ok = convert(o.Deployment.Spec.Template.Spec.Tolerations), true
		case o.ReplicaSet != nil && strings.HasPrefix(name, m.Name+"-"):
			tols, ok = convert(o.ReplicaSet.Spec.Template.Spec.Tolerations), true
		case o.DaemonSet != nil && strings.HasPrefix(name, m.Name+"-"):
			tols, ok, ds = convert(o.DaemonSet.Spec.Template.Spec.Tolerations), true, true
		}
		if ok {
			break
		}
	}
	if !ok {
		return nil, false
	}
	if ds {
		tols = taint.DaemonSetTolerations(tols, false)
	}
	a := sc.Spec.APIServer
	return taint.AddDefaultTolerationSeconds(tols, a.DefaultNotReadyTolerationSeconds, a.DefaultUnreachableTolerationSeconds), true
}

func convert(in []corev1Toleration) []taint.Toleration {
	out := make([]taint.Toleration, len(in))
	for i, t := range in {
		out[i] = taint.Toleration{Key: t.Key, Operator: taint.Operator(t.Operator), Value: t.Value, Effect: taint.Effect(t.Effect), TolerationSeconds: t.TolerationSeconds}
	}
	return out
}

// NoEarlyTaintEviction: the taint eviction controller deletes a pod for NoExecute
// taints no earlier than the minimum tolerationSeconds of the tolerations it uses,
// counted from when it saw the taints (pkg/controller/tainteviction taint_eviction.go
// processPodOnNode: triggerTime = now + getMinTolerationTime; ≤ 0 seconds and
// untolerated taints evict at once). Once an eviction is scheduled, later taint changes
// do not move it: processPodOnNode keeps the scheduled work whenever its CreatedAt plus
// the new minimum is before now plus the new minimum, that is whenever it was created
// earlier (so a pod tolerating unreachable for 20 s is still evicted 20 s after the
// unreachable taint when it is swapped for not-ready, which it tolerates for 300 s). So
// the eviction comes no earlier than the start of the node's current unbroken NoExecute
// period plus the smallest minimum toleration of any set of NoExecute taints the node
// had during that period.
func NoEarlyTaintEviction(res *scenario.Result) error {
	nt := nodeTaints{}
	type period struct {
		since time.Duration
		sets  [][]taint.Taint // the node's NoExecute taint sets during the period
	}
	periods := map[string]*period{}
	check := func(pod, n string, now time.Duration) error {
		tols, ok := PodTolerations(res.Scenario, pod)
		if !ok {
			return nil
		}
		taints := nt.noExecute(n, now)
		if len(taints) == 0 {
			return fmt.Errorf("pod %s evicted by the taint manager at %ss but node %s has no NoExecute taint", pod, sim.Seconds(now), n)
		}
		all, used := taint.GetMatchingTolerations(taints, tols, false)
		if !all {
			return nil // an untolerated taint evicts at once
		}
		d, forever := taint.MinTolerationTime(used)
		if forever {
			return fmt.Errorf("pod %s evicted at %ss though it tolerates every NoExecute taint of %s forever", pod, sim.Seconds(now), n)
		}
		earliest := nt.noExecuteSince(n, now)
		if p := periods[n]; p != nil && p.since == earliest {
			for _, set := range p.sets {
				all, used := taint.GetMatchingTolerations(set, tols, false)
				if !all {
					d = 0 // evicted at once when this set was seen
					break
				}
				if ds, forever := taint.MinTolerationTime(used); !forever {
					d = min(d, ds)
				}
			}
		}
		if now < earliest+d {
			return fmt.Errorf("pod %s evicted at %ss, before its toleration of %s ran out (taints since %s)", pod, sim.Seconds(now), d, sim.Seconds(earliest)+"s")
		}
		return nil
	}
	evictions := newEvictionDecisions(res.Records())
	for i := range res.Records() {
		r := &res.Records()[i]
		nt.apply(r)
		switch r.Kind {
		case "TaintAdded", "TaintRemoved", "NodeRegistered":
			n := r.Str("node")
			cur := nt.noExecute(n, r.T)
			if len(cur) == 0 {
				continue
			}
			since := nt.noExecuteSince(n, r.T)
			if p := periods[n]; p == nil || p.since != since {
				periods[n] = &period{since: since}
			}
			periods[n].sets = append(periods[n].sets, cur)
			continue
		}
		if err := evictions.see(r, check); err != nil {
			return err
		}
	}
	return nil
}

// evictionDecisions follows the taint eviction controller's evictions. Its client is
// rate limited (flowcontrol), so an eviction's DELETE, and its PodEvicted record, can
// come after the instant it fired, when the taints may have changed: upstream's
// goroutine goes on whatever happens meanwhile. The decision is checked at the
// "Marking for deletion" Event the controller records when the eviction fires, and
// its verdict reported at the PodEvicted record. A pod can be marked again while its
// first DELETE waits (its taint removed and added back: immediate work is not
// cancelled), so each pod keeps the verdicts of its markings in order, one per DELETE.
type evictionDecisions struct {
	podNode map[string]string  // pod → its node (a pod's binding never changes)
	verdict map[string][]error // pod → the checks of its evictions that fired, oldest first
}

const markingPrefix = "Marking for deletion Pod "

// newEvictionDecisions learns each pod's node from the records that name it: pods of
// a cluster that starts out running were never created in the trace.
func newEvictionDecisions(recs []sim.Record) *evictionDecisions {
	e := &evictionDecisions{podNode: map[string]string{}, verdict: map[string][]error{}}
	for i := range recs {
		switch r := &recs[i]; r.Kind {
		case "PodCreated", "PodScheduled", "PodEvicted":
			if n := r.Str("node"); n != "" {
				e.podNode[r.Str("pod")] = n
			}
		}
	}
	return e
}

func (e *evictionDecisions) see(r *sim.Record, check func(pod, node string, now time.Duration) error) error {
	switch r.Kind {
	case "Event":
		if r.Str("reason") == "TaintManagerEviction" && strings.HasPrefix(r.Str("message"), markingPrefix) {
			pod := r.Str("object")
			e.verdict[pod] = append(e.verdict[pod], check(pod, e.podNode[pod], r.T))
		}
	case "PodEvicted":
		if r.Str("reason") != "TaintManagerEviction" {
			return nil
		}
		pod := r.Str("pod")
		if vs := e.verdict[pod]; len(vs) > 0 {
			if e.verdict[pod] = vs[1:]; len(vs) == 1 {
				delete(e.verdict, pod)
			}
			return vs[0]
		}
		return check(pod, r.Str("node"), r.T)
	}
	return nil
}

// foreverTolerant reports whether tolerations tolerate every NoExecute taint forever
// (an empty-key Exists toleration with no tolerationSeconds for NoExecute or every effect).
// ForeverTolerantNeverEvicted: a pod is never deleted by the taint eviction
// controller while, for every NoExecute taint on its node, the first toleration (in
// pod-spec order) that tolerates it has no tolerationSeconds
// (taint_eviction.go processPodOnNode with GetMatchingTolerations and
// getMinTolerationTime: all-nil seconds ⇒ minTolerationTime < 0 ⇒ no eviction). The
// first matching toleration decides: {operator: Exists, tolerationSeconds: 0} listed
// before a tolerate-forever one evicts at once, as upstream.
func ForeverTolerantNeverEvicted(res *scenario.Result) error {
	nt := nodeTaints{}
	check := func(pod, n string, now time.Duration) error {
		tols, ok := PodTolerations(res.Scenario, pod)
		if !ok {
			return nil
		}
		taints := nt.noExecute(n, now)
		if len(taints) == 0 {
			return nil
		}
		if matched, used := taint.GetMatchingTolerations(taints, tols, false); matched {
			if _, forever := taint.MinTolerationTime(used); forever {
				return fmt.Errorf("pod %s tolerates every NoExecute taint of node %s forever but was evicted at %ss", pod, n, sim.Seconds(now))
			}
		}
		return nil
	}
	evictions := newEvictionDecisions(res.Records())
	for i := range res.Records() {
		r := &res.Records()[i]
		nt.apply(r)
		if err := evictions.see(r, check); err != nil {
			return err
		}
	}
	return nil
}

// controllerNoExecute are the NoExecute taints the node lifecycle controller manages.
var controllerNoExecute = map[string]bool{
	"node.kubernetes.io/unreachable:NoExecute": true,
	"node.kubernetes.io/not-ready:NoExecute":   true,
}

// actionNodes returns the nodes an Action record applied to.
func actionNodes(r *sim.Record) []string {
	if ns := r.Str("nodes"); ns != "" {
		return strings.Split(ns, ",")
	}
	if t := r.Str("target"); t != "" && !strings.Contains(t, "=") {
		return strings.Split(t, ",")
	}
	return nil
}

// freshControllerTaints returns the indexes of TaintAdded records that may be the node
// lifecycle controller's rate-limited NoExecute taints: not an operator's taint
// (an Action taint on that node at the same instant), and not a possible swap of
// not-ready for unreachable or back.
//
// A swap is processTaintBaseEviction's (node_lifecycle_controller.go, v1.31.0 lines 788
// and 798, v1.37.2 804 and 814): a monitor pass's visit finds the opposite NoExecute
// taint on the node's listed copy and calls SwapNodeControllerTaint at once, with no
// zone token. (The tainting tick's action is a swap too, after its zone token; leaving
// it uncounted only loosens the checks.) The trace does not show the listed copy, which
// may be older than the node's current taints: the pass lists at its start, and under
// the controller's client limit its visits and their writes wait for tokens. So an add
// counts as a swap when the node carries the opposite taint, lost it at that instant, or
// carried it at any instant since the controller's current process started (its last
// Leader record; its informers list nothing older). The case that needs the last: a new
// process's first pass untaints every node it sees for the first time
// (markNodeAsReachable in monitorNodeHealth's loop over the added nodes, serial and
// before the visits, v1.31.0 line 690, v1.37.2 line 700), then its visit swaps from the
// listed copy, which still carries the removed taint; the swap's own removal finds
// nothing (RemoveTaintOffNode GETs the node and does not PATCH). With a client limit the
// removal and the swap's add land seconds apart
// (testdata/regressions/failover-swap-after-reachable.yaml). The price: a node that lost
// an opposite taint earlier in the process's term and is later tainted through the queue
// is not counted either.
func freshControllerTaints(recs []sim.Record) map[int]bool {
	out := map[int]bool{}
	operator := map[string]time.Duration{} // node → time of the last operator taint action
	nt := nodeTaints{}
	removedAt := map[string]time.Duration{}
	var leader time.Duration // the current controller process's start
	for i := range recs {
		r := &recs[i]
		if r.Kind == "Leader" {
			leader = r.T
		}
		if r.Kind == "Action" && r.Str("action") == "taint" {
			for _, n := range actionNodes(r) {
				operator[n] = r.T
			}
		}
		if r.Kind == "TaintRemoved" && controllerNoExecute[r.Str("taint")] {
			removedAt[r.Str("node")] = r.T
		}
		if r.Kind == "TaintAdded" && controllerNoExecute[r.Str("taint")] {
			n := r.Str("node")
			if t, ok := operator[n]; ok && t == r.T {
				nt.apply(r)
				continue
			}
			swap := false
			for k := range controllerNoExecute {
				if k == r.Str("taint") {
					continue
				}
				if _, on := nt[n][k]; on {
					swap = true
				}
				if t, ok := nt[n][goneKey+k]; ok && t >= leader {
					swap = true // on the node since the process started: maybe its listed copy
				}
			}
			if t, ok := removedAt[n]; ok && t == r.T {
				swap = true
			}
			if !swap {
				out[i] = true
			}
		}
		nt.apply(r)
	}
	return out
}

// zoneMembers follows, from the trace, which registered nodes each zone has and how many
// of them count for disruption (those without the node.kubernetes.io/exclude-disruption
// label): the node lifecycle controller's zoneToNodeConditions.
type zoneMembers struct {
	zoneOf   map[string]string
	excluded map[string]bool
	members  map[string]map[string]bool // zone → registered nodes
	// controller: members follow the controller's knownNodeSet (its RegisteredNode and
	// RemovingNode Events, emptied at a Leader record) instead of the API's NodeRegistered
	// and NodeDeleted records; see newControllerZoneMembers.
	controller bool
}

func newZoneMembers(sc *scenario.Scenario) *zoneMembers {
	zm := &zoneMembers{zoneOf: map[string]string{}, excluded: map[string]bool{}, members: map[string]map[string]bool{}}
	for _, n := range sc.Spec.Nodes {
		zm.zoneOf[n.Name] = n.Zone
		_, zm.excluded[n.Name] = n.Labels[taint.ExcludeDisruptionLabel]
	}
	for _, name := range restoredNodes(sc) {
		z := zm.zoneOf[name]
		if zm.members[z] == nil {
			zm.members[z] = map[string]bool{}
		}
		zm.members[z][name] = true
	}
	for _, ev := range sc.Spec.Events {
		for _, n := range ev.AddNodes {
			zm.zoneOf[n.Name] = n.Zone
			_, zm.excluded[n.Name] = n.Labels[taint.ExcludeDisruptionLabel]
		}
	}
	return zm
}

// newControllerZoneMembers follows the zones as the node lifecycle controller's monitor
// pass weighs them: monitorNodeHealth lists the nodes once, at its start
// (node_lifecycle_controller.go, v1.31.0 line 676, v1.37.2 line 686), classifies them
// against knownNodeSet (RegisteredNode and RemovingNode Events, lines 685–697 and
// 695–707), visits them, and gives handleDisruption the zones of that list (lines 774
// and 790). Under the controller's client limit the visits' writes wait for client
// tokens, so the pass's ZoneState records can come seconds after its list, and a node
// deleted in between is still weighed (with its Ready condition as listed) by that
// pass; the next pass's RemovingNode Event is where the controller drops it. A new
// process (its Leader record) knows no node until its first pass registers them.
//
// It only approximates zoneToNodeConditions from above: a listed node whose visit fails
// (deleted mid-pass, its status write NotFound, the re-GET NotFound) is skipped and left
// out of its zone for that pass; the checks then count a zone the controller did not.
func newControllerZoneMembers(sc *scenario.Scenario) *zoneMembers {
	zm := newZoneMembers(sc)
	zm.members, zm.controller = map[string]map[string]bool{}, true
	return zm
}

// restoredNodes are the nodes a running start (spec.start: running) restores at time
// zero, registered and Ready, without any trace record.
func restoredNodes(sc *scenario.Scenario) []string {
	if sc.Spec.Start != spec.StartRunning {
		return nil
	}
	var out []string
	for _, n := range sc.Spec.Nodes {
		if n.Kubelet.RegisterNode {
			out = append(out, n.Name)
		}
	}
	return out
}

// restoredPods are the pods a running start restores at time zero, running and Ready
// (workload.Settle places them) unless Settle left them Pending for the scheduler,
// without any trace record: those still stored at the end with a creation time
// before zero, and those the trace names without ever recording their creation.
func restoredPods(res *scenario.Result) map[string]bool {
	out := map[string]bool{}
	if res.Scenario.Spec.Start != spec.StartRunning {
		return out
	}
	if res.World != nil {
		res.World.Server.Pods.Each(func(p *apiserver.Pod) {
			if p.CreationTimestamp < 0 {
				out[p.Key()] = true
			}
		})
	}
	created := map[string]bool{}
	for i := range res.Records() {
		r := &res.Records()[i]
		p := r.Str("pod")
		switch {
		case p == "":
		case r.Kind == "PodCreated":
			created[p] = true
		case !created[p]:
			out[p] = true
		}
	}
	return out
}

// apply follows NodeRegistered and NodeDeleted records, or for the controller's view
// its RegisteredNode and RemovingNode Events and Leader records.
func (zm *zoneMembers) apply(r *sim.Record) {
	if zm.controller {
		zm.applyController(r)
		return
	}
	n := r.Str("node")
	switch r.Kind {
	case "NodeRegistered":
		z := zm.zoneOf[n]
		if zm.members[z] == nil {
			zm.members[z] = map[string]bool{}
		}
		zm.members[z][n] = true
	case "NodeDeleted":
		delete(zm.members[zm.zoneOf[n]], n)
	}
}

func (zm *zoneMembers) applyController(r *sim.Record) {
	if r.Kind == "Leader" {
		zm.members = map[string]map[string]bool{}
		return
	}
	if r.Kind != "Event" {
		return
	}
	n, ok := strings.CutPrefix(r.Str("object"), "node/")
	if !ok {
		return
	}
	z := zm.zoneOf[n]
	switch r.Str("reason") {
	case "RegisteredNode":
		if zm.members[z] == nil {
			zm.members[z] = map[string]bool{}
		}
		zm.members[z][n] = true
	case "RemovingNode":
		delete(zm.members[z], n)
	}
}

// counted reports whether zone z has a registered node that counts for disruption.
func (zm *zoneMembers) counted(z string) bool {
	for m := range zm.members[z] {
		if !zm.excluded[m] {
			return true
		}
	}
	return false
}

// NoNoExecuteWhileAllZonesFullyDisrupted: when every zone is in FullDisruption the
// node lifecycle controller assumes its own connectivity is broken and stops tainting
// (node_lifecycle_controller.go handleDisruption: allAreFullyDisrupted → "Controller
// detected that all Nodes are not-Ready. Entering master disruption mode", the tainter
// of every zone in nc.zoneStates swapped to rate 0).
//
// A zone with no counted node (every node labelled node.kubernetes.io/exclude-disruption)
// is not part of that: isNodeExcludedFromDisruptionChecks keeps its nodes out of
// zoneToNodeConditions, so handleDisruption does not weigh the zone in
// allAreFullyDisrupted; it may forget the zone (then, at the next pass,
// addPodEvictorForNewZone gives it a new tainter at nodeEvictionRate) or keep it.
// Taints of nodes in such a zone are allowed, and the check considers only the zones
// that have counted nodes.
//
// The mode is entered only by a change of zone states, never by a zone dropping out:
// handleDisruption deletes a zone missing from zoneToNodeConditions (its last counted
// node deleted, say) while it computes allWasFullyDisrupted, so when the zones left
// are all FullDisruption both allAre and allWas hold and the mode does not start; the
// remaining zones keep tainting at their rate (the real v1.31 controllers on the
// oracle taint so; found by a CI run of TestPropertyInvariantsVerbose, seed 16).
// Which zones a pass weighs is the nodes it listed at its start, not those that
// exist when its ZoneState records come (newControllerZoneMembers): under the client
// limit a pass's writes wait for tokens, so a zone whose last counted node is deleted
// meanwhile is still weighed, with its listed Ready, by the pass that records the
// other zones' FullDisruption, and is dropped (RemovingNode) by the next pass, which
// does not enter the mode (testdata/regressions/zone-dropped-after-pass-listed-it.yaml).
//
// When the controller's client is rate limited (kubeAPIQPS > 0), the tainting tick's
// swap in flight when the mode starts (its zone token taken before, its PATCH waiting
// for a client token) lands after: one taint is allowed then.
//
// A new leader is a new process (its Leader record): its zoneStates start empty, each
// zone Initial, so the mode ends for it until its first pass's handleDisruption finds
// every zone FullDisruption again and enters it (the ZoneState records "from Initial"),
// with the swap its tick started during that pass in flight
// (testdata/regressions/failover-master-disruption-swap-in-flight.yaml).
func NoNoExecuteWhileAllZonesFullyDisrupted(res *scenario.Result) error {
	fresh := freshControllerTaints(res.Records())
	zm := newControllerZoneMembers(res.Scenario)
	zones := map[string]string{}
	master := false
	limited := res.Scenario.Spec.ControllerManager.KubeAPIQPS > 0
	inFlight := 0
	for i := range res.Records() {
		r := &res.Records()[i]
		zm.apply(r)
		if r.Kind == "Leader" {
			// A new process: its zones are Initial (addPodEvictorForNewZone), so it is
			// not in master disruption mode until its first pass's handleDisruption
			// finds them all FullDisruption; its predecessor sends nothing more.
			zones, master, inFlight = map[string]string{}, false, 0
		}
		if r.Kind == "ZoneState" {
			zones[r.Str("zone")] = r.Str("to")
			all, any := true, false
			for z, s := range zones {
				if zm.counted(z) {
					all, any = all && s == "FullDisruption", true
				}
			}
			was := master
			master = any && all
			if master && !was && limited {
				inFlight = 1
			}
		}
		if !fresh[i] || !zm.counted(zm.zoneOf[r.Str("node")]) {
			continue
		}
		if master && inFlight > 0 {
			inFlight--
			continue
		}
		if master {
			return fmt.Errorf("node %s tainted %s at %s while every zone is in FullDisruption", r.Str("node"), r.Str("taint"), at(r))
		}
	}
	return nil
}

// NoExecuteRateLimited: per zone, the controller adds NoExecute taints through a
// token-bucket limiter of burst 1 at nodeEvictionRate (or the secondary rate)
// (node_lifecycle_controller.go zoneNoExecuteTainter, NewRateLimitedTimedQueue with
// flowcontrol.NewTokenBucketRateLimiter(rate, 1), drained every NodeEvictionPeriod =
// 100 ms). So, once the burst is used, two taints in one zone are at least 1/rate
// apart, less the 100 ms tick. A new leader, a zone state change (SwapLimiter), or a
// zone that gets a counted node again starts a fresh burst.
//
// A zone with no counted node (only exclude-disruption nodes) is not rate limited
// this way: handleDisruption may drop it from zoneStates at the end of a monitor pass
// (it is not in zoneToNodeConditions), and addPodEvictorForNewZone then replaces its
// tainter, bucket full, at the start of the next one, so it may taint once per pass.
// Its taints are not checked.
//
// When the controller's own client is rate limited (kubeAPIQPS > 0), a taint's PATCH
// is sent when its client token comes, which may be long after the zone's token: two
// taints can then land closer together than the zone's rate, though their zone tokens
// were not, and the first to land after a zone's fresh burst may have taken its zone
// token before it (the tainting tick sends one swap at a time; a new leader sends none
// of its predecessor's). The check is then that the k-th taint since the fresh burst
// began comes no earlier than k-1 zone periods after it, k-2 after a zone state change
// or a zone's first counted node. That is what upstream guarantees of the tokens:
// RateLimitedTimedQueue.Try (scheduler/rate_limited_queue.go, v1.31.0 and v1.37.2
// lines 231–256) takes the zone token (TryAccept, line 237) before it calls the swap,
// and waits for the swap's requests before the next, so each write follows its token,
// and the k-th token of a burst-1 bucket full at the start comes at least k-1 periods
// after it. Which taints count is freshControllerTaints': not a swap a monitor pass
// makes at once (no zone token), which under the client limit can land seconds after
// the removal that emptied the node (a new process's first pass; see there).
func NoExecuteRateLimited(res *scenario.Result) error {
	cm := res.Scenario.Spec.ControllerManager
	rate := max(cm.NodeEvictionRate, cm.SecondaryNodeEvictionRate)
	if rate <= 0 {
		rate = 1e-9
	}
	gap := time.Duration(float64(time.Second)/rate) - tickSlack
	limited := cm.KubeAPIQPS > 0
	fresh := freshControllerTaints(res.Records())
	zm := newZoneMembers(res.Scenario)
	last := map[string]time.Duration{}
	// limited: when the zone's fresh burst began, and the taints since
	base := map[string]time.Duration{}
	count := map[string]int{}
	carry := map[string]bool{} // a swap whose zone token came before base may land after it
	reset := func(z string, t time.Duration) {
		delete(last, z)
		base[z], count[z], carry[z] = t, 0, true
	}
	for i := range res.Records() {
		r := &res.Records()[i]
		switch {
		case r.Kind == "NodeRegistered":
			if z := zm.zoneOf[r.Str("node")]; !zm.counted(z) {
				// The zone had no counted node: its next pass brings a new tainter.
				reset(z, r.T)
			}
		case r.Kind == "Leader":
			last = map[string]time.Duration{}
			for z := range base {
				base[z], count[z], carry[z] = r.T, 0, false
			}
		case r.Kind == "ZoneState":
			reset(r.Str("zone"), r.T)
		case fresh[i]:
			z := zm.zoneOf[r.Str("node")]
			if !zm.counted(z) {
				reset(z, r.T)
				break
			}
			if limited {
				if _, ok := base[z]; !ok {
					base[z] = 0
				}
				k := count[z]
				if carry[z] {
					k--
				}
				if min := base[z] + time.Duration(k)*gap; k > 0 && r.T < min {
					return fmt.Errorf("zone %q: NoExecute taint on %s at %s is taint %d since %s, earlier than %s (limit %s apart)", z, r.Str("node"), at(r), count[z]+1, sim.Seconds(base[z])+"s", sim.Seconds(min)+"s", gap)
				}
				count[z]++
				break
			}
			if t, ok := last[z]; ok && r.T-t < gap {
				return fmt.Errorf("zone %q: NoExecute taint on %s at %s only %s after the previous one at %s (limit %s)", z, r.Str("node"), at(r), r.T-t, sim.Seconds(t)+"s", gap)
			}
			last[z] = r.T
		}
		zm.apply(r)
	}
	return nil
}

// NoReRegistrationWithoutRestart: the kubelet registers its Node once per process
// start (pkg/kubelet/kubelet_node_status.go registerWithAPIServer, guarded by
// kl.registrationCompleted); a second NodeRegistered for a node needs a kubelet
// start, restart or power-on of that node in between.
//
// Besides those actions, a node of spec.nodes starts its kubelet once by itself when
// its machine boots, at a random instant within its first nodeStatusUpdateFrequency
// (scenario World.addNode; no trace record). That start may come after a registration
// that an earlier startKubelet (or powerOn) caused, so one further registration is allowed per
// such node after a registration that happened inside its boot window.
func NoReRegistrationWithoutRestart(res *scenario.Result) error {
	registered := map[string]bool{}
	restarted := map[string]bool{}
	lastReg := map[string]time.Duration{}
	bootWindow := map[string]time.Duration{} // nodes whose boot start may still come
	for _, n := range res.Scenario.Spec.Nodes {
		bootWindow[n.Name] = n.Kubelet.NodeStatusUpdateFrequency
	}
	for i := range res.Records() {
		r := &res.Records()[i]
		switch r.Kind {
		case "Action":
			switch r.Str("action") {
			case "startKubelet", "restartKubelet", "powerOn":
				for _, n := range actionNodes(r) {
					restarted[n] = true
				}
			}
		case "NodeRegistered":
			n := r.Str("node")
			if registered[n] && !restarted[n] {
				w, boot := bootWindow[n]
				if !boot || lastReg[n] >= w {
					return fmt.Errorf("node %s registered again at %s without a kubelet restart", n, at(r))
				}
				delete(bootWindow, n) // this was the boot start's registration
			}
			registered[n], restarted[n], lastReg[n] = true, false, r.T
		}
	}
	return nil
}

// DrainsRespectPDB: kubectl drain evicts through the eviction API, which refuses an
// eviction that would take a PodDisruptionBudget's healthy pods below minAvailable
// (pkg/registry/core/pod/storage/eviction.go checkAndDecrement: DisruptionsAllowed
// must be > 0). The ready pods matching each budget are counted from the trace.
//
// The API skips the budget for a pod that is already terminating or not running
// (eviction.go canIgnorePDB: phase Succeeded, Failed or Pending, or a deletionTimestamp),
// so an eviction of a pod someone had already deleted is not checked: one with an
// earlier PodEvicted record, or one of a Deployment scaled down since it was created
// (its ReplicaSet controller deletes pods without a record of its own), or created
// after such a scale-down beyond the new count (a sync under way when the scale
// came, its creations waiting for the controller's client tokens; the ReplicaSet
// may delete such a pod rather than one the scale found). A pod the
// kubelet kills in a graceful node shutdown (PodEvicted, reason NodeShutdown) is not
// deleted: it stays Running and Ready, counted healthy by the budget, until its
// status says otherwise (its PodReady record). A restored pod is Ready from the start
// unless the scheduler binds it (Settle left it Pending).
//
// The eviction API does not count the pods: it reads the budget's status
// (checkAndDecrement, eviction.go v1.31.0 lines 414–429, DisruptionsAllowed), which
// the disruption controller computes at its syncs (disruption.go trySync, v1.31.0
// lines 721–758: countHealthyPods counts pods whose Ready condition is True and that
// have no deletionTimestamp, a Failed one included) and the eviction API decrements
// for each pod it lets go. A pod that stops counting otherwise (deleted by pod GC or a
// ReplicaSet, evicted by another controller, turned not Ready) still counts until
// the controller's informer has delivered the change and its sync has run, which is
// never at the change's own instant: such a pod still counts for a drain eviction at
// that instant (testdata/regressions/drain-after-podgc-delete-same-instant.yaml: pod
// GC's force deletion of an orphaned pod, Failed but still Ready, and the drain's
// eviction at one instant). nodesim's disruption controller has informers without
// latency and an unlimited client, so its status follows within the instant but
// for a busy worker (a batch keeps it 1 ms) or a status conflict retried;
// upstream's client has --kube-api-qps and its status can lag longer.
func DrainsRespectPDB(res *scenario.Result) error {
	type budget struct {
		app string
		min int
	}
	var budgets []budget
	replicas := map[string]int32{} // "Deployment/ns/name" → spec.replicas
	for _, o := range res.Scenario.Spec.Objects {
		if o.Deployment != nil {
			r := int32(1)
			if o.Deployment.Spec.Replicas != nil {
				r = *o.Deployment.Spec.Replicas
			}
			replicas["Deployment/"+o.Deployment.Namespace+"/"+o.Deployment.Name] = r
		}
		if o.PDB == nil || o.PDB.Spec.MinAvailable == nil || o.PDB.Spec.Selector == nil {
			continue
		}
		budgets = append(budgets, budget{o.PDB.Spec.Selector.MatchLabels["app"], o.PDB.Spec.MinAvailable.IntValue()})
	}
	if len(budgets) == 0 {
		return nil
	}
	ready := map[string]bool{}
	exists := map[string]bool{}
	for p := range restoredPods(res) {
		ready[p], exists[p] = true, true
	}
	deleted := map[string]bool{}       // pods whose deletion someone may have requested
	evicted := map[string]bool{}       // pods whose deletion someone requested (PodEvicted)
	lost := map[string]time.Duration{} // healthy pods that stopped counting, not by a drain → when
	shrunk := map[string]int32{}       // "ns/name" of a Deployment → replicas after its last scale-down
	for i := range res.Records() {
		r := &res.Records()[i]
		p := r.Str("pod")
		switch r.Kind {
		case "PodCreated":
			for key, n := range shrunk {
				if !strings.HasPrefix(p, key+"-") {
					continue
				}
				// a pod a ReplicaSet sync already under way creates after the
				// scale-down is surplus once the Deployment has its new count of
				// active pods: the next sync deletes surplus pods, and which ones is
				// its ranking's choice (getPodsToDelete, ActivePodsWithRanks: the
				// newest Ready may go before the pods the scale found), so every pod
				// not known to be deleting counts, those the scale may have deleted
				// too
				live := int32(0)
				for q := range exists {
					if !evicted[q] && strings.HasPrefix(q, key+"-") {
						live++
					}
				}
				if live >= n {
					deleted[p] = true
				}
			}
			exists[p] = true
		case "Action":
			if r.Str("action") != "scale" {
				continue
			}
			target := r.Str("target")
			n, err := strconv.Atoi(r.Str("replicas"))
			if err != nil {
				continue
			}
			_, key, _ := strings.Cut(target, "/") // namespace/name
			if old, ok := replicas[target]; !ok || int32(n) < old {
				for q := range exists {
					if strings.HasPrefix(q, key+"-") {
						deleted[q] = true
					}
				}
				shrunk[key] = int32(n)
			} else {
				delete(shrunk, key)
			}
			replicas[target] = int32(n)
		case "PodReady":
			if ready[p] && r.Str("to") != "True" {
				lost[p] = r.T
			}
			ready[p] = r.Str("to") == "True"
		case "PodScheduled":
			// a restored replica left Pending (required anti-affinity, spread
			// constraints) is not Ready once bound, until its PodReady record
			ready[p] = false
		case "PodDeleted":
			if ready[p] {
				lost[p] = r.T
			}
			delete(ready, p)
			delete(exists, p)
		case "PodEvicted":
			if r.Str("reason") == "NodeShutdown" {
				continue
			}
			if r.Str("reason") != "Drain" && ready[p] {
				lost[p] = r.T // another controller's deletion: no budget decremented
			}
			if r.Str("reason") == "Drain" && !deleted[p] {
				for _, b := range budgets {
					_, name, _ := strings.Cut(p, "/")
					if !strings.HasPrefix(name, b.app+"-") {
						continue
					}
					healthy := 0
					for q, ok := range ready {
						_, qn, _ := strings.Cut(q, "/")
						if ok && strings.HasPrefix(qn, b.app+"-") {
							healthy++
						}
					}
					for q, t := range lost {
						_, qn, _ := strings.Cut(q, "/")
						if t == r.T && !ready[q] && strings.HasPrefix(qn, b.app+"-") {
							healthy++ // not yet recounted by the disruption controller
						}
					}
					if ready[p] && healthy-1 < b.min {
						return fmt.Errorf("drain evicted %s at %s leaving %d healthy pods of %s (minAvailable %d)", p, at(r), healthy-1, b.app, b.min)
					}
				}
			}
			delete(ready, p)
			deleted[p], evicted[p] = true, true
		}
	}
	return nil
}

// PodGCDeletionJustified: pod GC deletes a pod only under one of its four rules
// (pkg/controller/podgc gc_controller.go gc): gcTerminated (terminated pods over
// --terminated-pod-gc-threshold), gcOrphaned (the pod's node does not exist),
// gcUnscheduledTerminating (terminating and never scheduled), gcTerminating
// (terminating on a not-ready node with the out-of-service taint). From the trace:
// the node is gone, or the pod is unscheduled, or the node carries out-of-service and
// is not Ready, or the pod is not running Ready (terminated) and the threshold is on.
//
// Pod GC's client is rate limited (spec.controllerManager.kubeAPIQPS): the orphan
// rule is decided by a GET of the node, and the pod's PATCH and DELETE may wait for
// their tokens, during which the node may register (again). A node that was missing
// still justifies the deletion if it registered no longer before it than every pod GC
// request of the run could have waited: 2 per deletion and a GET per node deleted or
// registered, at kubeAPIQPS.
func PodGCDeletionJustified(res *scenario.Result) error {
	exists := map[string]bool{}
	readyNode := map[string]bool{}
	podReady := map[string]bool{}
	backAt := map[string]time.Duration{} // when a missing node registered (again)
	for _, n := range restoredNodes(res.Scenario) {
		exists[n], readyNode[n] = true, true
	}
	var lag time.Duration
	if qps := res.Scenario.Spec.ControllerManager.KubeAPIQPS; qps > 0 {
		requests := 0
		for i := range res.Records() {
			switch r := &res.Records()[i]; {
			case r.Kind == "PodEvicted" && r.Str("reason") == "PodGC":
				requests += 2
			case r.Kind == "NodeDeleted" || r.Kind == "NodeRegistered":
				requests++ // at most one GET per node gone and back
			}
		}
		lag = time.Duration(float64(requests) / float64(qps) * float64(time.Second))
	}
	nt := nodeTaints{}
	for i := range res.Records() {
		r := &res.Records()[i]
		nt.apply(r)
		switch r.Kind {
		case "NodeRegistered":
			n := r.Str("node")
			if !exists[n] {
				backAt[n] = r.T
			}
			exists[n] = true
		case "NodeDeleted":
			exists[r.Str("node")] = false
		case "NodeCondition":
			if r.Str("type") == "Ready" {
				readyNode[r.Str("node")] = r.Str("to") == "True"
			}
		case "PodReady":
			podReady[r.Str("pod")] = r.Str("to") == "True"
		case "PodEvicted":
			if r.Str("reason") != "PodGC" {
				continue
			}
			n, p := r.Str("node"), r.Str("pod")
			oos := false
			for k := range nt[n] {
				oos = oos || strings.HasPrefix(k, "node.kubernetes.io/out-of-service")
			}
			back, wasBack := backAt[n]
			switch {
			case n == "" || !exists[n]:
			case wasBack && r.T-back <= lag:
			case oos && !readyNode[n]:
			case !podReady[p] && res.Scenario.Spec.ControllerManager.TerminatedPodGCThreshold > 0:
			default:
				return fmt.Errorf("pod GC deleted %s on %s at %s under none of its rules", p, n, at(r))
			}
		}
	}
	return nil
}

type corev1Toleration = corev1.Toleration
