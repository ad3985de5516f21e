package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		t    time.Duration
		want string
	}{
		{0, "0"},
		{50 * time.Second, "50"},
		{50100 * time.Millisecond, "50.1"},
		{time.Nanosecond, "0.000000001"},
		{time.Microsecond, "0.000001"},
		{time.Millisecond, "0.001"},
		{123456789, "0.123456789"},
		{time.Second + 10*time.Nanosecond, "1.00000001"},
		{time.Hour, "3600"},
		{30 * 24 * time.Hour, "2592000"},
		{-1500 * time.Millisecond, "-1.5"},
		{-time.Nanosecond, "-0.000000001"},
		{-50 * time.Second, "-50"},
		{math.MaxInt64, "9223372036.854775807"},
		{math.MinInt64, "-9223372036.854775808"},
		{math.MinInt64 + 1, "-9223372036.854775807"},
	} {
		require.Equal(t, tc.want, sim.Seconds(tc.t), "%d", int64(tc.t))
		require.Equal(t, "x="+tc.want, string(sim.AppendSeconds([]byte("x="), tc.t)))
	}
}

// The text of a whole second count round-trips through time.ParseDuration.
func TestSecondsRoundTrip(t *testing.T) {
	r := sim.NewRand(1, "seconds")
	for range 1000 {
		d := time.Duration(r.Uint64())
		back, err := time.ParseDuration(sim.Seconds(d) + "s")
		if err != nil || back != d {
			t.Fatalf("Seconds(%d) = %s parses back as %d (%v)", int64(d), sim.Seconds(d), int64(back), err)
		}
	}
}

func jsonOf(r sim.Record) string { return string(r.AppendJSON(nil)) }

func TestRecordJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  sim.Record
		want string
	}{
		{"t and kind first", sim.NewRecord(50100*time.Millisecond, "NodeCondition", false,
			sim.S("node", "a"), sim.S("type", "Ready"), sim.S("from", "True"), sim.S("to", "Unknown")),
			`{"t":50.1,"kind":"NodeCondition","node":"a","type":"Ready","from":"True","to":"Unknown"}`},
		{"no attributes", sim.NewRecord(0, "Start", false), `{"t":0,"kind":"Start"}`},
		{"attribute order kept, not sorted", sim.NewRecord(time.Second, "K", false, sim.S("z", "1"), sim.S("a", "2"), sim.S("m", "3")),
			`{"t":1,"kind":"K","z":"1","a":"2","m":"3"}`},
		{"integers", sim.NewRecord(1, "N", false, sim.I("zero", 0), sim.I("neg", -42), sim.I("big", 1<<53+1),
			sim.I("max", math.MaxInt64), sim.I("min", math.MinInt64)),
			`{"t":0.000000001,"kind":"N","zero":0,"neg":-42,"big":9007199254740993,"max":9223372036854775807,"min":-9223372036854775808}`},
		{"floats", sim.NewRecord(-time.Second, "F", false, sim.F("half", 0.5), sim.F("tenth", 0.1), sim.F("whole", 3),
			sim.F("tiny", 1e-7), sim.F("huge", 1e21), sim.F("neg", -2.5)),
			`{"t":-1,"kind":"F","half":0.5,"tenth":0.1,"whole":3,"tiny":1e-07,"huge":1e+21,"neg":-2.5}`},
		{"non-finite floats are strings", sim.NewRecord(0, "F", false, sim.F("nan", math.NaN()), sim.F("inf", math.Inf(1)), sim.F("ninf", math.Inf(-1))),
			`{"t":0,"kind":"F","nan":"NaN","inf":"+Inf","ninf":"-Inf"}`},
		{"string escapes", sim.NewRecord(0, "E", false, sim.S("q", `say "hi"`), sim.S("bs", `C:\dir`), sim.S("nl", "a\nb"),
			sim.S("tab", "a\tb"), sim.S("cr", "a\rb"), sim.S("ctl", "\x00\x01\x1f")),
			`{"t":0,"kind":"E","q":"say \"hi\"","bs":"C:\\dir","nl":"a\nb","tab":"a\tb","cr":"a\rb","ctl":"\u0000\u0001\u001f"}`},
		{"more string escapes", sim.NewRecord(0, "E", false, sim.S("del", "\x7f"), sim.S("empty", "")),
			`{"t":0,"kind":"E","del":"` + "\x7f" + `","empty":""}`},
		{"UTF-8 kept, invalid bytes replaced", sim.NewRecord(0, "U", false, sim.S("ok", "zone-ü/日本"), sim.S("bad", "a\xffb\xc3"), sim.S("sep", "\u2028")),
			`{"t":0,"kind":"U","ok":"zone-ü/日本","bad":"a\ufffdb\ufffd","sep":"` + "\u2028" + `"}`},
		{"keys and kinds are escaped too", sim.NewRecord(0, `k"ind`, false, sim.S("a\nkey", "v")),
			`{"t":0,"kind":"k\"ind","a\nkey":"v"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := jsonOf(tc.rec)
			require.Equal(t, tc.want, got)
			require.True(t, json.Valid([]byte(got)), "not valid JSON: %s", got)
		})
	}
}

// Every string survives a round trip through encoding/json, and "t" decodes to the
// record's time.
func TestRecordJSONRoundTrip(t *testing.T) {
	r := sim.NewRand(3, "json")
	for range 2000 {
		var sb strings.Builder
		for range r.Int64N(12) {
			sb.WriteRune(rune(r.Int64N(0x300))) // controls, ASCII, Latin-1 and more
		}
		val := sb.String()
		at := time.Duration(r.Int64N(int64(1000 * time.Hour)))
		n := int64(r.Uint64())
		rec := sim.NewRecord(at, "Kind", false, sim.S("s", val), sim.I("n", n))
		line := rec.AppendJSON(nil)
		var got struct {
			T    json.Number `json:"t"`
			Kind string      `json:"kind"`
			S    string      `json:"s"`
			N    json.Number `json:"n"`
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&got), "%s", line)
		require.Equal(t, val, got.S)
		require.Equal(t, sim.Seconds(at), got.T.String())
		require.Equal(t, "Kind", got.Kind)
		back, err := got.N.Int64()
		require.NoError(t, err)
		require.Equal(t, n, back)
	}
}

// Any bytes, valid UTF-8 or not, with runs of plain bytes between escapes: the line is
// valid JSON and decodes to the string with each invalid byte replaced by U+FFFD.
func TestRecordJSONAnyBytes(t *testing.T) {
	r := sim.NewRand(5, "json-bytes")
	alphabet := []byte("ab-/\"\\\n\t\x00\x1f\x7f\x80\xbf\xc3\xa9\xe6\x97\xa5\xff ")
	for range 3000 {
		b := make([]byte, r.Int64N(24))
		for i := range b {
			if r.Int64N(3) == 0 {
				b[i] = byte(r.Uint64())
			} else {
				b[i] = alphabet[r.Int64N(int64(len(alphabet)))]
			}
		}
		val := string(b)
		var want strings.Builder
		for i := 0; i < len(val); {
			c, size := utf8.DecodeRuneInString(val[i:])
			want.WriteRune(c) // RuneError for an invalid byte, which is U+FFFD
			i += size
		}
		rec := sim.NewRecord(0, "K", false, sim.S("s", val))
		line := rec.AppendJSON(nil)
		var got struct{ S string }
		require.NoError(t, json.Unmarshal(line, &got), "%q -> %s", val, line)
		require.Equal(t, want.String(), got.S, "%q -> %s", val, line)
	}
}

func TestRecordText(t *testing.T) {
	for _, tc := range []struct {
		rec  sim.Record
		want string
	}{
		{sim.NewRecord(50100*time.Millisecond, "NodeCondition", false, sim.S("node", "a"), sim.S("type", "Ready"), sim.S("from", "True"), sim.S("to", "Unknown")),
			"50.1s        NodeCondition node=a type=Ready from=True to=Unknown"},
		{sim.NewRecord(3*time.Hour, "X", false, sim.S("msg", "two words"), sim.S("empty", ""), sim.I("n", -3), sim.F("f", 0.25)),
			`10800s       X msg="two words" empty="" n=-3 f=0.25`},
		{sim.NewRecord(0, "Quotes", false, sim.S("q", `a"b`), sim.S("bs", `a\b`), sim.S("nl", "a\nb"), sim.S("u", "ü")),
			`0s           Quotes q="a\"b" bs="a\\b" nl="a\nb" u="ü"`},
		{sim.NewRecord(123456789*time.Millisecond, "Long", false),
			"123456.789s  Long"},
		{sim.NewRecord(1234567890123456789, "Longer", false),
			"1234567890.123456789s Longer"},
	} {
		require.Equal(t, tc.want, string(tc.rec.AppendText(nil)))
		require.Equal(t, "> "+tc.want, string(tc.rec.AppendText([]byte("> "))), "the padding counts from where the record starts")
	}
}

func TestWriteJSONLAndText(t *testing.T) {
	recs := []sim.Record{
		sim.NewRecord(time.Second, "A", false, sim.S("x", "1")),
		sim.NewRecord(2*time.Second, "B", true, sim.I("y", 2)),
	}
	var buf bytes.Buffer
	require.NoError(t, sim.WriteJSONL(&buf, recs))
	require.Equal(t, `{"t":1,"kind":"A","x":"1"}`+"\n"+`{"t":2,"kind":"B","y":2}`+"\n", buf.String())
	buf.Reset()
	require.NoError(t, sim.WriteText(&buf, recs))
	require.Equal(t, "1s           A x=1\n2s           B y=2\n", buf.String())

	buf.Reset()
	require.NoError(t, sim.WriteJSONL(&buf, nil))
	require.Empty(t, buf.String())

	// Writer errors come back.
	require.Error(t, sim.WriteJSONL(failingWriter{}, recs))
	require.Error(t, sim.WriteText(failingWriter{}, recs))
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestDigest(t *testing.T) {
	base := func() []sim.Record {
		return []sim.Record{
			sim.NewRecord(time.Second, "A", false, sim.S("node", "a"), sim.I("n", 1)),
			sim.NewRecord(2*time.Second, "B", false, sim.S("node", "b"), sim.F("f", 0.5)),
		}
	}
	d := sim.Digest(base())
	require.Len(t, d, 64)
	require.Equal(t, d, sim.Digest(base()), "same records, same digest")

	changes := map[string]func([]sim.Record) []sim.Record{
		"time": func(r []sim.Record) []sim.Record { r[0].T++; return r },
		"kind": func(r []sim.Record) []sim.Record { r[1].Kind = "C"; return r },
		"string value": func(r []sim.Record) []sim.Record {
			r[0] = sim.NewRecord(time.Second, "A", false, sim.S("node", "c"), sim.I("n", 1))
			return r
		},
		"int value": func(r []sim.Record) []sim.Record {
			r[0] = sim.NewRecord(time.Second, "A", false, sim.S("node", "a"), sim.I("n", 2))
			return r
		},
		"float value": func(r []sim.Record) []sim.Record {
			r[1] = sim.NewRecord(2*time.Second, "B", false, sim.S("node", "b"), sim.F("f", 0.25))
			return r
		},
		"key": func(r []sim.Record) []sim.Record {
			r[0] = sim.NewRecord(time.Second, "A", false, sim.S("pod", "a"), sim.I("n", 1))
			return r
		},
		"attribute order": func(r []sim.Record) []sim.Record {
			r[0] = sim.NewRecord(time.Second, "A", false, sim.I("n", 1), sim.S("node", "a"))
			return r
		},
		"attribute added": func(r []sim.Record) []sim.Record {
			r[0] = sim.NewRecord(time.Second, "A", false, sim.S("node", "a"), sim.I("n", 1), sim.S("x", ""))
			return r
		},
		"attribute removed": func(r []sim.Record) []sim.Record {
			r[0] = sim.NewRecord(time.Second, "A", false, sim.S("node", "a"))
			return r
		},
		"number to string": func(r []sim.Record) []sim.Record {
			r[0] = sim.NewRecord(time.Second, "A", false, sim.S("node", "a"), sim.S("n", "1"))
			return r
		},
		"record order":   func(r []sim.Record) []sim.Record { r[0], r[1] = r[1], r[0]; return r },
		"record added":   func(r []sim.Record) []sim.Record { return append(r, sim.NewRecord(3*time.Second, "C", false)) },
		"record removed": func(r []sim.Record) []sim.Record { return r[:1] },
		"boundary moved": func(r []sim.Record) []sim.Record {
			// The same bytes split differently between values must not collide.
			r[0] = sim.NewRecord(time.Second, "A", false, sim.S("node", "a,"), sim.I("n", 1))
			return r
		},
	}
	seen := map[string]string{d: "base"}
	for name, change := range changes {
		got := sim.Digest(change(base()))
		if prev, ok := seen[got]; ok {
			t.Fatalf("%s: digest equals that of %s", name, prev)
		}
		seen[got] = name
	}
	require.Equal(t, sim.Digest(nil), sim.Digest([]sim.Record{}))
	require.NotEqual(t, sim.Digest(nil), sim.Digest([]sim.Record{sim.NewRecord(0, "", false)}))
}

// Digest is the SHA-256 of the JSONL form: a reader can recompute it with sha256sum.
func TestDigestIsSHA256OfJSONL(t *testing.T) {
	recs := []sim.Record{sim.NewRecord(time.Second, "A", false, sim.S("x", "1"))}
	// printf '{"t":1,"kind":"A","x":"1"}\n' | sha256sum
	require.Equal(t, "8d1c42d807c0905f0204e8f0bdf42a0a0e8724b377ab46416efe6de741cb888b", sim.Digest(recs))
	// printf '' | sha256sum
	require.Equal(t, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", sim.Digest(nil))
}

func TestTraceKeepsRecordsInOrder(t *testing.T) {
	tr := sim.NewTrace(false)
	require.True(t, tr.Retain)
	require.False(t, tr.Verbose)
	tr.Add(time.Second, "A", sim.S("x", "1"))
	tr.AddQuiet(2*time.Second, "Renewal")
	tr.Add(3*time.Second, "B")
	require.Equal(t, 2, tr.Len())
	recs := tr.Records()
	require.Equal(t, "A", recs[0].Kind)
	require.Equal(t, "B", recs[1].Kind)
	require.False(t, recs[0].Quiet)
	require.True(t, tr.Wants(false))
	require.False(t, tr.Wants(true))

	v := sim.NewTrace(true)
	v.Add(time.Second, "A")
	v.AddQuiet(2*time.Second, "Renewal", sim.S("node", "a"))
	require.Equal(t, 2, v.Len())
	require.True(t, v.Records()[1].Quiet)
	require.True(t, v.Wants(true))

	// Append honours the record's quietness.
	q := sim.NewRecord(time.Second, "Q", true)
	tr.Append(&q)
	v.Append(&q)
	require.Equal(t, 2, tr.Len())
	require.Equal(t, 3, v.Len())
}

func TestTraceSinkAndRetain(t *testing.T) {
	tr := &sim.Trace{}
	var streamed []string
	tr.SetSink(func(r *sim.Record) { streamed = append(streamed, string(r.AppendText(nil))) })
	tr.Add(time.Second, "A", sim.I("n", 1))
	tr.AddQuiet(time.Second, "Quiet")
	require.Equal(t, []string{"1s           A n=1"}, streamed)
	require.Equal(t, 0, tr.Len(), "Retain is off in the zero Trace")

	tr.Retain = true
	tr.Add(2*time.Second, "B")
	require.Len(t, streamed, 2)
	require.Equal(t, 1, tr.Len())

	tr.SetSink(nil)
	tr.Add(3*time.Second, "C")
	require.Len(t, streamed, 2)
	require.Equal(t, 2, tr.Len())
}

func TestNilTraceIsSafe(t *testing.T) {
	var tr *sim.Trace
	require.False(t, tr.Wants(false))
	require.False(t, tr.Wants(true))
	tr.Add(time.Second, "A")
	tr.AddQuiet(time.Second, "B")
}

func TestRecordAttrs(t *testing.T) {
	attrs := make([]sim.Attr, 0, sim.MaxAttrs+2)
	for i := range sim.MaxAttrs + 2 {
		attrs = append(attrs, sim.I(string(rune('a'+i)), int64(i)))
	}
	r := sim.NewRecord(0, "Many", false, attrs...)
	require.Len(t, r.Attrs(), sim.MaxAttrs, "attributes past MaxAttrs are dropped")
	require.Equal(t, attrs[:sim.MaxAttrs], r.Attrs())

	r = sim.NewRecord(0, "K", false, sim.S("s", "v"), sim.I("i", -7), sim.F("f", 1.5), sim.S("dup", "first"), sim.S("dup", "second"))
	v, ok := r.Get("i")
	require.True(t, ok)
	require.Equal(t, "-7", v)
	require.Equal(t, "1.5", r.Str("f"))
	require.Equal(t, "v", r.Str("s"))
	require.Equal(t, "first", r.Str("dup"), "Get finds the first attribute of that name")
	_, ok = r.Get("missing")
	require.False(t, ok)
	require.Equal(t, "", r.Str("missing"))

	require.False(t, sim.S("k", "1").IsNum())
	require.True(t, sim.I("k", 1).IsNum())
	require.True(t, sim.F("k", 1).IsNum())
	require.Equal(t, "9007199254740993", sim.I("k", 1<<53+1).Value(), "integers are exact")
	require.Equal(t, float64(1<<53), sim.I("k", 1<<53+1).Num())
	require.Equal(t, "1e+100", sim.F("k", 1e100).Value())
}

func TestTraceAppendIsStableAcrossCopies(t *testing.T) {
	// A record is never written once built: a copy of it reads the same, and
	// changing the slice passed to NewRecord afterwards does not change the record.
	attrs := []sim.Attr{sim.S("node", "a")}
	r := sim.NewRecord(time.Second, "A", false, attrs...)
	attrs[0] = sim.S("node", "b")
	require.Equal(t, "a", r.Str("node"))
	c := r
	require.Equal(t, jsonOf(r), jsonOf(c))
}

func TestTraceChunksKeepOrder(t *testing.T) {
	tr := sim.NewTrace(false)
	const n = 3*sim.ChunkRecords + 17
	for i := 0; i < n; i++ {
		tr.Add(time.Duration(i), "K", sim.I("i", int64(i)))
		if i == sim.ChunkRecords+5 {
			require.Len(t, tr.Records(), i+1, "Records joins the chunks")
		}
	}
	require.Equal(t, n, tr.Len())
	recs := tr.Records()
	require.Len(t, recs, n)
	for i, r := range recs {
		require.Equal(t, time.Duration(i), r.T)
	}
	require.Len(t, tr.Records(), n, "a second call returns the same records")
}

// All walks the chunks in order without joining them, stops when asked, and its
// digest, JSONL and text equal those of the joined records.
func TestTraceAllWalksChunksInOrder(t *testing.T) {
	tr := sim.NewTrace(false)
	const n = 3*sim.ChunkRecords + 17
	for i := 0; i < n; i++ {
		tr.Add(time.Duration(i), "K", sim.I("i", int64(i)))
	}
	i := 0
	for r := range tr.All() {
		require.Equal(t, time.Duration(i), r.T)
		i++
	}
	require.Equal(t, n, i)
	seen := 0
	for range tr.All() {
		if seen++; seen == sim.ChunkRecords+1 {
			break
		}
	}
	require.Equal(t, sim.ChunkRecords+1, seen)
	var a, b, c, d strings.Builder
	require.NoError(t, sim.WriteJSONLOf(&a, tr.All()))
	require.NoError(t, sim.WriteTextOf(&c, tr.All()))
	dig := sim.DigestOf(tr.All())
	recs := tr.Records() // joins
	require.NoError(t, sim.WriteJSONL(&b, recs))
	require.NoError(t, sim.WriteText(&d, recs))
	require.Equal(t, b.String(), a.String())
	require.Equal(t, d.String(), c.String())
	require.Equal(t, sim.Digest(recs), dig)
	require.Equal(t, dig, sim.DigestOf(sim.TraceOf(recs).All()))
}

// Records are values: one retained by a trace, one built by NewRecord and one
// appended from it are deeply equal when their contents are, and differ when any
// part does (the shape a record shares with others included).
func TestRecordEquality(t *testing.T) {
	attrs := []sim.Attr{sim.S("node", "a"), sim.I("n", 1), sim.F("f", 0.5)}
	tr := sim.NewTrace(false)
	tr.Add(time.Second, "K", attrs...)
	tr.Add(time.Second, "K")
	built := sim.NewRecord(time.Second, "K", false, attrs...)
	tr.Append(&built)
	recs := tr.Records()
	require.Equal(t, built, recs[0])
	require.Equal(t, built, recs[2])
	require.Equal(t, sim.Record{T: time.Second, Kind: "K"}, recs[1])
	require.Equal(t, sim.NewRecord(time.Second, "K", false), recs[1])
	for _, other := range []sim.Record{
		sim.NewRecord(time.Second, "K", false, sim.S("node", "b"), sim.I("n", 1), sim.F("f", 0.5)),
		sim.NewRecord(time.Second, "K", false, sim.S("node", "a"), sim.I("m", 1), sim.F("f", 0.5)),
		sim.NewRecord(time.Second, "K", false, sim.S("node", "a"), sim.F("n", 1), sim.F("f", 0.5)),
		sim.NewRecord(time.Second, "K", false, sim.S("node", "a"), sim.I("n", 1)),
		sim.NewRecord(time.Second, "K", true, attrs...),
		sim.NewRecord(time.Second, "L", false, attrs...),
	} {
		require.NotEqual(t, other, recs[0])
	}
}

// Records share their shapes, whatever mix of kinds and attribute lists comes in:
// each record still reads back exactly as it was added.
func TestTraceShapesKeepEachRecordsAttributes(t *testing.T) {
	adds := []sim.Record{
		sim.NewRecord(1, "Action", false, sim.S("op", "cordon"), sim.S("node", "a"), sim.S("by", "x")),
		sim.NewRecord(2, "Action", false, sim.S("op", "drain"), sim.S("node", "a"), sim.S("by", "x"), sim.I("pods", 3)),
		sim.NewRecord(3, "Action", false, sim.S("op", "cordon"), sim.S("node", "b"), sim.S("by", "y")),
		sim.NewRecord(4, "Other", false, sim.S("op", "x"), sim.S("node", "c"), sim.S("by", "z")),
		sim.NewRecord(5, "Action", false, sim.S("op", "drain"), sim.S("node", "a"), sim.S("by", "x"), sim.S("pods", "3")),
		sim.NewRecord(6, "Action", false),
		sim.NewRecord(7, "Action", false, sim.S("op", ""), sim.I("node", 0), sim.F("by", 0)),
		sim.NewRecord(8, "Action", false, sim.I("op", math.MinInt64), sim.I("node", -1), sim.F("by", math.NaN()),
			sim.F("pods", math.Inf(-1)), sim.I("max", math.MaxInt64), sim.F("tiny", 5e-324)),
	}
	tr := sim.NewTrace(false)
	for i := range adds {
		tr.Add(adds[i].T, adds[i].Kind, adds[i].Attrs()...)
	}
	require.Equal(t, adds, tr.Records())
	for i, r := range tr.Records() {
		require.Equal(t, jsonOf(adds[i]), jsonOf(r))
		require.Equal(t, adds[i].Attrs(), r.Attrs())
	}
}

// A copy a sink keeps of a record it was passed stays valid after the trace moves on,
// whether or not the trace retains records.
func TestTraceSinkCopiesStayValid(t *testing.T) {
	for _, retain := range []bool{false, true} {
		tr := &sim.Trace{Retain: retain}
		var kept []sim.Record
		tr.SetSink(func(r *sim.Record) { kept = append(kept, *r) })
		const n = 20_000 // several chunks of values
		for i := range n {
			tr.Add(time.Duration(i), "K", sim.I("i", int64(i)), sim.S("s", podNames[i%len(podNames)]))
		}
		require.Len(t, kept, n)
		for i := range kept {
			require.Equal(t, strconv.Itoa(i), kept[i].Str("i"))
			require.Equal(t, podNames[i%len(podNames)], kept[i].Str("s"))
		}
	}
}

// A retained PodReady record (four string attributes) costs the trace 128 bytes of
// its own (a record with its attributes inline took 320).
func TestTraceRetainedBytesPerRecord(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("instrumentation changes the heap")
	}
	b := retainedBytesPerRecord(200_000)
	t.Logf("%.1f B per retained PodReady record", b)
	require.LessOrEqual(t, b, 132.0)
}

// Adding a retained record allocates only the trace's chunks, a few per thousand
// records.
func TestNoAllocsPerRetainedTraceRecord(t *testing.T) {
	skipAllocChecks(t)
	tr := sim.NewTrace(false)
	i := 0
	add := func() {
		addPodReady(tr, i)
		// A kind whose records come in two shapes, taking turns.
		if i%2 == 0 {
			tr.Add(time.Duration(i), "Action", sim.S("op", "drain"), sim.S("node", "a"), sim.I("pods", int64(i)))
		} else {
			tr.Add(time.Duration(i), "Action", sim.S("op", "cordon"), sim.S("node", "a"))
		}
		i++
	}
	for range 10_000 {
		add()
	}
	allocs := testing.AllocsPerRun(10_000, add) // rounded down: below 1 reads 0
	require.Zero(t, allocs)
}
