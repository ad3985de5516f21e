package spec

import (
	"math"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

var (
	expectModes      = []string{"at", "by", "after"}
	expectSubjects   = []string{"node", "pod", "deployment"}
	expectPredicates = map[string][]string{
		"node":       {"ready", "taint", "deleted"},
		"pod":        {"ready", "deleted", "evicted"},
		"deployment": {"readyReplicas"},
	}
	expectFields = []string{"at", "by", "after", "node", "pod", "deployment", "ready", "taint", "deleted", "evicted", "readyReplicas"}
)

// expectations reads spec.expect.
func (p *parser) expectations(items []*yaml.Node, r *refs) []Expectation {
	out := make([]Expectation, 0, len(items))
	for i, item := range items {
		if x, ok := p.expectation(item, index("spec.expect", i), r); ok {
			out = append(out, x)
		}
	}
	return out
}

// oneOf returns the single key of f among keys, reporting none or several.
func (p *parser) oneOf(f *fields, path string, keys []string, what string) (string, bool) {
	var present []string
	for _, k := range f.keys { // in file order: the second one is blamed
		if slices.Contains(keys, k) {
			present = append(present, k)
		}
	}
	switch len(present) {
	case 0:
		p.fail(f.node, path, "one of "+strings.Join(keys, ", "), "missing %s", what)
		return "", false
	case 1:
		return present[0], true
	}
	p.fail(f.m[present[1]].keyNode, f.at(present[1]), "exactly one of "+strings.Join(keys, ", "), "two %ss (%s and %s)", what, present[0], present[1])
	return "", false
}

func (p *parser) expectation(n *yaml.Node, path string, r *refs) (Expectation, bool) {
	f, ok := p.object(n, path, expectFields...)
	if !ok {
		return Expectation{}, false
	}
	x := Expectation{}
	if f.node != nil {
		x.Line = f.node.Line
	}
	if mode, mok := p.oneOf(f, path, expectModes, "time (mode)"); mok {
		x.Mode = Mode(mode)
		d, dok := p.duration(f.get(mode), f.at(mode))
		x.Time = d
		ok = dok && p.withinRun(f.get(mode), f.at(mode), d, r.end) && ok
	} else {
		ok = false
	}
	subject, sok := p.oneOf(f, path, expectSubjects, "subject")
	if !sok {
		return x, false
	}
	sv, sat := f.get(subject), f.at(subject)
	switch subject {
	case "node":
		name, nok := p.str(sv, sat, "a node name")
		x.Node, ok = name, ok && nok
		if nok {
			p.needNode(sv, sat, name, r.reg)
		}
	case "pod":
		ref, pok := p.podRef(sv, sat, r.objects)
		x.Pod, ok = ref, ok && pok
	case "deployment":
		ns, name, dok := p.objectRef(sv, sat, "Deployment", r.objects)
		x.Deployment, ok = ns+"/"+name, ok && dok
	}
	// The predicate must suit the subject.
	allowed := expectPredicates[subject]
	mismatch := false
	for _, k := range f.keys {
		if slices.Contains(expectFields[6:], k) && !slices.Contains(allowed, k) {
			p.fail(f.m[k].keyNode, f.at(k), strings.Join(allowed, ", ")+" (for "+subject+")", "not a %s predicate", subject)
			mismatch = true
		}
	}
	if mismatch {
		return x, false
	}
	pred, pok := p.oneOf(f, path, allowed, "predicate")
	if !pok {
		return x, false
	}
	pv, pat := f.get(pred), f.at(pred)
	switch pred {
	case "ready":
		statuses := conditionStatuses
		if subject == "pod" {
			statuses = statuses[:2]
		}
		s, rok := p.status(pv, pat, statuses)
		x.Ready, ok = &s, ok && rok
	case "taint":
		t, tok := p.taint(pv, pat, taintExpect, true)
		x.Taint, ok = &t, ok && tok
	case "deleted", "evicted":
		b, bok := p.boolean(pv, pat)
		ok = ok && bok
		if pred == "deleted" {
			x.Deleted = &b
		} else {
			x.Evicted = &b
		}
	case "readyReplicas":
		rf, rok := p.object(pv, pat, "min", "max")
		if !rok {
			return x, false
		}
		if !rf.has("min") && !rf.has("max") {
			p.fail(rf.node, pat, "min, max (at least one)", "missing min and max")
			ok = false
		}
		for _, k := range []string{"min", "max"} {
			if !rf.has(k) {
				continue
			}
			v, vok := p.integer(rf.get(k), rf.at(k), 0, math.MaxInt32, "an integer ≥ 0")
			ok = ok && vok
			i := int(v)
			if k == "min" {
				x.ReadyReplicasMin = &i
			} else {
				x.ReadyReplicasMax = &i
			}
		}
		if x.ReadyReplicasMin != nil && x.ReadyReplicasMax != nil && *x.ReadyReplicasMin > *x.ReadyReplicasMax {
			p.fail(resolve(rf.get("max")), rf.at("max"), "max ≥ min", "max %d is below min %d", *x.ReadyReplicasMax, *x.ReadyReplicasMin)
			ok = false
		}
	}
	return x, ok
}

// podRef reads "[namespace/]name" naming a pod: a bare Pod of spec.objects, or a
// pod a workload creates, whose name starts with the workload's name and "-" (such
// names come from the trace; the rest of the name is not checked).
func (p *parser) podRef(n *yaml.Node, path string, objs []Object) (string, bool) {
	var bare, workloads []string
	for _, o := range objs {
		switch o.Kind {
		case "Pod":
			bare = append(bare, o.Key())
		case "Deployment", "ReplicaSet", "DaemonSet":
			workloads = append(workloads, o.Key()+"-…")
		}
	}
	allowed := "a Pod of spec.objects"
	if len(bare) > 0 && len(bare) <= 10 {
		allowed += " (" + strings.Join(bare, ", ") + ")"
	}
	allowed += ", or a pod of a workload, named after it"
	if len(workloads) > 0 && len(workloads) <= 10 {
		allowed += " (" + strings.Join(workloads, ", ") + ")"
	}
	allowed += ", as namespace/name"
	ref, ok := p.str(n, path, allowed)
	if !ok {
		return "", false
	}
	ns, name := splitRef(ref)
	key := ns + "/" + name
	if slices.Contains(bare, key) {
		return key, true
	}
	for _, w := range workloads {
		if prefix := strings.TrimSuffix(w, "…"); strings.HasPrefix(key, prefix) && len(key) > len(prefix) {
			return key, true
		}
	}
	p.fail(resolve(n), path, allowed, "unknown pod %q", ref)
	return "", false
}
