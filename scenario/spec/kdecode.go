package spec

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// This file decodes Kubernetes manifests from YAML nodes into k8s.io/api types with
// the semantics of `kubectl apply --validate=strict`: the YAML is read as JSON would
// be (no YAML-to-string coercion: `labels: {v: 1}` is a wrong type, as kubectl
// reports it), field names match the json tags exactly (case-sensitive, as
// sigs.k8s.io/json), unknown and duplicate fields are errors, and types with their
// own UnmarshalJSON (Quantity, IntOrString, Time) decode through it. Unlike a JSON
// decoder it reports every error, each at the line of the offending value.

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// structFields maps the json names of a struct type (embedded structs inlined, as
// encoding/json does) to field indexes.
type structFields struct {
	byName map[string][]int
	names  string // sorted, comma separated: the "allowed" text of an unknown field
}

var fieldCache sync.Map // reflect.Type → *structFields

func fieldsOf(t reflect.Type) *structFields {
	if f, ok := fieldCache.Load(t); ok {
		return f.(*structFields)
	}
	sf := &structFields{byName: map[string][]int{}}
	var add func(t reflect.Type, prefix []int)
	add = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			idx := append(slices.Clone(prefix), i)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
				add(ft, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, dup := sf.byName[name]; !dup {
				sf.byName[name] = idx
			}
		}
	}
	add(t, nil)
	names := make([]string, 0, len(sf.byName))
	for n := range sf.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	sf.names = strings.Join(names, ", ")
	f, _ := fieldCache.LoadOrStore(t, sf)
	return f.(*structFields)
}

// fieldByIndex is reflect.Value.FieldByIndex, allocating nil embedded pointers.
func fieldByIndex(v reflect.Value, idx []int) reflect.Value {
	for i, x := range idx {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v
}

// allowedFor is the "allowed" text for a Go type.
func allowedFor(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[resource.Quantity]():
		return "a quantity such as 500m, 2 or 1Gi"
	case reflect.TypeFor[intstr.IntOrString]():
		return `an integer or a string such as "25%"`
	case reflect.TypeFor[metav1.Time](), reflect.TypeFor[metav1.MicroTime]():
		return "an RFC 3339 time such as 2025-01-01T00:00:00Z"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return allowBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer (" + t.Kind().String() + ")"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer (" + t.Kind().String() + ")"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return allowMapping
	case reflect.Slice:
		return allowList
	}
	return "a value of type " + t.String()
}

// broke records that the value at path did not decode (its field keeps a zero value),
// for the checks that follow decoding (see objCheck.broken).
func (p *parser) broke(path string) { p.brokenPaths = append(p.brokenPaths, path) }

// decodeK8s decodes n into v (settable) at path. Every value that does not decode is
// reported, and recorded with broke.
func (p *parser) decodeK8s(n *yaml.Node, path string, v reflect.Value) {
	n = resolve(n)
	t := v.Type()
	if isNull(n) {
		v.SetZero()
		return
	}
	if t.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		p.decodeK8s(n, path, v.Elem())
		return
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		data, ok := p.toJSON(n, path)
		if !ok {
			p.broke(path)
			return
		}
		if err := v.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(data); err != nil {
			p.fail(n, path, allowedFor(t), "%s", strings.TrimPrefix(err.Error(), "json: "))
			p.broke(path)
		}
		return
	}
	wrongType := func() {
		p.fail(n, path, allowedFor(t), "got %s, want %s", describe(n), allowedFor(t))
		p.broke(path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			wrongType()
			return
		}
		sf := fieldsOf(t)
		before := len(p.errs)
		es, _ := p.entries(n, path)
		if len(p.errs) > before { // a duplicate key: which value was meant?
			p.broke(path)
		}
		for _, e := range es {
			idx, known := sf.byName[e.key]
			if !known {
				// a misspelt field leaves the one meant unset: the object is broken
				p.fail(e.keyNode, child(path, e.key), sf.names, "unknown field")
				p.broke(path)
				continue
			}
			p.decodeK8s(e.val, child(path, e.key), fieldByIndex(v, idx))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode || t.Key().Kind() != reflect.String {
			wrongType()
			return
		}
		before := len(p.errs)
		es, _ := p.entries(n, path)
		if len(p.errs) > before {
			p.broke(path)
		}
		m := reflect.MakeMapWithSize(t, len(es))
		for _, e := range es {
			ev := reflect.New(t.Elem()).Elem()
			p.decodeK8s(e.val, mapKey(path, e.key), ev)
			m.SetMapIndex(reflect.ValueOf(e.key).Convert(t.Key()), ev)
		}
		v.Set(m)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte is base64 in JSON
			p.decodeViaJSON(n, path, v)
			return
		}
		if n.Kind != yaml.SequenceNode {
			wrongType()
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			p.decodeK8s(item, index(path, i), s.Index(i))
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != tagStr && n.ShortTag() != tagTimestamp) {
			wrongType()
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != tagBool || n.Decode(&b) != nil {
			wrongType()
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != tagInt {
			wrongType()
			return
		}
		if n.Decode(&i) != nil || v.OverflowInt(i) {
			p.fail(n, path, allowedFor(t), "%s is out of range", n.Value)
			p.broke(path)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		var u uint64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != tagInt {
			wrongType()
			return
		}
		if n.Decode(&u) != nil || v.OverflowUint(u) {
			p.fail(n, path, allowedFor(t), "%s is out of range", n.Value)
			p.broke(path)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		var f float64
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != tagInt && n.ShortTag() != tagFloat) {
			wrongType()
			return
		}
		if n.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) || v.OverflowFloat(f) {
			p.fail(n, path, allowedFor(t), "%s is not a finite number in range", n.Value)
			p.broke(path)
			return
		}
		v.SetFloat(f)
	default: // interfaces, arrays: exactly as encoding/json would
		p.decodeViaJSON(n, path, v)
	}
}

// decodeViaJSON decodes n into v with encoding/json, for the kinds decodeK8s does not
// handle itself.
func (p *parser) decodeViaJSON(n *yaml.Node, path string, v reflect.Value) {
	data, ok := p.toJSON(n, path)
	if !ok {
		p.broke(path)
		return
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(v.Addr().Interface()); err != nil {
		p.fail(n, path, allowedFor(v.Type()), "%s", strings.TrimPrefix(err.Error(), "json: "))
		p.broke(path)
	}
}

// toJSON renders a YAML subtree as JSON, the way sigs.k8s.io/yaml would (without a
// target type): strings stay strings, numbers and booleans stay what YAML resolved.
func (p *parser) toJSON(n *yaml.Node, path string) ([]byte, bool) {
	var b bytes.Buffer
	ok := p.writeJSON(&b, n, path)
	return b.Bytes(), ok
}

func (p *parser) writeJSON(b *bytes.Buffer, n *yaml.Node, path string) bool {
	n = resolve(n)
	if isNull(n) {
		b.WriteString("null")
		return true
	}
	switch n.Kind {
	case yaml.MappingNode:
		es, ok := p.entries(n, path)
		b.WriteByte('{')
		for i, e := range es {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(e.key)
			b.Write(k)
			b.WriteByte(':')
			ok = p.writeJSON(b, e.val, mapKey(path, e.key)) && ok
		}
		b.WriteByte('}')
		return ok
	case yaml.SequenceNode:
		ok := true
		b.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				b.WriteByte(',')
			}
			ok = p.writeJSON(b, item, index(path, i)) && ok
		}
		b.WriteByte(']')
		return ok
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case tagStr, tagTimestamp:
			s, _ := json.Marshal(n.Value)
			b.Write(s)
			return true
		case tagBool:
			var v bool
			if n.Decode(&v) == nil {
				b.WriteString(strconv.FormatBool(v))
				return true
			}
		case tagInt:
			var i int64
			var u uint64
			if n.Decode(&i) == nil {
				b.WriteString(strconv.FormatInt(i, 10))
				return true
			}
			if n.Decode(&u) == nil {
				b.WriteString(strconv.FormatUint(u, 10))
				return true
			}
		case tagFloat:
			var f float64
			if n.Decode(&f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				out, _ := json.Marshal(f) // as sigs.k8s.io/yaml renders numbers
				b.Write(out)
				return true
			}
		}
	}
	p.fail(n, path, "strings, numbers, booleans, null, lists and mappings", "%s cannot be represented in JSON", describe(n))
	b.WriteString("null")
	return false
}
