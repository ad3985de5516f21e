package scenario_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// A grace period shorter than the time between two renewals makes the node lifecycle
// controller find healthy nodes stale between renewals: upstream's nodes flap between
// Ready and Unknown, and so do exact mode's. A steady kubelet's renewals are not
// written, so its kubelets must not go steady then (scenario's steadyHolds); each case
// fails if they do.
func TestLazyEqualsExactWithShortGracePeriod(t *testing.T) {
	for _, tc := range []struct {
		name, version, start, grace, period, leaseDuration string
		flaps                                              bool // exact mode's nodes go Unknown
	}{
		{"8s against 10s renewals, booting", "1.37", "booting", "8s", "5s", "", true},
		{"8s against 10s renewals, running", "1.37", "running", "8s", "5s", "", true},
		{"10s against 10s renewals, 1.31", "1.31", "running", "10s", "5s", "", true},
		{"5s against 2.5s renewals", "1.37", "running", "5s", "5s", "10", false},
		{"12s against 10s renewals, 1s passes", "1.37", "running", "12s", "1s", "", false},
		{"20s against 15s renewals", "1.33", "booting", "20s", "5s", "60", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kubelet := ""
			if tc.leaseDuration != "" {
				kubelet = "  kubelet: {nodeLeaseDurationSeconds: " + tc.leaseDuration + "}\n"
			}
			y := fmt.Sprintf(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: short-grace}
spec:
  kubernetesVersion: %q
  duration: 20m
  start: %s
  controllerManager: {nodeMonitorPeriod: %s, nodeMonitorGracePeriod: %s}
%s  nodes:
    - {namePrefix: a-, count: 3, zone: a}
    - {namePrefix: b-, count: 3, zone: b}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 4
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: w, image: nginx}]}
`, tc.version, tc.start, tc.period, tc.grace, kubelet)
			sc, err := scenario.Parse("short-grace.yaml", []byte(y))
			require.NoError(t, err)
			lazy, exact := lazyAndExactText(t, sc)
			require.Equal(t, tc.flaps, strings.Contains(exact, "type=Ready from=True to=Unknown"), "exact mode's nodes flap")
			require.Equal(t, exact, lazy, "lazy trace (actual) differs from exact (expected)")
		})
	}
}

// Where the grace period outlasts the time between renewals the kubelets still go
// steady, however long the monitor period: a 2-hour run of a running cluster then
// fires a fraction of exact mode's events. Where it does not, they stay exact.
func TestShortGraceLeavesSteadyOnlyWhereItHolds(t *testing.T) {
	for _, tc := range []struct {
		grace, period string
		steady        bool
	}{
		{"40s", "60s", true}, // passes a minute apart: each finds a newer renewal
		{"12s", "5s", true},  // 10.4 s between renewals at most, and 1 s to spare
		{"11s", "1s", false}, // less than 1 s to spare
		{"8s", "5s", false},  // nodes flap
	} {
		t.Run(tc.grace+"/"+tc.period, func(t *testing.T) {
			sc, err := scenario.Parse("steady.yaml", []byte(fmt.Sprintf(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: steady}
spec:
  duration: 2h
  start: running
  controllerManager: {nodeMonitorPeriod: %s, nodeMonitorGracePeriod: %s}
  nodes:
    - {namePrefix: a-, count: 3, zone: a}
`, tc.period, tc.grace)))
			require.NoError(t, err)
			fired := func(exact bool) uint64 {
				r, err := scenario.Run(sc, scenario.RunOptions{Exact: exact})
				require.NoError(t, err)
				return r.World.Engine.Fired()
			}
			lazy, exact := fired(false), fired(true)
			t.Logf("events fired: lazy %d, exact %d", lazy, exact)
			if tc.steady {
				require.Less(t, lazy, exact/5, "steady kubelets skip their renewals and reports")
			} else {
				require.Greater(t, lazy, exact/2, "exact kubelets renew and report for real")
			}
		})
	}
}

// TestPropertyLazyEqualsExactShortGrace is TestPropertyLazyEqualsExact with grace
// periods of 2 s to 40 s: often shorter than a renew interval, or than a renew
// interval and a monitor period.
func TestPropertyLazyEqualsExactShortGrace(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 6, MaxEvents: 4, MaxObjects: 3, ShortGrace: true}))
}
