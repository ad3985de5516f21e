package spec

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/nodesim/nodesim/node/kubelet"
)

var (
	targetFields = []string{"node", "nodes", "zone", "selector"}
	// actionFields are the fields an action takes besides a target.
	actionFields = map[Action][]string{
		ActionPartition:    {"for"},
		ActionSetCondition: {"type", "status", "reason", "message"},
		ActionDrain:        {"timeout", "gracePeriod"},
		ActionTaint:        {"taint"},
		ActionUntaint:      {"taint"},
	}
	// conditionStatuses are the statuses a node's Ready expectation may name (Unknown
	// is the node lifecycle controller's); a pod's are the first two.
	conditionStatuses = []string{"True", "False", "Unknown"}
	// settableTypes and settableStatuses are what setCondition may inject: what the
	// kubelet's SetCondition accepts (node/kubelet), so that the file is refused at
	// load rather than the event failing (ActionFailed) during the run.
	settableTypes    = asStrings(kubelet.SettableConditionTypes())
	settableStatuses = asStrings(kubelet.SettableConditionStatuses())
)

func asStrings[T fmt.Stringer](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

func actionList() string { return strings.Join(actionNames(), ", ") }

// refs is what events and expectations may name besides nodes.
type refs struct {
	reg     *registry
	objects []Object
	end     time.Duration // spec.duration (0 when invalid: no check)
}

// events reads spec.events.
func (p *parser) events(items []*yaml.Node, r *refs, global *kubeletLayer, def Kubelet) []Event {
	out := make([]Event, 0, len(items))
	for i, item := range items {
		if ev, ok := p.event(item, index("spec.events", i), r, global, def); ok {
			out = append(out, ev)
		}
	}
	return out
}

func (p *parser) event(n *yaml.Node, path string, r *refs, global *kubeletLayer, def Kubelet) (Event, bool) {
	allowed := "at, and exactly one action: " + actionList()
	es, ok := p.entries(n, path)
	if !ok {
		return Event{}, false
	}
	node := resolve(n)
	ev := Event{Line: node.Line}
	var at *yaml.Node
	var action *entry
	for _, e := range es {
		switch {
		case e.key == "at":
			at = e.val
		case slices.Contains(actionNames(), e.key):
			if action != nil {
				p.fail(e.keyNode, child(path, e.key), "exactly one action per entry (write two entries with the same at:)", "two actions in one entry (%s and %s)", action.key, e.key)
				ok = false
				continue
			}
			action = &e
		default:
			p.fail(e.keyNode, child(path, e.key), allowed, "unknown field")
			ok = false
		}
	}
	if len(es) == 0 {
		p.fail(node, path, allowed, "empty event")
		return ev, false
	}
	if at == nil {
		p.fail(node, child(path, "at"), allowDuration, "missing at")
		ok = false
	} else if d, dok := p.duration(at, child(path, "at")); dok && p.withinRun(at, child(path, "at"), d, r.end) {
		ev.At = d
	} else {
		ok = false
	}
	if action == nil {
		if ok {
			p.fail(node, path, "one action: "+actionList(), "no action")
		}
		return ev, false
	}
	ev.Action = Action(action.key)
	apath := child(path, action.key)
	switch ev.Action {
	case ActionAddNodes:
		v := resolve(action.val)
		if v != nil && v.Kind == yaml.SequenceNode {
			ev.AddNodes = p.nodeEntries(v.Content, apath, global, def, r.reg)
		} else if v != nil && v.Kind == yaml.MappingNode {
			ev.AddNodes = p.nodeEntry(v, apath, global, def, r.reg)
		} else {
			p.fail(v, apath, "a node entry {name, zone, labels, kubelet, cpu, memory} or a list of them", "got %s", describe(v))
			ok = false
		}
	case ActionScale:
		ok = p.scale(action.val, apath, r, &ev.Scale) && ok
	case ActionAPIServerOutage:
		f, fok := p.object(action.val, apath, "for")
		if !fok {
			return ev, false
		}
		if !f.has("for") {
			p.fail(f.node, f.at("for"), allowPosDuration, "missing for")
			ok = false
		} else if d, dok := p.positiveDuration(f.get("for"), f.at("for")); dok {
			ev.For = d
		} else {
			ok = false
		}
	case ActionFailoverControllerManager:
		_, fok := p.object(action.val, apath)
		ok = fok && ok
	default:
		ok = p.targetAction(action.val, apath, r, &ev) && ok
	}
	return ev, ok
}

func actionNames() []string {
	names := make([]string, len(actionOrder))
	for i, a := range actionOrder {
		names[i] = string(a)
	}
	return names
}

// withinRun checks that an event's or an expectation's time is not after the end of
// the run.
func (p *parser) withinRun(n *yaml.Node, path string, t, end time.Duration) bool {
	if end > 0 && t > end {
		p.fail(resolve(n), path, "a time ≤ spec.duration ("+end.String()+")", "%s is after the end of the run", t)
		return false
	}
	return true
}

// targetAction reads the payload of a node-targeting action.
func (p *parser) targetAction(n *yaml.Node, path string, r *refs, ev *Event) bool {
	allowed := append(append(append([]string{}, targetFields...), "count"), actionFields[ev.Action]...)
	f, ok := p.object(n, path, allowed...)
	if !ok {
		return false
	}
	ok = p.target(f, path, r, &ev.Target)
	switch ev.Action {
	case ActionPartition:
		if f.has("for") {
			d, dok := p.positiveDuration(f.get("for"), f.at("for"))
			ev.For, ok = d, ok && dok
		}
	case ActionSetCondition:
		c := &ev.Condition
		allowTypes := strings.Join(settableTypes, ", ")
		if !f.has("type") {
			p.fail(f.node, f.at("type"), allowTypes, "missing type")
			ok = false
		} else if t, tok := p.str(f.get("type"), f.at("type"), allowTypes); tok && slices.Contains(settableTypes, t) {
			c.Type = t
		} else {
			if tok {
				p.fail(resolve(f.get("type")), f.at("type"), allowTypes, "unknown condition type %q: the kubelet reports only these", t)
			}
			ok = false
		}
		if v := resolve(f.get("status")); !f.has("status") {
			p.fail(f.node, f.at("status"), strings.Join(settableStatuses, ", "), "missing status")
			ok = false
		} else if v.Kind == yaml.ScalarNode && v.Value == "Unknown" && !slices.Contains(settableStatuses, v.Value) {
			p.fail(v, f.at("status"), strings.Join(settableStatuses, ", "),
				"a kubelet never reports Unknown: the node lifecycle controller sets it when the kubelet stops posting status (stopKubelet, powerOff or partition do that)")
			ok = false
		} else if s, sok := p.status(f.get("status"), f.at("status"), settableStatuses); sok {
			c.Status = s
		} else {
			ok = false
		}
		for _, k := range []string{"reason", "message"} {
			if f.has(k) {
				s, sok := p.str(f.get(k), f.at(k), allowString)
				ok = ok && sok
				if k == "reason" {
					c.Reason = s
				} else {
					c.Message = s
				}
			}
		}
	case ActionDrain:
		if f.has("timeout") {
			d, dok := p.duration(f.get("timeout"), f.at("timeout"))
			ev.Drain.Timeout, ok = d, ok && dok
		}
		if f.has("gracePeriod") {
			d, dok := p.duration(f.get("gracePeriod"), f.at("gracePeriod"))
			if dok && d%time.Second != 0 {
				// kubectl's --grace-period is an int of seconds; a fraction would
				// become 0, which kubectl reads as "delete immediately"
				p.fail(f.get("gracePeriod"), f.at("gracePeriod"), "a whole number of seconds (kubectl drain --grace-period)", "gracePeriod %s is not a whole number of seconds", d)
				dok = false
			}
			ev.Drain.GracePeriod, ok = &d, ok && dok
		}
	case ActionTaint, ActionUntaint:
		if !f.has("taint") {
			p.fail(f.node, f.at("taint"), allowTaintMatch, "missing taint")
			return false
		}
		t, tok := p.taint(f.get("taint"), f.at("taint"), taintAction, ev.Action == ActionTaint)
		ev.Taint, ok = t, ok && tok
	}
	return ok
}

// status reads a condition status; an unquoted true/false is taken as True/False.
func (p *parser) status(n *yaml.Node, path string, allowed []string) (string, bool) {
	allow := strings.Join(allowed, ", ")
	s, ok := p.scalar(n, path, allow, tagStr, tagBool)
	if !ok {
		return "", false
	}
	v := s.Value
	if s.ShortTag() == tagBool {
		var b bool
		_ = s.Decode(&b)
		v = "False"
		if b {
			v = "True"
		}
	}
	if !slices.Contains(allowed, v) {
		p.fail(s, path, allow, "unknown status %q", s.Value)
		return "", false
	}
	return v, true
}

// target reads node | nodes | zone | selector, and count.
func (p *parser) target(f *fields, path string, r *refs, t *Target) bool {
	ok := true
	var which []string
	for _, k := range f.keys { // in file order: the second one is blamed
		if slices.Contains(targetFields, k) {
			which = append(which, k)
		}
	}
	switch len(which) {
	case 0:
		p.fail(f.node, path, "one of node, nodes, zone, selector", "missing target")
		return false
	case 1:
	default:
		p.fail(f.m[which[1]].keyNode, f.at(which[1]), "exactly one of node, nodes, zone, selector", "two targets (%s and %s)", which[0], which[1])
		return false
	}
	k := which[0]
	v, at := f.get(k), f.at(k)
	switch k {
	case "node":
		name, sok := p.str(v, at, "a node name")
		if !sok {
			return false
		}
		t.Node = name
		p.needNode(v, at, name, r.reg)
	case "nodes":
		items, iok := p.items(v, at, "a list of node names")
		if !iok {
			return false
		}
		if len(items) == 0 {
			p.fail(resolve(v), at, "a non-empty list of node names", "empty list")
			ok = false
		}
		seen := map[string]bool{}
		for i, item := range items {
			name, sok := p.str(item, index(at, i), "a node name")
			if !sok {
				ok = false
				continue
			}
			if seen[name] {
				p.fail(resolve(item), index(at, i), "each node once", "duplicate node %q", name)
				ok = false
				continue
			}
			seen[name] = true
			t.Nodes = append(t.Nodes, name)
			p.needNode(item, index(at, i), name, r.reg)
		}
	case "zone":
		z, sok := p.str(v, at, "a zone of a declared node")
		if !sok {
			return false
		}
		t.Zone = z
		p.later(func() {
			if !r.reg.zones[z] {
				p.fail(resolve(v), at, r.reg.allowZones(), "unknown zone %q", z)
			}
		})
	case "selector":
		m, mok := p.stringMap(v, at)
		if !mok {
			return false
		}
		if len(m) == 0 {
			p.fail(resolve(v), at, "a non-empty map of label: value", "empty selector")
			ok = false
		}
		p.checkLabels(v, at, m)
		t.Selector = m
	}
	if f.has("count") {
		c, cok := p.integer(f.get("count"), f.at("count"), 1, math.MaxInt32, "an integer ≥ 1 (the first N of the set, in name order)")
		t.Count, ok = int(c), ok && cok
	}
	return ok
}

// needNode checks, once everything is declared, that a named node exists.
func (p *parser) needNode(n *yaml.Node, path, name string, reg *registry) {
	p.later(func() {
		if _, ok := reg.nodes[name]; !ok {
			p.fail(resolve(n), path, reg.allowNodes(), "unknown node %q", name)
		}
	})
}

// scale reads {deployment | replicaset: [namespace/]name, replicas: N}.
func (p *parser) scale(n *yaml.Node, path string, r *refs, s *Scale) bool {
	f, ok := p.object(n, path, "deployment", "replicaset", "replicas")
	if !ok {
		return false
	}
	switch {
	case f.has("deployment") && f.has("replicaset"):
		p.fail(f.m["replicaset"].keyNode, f.at("replicaset"), "exactly one of deployment, replicaset", "two workloads")
		ok = false
	case f.has("deployment"), f.has("replicaset"):
		k, kind := "deployment", "Deployment"
		if f.has("replicaset") {
			k, kind = "replicaset", "ReplicaSet"
		}
		s.Kind = kind
		if ns, name, rok := p.objectRef(f.get(k), f.at(k), kind, r.objects); rok {
			s.Namespace, s.Name = ns, name
		} else {
			ok = false
		}
	default:
		p.fail(f.node, path, "deployment or replicaset: [namespace/]name", "missing workload")
		ok = false
	}
	if !f.has("replicas") {
		p.fail(f.node, f.at("replicas"), "an integer ≥ 0", "missing replicas")
		return false
	}
	c, cok := p.integer(f.get("replicas"), f.at("replicas"), 0, math.MaxInt32, "an integer ≥ 0")
	s.Replicas = int32(c)
	return ok && cok
}

// objectRef reads "[namespace/]name" naming an object of kind in spec.objects.
func (p *parser) objectRef(n *yaml.Node, path, kind string, objs []Object) (ns, name string, ok bool) {
	var names []string
	for _, o := range objs {
		if o.Kind == kind {
			names = append(names, o.Key())
		}
	}
	allowed := "a " + kind + " of spec.objects, as namespace/name"
	if len(names) > 0 && len(names) <= 10 {
		allowed += ": " + strings.Join(names, ", ")
	} else if len(names) == 0 {
		allowed += " (there is none)"
	}
	ref, ok := p.str(n, path, allowed)
	if !ok {
		return "", "", false
	}
	ns, name = splitRef(ref)
	if !slices.Contains(names, ns+"/"+name) {
		p.fail(resolve(n), path, allowed, "unknown %s %q", kind, ref)
		return "", "", false
	}
	return ns, name, true
}

// splitRef splits "namespace/name"; a bare name is in namespace default.
func splitRef(ref string) (ns, name string) {
	if ns, name, ok := strings.Cut(ref, "/"); ok {
		return ns, name
	}
	return "default", ref
}
