package taint

import (
	"errors"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Rules of upstream Toleration.ToleratesTaint
// (staging/src/k8s.io/api/core/v1/toleration.go), cited by the rows below:
//
//	E: a non-empty toleration effect must equal the taint effect; empty matches all.
//	K: a non-empty toleration key must equal the taint key; empty matches all.
//	EQ: operator "" or Equal: values must be equal (empty == empty).
//	EX: operator Exists: any value.
//	CMP: Lt/Gt: false when the gate is off; both values must pass
//	     content.IsDecimalInteger and strconv.ParseInt(…, 10, 64), else false;
//	     Lt: taint < toleration, Gt: taint > toleration.
//	UNK: any other operator: false.
var (
	tNS     = Taint{Key: "k", Value: "v", Effect: NoSchedule}
	tNSNoV  = Taint{Key: "k", Effect: NoSchedule}
	tPNS    = Taint{Key: "k", Value: "v", Effect: PreferNoSchedule}
	tNE     = Taint{Key: "k", Value: "v", Effect: NoExecute}
	tNum    = func(v string) Taint { return Taint{Key: "k", Value: v, Effect: NoSchedule} }
	tolCmp  = func(op Operator, v string) Toleration { return Toleration{Key: "k", Operator: op, Value: v} }
	onlyOn  = []bool{true}
	onlyOff = []bool{false}
)

type tolRow struct {
	name  string
	tol   Toleration
	taint Taint
	gates []bool // nil: the answer must be the same with the gate on and off
	want  bool
}

var toleratesRows = []tolRow{
	// --- Exists × effect × key ---
	{"Exists/effect empty", Toleration{Key: "k", Operator: OpExists}, tNS, nil, true},                                             // E empty matches all; EX
	{"Exists/effect equal NoSchedule", Toleration{Key: "k", Operator: OpExists, Effect: NoSchedule}, tNS, nil, true},              // E equal
	{"Exists/effect equal PreferNoSchedule", Toleration{Key: "k", Operator: OpExists, Effect: PreferNoSchedule}, tPNS, nil, true}, // E equal; EX
	{"Exists/effect equal NoExecute", Toleration{Key: "k", Operator: OpExists, Effect: NoExecute}, tNE, nil, true},                // E equal; EX
	{"Exists/effect mismatch", Toleration{Key: "k", Operator: OpExists, Effect: NoExecute}, tNS, nil, false},                      // E mismatch
	{"Exists/effect mismatch PNS vs NS", Toleration{Key: "k", Operator: OpExists, Effect: PreferNoSchedule}, tNS, nil, false},     // E: no effect implies another
	{"Exists/empty key empty effect tolerates everything", Toleration{Operator: OpExists}, tNE, nil, true},                        // K empty; E empty; EX
	{"Exists/empty key, effect set", Toleration{Operator: OpExists, Effect: NoExecute}, tNE, nil, true},                           // K empty; E equal
	{"Exists/empty key, effect mismatch", Toleration{Operator: OpExists, Effect: NoExecute}, tNS, nil, false},                     // E mismatch despite K empty
	{"Exists/key mismatch", Toleration{Key: "other", Operator: OpExists}, tNS, nil, false},                                        // K mismatch
	{"Exists/key is case sensitive", Toleration{Key: "K", Operator: OpExists}, tNS, nil, false},                                   // K exact string equality
	{"Exists/empty taint value", Toleration{Key: "k", Operator: OpExists}, tNSNoV, nil, true},                                     // EX
	{"Exists/with a value (invalid) still matches", Toleration{Key: "k", Operator: OpExists, Value: "zzz"}, tNS, nil, true},       // EX ignores the value

	// --- Equal × effect × key × empty value ---
	{"Equal/effect empty", Toleration{Key: "k", Operator: OpEqual, Value: "v"}, tNS, nil, true},                                  // E empty; EQ
	{"Equal/effect equal", Toleration{Key: "k", Operator: OpEqual, Value: "v", Effect: NoSchedule}, tNS, nil, true},              // E equal; EQ
	{"Equal/effect equal NoExecute", Toleration{Key: "k", Operator: OpEqual, Value: "v", Effect: NoExecute}, tNE, nil, true},     // E equal; EQ
	{"Equal/effect equal PNS", Toleration{Key: "k", Operator: OpEqual, Value: "v", Effect: PreferNoSchedule}, tPNS, nil, true},   // E equal; EQ
	{"Equal/effect mismatch", Toleration{Key: "k", Operator: OpEqual, Value: "v", Effect: NoExecute}, tNS, nil, false},           // E mismatch
	{"Equal/value mismatch", Toleration{Key: "k", Operator: OpEqual, Value: "w"}, tNS, nil, false},                               // EQ
	{"Equal/value case sensitive", Toleration{Key: "k", Operator: OpEqual, Value: "V"}, tNS, nil, false},                         // EQ exact
	{"Equal/both values empty", Toleration{Key: "k", Operator: OpEqual}, tNSNoV, nil, true},                                      // EQ empty == empty
	{"Equal/empty toleration value vs set taint value", Toleration{Key: "k", Operator: OpEqual}, tNS, nil, false},                // EQ
	{"Equal/set toleration value vs empty taint value", Toleration{Key: "k", Operator: OpEqual, Value: "v"}, tNSNoV, nil, false}, // EQ: "v" != ""
	{"Equal/key mismatch", Toleration{Key: "x", Operator: OpEqual, Value: "v"}, tNS, nil, false},                                 // K mismatch
	{"Equal/empty key (invalid) matches any key", Toleration{Operator: OpEqual, Value: "v"}, tNS, nil, true},                     // K empty; EQ
	{"Equal/empty key, empty value vs empty value", Toleration{Operator: OpEqual}, tNSNoV, nil, true},                            // K empty; EQ
	{"Equal/empty key, empty value vs set value", Toleration{Operator: OpEqual}, tNS, nil, false},                                // EQ
	{"Equal/numeric strings compare as strings", Toleration{Key: "k", Operator: OpEqual, Value: "05"}, tNum("5"), nil, false},    // EQ is string equality

	// --- "" operator behaves as Equal ---
	{"empty op/effect empty", Toleration{Key: "k", Value: "v"}, tNS, nil, true},                               // EQ
	{"empty op/effect equal", Toleration{Key: "k", Value: "v", Effect: NoSchedule}, tNS, nil, true},           // E; EQ
	{"empty op/effect mismatch", Toleration{Key: "k", Value: "v", Effect: PreferNoSchedule}, tNS, nil, false}, // E
	{"empty op/value mismatch", Toleration{Key: "k", Value: "w"}, tNS, nil, false},                            // EQ
	{"empty op/both values empty", Toleration{Key: "k"}, tNSNoV, nil, true},                                   // EQ empty == empty
	{"empty op/empty value vs set value", Toleration{Key: "k"}, tNS, nil, false},                              // EQ: "" is not a wildcard
	{"empty op/empty key matches any key", Toleration{Value: "v"}, tNE, nil, true},                            // K empty; E empty; EQ
	{"empty op/all empty vs empty-valued taint", Toleration{}, tNSNoV, nil, true},                             // K, E empty; EQ
	{"empty op/all empty vs valued taint", Toleration{}, tNS, nil, false},                                     // EQ
	{"empty op/key mismatch", Toleration{Key: "x", Value: "v"}, tNS, nil, false},                              // K

	// --- Lt / Gt with the gate on ---
	{"Lt/taint below", tolCmp(OpLt, "10"), tNum("5"), onlyOn, true},                                                        // CMP Lt: 5 < 10
	{"Lt/equal", tolCmp(OpLt, "5"), tNum("5"), onlyOn, false},                                                              // CMP strict
	{"Lt/taint above", tolCmp(OpLt, "5"), tNum("10"), onlyOn, false},                                                       // CMP
	{"Gt/taint above", tolCmp(OpGt, "5"), tNum("10"), onlyOn, true},                                                        // CMP Gt: 10 > 5
	{"Gt/equal", tolCmp(OpGt, "5"), tNum("5"), onlyOn, false},                                                              // CMP strict
	{"Gt/taint below", tolCmp(OpGt, "10"), tNum("5"), onlyOn, false},                                                       // CMP
	{"Lt/numeric not lexical", tolCmp(OpLt, "10"), tNum("9"), onlyOn, true},                                                // CMP: 9 < 10 although "9" > "10"
	{"Lt/negative", tolCmp(OpLt, "0"), tNum("-1"), onlyOn, true},                                                           // CMP: '-' allowed
	{"Gt/negative", tolCmp(OpGt, "-2"), tNum("-1"), onlyOn, true},                                                          // CMP
	{"Lt/zero", tolCmp(OpLt, "1"), tNum("0"), onlyOn, true},                                                                // CMP: "0" is canonical
	{"Lt/int64 extremes", tolCmp(OpLt, "9223372036854775807"), tNum("-9223372036854775808"), onlyOn, true},                 // CMP range
	{"Gt/int64 extremes", tolCmp(OpGt, "-9223372036854775808"), tNum("9223372036854775807"), onlyOn, true},                 // CMP range
	{"Gt/taint overflows int64", tolCmp(OpGt, "0"), tNum("9223372036854775808"), onlyOn, false},                            // CMP ParseInt range error
	{"Lt/toleration overflows int64", tolCmp(OpLt, "9223372036854775808"), tNum("0"), onlyOn, false},                       // CMP ParseInt range error
	{"Lt/taint underflows int64", tolCmp(OpLt, "0"), tNum("-9223372036854775809"), onlyOn, false},                          // CMP ParseInt range error
	{"Gt/non-numeric taint value", tolCmp(OpGt, "900"), tNum("high"), onlyOn, false},                                       // CMP parse failure
	{"Lt/non-numeric toleration value", tolCmp(OpLt, "x"), tNum("5"), onlyOn, false},                                       // CMP parse failure
	{"Lt/empty toleration value", tolCmp(OpLt, ""), tNum("5"), onlyOn, false},                                              // CMP IsDecimalInteger: empty
	{"Gt/empty taint value", tolCmp(OpGt, "-5"), tNSNoV, onlyOn, false},                                                    // CMP IsDecimalInteger: empty
	{"Lt/leading zero taint", tolCmp(OpLt, "10"), tNum("05"), onlyOn, false},                                               // CMP IsDecimalInteger: no leading zeros
	{"Lt/leading zero toleration", tolCmp(OpLt, "010"), tNum("5"), onlyOn, false},                                          // CMP
	{"Gt/plus sign", tolCmp(OpGt, "1"), tNum("+5"), onlyOn, false},                                                         // CMP IsDecimalInteger: no '+'
	{"Lt/minus zero", tolCmp(OpLt, "1"), tNum("-0"), onlyOn, false},                                                        // CMP IsDecimalInteger: "-0" rejected
	{"Lt/lone minus", tolCmp(OpLt, "1"), tNum("-"), onlyOn, false},                                                         // CMP
	{"Lt/decimal point", tolCmp(OpLt, "10"), tNum("5.0"), onlyOn, false},                                                   // CMP integers only
	{"Lt/exponent", tolCmp(OpLt, "10000"), tNum("1e3"), onlyOn, false},                                                     // CMP
	{"Lt/space", tolCmp(OpLt, "10"), tNum(" 5"), onlyOn, false},                                                            // CMP
	{"Lt/hex", tolCmp(OpLt, "100"), tNum("0x10"), onlyOn, false},                                                           // CMP base 10
	{"Lt/effect mismatch", Toleration{Key: "k", Operator: OpLt, Value: "10", Effect: NoExecute}, tNum("5"), onlyOn, false}, // E first
	{"Lt/effect equal", Toleration{Key: "k", Operator: OpLt, Value: "10", Effect: NoSchedule}, tNum("5"), onlyOn, true},    // E equal; CMP
	{"Lt/key mismatch", Toleration{Key: "x", Operator: OpLt, Value: "10"}, tNum("5"), onlyOn, false},                       // K first
	{"Gt/empty key (invalid) matches any key", Toleration{Operator: OpGt, Value: "1"}, tNum("5"), onlyOn, true},            // K empty; CMP

	// --- Lt / Gt with the gate off never match ---
	{"Lt/gate off", tolCmp(OpLt, "10"), tNum("5"), onlyOff, false},                                           // CMP gate off
	{"Gt/gate off", tolCmp(OpGt, "5"), tNum("10"), onlyOff, false},                                           // CMP gate off
	{"Gt/gate off, empty key and effect", Toleration{Operator: OpGt, Value: "1"}, tNum("5"), onlyOff, false}, // CMP gate off beats K/E wildcards
	{"Lt/gate off, non-numeric", tolCmp(OpLt, "x"), tNum("y"), onlyOff, false},                               // CMP gate off

	// --- unknown operators never match ---
	{"unknown/Weird", Toleration{Key: "k", Operator: "Weird", Value: "v"}, tNS, nil, false},           // UNK
	{"unknown/lowercase exists", Toleration{Key: "k", Operator: "exists"}, tNS, nil, false},           // UNK: operators are case sensitive
	{"unknown/lowercase equal", Toleration{Key: "k", Operator: "equal", Value: "v"}, tNS, nil, false}, // UNK
	{"unknown/lowercase lt", tolCmp("lt", "10"), tNum("5"), nil, false},                               // UNK even with the gate on
	{"unknown/empty key and effect", Toleration{Operator: "In"}, tNSNoV, nil, false},                  // UNK beats K/E wildcards
	{"unknown/semver operator", tolCmp("SemverGt", "1"), tNum("5"), nil, false},                       // UNK
}

func TestToleratesTaint(t *testing.T) {
	for _, r := range toleratesRows {
		gates := r.gates
		if gates == nil {
			gates = []bool{false, true}
		}
		for _, gate := range gates {
			t.Run(r.name+"/gate="+strconv.FormatBool(gate), func(t *testing.T) {
				require.Equal(t, r.want, r.tol.ToleratesTaint(r.taint, gate), "toleration %s vs taint %s", r.tol, r.taint)
				// Matching only depends on key, effect, operator and value.
				withSeconds := r.tol
				withSeconds.TolerationSeconds = Seconds(7)
				stamped := r.taint
				stamped.TimeAdded = 42
				require.Equal(t, r.want, withSeconds.ToleratesTaint(stamped, gate))
			})
		}
	}
}

// decimalRE is content.IsDecimalInteger written as a regular expression.
var decimalRE = regexp.MustCompile(`^(0|-?[1-9][0-9]*)$`)

// modelInt parses s as upstream's compareNumericValues does, written with the
// standard library instead of our hand-rolled parser.
func modelInt(s string) (int64, bool) {
	if !decimalRE.MatchString(s) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// modelTolerates is an independent restatement of upstream's rules.
func modelTolerates(tol Toleration, t Taint, gate bool) bool {
	effectOK := tol.Effect == "" || tol.Effect == t.Effect
	keyOK := tol.Key == "" || tol.Key == t.Key
	op := tol.Operator
	if op == "" {
		op = OpEqual
	}
	var valueOK bool
	switch {
	case op == OpEqual:
		valueOK = tol.Value == t.Value
	case op == OpExists:
		valueOK = true
	case (op == OpLt || op == OpGt) && gate:
		a, okA := modelInt(tol.Value)
		b, okB := modelInt(t.Value)
		valueOK = okA && okB && (op == OpLt && b < a || op == OpGt && b > a)
	}
	return effectOK && keyOK && valueOK
}

var (
	genKey      = rapid.SampledFrom([]string{"", "k", "a", "example.com/k"})
	genEffect   = rapid.SampledFrom([]Effect{"", NoSchedule, PreferNoSchedule, NoExecute, "Bogus"})
	genTEffect  = rapid.SampledFrom([]Effect{NoSchedule, PreferNoSchedule, NoExecute})
	genOperator = rapid.SampledFrom([]Operator{"", OpEqual, OpExists, OpLt, OpGt, "lt", "Weird"})
	genValue    = rapid.OneOf(
		rapid.SampledFrom([]string{"", "0", "1", "-1", "5", "10", "01", "+1", "-0", "-", "x", "1.5",
			"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809"}),
		rapid.Map(rapid.Int64(), func(n int64) string { return strconv.FormatInt(n, 10) }),
		rapid.Map(rapid.Int64Range(-20, 20), func(n int64) string { return strconv.FormatInt(n, 10) }),
		rapid.StringMatching(`[-+0-9a]{0,4}`),
	)
	genToleration = rapid.Custom(func(t *rapid.T) Toleration {
		return Toleration{
			Key:      genKey.Draw(t, "tolKey"),
			Operator: genOperator.Draw(t, "op"),
			Value:    genValue.Draw(t, "tolValue"),
			Effect:   genEffect.Draw(t, "tolEffect"),
		}
	})
	genTaintForMatch = rapid.Custom(func(t *rapid.T) Taint {
		return Taint{Key: genKey.Draw(t, "taintKey"), Value: genValue.Draw(t, "taintValue"), Effect: genTEffect.Draw(t, "taintEffect")}
	})
)

func TestToleratesTaintMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tol := genToleration.Draw(t, "tol")
		tn := genTaintForMatch.Draw(t, "taint")
		gate := rapid.Bool().Draw(t, "gate")
		require.Equal(t, modelTolerates(tol, tn, gate), tol.ToleratesTaint(tn, gate), "%s vs %s gate=%v", tol, tn, gate)
	})
}

func TestParseDecimalMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genValue.Draw(t, "s")
		n, ok := parseDecimal(s)
		wn, wok := modelInt(s)
		require.Equal(t, wok, ok, "%q", s)
		require.Equal(t, wn, n, "%q", s)
	})
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Int64().Draw(t, "n")
		got, ok := parseDecimal(strconv.FormatInt(n, 10))
		require.True(t, ok)
		require.Equal(t, n, got)
	})
}

func TestToleratesTaintDoesNotAllocate(t *testing.T) {
	tols := []Toleration{tolCmp(OpLt, "100"), tolCmp(OpGt, "x"), {Key: "k", Value: "v"}, {Operator: OpExists}}
	taints := []Taint{tNum("5"), tNum("nope"), tNS, tNE}
	allocs := testing.AllocsPerRun(100, func() {
		for _, tol := range tols {
			for _, tn := range taints {
				tol.ToleratesTaint(tn, true)
			}
		}
		FindUntoleratedTaint(taints, tols[:2], nil, true)
		TolerationsTolerateTaint(tols, tNE, true)
	})
	require.Zero(t, allocs)
}

func TestToleratesTaintMatchToleration(t *testing.T) {
	a := Toleration{Key: "k", Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(5)}
	require.True(t, a.MatchToleration(Toleration{Key: "k", Operator: OpExists, Effect: NoExecute}), "seconds are ignored")
	require.False(t, a.MatchToleration(Toleration{Key: "k", Operator: OpExists}), "effect differs")
	require.False(t, Toleration{Key: "k"}.MatchToleration(Toleration{Key: "k", Operator: OpEqual}), `"" is not Equal here`)
	require.False(t, a.Equal(Toleration{Key: "k", Operator: OpExists, Effect: NoExecute}))
	require.True(t, a.Equal(Toleration{Key: "k", Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(5)}))
	require.False(t, a.Equal(Toleration{Key: "k", Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(6)}))
}

func TestTolerationValidate(t *testing.T) {
	long := make([]byte, 64)
	for i := range long {
		long[i] = 'a'
	}
	cases := []struct {
		name   string
		tol    Toleration
		gate   bool
		field  string   // "" means valid
		detail []string // substrings of the error
	}{
		{"exists all", Toleration{Operator: OpExists}, true, "", nil},
		{"equal", Toleration{Key: "k", Operator: OpEqual, Value: "v", Effect: NoSchedule}, true, "", nil},
		{"empty operator", Toleration{Key: "example.com/k", Value: "v"}, true, "", nil},
		{"equal empty value", Toleration{Key: "k", Operator: OpEqual}, true, "", nil},
		{"seconds with NoExecute", Toleration{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)}, true, "", nil},
		{"negative seconds are valid", Toleration{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(-1)}, true, "", nil},
		{"Lt numeric", Toleration{Key: "sla", Operator: OpLt, Value: "950"}, true, "", nil},
		{"Gt negative", Toleration{Key: "sla", Operator: OpGt, Value: "-3"}, true, "", nil},

		{"empty key needs Exists", Toleration{Operator: OpEqual}, true, "operator", []string{"must be Exists when key is empty"}},
		{"empty key, empty operator", Toleration{}, true, "operator", []string{"must be Exists"}},
		{"Exists with value", Toleration{Key: "k", Operator: OpExists, Value: "v"}, true, "value", []string{"must be empty when operator is Exists"}},
		{"seconds need NoExecute", Toleration{Key: "k", Operator: OpExists, Effect: NoSchedule, TolerationSeconds: Seconds(1)}, true, "effect", []string{"must be NoExecute when tolerationSeconds is set"}},
		{"seconds with empty effect rejected", Toleration{Key: "k", Operator: OpExists, TolerationSeconds: Seconds(1)}, true, "effect", []string{"must be NoExecute"}},
		{"bad effect", Toleration{Key: "k", Operator: OpExists, Effect: "NoScheduleNoAdmit"}, true, "effect", []string{"NoSchedule, PreferNoSchedule, NoExecute"}},
		{"bad key", Toleration{Key: "-k", Operator: OpExists}, true, "key", []string{"name part must consist of"}},
		{"bad key prefix", Toleration{Key: "Example.com/k", Operator: OpExists}, true, "key", []string{"prefix part must be a lowercase RFC 1123 subdomain"}},
		{"two slashes", Toleration{Key: "a/b/c", Operator: OpExists}, true, "key", []string{"more than one '/'"}},
		{"bad value", Toleration{Key: "k", Value: "a b"}, true, "value", []string{"alphanumeric"}},
		{"long value", Toleration{Key: "k", Value: string(long)}, true, "value", []string{"no more than 63 bytes"}},
		{"Lt non-numeric", Toleration{Key: "k", Operator: OpLt, Value: "high"}, true, "value", []string{"decimal integer", "Lt"}},
		{"Gt leading zero", Toleration{Key: "k", Operator: OpGt, Value: "007"}, true, "value", []string{"leading zeros"}},
		{"Gt overflow", Toleration{Key: "k", Operator: OpGt, Value: "9223372036854775808"}, true, "value", []string{"int64"}},
		{"Lt gate off", Toleration{Key: "k", Operator: OpLt, Value: "1"}, false, "operator", []string{"supported values: Equal, Exists", "TaintTolerationComparisonOperators"}},
		{"unknown operator gate on", Toleration{Key: "k", Operator: "In", Value: "1"}, true, "operator", []string{"supported values: Equal, Exists, Lt, Gt"}},
		{"unknown operator gate off", Toleration{Key: "k", Operator: "In", Value: "1"}, false, "operator", []string{"supported values: Equal, Exists"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.gate {
				err = c.tol.Validate()
			} else {
				err = c.tol.ValidateWithGate(false)
			}
			if c.field == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "want a *FieldError, got %T", err)
			require.Equal(t, c.field, fe.Field, "%v", err)
			for _, d := range c.detail {
				require.Contains(t, err.Error(), d)
			}
		})
	}
}

func TestTolerationValidateReportsEveryProblem(t *testing.T) {
	err := Toleration{Key: "", Operator: "Nope", Effect: "Never", TolerationSeconds: Seconds(1)}.Validate()
	require.Error(t, err)
	for _, want := range []string{"operator: invalid value \"Nope\": must be Exists", "effect: invalid value \"Never\": must be NoExecute", "supported values", "must be empty (all effects)"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestTolerationString(t *testing.T) {
	cases := []struct {
		tol  Toleration
		want string
	}{
		{Toleration{Operator: OpExists}, "*"},
		{Toleration{Operator: OpExists, Effect: NoExecute}, "*:NoExecute"},
		{Toleration{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)}, "node.kubernetes.io/not-ready:NoExecute for 300s"},
		{Toleration{Key: "k", Operator: OpEqual, Value: "v", Effect: NoSchedule}, "k=v:NoSchedule"},
		{Toleration{Key: "k", Value: "v"}, "k=v"},
		{Toleration{Key: "k"}, "k="},
		{Toleration{Key: "sla", Operator: OpLt, Value: "950"}, "sla<950"},
		{Toleration{Key: "sla", Operator: OpGt, Value: "950", Effect: PreferNoSchedule}, "sla>950:PreferNoSchedule"},
		{Toleration{Key: "k", Operator: "In", Value: "x"}, "k[In]x"},
		{Toleration{Key: "k", Operator: OpExists, Value: "x"}, "k[Exists]x"},
		{Toleration{Key: "k", Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(0)}, "k:NoExecute for 0s"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.tol.String())
	}
}
