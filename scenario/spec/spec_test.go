package spec

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

func TestKubeletStopsExample(t *testing.T) {
	s, err := Load("testdata/kubelet-stops.yaml")
	require.NoError(t, err)
	require.Equal(t, "kubelet-stops", s.Name)
	require.Equal(t, "testdata/kubelet-stops.yaml", s.File)
	sp := s.Spec
	require.Equal(t, uint64(1), sp.Seed)
	require.Equal(t, 10*time.Minute, sp.Duration)
	require.Equal(t, "1.37", sp.KubernetesVersion)

	cm, api, kl, err := Profile("1.37")
	require.NoError(t, err)
	require.Equal(t, cm, sp.ControllerManager)
	require.Equal(t, api, sp.APIServer)
	require.Equal(t, kl, sp.Kubelet)
	require.Equal(t, 50*time.Second, sp.ControllerManager.NodeMonitorGracePeriod)

	require.Len(t, sp.Nodes, 3)
	for i, name := range []string{"kind-control-plane", "kind-worker", "kind-worker2"} {
		require.Equal(t, name, sp.Nodes[i].Name)
		require.Equal(t, kl, sp.Nodes[i].Kubelet)
		require.Equal(t, "4", sp.Nodes[i].CPU.String())
		require.Equal(t, "16Gi", sp.Nodes[i].Memory.String())
	}
	require.Equal(t, map[string]string{"node-role.kubernetes.io/control-plane": ""}, sp.Nodes[0].Labels)
	require.Equal(t, 15, sp.Nodes[0].Line)

	require.Len(t, sp.Objects, 2)
	web, quick := sp.Objects[0], sp.Objects[1]
	require.Equal(t, "Pod", web.Kind)
	require.Equal(t, "default/web", web.Key())
	require.Equal(t, "kind-worker", web.Pod.Spec.NodeName)
	require.Empty(t, web.Pod.Spec.Tolerations, "default tolerations are the API server's to add")
	require.Equal(t, "default/quick", quick.Key())
	secs := int64(30)
	require.Equal(t, []corev1.Toleration{{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &secs}}, quick.Pod.Spec.Tolerations)

	require.Equal(t, []Event{{At: 60 * time.Second, Line: 35, Action: ActionStopKubelet, Target: Target{Node: "kind-worker"}}}, sp.Events)

	str := func(s string) *string { return &s }
	yes := true
	unreachable := Taint{Key: "node.kubernetes.io/unreachable", Effect: "NoExecute"}
	require.Equal(t, []Expectation{
		{Line: 38, Mode: ModeAfter, Time: 99 * time.Second, Node: "kind-worker", Ready: str("Unknown")},
		{Line: 41, Mode: ModeBy, Time: 116 * time.Second, Node: "kind-worker", Ready: str("Unknown")},
		{Line: 44, Mode: ModeBy, Time: 116 * time.Second, Node: "kind-worker", Taint: &unreachable},
		{Line: 47, Mode: ModeBy, Time: 146 * time.Second, Pod: "default/quick", Evicted: &yes},
		{Line: 50, Mode: ModeAfter, Time: 399 * time.Second, Pod: "default/web", Evicted: &yes},
		{Line: 53, Mode: ModeBy, Time: 416 * time.Second, Pod: "default/web", Evicted: &yes},
		{Line: 56, Mode: ModeAt, Time: 9 * time.Minute, Node: "kind-worker2", Ready: str("True")},
	}, sp.Expect)
	require.Nil(t, sp.Sweep)
}

// The same file on 1.31 gets 1.31's defaults, whether the file says so or With does.
func TestExampleDefaultsPerVersion(t *testing.T) {
	data, err := os.ReadFile("testdata/kubelet-stops.yaml")
	require.NoError(t, err)
	old, err := Parse("old.yaml", []byte(strings.Replace(string(data), `kubernetesVersion: "1.37"`, `kubernetesVersion: "1.31"`, 1)))
	require.NoError(t, err)
	require.Equal(t, "1.31", old.Spec.KubernetesVersion)
	require.Equal(t, 40*time.Second, old.Spec.ControllerManager.NodeMonitorGracePeriod)

	s, err := Load("testdata/kubelet-stops.yaml")
	require.NoError(t, err)
	with, err := s.With("kubernetesVersion", "1.31")
	require.NoError(t, err)
	require.Equal(t, old.Spec, with.Spec)
	require.Equal(t, 50*time.Second, s.Spec.ControllerManager.NodeMonitorGracePeriod, "With leaves the original alone")

	// Everything but the grace period is the same in both versions.
	cm31, api31, kl31, _ := Profile("1.31")
	cm37, api37, kl37, _ := Profile("1.37")
	cm31.NodeMonitorGracePeriod = cm37.NodeMonitorGracePeriod
	require.Equal(t, cm37, cm31)
	require.Equal(t, api37, api31)
	require.Equal(t, kl37, kl31)

	// A value the file sets explicitly is kept whatever the version.
	pinned, err := Parse("p.yaml", []byte(strings.Replace(string(data), `kubernetesVersion: "1.37"`, "kubernetesVersion: \"1.31\"\n  controllerManager: {nodeMonitorGracePeriod: 45s}", 1)))
	require.NoError(t, err)
	require.Equal(t, 45*time.Second, pinned.Spec.ControllerManager.NodeMonitorGracePeriod)
}

func TestProfile(t *testing.T) {
	// Upstream defaults (docs/upstream-semantics.md §0/§0a): only nodeMonitorGracePeriod
	// changes, 40s → 50s in 1.32 (PR #126287).
	for _, c := range []struct {
		version string
		grace   time.Duration
	}{
		{"1.31", 40 * time.Second},
		{"1.32", 50 * time.Second},
		{"1.33", 50 * time.Second},
		{"1.34", 50 * time.Second},
		{"1.35", 50 * time.Second},
		{"1.36", 50 * time.Second},
		{"1.37", 50 * time.Second},
	} {
		t.Run(c.version, func(t *testing.T) {
			cm, api, kl, err := Profile(c.version)
			require.NoError(t, err)
			require.Equal(t, ControllerManager{
				NodeMonitorPeriod:         5 * time.Second,
				NodeMonitorGracePeriod:    c.grace,
				NodeStartupGracePeriod:    60 * time.Second,
				NodeEvictionRate:          0.1,
				SecondaryNodeEvictionRate: 0.01,
				LargeClusterSizeThreshold: 50,
				UnhealthyZoneThreshold:    0.55,
				TerminatedPodGCThreshold:  12500,
				KubeAPIQPS:                20,
				KubeAPIBurst:              30,
				Instances:                 1,
				LeaderElection:            LeaderElection{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 2 * time.Second},
			}, cm)
			require.Equal(t, APIServer{DefaultNotReadyTolerationSeconds: 300, DefaultUnreachableTolerationSeconds: 300}, api)
			require.Equal(t, Kubelet{
				RegisterNode:              true,
				NodeStatusUpdateFrequency: 10 * time.Second,
				NodeStatusReportFrequency: 5 * time.Minute,
				NodeLeaseDurationSeconds:  40,
				MaxPods:                   110,
			}, kl)
			// A file naming the version gets exactly these.
			s := mustParse(t, scenario("  kubernetesVersion: \""+c.version+"\"\n"))
			require.Equal(t, cm, s.Spec.ControllerManager)
			require.Equal(t, api, s.Spec.APIServer)
			require.Equal(t, kl, s.Spec.Kubelet)
		})
	}
	_, _, _, err := Profile("1.30")
	require.EqualError(t, err, `unsupported Kubernetes version "1.30"; allowed: 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37`)
	require.Equal(t, []string{"1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"}, Versions())
}

func TestCountForm(t *testing.T) {
	s := mustParse(t, scenario(`  events:
    - at: 1m
      addNodes:
        - namePrefix: w-
          count: 3
          zone: z3
          labels: {tier: web}
          cpu: 8
          memory: 32Gi
          kubelet: {maxPods: 30}
        - {namePrefix: empty-, count: 0}
`))
	require.Len(t, s.Spec.Nodes, 3)
	added := s.Spec.Events[0].AddNodes
	require.Len(t, added, 3)
	for i, n := range added {
		require.Equal(t, "w-"+string(rune('0'+i)), n.Name)
		require.Equal(t, "z3", n.Zone)
		require.Equal(t, map[string]string{"tier": "web", ZoneLabel: "z3"}, n.Labels)
		require.Equal(t, 30, n.Kubelet.MaxPods)
		require.Equal(t, "8", n.CPU.String())
		require.Equal(t, "32Gi", n.Memory.String())
		require.Equal(t, 13, n.Line)
	}
	added[0].Labels["tier"] = "changed"
	require.Equal(t, "web", added[1].Labels["tier"], "each node has its own labels")

	// Large fleets expand in order.
	big := mustParse(t, strings.Replace(header, "    - {name: a, zone: z1}", "    - {namePrefix: worker-b-, count: 1000, zone: z1}", 1))
	require.Len(t, big.Spec.Nodes, 1002)
	require.Equal(t, "worker-b-0", big.Spec.Nodes[0].Name)
	require.Equal(t, "worker-b-999", big.Spec.Nodes[999].Name)

	// The zone label and zone: agree, or one implies the other.
	lbl := mustParse(t, scenario("  events:\n    - {at: 1m, addNodes: {name: d, labels: {topology.kubernetes.io/zone: z4}}}\n"))
	require.Equal(t, "z4", lbl.Spec.Events[0].AddNodes[0].Zone)
	requireErrors(t, scenario("  events:\n    - {at: 1m, addNodes: {name: d, zone: z5, labels: {topology.kubernetes.io/zone: z4}}} #1\n"),
		want{"1", "spec.events[0].addNodes.labels[topology.kubernetes.io/zone]", `label topology.kubernetes.io/zone="z4" disagrees with zone "z5"`, "the same value as zone, or only one of them"})
}

func TestKubeletMerge(t *testing.T) {
	s := mustParse(t, `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
spec:
  duration: 1h
  kubelet:
    nodeStatusUpdateFrequency: 20s
    shutdownGracePeriod: 30s
    maxPods: 50
    registerWithTaints: ["dedicated=infra:NoSchedule"]
  nodes:
    - name: plain
    - name: special
      kubelet:
        registerNode: false
        shutdownGracePeriodCriticalPods: 10s
        nodeStatusReportFrequency: 1m
        nodeLeaseDurationSeconds: 0
        registerWithTaints: []
    - name: by-priority
      kubelet:
        shutdownGracePeriod: 0s
        shutdownGracePeriodByPodPriority:
          - {priority: 0, shutdownGracePeriodSeconds: 20}
          - {priority: 2000000000, shutdownGracePeriodSeconds: 10}
`)
	global := Kubelet{
		RegisterNode:              true,
		RegisterWithTaints:        []Taint{{Key: "dedicated", Value: "infra", Effect: "NoSchedule"}},
		NodeStatusUpdateFrequency: 20 * time.Second,
		NodeStatusReportFrequency: 20 * time.Second, // follows an explicitly set update frequency, as upstream
		NodeLeaseDurationSeconds:  40,
		ShutdownGracePeriod:       30 * time.Second,
		MaxPods:                   50,
	}
	require.Equal(t, global, s.Spec.Kubelet)
	require.Equal(t, global, s.Spec.Nodes[0].Kubelet)
	require.Equal(t, Kubelet{
		RegisterNode:                    false,
		RegisterWithTaints:              []Taint{},
		NodeStatusUpdateFrequency:       20 * time.Second,
		NodeStatusReportFrequency:       time.Minute,
		NodeLeaseDurationSeconds:        40, // 0 means the default
		ShutdownGracePeriod:             30 * time.Second,
		ShutdownGracePeriodCriticalPods: 10 * time.Second,
		MaxPods:                         50,
	}, s.Spec.Nodes[1].Kubelet)
	require.Equal(t, []PriorityGracePeriod{{0, 20}, {2000000000, 10}}, s.Spec.Nodes[2].Kubelet.ShutdownGracePeriodByPodPriority)
	require.Zero(t, s.Spec.Nodes[2].Kubelet.ShutdownGracePeriod)

	// A combination that is only invalid once merged is blamed on the node's line.
	requireErrors(t, scenario(`  kubelet: {shutdownGracePeriod: 30s}
  events:
    - at: 1m
      addNodes:
        name: d
        kubelet:
          shutdownGracePeriodByPodPriority: [{priority: 0, shutdownGracePeriodSeconds: 5}] #1
`), want{"1", "spec.events[0].addNodes.kubelet.shutdownGracePeriodByPodPriority", "cannot specify both shutdownGracePeriodByPodPriority and shutdownGracePeriod at the same time", "either shutdownGracePeriodByPodPriority or shutdownGracePeriod/shutdownGracePeriodCriticalPods"})
	// A bad global value is reported once, not once per node.
	requireErrors(t, strings.Replace(header, "  nodes:", "  kubelet: {shutdownGracePeriodCriticalPods: 5s} #1\n  nodes:", 1),
		want{"1", "spec.kubelet.shutdownGracePeriodCriticalPods", "shutdownGracePeriodCriticalPods 5s must be <= shutdownGracePeriod 0s", "a duration ≤ shutdownGracePeriod (0s)"})
}

func TestWith(t *testing.T) {
	base := mustParse(t, scenario(`  apiServer: {defaultUnreachableTolerationSeconds: 120}
  expect:
    - at: 9m
      node: a
      ready: "True"
  sweep: {seeds: 2}
`))

	s, err := base.With("controllerManager.nodeMonitorGracePeriod", "60s")
	require.NoError(t, err)
	require.Equal(t, 60*time.Second, s.Spec.ControllerManager.NodeMonitorGracePeriod)
	require.Equal(t, int64(120), s.Spec.APIServer.DefaultUnreachableTolerationSeconds, "other fields keep the file's values")
	require.Equal(t, []uint64{1, 2}, s.Spec.Sweep.Seeds)

	s, err = s.With("apiServer.defaultUnreachableTolerationSeconds", "60")
	require.NoError(t, err)
	require.Equal(t, int64(60), s.Spec.APIServer.DefaultUnreachableTolerationSeconds)
	require.Equal(t, 60*time.Second, s.Spec.ControllerManager.NodeMonitorGracePeriod, "With calls chain")

	s, err = s.With("spec.controllerManager.nodeMonitorGracePeriod", "45s")
	require.NoError(t, err)
	require.Equal(t, 45*time.Second, s.Spec.ControllerManager.NodeMonitorGracePeriod, "setting a path again replaces it")

	s, err = s.With("seed", "42")
	require.NoError(t, err)
	require.Equal(t, uint64(42), s.Spec.Seed)

	s, err = s.With("controllerManager.leaderElection.retryPeriod", "1s")
	require.NoError(t, err)
	require.Equal(t, time.Second, s.Spec.ControllerManager.LeaderElection.RetryPeriod)

	s, err = s.With("kubelet.registerWithTaints", "[a=b:NoSchedule]")
	require.NoError(t, err)
	require.Equal(t, []Taint{{Key: "a", Value: "b", Effect: "NoSchedule"}}, s.Spec.Nodes[2].Kubelet.RegisterWithTaints)

	// Kubelet values reach every node except those overriding the field.
	over := mustParse(t, strings.Replace(header, "{name: b, zone: z2}", "{name: b, zone: z2, kubelet: {nodeLeaseDurationSeconds: 15}}", 1))
	o, err := over.With("kubelet.nodeLeaseDurationSeconds", "20")
	require.NoError(t, err)
	require.Equal(t, int32(20), o.Spec.Kubelet.NodeLeaseDurationSeconds)
	require.Equal(t, int32(20), o.Spec.Nodes[0].Kubelet.NodeLeaseDurationSeconds)
	require.Equal(t, int32(15), o.Spec.Nodes[1].Kubelet.NodeLeaseDurationSeconds)

	require.Equal(t, 10*time.Minute, base.Spec.Duration, "the original is unchanged")
	require.Equal(t, uint64(1), base.Spec.Seed)

	for _, c := range []struct {
		path, value, err string
	}{
		{"controllerManager.bogus", "1", "t.yaml: controllerManager.bogus: unknown path; allowed: " + strings.Join(Paths(), ", ")},
		{"nodes", "[]", "t.yaml: nodes: unknown path; allowed: " + strings.Join(Paths(), ", ")},
		{"controllerManager.nodeMonitorGracePeriod", "abc", `t.yaml: spec.controllerManager.nodeMonitorGracePeriod: "abc" is not a duration; allowed: a duration such as 100s, 5m or 1h30m (≥ 0)`},
		{"controllerManager.leaderElection.leaseDuration", "5s", "t.yaml: spec.controllerManager.leaderElection.leaseDuration: leaseDuration 5s must be greater than renewDeadline 10s; allowed: leaseDuration > renewDeadline, as client-go requires"},
		{"kubernetesVersion", "1.30", `t.yaml: spec.kubernetesVersion: unsupported Kubernetes version "1.30"; allowed: 1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37`},
		{"duration", "5m", "t.yaml:12: spec.expect[0].at: 9m0s is after the end of the run; allowed: a time ≤ spec.duration (5m0s)"},
		{"seed", "[1", `t.yaml: spec.seed: malformed value "[1": yaml: line 1: did not find expected ',' or ']'; allowed: a YAML value`},
	} {
		s, err := base.With(c.path, c.value)
		require.Nil(t, s)
		require.EqualError(t, err, c.err)
	}
}

func TestSweep(t *testing.T) {
	s := mustParse(t, scenario(`  seed: 9
  sweep:
    seeds: [3, 7, 11]
    vary:
      controllerManager.nodeMonitorGracePeriod: [40s, 50s, 60s]
      apiServer.defaultUnreachableTolerationSeconds: [60, 300]
      kubernetesVersion: ["1.31", 1.37]
`))
	require.Equal(t, &Sweep{
		Seeds: []uint64{3, 7, 11},
		Vary: []Vary{
			{Path: "controllerManager.nodeMonitorGracePeriod", Values: []string{"40s", "50s", "60s"}, Line: 14},
			{Path: "apiServer.defaultUnreachableTolerationSeconds", Values: []string{"60", "300"}, Line: 15},
			{Path: "kubernetesVersion", Values: []string{"1.31", "1.37"}, Line: 16},
		},
		Line: 12,
	}, s.Spec.Sweep, "vary keeps the file's order")
	for _, v := range s.Spec.Sweep.Vary {
		for _, val := range v.Values {
			_, err := s.With(v.Path, val)
			require.NoError(t, err, "%s=%s", v.Path, val)
		}
	}

	require.Equal(t, []uint64{1, 2, 3, 4, 5}, mustParse(t, scenario("  sweep: {seeds: 5}\n")).Spec.Sweep.Seeds)
	require.Equal(t, []uint64{9}, mustParse(t, scenario("  seed: 9\n  sweep: {}\n")).Spec.Sweep.Seeds)

	runErrCases(t, []errCase{
		{"bad value", scenario("  sweep:\n    vary:\n      controllerManager.nodeMonitorGracePeriod:\n        - 40s\n        - -5s #1\n"), []want{
			{"1", "spec.sweep.vary[controllerManager.nodeMonitorGracePeriod][1]", "negative duration -5s", "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"value invalid with the rest of the file", scenario("  expect:\n    - {at: 9m, node: a, ready: \"True\"}\n  sweep:\n    vary:\n      duration: [20m, 5m] #1\n"), []want{
			{"1", "spec.sweep.vary[duration][1]", "with this value, spec.expect[0].at (line 11): 9m0s is after the end of the run", "a time ≤ spec.duration (5m0s)"}}},
		{"unknown path", scenario("  sweep:\n    vary:\n      nodes: [[]] #1\n"), []want{
			{"1", "spec.sweep.vary[nodes]", "unknown path", strings.Join(Paths()[1:], ", ")}}},
		{"seed", scenario("  sweep:\n    vary: {seed: [1, 2]} #1\n"), []want{
			{"1", "spec.sweep.vary[seed]", "vary seeds with sweep.seeds", "sweep.seeds"}}},
		{"duplicate seed", scenario("  sweep: {seeds: [1, 2, 1]} #1\n"), []want{
			{"1", "spec.sweep.seeds[2]", "duplicate seed 1", "each seed once"}}},
		{"empty values", scenario("  sweep:\n    vary: {duration: []} #1\n"), []want{
			{"1", "spec.sweep.vary[duration]", "0 values", "a list of 1 to 1000 values"}}},
		{"null value", scenario("  sweep:\n    vary: {duration: [5m, null]} #1\n"), []want{
			{"1", "spec.sweep.vary[duration][1]", "got null", "a value of the field, such as 50s, 300, true or [a=b:NoSchedule]"}}},
		{"a mapping where a duration goes", scenario("  sweep:\n    vary: {duration: [{a: 1}]} #1\n"), []want{
			{"1", "spec.sweep.vary[duration][0]", "got a mapping, want a string", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"duplicate list value", scenario("  sweep:\n    vary:\n      kubelet.registerWithTaints: [[], [ ]] #1\n"), []want{
			{"1", "spec.sweep.vary[kubelet.registerWithTaints][1]", `duplicate value "[]"`, "each value once"}}},
		{"event after the end with a varied duration", scenario("  events:\n    - {at: 9m, stopKubelet: {node: a}}\n  sweep:\n    vary:\n      duration: [20m, 5m] #1\n"), []want{
			{"1", "spec.sweep.vary[duration][1]", "with this value, spec.events[0].at (line 11): 9m0s is after the end of the run", "a time ≤ spec.duration (5m0s)"}}},
		{"feature gate on a version without it", scenario("  kubernetesVersion: \"1.34\"\n  sweep:\n    vary:\n      featureGates.TaintTolerationComparisonOperators: [false, true] #1\n"), []want{
			{"1", "spec.sweep.vary[featureGates.TaintTolerationComparisonOperators][1]", "exists from Kubernetes 1.35", "false, or kubernetesVersion 1.35 or later"}}},
	})
}

// sweep.vary takes a feature gate, and lists and mappings as values: each item of the
// list is one setting (registerWithTaints: [] or [a=b:NoSchedule]), kept as flow-style
// YAML that With reads back.
func TestSweepVaryValues(t *testing.T) {
	s := mustParse(t, scenario(`  kubernetesVersion: "1.35"
  sweep:
    vary:
      featureGates.TaintTolerationComparisonOperators: [false, true]
      kubelet.registerWithTaints: [[], ["a=b:NoSchedule"], [{key: k, effect: NoExecute}], "[c:NoSchedule]"]
      kubelet.shutdownGracePeriodByPodPriority: [[{priority: 0, shutdownGracePeriodSeconds: 10}]]
`))
	require.Equal(t, []Vary{
		{Path: "featureGates.TaintTolerationComparisonOperators", Values: []string{"false", "true"}, Line: 13},
		{Path: "kubelet.registerWithTaints", Values: []string{"[]", `["a=b:NoSchedule"]`, "[{key: k, effect: NoExecute}]", "[c:NoSchedule]"}, Line: 14},
		{Path: "kubelet.shutdownGracePeriodByPodPriority", Values: []string{"[{priority: 0, shutdownGracePeriodSeconds: 10}]"}, Line: 15},
	}, s.Spec.Sweep.Vary)
	var taints [][]Taint
	for _, v := range s.Spec.Sweep.Vary[1].Values {
		w, err := s.With(s.Spec.Sweep.Vary[1].Path, v)
		require.NoError(t, err, v)
		taints = append(taints, w.Spec.Nodes[0].Kubelet.RegisterWithTaints)
	}
	require.Equal(t, [][]Taint{{}, {{Key: "a", Value: "b", Effect: "NoSchedule"}}, {{Key: "k", Effect: "NoExecute"}}, {{Key: "c", Effect: "NoSchedule"}}}, taints)
	w, err := s.With("featureGates.TaintTolerationComparisonOperators", "true")
	require.NoError(t, err)
	require.True(t, w.Spec.FeatureGates.TaintTolerationComparisonOperators)
	w, err = s.With(s.Spec.Sweep.Vary[2].Path, s.Spec.Sweep.Vary[2].Values[0])
	require.NoError(t, err)
	require.Equal(t, []PriorityGracePeriod{{Priority: 0, ShutdownGracePeriodSeconds: 10}}, w.Spec.Kubelet.ShutdownGracePeriodByPodPriority)
}

func TestPathsAndActions(t *testing.T) {
	require.Equal(t, []string{
		"seed", "duration", "kubernetesVersion", "start", "featureGates.TaintTolerationComparisonOperators",
		"controllerManager.nodeMonitorPeriod", "controllerManager.nodeMonitorGracePeriod", "controllerManager.nodeStartupGracePeriod",
		"controllerManager.nodeEvictionRate", "controllerManager.secondaryNodeEvictionRate", "controllerManager.largeClusterSizeThreshold",
		"controllerManager.unhealthyZoneThreshold", "controllerManager.terminatedPodGCThreshold", "controllerManager.kubeAPIQPS", "controllerManager.kubeAPIBurst", "controllerManager.instances",
		"controllerManager.leaderElection.leaseDuration", "controllerManager.leaderElection.renewDeadline", "controllerManager.leaderElection.retryPeriod",
		"apiServer.defaultNotReadyTolerationSeconds", "apiServer.defaultUnreachableTolerationSeconds",
		"kubelet.registerNode", "kubelet.registerWithTaints", "kubelet.nodeStatusUpdateFrequency", "kubelet.nodeStatusReportFrequency",
		"kubelet.nodeLeaseDurationSeconds", "kubelet.shutdownGracePeriod", "kubelet.shutdownGracePeriodCriticalPods",
		"kubelet.shutdownGracePeriodByPodPriority", "kubelet.maxPods",
	}, Paths())
	require.Len(t, Actions(), 19)
	require.True(t, ActionDrain.TakesTarget())
	require.False(t, ActionScale.TakesTarget())
	require.False(t, Action("explode").TakesTarget())
}

func TestEveryAction(t *testing.T) {
	s := mustParse(t, scenario(`  controllerManager: {instances: 2}
  objects:
    - {apiVersion: apps/v1, kind: ReplicaSet, metadata: {name: rs, namespace: ns}, spec: {selector: {matchLabels: {app: x}}, template: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: i}]}}}}
  events:
    - {at: 1s, stopKubelet: {node: a}}
    - {at: 2s, startKubelet: {nodes: [a, b]}}
    - {at: 3s, restartKubelet: {zone: z2, count: 1}}
    - {at: 4s, powerOff: {selector: {role: db}}}
    - {at: 5s, powerOn: {selector: {role: db}}}
    - {at: 6s, partition: {zone: z1, for: 3m}}
    - {at: 7s, heal: {zone: z1}}
    - {at: 8s, apiServerOutage: {for: 50s}}
    - {at: 9s, setCondition: {node: a, type: Ready, status: false, reason: ContainerRuntimeDown, message: down}}
    - {at: 10s, deleteNode: {node: a}}
    - {at: 11s, cordon: {node: b}}
    - {at: 12s, uncordon: {node: b}}
    - {at: 13s, drain: {node: b, timeout: 2m, gracePeriod: 5s}}
    - {at: 14s, shutdown: {node: c}}
    - {at: 15s, taint: {node: c, taint: "k=v:NoExecute"}}
    - {at: 16s, untaint: {node: c, taint: k}}
    - {at: 17s, addNodes: {name: d}}
    - {at: 18s, scale: {replicaset: ns/rs, replicas: 0}}
    - {at: 19s, failoverControllerManager: {}}
`))
	require.Len(t, s.Spec.Events, 19)
	for i, ev := range s.Spec.Events {
		require.Equal(t, actionOrder[i], ev.Action)
		require.Equal(t, time.Duration(i+1)*time.Second, ev.At)
		require.Equal(t, ev.Action.TakesTarget(), ev.Target.String() != "", "%s", ev.Action)
	}
	ev := s.Spec.Events
	require.Equal(t, "nodes=a,b", ev[1].Target.String())
	require.Equal(t, "zone=z2 count=1", ev[2].Target.String())
	require.Equal(t, "selector=role=db", ev[3].Target.String())
	require.Equal(t, 3*time.Minute, ev[5].For)
	require.Equal(t, 50*time.Second, ev[7].For)
	require.Equal(t, Condition{Type: "Ready", Status: "False", Reason: "ContainerRuntimeDown", Message: "down"}, ev[8].Condition)
	grace := 5 * time.Second
	require.Equal(t, Drain{Timeout: 2 * time.Minute, GracePeriod: &grace}, ev[12].Drain)
	require.Equal(t, Taint{Key: "k"}, ev[15].Taint)
	require.Equal(t, "d", ev[16].AddNodes[0].Name)
	require.Equal(t, Scale{Kind: "ReplicaSet", Namespace: "ns", Name: "rs", Replicas: 0}, ev[17].Scale)
}

// YAML anchors, aliases and merge keys work as in any YAML file.
func TestAnchorsAndMergeKeys(t *testing.T) {
	s := mustParse(t, `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
spec:
  duration: 10m
  nodes:
    - &worker {name: w1, zone: z1, kubelet: {maxPods: 20}}
    - <<: *worker
      name: w2
  objects:
    - &pod {apiVersion: v1, kind: Pod, metadata: {name: p1}, spec: {nodeName: w1, containers: [{name: c, image: i}]}}
    - <<: *pod
      metadata: {name: p2}
`)
	require.Equal(t, "w2", s.Spec.Nodes[1].Name)
	require.Equal(t, "z1", s.Spec.Nodes[1].Zone)
	require.Equal(t, 20, s.Spec.Nodes[1].Kubelet.MaxPods)
	require.Equal(t, "default/p2", s.Spec.Objects[1].Key())
	require.Equal(t, "w1", s.Spec.Objects[1].Pod.Spec.NodeName)
}

// kubeAPIQPS 0, or a value a float32 flag holds as 0, takes kube-controller-manager's
// default 20; a negative value is kept (no limit).
func TestKubeAPIQPSDefaulting(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  float64
	}{{"0", 20}, {"1e-50", 20}, {"-1", -1}, {"50", 50}} {
		sc, err := Parse("qps", []byte("apiVersion: nodesim.dev/v1alpha1\nkind: Scenario\nspec:\n  duration: 1m\n  controllerManager: {kubeAPIQPS: "+tc.value+"}\n"))
		require.NoError(t, err, tc.value)
		require.Equal(t, tc.want, sc.Spec.ControllerManager.KubeAPIQPS, tc.value)
	}
}
