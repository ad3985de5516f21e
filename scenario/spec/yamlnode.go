package spec

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// This file holds the YAML node helpers every decoder of the package uses: they
// keep line numbers, report wrong types with the field path, and never stop at the
// first error.

// Tags of resolved YAML scalars (yaml.Node.ShortTag).
const (
	tagStr       = "!!str"
	tagInt       = "!!int"
	tagFloat     = "!!float"
	tagBool      = "!!bool"
	tagNull      = "!!null"
	tagTimestamp = "!!timestamp"
	tagMerge     = "!!merge"
)

// Allowed-value texts shared by several fields.
const (
	allowDuration    = "a duration such as 100s, 5m or 1h30m (≥ 0)"
	allowPosDuration = "a duration > 0 such as 100s, 5m or 1h30m"
	allowString      = "a string"
	allowBool        = "true or false"
	allowMapping     = "a mapping"
	allowList        = "a list"
)

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is absent or an explicit null (also an empty value).
func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == tagNull)
}

// describe names what a node holds, for "got …" messages.
func describe(n *yaml.Node) string {
	n = resolve(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case tagStr:
			return fmt.Sprintf("the string %q", n.Value)
		case tagInt:
			return "the integer " + n.Value
		case tagFloat:
			return "the number " + n.Value
		case tagBool:
			return "the boolean " + n.Value
		case tagNull:
			return "null"
		case tagTimestamp:
			return "the timestamp " + n.Value
		default:
			return fmt.Sprintf("a %s value", n.ShortTag())
		}
	}
	return "an unexpected YAML node"
}

// Path building. Paths look like Kubernetes field paths:
// spec.events[0].stopKubelet.node, metadata.labels[app.kubernetes.io/name].

func child(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func mapKey(path, key string) string { return path + "[" + key + "]" }

// parser collects every error of one file.
type parser struct {
	file        string
	errs        ErrorList
	laterChecks []func() // checks of references, run once everything is declared
	sweepLines  [][]int  // line of each sweep.vary value
	cmpOps      bool     // spec.featureGates.TaintTolerationComparisonOperators
	brokenPaths []string // paths of the manifest values decodeK8s could not decode
}

// later runs check once the whole file has been read (references may point forward,
// such as a pod bound to a node that an addNodes event brings).
func (p *parser) later(check func()) { p.laterChecks = append(p.laterChecks, check) }

// fail records an error at n's line.
func (p *parser) fail(n *yaml.Node, path, allowed, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.errs = append(p.errs, &FieldError{File: p.file, Line: line, Path: path, Problem: fmt.Sprintf(format, args...), Allowed: allowed})
}

// entry is one key: value of a mapping.
type entry struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// entries returns a mapping's entries in file order, reporting duplicate and
// non-scalar keys. Merge keys (<<: *anchor) are expanded, explicit keys winning. A
// null value is an empty mapping. ok is false when n is not a mapping.
func (p *parser) entries(n *yaml.Node, path string) (out []entry, ok bool) {
	r := resolve(n)
	if isNull(r) {
		return nil, true
	}
	if r.Kind != yaml.MappingNode {
		p.fail(r, path, allowMapping, "got %s, want a mapping", describe(r))
		return nil, false
	}
	seen := map[string]*yaml.Node{}
	var merges []*yaml.Node
	for i := 0; i+1 < len(r.Content); i += 2 {
		k, v := resolve(r.Content[i]), r.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == tagMerge {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.fail(k, path, "string keys", "a mapping key must be a plain value, got %s", describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.fail(k, child(path, k.Value), "each key once per mapping", "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, entry{key: k.Value, keyNode: k, val: v})
	}
	for _, m := range merges {
		m = resolve(m)
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			sub, _ := p.entries(s, path)
			for _, e := range sub {
				if _, dup := seen[e.key]; !dup {
					seen[e.key] = e.keyNode
					out = append(out, e)
				}
			}
		}
	}
	return out, true
}

// items returns a sequence's items; a null value is an empty list.
func (p *parser) items(n *yaml.Node, path, allowed string) ([]*yaml.Node, bool) {
	r := resolve(n)
	if isNull(r) {
		return nil, true
	}
	if r.Kind != yaml.SequenceNode {
		p.fail(r, path, allowed, "got %s, want a list", describe(r))
		return nil, false
	}
	return r.Content, true
}

// fields is a decoded mapping whose keys were checked against an allowed set.
type fields struct {
	node *yaml.Node // the mapping (nil when absent or null)
	path string
	m    map[string]entry
	keys []string // present keys in file order
}

// object reads a mapping whose keys must be among allowed; each unknown key is an
// error naming the allowed keys. ok is false when n is not a mapping.
func (p *parser) object(n *yaml.Node, path string, allowed ...string) (*fields, bool) {
	f := &fields{node: resolve(n), path: path, m: map[string]entry{}}
	es, ok := p.entries(n, path)
	if !ok {
		return f, false
	}
	for _, e := range es {
		if !slices.Contains(allowed, e.key) {
			allow := strings.Join(allowed, ", ")
			if allow == "" {
				allow = "no fields: {}"
			}
			p.fail(e.keyNode, child(path, e.key), allow, "unknown field")
			continue
		}
		f.m[e.key] = e
		f.keys = append(f.keys, e.key)
	}
	return f, true
}

// get returns the value of key (nil when absent).
func (f *fields) get(key string) *yaml.Node {
	if e, ok := f.m[key]; ok {
		return e.val
	}
	return nil
}

// has reports whether key is present (even with a null value).
func (f *fields) has(key string) bool { _, ok := f.m[key]; return ok }

// at returns the path of key.
func (f *fields) at(key string) string { return child(f.path, key) }

// scalar returns n resolved when it is a non-null scalar with one of tags.
func (p *parser) scalar(n *yaml.Node, path, allowed string, tags ...string) (*yaml.Node, bool) {
	r := resolve(n)
	if r != nil && r.Kind == yaml.ScalarNode && slices.Contains(tags, r.ShortTag()) {
		return r, true
	}
	want := strings.Join(tags, " or ")
	switch tags[0] {
	case tagStr:
		want = "a string"
	case tagInt:
		want = "an integer"
	case tagFloat:
		want = "a number"
	case tagBool:
		want = "a boolean"
	}
	if r != nil && r.Kind == yaml.ScalarNode && tags[0] == tagStr && r.ShortTag() != tagNull {
		p.fail(r, path, allowed, "got %s, want a string (quote it)", describe(r))
	} else {
		p.fail(r, path, allowed, "got %s, want %s", describe(r), want)
	}
	return nil, false
}

// str reads a string.
func (p *parser) str(n *yaml.Node, path, allowed string) (string, bool) {
	s, ok := p.scalar(n, path, allowed, tagStr)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// duration reads a Go duration string (100s, 5m, 1h30m; a bare 0 is allowed).
// Negative durations are errors.
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	return p.durationAllowed(n, path, allowDuration)
}

// positiveDuration reads a duration that must be > 0.
func (p *parser) positiveDuration(n *yaml.Node, path string) (time.Duration, bool) {
	d, ok := p.durationAllowed(n, path, allowPosDuration)
	if ok && d == 0 {
		p.fail(resolve(n), path, allowPosDuration, "must be greater than 0")
		return 0, false
	}
	return d, ok
}

// durationSyntax is the syntax time.ParseDuration accepts (besides a bare 0): a
// well-formed string it rejects is out of range.
var durationSyntax = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$`)
})

// durationAllowed reads a duration ≥ 0; allowed is the text of every error.
func (p *parser) durationAllowed(n *yaml.Node, path, allowed string) (time.Duration, bool) {
	s, ok := p.scalar(n, path, allowed, tagStr, tagInt)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s.Value)
	switch {
	case err != nil && durationSyntax().MatchString(s.Value) && !strings.HasPrefix(s.Value, "-"):
		p.fail(s, path, allowed, "%s is too large: a duration is at most %s (about 292 years)", s.Value, time.Duration(math.MaxInt64))
		return 0, false
	case err != nil && durationSyntax().MatchString(s.Value):
		p.fail(s, path, allowed, "negative duration %s", s.Value)
		return 0, false
	case err != nil:
		p.fail(s, path, allowed, "%q is not a duration", s.Value)
		return 0, false
	case d < 0:
		p.fail(s, path, allowed, "negative duration %s", s.Value)
		return 0, false
	}
	return d, true
}

// integer reads an integer in [lo, hi].
func (p *parser) integer(n *yaml.Node, path string, lo, hi int64, allowed string) (int64, bool) {
	s, ok := p.scalar(n, path, allowed, tagInt)
	if !ok {
		return 0, false
	}
	var v int64
	if err := s.Decode(&v); err != nil {
		p.fail(s, path, allowed, "%s is out of range", s.Value)
		return 0, false
	}
	if v < lo || v > hi {
		p.fail(s, path, allowed, "%d is out of range", v)
		return 0, false
	}
	return v, true
}

// unsigned reads a non-negative 64-bit integer.
func (p *parser) unsigned(n *yaml.Node, path, allowed string) (uint64, bool) {
	s, ok := p.scalar(n, path, allowed, tagInt)
	if !ok {
		return 0, false
	}
	var v uint64
	if err := s.Decode(&v); err != nil {
		p.fail(s, path, allowed, "%s is out of range", s.Value)
		return 0, false
	}
	return v, true
}

// number reads a finite number (integers allowed).
func (p *parser) number(n *yaml.Node, path, allowed string) (float64, bool) {
	s, ok := p.scalar(n, path, allowed, tagFloat, tagInt)
	if !ok {
		return 0, false
	}
	var v float64
	if err := s.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.fail(s, path, allowed, "%s is not a finite number", s.Value)
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (p *parser) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := p.scalar(n, path, allowBool, tagBool)
	if !ok {
		return false, false
	}
	var v bool
	if err := s.Decode(&v); err != nil {
		p.fail(s, path, allowBool, "%q is not a boolean", s.Value)
		return false, false
	}
	return v, true
}

// stringMap reads a mapping of strings to strings (labels, selectors).
func (p *parser) stringMap(n *yaml.Node, path string) (map[string]string, bool) {
	es, ok := p.entries(n, path)
	if !ok {
		return nil, false
	}
	m := make(map[string]string, len(es))
	for _, e := range es {
		v, vok := p.str(e.val, mapKey(path, e.key), allowString)
		if !vok {
			ok = false
			continue
		}
		m[e.key] = v
	}
	return m, ok
}

// nodeAt follows a Kubernetes field path (a.b[0].c[key]) from n and returns the
// node to blame for that field: the key of the last mapping entry reached (the
// "field:" line), or the last list item.
func nodeAt(n *yaml.Node, fpath string) *yaml.Node {
	cur := resolve(n)
	blame := cur
	for fpath != "" && cur != nil {
		var seg string
		bracket := false
		switch {
		case fpath[0] == '.':
			fpath = fpath[1:]
			continue
		case fpath[0] == '[':
			end := strings.IndexByte(fpath, ']')
			if end < 0 {
				return blame
			}
			seg, fpath, bracket = fpath[1:end], fpath[end+1:], true
		default:
			end := strings.IndexAny(fpath, ".[")
			if end < 0 {
				end = len(fpath)
			}
			seg, fpath = fpath[:end], fpath[end:]
		}
		key, val := lookupEntry(cur, seg, bracket)
		if val == nil {
			return blame
		}
		cur, blame = resolve(val), key
	}
	return blame
}

// lookup returns the value of key in a mapping (following merge keys) or, for a
// bracketed number, the item of a sequence.
func lookup(n *yaml.Node, key string, bracket bool) *yaml.Node {
	_, v := lookupEntry(n, key, bracket)
	return v
}

// lookupEntry is lookup that also returns the node to blame: the key node of a
// mapping entry, or the item of a sequence.
func lookupEntry(n *yaml.Node, key string, bracket bool) (blame, val *yaml.Node) {
	switch n.Kind {
	case yaml.SequenceNode:
		if !bracket {
			return nil, nil
		}
		i, err := strconv.Atoi(key)
		if err != nil || i < 0 || i >= len(n.Content) {
			return nil, nil
		}
		return n.Content[i], n.Content[i]
	case yaml.MappingNode:
		var merged *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if k.ShortTag() == tagMerge && merged == nil {
				merged = resolve(n.Content[i+1])
				continue
			}
			if k.Value == key {
				return k, n.Content[i+1]
			}
		}
		if merged != nil {
			srcs := []*yaml.Node{merged}
			if merged.Kind == yaml.SequenceNode {
				srcs = merged.Content
			}
			for _, s := range srcs {
				if s = resolve(s); s.Kind == yaml.MappingNode {
					if k, v := lookupEntry(s, key, bracket); v != nil {
						return k, v
					}
				}
			}
		}
	}
	return nil, nil
}

// checkGraph rejects alias cycles and documents whose aliases expand to more than
// limit nodes (a "billion laughs"), so that every later walk terminates quickly.
func (p *parser) checkGraph(root *yaml.Node, limit int) bool {
	const visiting = -1
	size := map[*yaml.Node]int{}
	ok := true
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if s, seen := size[n]; seen {
			if s == visiting {
				if ok {
					p.fail(n, "", "aliases to earlier, complete anchors", "an alias refers to a node that contains it")
				}
				ok = false
				return limit + 1
			}
			return s
		}
		size[n] = visiting
		total := 1
		if n.Kind == yaml.AliasNode && n.Alias != nil {
			total += walk(n.Alias)
		}
		for _, c := range n.Content {
			total += walk(c)
			if total > limit {
				total = limit + 1
			}
		}
		size[n] = total
		return total
	}
	if walk(root) > limit && ok {
		p.fail(root, "", "aliases that add at most "+strconv.Itoa(aliasBudget)+" nodes to the document", "the document contains excessive aliasing")
		ok = false
	}
	return ok
}
