package taint

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func requireTolerations(t require.TestingT, want, got []Toleration) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	require.Len(t, got, len(want), "got %v", got)
	for i := range want {
		require.True(t, want[i].Equal(got[i]), "[%d]: got %s, want %s", i, got[i], want[i])
	}
}

func TestAddDefaultTolerationSeconds(t *testing.T) {
	nr := Toleration{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)}
	ur := Toleration{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)}
	other := Toleration{Key: "dedicated", Operator: OpEqual, Value: "gpu", Effect: NoSchedule}
	cases := []struct {
		name string
		in   []Toleration
		want []Toleration
	}{
		{"no tolerations: both added, not-ready first", nil, []Toleration{nr, ur}},
		{"unrelated toleration kept, both added", []Toleration{other}, []Toleration{other, nr, ur}},

		// Counts as tolerating not-ready: key not-ready or empty, AND effect NoExecute or empty.
		{"not-ready NoExecute counts", []Toleration{{Key: NotReady, Operator: OpExists, Effect: NoExecute}},
			[]Toleration{{Key: NotReady, Operator: OpExists, Effect: NoExecute}, ur}},
		{"not-ready, empty effect counts", []Toleration{{Key: NotReady, Operator: OpExists}},
			[]Toleration{{Key: NotReady, Operator: OpExists}, ur}},
		{"not-ready NoSchedule does not count", []Toleration{{Key: NotReady, Operator: OpExists, Effect: NoSchedule}},
			[]Toleration{{Key: NotReady, Operator: OpExists, Effect: NoSchedule}, nr, ur}},
		{"not-ready PreferNoSchedule does not count", []Toleration{{Key: NotReady, Operator: OpExists, Effect: PreferNoSchedule}},
			[]Toleration{{Key: NotReady, Operator: OpExists, Effect: PreferNoSchedule}, nr, ur}},
		{"operator and value are not examined (Equal with a value counts)", []Toleration{{Key: NotReady, Operator: OpEqual, Value: "nope", Effect: NoExecute}},
			[]Toleration{{Key: NotReady, Operator: OpEqual, Value: "nope", Effect: NoExecute}, ur}},
		{"even an unknown operator counts", []Toleration{{Key: NotReady, Operator: "Weird", Effect: NoExecute}},
			[]Toleration{{Key: NotReady, Operator: "Weird", Effect: NoExecute}, ur}},
		{"user's own seconds are kept", []Toleration{{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(5)}},
			[]Toleration{{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(5)}, ur}},

		// Counts as tolerating unreachable: same rule with the unreachable key.
		{"unreachable NoExecute counts", []Toleration{{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(60)}},
			[]Toleration{{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(60)}, nr}},
		{"unreachable, empty effect counts", []Toleration{{Key: Unreachable, Operator: OpExists}},
			[]Toleration{{Key: Unreachable, Operator: OpExists}, nr}},
		{"unreachable NoSchedule does not count", []Toleration{{Key: Unreachable, Operator: OpExists, Effect: NoSchedule}},
			[]Toleration{{Key: Unreachable, Operator: OpExists, Effect: NoSchedule}, nr, ur}},

		// An empty key counts for both.
		{"empty key, empty effect counts for both", []Toleration{{Operator: OpExists}}, []Toleration{{Operator: OpExists}}},
		{"empty key, NoExecute counts for both", []Toleration{{Operator: OpExists, Effect: NoExecute}}, []Toleration{{Operator: OpExists, Effect: NoExecute}}},
		{"empty key, NoSchedule counts for neither", []Toleration{{Operator: OpExists, Effect: NoSchedule}},
			[]Toleration{{Operator: OpExists, Effect: NoSchedule}, nr, ur}},
		{"both present: unchanged", []Toleration{ur, nr}, []Toleration{ur, nr}},
		{"other keys do not count", []Toleration{{Key: Unschedulable, Operator: OpExists, Effect: NoExecute}},
			[]Toleration{{Key: Unschedulable, Operator: OpExists, Effect: NoExecute}, nr, ur}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireTolerations(t, c.want, AddDefaultTolerationSeconds(c.in, 300, 300))
		})
	}
}

func TestAddDefaultTolerationSecondsUsesTheGivenSeconds(t *testing.T) {
	got := AddDefaultTolerationSeconds(nil, 30, 45)
	requireTolerations(t, []Toleration{
		{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(30)},
		{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(45)},
	}, got)
	require.NotSame(t, got[0].TolerationSeconds, got[1].TolerationSeconds)
	require.NoError(t, got[0].Validate())
}

func TestAddDefaultTolerationSecondsDoesNotWriteInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.SliceOfN(genToleration, 0, 4).Draw(t, "tols")
		extra := rapid.IntRange(0, 3).Draw(t, "extraCap")
		backing := make([]Toleration, len(in), len(in)+extra)
		copy(backing, in)
		snapshot := make([]Toleration, cap(backing))
		copy(snapshot, backing[:cap(backing)])
		out := AddDefaultTolerationSeconds(backing, 300, 300)
		require.Equal(t, snapshot, backing[:cap(backing)], "the caller's backing array, including spare capacity, is untouched")
		require.Equal(t, in, out[:len(in)], "existing tolerations are kept in order")
		// Applying it twice adds nothing more.
		require.Len(t, AddDefaultTolerationSeconds(out, 300, 300), len(out))
		// Afterwards the plugin's own check is satisfied for both keys.
		require.True(t, hasCoveringKey(out, NotReady))
		require.True(t, hasCoveringKey(out, Unreachable))
	})
}

// hasCoveringKey is the plugin's "already tolerates" check, restated.
func hasCoveringKey(tols []Toleration, key string) bool {
	for _, tol := range tols {
		if (tol.Key == key || tol.Key == "") && (tol.Effect == NoExecute || tol.Effect == "") {
			return true
		}
	}
	return false
}

func TestDaemonSetTolerations(t *testing.T) {
	nr := Toleration{Key: NotReady, Operator: OpExists, Effect: NoExecute}
	ur := Toleration{Key: Unreachable, Operator: OpExists, Effect: NoExecute}
	dp := Toleration{Key: DiskPressure, Operator: OpExists, Effect: NoSchedule}
	mp := Toleration{Key: MemoryPressure, Operator: OpExists, Effect: NoSchedule}
	pp := Toleration{Key: PIDPressure, Operator: OpExists, Effect: NoSchedule}
	us := Toleration{Key: Unschedulable, Operator: OpExists, Effect: NoSchedule}
	nu := Toleration{Key: NetworkUnavailable, Operator: OpExists, Effect: NoSchedule}
	user := Toleration{Key: "dedicated", Operator: OpEqual, Value: "gpu", Effect: NoSchedule}
	cases := []struct {
		name        string
		in          []Toleration
		hostNetwork bool
		want        []Toleration
	}{
		{"empty pod", nil, false, []Toleration{nr, ur, dp, mp, pp, us}},
		{"hostNetwork adds network-unavailable last", nil, true, []Toleration{nr, ur, dp, mp, pp, us, nu}},
		{"user tolerations come first", []Toleration{user}, false, []Toleration{user, nr, ur, dp, mp, pp, us}},
		{"already present: kept in place, not duplicated", []Toleration{mp, user, nr}, false, []Toleration{mp, user, nr, ur, dp, pp, us}},
		{"user's tolerationSeconds is replaced by forever",
			[]Toleration{{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(60)}}, false,
			[]Toleration{nr, ur, dp, mp, pp, us}},
		{"every matching duplicate is replaced",
			[]Toleration{{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(1)}, user,
				{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(2)}}, false,
			[]Toleration{ur, user, ur, nr, dp, mp, pp, us}},
		{"different operator does not match: appended",
			[]Toleration{{Key: NotReady, Operator: OpEqual, Effect: NoExecute}}, false,
			[]Toleration{{Key: NotReady, Operator: OpEqual, Effect: NoExecute}, nr, ur, dp, mp, pp, us}},
		{"empty operator is not Exists: appended",
			[]Toleration{{Key: DiskPressure, Effect: NoSchedule}}, false,
			[]Toleration{{Key: DiskPressure, Effect: NoSchedule}, nr, ur, dp, mp, pp, us}},
		{"different effect does not match: appended",
			[]Toleration{{Key: NotReady, Operator: OpExists}}, false,
			[]Toleration{{Key: NotReady, Operator: OpExists}, nr, ur, dp, mp, pp, us}},
		{"a tolerate-everything toleration does not stop the additions",
			[]Toleration{{Operator: OpExists}}, true,
			[]Toleration{{Operator: OpExists}, nr, ur, dp, mp, pp, us, nu}},
		{"network-unavailable without hostNetwork is left alone",
			[]Toleration{{Key: NetworkUnavailable, Operator: OpExists, Effect: NoSchedule, TolerationSeconds: nil}}, false,
			[]Toleration{nu, nr, ur, dp, mp, pp, us}},
		{"all present with hostNetwork: unchanged", []Toleration{nu, us, pp, mp, dp, ur, nr}, true, []Toleration{nu, us, pp, mp, dp, ur, nr}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := append([]Toleration(nil), c.in...)
			got := DaemonSetTolerations(in, c.hostNetwork)
			requireTolerations(t, c.want, got)
			requireTolerations(t, c.in, in) // input untouched
			// DaemonSet pods then get nothing from DefaultTolerationSeconds.
			requireTolerations(t, got, AddDefaultTolerationSeconds(got, 300, 300))
			// And are never taint-evicted for node failure.
			ok, used := GetMatchingTolerations([]Taint{UnreachableNoExecute, NotReadyNoExecute}, got, false)
			require.True(t, ok)
			_, forever := MinTolerationTime(used)
			require.True(t, forever)
		})
	}
}

func TestDaemonSetTolerationsIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := rapid.SliceOfN(genToleration, 0, 4).Draw(t, "tols")
		hn := rapid.Bool().Draw(t, "hostNetwork")
		once := DaemonSetTolerations(in, hn)
		requireTolerations(t, once, DaemonSetTolerations(once, hn))
		for _, want := range daemonSetTolerations[:len(daemonSetTolerations)-1] {
			require.Contains(t, once, want)
		}
	})
}
