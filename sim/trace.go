package sim

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxAttrs is the most attributes a Record holds (the most any record of nodesim's
// has is 5, NodeCondition's; one is spare).
const MaxAttrs = 6

// Attr is one named field of a trace record: a string, an integer or a float.
type Attr struct {
	Key  string
	Str  string
	i    int64 // an integer's value, or a float's bits
	kind uint8 // 0 string, 1 int, 2 float
}

// S is a string attribute.
func S(key, val string) Attr { return Attr{Key: key, Str: val} }

// I is an integer attribute.
func I(key string, val int64) Attr { return Attr{Key: key, i: val, kind: 1} }

// F is a float attribute.
func F(key string, val float64) Attr { return Attr{Key: key, i: int64(math.Float64bits(val)), kind: 2} }

// Num is the value of a number attribute (an integer's rounded to float64); 0 for a
// string.
func (a Attr) Num() float64 {
	switch a.kind {
	case 1:
		return float64(a.i)
	case 2:
		return math.Float64frombits(uint64(a.i))
	}
	return 0
}

// IsNum reports whether the attribute holds a number.
func (a Attr) IsNum() bool { return a.kind != 0 }

// Value renders the attribute's value as text.
func (a Attr) Value() string {
	switch a.kind {
	case 1:
		return strconv.FormatInt(a.i, 10)
	case 2:
		return strconv.FormatFloat(a.Num(), 'g', -1, 64)
	}
	return a.Str
}

// Record is one typed trace record: when, what kind, and up to MaxAttrs fields in a
// fixed order. Quiet records (lease renewals, status patches, log lines) are kept only
// when the trace is verbose.
//
// A long trace is mostly records of a few kinds whose attribute names repeat, so a
// record keeps its names and value types in a shape shared by every record like it, and
// only its values itself. The values of a trace's records sit in the trace's chunks.
// Records are never written once built: a copy of one stays valid (the chunks it
// points into are not reused), and two records are deeply equal exactly when their
// times, kinds, quietness and attributes are.
type Record struct {
	T     time.Duration
	Kind  string
	shape *shape   // nil when the record has no attributes
	vals  []string // one per attribute (see setValues); nil when there are none
	Quiet bool
}

// shape is the attribute names and value types of a record, in order.
type shape struct {
	n     uint8
	kinds [MaxAttrs]uint8
	keys  [MaxAttrs]string
}

// fits reports whether attrs (at most MaxAttrs of them) have this shape.
func (sh *shape) fits(attrs []Attr) bool {
	if int(sh.n) != len(attrs) {
		return false
	}
	for j := range attrs {
		if sh.keys[j] != attrs[j].Key || sh.kinds[j] != attrs[j].kind {
			return false
		}
	}
	return true
}

func shapeOf(attrs []Attr) shape {
	sh := shape{n: uint8(len(attrs))}
	for j, a := range attrs {
		sh.keys[j], sh.kinds[j] = a.Key, a.kind
	}
	return sh
}

// NewRecord builds a record; attributes past MaxAttrs are dropped.
func NewRecord(t time.Duration, kind string, quiet bool, attrs ...Attr) Record {
	attrs = attrs[:min(len(attrs), MaxAttrs)]
	r := Record{T: t, Kind: kind, Quiet: quiet}
	if len(attrs) > 0 {
		sh := shapeOf(attrs)
		r.shape = &sh
		r.vals = make([]string, len(attrs))
		setValues(r.vals, attrs, nil)
	}
	return r
}

// setValues stores the attributes' values: a string as itself, a number as the 8
// bytes of its bits (little-endian), from nums when given. Nearly every value is a
// string that lives elsewhere anyway (a pod's key, a node's name), so a value takes
// no more than a string header.
func setValues(vals []string, attrs []Attr, nums *strings.Builder) {
	for j, a := range attrs {
		if a.kind == 0 {
			vals[j] = a.Str
			continue
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(a.i))
		if nums == nil {
			vals[j] = string(b[:])
			continue
		}
		// The builder only ever appends, so what it returned earlier stays intact;
		// a full one is left to the strings that point into it.
		if nums.Cap()-nums.Len() < len(b) {
			size := growChunk(nums.Cap(), chunkNumbers)
			*nums = strings.Builder{}
			nums.Grow(size)
		}
		start := nums.Len()
		nums.Write(b[:])
		vals[j] = nums.String()[start:]
	}
}

// attr is the record's j-th attribute.
func (r *Record) attr(j int) Attr {
	a := Attr{Key: r.shape.keys[j], kind: r.shape.kinds[j]}
	if v := r.vals[j]; a.kind == 0 {
		a.Str = v
	} else {
		for k := len(v) - 1; k >= 0; k-- {
			a.i = a.i<<8 | int64(v[k])
		}
	}
	return a
}

// Attrs returns the record's attributes in order, in a new slice.
func (r *Record) Attrs() []Attr {
	if len(r.vals) == 0 {
		return nil
	}
	attrs := make([]Attr, len(r.vals))
	for j := range attrs {
		attrs[j] = r.attr(j)
	}
	return attrs
}

// Get returns the value of the attribute named key as text.
func (r *Record) Get(key string) (string, bool) {
	for j := range r.vals {
		if r.shape.keys[j] == key {
			return r.attr(j).Value(), true
		}
	}
	return "", false
}

// Str returns the attribute named key, or "" when absent.
func (r *Record) Str(key string) string {
	v, _ := r.Get(key)
	return v
}

// Trace collects records in simulation order. Records can be retained in memory,
// streamed to a sink, or both.
type Trace struct {
	Verbose bool
	// Retain keeps every record in memory (Records); on by default with NewTrace.
	Retain bool
	// Retained records are kept in fixed-size chunks (full ones in done, the current
	// one in recs), so that a long trace never copies what it already holds as it
	// grows; Records joins them once when asked.
	recs  []Record
	done  [][]Record
	ndone int
	// vals is the unused rest of the chunk that the next records' values go to. A
	// full chunk is left to the records that point into it, never reused, so that a
	// record stays valid however long it is kept (a sink's copy included).
	vals      []string
	valsChunk int // the size of the last chunk of values
	// nums holds the bytes of number attributes (see setValues).
	nums *strings.Builder
	// lastShape holds the last shape of each kind's records (a kind's records
	// nearly always have the same one), and shapes every shape seen, so that records
	// alike share theirs.
	lastShape map[string]*shape
	shapes    map[shape]*shape
	sink      func(*Record)
	// scratch holds the record being added when records are not retained.
	scratch Record
}

// NewTrace returns a trace that retains records; verbose keeps quiet records too.
func NewTrace(verbose bool) *Trace { return &Trace{Verbose: verbose, Retain: true} }

// SetSink streams every kept record to fn as it is added (nil removes the sink).
func (tr *Trace) SetSink(fn func(*Record)) { tr.sink = fn }

// Wants reports whether a record of that quietness would be kept. Callers use it to
// skip building quiet records at all.
func (tr *Trace) Wants(quiet bool) bool { return tr != nil && (!quiet || tr.Verbose) }

// Add appends a record built from its parts (see NewRecord).
func (tr *Trace) Add(t time.Duration, kind string, attrs ...Attr) {
	tr.add(t, kind, false, attrs)
}

// AddQuiet appends a quiet record (kept only when Verbose).
func (tr *Trace) AddQuiet(t time.Duration, kind string, attrs ...Attr) {
	tr.add(t, kind, true, attrs)
}

// add builds the record in place — in the retained slice, or in a reused scratch
// record when nothing is retained — so that adding a record does not allocate one on
// the heap (a record built on the stack and passed to the sink by pointer would); its
// values go to the trace's chunks. The sink sees it before the next record is added,
// as with Append.
func (tr *Trace) add(t time.Duration, kind string, quiet bool, attrs []Attr) {
	if !tr.Wants(quiet) || !tr.Retain && tr.sink == nil {
		return
	}
	var r *Record
	if tr.Retain {
		r = tr.next()
	} else {
		r = &tr.scratch
	}
	*r = Record{T: t, Kind: kind, Quiet: quiet}
	tr.setAttrs(r, attrs[:min(len(attrs), MaxAttrs)])
	if tr.sink != nil {
		tr.sink(r)
	}
}

// Append adds r if the trace wants it.
func (tr *Trace) Append(r *Record) {
	if !tr.Wants(r.Quiet) {
		return
	}
	if tr.sink != nil {
		tr.sink(r)
	}
	if tr.Retain {
		// The copy shares the trace's shapes and chunks, not r's own (which would
		// keep whatever r's attributes were built in alive for each record).
		var buf [MaxAttrs]Attr
		attrs := buf[:len(r.vals)]
		for j := range attrs {
			attrs[j] = r.attr(j)
		}
		c := tr.next()
		*c = Record{T: r.T, Kind: r.Kind, Quiet: r.Quiet}
		tr.setAttrs(c, attrs)
	}
}

// setAttrs gives r (of its kind) attrs, at most MaxAttrs of them.
func (tr *Trace) setAttrs(r *Record, attrs []Attr) {
	if len(attrs) == 0 {
		return
	}
	r.shape = tr.shapeFor(r.Kind, attrs)
	r.vals = tr.values(len(attrs))
	setValues(r.vals, attrs, tr.numbers())
}

// shapeFor returns the trace's shape for attrs (1 to MaxAttrs of them).
func (tr *Trace) shapeFor(kind string, attrs []Attr) *shape {
	if sh := tr.lastShape[kind]; sh != nil && sh.fits(attrs) {
		return sh
	}
	want := shapeOf(attrs)
	sh := tr.shapes[want]
	if sh == nil {
		if tr.shapes == nil {
			tr.shapes = make(map[shape]*shape)
			tr.lastShape = make(map[string]*shape)
		}
		sh = new(shape)
		*sh = want
		tr.shapes[want] = sh
	}
	tr.lastShape[kind] = sh
	return sh
}

// chunkValues is the largest chunk of attribute values (64 KB), chunkNumbers that of
// numbers' bytes. Chunks start small and double up to these, so that the short runs
// of a seed sweep do not each take 64 KB for a few hundred records.
const (
	chunkValues  = 4096
	chunkNumbers = 4096
)

// growChunk is the size of the chunk after one of size last (0 for the first).
func growChunk(last, largest int) int { return min(max(2*last, 64), largest) }

// values returns room for n (at most MaxAttrs) values of the next record.
func (tr *Trace) values(n int) []string {
	if len(tr.vals) < n {
		tr.valsChunk = growChunk(tr.valsChunk, chunkValues)
		tr.vals = make([]string, tr.valsChunk)
	}
	v := tr.vals[:n:n]
	tr.vals = tr.vals[n:]
	return v
}

func (tr *Trace) numbers() *strings.Builder {
	if tr.nums == nil {
		tr.nums = new(strings.Builder)
	}
	return tr.nums
}

// chunkRecords is the size of a chunk of retained records (64 KB).
const chunkRecords = 1024

// next returns the slot of the next retained record.
func (tr *Trace) next() *Record {
	if len(tr.recs) == cap(tr.recs) && len(tr.recs) >= chunkRecords {
		tr.done = append(tr.done, tr.recs)
		tr.ndone += len(tr.recs)
		tr.recs = make([]Record, 0, chunkRecords)
	}
	tr.recs = append(tr.recs, Record{})
	return &tr.recs[len(tr.recs)-1]
}

// TraceOf returns a trace that retains recs (which it takes over), as if they had
// been added to it: for building a result from records held elsewhere.
func TraceOf(recs []Record) *Trace { return &Trace{Retain: true, recs: recs} }

// All yields the retained records in order, without joining the trace's chunks into
// one slice as Records does (which, for a long trace, copies all of it).
func (tr *Trace) All() iter.Seq[*Record] {
	return func(yield func(*Record) bool) {
		for _, c := range tr.done {
			for i := range c {
				if !yield(&c[i]) {
					return
				}
			}
		}
		for i := range tr.recs {
			if !yield(&tr.recs[i]) {
				return
			}
		}
	}
}

// Each yields the records of a slice in order (to pass a slice where records in
// order are expected).
func Each(recs []Record) iter.Seq[*Record] {
	return func(yield func(*Record) bool) {
		for i := range recs {
			if !yield(&recs[i]) {
				return
			}
		}
	}
}

// Records returns the retained records in order. The slice is the trace's own; a
// trace longer than a chunk is joined into one slice on the first call (All does not
// copy).
func (tr *Trace) Records() []Record {
	if len(tr.done) > 0 {
		all := make([]Record, 0, tr.ndone+len(tr.recs))
		for _, c := range tr.done {
			all = append(all, c...)
		}
		tr.recs = append(all, tr.recs...)
		tr.done, tr.ndone = nil, 0
	}
	return tr.recs
}

// Len is the number of retained records.
func (tr *Trace) Len() int { return tr.ndone + len(tr.recs) }

// Seconds renders a virtual time as seconds with up to nanosecond precision and no
// trailing zeros ("50", "50.1", "0.000001"), using integer arithmetic so the text is
// identical on every platform.
func Seconds(t time.Duration) string { return string(AppendSeconds(nil, t)) }

// AppendSeconds appends Seconds(t) to b.
func AppendSeconds(b []byte, t time.Duration) []byte {
	u := uint64(t) // the magnitude, in uint64 so that -minInt64 does not overflow
	if t < 0 {
		b = append(b, '-')
		u = -u
	}
	sec := u / uint64(time.Second)
	frac := u % uint64(time.Second)
	b = strconv.AppendUint(b, sec, 10)
	if frac == 0 {
		return b
	}
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	end := 9
	for end > 0 && digits[end-1] == '0' {
		end--
	}
	b = append(b, '.')
	return append(b, digits[:end]...)
}

// AppendJSON appends the record as one JSON object (no newline): "t" in seconds,
// "kind", then the attributes in order. Numbers are JSON numbers, except floats that
// JSON cannot represent (NaN, ±Inf), which are written as the strings "NaN", "+Inf"
// and "-Inf"; invalid UTF-8 in strings becomes U+FFFD, as encoding/json does.
func (r *Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"t":`...)
	b = AppendSeconds(b, r.T)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, r.Kind)
	for j := range r.vals {
		a := r.attr(j)
		b = append(b, ',')
		b = appendJSONString(b, a.Key)
		b = append(b, ':')
		switch {
		case a.kind == 1:
			b = strconv.AppendInt(b, a.i, 10)
		case a.kind == 2 && (math.IsNaN(a.Num()) || math.IsInf(a.Num(), 0)):
			b = append(b, '"')
			b = strconv.AppendFloat(b, a.Num(), 'g', -1, 64)
			b = append(b, '"')
		case a.kind == 2:
			b = strconv.AppendFloat(b, a.Num(), 'g', -1, 64)
		default:
			b = appendJSONString(b, a.Str)
		}
	}
	return append(b, '}')
}

// AppendText appends the record's stable one-line text form: the time in seconds,
// padded to 12 columns, a space, the kind, then key=value pairs (values quoted when
// they are empty or hold spaces, quotes, backslashes or non-ASCII bytes):
// "50.1s        NodeCondition node=a type=Ready from=True to=Unknown".
func (r *Record) AppendText(b []byte) []byte {
	start := len(b)
	b = AppendSeconds(b, r.T)
	b = append(b, 's')
	for len(b)-start < 12 {
		b = append(b, ' ')
	}
	b = append(b, ' ')
	b = append(b, r.Kind...)
	for j := range r.vals {
		a := r.attr(j)
		b = append(b, ' ')
		b = append(b, a.Key...)
		b = append(b, '=')
		v := a.Value()
		if needsQuote(v) {
			b = strconv.AppendQuote(b, v)
		} else {
			b = append(b, v...)
		}
	}
	return b
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '\\' || c >= 0x7f {
			return true
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	// Runs of bytes that need no escape (names, keys, reasons: nearly every byte of a
	// trace) are appended whole; a byte at a time was 7 % of `nodesim run -o jsonl`'s
	// instructions on a large cluster's day.
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size - 1
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// WriteJSONL writes records as JSON lines.
func WriteJSONL(w io.Writer, recs []Record) error { return WriteJSONLOf(w, Each(recs)) }

// WriteJSONLOf is WriteJSONL for records however they are held (Trace.All).
func WriteJSONLOf(w io.Writer, recs iter.Seq[*Record]) error {
	return writeLines(w, recs, (*Record).AppendJSON)
}

func writeLines(w io.Writer, recs iter.Seq[*Record], line func(*Record, []byte) []byte) error {
	bw := bufio.NewWriter(w)
	var buf []byte
	for r := range recs {
		buf = line(r, buf[:0])
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// WriteText writes records in their text form, one per line.
func WriteText(w io.Writer, recs []Record) error { return WriteTextOf(w, Each(recs)) }

// WriteTextOf is WriteText for records however they are held (Trace.All).
func WriteTextOf(w io.Writer, recs iter.Seq[*Record]) error {
	return writeLines(w, recs, (*Record).AppendText)
}

// Digest is the SHA-256 of the records' JSONL form, in hex: two runs are identical
// exactly when their digests are.
func Digest(recs []Record) string { return DigestOf(Each(recs)) }

// DigestOf is Digest for records however they are held (Trace.All).
func DigestOf(recs iter.Seq[*Record]) string {
	h := sha256.New()
	var buf []byte
	for r := range recs {
		buf = r.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}
