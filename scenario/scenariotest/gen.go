// Package scenariotest helps test nodesim and scenarios built on it: rapid
// generators of valid scenario files, an invariant library over traces with each
// rule's upstream source, and a property helper that runs random scenarios, checks
// the invariants and, on failure, writes the minimal scenario as a YAML file that
// `nodesim run` reproduces.
//
// Generated scenarios go through scenario.Parse, so every one is validated exactly
// as a file on disk would be.
package scenariotest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nodesim/nodesim/scenario"
	"pgregory.net/rapid"
)

// Zones are the zone names generated scenarios use.
var Zones = []string{"zone-a", "zone-b", "zone-c"}

// Versions are the Kubernetes versions generated scenarios use.
var Versions = []string{"1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37"}

// GenOptions bound the size of generated scenarios.
type GenOptions struct {
	// MaxNodes is the largest fleet at the start (1 … 30; 0 means 30).
	MaxNodes int
	// MaxEvents is the most events (0 means 8).
	MaxEvents int
	// MaxObjects is the most objects (0 means 5).
	MaxObjects int
	// Verbose is passed through by Check: run with the quiet trace kinds.
	Verbose bool
	// ShortGrace draws nodeMonitorGracePeriod from 2 s to 40 s instead of 35 s to 90 s,
	// often shorter than a renew interval (nodes flap between Ready and Unknown), and
	// nodeMonitorPeriod up to 60 s instead of 10 s.
	ShortGrace bool
	// RateLimits draws the controller-manager clients' limit (kubeAPIQPS 0.5 to 5,
	// kubeAPIBurst 1 to 10) so that the rate-limited node lifecycle, taint eviction,
	// pod GC, ReplicaSet and DaemonSet controllers wait for tokens in small scenarios too,
	// and raises the most replicas a Deployment is drawn with from 5 to 12.
	RateLimits bool
	// SpreadConstraints gives about four Deployments in five, and every bare pod left
	// to the scheduler, 1 or 2 topologySpreadConstraints of their own (genSpread):
	// key topology.kubernetes.io/zone or kubernetes.io/hostname, maxSkew 1 or 2,
	// DoNotSchedule or ScheduleAnyway, a labelSelector that matches the Deployment's
	// pods (sometimes every pod with an app label), sometimes matchLabelKeys
	// [pod-template-hash], nodeTaintsPolicy or nodeAffinityPolicy, minDomains 2 or 3
	// with DoNotSchedule. So that constraints bite, it also draws at least one object,
	// Deployments twice as often as the other kinds, and up to 12 replicas (as
	// RateLimits). Bare pods are labelled group: bare, and about half of them have no
	// nodeName and spread over the others. WithoutSpreadConstraints removes the
	// constraints from a file, leaving the rest of the draw. Files drawn without the
	// option are the same as before it existed.
	SpreadConstraints bool
	// PodAntiAffinity gives about three Deployments in five, and about half the bare
	// pods (bound or left to the scheduler), 1 or 2 required pod anti-affinity terms
	// (genAnti): key kubernetes.io/hostname or topology.kubernetes.io/zone, a
	// labelSelector that matches the Deployment's own pods (or the bare pods), one
	// time in six every pod with an app label, sometimes namespaces [default] or a
	// namespaceSelector ({} or by kubernetes.io/metadata.name). As SpreadConstraints,
	// it draws at least one object, Deployments twice as often and up to 12 replicas,
	// so that terms keep pods apart and leave some Pending; bare pods are labelled
	// group: bare. WithoutPodAntiAffinity removes the terms from a file. Files drawn
	// without the option are the same as before it existed.
	PodAntiAffinity bool
	// PodAffinity gives about two Deployments in five, and about a third of the bare
	// pods, one required pod affinity term (genAffinity): key kubernetes.io/hostname
	// or topology.kubernetes.io/zone, a labelSelector that matches the pods of the
	// object itself (a group that follows its first pod), of a Deployment drawn
	// before it or the bare pods, or, one time in six, a Deployment that does not
	// exist (its pods stay Pending); sometimes namespaces [default] or a
	// namespaceSelector. As PodAntiAffinity it draws at least one object,
	// Deployments twice as often and up to 12 replicas; bare pods are labelled
	// group: bare. With PodAntiAffinity too, a pod spec may have both kinds of terms.
	// WithoutPodAffinity removes the affinity terms from a file. Files drawn without
	// the option are the same as before it existed.
	PodAffinity bool
	// PreferredPodAffinity gives about two Deployments in five, and about a third
	// of the bare pods, 1 or 2 preferred pod affinity or anti-affinity terms
	// (genPreferred): weight 1, 10 or 100, an affinity or anti-affinity term drawn
	// as genAffinity's or genAnti's, under the affinity block's podAffinity or
	// podAntiAffinity beside any required terms. As PodAntiAffinity it draws at
	// least one object, Deployments twice as often and up to 12 replicas; bare pods
	// are labelled group: bare. Files drawn without the option are the same as
	// before it existed.
	PreferredPodAffinity bool
	// PodAffinityLabelKeys gives about half of the pod affinity and anti-affinity
	// terms the options above draw, required and preferred, label keys
	// (genLabelKeys): matchLabelKeys [pod-template-hash], which narrows a
	// Deployment's term to its current template's pods and is skipped for a bare
	// pod (it has no such label), mismatchLabelKeys [app], which turns a term into
	// one over the pods of other apps, or both. It draws nothing without one of
	// PodAntiAffinity, PodAffinity and PreferredPodAffinity. Files drawn without
	// the option are the same as before it existed.
	PodAffinityLabelKeys bool
}

// interacting reports whether some option makes pods count one another (spread
// constraints, pod affinity or anti-affinity of either kind).
func (o GenOptions) interacting() bool {
	return o.SpreadConstraints || o.PodAntiAffinity || o.PodAffinity || o.PreferredPodAffinity
}

func (o GenOptions) withDefaults() GenOptions {
	if o.MaxNodes <= 0 || o.MaxNodes > 30 {
		o.MaxNodes = 30
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 8
	}
	if o.MaxObjects <= 0 {
		o.MaxObjects = 5
	}
	return o
}

// genNode is one node entry of a generated file.
type genNode struct {
	name, zone string
	exclude    bool
	noRegister bool
}

// ScenarioYAML returns a generator of valid scenario files as YAML text.
func ScenarioYAML(o GenOptions) *rapid.Generator[string] {
	o = o.withDefaults()
	return rapid.Custom(func(t *rapid.T) string { return genYAML(t, o) })
}

// Scenario returns a generator of parsed, validated scenarios. A generated file that
// does not validate fails the test: the generators promise valid input.
func Scenario(o GenOptions) *rapid.Generator[*scenario.Scenario] {
	o = o.withDefaults()
	return rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		text := genYAML(t, o)
		sc, err := scenario.Parse("generated.yaml", []byte(text))
		if err != nil {
			t.Fatalf("generator produced an invalid scenario: %v\n%s", err, text)
		}
		return sc
	})
}

func genYAML(t *rapid.T, o GenOptions) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	version := rapid.SampledFrom(Versions).Draw(t, "kubernetesVersion")
	durSec := rapid.IntRange(60, 600).Draw(t, "durationSeconds")
	p("apiVersion: nodesim.dev/v1alpha1")
	p("kind: Scenario")
	p("metadata: {name: generated}")
	p("spec:")
	p("  seed: %d", rapid.Uint64Range(1, 1<<20).Draw(t, "seed"))
	p("  duration: %ds", durSec)
	p("  kubernetesVersion: %q", version)
	if rapid.Bool().Draw(t, "startRunning") {
		p("  start: running")
	}
	if rapid.Bool().Draw(t, "customControllerManager") {
		maxPeriod, lo, hi := 10, 35, 90
		if o.ShortGrace {
			maxPeriod, lo, hi = 60, 2, 40
		}
		period := rapid.IntRange(1, maxPeriod).Draw(t, "nodeMonitorPeriod")
		grace := rapid.IntRange(lo, hi).Draw(t, "nodeMonitorGracePeriod")
		p("  controllerManager:")
		p("    nodeMonitorPeriod: %ds", period)
		p("    nodeMonitorGracePeriod: %ds", grace)
		p("    nodeStartupGracePeriod: %ds", rapid.IntRange(grace, 120).Draw(t, "nodeStartupGracePeriod"))
		p("    nodeEvictionRate: %s", rapid.SampledFrom([]string{"0.1", "0.5", "1", "0.02"}).Draw(t, "nodeEvictionRate"))
		p("    secondaryNodeEvictionRate: %s", rapid.SampledFrom([]string{"0.01", "0.1", "0"}).Draw(t, "secondaryNodeEvictionRate"))
		p("    largeClusterSizeThreshold: %d", rapid.IntRange(1, 60).Draw(t, "largeClusterSizeThreshold"))
		p("    unhealthyZoneThreshold: %s", rapid.SampledFrom([]string{"0.55", "0.3", "0.9"}).Draw(t, "unhealthyZoneThreshold"))
		p("    instances: %d", rapid.IntRange(1, 3).Draw(t, "instances"))
	}
	if o.RateLimits {
		// drawn on their own (not under customControllerManager) so that files drawn
		// without RateLimits keep their draws
		if !strings.Contains(b.String(), "  controllerManager:\n") {
			p("  controllerManager:")
		}
		p("    kubeAPIQPS: %s", rapid.SampledFrom([]string{"0.5", "1", "2", "5"}).Draw(t, "kubeAPIQPS"))
		p("    kubeAPIBurst: %d", rapid.IntRange(1, 10).Draw(t, "kubeAPIBurst"))
	}
	if rapid.Bool().Draw(t, "customAPIServer") {
		p("  apiServer:")
		p("    defaultNotReadyTolerationSeconds: %d", rapid.SampledFrom([]int{0, 30, 60, 300}).Draw(t, "defaultNotReadyTolerationSeconds"))
		p("    defaultUnreachableTolerationSeconds: %d", rapid.SampledFrom([]int{0, 30, 60, 300}).Draw(t, "defaultUnreachableTolerationSeconds"))
	}
	if rapid.Bool().Draw(t, "customKubelet") {
		p("  kubelet:")
		p("    nodeStatusUpdateFrequency: %ds", rapid.IntRange(2, 15).Draw(t, "nodeStatusUpdateFrequency"))
		p("    nodeLeaseDurationSeconds: %d", rapid.IntRange(10, 60).Draw(t, "nodeLeaseDurationSeconds"))
		sgp := rapid.IntRange(0, 30).Draw(t, "shutdownGracePeriod")
		p("    shutdownGracePeriod: %ds", sgp)
		p("    shutdownGracePeriodCriticalPods: %ds", rapid.IntRange(0, sgp).Draw(t, "shutdownGracePeriodCriticalPods"))
	}
	// Nodes.
	nNodes := rapid.IntRange(1, o.MaxNodes).Draw(t, "nodes")
	useZones := rapid.Bool().Draw(t, "zoned")
	var nodes []genNode
	for i := 0; i < nNodes; i++ {
		n := genNode{name: fmt.Sprintf("node-%d", i)}
		if useZones {
			n.zone = rapid.SampledFrom(Zones).Draw(t, "zone")
		}
		n.exclude = rapid.IntRange(0, 9).Draw(t, "excludeDisruption") == 0
		n.noRegister = i > 0 && rapid.IntRange(0, 19).Draw(t, "noRegister") == 0
		nodes = append(nodes, n)
	}
	p("  nodes:")
	for _, n := range nodes {
		p("    - name: %s", n.name)
		if n.zone != "" {
			p("      zone: %s", n.zone)
		}
		if n.exclude {
			p("      labels: {node.kubernetes.io/exclude-disruption: \"\", tier: edge}")
		} else {
			p("      labels: {tier: core}")
		}
		if n.noRegister {
			p("      kubelet: {registerNode: false}")
		}
	}
	// Objects.
	minObj := 0
	if o.interacting() {
		minObj = 1 // something to spread or keep apart
	}
	nObj := rapid.IntRange(minObj, o.MaxObjects).Draw(t, "objects")
	var deployments []string
	var objs []string
	for i := 0; i < nObj; i++ {
		kinds := []string{"Pod", "Deployment", "DaemonSet"}
		if o.interacting() {
			kinds = []string{"Pod", "Deployment", "DaemonSet", "Deployment"}
		}
		kind := rapid.SampledFrom(kinds).Draw(t, "kind")
		tols := genTolerations(t, version)
		switch kind {
		case "Pod":
			node := nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "podNode")].name
			if o.interacting() {
				// labelled so that the bare pods' constraints and terms count one
				// another; the unbound ones go through the scheduler with them
				bound := "\n        nodeName: " + node
				var spread, anti string
				if rapid.Bool().Draw(t, "barePodUnbound") {
					bound = ""
					if o.SpreadConstraints {
						spread = genSpread(t, "group", "bare", useZones, false)
					}
				}
				if o.PodAntiAffinity && rapid.Bool().Draw(t, "barePodAnti") {
					anti = genAnti(t, "group", "bare", useZones, o.PodAffinityLabelKeys)
				}
				if o.PodAffinity && rapid.IntRange(0, 2).Draw(t, "barePodAffinity") == 0 {
					anti = withAffinity(anti, genAffinity(t, "group", "bare", deployments, useZones, o.PodAffinityLabelKeys))
				}
				if o.PreferredPodAffinity && rapid.IntRange(0, 2).Draw(t, "barePodPreferred") == 0 {
					anti = genPreferred(t, anti, "group", "bare", deployments, useZones, o.PodAffinityLabelKeys)
				}
				objs = append(objs, fmt.Sprintf(`    - apiVersion: v1
      kind: Pod
      metadata: {name: pod-%d, namespace: default, labels: {app: pod-%d, group: bare}}
      spec:%s
        containers: [{name: app, image: nginx}]%s%s%s`, i, i, bound, spread, anti, tols))
				break
			}
			objs = append(objs, fmt.Sprintf(`    - apiVersion: v1
      kind: Pod
      metadata: {name: pod-%d, namespace: default, labels: {app: pod-%d}}
      spec:
        nodeName: %s
        containers: [{name: app, image: nginx}]%s`, i, i, node, tols))
		case "Deployment":
			name := fmt.Sprintf("web-%d", i)
			deployments = append(deployments, name)
			maxReplicas := 5
			if o.RateLimits || o.interacting() {
				maxReplicas = 12
			}
			replicas := rapid.IntRange(1, maxReplicas).Draw(t, "replicas")
			var spread string
			if o.SpreadConstraints && rapid.IntRange(0, 4).Draw(t, "deploymentSpread") > 0 {
				spread = genSpread(t, "app", name, useZones, true)
			}
			if o.PodAntiAffinity && rapid.IntRange(0, 4).Draw(t, "deploymentAnti") > 1 {
				spread += genAnti(t, "app", name, useZones, o.PodAffinityLabelKeys)
			}
			if o.PodAffinity && rapid.IntRange(0, 4).Draw(t, "deploymentAffinity") > 2 {
				// the spec's affinity block, if any, is last in spread
				affinity := ""
				if i := strings.Index(spread, "\n        affinity:"); i >= 0 {
					spread, affinity = spread[:i], spread[i:]
				}
				spread += withAffinity(affinity, genAffinity(t, "app", name, deployments[:len(deployments)-1], useZones, o.PodAffinityLabelKeys))
			}
			if o.PreferredPodAffinity && rapid.IntRange(0, 4).Draw(t, "deploymentPreferred") > 2 {
				affinity := ""
				if i := strings.Index(spread, "\n        affinity:"); i >= 0 {
					spread, affinity = spread[:i], spread[i:]
				}
				spread += genPreferred(t, affinity, "app", name, deployments[:len(deployments)-1], useZones, o.PodAffinityLabelKeys)
			}
			objs = append(objs, fmt.Sprintf(`    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: %s, namespace: default}
      spec:
        replicas: %d
        selector: {matchLabels: {app: %s}}
        template:
          metadata: {labels: {app: %s}}
          spec:
            containers: [{name: app, image: nginx}]%s%s`, name, replicas, name, name, indent(spread, 4), indent(tols, 4)))
			if rapid.Bool().Draw(t, "pdb") {
				objs = append(objs, fmt.Sprintf(`    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: %s, namespace: default}
      spec:
        minAvailable: %d
        selector: {matchLabels: {app: %s}}`, name, rapid.IntRange(0, replicas).Draw(t, "minAvailable"), name))
			}
		case "DaemonSet":
			name := fmt.Sprintf("ds-%d", i)
			objs = append(objs, fmt.Sprintf(`    - apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: %s, namespace: default}
      spec:
        selector: {matchLabels: {app: %s}}
        template:
          metadata: {labels: {app: %s}}
          spec:
            containers: [{name: app, image: nginx}]%s`, name, name, name, indent(tols, 4)))
		}
	}
	if len(objs) > 0 {
		p("  objects:")
		for _, s := range objs {
			p("%s", s)
		}
	}
	// Events.
	nEv := rapid.IntRange(0, o.MaxEvents).Draw(t, "events")
	if nEv > 0 {
		p("  events:")
	}
	added := 0
	for i := 0; i < nEv; i++ {
		at := rapid.IntRange(0, durSec).Draw(t, "at")
		action := rapid.SampledFrom(actions).Draw(t, "action")
		target := genTarget(t, nodes, useZones)
		var body string
		switch action {
		case "partition":
			if rapid.Bool().Draw(t, "partitionFor") {
				body = fmt.Sprintf("{%s, for: %ds}", target, rapid.IntRange(1, 300).Draw(t, "for"))
			} else {
				body = "{" + target + "}"
			}
		case "apiServerOutage":
			body = fmt.Sprintf("{for: %ds}", rapid.IntRange(1, 120).Draw(t, "for"))
		case "setCondition":
			typ := rapid.SampledFrom([]string{"Ready", "MemoryPressure", "DiskPressure", "NetworkUnavailable"}).Draw(t, "conditionType")
			status := rapid.SampledFrom([]string{"True", "False"}).Draw(t, "conditionStatus")
			if typ == "Ready" {
				status = "False"
			}
			body = fmt.Sprintf("{%s, type: %s, status: %q, reason: ContainerRuntimeDown}", target, typ, status)
		case "drain":
			body = fmt.Sprintf("{%s, timeout: %ds}", target, rapid.IntRange(0, 120).Draw(t, "drainTimeout"))
		case "taint", "untaint":
			tt := rapid.SampledFrom([]string{
				"node.kubernetes.io/out-of-service=nodeshutdown:NoExecute",
				"example.com/maintenance=true:NoExecute",
				"example.com/maintenance:NoSchedule",
				"dedicated=gpu:PreferNoSchedule",
			}).Draw(t, "taint")
			body = fmt.Sprintf("{%s, taint: %q}", target, tt)
		case "addNodes":
			body = fmt.Sprintf("{name: extra-%d}", added)
			if useZones {
				body = fmt.Sprintf("{name: extra-%d, zone: %s}", added, rapid.SampledFrom(Zones).Draw(t, "zone"))
			}
			added++
		case "scale":
			if len(deployments) == 0 {
				action, body = "failoverControllerManager", "{}"
				break
			}
			d := rapid.SampledFrom(deployments).Draw(t, "scaleDeployment")
			body = fmt.Sprintf("{deployment: default/%s, replicas: %d}", d, rapid.IntRange(0, 6).Draw(t, "scaleReplicas"))
		case "failoverControllerManager":
			body = "{}"
		default:
			body = "{" + target + "}"
		}
		p("    - at: %ds", at)
		p("      %s: %s", action, body)
	}
	return b.String()
}

// actions are every action of docs/SCENARIOS.md.
var actions = []string{
	"stopKubelet", "startKubelet", "restartKubelet", "powerOff", "powerOn",
	"partition", "heal", "apiServerOutage", "setCondition", "deleteNode",
	"cordon", "uncordon", "drain", "shutdown", "taint", "untaint",
	"addNodes", "scale", "failoverControllerManager",
}

func genTarget(t *rapid.T, nodes []genNode, zoned bool) string {
	kinds := []string{"node", "nodes", "selector"}
	if zoned {
		kinds = append(kinds, "zone")
	}
	var s string
	switch rapid.SampledFrom(kinds).Draw(t, "targetKind") {
	case "node":
		s = "node: " + nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "targetNode")].name
	case "nodes":
		i := rapid.IntRange(0, len(nodes)-1).Draw(t, "targetFrom")
		j := rapid.IntRange(i, min(len(nodes)-1, i+3)).Draw(t, "targetTo")
		var names []string
		for _, n := range nodes[i : j+1] {
			names = append(names, n.name)
		}
		s = "nodes: [" + strings.Join(names, ", ") + "]"
	case "zone":
		s = "zone: " + nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "targetZoneOf")].zone
	case "selector":
		tier := "core"
		if nodes[rapid.IntRange(0, len(nodes)-1).Draw(t, "targetTierOf")].exclude {
			tier = "edge"
		}
		s = "selector: {tier: " + tier + "}"
	}
	if rapid.IntRange(0, 3).Draw(t, "withCount") == 0 {
		s += fmt.Sprintf(", count: %d", rapid.IntRange(1, 3).Draw(t, "count"))
	}
	return s
}

// genTolerations returns "" or a "\n        tolerations: [...]" suffix for a pod spec at
// indentation 8, covering the edge cases: empty key with Exists, tolerationSeconds
// 0, negative and nil, Equal with values.
func genTolerations(t *rapid.T, version string) string {
	n := rapid.IntRange(0, 3).Draw(t, "tolerations")
	if n == 0 {
		return ""
	}
	var items []string
	for i := 0; i < n; i++ {
		var tol string
		switch rapid.IntRange(0, 5).Draw(t, "tolerationKind") {
		case 0:
			tol = "{operator: Exists}"
		case 1:
			tol = "{operator: Exists, effect: NoExecute" + secs(t) + "}"
		case 2:
			key := rapid.SampledFrom([]string{"node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready"}).Draw(t, "tolerationKey")
			tol = "{key: " + key + ", operator: Exists, effect: NoExecute" + secs(t) + "}"
		case 3:
			tol = "{key: node.kubernetes.io/out-of-service, operator: Equal, value: nodeshutdown, effect: NoExecute" + secs(t) + "}"
		case 4:
			tol = "{key: example.com/maintenance, operator: Equal, value: \"true\", effect: NoExecute" + secs(t) + "}"
		case 5:
			tol = "{key: dedicated, operator: Equal, value: gpu}"
		}
		items = append(items, "          - "+tol)
	}
	_ = version
	return "\n        tolerations:\n" + strings.Join(items, "\n")
}

// Topology keys of generated spread constraints.
const (
	keyZone     = "topology.kubernetes.io/zone"
	keyHostname = "kubernetes.io/hostname"
)

// genSpread returns a "\n        topologySpreadConstraints:\n          - {...}" suffix
// for a pod spec at indentation 8 with 1 or 2 constraints that the API server accepts
// (scenario/spec spreadConstraints: maxSkew > 0, one constraint per topologyKey and
// whenUnsatisfiable, minDomains with DoNotSchedule only, matchLabelKeys only with a
// labelSelector and not on its keys). Their labelSelector matches the pods labelled
// label=value (by matchLabels, or matchExpressions In), or, one time in six, every pod
// with an app label. pod-template-hash is a label of a ReplicaSet's pods (workload
// newReplicaSet), so matchLabelKeys [pod-template-hash] narrows a Deployment's
// constraint to its current template; a pod without the label (a bare pod) ignores
// the key, as upstream's mergeLabelSetWithSelector does. On unzoned nodes the zone
// key is drawn one time in four: no node has the label, so a DoNotSchedule
// constraint on it leaves the pod Pending ("missing required label").
func genSpread(t *rapid.T, label, value string, zoned, templateHash bool) string {
	n := rapid.IntRange(1, 2).Draw(t, "spreadConstraints")
	seen := map[string]bool{}
	var items []string
	for i := 0; i < n; i++ {
		key := genKey(t, zoned)
		when := rapid.SampledFrom([]string{"DoNotSchedule", "ScheduleAnyway"}).Draw(t, "whenUnsatisfiable")
		if seen[key+"/"+when] {
			// one constraint per topologyKey and whenUnsatisfiable
			if when == "DoNotSchedule" {
				when = "ScheduleAnyway"
			} else {
				when = "DoNotSchedule"
			}
		}
		seen[key+"/"+when] = true
		sel := genSelector(t, label, value)
		c := fmt.Sprintf("{maxSkew: %d, topologyKey: %s, whenUnsatisfiable: %s, labelSelector: %s",
			rapid.SampledFrom([]int{1, 1, 2}).Draw(t, "maxSkew"), key, when, sel)
		if rapid.IntRange(0, 2).Draw(t, "matchLabelKeys") == 0 && (templateHash || rapid.Bool().Draw(t, "bareMatchLabelKeys")) {
			c += ", matchLabelKeys: [pod-template-hash]"
		}
		switch rapid.IntRange(0, 3).Draw(t, "nodeTaintsPolicy") {
		case 0:
			c += ", nodeTaintsPolicy: Honor"
		case 1:
			c += ", nodeTaintsPolicy: Ignore"
		}
		switch rapid.IntRange(0, 5).Draw(t, "nodeAffinityPolicy") {
		case 0:
			c += ", nodeAffinityPolicy: Honor"
		case 1:
			c += ", nodeAffinityPolicy: Ignore"
		}
		if when == "DoNotSchedule" && rapid.Bool().Draw(t, "withMinDomains") {
			c += fmt.Sprintf(", minDomains: %d", rapid.IntRange(2, 3).Draw(t, "minDomains"))
		}
		items = append(items, "          - "+c+"}")
	}
	return "\n        topologySpreadConstraints:\n" + strings.Join(items, "\n")
}

// genAnti returns a "\n        affinity:\n          podAntiAffinity: ..." suffix for
// a pod spec at indentation 8 with 1 or 2 required anti-affinity terms the API server
// accepts (scenario/spec podAffinityTerms). Their labelSelector matches the pods
// labelled label=value (by matchLabels, or matchExpressions In), or, one time in six,
// every pod with an app label; one time in four a term names its namespaces
// ([default]: the pod's own), one time in four it has a namespaceSelector ({}: every
// namespace, or kubernetes.io/metadata.name: default). On unzoned nodes the zone key
// is drawn one time in four: no node has the label, so the term keeps nothing off.
// With keys, genLabelKeys adds label keys to about half the terms.
func genAnti(t *rapid.T, label, value string, zoned, keys bool) string {
	n := rapid.IntRange(1, 2).Draw(t, "antiTerms")
	var items []string
	for i := 0; i < n; i++ {
		c := fmt.Sprintf("{topologyKey: %s, labelSelector: %s", genKey(t, zoned), genSelector(t, label, value))
		switch rapid.IntRange(0, 7).Draw(t, "antiNamespaces") {
		case 0, 1:
			c += ", namespaces: [default]"
		case 2:
			c += ", namespaceSelector: {}"
		case 3:
			c += ", namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}"
		}
		if keys {
			c += genLabelKeys(t)
		}
		items = append(items, "              - "+c+"}")
	}
	return "\n        affinity:\n          podAntiAffinity:\n            requiredDuringSchedulingIgnoredDuringExecution:\n" + strings.Join(items, "\n")
}

// genAffinity returns a "\n          podAffinity: ..." part of an affinity block for
// a pod spec at indentation 8, with one required affinity term the API server
// accepts: its labelSelector matches the pods labelled label=value (the object's
// own, by genSelector), or the pods of one of others (Deployments drawn before
// it) or the bare pods, or, one time in six, those of a Deployment that does not
// exist; one time in four it names its namespaces, one time in eight it has a
// namespaceSelector, as genAnti; with keys, label keys as genAnti.
func genAffinity(t *rapid.T, label, value string, others []string, zoned, keys bool) string {
	sel := ""
	switch rapid.IntRange(0, 5).Draw(t, "affinityTarget") {
	case 0, 1:
		sel = genSelector(t, label, value)
	case 2, 3:
		if len(others) > 0 {
			sel = fmt.Sprintf("{matchLabels: {app: %s}}", rapid.SampledFrom(others).Draw(t, "affinityOther"))
		} else {
			sel = "{matchLabels: {group: bare}}"
		}
	case 4:
		sel = "{matchLabels: {group: bare}}"
	default:
		sel = "{matchLabels: {app: absent}}"
	}
	c := fmt.Sprintf("{topologyKey: %s, labelSelector: %s", genKey(t, zoned), sel)
	switch rapid.IntRange(0, 7).Draw(t, "affinityNamespaces") {
	case 0, 1:
		c += ", namespaces: [default]"
	case 2:
		c += ", namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}"
	}
	if keys {
		c += genLabelKeys(t)
	}
	return "\n          podAffinity:\n            requiredDuringSchedulingIgnoredDuringExecution:\n              - " + c + "}"
}

// genPreferred returns block, a pod spec's affinity block at indentation 8 (""
// for none), with 1 or 2 preferred terms added: weight 1, 10 or 100, half of them
// affinity terms drawn as genAffinity's (the object's own pods, another
// Deployment's, the bare pods', or none), half anti-affinity terms drawn as
// genAnti's, each under the block's podAffinity or podAntiAffinity, made when the
// block has none; with keys, label keys as genAnti.
func genPreferred(t *rapid.T, block, label, value string, others []string, zoned, keys bool) string {
	if block == "" {
		block = "\n        affinity:"
	}
	for range rapid.IntRange(1, 2).Draw(t, "preferredTerms") {
		weight := rapid.SampledFrom([]int{1, 10, 100}).Draw(t, "preferredWeight")
		var key, term string
		if rapid.Bool().Draw(t, "preferredAnti") {
			key = "podAntiAffinity:"
			a := genAnti(t, label, value, zoned, keys)
			term = a[strings.LastIndex(a, "              - ")+len("              - "):]
		} else {
			key = "podAffinity:"
			a := genAffinity(t, label, value, others, zoned, keys)
			term = a[strings.LastIndex(a, "              - ")+len("              - "):]
		}
		block = addUnder(block, key, "preferredDuringSchedulingIgnoredDuringExecution:",
			fmt.Sprintf("{weight: %d, podAffinityTerm: %s}", weight, term))
	}
	return block
}

// genLabelKeys returns the label keys of a pod (anti-)affinity term (", matchLabelKeys:
// [...]" and so on), none half the time. The API server accepts each: the terms'
// selectors name app or group, never pod-template-hash, and a key of
// mismatchLabelKeys may be one the selector names.
func genLabelKeys(t *rapid.T) string {
	switch rapid.IntRange(0, 5).Draw(t, "labelKeys") {
	case 3:
		return ", matchLabelKeys: [pod-template-hash]"
	case 4:
		return ", mismatchLabelKeys: [app]"
	case 5:
		return ", matchLabelKeys: [pod-template-hash], mismatchLabelKeys: [app]"
	}
	return ""
}

// addUnder adds item to the list list (a key at indentation 12) of the mapping
// key (at indentation 10) in block, an affinity block at indentation 8, making
// either when block lacks it.
func addUnder(block, key, list, item string) string {
	lines := strings.Split(block, "\n")
	k := slices.Index(lines, "          "+key)
	if k < 0 {
		return block + "\n          " + key + "\n            " + list + "\n              - " + item
	}
	end := k + 1 // the end of key's value
	for end < len(lines) && strings.HasPrefix(lines[end], "            ") {
		end++
	}
	at := -1 // the end of list's value
	for i := k + 1; i < end; i++ {
		if lines[i] == "            "+list {
			at = i + 1
			for at < end && strings.HasPrefix(lines[at], "              ") {
				at++
			}
		}
	}
	add := []string{"              - " + item}
	if at < 0 {
		at, add = end, []string{"            " + list, "              - " + item}
	}
	return strings.Join(slices.Concat(lines[:at], add, lines[at:]), "\n")
}

// withAffinity adds part (genAffinity's) to block, a pod spec's affinity block
// (genAnti's) or "" for none.
func withAffinity(block, part string) string {
	if block == "" {
		block = "\n        affinity:"
	}
	return block + part
}

// genKey draws the topology key of a spread constraint or an anti-affinity term:
// the zone half the time on zoned nodes, one time in four on unzoned ones, else the
// hostname.
func genKey(t *rapid.T, zoned bool) string {
	if zoned && rapid.Bool().Draw(t, "zoneKey") || !zoned && rapid.IntRange(0, 3).Draw(t, "zoneKeyUnzoned") == 0 {
		return keyZone
	}
	return keyHostname
}

// genSelector draws a labelSelector that matches the pods labelled label=value (by
// matchLabels, or matchExpressions In), or, one time in six, every pod with an app
// label.
func genSelector(t *rapid.T, label, value string) string {
	switch rapid.IntRange(0, 5).Draw(t, "selector") {
	case 3, 4:
		return fmt.Sprintf("{matchExpressions: [{key: %s, operator: In, values: [%s]}]}", label, value)
	case 5:
		return "{matchExpressions: [{key: app, operator: Exists}]}"
	}
	return fmt.Sprintf("{matchLabels: {%s: %s}}", label, value)
}

// WithoutSpreadConstraints returns a generated file with its topologySpreadConstraints
// removed: the same draw as far as everything else goes, for comparing runs with and
// without them.
func WithoutSpreadConstraints(text string) string {
	return withoutKey(text, "topologySpreadConstraints:")
}

// WithoutPodAntiAffinity returns a generated file with its pod anti-affinity terms
// removed (the generator writes no other affinity), as WithoutSpreadConstraints.
func WithoutPodAntiAffinity(text string) string {
	return withoutKey(text, "affinity:")
}

// WithoutLabelKeys returns a generated file with the label keys PodAffinityLabelKeys
// drew removed from its pod (anti-)affinity terms, the terms left as they were.
func WithoutLabelKeys(text string) string {
	text = strings.ReplaceAll(text, ", matchLabelKeys: [pod-template-hash]", "")
	return strings.ReplaceAll(text, ", mismatchLabelKeys: [app]", "")
}

// WithoutPodAffinity returns a generated file with its required pod affinity terms
// removed, and an affinity block left empty by that, as WithoutSpreadConstraints.
func WithoutPodAffinity(text string) string {
	lines := strings.Split(withoutKey(text, "podAffinity:"), "\n")
	out := lines[:0:0]
	for i, l := range lines {
		if strings.TrimSpace(l) == "affinity:" {
			ind := len(l) - len(strings.TrimLeft(l, " "))
			if i+1 == len(lines) || len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) <= ind {
				continue
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// WithoutPreferredPodAffinity returns a generated file with its preferred pod
// affinity and anti-affinity terms removed, and the podAffinity, podAntiAffinity
// and affinity blocks left empty by that, as WithoutSpreadConstraints.
func WithoutPreferredPodAffinity(text string) string {
	lines := strings.Split(withoutKey(text, "preferredDuringSchedulingIgnoredDuringExecution:"), "\n")
	for range 2 { // podAffinity inside affinity
		out := lines[:0:0]
		for i, l := range lines {
			if t := strings.TrimSpace(l); t == "affinity:" || t == "podAffinity:" || t == "podAntiAffinity:" {
				ind := len(l) - len(strings.TrimLeft(l, " "))
				if i+1 == len(lines) || len(lines[i+1])-len(strings.TrimLeft(lines[i+1], " ")) <= ind {
					continue
				}
			}
			out = append(out, l)
		}
		lines = out
	}
	return strings.Join(lines, "\n")
}

// withoutKey drops from a YAML text every mapping key that starts a line with key,
// and its value.
func withoutKey(text, key string) string {
	lines := strings.Split(text, "\n")
	out := lines[:0:0]
	skip := -1 // indentation of the key being skipped
	for _, l := range lines {
		ind := len(l) - len(strings.TrimLeft(l, " "))
		if skip >= 0 && ind > skip {
			continue
		}
		skip = -1
		if strings.HasPrefix(strings.TrimLeft(l, " "), key) {
			skip = ind
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func secs(t *rapid.T) string {
	switch rapid.IntRange(0, 3).Draw(t, "tolerationSeconds") {
	case 0:
		return ""
	case 1:
		return ", tolerationSeconds: 0"
	case 2:
		return fmt.Sprintf(", tolerationSeconds: %d", -rapid.IntRange(1, 100).Draw(t, "negativeSeconds"))
	}
	return fmt.Sprintf(", tolerationSeconds: %d", rapid.IntRange(1, 600).Draw(t, "seconds"))
}

func indent(s string, n int) string {
	if s == "" {
		return s
	}
	return strings.ReplaceAll(s, "\n", "\n"+strings.Repeat(" ", n))
}
