package apiserver

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every named condition type and status prints, encodes and parses as upstream spells
// it; the zero values print and encode as "" and parse from nothing.
func TestConditionNames(t *testing.T) {
	for _, c := range []struct {
		v     fmt.Stringer
		want  string
		parse func(string) (fmt.Stringer, error)
	}{
		{ConditionTrue, "True", parseStatus},
		{ConditionFalse, "False", parseStatus},
		{ConditionUnknown, "Unknown", parseStatus},
		{NodeReady, "Ready", parseNodeType},
		{NodeMemoryPressure, "MemoryPressure", parseNodeType},
		{NodeDiskPressure, "DiskPressure", parseNodeType},
		{NodePIDPressure, "PIDPressure", parseNodeType},
		{NodeNetworkUnavailable, "NetworkUnavailable", parseNodeType},
		{PodReady, "Ready", parsePodType},
		{PodScheduled, "PodScheduled", parsePodType},
		{PodDisruptionTarget, "DisruptionTarget", parsePodType},
		{PodInitialized, "Initialized", parsePodType},
		{PodContainersReady, "ContainersReady", parsePodType},
	} {
		require.Equal(t, c.want, c.v.String())
		require.Equal(t, c.want+"|"+c.want+"|"+fmt.Sprintf("%q", c.want), fmt.Sprintf("%s|%v|%q", c.v, c.v, c.v))
		got, err := c.parse(c.want)
		require.NoError(t, err)
		require.Equal(t, c.v, got)
		_, err = c.parse(c.want + "x")
		require.ErrorContains(t, err, "must be one of")
		_, err = c.parse("")
		require.Error(t, err, "the empty string is no name")
	}
	_, err := ParseConditionStatus("true")
	require.EqualError(t, err, `unknown condition status "true": must be one of True, False, Unknown`)
	_, err = ParseNodeConditionType("Bogus")
	require.EqualError(t, err, `unknown node condition type "Bogus": must be one of Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable`)

	var none Node
	require.Equal(t, ConditionStatusNone, none.ReadyStatus())
	require.Equal(t, "", none.ReadyStatus().String())
	require.Equal(t, "", NodeConditionType(0).String())
	require.Equal(t, "", PodConditionType(0).String())
	require.Equal(t, "ConditionStatus(9)", ConditionStatus(9).String())
}

func parseStatus(s string) (fmt.Stringer, error)   { return ParseConditionStatus(s) }
func parseNodeType(s string) (fmt.Stringer, error) { return ParseNodeConditionType(s) }
func parsePodType(s string) (fmt.Stringer, error)  { return ParsePodConditionType(s) }

// JSON (through MarshalText and UnmarshalText) keeps the strings, the zero values
// included, and refuses an unknown spelling.
func TestConditionJSON(t *testing.T) {
	n := NodeCondition{Type: NodeMemoryPressure, Status: ConditionUnknown, Reason: "R"}
	p := PodCondition{Type: PodDisruptionTarget, Status: ConditionTrue}
	for _, c := range []struct {
		v    any
		want string
		into any
	}{
		{n, `{"Type":"MemoryPressure","Status":"Unknown","Reason":"R","Message":"","LastHeartbeatTime":0,"LastTransitionTime":0}`, &NodeCondition{}},
		{p, `{"Type":"DisruptionTarget","Status":"True","Reason":"","Message":"","LastTransitionTime":0}`, &PodCondition{}},
		{NodeCondition{}, `{"Type":"","Status":"","Reason":"","Message":"","LastHeartbeatTime":0,"LastTransitionTime":0}`, &NodeCondition{}},
		{map[NodeConditionType]ConditionStatus{NodeReady: ConditionFalse}, `{"Ready":"False"}`, &map[NodeConditionType]ConditionStatus{}},
	} {
		b, err := json.Marshal(c.v)
		require.NoError(t, err)
		require.Equal(t, c.want, string(b))
		require.NoError(t, json.Unmarshal(b, c.into))
		require.Equal(t, c.v, derefAny(c.into))
	}
	var s ConditionStatus
	require.ErrorContains(t, json.Unmarshal([]byte(`"Maybe"`), &s), `unknown condition status "Maybe"`)
	_, err := json.Marshal(PodConditionType(200))
	require.ErrorContains(t, err, "PodConditionType(200) has no name")
}

func derefAny(v any) any {
	switch x := v.(type) {
	case *NodeCondition:
		return *x
	case *PodCondition:
		return *x
	case *map[NodeConditionType]ConditionStatus:
		return *x
	}
	panic(fmt.Sprintf("%T", v))
}

// Printing a condition's type or status allocates nothing (trace records on every
// condition change build their fields with String).
func TestConditionStringAllocs(t *testing.T) {
	var a, b, c string
	require.Zero(t, testing.AllocsPerRun(100, func() {
		a, b, c = ConditionUnknown.String(), NodePIDPressure.String(), PodContainersReady.String()
	}))
	require.Equal(t, "Unknown PIDPressure ContainersReady", a+" "+b+" "+c)
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"True", "Ready", "DisruptionTarget", "", "Unknown", "ready"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := ParseConditionStatus(s); err == nil {
			require.Equal(t, s, v.String())
		}
		if v, err := ParseNodeConditionType(s); err == nil {
			require.Equal(t, s, v.String())
		}
		if v, err := ParsePodConditionType(s); err == nil {
			require.Equal(t, s, v.String())
		}
		var st ConditionStatus
		if err := st.UnmarshalText([]byte(s)); err == nil {
			b, merr := st.MarshalText()
			require.NoError(t, merr)
			require.Equal(t, s, string(b))
		}
	})
}
