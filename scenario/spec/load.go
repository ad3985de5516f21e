package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

var specFields = []string{"seed", "duration", "kubernetesVersion", "start", "featureGates", "controllerManager", "apiServer", "kubelet", "nodes", "objects", "events", "expect", "sweep"}

// aliasBudget is how many nodes alias expansion may add to a document.
const aliasBudget = 100_000

// Load reads and validates a scenario file. On any problem it returns a nil
// Scenario and an [ErrorList] with every problem found.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrorList{{File: path, Problem: "cannot read the file: " + err.Error(), Allowed: "a readable scenario file"}}
	}
	return Parse(path, data)
}

// Parse validates a scenario file's content; name is the file name errors name.
// On any problem it returns a nil Scenario and an [ErrorList] with every problem
// found, sorted by line.
func Parse(name string, data []byte) (*Scenario, error) {
	s, errs := parse(name, data, nil, true)
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// parse decodes src with the overrides applied; checkSweep also checks every
// sweep value (by parsing again with it).
func parse(file string, src []byte, ovs []override, checkSweep bool) (*Scenario, ErrorList) {
	p := &parser{file: file}
	s := p.scenario(src, ovs)
	if len(p.errs) == 0 && checkSweep && s.Spec.Sweep != nil {
		p.checkSweep(s)
	}
	if len(p.errs) > 0 {
		return nil, p.errs.sorted()
	}
	return s, nil
}

// yamlLine matches the line number of a yaml.v3 syntax error. It is compiled on first
// use (only files with a syntax error need it), not at package init.
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// document parses the single YAML document of src.
func (p *parser) document(src []byte) (root *yaml.Node) {
	syntax := func(err error) {
		msg, line := err.Error(), 1
		if m := yamlLine().FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		p.fail(&yaml.Node{Line: line}, "", "well-formed YAML", "malformed YAML: %s", msg)
	}
	defer func() {
		if r := recover(); r != nil { // the YAML library has panicked on hostile input before
			syntax(fmt.Errorf("%v", r))
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.fail(&yaml.Node{Line: 1}, "", "a Scenario document (apiVersion: "+APIVersion+", kind: "+Kind+")", "empty file")
		} else {
			syntax(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		syntax(err)
		return nil
	default:
		p.fail(&extra, "", "exactly one YAML document", "a second YAML document")
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.fail(&doc, "", "a Scenario document", "empty document")
		return nil
	}
	return doc.Content[0]
}

// scenario decodes the whole file.
func (p *parser) scenario(src []byte, ovs []override) *Scenario {
	sc := &Scenario{File: p.file, src: src, overrides: ovs}
	root := p.document(src)
	if root == nil {
		return sc
	}
	if !p.checkGraph(root, countNodes(root)+aliasBudget) {
		return sc
	}
	for _, ov := range ovs {
		setPath(root, append([]string{"spec"}, strings.Split(ov.path, ".")...), ov.value)
	}
	top, ok := p.object(root, "", "apiVersion", "kind", "metadata", "spec")
	if !ok {
		return sc
	}
	for _, f := range []struct{ key, want string }{{"apiVersion", APIVersion}, {"kind", Kind}} {
		if !top.has(f.key) {
			p.fail(top.node, f.key, f.want, "missing %s", f.key)
		} else if v, ok := p.str(top.get(f.key), f.key, f.want); ok && v != f.want {
			p.fail(resolve(top.get(f.key)), f.key, f.want, "unsupported %s %q", f.key, v)
		}
	}
	sc.Name = strings.TrimSuffix(filepath.Base(p.file), filepath.Ext(p.file))
	if top.has("metadata") {
		if meta, ok := p.object(top.get("metadata"), "metadata", "name"); ok && meta.has("name") {
			if name, ok := p.str(meta.get("name"), "metadata.name", "a name"); ok {
				sc.Name = name
			}
		}
	}
	if !top.has("spec") {
		p.fail(top.node, "spec", "a mapping with at least duration", "missing spec")
		return sc
	}
	p.spec(top.get("spec"), &sc.Spec, src)
	return sc
}

// spec decodes spec:, in dependency order: the version picks the defaults; nodes
// come before the objects bound to them; objects before the events and
// expectations that name them.
func (p *parser) spec(n *yaml.Node, s *Spec, src []byte) {
	const path = "spec"
	f, ok := p.object(n, path, specFields...)
	if !ok {
		return
	}
	s.Seed = 1
	if f.has("seed") {
		if v, ok := p.unsigned(f.get("seed"), f.at("seed"), "an integer from 0 to 18446744073709551615"); ok {
			s.Seed = v
		}
	}
	if !f.has("duration") {
		p.fail(f.node, f.at("duration"), allowPosDuration, "missing duration")
	} else if d, ok := p.positiveDuration(f.get("duration"), f.at("duration")); ok {
		s.Duration = d
	}
	s.KubernetesVersion = DefaultKubernetesVersion
	if f.has("kubernetesVersion") {
		allowed := strings.Join(versions, ", ")
		if v, ok := p.scalar(f.get("kubernetesVersion"), f.at("kubernetesVersion"), allowed, tagStr, tagFloat); ok {
			if slices.Contains(versions, v.Value) {
				s.KubernetesVersion = v.Value
			} else {
				p.fail(v, f.at("kubernetesVersion"), allowed, "unsupported Kubernetes version %q", v.Value)
			}
		}
	}
	s.Start = StartBooting
	if f.has("start") {
		allowed := StartBooting + ", " + StartRunning
		if v, ok := p.str(f.get("start"), f.at("start"), allowed); ok {
			if v == StartBooting || v == StartRunning {
				s.Start = v
			} else {
				p.fail(resolve(f.get("start")), f.at("start"), allowed, "unknown start %q", v)
			}
		}
	}
	if f.has("featureGates") {
		p.featureGates(f.get("featureGates"), s.KubernetesVersion, &s.FeatureGates)
	}
	p.cmpOps = s.FeatureGates.TaintTolerationComparisonOperators
	cm, api, kl, _ := Profile(s.KubernetesVersion)
	if f.has("controllerManager") {
		p.controllerManager(f.get("controllerManager"), &cm)
	}
	if f.has("apiServer") {
		p.apiServer(f.get("apiServer"), &api)
	}
	global := &kubeletLayer{src: map[string]source{}, path: "spec.kubelet"}
	if f.has("kubelet") {
		global = p.kubeletLayer(f.get("kubelet"), f.at("kubelet"))
	}
	s.ControllerManager, s.APIServer, s.Kubelet = cm, api, p.kubelet(global, kl)

	reg := newRegistry()
	if items, ok := p.items(f.get("nodes"), f.at("nodes"), "a list of node entries"); ok {
		s.Nodes = p.nodeEntries(items, f.at("nodes"), global, kl, reg)
	}
	if items, ok := p.items(f.get("objects"), f.at("objects"), "a list of manifests: "+allowKinds); ok {
		s.Objects = p.objects(items, s.KubernetesVersion, reg)
	}
	r := &refs{reg: reg, objects: s.Objects, end: s.Duration}
	if items, ok := p.items(f.get("events"), f.at("events"), "a list of events {at, ACTION: {…}}"); ok {
		s.Events = p.events(items, r, global, kl)
	}
	if items, ok := p.items(f.get("expect"), f.at("expect"), "a list of expectations"); ok {
		s.Expect = p.expectations(items, r)
	}
	if f.has("sweep") {
		s.Sweep = p.sweep(f.get("sweep"), f.at("sweep"), s.Seed)
	}
	for _, check := range p.laterChecks {
		check()
	}
}

// countNodes counts the nodes of a tree without following aliases.
func countNodes(n *yaml.Node) int {
	c := 1
	for _, ch := range n.Content {
		c += countNodes(ch)
	}
	return c
}

// setPath puts value at the mapping path keys below root, creating mappings as
// needed and copying those it changes (they may be shared through aliases). A path
// through a value that is not a mapping is left alone: decoding reports it.
func setPath(root *yaml.Node, keys []string, value *yaml.Node) {
	cur := resolve(root)
	for i, k := range keys {
		if cur == nil || cur.Kind != yaml.MappingNode {
			return
		}
		idx := -1
		for j := 0; j+1 < len(cur.Content); j += 2 {
			if kn := resolve(cur.Content[j]); kn.Kind == yaml.ScalarNode && kn.ShortTag() != tagMerge && kn.Value == k {
				idx = j + 1
			}
		}
		put := func(v *yaml.Node) {
			if idx >= 0 {
				cur.Content[idx] = v
			} else {
				key := &yaml.Node{Kind: yaml.ScalarNode, Tag: tagStr, Value: k, Line: value.Line}
				cur.Content = append(cur.Content, key, v)
			}
		}
		if i == len(keys)-1 {
			put(value)
			return
		}
		var next *yaml.Node
		if idx >= 0 {
			next = resolve(cur.Content[idx])
		} else if v := lookup(cur, k, false); v != nil { // from a merge key
			next = resolve(v)
		}
		switch {
		case next == nil || isNull(next):
			next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: value.Line}
		case next.Kind == yaml.MappingNode:
			cp := *next
			cp.Content = slices.Clone(next.Content)
			next = &cp
		default:
			return
		}
		put(next)
		cur = next
	}
}
