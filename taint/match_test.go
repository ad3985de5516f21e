package taint

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestGetMatchingTolerations(t *testing.T) {
	notReady300 := Toleration{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)}
	unreach300 := Toleration{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)}
	unreach60 := Toleration{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(60)}
	all := Toleration{Operator: OpExists}
	sla := Toleration{Key: "sla", Operator: OpGt, Value: "900", Effect: NoExecute}
	cases := []struct {
		name   string
		taints []Taint
		tols   []Toleration
		gate   bool
		ok     bool
		used   []Toleration
	}{
		{"no taints, no tolerations", nil, nil, false, true, nil},
		{"no taints", nil, []Toleration{notReady300}, false, true, nil},
		{"taint, no tolerations", []Taint{UnreachableNoExecute}, nil, false, false, nil},
		{"one taint tolerated", []Taint{UnreachableNoExecute}, []Toleration{notReady300, unreach300}, false, true, []Toleration{unreach300}},
		{"first matching toleration wins", []Taint{UnreachableNoExecute}, []Toleration{unreach60, unreach300, all}, false, true, []Toleration{unreach60}},
		{"first matching wins even if it is longer", []Taint{UnreachableNoExecute}, []Toleration{unreach300, unreach60}, false, true, []Toleration{unreach300}},
		{"wildcard first wins over specific", []Taint{UnreachableNoExecute}, []Toleration{all, unreach60}, false, true, []Toleration{all}},
		{"one per taint, in taint order", []Taint{UnreachableNoExecute, NotReadyNoExecute}, []Toleration{notReady300, unreach60}, false, true, []Toleration{unreach60, notReady300}},
		{"same toleration used twice", []Taint{UnreachableNoExecute, NotReadyNoExecute}, []Toleration{all}, false, true, []Toleration{all, all}},
		{"one taint untolerated", []Taint{UnreachableNoExecute, NotReadyNoExecute}, []Toleration{unreach60}, false, false, nil},
		{"untolerated first taint", []Taint{{Key: "x", Effect: NoExecute}, UnreachableNoExecute}, []Toleration{unreach60}, false, false, nil},
		{"Gt gate on", []Taint{{Key: "sla", Value: "950", Effect: NoExecute}}, []Toleration{sla}, true, true, []Toleration{sla}},
		{"Gt gate off", []Taint{{Key: "sla", Value: "950", Effect: NoExecute}}, []Toleration{sla}, false, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, used := GetMatchingTolerations(c.taints, c.tols, c.gate)
			require.Equal(t, c.ok, ok)
			require.Len(t, used, len(c.used))
			for i := range c.used {
				require.True(t, c.used[i].Equal(used[i]), "used[%d] = %s, want %s", i, used[i], c.used[i])
			}
		})
	}
}

func TestGetMatchingTolerationsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		taints := rapid.SliceOfN(genTaintForMatch, 0, 4).Draw(t, "taints")
		tols := rapid.SliceOfN(genToleration, 0, 5).Draw(t, "tols")
		gate := rapid.Bool().Draw(t, "gate")
		ok, used := GetMatchingTolerations(taints, tols, gate)
		_, untolerated := FindUntoleratedTaint(taints, tols, nil, gate)
		require.Equal(t, !untolerated, ok)
		if !ok {
			require.Empty(t, used)
			return
		}
		require.Len(t, used, len(taints))
		for i, tn := range taints {
			// used[i] is the first toleration in pod-spec order that tolerates taints[i].
			first := -1
			for j, tol := range tols {
				if modelTolerates(tol, tn, gate) {
					first = j
					break
				}
			}
			require.NotEqual(t, -1, first)
			require.Equal(t, tols[first], used[i])
		}
	})
}

func TestAppendMatchingTolerationsReusesBuffer(t *testing.T) {
	taints := []Taint{UnreachableNoExecute, NotReadyNoExecute}
	tols := []Toleration{{Key: Unreachable, Operator: OpExists}, {Key: NotReady, Operator: OpExists}}
	buf := make([]Toleration, 0, 8)
	allocs := testing.AllocsPerRun(100, func() {
		ok, used := AppendMatchingTolerations(buf[:0], taints, tols, false)
		if !ok || len(used) != 2 {
			panic("unexpected")
		}
	})
	require.Zero(t, allocs)

	prefix := []Toleration{{Key: "keep"}}
	ok, got := AppendMatchingTolerations(prefix, []Taint{{Key: "x", Effect: NoSchedule}}, tols, false)
	require.False(t, ok)
	require.Equal(t, prefix, got, "on failure nothing is appended")
	ok, got = AppendMatchingTolerations(prefix, taints, tols, false)
	require.True(t, ok)
	require.Len(t, got, 3)
	require.Equal(t, "keep", got[0].Key)
}

// wrapped multiplies at run time, where int64 overflow wraps as it does in
// upstream's time.Duration(seconds) * time.Second.
func wrapped(seconds int64) time.Duration {
	d := time.Duration(seconds)
	return d * time.Second
}

func TestMinTolerationTime(t *testing.T) {
	require.Equal(t, time.Duration(1553255926290448384), wrapped(20_000_000_000), "2e10 s wraps to about 49 years")
	require.Negative(t, wrapped(10_000_000_000))

	s := func(secs ...any) []Toleration {
		out := make([]Toleration, len(secs))
		for i, v := range secs {
			if v != nil {
				out[i].TolerationSeconds = Seconds(int64(v.(int)))
			}
		}
		return out
	}
	cases := []struct {
		name    string
		used    []Toleration
		d       time.Duration
		forever bool
	}{
		{"empty list: upstream answers 0, not forever", nil, 0, false},
		{"single nil: forever", s(nil), 0, true},
		{"all nil: forever", s(nil, nil, nil), 0, true},
		{"single value", s(300), 300 * time.Second, false},
		{"minimum", s(300, 60, 120), 60 * time.Second, false},
		{"nil skipped", s(nil, 300, nil), 300 * time.Second, false},
		{"nil skipped, min of rest", s(600, nil, 30), 30 * time.Second, false},
		{"zero: at once", s(300, 0), 0, false},
		{"zero with nil", s(nil, 0), 0, false},
		{"negative: at once", s(-5), 0, false},
		{"negative among positives", s(300, -1, 10), 0, false},
		{"negative after nil", s(nil, nil, -100), 0, false},
		{"one second", s(1), time.Second, false},
		{"largest that fits", s(int(math.MaxInt64 / int64(time.Second))), time.Duration(math.MaxInt64/int64(time.Second)) * time.Second, false},
		// time.Duration(1e10)*time.Second wraps negative; upstream's
		// processPodOnNode reads a negative result as "tolerate forever".
		{"overflow to negative: forever, as upstream", s(10_000_000_000), 0, true},
		// 2e10 s wraps to a positive duration (about 49 years) upstream too.
		{"overflow to positive: wrapped, as upstream", s(20_000_000_000), wrapped(20_000_000_000), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, forever := MinTolerationTime(c.used)
			require.Equal(t, c.forever, forever)
			require.Equal(t, c.d, d)
		})
	}
}

func TestFindUntoleratedTaint(t *testing.T) {
	noScheduleOrExecute := func(t Taint) bool { return t.Effect == NoSchedule || t.Effect == NoExecute }
	pns := Taint{Key: "soft", Effect: PreferNoSchedule}
	cases := []struct {
		name   string
		taints []Taint
		tols   []Toleration
		filter func(Taint) bool
		gate   bool
		want   Taint
		found  bool
	}{
		{"no taints", nil, nil, nil, false, Taint{}, false},
		{"nil filter includes everything", []Taint{pns}, nil, nil, false, pns, true},
		{"filter excludes PreferNoSchedule", []Taint{pns}, nil, noScheduleOrExecute, false, Taint{}, false},
		{"first untolerated in node order", []Taint{pns, UnreachableNoSchedule, NotReadyNoExecute}, nil, noScheduleOrExecute, false, UnreachableNoSchedule, true},
		{"tolerated ones are skipped", []Taint{UnreachableNoSchedule, NotReadyNoExecute},
			[]Toleration{{Key: Unreachable, Operator: OpExists}}, noScheduleOrExecute, false, NotReadyNoExecute, true},
		{"all tolerated", []Taint{UnreachableNoSchedule, NotReadyNoExecute},
			[]Toleration{{Operator: OpExists}}, noScheduleOrExecute, false, Taint{}, false},
		{"Lt tolerated with gate", []Taint{{Key: "sla", Value: "5", Effect: NoSchedule}},
			[]Toleration{{Key: "sla", Operator: OpLt, Value: "10"}}, nil, true, Taint{}, false},
		{"Lt not tolerated without gate", []Taint{{Key: "sla", Value: "5", Effect: NoSchedule}},
			[]Toleration{{Key: "sla", Operator: OpLt, Value: "10"}}, nil, false, Taint{Key: "sla", Value: "5", Effect: NoSchedule}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, found := FindUntoleratedTaint(c.taints, c.tols, c.filter, c.gate)
			require.Equal(t, c.found, found)
			require.Equal(t, c.want, got)
		})
	}
}

func TestTolerationsTolerateTaint(t *testing.T) {
	require.False(t, TolerationsTolerateTaint(nil, UnreachableNoExecute, false))
	require.False(t, TolerationsTolerateTaint([]Toleration{{Key: NotReady, Operator: OpExists}}, UnreachableNoExecute, false))
	require.True(t, TolerationsTolerateTaint([]Toleration{{Key: NotReady, Operator: OpExists}, {Key: Unreachable, Operator: OpExists}}, UnreachableNoExecute, false))
}
