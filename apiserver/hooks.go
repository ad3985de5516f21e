package apiserver

import (
	"math"
	"time"

	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// The hooks below are the server side of the model: admission plugins that are on by
// default in kube-apiserver, the parts of the garbage collector and graceful deletion
// that behave like the API server, and the trace records that describe each change.

func (s *Server) installNodeHooks() {
	k := s.Nodes
	k.Hooks.Admit = func(n *Node) error {
		// TaintNodesByCondition (plugin/pkg/admission/nodetaint): every new Node starts
		// with not-ready:NoSchedule until the node lifecycle controller sees it Ready.
		if !n.HasTaint(taint.NotReadyNoSchedule) {
			n.Taints = append(n.Taints, taint.Taint{Key: taint.NotReady, Effect: taint.NoSchedule})
		}
		return nil
	}
	k.Hooks.Changed = func(ev Event[*Node]) {
		now := s.Now()
		tr := s.Trace
		switch ev.Type {
		case Added:
			tr.Add(now, "NodeRegistered", sim.S("node", ev.New.Name))
			diffNode(tr, now, nil, ev.New)
		case Modified:
			diffNode(tr, now, ev.Old, ev.New)
		case Deleted:
			tr.Add(now, "NodeDeleted", sim.S("node", ev.Old.Name))
			s.collectNodeDependents(ev.Old)
		}
	}
}

// diffNode records condition and taint changes between two versions of a node.
func diffNode(tr *sim.Trace, t time.Duration, old, n *Node) {
	for _, c := range n.Conditions {
		var from ConditionStatus
		if old != nil {
			if oc := old.Condition(c.Type); oc != nil {
				from = oc.Status
			}
		}
		if from != c.Status {
			tr.Add(t, "NodeCondition", sim.S("node", n.Name), sim.S("type", c.Type.String()),
				sim.S("from", from.String()), sim.S("to", c.Status.String()), sim.S("reason", c.Reason))
		}
	}
	// A taint is the same taint when its value is too: kubectl taint --overwrite
	// replaces k=v1:NoSchedule by k=v2:NoSchedule (same key and effect), and the trace
	// says so as one removed and one added, as the records name taints with their value.
	if old != nil {
		for _, ot := range old.Taints {
			if !hasTaintValue(n.Taints, ot) {
				tr.Add(t, "TaintRemoved", sim.S("node", n.Name), sim.S("taint", ot.String()))
			}
		}
	}
	for _, nt := range n.Taints {
		if old == nil || !hasTaintValue(old.Taints, nt) {
			tr.Add(t, "TaintAdded", sim.S("node", n.Name), sim.S("taint", nt.String()))
		}
	}
}

// hasTaintValue reports whether ts holds t's key, value and effect.
func hasTaintValue(ts []taint.Taint, t taint.Taint) bool {
	for _, x := range ts {
		if x.MatchTaint(t) && x.Value == t.Value {
			return true
		}
	}
	return false
}

// collectNodeDependents is the garbage collector's part for a deleted Node: objects
// whose owner reference names the Node's UID (its Lease) are deleted. The real
// collector runs in kube-controller-manager and takes milliseconds; it is modelled as
// the next event.
func (s *Server) collectNodeDependents(n *Node) {
	uid := n.UID
	_, _ = s.Engine.At(s.Now(), func() {
		t := &s.Leases.items
		for _, key := range append([]string(nil), s.Leases.keys.sorted()...) {
			// a Lease restored deferred is built only if the Node owns it
			if j := t.index(key); j >= 0 && t.pending(j) && !s.steadyLeases.ownedBy(j, uid) {
				continue
			}
			l, _ := t.get(key)
			for _, r := range l.OwnerReferences {
				if r.Kind == "Node" && r.UID == uid {
					s.Leases.remove(key, l)
					break
				}
			}
		}
	})
}

func (s *Server) installLeaseHooks() {
	s.Leases.Hooks.Changed = func(ev Event[*Lease]) {
		if ev.Type == Deleted || !s.Trace.Wants(true) {
			return
		}
		if ev.Old != nil && ev.Old.RenewTime == ev.New.RenewTime {
			return
		}
		attr := "node"
		if ev.New.Namespace != "kube-node-lease" {
			attr = "holder"
		}
		who := ev.New.Name
		if attr == "holder" {
			who = ev.New.HolderIdentity
		}
		s.Trace.AddQuiet(s.Now(), "LeaseRenewed", sim.S(attr, who))
	}
}

func (s *Server) installPodHooks() {
	k := s.Pods
	k.Hooks.Admit = func(p *Pod) error {
		p.PodSpec = s.admitSpec(p.PodSpec, p.Labels, true)
		if p.Phase == "" {
			p.Phase = PodPending
		}
		return nil
	}
	k.Hooks.AdmitUpdate = func(old, p *Pod) error {
		if p.PodSpec != old.PodSpec { // else admitted when stored: admission is idempotent
			p.PodSpec = s.admitSpec(p.PodSpec, Labels{}, false)
		}
		return nil
	}
	k.Hooks.GracefulDelete = func(p *Pod, grace *int64, now time.Duration) (*Pod, bool) {
		// apiserver rest.BeforeDelete: a negative grace period counts as 1 s.
		if grace != nil && *grace < 0 {
			one := int64(1)
			grace = &one
		}
		if p.Deleting {
			// Already terminating: a request may only shorten the grace period, counted
			// from the first request (the deadline moves back by the old period and
			// forward by the new one); without a shorter one nothing changes (pending),
			// whatever the pod's phase by now. A grace period of 0 deletes at once.
			old := int64(p.DeletionGracePeriodSeconds)
			if old == 0 {
				return p, false
			}
			if grace == nil || *grace >= old {
				return p, true
			}
			period := *grace
			at := p.DeletionTimestamp - secondsToDuration(old) + secondsToDuration(period)
			if s.Config.ClampPastDeletion && at < now {
				// 1.32+: not into the past; a graceful request keeps 1 s
				at = now
				if period != 0 {
					period = 1
				}
			}
			if period == 0 {
				return p, false
			}
			p.DeletionTimestamp, p.DeletionGracePeriodSeconds = at, int32(period)
			return p, true
		}
		// pkg/registry/core/pod/strategy.go CheckGracefulDelete: an unscheduled pod or a
		// terminated one is deleted at once; otherwise the grace period is the request's,
		// or the pod's terminationGracePeriodSeconds.
		g := p.TerminationGracePeriodSeconds
		if grace != nil {
			g = *grace
		}
		if p.NodeName == "" || p.Terminal() || g <= 0 {
			return p, false
		}
		p.Deleting = true
		p.DeletionTimestamp = now + secondsToDuration(g)
		p.DeletionGracePeriodSeconds = int32(min(g, math.MaxInt32))
		return p, true
	}
	k.Hooks.Changed = func(ev Event[*Pod]) {
		now := s.Now()
		tr := s.Trace
		switch ev.Type {
		case Added:
			tr.Add(now, "PodCreated", sim.S("pod", ev.New.Key()), sim.S("node", ev.New.NodeName))
			if ev.New.IsReady() {
				tr.Add(now, "PodReady", sim.S("pod", ev.New.Key()), sim.S("node", ev.New.NodeName), sim.S("from", ""), sim.S("to", "True"))
			}
		case Modified:
			o, n := ev.Old, ev.New
			if o.NodeName == "" && n.NodeName != "" {
				tr.Add(now, "PodScheduled", sim.S("pod", n.Key()), sim.S("node", n.NodeName))
			}
			var from, to ConditionStatus
			if c := o.Condition(PodReady); c != nil {
				from = c.Status
			}
			if c := n.Condition(PodReady); c != nil {
				to = c.Status
			}
			if from != to {
				tr.Add(now, "PodReady", sim.S("pod", n.Key()), sim.S("node", n.NodeName), sim.S("from", from.String()), sim.S("to", to.String()))
			}
		case Deleted:
			tr.Add(now, "PodDeleted", sim.S("pod", ev.Old.Key()), sim.S("node", ev.Old.NodeName))
		}
	}
}

// admitSpec is the spec part of pod admission: on create, the merge of the inter-pod
// (anti-)affinity terms' label keys with the pod's labels (labelkeys.go) and
// Priority admission (the two system classes resolve to their fixed values); on
// create and update, the DefaultTolerationSeconds plugin. It returns in itself when
// admission changes nothing, else a changed copy: the spec may be shared (see
// PodSpec). The pods a controller stamps from one template arrive with the
// template's spec, so the last create's result is remembered and they share one
// admitted spec too (a spec with label keys has its own memory, labelKeysCache).
// (Updates do not touch it: their spec was admitted on create, so they change
// nothing and cost nothing, and the status writes between two creates must not
// evict it.)
func (s *Server) admitSpec(in *PodSpec, labels Labels, create bool) *PodSpec {
	if in == nil {
		in = &emptyPodSpec
	}
	if !create {
		return s.admitDefaults(in, false)
	}
	nr, ur := s.Config.DefaultNotReadyTolerationSeconds, s.Config.DefaultUnreachableTolerationSeconds
	if hasLabelKeys(in) {
		return s.admitWithLabelKeys(in, labels, nr, ur)
	}
	m := &s.admitted
	if m.in == in && m.notReady == nr && m.unreachable == ur {
		return m.out
	}
	out := s.admitDefaults(in, true)
	*m = admittedSpec{in: in, out: out, notReady: nr, unreachable: ur}
	return out
}

// admitDefaults is Priority admission (on create) and DefaultTolerationSeconds.
func (s *Server) admitDefaults(in *PodSpec, create bool) *PodSpec {
	nr, ur := s.Config.DefaultNotReadyTolerationSeconds, s.Config.DefaultUnreachableTolerationSeconds
	prio := in.Priority
	if create {
		switch in.PriorityClassName {
		case SystemNodeCritical:
			prio = SystemNodeCriticalPriority
		case SystemClusterCritical:
			prio = SystemClusterCriticalPriority
		}
	}
	tols := taint.AddDefaultTolerationSeconds(in.Tolerations, nr, ur)
	out := in
	if prio != in.Priority || !sameSlice(tols, in.Tolerations) {
		c := *in // the new tolerations are a new slice; the rest stays shared
		c.Priority, c.Tolerations = prio, tols
		out = &c
	}
	return out
}

// admittedSpec remembers admitSpec's last result on create.
type admittedSpec struct {
	in, out               *PodSpec
	notReady, unreachable int64
}

// sameSlice reports whether a and b are the same slice (not merely equal).
func sameSlice[E any](a, b []E) bool {
	return len(a) == len(b) && cap(a) == cap(b) && (len(a) == 0 || &a[0] == &b[0])
}

func secondsToDuration(s int64) time.Duration { return time.Duration(s) * time.Second }
