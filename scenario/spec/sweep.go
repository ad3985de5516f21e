package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxSeeds bounds seeds: N; maxVaryValues the values of one varied path (each is
// checked by loading the file again).
const (
	maxSeeds      = 1_000_000
	maxVaryValues = 1000
)

// withPaths are the paths With and sweep.vary accept, relative to spec.
var withPaths = func() []string {
	out := []string{"seed", "duration", "kubernetesVersion", "start"}
	for _, f := range featureGateFields {
		out = append(out, "featureGates."+f)
	}
	for _, f := range controllerManagerFields {
		if f == "leaderElection" {
			for _, g := range leaderElectionFields {
				out = append(out, "controllerManager.leaderElection."+g)
			}
			continue
		}
		out = append(out, "controllerManager."+f)
	}
	for _, f := range apiServerFields {
		out = append(out, "apiServer."+f)
	}
	for _, f := range kubeletFields {
		out = append(out, "kubelet."+f)
	}
	return out
}()

// Paths returns every path [Scenario.With] and sweep.vary accept (relative to spec;
// a leading "spec." is also accepted): seed, duration, kubernetesVersion, start, each
// feature gate of featureGates, and each field of controllerManager (leaderElection.*
// included), apiServer and kubelet. The entries of nodes, objects, events and expect
// have no paths: a value for one node or object is set in the file (a node's kubelet:
// overrides the varied spec.kubelet field).
func Paths() []string { return slices.Clone(withPaths) }

// With returns a copy of the scenario with one field set, as if the file had said
// so: value is YAML ("50s", "300", "[a=b:NoSchedule]", "[]"), path one of [Paths]. The copy
// is validated like the file (a kubelet field changed here still loses to a node's
// own kubelet: override, a kubernetesVersion changed here re-picks every default
// the file leaves unset). Calls chain; setting a path again replaces its value.
func (s *Scenario) With(path, value string) (*Scenario, error) {
	rel := strings.TrimPrefix(path, "spec.")
	if !slices.Contains(withPaths, rel) {
		return nil, ErrorList{{File: s.File, Path: path, Problem: "unknown path", Allowed: strings.Join(withPaths, ", ")}}
	}
	node, err := valueNode(value, 0)
	if err != nil {
		return nil, ErrorList{{File: s.File, Path: "spec." + rel, Problem: fmt.Sprintf("malformed value %q: %v", value, err), Allowed: "a YAML value"}}
	}
	ovs := slices.DeleteFunc(slices.Clone(s.overrides), func(o override) bool { return o.path == rel })
	ovs = append(ovs, override{path: rel, value: node})
	out, errs := parse(s.File, s.src, ovs, false)
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

// valueNode parses a With value; every node of it gets line.
func valueNode(value string, line int) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(value), &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tagNull, Line: line}, nil
	}
	v := doc.Content[0]
	var mark func(n *yaml.Node)
	mark = func(n *yaml.Node) {
		n.Line, n.Column = line, 0
		for _, c := range n.Content {
			mark(c)
		}
	}
	mark(v)
	return v, nil
}

// sweep reads spec.sweep.
func (p *parser) sweep(n *yaml.Node, path string, seed uint64) *Sweep {
	f, ok := p.object(n, path, "seeds", "vary")
	sw := &Sweep{Seeds: []uint64{seed}}
	if f.node != nil {
		sw.Line = f.node.Line
	}
	if !ok {
		return sw
	}
	if f.has("seeds") {
		const allowed = "a count N (seeds 1…N) or a list of seeds such as [3, 7, 11]"
		v := resolve(f.get("seeds"))
		if v != nil && v.Kind == yaml.SequenceNode {
			sw.Seeds = nil
			seen := map[uint64]bool{}
			for i, item := range v.Content {
				s, ok := p.unsigned(item, index(f.at("seeds"), i), "an integer from 0 to 18446744073709551615")
				if !ok {
					continue
				}
				if seen[s] {
					p.fail(resolve(item), index(f.at("seeds"), i), "each seed once", "duplicate seed %d", s)
					continue
				}
				seen[s] = true
				sw.Seeds = append(sw.Seeds, s)
			}
			if len(v.Content) == 0 {
				p.fail(v, f.at("seeds"), allowed, "empty list")
			}
		} else if c, ok := p.integer(v, f.at("seeds"), 1, maxSeeds, allowed+" (N from 1 to "+strconv.Itoa(maxSeeds)+")"); ok {
			sw.Seeds = make([]uint64, c)
			for i := range sw.Seeds {
				sw.Seeds[i] = uint64(i + 1)
			}
		}
	}
	if f.has("vary") {
		es, _ := p.entries(f.get("vary"), f.at("vary"))
		for _, e := range es {
			at := mapKey(f.at("vary"), e.key)
			rel := strings.TrimPrefix(e.key, "spec.")
			switch {
			case rel == "seed":
				p.fail(e.keyNode, at, "sweep.seeds", "vary seeds with sweep.seeds")
				continue
			case !slices.Contains(withPaths, rel):
				p.fail(e.keyNode, at, strings.Join(withPaths[1:], ", "), "unknown path")
				continue
			}
			items, ok := p.items(e.val, at, "a list of values")
			if !ok {
				continue
			}
			if len(items) == 0 || len(items) > maxVaryValues {
				p.fail(resolve(e.val), at, "a list of 1 to "+strconv.Itoa(maxVaryValues)+" values", "%d values", len(items))
				continue
			}
			v := Vary{Path: rel, Line: e.keyNode.Line}
			var lines []int
			for i, item := range items {
				s := resolve(item)
				if s.ShortTag() == tagNull {
					p.fail(s, index(at, i), "a value of the field, such as 50s, 300, true or [a=b:NoSchedule]", "got %s", describe(s))
					continue
				}
				// each item is one setting; a list or a mapping (registerWithTaints: [],
				// [a=b:NoSchedule]) is kept as flow-style YAML, which With reads back
				val := s.Value
				if s.Kind != yaml.ScalarNode {
					val = flowYAML(s)
				}
				if slices.Contains(v.Values, val) {
					p.fail(s, index(at, i), "each value once", "duplicate value %q", val)
					continue
				}
				v.Values = append(v.Values, val)
				lines = append(lines, s.Line)
			}
			sw.Vary = append(sw.Vary, v)
			p.sweepLines = append(p.sweepLines, lines)
		}
	}
	return sw
}

// flowYAML renders a list or mapping as one line of flow-style YAML (aliases expanded,
// comments dropped), such as [a=b:NoSchedule] or {priority: 0, shutdownGracePeriodSeconds: 10}.
func flowYAML(n *yaml.Node) string {
	var cp func(n *yaml.Node) *yaml.Node
	cp = func(n *yaml.Node) *yaml.Node {
		n = resolve(n)
		c := &yaml.Node{Kind: n.Kind, Tag: n.Tag, Value: n.Value, Style: n.Style &^ (yaml.LiteralStyle | yaml.FoldedStyle)}
		if n.Kind != yaml.ScalarNode {
			c.Style = yaml.FlowStyle
		}
		for _, ch := range n.Content {
			c.Content = append(c.Content, cp(ch))
		}
		return c
	}
	out, err := yaml.Marshal(cp(n))
	if err != nil { // not reachable for a node the parser produced; With reports it
		return describe(n)
	}
	return strings.TrimSpace(string(out))
}

// checkSweep checks every sweep value by loading the file with it, and reports
// what is wrong at the value's line.
func (p *parser) checkSweep(s *Scenario) {
	for vi, v := range s.Spec.Sweep.Vary {
		for j, val := range v.Values {
			line := p.sweepLines[vi][j]
			at := index(mapKey("spec.sweep.vary", v.Path), j)
			node, err := valueNode(val, line)
			if err != nil {
				p.fail(&yaml.Node{Line: line}, at, "a YAML value", "malformed value %q: %v", val, err)
				continue
			}
			ovs := append(slices.Clone(s.overrides), override{path: v.Path, value: node})
			_, errs := parse(p.file, s.src, ovs, false)
			for _, e := range errs {
				problem := e.Problem
				if e.Path != "spec."+v.Path || e.Line != line {
					problem = fmt.Sprintf("with this value, %s (line %d): %s", e.Path, e.Line, e.Problem)
				}
				p.errs = append(p.errs, &FieldError{File: p.file, Line: line, Path: at, Problem: problem, Allowed: e.Allowed})
			}
		}
	}
}
