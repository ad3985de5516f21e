package scenario_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// Shutdown meets a kubelet that is not there. w1's kubelet is stopped when its machine
// is shut down: nothing delays the shutdown, the machine goes down, and startKubelet
// fails until powerOn (its pod is not Ready again before that). w2's kubelet is
// restarted during a graceful shutdown (its pod's 20 s not over): the process releases
// the inhibitor lock, so the machine goes down and the node is not Ready again. Before, the first shutdown was
// ignored and the restart cancelled the second (found by review).
func TestShutdownActionsWithoutAKubelet(t *testing.T) {
	sc, err := scenario.Parse("shutdown.yaml", []byte(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: shutdown}
spec:
  duration: 5m
  kubelet: {shutdownGracePeriod: 30s, shutdownGracePeriodCriticalPods: 10s}
  nodes: [{name: w1}, {name: w2}]
  objects:
    - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: w1, containers: [{name: c, image: x}]}}
    - {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {nodeName: w2, containers: [{name: c, image: x}]}}
  events:
    - {at: 20s, stopKubelet: {node: w1}}
    - {at: 40s, shutdown: {node: w1}}
    - {at: 120s, startKubelet: {node: w1}}
    - {at: 150s, powerOn: {node: w1}}
    - {at: 30s, shutdown: {node: w2}}
    - {at: 35s, restartKubelet: {node: w2}}
`))
	require.NoError(t, err)
	for _, exact := range []bool{false, true} {
		res, err := scenario.Run(sc, scenario.RunOptions{Exact: exact})
		require.NoError(t, err)
		var failed []time.Duration
		readyAgain := map[string]time.Duration{}
		for _, r := range res.Records() {
			switch {
			case r.Kind == "ActionFailed":
				require.Equal(t, "w1", r.Str("node"))
				failed = append(failed, r.T)
			case r.Kind == "PodReady" && r.Str("pod") == "default/p" && r.Str("to") == "True" && r.T > 20*time.Second:
				if _, ok := readyAgain["p"]; !ok {
					readyAgain["p"] = r.T
				}
			case r.Kind == "NodeCondition" && r.Str("type") == "Ready" && r.Str("to") == "True" && r.T > 30*time.Second:
				if _, ok := readyAgain[r.Str("node")]; !ok {
					readyAgain[r.Str("node")] = r.T
				}
			}
		}
		require.Equal(t, []time.Duration{120 * time.Second}, failed, "startKubelet on a machine that is off (exact %v)", exact)
		require.Greater(t, readyAgain["p"], 150*time.Second, "p Ready again only after powerOn (exact %v)", exact)
		_, w2Ready := readyAgain["w2"]
		require.False(t, w2Ready, "w2 went down with its shutdown (exact %v)", exact)
	}
}

// Actions kubectl would refuse are traced ActionFailed, not dropped: deleting a node
// twice (NotFound), tainting a deleted node, removing a taint the node does not have
// ("not found").
func TestRefusedActionsAreTraced(t *testing.T) {
	sc, err := scenario.Parse("refused.yaml", []byte(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: refused}
spec:
  duration: 2m
  nodes: [{name: w1}, {name: w2}]
  events:
    - {at: 30s, deleteNode: {node: w1}}
    - {at: 40s, deleteNode: {node: w1}}
    - {at: 50s, taint: {node: w1, taint: "k=v:NoSchedule"}}
    - {at: 60s, untaint: {node: w2, taint: "k:NoSchedule"}}
    - {at: 70s, taint: {node: w2, taint: "k=v:NoSchedule"}}
    - {at: 80s, untaint: {node: w2, taint: "k:NoSchedule"}}
`))
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	var failed []string
	for _, r := range res.Records() {
		if r.Kind == "ActionFailed" {
			failed = append(failed, r.T.String()+" "+r.Str("action")+" "+r.Str("node"))
		}
	}
	require.Equal(t, []string{"40s deleteNode w1", "50s taint w1", "1m0s untaint w2"}, failed)
}

// An action aimed at a node before the addNodes event that adds its machine has
// nothing to act on: it is traced as failed, and the node boots as usual afterwards
// (it was traced as done and silently did nothing). The end of a partition aimed with
// node: names the node as the partition's own Action record does.
func TestActionsBeforeAddNodesFail(t *testing.T) {
	sc, err := scenario.Parse("early.yaml", []byte(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: early}
spec:
  duration: 3m
  nodes: [{name: w1}]
  events:
    - {at: 30s, stopKubelet: {node: late}}
    - {at: 40s, partition: {nodes: [late, w1], for: 10s}}
    - {at: 60s, addNodes: [{name: late}]}
    - {at: 70s, partition: {node: late, for: 10s}}
`))
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	var got []string
	ready := false
	for _, r := range res.Records() {
		switch r.Kind {
		case "ActionFailed":
			got = append(got, r.T.String()+" failed "+r.Str("action")+" "+r.Str("node"))
		case "Action":
			if r.Str("action") == "heal" {
				got = append(got, r.T.String()+" heal target="+r.Str("target")+" nodes="+r.Str("nodes"))
			}
		case "NodeCondition":
			ready = ready || (r.Str("node") == "late" && r.Str("to") == "True")
		}
	}
	require.Equal(t, []string{"30s failed stopKubelet late", "40s failed partition late",
		"50s heal target=nodes=late,w1 nodes=w1", "1m20s heal target=late nodes=late"}, got)
	require.True(t, ready, "the late node boots and turns Ready")
}

// A setCondition whose type or status the loader would have refused, set on a parsed
// scenario in Go, fails at run time with the allowed values (the condition types and
// statuses are enums read from the spec's strings); the valid one still applies.
func TestSetConditionUnreadableInGo(t *testing.T) {
	sc, err := scenario.Parse("setcond.yaml", []byte(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: setcond}
spec:
  duration: 2m
  nodes: [{name: w1}]
  events:
    - {at: 30s, setCondition: {node: w1, type: MemoryPressure, status: "True"}}
    - {at: 40s, setCondition: {node: w1, type: MemoryPressure, status: "True"}}
    - {at: 50s, setCondition: {node: w1, type: DiskPressure, status: "True"}}
`))
	require.NoError(t, err)
	sc.Spec.Events[0].Condition.Type = "Bogus"
	sc.Spec.Events[1].Condition.Status = "true"
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	var failed, set []string
	for _, r := range res.Records() {
		switch {
		case r.Kind == "ActionFailed":
			failed = append(failed, r.T.String()+" "+r.Str("error"))
		case r.Kind == "NodeCondition" && r.Str("to") == "True":
			set = append(set, r.Str("type"))
		}
	}
	require.Equal(t, []string{
		`30s unknown node condition type "Bogus": must be one of Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable`,
		`40s unknown condition status "true": must be one of True, False, Unknown`,
	}, failed)
	require.Contains(t, set, "DiskPressure")
	require.NotContains(t, set, "MemoryPressure")
}
