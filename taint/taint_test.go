package taint

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// Generators of valid taints: keys are qualified names (an optional lowercase
// RFC 1123 subdomain prefix, then a name of at most 63 bytes), values are
// label values, effects are the three valid ones.
var (
	genName   = rapid.StringMatching(`[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?`)
	genPrefix = rapid.StringMatching(`[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?){0,4}`)
	genKeyOK  = rapid.Custom(func(t *rapid.T) string {
		name := genName.Draw(t, "name")
		if rapid.Bool().Draw(t, "prefixed") {
			return genPrefix.Draw(t, "prefix") + "/" + name
		}
		return name
	})
	genValueOK = rapid.OneOf(rapid.Just(""), genName)
	genTaintOK = rapid.Custom(func(t *rapid.T) Taint {
		return Taint{Key: genKeyOK.Draw(t, "key"), Value: genValueOK.Draw(t, "value"), Effect: genTEffect.Draw(t, "effect")}
	})
)

func TestParseStringRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		want := genTaintOK.Draw(t, "taint")
		require.NoError(t, want.Validate())
		s := want.String()
		got, err := Parse(s)
		require.NoError(t, err, "%q", s)
		require.Equal(t, want, got)
		require.Equal(t, s, got.String())
	})
}

func TestParseNeverPanics(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(rapid.String(), rapid.StringMatching(`[-a-zA-Z0-9_./=:]{0,80}`)).Draw(t, "s")
		got, err := Parse(s)
		if err != nil {
			require.Equal(t, Taint{}, got)
			return
		}
		require.NoError(t, got.Validate())
		again, err := Parse(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again)
	})
}

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Taint
	}{
		{"dedicated=gpu:NoSchedule", Taint{Key: "dedicated", Value: "gpu", Effect: NoSchedule}},
		{"node.kubernetes.io/unreachable:NoExecute", UnreachableNoExecute},
		{"node.kubernetes.io/not-ready:NoSchedule", NotReadyNoSchedule},
		{"example.com/k=v:PreferNoSchedule", Taint{Key: "example.com/k", Value: "v", Effect: PreferNoSchedule}},
		{"k=:NoSchedule", Taint{Key: "k", Effect: NoSchedule}}, // kubectl accepts an empty value after '='
		{"A.b_c-9=X_y.z-1:NoExecute", Taint{Key: "A.b_c-9", Value: "X_y.z-1", Effect: NoExecute}},
		{strings.Repeat("a", 253) + "/" + strings.Repeat("b", 63) + "=" + strings.Repeat("c", 63) + ":NoSchedule",
			Taint{Key: strings.Repeat("a", 253) + "/" + strings.Repeat("b", 63), Value: strings.Repeat("c", 63), Effect: NoSchedule}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got, c.in)
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("v", 64)
	cases := []struct {
		name  string
		in    string
		field string   // the *FieldError's field, "" when the error is structural
		want  []string // substrings: what is wrong, and what is allowed
	}{
		{"empty", "", "", []string{"empty string", "key[=value]:effect"}},
		{"missing effect", "dedicated=gpu", "", []string{"missing effect", "NoSchedule, PreferNoSchedule, NoExecute"}},
		{"bare key", "dedicated", "", []string{"missing effect"}},
		{"empty effect", "dedicated=gpu:", "effect", []string{"is required", "NoSchedule, PreferNoSchedule, NoExecute"}},
		{"bad effect", "dedicated=gpu:NoScheduleNoAdmit", "effect", []string{`"NoScheduleNoAdmit"`, "must be one of NoSchedule, PreferNoSchedule, NoExecute"}},
		{"effect is case sensitive", "k:noschedule", "effect", []string{"must be one of"}},
		{"two colons", "a:b:NoSchedule", "", []string{"more than one ':'"}},
		{"two equals", "a=b=c:NoSchedule", "", []string{"more than one '='"}},
		{"empty key", "=v:NoSchedule", "key", []string{"must be non-empty", "qualified name"}},
		{"bad key char", "de dicated:NoSchedule", "key", []string{"name part must consist of alphanumeric characters"}},
		{"key starts with dash", "-k:NoSchedule", "key", []string{"must start and end with an alphanumeric character"}},
		{"key name too long", strings.Repeat("k", 64) + ":NoSchedule", "key", []string{"name part must be no more than 63 bytes"}},
		{"key prefix too long", strings.Repeat("a", 254) + "/k:NoSchedule", "key", []string{"prefix part must be no more than 253 bytes"}},
		{"key prefix uppercase", "Example.com/k:NoSchedule", "key", []string{"prefix part must be a lowercase RFC 1123 subdomain"}},
		{"key prefix empty", "/k:NoSchedule", "key", []string{"prefix part must be non-empty"}},
		{"key name empty", "example.com/:NoSchedule", "key", []string{"name part must be non-empty"}},
		{"key two slashes", "a/b/c:NoSchedule", "key", []string{"more than one '/'"}},
		{"value too long", "k=" + long + ":NoSchedule", "value", []string{"must be no more than 63 bytes"}},
		{"value bad char", "k=a b:NoSchedule", "value", []string{"must be empty or consist of alphanumeric characters"}},
		{"value ends with dot", "k=v.:NoSchedule", "value", []string{"must start and end with an alphanumeric character"}},
		{"value with slash", "k=a/b:NoSchedule", "value", []string{"alphanumeric"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Parse(c.in)
			require.Error(t, err)
			require.Equal(t, Taint{}, got)
			require.Contains(t, err.Error(), "parse taint")
			for _, w := range c.want {
				require.Contains(t, err.Error(), w)
			}
			var fe *FieldError
			if c.field == "" {
				require.False(t, errors.As(err, &fe), "structural error should not be a field error: %v", err)
				return
			}
			require.True(t, errors.As(err, &fe), "%v", err)
			require.Equal(t, c.field, fe.Field)
		})
	}
}

func TestParseReportsEveryField(t *testing.T) {
	_, err := Parse("-bad=no good:Sometimes")
	require.Error(t, err)
	for _, w := range []string{"key: invalid value \"-bad\"", "value: invalid value \"no good\"", "effect: invalid value \"Sometimes\""} {
		require.Contains(t, err.Error(), w)
	}
}

func TestTaintString(t *testing.T) {
	cases := []struct {
		t    Taint
		want string
	}{
		{Taint{Key: "k", Value: "v", Effect: NoSchedule}, "k=v:NoSchedule"},
		{Taint{Key: "k", Effect: NoExecute, TimeAdded: 5}, "k:NoExecute"},
		{Taint{Key: "k", Value: "v"}, "k=v:"}, // no effect: as upstream Taint.ToString
		{Taint{Key: "k"}, "k"},
		{UnreachableNoExecute, "node.kubernetes.io/unreachable:NoExecute"},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.t.String())
	}
}

func TestMatchTaint(t *testing.T) {
	a := Taint{Key: "k", Value: "1", Effect: NoExecute, TimeAdded: 10}
	require.True(t, a.MatchTaint(Taint{Key: "k", Value: "2", Effect: NoExecute}), "value and time are ignored")
	require.False(t, a.MatchTaint(Taint{Key: "k", Value: "1", Effect: NoSchedule}), "effect differs")
	require.False(t, a.MatchTaint(Taint{Key: "j", Value: "1", Effect: NoExecute}), "key differs")
	require.True(t, UnreachableNoExecute.MatchTaint(Taint{Key: Unreachable, Effect: NoExecute, TimeAdded: 99}))
	require.False(t, UnreachableNoExecute.MatchTaint(UnreachableNoSchedule))
}

func TestValidateTaints(t *testing.T) {
	require.NoError(t, ValidateTaints(nil))
	require.NoError(t, ValidateTaints([]Taint{UnreachableNoExecute, UnreachableNoSchedule, NotReadyNoExecute}))
	err := ValidateTaints([]Taint{UnreachableNoExecute, {Key: "k", Effect: "Bad"}, {Key: Unreachable, Value: "x", Effect: NoExecute}})
	require.Error(t, err)
	require.Contains(t, err.Error(), "taints[1]: effect")
	require.Contains(t, err.Error(), "taints[2]: duplicate of taints[0]")
	require.Contains(t, err.Error(), "unique by key and effect")
}

func TestWellKnown(t *testing.T) {
	// Values as in k8s.io/api/core/v1 well_known_taints.go and the cloud provider.
	require.Equal(t, "node.kubernetes.io/not-ready", NotReady)
	require.Equal(t, "node.kubernetes.io/unreachable", Unreachable)
	require.Equal(t, "node.kubernetes.io/unschedulable", Unschedulable)
	require.Equal(t, "node.kubernetes.io/memory-pressure", MemoryPressure)
	require.Equal(t, "node.kubernetes.io/disk-pressure", DiskPressure)
	require.Equal(t, "node.kubernetes.io/pid-pressure", PIDPressure)
	require.Equal(t, "node.kubernetes.io/network-unavailable", NetworkUnavailable)
	require.Equal(t, "node.kubernetes.io/out-of-service", OutOfService)
	require.Equal(t, "node.cloudprovider.kubernetes.io/uninitialized", Uninitialized)
	require.Equal(t, "node.kubernetes.io/exclude-disruption", ExcludeDisruptionLabel)
	for _, tn := range []Taint{UnreachableNoExecute, NotReadyNoExecute, UnreachableNoSchedule, NotReadyNoSchedule} {
		require.NoError(t, tn.Validate())
		require.Zero(t, tn.TimeAdded)
		require.Empty(t, tn.Value)
	}
	for _, k := range []string{NotReady, Unreachable, Unschedulable, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable, OutOfService, Uninitialized} {
		require.Empty(t, validateKey(k), k)
	}
	require.True(t, NoSchedule.Valid() && PreferNoSchedule.Valid() && NoExecute.Valid())
	require.False(t, Effect("").Valid())
	require.False(t, Effect("noexecute").Valid())
}
