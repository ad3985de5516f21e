package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
)

// One test per class of bad input: each asserts the exact line, field path and
// allowed text of every error.

var allActions = "stopKubelet, startKubelet, restartKubelet, powerOff, powerOn, partition, heal, apiServerOutage, setCondition, deleteNode, cordon, uncordon, drain, shutdown, taint, untaint, addNodes, scale, failoverControllerManager"

func TestFieldErrorFormat(t *testing.T) {
	e := &FieldError{File: "f.yaml", Line: 7, Path: "spec.events[0].at", Problem: "negative duration -1s", Allowed: "a duration"}
	require.Equal(t, "f.yaml:7: spec.events[0].at: negative duration -1s; allowed: a duration", e.Error())
	e.Line = 0
	require.Equal(t, "f.yaml: spec.events[0].at: negative duration -1s; allowed: a duration", e.Error())
	list := ErrorList{e, {File: "f.yaml", Line: 1, Problem: "malformed YAML: x", Allowed: "well-formed YAML"}}
	require.Equal(t, "f.yaml: spec.events[0].at: negative duration -1s; allowed: a duration\nf.yaml:1: malformed YAML: x; allowed: well-formed YAML", list.Error())
	var fe *FieldError
	require.ErrorAs(t, error(list), &fe)
	require.Same(t, e, fe)
}

func TestMalformedYAML(t *testing.T) {
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x] #1\n"
	for i, prev := 'b', 'a'; i <= 'f'; i, prev = i+1, i {
		laughs += string(i) + ": &" + string(i) + " [" + strings.Repeat("*"+string(prev)+", ", 9) + "*" + string(prev) + "]\n"
	}
	laughs += "spec: *f\n"
	runErrCases(t, []errCase{
		{"unclosed flow sequence", scenario("  events: [ #1\n"), []want{
			{"1", "", "malformed YAML: did not find expected node content", "well-formed YAML"}}},
		{"tab indentation", "apiVersion: nodesim.dev/v1alpha1\nkind: Scenario\nspec:\n\tduration: 1m #1\n", []want{
			{"1", "", "malformed YAML: found character that cannot start any token", "well-formed YAML"}}},
		{"unterminated string", scenario("  events:\n    - at: \"1m #1\n"), []want{
			{"1", "", "malformed YAML: found unexpected end of stream", "well-formed YAML"}}},
		{"two documents", scenario("---  #1\napiVersion: v1\n"), []want{
			{"1", "", "a second YAML document", "exactly one YAML document"}}},
		{"empty file", "#1\n", []want{
			{"1", "", "empty file", "a Scenario document (apiVersion: nodesim.dev/v1alpha1, kind: Scenario)"}}},
		{"duplicate key", scenario("  duration: 5m #1\n"), []want{
			{"1", "spec.duration", "duplicate key (first at line 5)", "each key once per mapping"}}},
		{"alias cycle", "a: &a [*a] #1\n", []want{
			{"1", "", "an alias refers to a node that contains it", "aliases to earlier, complete anchors"}}},
		{"billion laughs", laughs, []want{
			{"1", "", "the document contains excessive aliasing", "aliases that add at most 100000 nodes to the document"}}},
		{"not a mapping", "- a #1\n", []want{
			{"1", "", "got a list, want a mapping", "a mapping"}}},
	})
}

func TestUnknownFields(t *testing.T) {
	runErrCases(t, []errCase{
		{"top level", scenario("foo: 1 #1\n"), []want{
			{"1", "foo", "unknown field", "apiVersion, kind, metadata, spec"}}},
		{"spec", scenario("  durationn: 5m #1\n"), []want{
			{"1", "spec.durationn", "unknown field", "seed, duration, kubernetesVersion, start, featureGates, controllerManager, apiServer, kubelet, nodes, objects, events, expect, sweep"}}},
		{"start", scenario("  start: warm #1\n"), []want{
			{"1", "spec.start", `unknown start "warm"`, "booting, running"}}},
		{"metadata", strings.Replace(scenario(""), "metadata: {name: t}", "metadata: {name: t, labels: {}} #1", 1), []want{
			{"1", "metadata.labels", "unknown field", "name"}}},
		{"leader election", scenario("  controllerManager:\n    leaderElection: {leaseDurationn: 5s} #1\n"), []want{
			{"1", "spec.controllerManager.leaderElection.leaseDurationn", "unknown field", "leaseDuration, renewDeadline, retryPeriod"}}},
		{"kubelet", scenario("  kubelet: {nodeStatusUpdateFrequncy: 5s} #1\n"), []want{
			{"1", "spec.kubelet.nodeStatusUpdateFrequncy", "unknown field", "registerNode, registerWithTaints, nodeStatusUpdateFrequency, nodeStatusReportFrequency, nodeLeaseDurationSeconds, shutdownGracePeriod, shutdownGracePeriodCriticalPods, shutdownGracePeriodByPodPriority, maxPods"}}},
	})
	// Node entries (kept apart: the base file's nodes list is extended in place).
	requireErrors(t, strings.Replace(header, "    - {name: b, zone: z2}", "    - {name: b, zones: z2} #1", 1),
		want{"1", "spec.nodes[1].zones", "unknown field", "name, namePrefix, count, zone, labels, kubelet, cpu, memory"})
	runErrCases(t, []errCase{
		{"unknown action", scenario("  events:\n    - at: 1m\n      explode: {node: a} #1\n"), []want{
			{"1", "spec.events[0].explode", "unknown field", "at, and exactly one action: " + allActions}}},
		{"action field", scenario("  events:\n    - at: 1m\n      stopKubelet: {node: a, for: 1m} #1\n"), []want{
			{"1", "spec.events[0].stopKubelet.for", "unknown field", "node, nodes, zone, selector, count"}}},
		{"action without fields", scenario("  events:\n    - at: 1m\n      failoverControllerManager: {leader: x} #1\n"), []want{
			{"1", "spec.events[0].failoverControllerManager.leader", "unknown field", "no fields: {}"}}},
		{"expectation", scenario("  expect:\n    - at: 1m\n      node: a\n      ready: \"True\"\n      within: 5s #1\n"), []want{
			{"1", "spec.expect[0].within", "unknown field", "at, by, after, node, pod, deployment, ready, taint, deleted, evicted, readyReplicas"}}},
		{"sweep", scenario("  sweep: {seeds: 2, grid: {}} #1\n"), []want{
			{"1", "spec.sweep.grid", "unknown field", "seeds, vary"}}},
		{"manifest top level", scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      specs: {} #1
`), []want{{"1", "spec.objects[0].specs", "unknown field", "apiVersion, kind, metadata, spec, status"}}},
		{"manifest container", scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers:
          - name: app
            image: nginx
            imagee: nginx #1
`), []want{{"1", "spec.objects[0].spec.containers[0].imagee", "unknown field", "args, command, env, envFrom, image, imagePullPolicy, lifecycle, livenessProbe, name, ports, readinessProbe, resizePolicy, resources, restartPolicy, restartPolicyRules, securityContext, startupProbe, stdin, stdinOnce, terminationMessagePath, terminationMessagePolicy, tty, volumeDevices, volumeMounts, workingDir"}}},
		{"manifest field names are case-sensitive", scenario(`  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        Replicas: 3 #1
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: app, image: nginx}]}
`), []want{{"1", "spec.objects[0].spec.Replicas", "unknown field", "minReadySeconds, paused, progressDeadlineSeconds, replicas, revisionHistoryLimit, selector, strategy, template"}}},
		{"manifest duplicate field", scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, name: q} #1
      spec: {containers: [{name: app, image: nginx}]}
`), []want{{"1", "spec.objects[0].metadata.name", "duplicate key (first at line 13)", "each key once per mapping"}}},
	})
}

func TestWrongTypes(t *testing.T) {
	pod := func(field string) string {
		return scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: app, image: nginx}]
` + field)
	}
	runErrCases(t, []errCase{
		{"seed", scenario("  seed: abc #1\n"), []want{
			{"1", "spec.seed", `got the string "abc", want an integer`, "an integer from 0 to 18446744073709551615"}}},
		{"duration without unit", strings.Replace(header, "duration: 10m", "duration: 600 #1", 1), []want{
			{"1", "spec.duration", `"600" is not a duration`, "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"integer as string", scenario("  controllerManager: {instances: \"2\"} #1\n"), []want{
			{"1", "spec.controllerManager.instances", `got the string "2", want an integer`, "an integer ≥ 1 (at most 1000)"}}},
		{"number", scenario("  controllerManager: {nodeEvictionRate: fast} #1\n"), []want{
			{"1", "spec.controllerManager.nodeEvictionRate", `got the string "fast", want a number`, "a number such as 0.1 (≤ 0 never evicts)"}}},
		{"boolean", scenario("  kubelet: {registerNode: yes} #1\n"), []want{
			{"1", "spec.kubelet.registerNode", `got the string "yes", want a boolean`, "true or false"}}},
		{"list expected", scenario("  events: {at: 1m} #1\n"), []want{
			{"1", "spec.events", "got a mapping, want a list", "a list of events {at, ACTION: {…}}"}}},
		{"mapping expected", scenario("  apiServer: [300] #1\n"), []want{
			{"1", "spec.apiServer", "got a list, want a mapping", "a mapping"}}},
		{"string expected", scenario("  events:\n    - at: 1m\n      stopKubelet: {node: 42} #1\n"), []want{
			{"1", "spec.events[0].stopKubelet.node", "got the integer 42, want a string (quote it)", "a node name"}}},
		{"expectation boolean", scenario("  expect:\n    - at: 1m\n      node: a\n      deleted: \"yes\" #1\n"), []want{
			{"1", "spec.expect[0].deleted", `got the string "yes", want a boolean`, "true or false"}}},
		{"manifest integer", scenario(`  objects:
    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: {name: web}
      spec:
        replicas: "3" #1
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: app, image: nginx}]}
`), []want{{"1", "spec.objects[0].spec.replicas", `got the string "3", want an integer (int32)`, "an integer (int32)"}}},
		{"manifest label value", strings.Replace(pod(""), "metadata: {name: p}", "metadata: {name: p, labels: {version: 1}} #1", 1), []want{
			{"1", "spec.objects[0].metadata.labels[version]", "got the integer 1, want a string", "a string"}}},
		{"manifest list", pod("        tolerations: {key: a} #1\n"), []want{
			{"1", "spec.objects[0].spec.tolerations", "got a mapping, want a list", "a list"}}},
		{"manifest integer overflow", pod("        priority: 3000000000 #1\n"), []want{
			{"1", "spec.objects[0].spec.priority", "3000000000 is out of range", "an integer (int32)"}}},
		{"manifest integer too large for YAML", pod("        terminationGracePeriodSeconds: 99999999999999999999 #1\n"), []want{
			{"1", "spec.objects[0].spec.terminationGracePeriodSeconds", "got the number 99999999999999999999, want an integer (int64)", "an integer (int64)"}}},
	})
	requireErrors(t, strings.Replace(pod(""), "containers: [{name: app, image: nginx}]", "containers: [{name: app, image: nginx, resources: {requests: {cpu: 2x}}}] #1", 1),
		want{"1", "spec.objects[0].spec.containers[0].resources.requests[cpu]", "quantities must match the regular expression", "a quantity such as 500m, 2 or 1Gi"})
	requireErrors(t, scenario(`  objects:
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: pdb}
      spec: {minAvailable: [1]} #1
`), want{"1", "spec.objects[0].spec.minAvailable", "", `an integer or a string such as "25%"`})
}

func TestUnknownAndDuplicateNodes(t *testing.T) {
	pod := func(nodeName string) string {
		return `  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        nodeName: ` + nodeName + `
        containers: [{name: app, image: nginx}]
`
	}
	runErrCases(t, []errCase{
		{"target node", scenario("  events:\n    - at: 1m\n      stopKubelet: {node: x} #1\n"), []want{
			{"1", "spec.events[0].stopKubelet.node", `unknown node "x"`, "a, b, c"}}},
		{"target nodes", scenario("  events:\n    - at: 1m\n      powerOff:\n        nodes:\n          - a\n          - y #1\n"), []want{
			{"1", "spec.events[0].powerOff.nodes[1]", `unknown node "y"`, "a, b, c"}}},
		{"target nodes duplicate", scenario("  events:\n    - at: 1m\n      powerOff: {nodes: [a, a]} #1\n"), []want{
			{"1", "spec.events[0].powerOff.nodes[1]", `duplicate node "a"`, "each node once"}}},
		{"target zone", scenario("  events:\n    - at: 1m\n      partition: {zone: z9} #1\n"), []want{
			{"1", "spec.events[0].partition.zone", `unknown zone "z9"`, "z1, z2"}}},
		{"pod nodeName", scenario(strings.Replace(pod("x"), "nodeName: x", "nodeName: x #1", 1)), []want{
			{"1", "spec.objects[0].spec.nodeName", `unknown node "x"`, "a, b, c"}}},
		{"expectation node", scenario("  expect:\n    - at: 1m\n      node: x #1\n      ready: Unknown\n"), []want{
			{"1", "spec.expect[0].node", `unknown node "x"`, "a, b, c"}}},
		{"duplicate name", strings.Replace(header, "    - {name: b, zone: z2}", "    - {name: a} #1", 1), []want{
			{"1", "spec.nodes[1]", `duplicate node name "a" (first defined at line 7)`, "unique node names"}}},
		{"duplicate from count form", scenario("  events:\n    - at: 1m\n      addNodes: [{namePrefix: w-, count: 3}, {name: w-2}] #1\n"), []want{
			{"1", "spec.events[0].addNodes[1]", `duplicate node name "w-2"`, "unique node names"}}},
		{"invalid name", strings.Replace(header, "{name: b, zone: z2}", "{name: B_2, zone: z2} #1", 1), []want{
			{"1", "spec.nodes[1].name", `invalid node name "B_2"`, allowNodeName}}},
	})
	// Forward references to nodes an addNodes event brings are fine.
	s := mustParse(t, scenario(pod("late")+"  events:\n    - at: 1m\n      cordon: {node: late}\n    - at: 2m\n      addNodes: {name: late, zone: z3}\n    - at: 3m\n      partition: {zone: z3}\n"))
	require.Equal(t, "late", s.Spec.Events[1].AddNodes[0].Name)
}

func TestUnknownObjects(t *testing.T) {
	objects := `  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: pinned, namespace: team}
      spec: {nodeName: a, containers: [{name: app, image: nginx}]}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: app, image: nginx}]}
`
	podAllowed := "a Pod of spec.objects (team/pinned), or a pod of a workload, named after it (default/web-…), as namespace/name"
	runErrCases(t, []errCase{
		{"pod expectation in the wrong namespace", scenario(objects + "  expect:\n    - at: 1m\n      pod: pinned #1\n      deleted: true\n"), []want{
			{"1", "spec.expect[0].pod", `unknown pod "pinned"`, podAllowed}}},
		{"pod of no workload", scenario(objects + "  expect:\n    - at: 1m\n      pod: default/api-7d9f-x2x #1\n      deleted: true\n"), []want{
			{"1", "spec.expect[0].pod", `unknown pod "default/api-7d9f-x2x"`, podAllowed}}},
		{"deployment expectation", scenario(objects + "  expect:\n    - at: 1m\n      deployment: default/api #1\n      readyReplicas: {min: 1}\n"), []want{
			{"1", "spec.expect[0].deployment", `unknown Deployment "default/api"`, "a Deployment of spec.objects, as namespace/name: default/web"}}},
		{"scale", scenario(objects + "  events:\n    - at: 1m\n      scale: {replicaset: web, replicas: 2} #1\n"), []want{
			{"1", "spec.events[0].scale.replicaset", `unknown ReplicaSet "web"`, "a ReplicaSet of spec.objects, as namespace/name (there is none)"}}},
	})
	s := mustParse(t, scenario(objects+`  events:
    - {at: 1m, scale: {deployment: web, replicas: 5}}
  expect:
    - {at: 1m, pod: team/pinned, ready: "True"}
    - {at: 1m, pod: default/web-5d4f8b7c9-x7k2p, evicted: false}
    - {by: 2m, deployment: web, readyReplicas: {min: 5, max: 5}}
`))
	require.Equal(t, Scale{Kind: "Deployment", Namespace: "default", Name: "web", Replicas: 5}, s.Spec.Events[0].Scale)
	require.Equal(t, "team/pinned", s.Spec.Expect[0].Pod)
	require.Equal(t, "default/web-5d4f8b7c9-x7k2p", s.Spec.Expect[1].Pod)
	require.Equal(t, "default/web", s.Spec.Expect[2].Deployment)
}

func TestDurations(t *testing.T) {
	runErrCases(t, []errCase{
		{"missing duration", "apiVersion: nodesim.dev/v1alpha1\nkind: Scenario\nspec:\n  seed: 2 #1\n", []want{
			{"1", "spec.duration", "missing duration", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"zero duration", strings.Replace(header, "duration: 10m", "duration: 0s #1", 1), []want{
			{"1", "spec.duration", "must be greater than 0", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		// a duration that must be > 0 says so whatever is wrong with it
		{"negative duration", strings.Replace(header, "duration: 10m", "duration: -5m #1", 1), []want{
			{"1", "spec.duration", "negative duration -5m", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"duration too large", strings.Replace(header, "duration: 10m", "duration: 999999999999h #1", 1), []want{
			{"1", "spec.duration", "999999999999h is too large: a duration is at most 2562047h47m16.854775807s (about 292 years)", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"at too large", scenario("  events:\n    - at: 9223372036854775808ns #1\n      stopKubelet: {node: a}\n"), []want{
			{"1", "spec.events[0].at", "9223372036854775808ns is too large", "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"negative and too large", scenario("  events:\n    - at: -999999999999h #1\n      stopKubelet: {node: a}\n"), []want{
			{"1", "spec.events[0].at", "negative duration -999999999999h", "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"malformed, not too large", scenario("  events:\n    - at: 1.5.5s #1\n      stopKubelet: {node: a}\n"), []want{
			{"1", "spec.events[0].at", `"1.5.5s" is not a duration`, "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"negative at", scenario("  events:\n    - at: -1m #1\n      stopKubelet: {node: a}\n"), []want{
			{"1", "spec.events[0].at", "negative duration -1m", "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"missing at", scenario("  events:\n    - stopKubelet: {node: a} #1\n"), []want{
			{"1", "spec.events[0].at", "missing at", "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"negative for", scenario("  events:\n    - at: 1m\n      partition: {zone: z1, for: -3m} #1\n"), []want{
			{"1", "spec.events[0].partition.for", "negative duration -3m", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"missing for", scenario("  events:\n    - at: 1m\n      apiServerOutage: {} #1\n"), []want{
			{"1", "spec.events[0].apiServerOutage.for", "missing for", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"zero for", scenario("  events:\n    - at: 1m\n      apiServerOutage: {for: 0s} #1\n"), []want{
			{"1", "spec.events[0].apiServerOutage.for", "must be greater than 0", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"negative drain timeout", scenario("  events:\n    - at: 1m\n      drain: {node: a, timeout: -1s} #1\n"), []want{
			{"1", "spec.events[0].drain.timeout", "negative duration -1s", "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"drain grace period of whole seconds", scenario("  events:\n    - at: 1m\n      drain: {node: a, gracePeriod: 1500ms} #1\n"), []want{
			{"1", "spec.events[0].drain.gracePeriod", "gracePeriod 1.5s is not a whole number of seconds", "a whole number of seconds (kubectl drain --grace-period)"}}},
		{"expectation after the end", scenario("  expect:\n    - by: 1h #1\n      node: a\n      ready: \"False\"\n"), []want{
			{"1", "spec.expect[0].by", "1h0m0s is after the end of the run", "a time ≤ spec.duration (10m0s)"}}},
		{"event after the end", scenario("  events:\n    - at: 11m #1\n      stopKubelet: {node: a}\n"), []want{
			{"1", "spec.events[0].at", "11m0s is after the end of the run", "a time ≤ spec.duration (10m0s)"}}},
		{"negative controller setting", scenario("  controllerManager: {nodeMonitorGracePeriod: -40s} #1\n"), []want{
			{"1", "spec.controllerManager.nodeMonitorGracePeriod", "negative duration -40s", "a duration such as 100s, 5m or 1h30m (≥ 0)"}}},
		{"zero monitor period", scenario("  controllerManager: {nodeMonitorPeriod: 0s} #1\n"), []want{
			{"1", "spec.controllerManager.nodeMonitorPeriod", "must be greater than 0", "a duration > 0 such as 100s, 5m or 1h30m"}}},
		{"kubelet sub-second shutdown", scenario("  kubelet: {shutdownGracePeriod: 500ms} #1\n"), []want{
			{"1", "spec.kubelet.shutdownGracePeriod", "shutdownGracePeriod 500ms must be either zero or otherwise >= 1 sec", "0s, or a duration ≥ 1s"}}},
		{"leader election lease under a second", scenario("  controllerManager:\n    leaderElection: {leaseDuration: 900ms, renewDeadline: 800ms, retryPeriod: 500ms} #1\n"), []want{
			{"1", "spec.controllerManager.leaderElection.leaseDuration", "leaseDuration 900ms is under 1s: kube-controller-manager would write the Lease with spec.leaseDurationSeconds 0", allowLeaseDuration}}},
		{"leader election lease beyond the Lease's int32", scenario("  controllerManager:\n    leaderElection: {leaseDuration: 596524h} #1\n"), []want{
			{"1", "spec.controllerManager.leaderElection.leaseDuration", "does not fit the Lease's spec.leaseDurationSeconds", allowLeaseDuration}}},
		{"leader election order", scenario("  controllerManager:\n    leaderElection: {leaseDuration: 10s} #1\n"), []want{
			{"1", "spec.controllerManager.leaderElection.leaseDuration", "leaseDuration 10s must be greater than renewDeadline 10s", "leaseDuration > renewDeadline, as client-go requires"}}},
		{"leader election jitter", scenario("  controllerManager:\n    leaderElection: {retryPeriod: 9s} #1\n"), []want{
			{"1", "spec.controllerManager.leaderElection.retryPeriod", "renewDeadline 10s must be greater than retryPeriod × 1.2 = 10.8s", "renewDeadline > retryPeriod × 1.2 (client-go's JitterFactor)"}}},
	})
}

// An event or an expectation at the end of the run is valid; after it, neither
// (TestDurations) could happen.
func TestEventAtTheEnd(t *testing.T) {
	s := mustParse(t, scenario("  events:\n    - at: 10m\n      stopKubelet: {node: a}\n  expect:\n    - {at: 10m, node: a, ready: \"True\"}\n"))
	require.Equal(t, 10*time.Minute, s.Spec.Events[0].At)
	require.Equal(t, 10*time.Minute, s.Spec.Expect[0].Time)
}

// A leaseDuration with a fraction of a second is what kube-controller-manager accepts:
// client-go writes it into the Lease in whole seconds (lease/leaderelection).
func TestFractionalLeaseDuration(t *testing.T) {
	s := mustParse(t, scenario("  controllerManager:\n    leaderElection: {leaseDuration: 15500ms, renewDeadline: 15200ms, retryPeriod: 1500ms}\n"))
	require.Equal(t, LeaderElection{LeaseDuration: 15500 * time.Millisecond, RenewDeadline: 15200 * time.Millisecond, RetryPeriod: 1500 * time.Millisecond}, s.Spec.ControllerManager.LeaderElection)
	s = mustParse(t, scenario("  controllerManager:\n    leaderElection: {leaseDuration: 1s, renewDeadline: 900ms, retryPeriod: 700ms}\n"))
	require.Equal(t, time.Second, s.Spec.ControllerManager.LeaderElection.LeaseDuration)
}

func TestCounts(t *testing.T) {
	runErrCases(t, []errCase{
		{"negative node count", scenario("  events:\n    - at: 1m\n      addNodes: {namePrefix: w-, count: -1} #1\n"), []want{
			{"1", "spec.events[0].addNodes.count", "-1 is out of range", "an integer from 0 to 1000000"}}},
		{"count without namePrefix", scenario("  events:\n    - at: 1m\n      addNodes: {name: w, count: 2} #1\n"), []want{
			{"1", "spec.events[0].addNodes.count", "count without namePrefix", "count only with namePrefix"}}},
		{"namePrefix without count", scenario("  events:\n    - at: 1m\n      addNodes: {namePrefix: w-} #1\n"), []want{
			{"1", "spec.events[0].addNodes.count", "missing count", "an integer ≥ 0 with namePrefix"}}},
		{"zero target count", scenario("  events:\n    - at: 1m\n      powerOff: {zone: z2, count: 0} #1\n"), []want{
			{"1", "spec.events[0].powerOff.count", "0 is out of range", "an integer ≥ 1 (the first N of the set, in name order)"}}},
		{"negative replicas", scenario("  objects:\n    - {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 1, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: nginx}]}}}}\n  events:\n    - at: 1m\n      scale: {deployment: web, replicas: -2} #1\n"), []want{
			{"1", "spec.events[0].scale.replicas", "-2 is out of range", "an integer ≥ 0"}}},
		{"negative manifest replicas", scenario("  objects:\n    - {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: -1, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: app, image: nginx}]}}}} #1\n"), []want{
			{"1", "spec.objects[0].spec.replicas", "negative replicas -1", "an integer ≥ 0"}}},
		{"zero seeds", scenario("  sweep: {seeds: 0} #1\n"), []want{
			{"1", "spec.sweep.seeds", "0 is out of range", "a count N (seeds 1…N) or a list of seeds such as [3, 7, 11] (N from 1 to 1000000)"}}},
		{"negative maxPods", scenario("  kubelet: {maxPods: -1} #1\n"), []want{
			{"1", "spec.kubelet.maxPods", "maxPods must not be negative", "an integer (int32) ≥ 0 (0 means the default, 110)"}}},
		{"negative lease duration", scenario("  kubelet: {nodeLeaseDurationSeconds: -40} #1\n"), []want{
			{"1", "spec.kubelet.nodeLeaseDurationSeconds", "nodeLeaseDurationSeconds must be greater than 0", "an integer (int32) > 0 (0 means the default, 40)"}}},
		{"zero instances", scenario("  controllerManager: {instances: 0} #1\n"), []want{
			{"1", "spec.controllerManager.instances", "0 is out of range", "an integer ≥ 1 (at most 1000)"}}},
		{"negative burst", scenario("  controllerManager: {kubeAPIBurst: -1} #1\n"), []want{
			{"1", "spec.controllerManager.kubeAPIBurst", "-1 is out of range", "an integer ≥ 0 (0: the default 30)"}}},
		{"qps not a number", scenario("  controllerManager: {kubeAPIQPS: fast} #1\n"), []want{
			{"1", "spec.controllerManager.kubeAPIQPS", "", "a number of requests per second, such as 20 (0: the default 20; negative: no limit)"}}},
	})
}

func TestOneActionPerEntry(t *testing.T) {
	runErrCases(t, []errCase{
		{"two actions", scenario("  events:\n    - at: 1m\n      stopKubelet: {node: a}\n      powerOff: {node: b} #1\n"), []want{
			{"1", "spec.events[0].powerOff", "two actions in one entry (stopKubelet and powerOff)", "exactly one action per entry (write two entries with the same at:)"}}},
		{"no action", scenario("  events:\n    - at: 1m #1\n"), []want{
			{"1", "spec.events[0]", "no action", "one action: " + allActions}}},
		{"empty entry", scenario("  events:\n    - {} #1\n"), []want{
			{"1", "spec.events[0]", "empty event", "at, and exactly one action: " + allActions}}},
		{"no target", scenario("  events:\n    - at: 1m\n      heal: {} #1\n"), []want{
			{"1", "spec.events[0].heal", "missing target", "one of node, nodes, zone, selector"}}},
		{"two targets", scenario("  events:\n    - at: 1m\n      cordon:\n        node: a\n        zone: z1 #1\n"), []want{
			{"1", "spec.events[0].cordon.zone", "two targets (node and zone)", "exactly one of node, nodes, zone, selector"}}},
		{"two subjects", scenario("  expect:\n    - at: 1m\n      node: a\n      pod: default/x #1\n      deleted: true\n"), []want{
			{"1", "spec.expect[0].pod", "two subjects (node and pod)", "exactly one of node, pod, deployment"}}},
		{"two predicates", scenario("  expect:\n    - at: 1m\n      node: a\n      deleted: true\n      ready: Unknown #1\n"), []want{
			{"1", "spec.expect[0].ready", "two predicates (deleted and ready)", "exactly one of ready, taint, deleted"}}},
		{"predicate of another subject", scenario("  expect:\n    - at: 1m\n      node: a\n      evicted: true #1\n"), []want{
			{"1", "spec.expect[0].evicted", "not a node predicate", "ready, taint, deleted (for node)"}}},
		{"two modes", scenario("  expect:\n    - at: 1m\n      by: 2m #1\n      node: a\n      deleted: true\n"), []want{
			{"1", "spec.expect[0].by", "two time (mode)s (at and by)", "exactly one of at, by, after"}}},
		{"pod ready Unknown", scenario("  objects: [{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: i}]}}]\n  expect:\n    - at: 1m\n      pod: default/p\n      ready: Unknown #1\n"), []want{
			{"1", "spec.expect[0].ready", `unknown status "Unknown"`, "True, False"}}},
	})
}

func TestKubernetesVersion(t *testing.T) {
	const allowed = "1.31, 1.32, 1.33, 1.34, 1.35, 1.36, 1.37"
	for _, v := range []string{`"1.30"`, `"1.38"`, `v1.37`, `"1.37.2"`, `1.3`} {
		requireErrors(t, scenario("  kubernetesVersion: "+v+" #1\n"),
			want{"1", "spec.kubernetesVersion", "unsupported Kubernetes version", allowed})
	}
	requireErrors(t, scenario("  kubernetesVersion: 137 #1\n"),
		want{"1", "spec.kubernetesVersion", "got the integer 137, want a string (quote it)", allowed})
	// An unquoted 1.31 is a YAML number whose text is still 1.31: accepted.
	require.Equal(t, "1.31", mustParse(t, scenario("  kubernetesVersion: 1.31\n")).Spec.KubernetesVersion)
	require.Equal(t, "1.37", mustParse(t, scenario("")).Spec.KubernetesVersion)
}

func TestTaints(t *testing.T) {
	taint := func(action, value string) string {
		return scenario("  events:\n    - at: 1m\n      " + action + ": {node: a, taint: " + value + "} #1\n")
	}
	runErrCases(t, []errCase{
		{"no effect", taint("taint", `"k=v"`), []want{
			{"1", "spec.events[0].taint.taint", `invalid taint "k=v": no effect`, allowTaint}}},
		{"unknown effect", taint("taint", `"k:NoEvict"`), []want{
			{"1", "spec.events[0].taint.taint", `invalid taint "k:NoEvict": unknown effect "NoEvict"`, allowTaint}}},
		{"empty key", taint("taint", `"=v:NoSchedule"`), []want{
			{"1", "spec.events[0].taint.taint", "empty key", allowTaint}}},
		{"bad key", taint("taint", `"-k:NoSchedule"`), []want{
			{"1", "spec.events[0].taint.taint", `key "-k"`, allowTaint}}},
		{"bad value", taint("taint", `"k=v=w:NoSchedule"`), []want{
			{"1", "spec.events[0].taint.taint", `value "v=w"`, allowTaint}}},
		{"two colons", taint("taint", `"k:NoSchedule:x"`), []want{
			{"1", "spec.events[0].taint.taint", "more than one ':'", allowTaint}}},
		{"object without effect", taint("taint", `{key: k}`), []want{
			{"1", "spec.events[0].taint.taint", "invalid taint: no effect", allowTaint}}},
		{"untaint bad effect", taint("untaint", `"k:Bad"`), []want{
			{"1", "spec.events[0].untaint.taint", `unknown effect "Bad"`, allowTaint}}},
		{"expectation taint without effect", scenario("  expect:\n    - at: 1m\n      node: a\n      taint: node.kubernetes.io/unreachable #1\n"), []want{
			{"1", "spec.expect[0].taint", "no effect", allowTaint}}},
		{"registerWithTaints timeAdded", scenario("  kubelet:\n    registerWithTaints: [{key: k, effect: NoSchedule, timeAdded: \"2025-01-01T00:00:00Z\"}] #1\n"), []want{
			{"1", "spec.kubelet.registerWithTaints[0].timeAdded", "the kubelet rejects a registerWithTaints taint with timeAdded", "no timeAdded"}}},
		{"taint action timeAdded", taint("taint", `{key: k, effect: NoExecute, timeAdded: "2025-01-01T00:00:00Z"}`), []want{
			{"1", "spec.events[0].taint.taint.timeAdded", "a taint action cannot set timeAdded (kubectl taint takes key[=value]:Effect only); a NoExecute taint gets the time of the event", "no timeAdded"}}},
		{"expectation taint timeAdded", scenario("  expect:\n    - at: 1m\n      node: a\n      taint: {key: k, effect: NoExecute, timeAdded: \"2025-01-01T00:00:00Z\"} #1\n"), []want{
			{"1", "spec.expect[0].taint.timeAdded", "an expectation matches a taint by key, value and effect; timeAdded is not compared", "no timeAdded"}}},
		{"registerWithTaints duplicate", scenario("  kubelet:\n    registerWithTaints: [\"k=a:NoSchedule\", {key: k, value: b, effect: NoSchedule}] #1\n"), []want{
			{"1", "spec.kubelet.registerWithTaints[1]", "duplicate taint k=b:NoSchedule", "one taint per key and effect"}}},
	})
	s := mustParse(t, scenario(`  kubelet:
    registerWithTaints: ["dedicated=db:NoSchedule", {key: gpu, effect: PreferNoSchedule}]
  events:
    - {at: 1m, taint: {node: a, taint: "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute"}}
    - {at: 2m, untaint: {node: a, taint: node.kubernetes.io/out-of-service}}
    - {at: 3m, untaint: {node: a, taint: "k:NoSchedule"}}
  expect:
    - {by: 2m, node: a, taint: "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute"}
`))
	require.Equal(t, []Taint{{Key: "dedicated", Value: "db", Effect: "NoSchedule"}, {Key: "gpu", Effect: "PreferNoSchedule"}}, s.Spec.Kubelet.RegisterWithTaints)
	require.Equal(t, Taint{Key: "node.kubernetes.io/out-of-service", Value: "nodeshutdown", Effect: "NoExecute"}, s.Spec.Events[0].Taint)
	require.Equal(t, Taint{Key: "node.kubernetes.io/out-of-service"}, s.Spec.Events[1].Taint)
	require.Equal(t, "k:NoSchedule", s.Spec.Events[2].Taint.String())
	require.Equal(t, "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute", s.Spec.Expect[0].Taint.String())

	tt, err := ParseTaint("node.kubernetes.io/unreachable:NoExecute")
	require.NoError(t, err)
	require.Equal(t, Taint{Key: "node.kubernetes.io/unreachable", Effect: "NoExecute"}, tt)
	_, err = ParseTaint("k=v")
	require.EqualError(t, err, `invalid taint "k=v": no effect; allowed: "key[=value]:Effect" with Effect NoSchedule, PreferNoSchedule or NoExecute`)
}

func TestTolerations(t *testing.T) {
	pod := func(version, toleration string) string {
		gate := ""
		if strings.HasPrefix(version, "gate:") { // the comparison operators' feature gate on
			version, gate = version[len("gate:"):], "  featureGates: {TaintTolerationComparisonOperators: true}\n"
		}
		return scenario(`  kubernetesVersion: "` + version + `"
` + gate + `  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: app, image: nginx}]
        tolerations:
          - ` + toleration + ` #1
`)
	}
	runErrCases(t, []errCase{
		{"empty key needs Exists", pod("1.37", "{operator: Equal, value: x}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].operator", `operator "Equal" with an empty key`, "operator Exists when key is empty (which matches every taint)"}}},
		{"empty key and operator", pod("1.37", "{effect: NoExecute}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].operator", `operator "" with an empty key`, "operator Exists when key is empty (which matches every taint)"}}},
		{"Exists with a value", pod("1.37", "{key: k, operator: Exists, value: v}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].value", `value "v" with operator Exists`, "an empty value when operator is Exists"}}},
		{"unknown effect", pod("1.37", "{key: k, operator: Exists, effect: NoEvict}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].effect", `unknown effect "NoEvict"`, "NoSchedule, PreferNoSchedule, NoExecute, or empty (every effect)"}}},
		{"tolerationSeconds needs NoExecute", pod("1.37", "{key: k, operator: Exists, effect: NoSchedule, tolerationSeconds: 5}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].effect", `effect "NoSchedule" with tolerationSeconds`, "effect NoExecute when tolerationSeconds is set"}}},
		{"unknown operator", pod("gate:1.37", "{key: k, operator: In, value: v}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].operator", `unknown operator "In"`, "Equal, Exists, Lt, Gt"}}},
		{"Lt before 1.35", pod("1.34", "{key: k, operator: Lt, value: \"5\"}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].operator", `operator "Lt" needs the TaintTolerationComparisonOperators feature gate`, "Equal, Exists"}}},
		{"Lt without the gate", pod("1.37", "{key: k, operator: Lt, value: \"5\"}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].operator", `operator "Lt" needs the TaintTolerationComparisonOperators feature gate`, "Equal, Exists"}}},
		{"the gate before 1.35", scenario("  kubernetesVersion: \"1.34\"\n  featureGates: {TaintTolerationComparisonOperators: true} #1\n"), []want{
			{"1", "spec.featureGates.TaintTolerationComparisonOperators", "exists from Kubernetes 1.35", "false, or kubernetesVersion 1.35 or later"}}},
		{"an unknown gate", scenario("  featureGates: {SchedulerQueueingHints: true} #1\n"), []want{
			{"1", "spec.featureGates.SchedulerQueueingHints", "", "TaintTolerationComparisonOperators"}}},
		{"Gt with a leading zero", pod("gate:1.35", "{key: k, operator: Gt, value: \"05\"}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].value", `value "05" with operator Gt`, "a decimal 64-bit integer without leading zeros or '+', such as 5 or -5"}}},
		{"bad value", pod("1.37", "{key: k, value: \"a b\"}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].value", `invalid value "a b"`, "a label value (63 characters at most, alphanumerics, '-', '_', '.')"}}},
		{"bad key", pod("1.37", "{key: \"a b\", operator: Exists}"), []want{
			{"1", "spec.objects[0].spec.tolerations[0].key", `invalid key "a b"`, "a qualified name such as node.kubernetes.io/unreachable, or empty with operator Exists"}}},
		{"in a template", scenario(`  objects:
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: ds}
      spec:
        selector: {matchLabels: {app: ds}}
        template:
          metadata: {labels: {app: ds}}
          spec:
            containers: [{name: app, image: nginx}]
            tolerations: [{key: "", operator: Equal}] #1
`), []want{{"1", "spec.objects[0].spec.template.spec.tolerations[0].operator", `operator "Equal" with an empty key`, "operator Exists when key is empty (which matches every taint)"}}},
	})
	// What the API server accepts is accepted.
	for _, tol := range []string{
		"{operator: Exists}",
		"{key: k, operator: Equal}",
		"{key: k, value: v, effect: PreferNoSchedule}",
		"{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: -5}",
		"{key: k, operator: Lt, value: \"-5\"}",
		"{key: k, operator: Gt, value: \"0\"}",
	} {
		mustParse(t, strings.Replace(pod("gate:1.35", tol), "#1", "", 1))
	}
}

func TestUnsupportedKinds(t *testing.T) {
	runErrCases(t, []errCase{
		{"Service", scenario("  objects:\n    - apiVersion: v1\n      kind: Service #1\n      metadata: {name: s}\n"), []want{
			{"1", "spec.objects[0].kind", `unsupported kind "Service"`, allowKinds}}},
		{"wrong group", scenario("  objects:\n    - apiVersion: apps/v1 #1\n      kind: Pod\n      metadata: {name: s}\n"), []want{
			{"1", "spec.objects[0].apiVersion", `Pod is not served as "apps/v1"`, "v1"}}},
		{"old version", scenario("  objects:\n    - apiVersion: policy/v1beta1 #1\n      kind: PodDisruptionBudget\n      metadata: {name: s}\n"), []want{
			{"1", "spec.objects[0].apiVersion", `PodDisruptionBudget is not served as "policy/v1beta1"`, "policy/v1"}}},
		{"missing kind", scenario("  objects:\n    - apiVersion: v1 #1\n      metadata: {name: s}\n"), []want{
			{"1", "spec.objects[0].kind", "missing kind", allowKinds}}},
		{"not a manifest", scenario("  objects:\n    - nginx #1\n"), []want{
			{"1", "spec.objects[0]", `got the string "nginx", want a manifest`, "a Kubernetes manifest: " + allowKinds}}},
	})
}

// requiredTermCases are the loader's errors for a pod's required terms of kind
// podAffinity or podAntiAffinity, which are validated alike.
func requiredTermCases(pod func(string) string, kind string) []errCase {
	return []errCase{
		{kind + " topologyKey", pod("        affinity:\n          " + kind + ":\n            requiredDuringSchedulingIgnoredDuringExecution:\n" + "              - {labelSelector: {matchLabels: {app: a}}} #1\n              - {topologyKey: \"a/b/c\"} #2\n"), []want{
			{"1", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey", "topologyKey can not be empty", "a label key such as kubernetes.io/hostname"},
			{"2", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[1].topologyKey", `invalid topologyKey "a/b/c"`, "a label key such as kubernetes.io/hostname"}}},
		{kind + " selectors and namespaces", pod("        affinity:\n          " + kind + ":\n            requiredDuringSchedulingIgnoredDuringExecution:\n" + "              - topologyKey: zone\n                labelSelector: {matchExpressions: [{key: app, operator: In}]} #1\n                namespaceSelector: {matchExpressions: [{key: team, operator: Has}]} #2\n                namespaces: [Bad_NS] #3\n"), []want{
			{"1", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].values", "missing values", "at least one value with In or NotIn"},
			{"2", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].namespaceSelector.matchExpressions[0].operator", `not a valid selector operator "Has"`, "In, NotIn, Exists, DoesNotExist"},
			{"3", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].namespaces[0]", `invalid namespace "Bad_NS"`, "a namespace name"}}},
		{kind + " label keys without selector", pod("        affinity:\n          " + kind + ":\n            requiredDuringSchedulingIgnoredDuringExecution:\n" + "              - topologyKey: zone\n                matchLabelKeys: [pod-template-hash] #1\n                mismatchLabelKeys: [team] #2\n"), []want{
			{"1", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys", "must not be specified when labelSelector is not set", "a labelSelector with matchLabelKeys"},
			{"2", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].mismatchLabelKeys", "must not be specified when labelSelector is not set", "a labelSelector with mismatchLabelKeys"}}},
		{kind + " label keys", pod("        affinity:\n          " + kind + ":\n            requiredDuringSchedulingIgnoredDuringExecution:\n" + "              - topologyKey: zone\n                labelSelector: {}\n                matchLabelKeys: [team, tier] #1\n                mismatchLabelKeys: [\"a/b/c\", tier] #2\n"), []want{
			{"1", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[1]", `"tier" exists in both matchLabelKeys and mismatchLabelKeys`, "a key in one of matchLabelKeys and mismatchLabelKeys"},
			{"2", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].mismatchLabelKeys[0]", `invalid label key "a/b/c"`, "a label key such as pod-template-hash"}}},
		// The selector merged with the pod's labels (app=web, version=v1, env=prod):
		// app is met again, version only once (the selector does not name it), team
		// once (the pod has no such label, so nothing is merged), tier twice as
		// written, and a key of mismatchLabelKeys may be in the selector.
		{kind + " label keys and selector", strings.Replace(pod("        affinity:\n          "+kind+":\n            requiredDuringSchedulingIgnoredDuringExecution:\n"+
			"              - topologyKey: zone\n                labelSelector: {matchLabels: {app: web}, matchExpressions: [{key: team, operator: Exists}, {key: tier, operator: Exists}, {key: tier, operator: Exists}, {key: env, operator: Exists}]}\n                matchLabelKeys: [app, version, team, tier] #1\n                mismatchLabelKeys: [env]\n"),
			"metadata: {name: p}", "metadata: {name: p, labels: {app: web, version: v1, env: prod}}", 1), []want{
			{"1", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]", `"app" exists in both matchLabelKeys and labelSelector`, "a key the labelSelector does not use"},
			{"1", "spec.objects[0].spec.affinity." + kind + ".requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[3]", `"tier" exists in both matchLabelKeys and labelSelector`, "a key the labelSelector does not use"}}},
	}
}

func TestUnsupportedFields(t *testing.T) {
	pod := func(extra string) string {
		return scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: app, image: nginx}]
` + extra)
	}
	cases := append(requiredTermCases(pod, "podAffinity"), requiredTermCases(pod, "podAntiAffinity")...)
	runErrCases(t, append(cases, []errCase{
		{"preferred pod affinity", pod("        affinity:\n          podAffinity:\n            preferredDuringSchedulingIgnoredDuringExecution:\n" +
			"              - {weight: 0, podAffinityTerm: {topologyKey: kubernetes.io/hostname}} #1\n" +
			"              - {weight: 101, podAffinityTerm: {labelSelector: {}, topologyKey: zone}} #2\n" +
			"              - {weight: 100, podAffinityTerm: {labelSelector: {}}} #3\n" +
			"              - weight: 1\n                podAffinityTerm: {topologyKey: zone, labelSelector: {}, matchLabelKeys: [app], mismatchLabelKeys: [app]} #4\n"), []want{
			{"1", "spec.objects[0].spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", "weight 0 must be in the range 1-100", "an integer from 1 to 100"},
			{"2", "spec.objects[0].spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].weight", "weight 101 must be in the range 1-100", "an integer from 1 to 100"},
			{"3", "spec.objects[0].spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[2].podAffinityTerm.topologyKey", "topologyKey can not be empty", "a label key such as kubernetes.io/hostname"},
			{"4", "spec.objects[0].spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[3].podAffinityTerm.matchLabelKeys[0]", `"app" exists in both matchLabelKeys and mismatchLabelKeys`, "a key in one of matchLabelKeys and mismatchLabelKeys"}}},
		{"preferred pod anti-affinity", pod("        affinity:\n          podAntiAffinity:\n            preferredDuringSchedulingIgnoredDuringExecution:\n" +
			"              - {weight: -3, podAffinityTerm: {topologyKey: kubernetes.io/hostname}} #1\n" +
			"              - weight: 7\n                podAffinityTerm: {topologyKey: \"a/b/c\", namespaces: [Bad_NS]} #2\n" +
			"              - weight: 7\n                podAffinityTerm: {topologyKey: zone, labelSelector: {matchExpressions: [{key: app, operator: In}]}, mismatchLabelKeys: [app]} #3\n" +
			"              - weight: 7\n                podAffinityTerm: {topologyKey: zone, mismatchLabelKeys: [app]} #4\n"), []want{
			{"1", "spec.objects[0].spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", "weight -3 must be in the range 1-100", "an integer from 1 to 100"},
			{"2", "spec.objects[0].spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.namespaces[0]", `invalid namespace "Bad_NS"`, "a namespace name"},
			{"2", "spec.objects[0].spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[1].podAffinityTerm.topologyKey", `invalid topologyKey "a/b/c"`, "a label key such as kubernetes.io/hostname"},
			{"3", "spec.objects[0].spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[2].podAffinityTerm.labelSelector.matchExpressions[0].values", "missing values", "at least one value with In or NotIn"},
			{"4", "spec.objects[0].spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[3].podAffinityTerm.mismatchLabelKeys", "must not be specified when labelSelector is not set", "a labelSelector with mismatchLabelKeys"}}},
		{"preferred node affinity weight", pod("        affinity:\n          nodeAffinity:\n            preferredDuringSchedulingIgnoredDuringExecution:\n              - {weight: 0, preference: {matchExpressions: [{key: a, operator: Exists}]}} #1\n"), []want{
			{"1", "spec.objects[0].spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight", "weight 0 must be in the range 1-100", "an integer from 1 to 100"}}},
		{"preferred node affinity operator", pod("        affinity:\n          nodeAffinity:\n            preferredDuringSchedulingIgnoredDuringExecution:\n              - {weight: 5, preference: {matchExpressions: [{key: a, operator: Has}]}} #1\n"), []want{
			{"1", "spec.objects[0].spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].operator", `not a valid selector operator "Has"`, "In, NotIn, Exists, DoesNotExist, Gt, Lt"}}},
		{"topology spread maxSkew", pod("        topologySpreadConstraints:\n          - {maxSkew: 0, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule} #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].maxSkew", "maxSkew 0 must be greater than zero", "an integer > 0"}}},
		{"topology spread whenUnsatisfiable", pod("        topologySpreadConstraints:\n          - {maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: Sometimes} #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].whenUnsatisfiable", `unsupported whenUnsatisfiable "Sometimes"`, "DoNotSchedule, ScheduleAnyway"}}},
		{"topology spread key", pod("        topologySpreadConstraints:\n          - {maxSkew: 1, whenUnsatisfiable: DoNotSchedule} #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].topologyKey", "missing topologyKey", "a label key such as topology.kubernetes.io/zone"}}},
		{"topology spread duplicate", pod("        topologySpreadConstraints:\n          - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}\n          - {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule} #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[1]", `duplicate constraint for topologyKey "zone" and whenUnsatisfiable DoNotSchedule`, "one constraint per topologyKey and whenUnsatisfiable"}}},
		{"topology spread minDomains", pod("        topologySpreadConstraints:\n          - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: ScheduleAnyway, minDomains: 2} #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].minDomains", "minDomains with whenUnsatisfiable ScheduleAnyway", "minDomains with whenUnsatisfiable DoNotSchedule only"}}},
		{"topology spread policy", pod("        topologySpreadConstraints:\n          - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, nodeTaintsPolicy: Always} #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].nodeTaintsPolicy", `unsupported nodeTaintsPolicy "Always"`, "Honor, Ignore"}}},
		{"topology spread matchLabelKeys", pod("        topologySpreadConstraints:\n          - maxSkew: 1\n            topologyKey: zone\n            whenUnsatisfiable: DoNotSchedule\n            labelSelector: {matchLabels: {app: web}}\n            matchLabelKeys: [app] #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].matchLabelKeys[0]", `"app" exists in both matchLabelKeys and labelSelector`, "a key the labelSelector does not use"}}},
		{"topology spread matchLabelKeys without selector", pod("        topologySpreadConstraints:\n          - maxSkew: 1\n            topologyKey: zone\n            whenUnsatisfiable: DoNotSchedule\n            matchLabelKeys: [version] #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].matchLabelKeys[0]", "must not be specified when labelSelector is not set", "matchLabelKeys with a labelSelector"}}},
		{"topology spread selector", pod("        topologySpreadConstraints:\n          - maxSkew: 1\n            topologyKey: zone\n            whenUnsatisfiable: DoNotSchedule\n            labelSelector: {matchExpressions: [{key: app, operator: Is}]} #1\n"), []want{
			{"1", "spec.objects[0].spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].operator", `not a valid selector operator "Is"`, "In, NotIn, Exists, DoesNotExist"}}},
		{"scheduler", pod("        schedulerName: my-scheduler #1\n"), []want{
			{"1", "spec.objects[0].spec.schedulerName", `scheduler "my-scheduler" is not modelled`, "default-scheduler"}}},
		{"persistent volume", pod("        volumes:\n          - name: data #1\n            persistentVolumeClaim: {claimName: data}\n"), []want{
			{"1", "spec.objects[0].spec.volumes[0]", "persistent volumes are not modelled", "volumes without persistent storage (emptyDir, configMap, secret, hostPath, projected, downwardAPI)"}}},
		{"priority class", pod("        priorityClassName: high #1\n"), []want{
			{"1", "spec.objects[0].spec.priorityClassName", `PriorityClass "high" is not defined`, "system-node-critical, system-cluster-critical, or none"}}},
		{"priority", pod("        priority: 100 #1\n"), []want{
			{"1", "spec.objects[0].spec.priority", "the integer value of priority (100) must not be provided", "unset, or 0 (from priorityClassName)"}}},
		{"readiness gates", pod("        readinessGates: [{conditionType: x}] #1\n"), []want{
			{"1", "spec.objects[0].spec.readinessGates", "not supported: readiness gates", "leave it unset"}}},
		{"owner references", strings.Replace(pod(""), "metadata: {name: p}", "metadata: {name: p, ownerReferences: [{apiVersion: v1, kind: Node, name: a, uid: x}]} #1", 1), []want{
			{"1", "spec.objects[0].metadata.ownerReferences", "ownerReferences are not supported", "leave it unset (workloads own the pods they create)"}}},
		{"finalizers", strings.Replace(pod(""), "metadata: {name: p}", "metadata: {name: p, finalizers: [example.com/x]} #1", 1), []want{
			{"1", "spec.objects[0].metadata.finalizers", "finalizers are not supported", "leave it unset"}}},
		{"generateName", strings.Replace(pod(""), "metadata: {name: p}", "metadata: {generateName: p-} #1", 1), []want{
			{"1", "spec.objects[0].metadata.generateName", "generateName is not supported", "metadata.name"}}},
		{"resourceVersion", strings.Replace(pod(""), "metadata: {name: p}", "metadata: {name: p, resourceVersion: \"5\"} #1", 1), []want{
			{"1", "spec.objects[0].metadata.resourceVersion", "resourceVersion should not be set on objects to be created", "leave it unset"}}},
	}...))
	adopt := strings.Replace(pod(""), "metadata: {name: p}", "metadata: {name: p, labels: {app: x}} #1", 1) + `    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: {name: rs}
      spec:
        selector: {matchLabels: {app: x}}
        template: {metadata: {labels: {app: x}}, spec: {containers: [{name: app, image: nginx}]}}
`
	requireErrors(t, adopt, want{"1", "spec.objects[0].metadata.labels", "Pod default/p would be adopted by ReplicaSet default/rs (adoption is not modelled)", "labels that no workload's selector matches"})

	// Cosmetic fields are accepted; server-set fields and status are dropped.
	s := mustParse(t, scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata:
        name: p
        uid: 0a1b
        creationTimestamp: null
        annotations: {example.com/note: hi}
      spec:
        hostNetwork: true
        nodeSelector: {kubernetes.io/os: linux}
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [z1]}]}]
        priorityClassName: system-node-critical
        terminationGracePeriodSeconds: 10
        initContainers: [{name: init, image: busybox, command: [sh, -c, "true"]}]
        containers:
          - name: app
            image: nginx:1.27
            ports: [{containerPort: 80, protocol: TCP}]
            env: [{name: A, value: "1"}]
            resources: {requests: {cpu: 500m, memory: 128Mi}, limits: {memory: 1Gi}}
            readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 5}
        volumes: [{name: tmp, emptyDir: {}}]
      status: {phase: Running}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, labels: {app: web}}
      spec:
        replicas: 3
        minReadySeconds: 10
        revisionHistoryLimit: 2
        strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: app, image: nginx}]}
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: web}
      spec: {maxUnavailable: "50%", selector: {matchLabels: {app: web}}, unhealthyPodEvictionPolicy: AlwaysAllow}
`))
	p := s.Spec.Objects[0].Pod
	require.Empty(t, p.UID)
	require.Equal(t, "default", p.Namespace)
	require.Empty(t, p.Status.Phase)
	require.Equal(t, "500m", p.Spec.Containers[0].Resources.Requests.Cpu().String())
	require.Equal(t, int32(3), *s.Spec.Objects[1].Deployment.Spec.Replicas)
	require.Equal(t, "50%", s.Spec.Objects[2].PDB.Spec.MaxUnavailable.StrVal)
}

func TestObjectValidation(t *testing.T) {
	deployment := func(spec string) string {
		return scenario(`  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
` + spec)
	}
	runErrCases(t, []errCase{
		{"selector mismatch", deployment("        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: api}} #1\n          spec: {containers: [{name: app, image: nginx}]}\n"), []want{
			{"1", "spec.objects[0].spec.template.metadata.labels", "selector does not match template labels", "a label selector such as {matchLabels: {app: web}} that matches the template's labels"}}},
		{"missing selector", strings.Replace(deployment("        template:\n          metadata: {labels: {app: api}}\n          spec: {containers: [{name: app, image: nginx}]}\n"), "      spec:\n", "      spec: #1\n", 1), []want{
			{"1", "spec.objects[0].spec.selector", "missing selector", "a label selector such as {matchLabels: {app: web}} that matches the template's labels"}}},
		{"selector matchExpressions", deployment("        selector: {matchExpressions: [{key: app, operator: In, values: [web]}]} #1\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: nginx}]}\n"), []want{
			{"1", "spec.objects[0].spec.selector.matchExpressions", "not supported: the controllers' selectors are modelled with matchLabels only", "matchLabels"}}},
		{"missing container name", deployment("        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{image: nginx}]} #1\n"), []want{
			{"1", "spec.objects[0].spec.template.spec.containers[0].name", "missing container name", "a DNS label"}}},
		{"missing image", deployment("        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app}]} #1\n"), []want{
			{"1", "spec.objects[0].spec.template.spec.containers[0].image", "missing image", "a container image such as nginx"}}},
		{"restartPolicy in a template", deployment("        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {restartPolicy: Never, containers: [{name: app, image: i}]} #1\n"), []want{
			{"1", "spec.objects[0].spec.template.spec.restartPolicy", `restartPolicy "Never" in a workload's pod template`, "Always"}}},
		{"strategy", deployment("        strategy: {type: BlueGreen} #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), []want{
			{"1", "spec.objects[0].spec.strategy.type", `unsupported strategy type "BlueGreen"`, "RollingUpdate, Recreate"}}},
		{"rolling update of nothing", deployment("        strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0%}} #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), []want{
			{"1", "spec.objects[0].spec.strategy.rollingUpdate.maxUnavailable", "may not be 0 when `maxSurge` is 0", "a value > 0 when maxSurge is 0"}}},
		{"rolling update above 100%", deployment("        strategy: {rollingUpdate: {maxUnavailable: 150%}} #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), []want{
			{"1", "spec.objects[0].spec.strategy.rollingUpdate.maxUnavailable", `invalid value "150%": must not be greater than 100%`, `an integer ≥ 0 or a percentage from "0%" to "100%"`}}},
		// minReadySeconds ≥ 0 (ValidateNonnegativeField), and on a Deployment below
		// progressDeadlineSeconds, which apps/v1 defaults to 600.
		{"negative minReadySeconds", deployment("        minReadySeconds: -1 #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), []want{
			{"1", "spec.objects[0].spec.minReadySeconds", "negative minReadySeconds -1", "an integer ≥ 0"}}},
		{"negative ReplicaSet minReadySeconds", strings.Replace(deployment("        minReadySeconds: -5 #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), "kind: Deployment", "kind: ReplicaSet", 1), []want{
			{"1", "spec.objects[0].spec.minReadySeconds", "negative minReadySeconds -5", "an integer ≥ 0"}}},
		{"negative DaemonSet minReadySeconds", strings.Replace(deployment("        minReadySeconds: -2 #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), "kind: Deployment", "kind: DaemonSet", 1), []want{
			{"1", "spec.objects[0].spec.minReadySeconds", "negative minReadySeconds -2", "an integer ≥ 0"}}},
		{"minReadySeconds at the default progress deadline", deployment("        minReadySeconds: 600 #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), []want{
			{"1", "spec.objects[0].spec.progressDeadlineSeconds", "progressDeadlineSeconds (600 when unset) must be greater than minReadySeconds 600", "an integer > minReadySeconds"}}},
		{"progress deadline not above minReadySeconds", deployment("        minReadySeconds: 30\n        progressDeadlineSeconds: 30 #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), []want{
			{"1", "spec.objects[0].spec.progressDeadlineSeconds", "progressDeadlineSeconds 30 must be greater than minReadySeconds 30", "an integer > minReadySeconds"}}},
		{"negative progress deadline", deployment("        progressDeadlineSeconds: -1 #1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec: {containers: [{name: app, image: i}]}\n"), []want{
			{"1", "spec.objects[0].spec.progressDeadlineSeconds", "negative progressDeadlineSeconds -1", "an integer > minReadySeconds"}}},
		{"PDB with both", scenario("  objects:\n    - apiVersion: policy/v1\n      kind: PodDisruptionBudget\n      metadata: {name: b}\n      spec:\n        minAvailable: 1\n        maxUnavailable: 1 #1\n"), []want{
			{"1", "spec.objects[0].spec.maxUnavailable", "minAvailable and maxUnavailable cannot be both set", "either minAvailable or maxUnavailable"}}},
		{"PDB percentage", scenario("  objects:\n    - apiVersion: policy/v1\n      kind: PodDisruptionBudget\n      metadata: {name: b}\n      spec: {minAvailable: 150%} #1\n"), []want{
			{"1", "spec.objects[0].spec.minAvailable", `invalid value "150%"`, `an integer ≥ 0 or a percentage from "0%" to "100%"`}}},
		{"duplicate object", scenario("  objects:\n    - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: i}]}}\n    - {apiVersion: v1, kind: Pod, metadata: {name: p, namespace: default}, spec: {containers: [{name: c, image: i}]}} #1\n"), []want{
			{"1", "spec.objects[1].metadata.name", "duplicate Pod default/p (first at line 11)", "unique kind, namespace and name"}}},
		{"missing name", scenario("  objects:\n    - {apiVersion: v1, kind: Pod, metadata: {namespace: x}, spec: {containers: [{name: c, image: i}]}} #1\n"), []want{
			{"1", "spec.objects[0].metadata.name", "missing name", "a DNS subdomain name (lower-case alphanumerics, '-', '.')"}}},
		{"invalid label", scenario("  objects:\n    - {apiVersion: v1, kind: Pod, metadata: {name: p, labels: {app: \"a b\"}}, spec: {containers: [{name: c, image: i}]}} #1\n"), []want{
			{"1", "spec.objects[0].metadata.labels[app]", `invalid label value "a b"`, "a label value (at most 63 characters: alphanumerics, '-', '_', '.')"}}},
	})
}

func TestAllErrorsCollectedAndSorted(t *testing.T) {
	src := scenario(`  seed: -3 #1
  events:
    - at: 1m
      stopKubelet: {node: ghost} #2
    - at: -1s #3
      cordon: {node: a}
  objects:
    - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: ghost, containers: [{name: c, image: i}]}} #4
  controllerManager: {instances: 0} #5
`)
	requireErrors(t, src,
		want{"1", "spec.seed", "-3 is out of range", "an integer from 0 to 18446744073709551615"},
		want{"2", "spec.events[0].stopKubelet.node", `unknown node "ghost"`, "a, b, c"},
		want{"3", "spec.events[1].at", "negative duration -1s", "a duration such as 100s, 5m or 1h30m (≥ 0)"},
		want{"4", "spec.objects[0].spec.nodeName", `unknown node "ghost"`, "a, b, c"},
		want{"5", "spec.controllerManager.instances", "0 is out of range", "an integer ≥ 1 (at most 1000)"},
	)
	_, err := Load("testdata/does-not-exist.yaml")
	var list ErrorList
	require.True(t, errors.As(err, &list))
	require.Contains(t, list[0].Error(), "testdata/does-not-exist.yaml: cannot read the file")
}

// A Pod or a pod template without containers is accepted (the contract's own example
// has one; see the package doc) and requests nothing; a container still needs a name
// and an image (TestObjectValidation).
func TestContainersOptional(t *testing.T) {
	s := mustParse(t, scenario(`  objects:
    - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {nodeName: a}}
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}]
`))
	require.Empty(t, s.Spec.Objects[0].Pod.Spec.Containers)
	require.Empty(t, s.Spec.Objects[1].Deployment.Spec.Template.Spec.Containers)
}

// setCondition takes what the kubelet's SetCondition accepts (node/kubelet), so that a
// file the run would refuse (ActionFailed) does not validate.
func TestSetCondition(t *testing.T) {
	set := func(body string) string {
		return scenario("  events:\n    - at: 1m\n      setCondition: " + body + " #1\n")
	}
	const types = "Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable"
	runErrCases(t, []errCase{
		{"unknown type", set(`{node: a, type: Foo, status: "True"}`), []want{
			{"1", "spec.events[0].setCondition.type", `unknown condition type "Foo": the kubelet reports only these`, types}}},
		{"empty type", set(`{node: a, type: "", status: "True"}`), []want{
			{"1", "spec.events[0].setCondition.type", `unknown condition type ""`, types}}},
		{"missing type", set(`{node: a, status: "True"}`), []want{
			{"1", "spec.events[0].setCondition.type", "missing type", types}}},
		{"status Unknown", set(`{node: a, type: Ready, status: Unknown}`), []want{
			{"1", "spec.events[0].setCondition.status", "a kubelet never reports Unknown", "True, False"}}},
		{"unknown status", set(`{node: a, type: Ready, status: Maybe}`), []want{
			{"1", "spec.events[0].setCondition.status", `unknown status "Maybe"`, "True, False"}}},
		{"missing status", set(`{node: a, type: Ready}`), []want{
			{"1", "spec.events[0].setCondition.status", "missing status", "True, False"}}},
	})
	for _, typ := range strings.Split(types, ", ") {
		for written, status := range map[string]string{`"True"`: "True", "false": "False"} {
			s := mustParse(t, strings.Replace(set("{node: a, type: "+typ+", status: "+written+", reason: R}"), "#1", "", 1))
			require.Equal(t, Condition{Type: typ, Status: status, Reason: "R"}, s.Spec.Events[0].Condition)
		}
	}
}

// Enum-valued fields of manifests take the values the API server accepts, as it
// checks them (pkg/apis/core/validation, pkg/apis/apps/validation).
func TestEnums(t *testing.T) {
	pod := func(spec, ctr string) string {
		return scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
` + spec + `        containers:
          - name: app
            image: nginx
` + ctr)
	}
	daemonSet := func(strategy string) string {
		return scenario(`  objects:
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: ds}
      spec:
        selector: {matchLabels: {app: ds}}
        template: {metadata: {labels: {app: ds}}, spec: {containers: [{name: c, image: i}]}}
        updateStrategy: ` + strategy + ` #1
`)
	}
	const ctrs = "spec.objects[0].spec.containers[0]"
	runErrCases(t, []errCase{
		{"dnsPolicy", pod("        dnsPolicy: Whatever #1\n", ""), []want{
			{"1", "spec.objects[0].spec.dnsPolicy", `unsupported dnsPolicy "Whatever"`, "ClusterFirstWithHostNet, ClusterFirst, Default, None"}}},
		{"dnsPolicy None without dnsConfig", pod("        dnsPolicy: None #1\n", ""), []want{
			{"1", "spec.objects[0].spec.dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None", "dnsConfig with at least one nameserver"}}},
		{"dnsPolicy None without nameservers", pod("        dnsPolicy: None\n        dnsConfig: {searches: [example.com]} #1\n", ""), []want{
			{"1", "spec.objects[0].spec.dnsConfig.nameservers", "must provide at least one DNS nameserver when `dnsPolicy` is None", "at least one nameserver"}}},
		{"preemptionPolicy", pod("        preemptionPolicy: Sometimes #1\n", ""), []want{
			{"1", "spec.objects[0].spec.preemptionPolicy", `unsupported preemptionPolicy "Sometimes" (the API server knows PreemptLowerPriority, Never)`, "unset, or PreemptLowerPriority (from priorityClassName)"}}},
		{"preemptionPolicy Never", pod("        preemptionPolicy: Never #1\n", ""), []want{
			{"1", "spec.objects[0].spec.preemptionPolicy", "the string value of PreemptionPolicy (Never) must not be provided in pod spec", "unset, or PreemptLowerPriority (from priorityClassName)"}}},
		{"os", pod("        os: {name: plan9} #1\n", ""), []want{
			{"1", "spec.objects[0].spec.os.name", `unsupported os "plan9"`, "linux, windows"}}},
		{"hostPath type", pod("        volumes: [{name: v, hostPath: {path: /x, type: Folder}}] #1\n", ""), []want{
			{"1", "spec.objects[0].spec.volumes[0].hostPath.type", `unsupported hostPath type "Folder"`, `"" (no check), BlockDevice, CharDevice, Directory, DirectoryOrCreate, File, FileOrCreate, Socket`}}},
		{"imagePullPolicy", pod("", "            imagePullPolicy: Sometimes #1\n"), []want{
			{"1", ctrs + ".imagePullPolicy", `unsupported imagePullPolicy "Sometimes"`, "Always, IfNotPresent, Never"}}},
		{"init container imagePullPolicy", pod("        initContainers: [{name: init, image: i, imagePullPolicy: always}] #1\n", ""), []want{
			{"1", "spec.objects[0].spec.initContainers[0].imagePullPolicy", `unsupported imagePullPolicy "always"`, "Always, IfNotPresent, Never"}}},
		{"terminationMessagePolicy", pod("", "            terminationMessagePolicy: Logs #1\n"), []want{
			{"1", ctrs + ".terminationMessagePolicy", `unsupported terminationMessagePolicy "Logs"`, "File, FallbackToLogsOnError"}}},
		{"port protocol", pod("", "            ports: [{containerPort: 80, protocol: HTTP}] #1\n"), []want{
			{"1", ctrs + ".ports[0].protocol", `unsupported protocol "HTTP"`, "SCTP, TCP, UDP"}}},
		{"probe scheme", pod("", "            readinessProbe: {httpGet: {path: /, port: 80, scheme: http}} #1\n"), []want{
			{"1", ctrs + ".readinessProbe.httpGet.scheme", `unsupported scheme "http"`, "HTTP, HTTPS"}}},
		{"lifecycle scheme", pod("", "            lifecycle: {preStop: {httpGet: {path: /, port: 80, scheme: FTP}}} #1\n"), []want{
			{"1", ctrs + ".lifecycle.preStop.httpGet.scheme", `unsupported scheme "FTP"`, "HTTP, HTTPS"}}},
		{"DaemonSet updateStrategy", daemonSet("{type: Sometimes}"), []want{
			{"1", "spec.objects[0].spec.updateStrategy.type", `unsupported updateStrategy type "Sometimes"`, "RollingUpdate, OnDelete"}}},
		{"DaemonSet surge and unavailable", daemonSet("{rollingUpdate: {maxSurge: 1}}"), []want{
			{"1", "spec.objects[0].spec.updateStrategy.rollingUpdate.maxSurge", "may not be set when maxUnavailable is non-zero", "0 when maxUnavailable is non-zero (maxUnavailable defaults to 1)"}}},
		{"DaemonSet neither", daemonSet("{type: RollingUpdate, rollingUpdate: {maxUnavailable: 0}}"), []want{
			{"1", "spec.objects[0].spec.updateStrategy.rollingUpdate.maxUnavailable", "cannot be 0 when maxSurge is 0", "a value > 0 when maxSurge is 0"}}},
		{"DaemonSet negative", daemonSet("{rollingUpdate: {maxUnavailable: -1}}"), []want{
			{"1", "spec.objects[0].spec.updateStrategy.rollingUpdate.maxUnavailable", "negative value -1", `an integer ≥ 0 or a percentage from "0%" to "100%"`}}},
		{"DaemonSet bad percentage", daemonSet("{rollingUpdate: {maxUnavailable: 10 percent}}"), []want{
			{"1", "spec.objects[0].spec.updateStrategy.rollingUpdate.maxUnavailable", `invalid value "10 percent"`, `an integer ≥ 0 or a percentage from "0%" to "100%"`}}},
	})
	// What the API server accepts is accepted.
	mustParse(t, pod(`        dnsPolicy: None
        dnsConfig: {nameservers: [1.1.1.1]}
        preemptionPolicy: PreemptLowerPriority
        os: {name: linux}
        volumes: [{name: v, hostPath: {path: /x, type: ""}}, {name: w, hostPath: {path: /y, type: DirectoryOrCreate}}]
        initContainers: [{name: init, image: i, imagePullPolicy: Never}]
`, `            imagePullPolicy: IfNotPresent
            terminationMessagePolicy: FallbackToLogsOnError
            ports: [{containerPort: 80, protocol: SCTP}, {containerPort: 81}]
            livenessProbe: {httpGet: {path: /, port: 80, scheme: HTTPS}}
            startupProbe: {httpGet: {path: /, port: 80}}
            lifecycle: {postStart: {httpGet: {path: /, port: 80, scheme: HTTP}}}
`))
	for _, st := range []string{"{type: OnDelete}", "{type: OnDelete, rollingUpdate: {maxSurge: 1}}", "{rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}", `{rollingUpdate: {maxUnavailable: "100%"}}`} {
		mustParse(t, strings.Replace(daemonSet(st), "#1", "", 1))
	}
}

// A manifest's validation goes on past a value that does not decode: every other
// problem is reported, and none that the value's zero stand-in would make up.
func TestValidationPastDecodeErrors(t *testing.T) {
	requireErrors(t, scenario(`  objects:
    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: ds}
      spec:
        selector: {matchLabels: {app: ds}}
        template:
          metadata: {labels: {app: ds}}
          spec:
            containers:
              - name: c
                image: nginx
                resources: {requests: {cpu: lots}} #1
            tolerations:
              - key: a
                operator: Equals #2
        updateStrategy: {type: Sometimes} #3
`),
		want{"1", "spec.objects[0].spec.template.spec.containers[0].resources.requests[cpu]", "quantities must match the regular expression", "a quantity such as 500m, 2 or 1Gi"},
		want{"2", "spec.objects[0].spec.template.spec.tolerations[0].operator", `unknown operator "Equals"`, "Equal, Exists"},
		want{"3", "spec.objects[0].spec.updateStrategy.type", `unsupported updateStrategy type "Sometimes"`, "RollingUpdate, OnDelete"})

	// A template label that does not decode makes no selector mismatch; a priority
	// class name that does not decode, no priority mismatch; a toleration with a field
	// that does not decode, no problem across its fields; a pod whose manifest has an
	// error is still a pod expectations may name.
	requireErrors(t, scenario(`  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: 1}} #1
          spec: {containers: [{name: c, image: i}]}
    - apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        priorityClassName: [system-node-critical] #2
        priority: 2000001000
        tolerations: [{key: [k], operator: Equal, value: v}] #3
        containers: [{name: c, image: i, imagePullPolicy: Sometimes}] #4
  expect:
    - {at: 1m, pod: default/p, ready: "True"}
`),
		want{"1", "spec.objects[0].spec.template.metadata.labels[app]", "got the integer 1, want a string", "a string"},
		want{"2", "spec.objects[1].spec.priorityClassName", "got a list, want a string", "a string"},
		want{"3", "spec.objects[1].spec.tolerations[0].key", "got a list, want a string", "a string"},
		want{"4", "spec.objects[1].spec.containers[0].imagePullPolicy", `unsupported imagePullPolicy "Sometimes"`, "Always, IfNotPresent, Never"})

	// Nor does a field left unset by a misspelt one (no "missing image" for imagee),
	// nor a value that does not decode make a problem of its own zero.
	requireErrors(t, scenario(`  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: 5} #1
      spec:
        containers: [{name: c, imagee: nginx}] #2
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: b}
      spec: {unhealthyPodEvictionPolicy: 5, selector: "app=web"} #3
`),
		want{"1", "spec.objects[0].metadata.name", "got the integer 5, want a string", "a string"},
		want{"2", "spec.objects[0].spec.containers[0].imagee", "unknown field", fieldsOf(reflect.TypeFor[corev1.Container]()).names},
		want{"3", "spec.objects[1].spec.selector", `got the string "app=web", want a mapping`, "a mapping"},
		want{"3", "spec.objects[1].spec.unhealthyPodEvictionPolicy", "got the integer 5, want a string", "a string"})
}

// TestLabelKeysInTemplates: a workload's template is validated with the labels its
// pods get (the template's, and pod-template-hash for a Deployment's), as the API
// server validates each pod after merging its label keys.
func TestLabelKeysInTemplates(t *testing.T) {
	workload := func(kind, term string) string {
		replicas := "        replicas: 2\n"
		if kind == "DaemonSet" {
			replicas = ""
		}
		return scenario("  objects:\n    - apiVersion: apps/v1\n      kind: " + kind + "\n      metadata: {name: web}\n      spec:\n" + replicas +
			"        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec:\n            containers: [{name: app, image: nginx}]\n" +
			"            affinity:\n              podAntiAffinity:\n                requiredDuringSchedulingIgnoredDuringExecution:\n                  - " + term + "\n")
	}
	const at = "spec.objects[0].spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]"
	runErrCases(t, []errCase{
		{"ReplicaSet key of the template's labels", workload("ReplicaSet", "{topologyKey: zone, labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [app]} #1"), []want{
			{"1", at + ".matchLabelKeys[0]", `"app" exists in both matchLabelKeys and labelSelector: the ReplicaSet's pods have label "app", and the API server would refuse each of them (it accepts the template)`, "a key the labelSelector does not use"}}},
		{"Deployment pod-template-hash", workload("Deployment", "{topologyKey: zone, labelSelector: {matchExpressions: [{key: pod-template-hash, operator: Exists}]}, matchLabelKeys: [pod-template-hash]} #1"), []want{
			{"1", at + ".matchLabelKeys[0]", `the Deployment's pods have label "pod-template-hash"`, "a key the labelSelector does not use"}}},
		{"DaemonSet revision label", workload("DaemonSet", "{topologyKey: zone, labelSelector: {matchLabels: {app: web}}, mismatchLabelKeys: [controller-revision-hash]} #1"), []want{
			{"1", at + ".mismatchLabelKeys[0]", "not modelled: upstream's DaemonSet controller labels its pods controller-revision-hash", "a key of the template's labels"}}},
	})
	// A key the selector names is fine when the pods lack the label, and the usual
	// manifest loads: matchLabelKeys [pod-template-hash] in a Deployment.
	mustParse(t, workload("ReplicaSet", "{topologyKey: zone, labelSelector: {matchLabels: {app: web}, matchExpressions: [{key: pod-template-hash, operator: Exists}]}, matchLabelKeys: [pod-template-hash]}"))
	mustParse(t, workload("Deployment", "{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web}}, matchLabelKeys: [pod-template-hash], mismatchLabelKeys: [app]}"))
}
