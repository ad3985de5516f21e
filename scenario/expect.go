package scenario

import (
	"fmt"
	"iter"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/scenario/spec"
	"github.com/nodesim/nodesim/sim"
)

// Expectation is one entry of a scenario's expect: list (see spec.Expectation).
type Expectation = spec.Expectation

// Mode says how an expectation's time is read (At, By or After).
type Mode = spec.Mode

// Expectation modes.
const (
	At    = spec.ModeAt
	By    = spec.ModeBy
	After = spec.ModeAfter
)

// describe renders the expectation as a scenario file would.
func describe(x *Expectation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %ss: ", x.Mode, sim.Seconds(x.Time))
	switch {
	case x.Node != "":
		fmt.Fprintf(&b, "node %s", x.Node)
	case x.Pod != "":
		fmt.Fprintf(&b, "pod %s", x.Pod)
	case x.Deployment != "":
		fmt.Fprintf(&b, "deployment %s", x.Deployment)
	}
	switch {
	case x.Ready != nil:
		fmt.Fprintf(&b, " ready: %s", *x.Ready)
	case x.Taint != nil:
		fmt.Fprintf(&b, " taint: %s", x.Taint)
	case x.Deleted != nil:
		fmt.Fprintf(&b, " deleted: %t", *x.Deleted)
	case x.Evicted != nil:
		fmt.Fprintf(&b, " evicted: %t", *x.Evicted)
	case x.ReadyReplicasMin != nil || x.ReadyReplicasMax != nil:
		if x.ReadyReplicasMin != nil {
			fmt.Fprintf(&b, " readyReplicas.min: %d", *x.ReadyReplicasMin)
		}
		if x.ReadyReplicasMax != nil {
			fmt.Fprintf(&b, " readyReplicas.max: %d", *x.ReadyReplicasMax)
		}
	}
	return b.String()
}

// ExpectationResult says whether an expectation held, and why not.
type ExpectationResult struct {
	Expectation
	OK bool
	// Detail explains a failure: what was observed instead, and when.
	Detail string
}

// observed is the state the trace describes, replayed record by record. Expectations
// are judged against it, so they only ever see what the trace shows, and, for a cluster
// that starts out running, the state at time zero of what they name (observeInitial).
type observed struct {
	nodeReady   map[string]string
	nodeTaints  map[string]map[string]bool
	nodeDeleted map[string]bool
	podReady    map[string]string
	podDeleted  map[string]bool
	podEvicted  map[string]bool
	podSeen     map[string]bool
	workReady   map[string]int
}

func newObserved() *observed {
	return &observed{
		nodeReady: map[string]string{}, nodeTaints: map[string]map[string]bool{}, nodeDeleted: map[string]bool{},
		podReady: map[string]string{}, podDeleted: map[string]bool{}, podEvicted: map[string]bool{},
		podSeen: map[string]bool{}, workReady: map[string]int{},
	}
}

func (o *observed) clone() *observed {
	c := &observed{nodeReady: maps.Clone(o.nodeReady), nodeTaints: map[string]map[string]bool{},
		nodeDeleted: maps.Clone(o.nodeDeleted), podReady: maps.Clone(o.podReady), podDeleted: maps.Clone(o.podDeleted),
		podEvicted: maps.Clone(o.podEvicted), podSeen: maps.Clone(o.podSeen), workReady: maps.Clone(o.workReady)}
	for n, ts := range o.nodeTaints {
		c.nodeTaints[n] = maps.Clone(ts)
	}
	return c
}

// observeInitial is the state at time zero of a cluster that starts out running, of
// the nodes and pods the expectations name: its past is not traced, so a node that
// stays Ready would otherwise never be seen Ready. (A booting cluster's trace shows
// every object from its creation.)
func (w *World) observeInitial() *observed {
	o := newObserved()
	for i := range w.Spec.Expect {
		x := &w.Spec.Expect[i]
		if x.Node != "" {
			if n, ok := w.Server.Nodes.Peek(x.Node); ok {
				o.nodeDeleted[x.Node] = false
				if st := n.ReadyStatus(); st != apiserver.ConditionStatusNone {
					o.nodeReady[x.Node] = st.String()
				}
				for _, t := range n.Taints {
					if o.nodeTaints[x.Node] == nil {
						o.nodeTaints[x.Node] = map[string]bool{}
					}
					o.nodeTaints[x.Node][t.String()] = true
				}
			}
		}
		if x.Deployment != "" {
			// its ready replicas as restored (the first WorkloadReady record shows them
			// at time zero, but an expectation may be judged just before)
			if d, ok := w.Server.Deployments.Peek(x.Deployment); ok {
				o.workReady["deployment/"+x.Deployment] = int(d.ReadyReplicas)
			}
		}
		if x.Pod != "" {
			if p, ok := w.Server.Pods.Peek(x.Pod); ok {
				o.podSeen[x.Pod], o.podDeleted[x.Pod], o.podEvicted[x.Pod] = true, false, false
				o.podReady[x.Pod] = apiserver.ConditionFalse.String()
				if p.IsReady() {
					o.podReady[x.Pod] = apiserver.ConditionTrue.String()
				}
			}
		}
	}
	return o
}

func (o *observed) apply(r *sim.Record) {
	switch r.Kind {
	case "NodeRegistered":
		n := r.Str("node")
		o.nodeDeleted[n] = false
	case "NodeDeleted":
		n := r.Str("node")
		o.nodeDeleted[n] = true
		delete(o.nodeReady, n)
		delete(o.nodeTaints, n)
	case "NodeCondition":
		if r.Str("type") == "Ready" {
			o.nodeReady[r.Str("node")] = r.Str("to")
		}
	case "TaintAdded":
		n := r.Str("node")
		if o.nodeTaints[n] == nil {
			o.nodeTaints[n] = map[string]bool{}
		}
		o.nodeTaints[n][r.Str("taint")] = true
	case "TaintRemoved":
		delete(o.nodeTaints[r.Str("node")], r.Str("taint"))
	case "PodCreated":
		p := r.Str("pod")
		o.podSeen[p] = true
		o.podDeleted[p] = false
		o.podEvicted[p] = false
		delete(o.podReady, p)
	case "PodReady":
		o.podReady[r.Str("pod")] = r.Str("to")
	case "PodEvicted":
		o.podEvicted[r.Str("pod")] = true
	case "PodDeleted":
		o.podDeleted[r.Str("pod")] = true
		delete(o.podReady, r.Str("pod")) // a pod that is gone is not Ready
	case "WorkloadReady":
		if v, err := strconv.Atoi(r.Str("ready")); err == nil {
			o.workReady[r.Str("workload")] = v
		}
	}
}

// holds evaluates the expectation's predicate on the current state.
func (o *observed) holds(x *Expectation) (bool, string) {
	switch {
	case x.Node != "":
		n := x.Node
		switch {
		case x.Ready != nil:
			got := o.nodeReady[n]
			return got == *x.Ready, "Ready=" + orNone(got)
		case x.Taint != nil:
			has := o.nodeTaints[n][x.Taint.String()]
			return has, fmt.Sprintf("taint present=%t", has)
		case x.Deleted != nil:
			return o.nodeDeleted[n] == *x.Deleted, fmt.Sprintf("deleted=%t", o.nodeDeleted[n])
		}
	case x.Pod != "":
		p := x.Pod
		switch {
		case x.Ready != nil:
			got := o.podReady[p]
			return got == *x.Ready, "Ready=" + orNone(got)
		case x.Deleted != nil:
			return o.podDeleted[p] == *x.Deleted, fmt.Sprintf("deleted=%t", o.podDeleted[p])
		case x.Evicted != nil:
			return o.podEvicted[p] == *x.Evicted, fmt.Sprintf("evicted=%t", o.podEvicted[p])
		}
	case x.Deployment != "":
		got := o.workReady["deployment/"+x.Deployment]
		if x.ReadyReplicasMin != nil || x.ReadyReplicasMax != nil {
			// Both bounds when both are given: a range.
			ok := (x.ReadyReplicasMin == nil || got >= *x.ReadyReplicasMin) &&
				(x.ReadyReplicasMax == nil || got <= *x.ReadyReplicasMax)
			return ok, fmt.Sprintf("readyReplicas=%d", got)
		}
	}
	return false, "expectation has no predicate"
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// Evaluate judges expectations against a trace (records in time order).
func Evaluate(recs []sim.Record, exps []Expectation) []ExpectationResult {
	return evaluate(nil, sim.Each(recs), exps)
}

// evaluate is Evaluate over records in order, however they are held, from the state
// initial (nil: nothing observed yet).
func evaluate(initial *observed, recs iter.Seq[*sim.Record], exps []Expectation) []ExpectationResult {
	out := make([]ExpectationResult, len(exps))
	if len(exps) == 0 {
		return out // nothing to judge: the trace need not be replayed
	}
	type status struct {
		done   bool
		ok     bool
		detail string
	}
	st := make([]status, len(exps))
	o := newObserved()
	if initial != nil {
		o = initial.clone()
	}
	check := func(now time.Duration, final bool) {
		for i := range exps {
			x := &exps[i]
			s := &st[i]
			if s.done {
				continue
			}
			switch x.Mode {
			case At:
				if now >= x.Time || final {
					ok, d := o.holds(x)
					s.done, s.ok, s.detail = true, ok, fmt.Sprintf("at %ss: %s", sim.Seconds(x.Time), d)
				}
			case By:
				if now > x.Time {
					_, d := o.holds(x)
					s.done, s.ok, s.detail = true, false, fmt.Sprintf("not true by %ss (at %ss: %s)", sim.Seconds(x.Time), sim.Seconds(x.Time), d)
					continue
				}
				if ok, _ := o.holds(x); ok {
					s.done, s.ok = true, true
				} else if final {
					_, d := o.holds(x)
					s.done, s.detail = true, fmt.Sprintf("never true by %ss (%s)", sim.Seconds(x.Time), d)
				}
			case After:
				if now >= x.Time {
					s.done, s.ok = true, true
					continue
				}
				if ok, d := o.holds(x); ok {
					s.done, s.ok, s.detail = true, false, fmt.Sprintf("already true at %ss (%s)", sim.Seconds(now), d)
				} else if final {
					s.done, s.ok = true, true
				}
			}
		}
	}
	// State is judged after all records of an instant are applied. "At" times that fall
	// between records are judged on the state before the next record.
	var now time.Duration
	started := false
	for r := range recs {
		if !started || r.T != now {
			if started {
				check(now, false)
			}
			now, started = r.T, true
			check(now-1, false) // state just before this instant, for At/By/After boundaries
		}
		o.apply(r)
	}
	if started {
		check(now, false)
	}
	check(1<<62, true)
	for i := range exps {
		out[i] = ExpectationResult{Expectation: exps[i], OK: st[i].ok, Detail: st[i].detail}
		if out[i].OK {
			out[i].Detail = ""
		}
	}
	return out
}
