package scenario_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// lazyAndExactText runs sc in lazy and in exact mode and returns both traces as text.
func lazyAndExactText(t *testing.T, sc *scenario.Scenario) (lazy, exact string) {
	t.Helper()
	var texts [2]strings.Builder
	for i, exactMode := range []bool{false, true} {
		r, err := scenario.Run(sc, scenario.RunOptions{Exact: exactMode})
		require.NoError(t, err)
		require.NoError(t, r.WriteText(&texts[i]))
	}
	return texts[0].String(), texts[1].String()
}

// longFaultScenario is a running 30-node cluster in three zones, a Deployment of 60
// pods and a DaemonSet, with the given events.
func longFaultScenario(version, duration, events string) string {
	return fmt.Sprintf(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: long-faults}
spec:
  kubernetesVersion: %q
  duration: %s
  start: running
  nodes:
    - {namePrefix: a-, count: 10, zone: a}
    - {namePrefix: b-, count: 10, zone: b}
    - {namePrefix: c-, count: 10, zone: c}
  objects:
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: agent}
      spec:
        selector: {matchLabels: {app: agent}}
        template:
          metadata: {labels: {app: agent}}
          spec: {containers: [{name: a, image: agent}]}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 60
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: w, image: nginx}]}
  events:
%s`, version, duration, events)
}

// Faults that last: a zone's kubelets down for hours (its nodes stay Unknown, tainted,
// their pods stuck terminating), a zone reporting NotReady for hours, and an API-server outage overlapping a zone's
// partition (every kubelet's retries fail, then only the partitioned ones'). Lazy mode
// skips that work (kubelets behind the fault, stuck nodes, the pod GC's terminating
// pods) and must give exact mode's trace.
func TestLazyEqualsExactThroughLongFaults(t *testing.T) {
	for _, tc := range []struct {
		name, version, duration, events string
		want                            []string // in the trace
	}{
		{"zone down 6h, 1.37", "1.37", "7h", "    - at: 10m\n      stopKubelet: {zone: b}\n",
			[]string{"TaintAdded node=b-9 taint=node.kubernetes.io/unreachable:NoExecute", "PodEvicted"}},
		{"zone down 6h, 1.31", "1.31", "7h", "    - at: 10m\n      stopKubelet: {zone: b}\n",
			[]string{"TaintAdded node=b-9 taint=node.kubernetes.io/unreachable:NoExecute", "PodEvicted"}},
		{"zone NotReady 6h", "1.37", "7h", "    - at: 10m\n      setCondition: {zone: b, type: Ready, status: \"False\", message: \"container runtime is down\"}\n",
			[]string{"TaintAdded node=b-9 taint=node.kubernetes.io/not-ready:NoExecute", "PodEvicted"}},
		{"outage through a partition", "1.37", "2h",
			"    - at: 10m\n      partition: {zone: a, for: 30m}\n    - at: 20m\n      apiServerOutage: {for: 10m}\n",
			[]string{"action=apiServerRecovered", "action=heal"}},
		{"partition through an outage", "1.37", "2h",
			"    - at: 10m\n      apiServerOutage: {for: 15m}\n    - at: 15m\n      partition: {zone: c, for: 20m}\n",
			[]string{"action=apiServerRecovered", "action=heal"}},
		// faults after two days of steady mode: waking the kubelets skips whole cycles of
		// lease renewals and of status reports (sim.JitterCycle)
		{"partition and stop after 2 days, 1.37", "1.37", "48h20m",
			"    - at: 48h\n      partition: {zone: b, for: 2m}\n    - at: 48h5m\n      stopKubelet: {zone: c}\n",
			[]string{"action=heal", "NodeCondition node=c-9 type=Ready from=True to=Unknown"}},
		{"partition after 2 days, 1.31", "1.31", "48h10m", "    - at: 48h\n      partition: {zone: a, for: 3m}\n",
			[]string{"action=heal", "NodeCondition node=a-9 type=Ready from=True to=Unknown"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := scenario.Parse("long-faults.yaml", []byte(longFaultScenario(tc.version, tc.duration, tc.events)))
			require.NoError(t, err)
			lazy, exact := lazyAndExactText(t, sc)
			for _, w := range tc.want {
				require.Contains(t, exact, w)
			}
			require.Equal(t, exact, lazy, "lazy trace (actual) differs from exact (expected)")
		})
	}
}
