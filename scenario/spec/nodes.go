package spec

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/api/validate/content"
)

// ZoneLabel is the label a node's zone: sets.
const ZoneLabel = "topology.kubernetes.io/zone"

// maxNodes bounds the nodes of one file (count forms included), so that a typo in
// a count cannot exhaust memory. The design target is 100k nodes.
var maxNodes = 1_000_000

// Default allocatable resources of a node.
var (
	defaultCPU    = resource.MustParse("4")
	defaultMemory = resource.MustParse("16Gi")
)

var nodeFields = []string{"name", "namePrefix", "count", "zone", "labels", "kubelet", "cpu", "memory"}

const (
	allowNodeName = "a DNS subdomain name (lower-case alphanumerics, '-', '.'; at most 253 characters)"
	allowQuantity = "a non-negative quantity such as 4, 500m or 16Gi"
)

// registry records what the file declares, for the checks of references made
// elsewhere (targets, expectations, nodeName).
type registry struct {
	nodes map[string]int // node name → line of its entry
	zones map[string]bool
	names []string // node names in declaration order
}

func newRegistry() *registry {
	return &registry{nodes: map[string]int{}, zones: map[string]bool{}}
}

// nodeEntries reads a nodes: list (or addNodes: entries) and expands it.
func (p *parser) nodeEntries(items []*yaml.Node, path string, global *kubeletLayer, def Kubelet, reg *registry) []Node {
	var out []Node
	for i, item := range items {
		out = append(out, p.nodeEntry(item, index(path, i), global, def, reg)...)
	}
	return out
}

// nodeEntry reads one node entry: {name | namePrefix+count, zone, labels, kubelet,
// cpu, memory}.
func (p *parser) nodeEntry(n *yaml.Node, path string, global *kubeletLayer, def Kubelet, reg *registry) []Node {
	f, ok := p.object(n, path, nodeFields...)
	if !ok {
		return nil
	}
	line := 0
	if f.node != nil {
		line = f.node.Line
	}
	base := Node{Line: line, CPU: defaultCPU, Memory: defaultMemory}

	var names []string
	var prefix string
	count := -1
	switch {
	case f.has("name") && f.has("namePrefix"):
		p.fail(resolve(f.m["namePrefix"].keyNode), f.at("namePrefix"), "either name, or namePrefix with count", "name and namePrefix together")
	case f.has("name"):
		if name, ok := p.str(f.get("name"), f.at("name"), allowNodeName); ok {
			if msgs := content.IsDNS1123Subdomain(name); len(msgs) > 0 {
				p.fail(resolve(f.get("name")), f.at("name"), allowNodeName, "invalid node name %q: %s", name, strings.Join(msgs, "; "))
			} else {
				names = []string{name}
			}
		}
		if f.has("count") {
			p.fail(f.m["count"].keyNode, f.at("count"), "count only with namePrefix", "count without namePrefix")
		}
	case f.has("namePrefix"):
		pre, pok := p.str(f.get("namePrefix"), f.at("namePrefix"), allowNodeName+" prefix")
		if !f.has("count") {
			p.fail(f.node, f.at("count"), "an integer ≥ 0 with namePrefix", "missing count")
			break
		}
		c, cok := p.integer(f.get("count"), f.at("count"), 0, int64(maxNodes), "an integer from 0 to "+strconv.Itoa(maxNodes))
		if !pok || !cok {
			break
		}
		prefix, count = pre, int(c)
		if count > 0 {
			for _, probe := range []string{pre + "0", pre + strconv.Itoa(count-1)} {
				if msgs := content.IsDNS1123Subdomain(probe); len(msgs) > 0 {
					p.fail(resolve(f.get("namePrefix")), f.at("namePrefix"), allowNodeName+" once the index is appended", "invalid node name %q: %s", probe, strings.Join(msgs, "; "))
					count = -1
					break
				}
			}
		}
	default:
		p.fail(f.node, path, "name, or namePrefix with count", "missing name")
	}

	if f.has("zone") {
		if z, ok := p.str(f.get("zone"), f.at("zone"), "a label value"); ok {
			if msgs := content.IsLabelValue(z); len(msgs) > 0 {
				p.fail(resolve(f.get("zone")), f.at("zone"), "a label value (at most 63 characters: alphanumerics, '-', '_', '.')", "invalid zone %q: %s", z, strings.Join(msgs, "; "))
			} else {
				base.Zone = z
			}
		}
	}
	if f.has("labels") {
		labels, _ := p.stringMap(f.get("labels"), f.at("labels"))
		p.checkLabels(f.get("labels"), f.at("labels"), labels)
		if z, ok := labels[ZoneLabel]; ok {
			if f.has("zone") && z != base.Zone {
				p.fail(resolve(f.get("labels")), mapKey(f.at("labels"), ZoneLabel), "the same value as zone, or only one of them", "label %s=%q disagrees with zone %q", ZoneLabel, z, base.Zone)
			}
			base.Zone = z
		}
		base.Labels = labels
	}
	if base.Zone != "" {
		if base.Labels == nil {
			base.Labels = map[string]string{}
		}
		base.Labels[ZoneLabel] = base.Zone
		reg.zones[base.Zone] = true
	}

	layer := global
	if f.has("kubelet") {
		layer = global.merge(p.kubeletLayer(f.get("kubelet"), f.at("kubelet")))
	}
	base.Kubelet = p.kubelet(layer, def)

	for _, k := range []string{"cpu", "memory"} {
		if !f.has(k) {
			continue
		}
		s, ok := p.scalar(f.get(k), f.at(k), allowQuantity, tagStr, tagInt, tagFloat)
		if !ok {
			continue
		}
		q, err := resource.ParseQuantity(s.Value)
		if err != nil || q.Sign() < 0 {
			p.fail(s, f.at(k), allowQuantity, "invalid quantity %q", s.Value)
			continue
		}
		if k == "cpu" {
			base.CPU = q
		} else {
			base.Memory = q
		}
	}

	if count >= 0 {
		if len(reg.names)+count > maxNodes {
			p.fail(resolve(f.get("count")), f.at("count"), "at most "+strconv.Itoa(maxNodes)+" nodes in a file", "too many nodes")
			return nil
		}
		names = make([]string, count)
		for i := range names {
			names[i] = prefix + strconv.Itoa(i)
		}
	}
	out := make([]Node, 0, len(names))
	reported := false
	for _, name := range names {
		if first, dup := reg.nodes[name]; dup {
			if !reported {
				p.fail(f.node, path, "unique node names", "duplicate node name %q (first defined at line %d)", name, first)
				reported = true
			}
			continue
		}
		if len(reg.names) >= maxNodes {
			p.fail(f.node, path, "at most "+strconv.Itoa(maxNodes)+" nodes in a file", "too many nodes")
			break
		}
		reg.nodes[name] = line
		reg.names = append(reg.names, name)
		nd := base
		nd.Name = name
		if base.Labels != nil {
			nd.Labels = make(map[string]string, len(base.Labels))
			for k, v := range base.Labels {
				nd.Labels[k] = v
			}
		}
		out = append(out, nd)
	}
	return out
}

// checkLabels validates label keys and values as the API server does.
func (p *parser) checkLabels(n *yaml.Node, path string, labels map[string]string) {
	es, _ := p.entries(n, path)
	for _, e := range es {
		v, ok := labels[e.key]
		if !ok {
			continue
		}
		if msgs := content.IsLabelKey(e.key); len(msgs) > 0 {
			p.fail(e.keyNode, mapKey(path, e.key), "a qualified name such as app or example.com/tier", "invalid label key: %s", strings.Join(msgs, "; "))
		}
		if msgs := content.IsLabelValue(v); len(msgs) > 0 {
			p.fail(resolve(e.val), mapKey(path, e.key), "a label value (at most 63 characters: alphanumerics, '-', '_', '.')", "invalid label value %q: %s", v, strings.Join(msgs, "; "))
		}
	}
}

// allowNodes is the "allowed" text of an unknown node: the declared names, or a
// summary when there are many.
func (r *registry) allowNodes() string {
	switch {
	case len(r.names) == 0:
		return "a node declared in spec.nodes or an addNodes event (none are)"
	case len(r.names) <= 10:
		return strings.Join(r.names, ", ")
	}
	return "one of the " + strconv.Itoa(len(r.names)) + " nodes declared in spec.nodes and addNodes events, such as " + strings.Join(r.names[:3], ", ")
}

// allowZones is the "allowed" text of an unknown zone.
func (r *registry) allowZones() string {
	if len(r.zones) == 0 {
		return "a zone of a declared node (no node has one)"
	}
	return strings.Join(sortedKeys(r.zones), ", ")
}
