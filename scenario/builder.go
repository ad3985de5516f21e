package scenario

import (
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// Builder assembles a scenario in Go with the same power as a file: it writes the
// scenario file (YAML) and loads it with the same strict validation, so a built
// scenario and a file are interchangeable — YAML returns the file to save or share.
//
//	sc, err := scenario.New("zone-outage").
//		Duration(15 * time.Minute).
//		Nodes("a-", 3, scenario.Zone("a")).
//		Nodes("b-", 3, scenario.Zone("b")).
//		At(2*time.Minute, scenario.Partition(scenario.InZone("b"), 3*time.Minute)).
//		Expect(scenario.By, 4*time.Minute, scenario.NodeReady("b-0", "Unknown")).
//		Build()
type Builder struct {
	name    string
	spec    map[string]any
	nodes   []any
	objects []any
	events  []any
	expect  []any
	errs    []string
}

// New starts a scenario called name (metadata.name).
func New(name string) *Builder {
	return &Builder{name: name, spec: map[string]any{}}
}

// Set sets any spec field by its path, as a sweep's vary: does, e.g.
// Set("controllerManager.nodeMonitorGracePeriod", "40s") or
// Set("kubelet.nodeLeaseDurationSeconds", 40).
func (b *Builder) Set(path string, value any) *Builder {
	parts := strings.Split(path, ".")
	m := b.spec
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
	return b
}

// Seed sets spec.seed.
func (b *Builder) Seed(seed uint64) *Builder { return b.Set("seed", seed) }

// Duration sets spec.duration.
func (b *Builder) Duration(d time.Duration) *Builder { return b.Set("duration", d.String()) }

// Version sets spec.kubernetesVersion ("1.31" … "1.37").
func (b *Builder) Version(v string) *Builder { return b.Set("kubernetesVersion", v) }

// StartRunning sets spec.start: running — the cluster starts out running instead of
// booting at time zero (see the package doc).
func (b *Builder) StartRunning() *Builder { return b.Set("start", "running") }

// NodeOption adds a field to a node entry.
type NodeOption func(map[string]any)

// Zone sets the node's topology.kubernetes.io/zone.
func Zone(z string) NodeOption { return func(m map[string]any) { m["zone"] = z } }

// Labels sets the node's labels.
func Labels(l map[string]string) NodeOption { return func(m map[string]any) { m["labels"] = l } }

// KubeletConfig overrides KubeletConfiguration fields for the node,
// e.g. KubeletConfig(map[string]any{"registerNode": false}).
func KubeletConfig(c map[string]any) NodeOption { return func(m map[string]any) { m["kubelet"] = c } }

// Node adds one node.
func (b *Builder) Node(name string, opts ...NodeOption) *Builder {
	m := map[string]any{"name": name}
	for _, o := range opts {
		o(m)
	}
	b.nodes = append(b.nodes, m)
	return b
}

// Nodes adds count nodes named prefix0 … prefix{count-1}.
func (b *Builder) Nodes(prefix string, count int, opts ...NodeOption) *Builder {
	m := map[string]any{"namePrefix": prefix, "count": count}
	for _, o := range opts {
		o(m)
	}
	b.nodes = append(b.nodes, m)
	return b
}

// Object adds a Kubernetes object: a *corev1.Pod, *appsv1.Deployment,
// *appsv1.ReplicaSet, *appsv1.DaemonSet or *policyv1.PodDisruptionBudget (its
// apiVersion and kind are filled in).
func (b *Builder) Object(obj any) *Builder {
	switch o := obj.(type) {
	case *corev1.Pod:
		o.APIVersion, o.Kind = "v1", "Pod"
	case *appsv1.Deployment:
		o.APIVersion, o.Kind = "apps/v1", "Deployment"
	case *appsv1.ReplicaSet:
		o.APIVersion, o.Kind = "apps/v1", "ReplicaSet"
	case *appsv1.DaemonSet:
		o.APIVersion, o.Kind = "apps/v1", "DaemonSet"
	case *policyv1.PodDisruptionBudget:
		o.APIVersion, o.Kind = "policy/v1", "PodDisruptionBudget"
	default:
		b.errs = append(b.errs, fmt.Sprintf("Object: unsupported type %T; allowed: *corev1.Pod, *appsv1.Deployment, *appsv1.ReplicaSet, *appsv1.DaemonSet, *policyv1.PodDisruptionBudget", obj))
		return b
	}
	data, err := yaml.Marshal(obj)
	if err != nil {
		b.errs = append(b.errs, fmt.Sprintf("Object: %v", err))
		return b
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		b.errs = append(b.errs, fmt.Sprintf("Object: %v", err))
		return b
	}
	// Marshalling a typed object writes empty status and creationTimestamp fields that
	// no one would write in a manifest.
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	b.objects = append(b.objects, m)
	return b
}

// Target selects the nodes an action applies to.
type Target map[string]any

// OnNode targets one node.
func OnNode(name string) Target { return Target{"node": name} }

// OnNodes targets several nodes.
func OnNodes(names ...string) Target { return Target{"nodes": names} }

// InZone targets every node of a zone.
func InZone(z string) Target { return Target{"zone": z} }

// WithLabels targets the nodes whose labels match.
func WithLabels(sel map[string]string) Target { return Target{"selector": sel} }

// First keeps the first n nodes of the target, in name order.
func (t Target) First(n int) Target {
	c := Target{}
	for k, v := range t {
		c[k] = v
	}
	c["count"] = n
	return c
}

// Action is one events: entry's action (use the constructors below).
type Action struct {
	name string
	body map[string]any
}

func nodeAction(name string, t Target) Action { return Action{name, map[string]any(t)} }

func with(t Target, kv ...any) map[string]any {
	m := map[string]any{}
	for k, v := range t {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// StopKubelet stops the kubelet process; containers keep running.
func StopKubelet(t Target) Action { return nodeAction("stopKubelet", t) }

// StartKubelet starts the kubelet process.
func StartKubelet(t Target) Action { return nodeAction("startKubelet", t) }

// RestartKubelet restarts the kubelet process.
func RestartKubelet(t Target) Action { return nodeAction("restartKubelet", t) }

// PowerOff turns the machine off: kubelet and containers gone.
func PowerOff(t Target) Action { return nodeAction("powerOff", t) }

// PowerOn turns the machine on.
func PowerOn(t Target) Action { return nodeAction("powerOn", t) }

// Partition cuts the nodes off from the API server, for d (0: until Heal).
func Partition(t Target, d time.Duration) Action {
	if d > 0 {
		return Action{"partition", with(t, "for", d.String())}
	}
	return nodeAction("partition", t)
}

// Heal ends a partition.
func Heal(t Target) Action { return nodeAction("heal", t) }

// APIServerOutage takes the API server down for d.
func APIServerOutage(d time.Duration) Action {
	return Action{"apiServerOutage", map[string]any{"for": d.String()}}
}

// SetCondition makes the kubelet report a condition (e.g. Ready "False").
func SetCondition(t Target, typ, status, reason string) Action {
	return Action{"setCondition", with(t, "type", typ, "status", status, "reason", reason)}
}

// DeleteNode deletes the Node objects (kubectl delete node).
func DeleteNode(t Target) Action { return nodeAction("deleteNode", t) }

// Cordon marks the nodes unschedulable.
func Cordon(t Target) Action { return nodeAction("cordon", t) }

// Uncordon marks the nodes schedulable.
func Uncordon(t Target) Action { return nodeAction("uncordon", t) }

// Drain drains the nodes as kubectl drain does; timeout 0 waits forever.
func Drain(t Target, timeout time.Duration) Action {
	if timeout > 0 {
		return Action{"drain", with(t, "timeout", timeout.String())}
	}
	return nodeAction("drain", t)
}

// Shutdown is a graceful node shutdown.
func Shutdown(t Target) Action { return nodeAction("shutdown", t) }

// Taint adds a taint ("key[=value]:Effect") to the nodes.
func Taint(t Target, taint string) Action { return Action{"taint", with(t, "taint", taint)} }

// Untaint removes a taint from the nodes.
func Untaint(t Target, taint string) Action { return Action{"untaint", with(t, "taint", taint)} }

// Scale sets a Deployment's (or ReplicaSet's: kind "replicaset") replicas; key is
// "namespace/name".
func Scale(kind, key string, replicas int) Action {
	return Action{"scale", map[string]any{strings.ToLower(kind): key, "replicas": replicas}}
}

// FailoverControllerManager kills the leading kube-controller-manager.
func FailoverControllerManager() Action {
	return Action{"failoverControllerManager", map[string]any{}}
}

// At schedules an action.
func (b *Builder) At(t time.Duration, a Action) *Builder {
	b.events = append(b.events, map[string]any{"at": t.String(), a.name: a.body})
	return b
}

// Predicate is what an expectation checks.
type Predicate map[string]any

// NodeReady: the node's Ready condition has that status ("True", "False", "Unknown").
func NodeReady(node, status string) Predicate { return Predicate{"node": node, "ready": status} }

// NodeTaint: the node carries the taint ("key[=value]:Effect").
func NodeTaint(node, taint string) Predicate { return Predicate{"node": node, "taint": taint} }

// NodeDeleted: the Node object is gone.
func NodeDeleted(node string) Predicate { return Predicate{"node": node, "deleted": true} }

// PodReady: the pod ("namespace/name") has Ready status ("True" or "False").
func PodReady(pod, status string) Predicate { return Predicate{"pod": pod, "ready": status} }

// PodDeleted: the pod is gone.
func PodDeleted(pod string) Predicate { return Predicate{"pod": pod, "deleted": true} }

// PodEvicted: the pod's deletion was requested by an eviction.
func PodEvicted(pod string) Predicate { return Predicate{"pod": pod, "evicted": true} }

// DeploymentReadyAtLeast: the Deployment has at least n ready replicas.
func DeploymentReadyAtLeast(deployment string, n int) Predicate {
	return Predicate{"deployment": deployment, "readyReplicas": map[string]any{"min": n}}
}

// Expect adds an expectation: mode At, By or After, at time t.
func (b *Builder) Expect(mode Mode, t time.Duration, p Predicate) *Builder {
	m := map[string]any{string(mode): t.String()}
	for k, v := range p {
		m[k] = v
	}
	b.expect = append(b.expect, m)
	return b
}

// YAML returns the scenario file the builder describes.
func (b *Builder) YAML() ([]byte, error) {
	if len(b.errs) > 0 {
		return nil, fmt.Errorf("scenario %s: %s", b.name, strings.Join(b.errs, "; "))
	}
	spec := map[string]any{}
	for k, v := range b.spec {
		spec[k] = v
	}
	for k, v := range map[string][]any{"nodes": b.nodes, "objects": b.objects, "events": b.events, "expect": b.expect} {
		if len(v) > 0 {
			spec[k] = v
		}
	}
	return yaml.Marshal(map[string]any{
		"apiVersion": "nodesim.dev/v1alpha1",
		"kind":       "Scenario",
		"metadata":   map[string]any{"name": b.name},
		"spec":       spec,
	})
}

// Build validates the scenario exactly as a file is validated.
func (b *Builder) Build() (*Scenario, error) {
	data, err := b.YAML()
	if err != nil {
		return nil, err
	}
	return Parse(b.name+".yaml (built)", data)
}
