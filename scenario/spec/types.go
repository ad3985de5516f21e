package spec

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// APIVersion and Kind are the only values allowed at the top of a scenario file.
const (
	APIVersion = "nodesim.dev/v1alpha1"
	Kind       = "Scenario"
)

// Scenario is a loaded, validated and defaulted scenario file.
//
// Treat it as read-only: nodes of one count-form entry share their kubelet's slices.
// [Scenario.With] returns an independent copy.
type Scenario struct {
	// Name is metadata.name, or the file's base name without extension when unset.
	Name string
	// File is the file name given to Load or Parse; errors are reported against it.
	File string
	// Spec is the validated content of spec:.
	Spec Spec

	src       []byte     // the file, kept for With
	overrides []override // the values set by With so far
}

// Values of spec.start.
const (
	// StartBooting: every machine boots at time zero — its kubelet registers the
	// Node, reports its first status and turns Ready; the workload controllers create
	// the pods and the scheduler places them.
	StartBooting = "booting"
	// StartRunning: the cluster has been running for a while at time zero — every
	// Node exists and is Ready with a current Lease, the pods of the workloads run on
	// their nodes and are Ready, the controllers' statuses are settled. Nothing of
	// that past is traced. This is the state the real controllers' tests (and the
	// oracle) start from, and it costs a fraction of a simulated boot.
	StartRunning = "running"
)

// Spec is the content of a scenario file's spec: with every default applied.
type Spec struct {
	// Seed seeds every random stream of the run (spec.seed, default 1).
	Seed uint64
	// Duration is how much virtual time to simulate (required, > 0).
	Duration time.Duration
	// KubernetesVersion is "1.31" … "1.37" (default [DefaultKubernetesVersion]);
	// it picks the defaults of ControllerManager, APIServer and Kubelet (see [Profile])
	// and which feature gates exist (tolerations with Lt/Gt need
	// FeatureGates.TaintTolerationComparisonOperators, from 1.35).
	KubernetesVersion string
	// Start is how the cluster stands at time zero: [StartBooting] (default) or
	// [StartRunning].
	Start string
	// FeatureGates are spec.featureGates, set on every component.
	FeatureGates FeatureGates

	// ControllerManager holds the kube-controller-manager settings.
	ControllerManager ControllerManager
	// APIServer holds the kube-apiserver settings.
	APIServer APIServer
	// Kubelet is the KubeletConfiguration every node starts from (spec.kubelet over the
	// version's defaults). Each Node carries its own effective copy.
	Kubelet Kubelet

	// Nodes are the machines present at the start, in file order, with the count
	// form expanded (namePrefix: w-, count: 3 gives w-0, w-1, w-2).
	Nodes []Node
	// Objects are the Kubernetes manifests of spec.objects, in file order, decoded
	// strictly and defaulted (namespace "default", replicas 1).
	Objects []Object
	// Events are the actions of spec.events in file order (not sorted by time: run
	// them ordered by (At, index)); none is after Duration.
	Events []Event
	// Expect are the expectations of spec.expect, in file order; none is after
	// Duration.
	Expect []Expectation
	// Sweep is spec.sweep, or nil when the file has none.
	Sweep *Sweep
}

// FeatureGates are the feature gates the simulation models (spec.featureGates), each
// at its upstream default unless the file sets it.
type FeatureGates struct {
	// TaintTolerationComparisonOperators (KEP-5471; alpha from 1.35, off by default
	// through 1.37): tolerations may use the Lt and Gt operators, which compare the
	// toleration's value with the taint's as integers. Off, the API server rejects
	// such a toleration; the file may set it only for 1.35 or later.
	TaintTolerationComparisonOperators bool
}

// ControllerManager is the kube-controller-manager configuration the simulation
// models (flag names in camelCase).
type ControllerManager struct {
	// NodeMonitorPeriod is --node-monitor-period: how often the node lifecycle
	// controller checks node health (> 0).
	NodeMonitorPeriod time.Duration
	// NodeMonitorGracePeriod is --node-monitor-grace-period: how long a Ready node may
	// go without a heartbeat before it is marked Unknown (40s in 1.31, 50s from 1.32).
	NodeMonitorGracePeriod time.Duration
	// NodeStartupGracePeriod is --node-startup-grace-period: the same for a node that
	// has never reported Ready.
	NodeStartupGracePeriod time.Duration
	// NodeEvictionRate is --node-eviction-rate: nodes per second tainted NoExecute in
	// a healthy zone. Upstream does not validate it; ≤ 0 means never.
	NodeEvictionRate float64
	// SecondaryNodeEvictionRate is --secondary-node-eviction-rate, used in a
	// partially disrupted zone of a large cluster; ≤ 0 means never.
	SecondaryNodeEvictionRate float64
	// LargeClusterSizeThreshold is --large-cluster-size-threshold.
	LargeClusterSizeThreshold int
	// UnhealthyZoneThreshold is --unhealthy-zone-threshold.
	UnhealthyZoneThreshold float64
	// TerminatedPodGCThreshold is --terminated-pod-gc-threshold; ≤ 0 disables the
	// terminated-pod part of pod GC.
	TerminatedPodGCThreshold int
	// KubeAPIQPS is --kube-api-qps: the client-side rate limit, in requests per second,
	// of each controller's own clientset (20; a negative value installs no limiter, as
	// client-go does). Modelled for the taint eviction, ReplicaSet and DaemonSet
	// controllers and pod GC; the other controllers' requests are not limited yet.
	KubeAPIQPS float64
	// KubeAPIBurst is --kube-api-burst: how many requests each controller's clientset
	// may make at once before KubeAPIQPS paces them (30).
	KubeAPIBurst int
	// Instances is how many kube-controller-manager processes run (≥ 1); they elect a
	// leader over a Lease as upstream does, and the others stand by.
	Instances int
	// LeaderElection is the leader election timing of every instance.
	LeaderElection LeaderElection
}

// LeaderElection is kube-controller-manager's --leader-elect-* timing. As upstream:
// all three > 0, LeaseDuration > RenewDeadline, and RenewDeadline > 1.2 × RetryPeriod.
type LeaderElection struct {
	LeaseDuration time.Duration // --leader-elect-lease-duration
	RenewDeadline time.Duration // --leader-elect-renew-deadline
	RetryPeriod   time.Duration // --leader-elect-retry-period
}

// APIServer is the kube-apiserver configuration the simulation models.
type APIServer struct {
	// DefaultNotReadyTolerationSeconds is --default-not-ready-toleration-seconds, used
	// by the DefaultTolerationSeconds admission plugin.
	DefaultNotReadyTolerationSeconds int64
	// DefaultUnreachableTolerationSeconds is --default-unreachable-toleration-seconds.
	DefaultUnreachableTolerationSeconds int64
}

// Kubelet is the part of a KubeletConfiguration the simulation models, after the
// kubelet's own defaulting (a zero nodeStatusUpdateFrequency, nodeLeaseDurationSeconds
// or maxPods in the file means "the default", as upstream; an unset
// nodeStatusReportFrequency follows an explicitly set nodeStatusUpdateFrequency).
type Kubelet struct {
	// RegisterNode: when false the kubelet never creates its Node object.
	RegisterNode bool
	// RegisterWithTaints are put on the Node when the kubelet creates it.
	RegisterWithTaints []Taint
	// NodeStatusUpdateFrequency is how often the kubelet computes node status.
	NodeStatusUpdateFrequency time.Duration
	// NodeStatusReportFrequency is how often it writes an unchanged status.
	NodeStatusReportFrequency time.Duration
	// NodeLeaseDurationSeconds is the node Lease's duration; the lease is renewed
	// every quarter of it.
	NodeLeaseDurationSeconds int32
	// ShutdownGracePeriod is the total graceful node shutdown period (0: off).
	ShutdownGracePeriod time.Duration
	// ShutdownGracePeriodCriticalPods is the part of it reserved for critical pods.
	ShutdownGracePeriodCriticalPods time.Duration
	// ShutdownGracePeriodByPodPriority replaces the two settings above when set.
	ShutdownGracePeriodByPodPriority []PriorityGracePeriod
	// MaxPods is the node's pod capacity (110).
	MaxPods int
}

// PriorityGracePeriod is one entry of shutdownGracePeriodByPodPriority: pods whose
// priority is at least Priority (and below the next entry's) get
// ShutdownGracePeriodSeconds to stop.
type PriorityGracePeriod struct {
	Priority                   int32
	ShutdownGracePeriodSeconds int64
}

// Taint is a node taint. In a file it is written "key[=value]:Effect" (as kubectl
// taint and the kubelet's --register-with-taints take it) or, where a
// KubeletConfiguration would take one, as an object {key, value, effect}.
type Taint struct {
	Key    string
	Value  string
	Effect string // NoSchedule, PreferNoSchedule or NoExecute; "" only in untaint (every effect)
}

// String renders the taint as "key[=value]:Effect", the form the trace uses.
func (t Taint) String() string {
	s := t.Key
	if t.Value != "" {
		s += "=" + t.Value
	}
	if t.Effect != "" {
		s += ":" + t.Effect
	}
	return s
}

// Node is one machine: a kubelet, its Node object and its capacity.
type Node struct {
	// Name is the node name (a DNS subdomain, unique in the file).
	Name string
	// Zone is the topology.kubernetes.io/zone label ("" when unset).
	Zone string
	// Labels are the node's labels as written, plus topology.kubernetes.io/zone when
	// Zone is set. The kubelet's own default labels (hostname, os, arch) are not
	// included. Each node has its own map.
	Labels map[string]string
	// Kubelet is the node's effective KubeletConfiguration: spec.kubelet merged with
	// the entry's kubelet: override, field by field, then defaulted.
	Kubelet Kubelet
	// CPU is the allocatable CPU (default 4).
	CPU resource.Quantity
	// Memory is the allocatable memory (default 16Gi).
	Memory resource.Quantity
	// Line is the line of the node's entry in the file.
	Line int
}

// Object is one decoded manifest of spec.objects; exactly one of the pointers is set,
// the one named by Kind.
type Object struct {
	Kind       string // Pod, Deployment, ReplicaSet, DaemonSet or PodDisruptionBudget
	Line       int    // line of the manifest in the file
	Pod        *corev1.Pod
	Deployment *appsv1.Deployment
	ReplicaSet *appsv1.ReplicaSet
	DaemonSet  *appsv1.DaemonSet
	PDB        *policyv1.PodDisruptionBudget
}

// Meta returns the object's metadata.
func (o Object) Meta() *metav1.ObjectMeta {
	switch {
	case o.Pod != nil:
		return &o.Pod.ObjectMeta
	case o.Deployment != nil:
		return &o.Deployment.ObjectMeta
	case o.ReplicaSet != nil:
		return &o.ReplicaSet.ObjectMeta
	case o.DaemonSet != nil:
		return &o.DaemonSet.ObjectMeta
	case o.PDB != nil:
		return &o.PDB.ObjectMeta
	}
	return &metav1.ObjectMeta{}
}

// Key returns "namespace/name".
func (o Object) Key() string {
	m := o.Meta()
	return m.Namespace + "/" + m.Name
}

// Action names what an event does; the values are the keys used in the file.
type Action string

// The actions of spec.events (docs/SCENARIOS.md). Node-targeting actions use
// [Event.Target]; the others say which fields of [Event] they use.
const (
	ActionStopKubelet               Action = "stopKubelet"    // the kubelet process stops; containers keep running
	ActionStartKubelet              Action = "startKubelet"   // it starts again
	ActionRestartKubelet            Action = "restartKubelet" // stop and start at the same instant
	ActionPowerOff                  Action = "powerOff"       // kubelet and containers gone
	ActionPowerOn                   Action = "powerOn"        // the machine boots
	ActionPartition                 Action = "partition"      // cut off from the API server; For > 0 heals by itself
	ActionHeal                      Action = "heal"           // end a partition
	ActionAPIServerOutage           Action = "apiServerOutage"
	ActionSetCondition              Action = "setCondition" // uses Condition
	ActionDeleteNode                Action = "deleteNode"
	ActionCordon                    Action = "cordon"
	ActionUncordon                  Action = "uncordon"
	ActionDrain                     Action = "drain"    // uses Drain
	ActionShutdown                  Action = "shutdown" // graceful node shutdown
	ActionTaint                     Action = "taint"    // uses Taint
	ActionUntaint                   Action = "untaint"  // uses Taint; Effect "" removes every effect of the key
	ActionAddNodes                  Action = "addNodes" // uses AddNodes
	ActionScale                     Action = "scale"    // uses Scale
	ActionFailoverControllerManager Action = "failoverControllerManager"
)

// actionOrder is every action in the order docs/SCENARIOS.md lists them.
var actionOrder = []Action{
	ActionStopKubelet, ActionStartKubelet, ActionRestartKubelet, ActionPowerOff, ActionPowerOn,
	ActionPartition, ActionHeal, ActionAPIServerOutage, ActionSetCondition, ActionDeleteNode,
	ActionCordon, ActionUncordon, ActionDrain, ActionShutdown, ActionTaint, ActionUntaint,
	ActionAddNodes, ActionScale, ActionFailoverControllerManager,
}

// Actions returns every action, in the order docs/SCENARIOS.md lists them.
func Actions() []Action { return slices.Clone(actionOrder) }

// TakesTarget reports whether the action is aimed at nodes through a [Target].
func (a Action) TakesTarget() bool {
	switch a {
	case ActionAPIServerOutage, ActionAddNodes, ActionScale, ActionFailoverControllerManager:
		return false
	}
	return slices.Contains(actionOrder, a)
}

// Event is one entry of spec.events: at time At, Action happens. A single struct
// serves every action; each action uses the fields its constant's comment names, and
// the others are zero.
type Event struct {
	At     time.Duration
	Line   int
	Action Action
	// Target is the set of nodes a node-targeting action applies to.
	Target Target
	// For is how long a partition (0: until heal) or an apiServerOutage lasts.
	For time.Duration
	// Taint is the taint of taint and untaint.
	Taint Taint
	// Condition is the condition setCondition makes the kubelet report.
	Condition Condition
	// Drain holds drain's options.
	Drain Drain
	// Scale holds scale's workload and replica count.
	Scale Scale
	// AddNodes are the nodes addNodes brings up, expanded and defaulted like
	// Spec.Nodes.
	AddNodes []Node
}

// Target selects nodes: exactly one of Node, Nodes, Zone and Selector is set; Count,
// when > 0, keeps the first Count of the set in name order.
type Target struct {
	Node     string
	Nodes    []string
	Zone     string            // the topology.kubernetes.io/zone value
	Selector map[string]string // label selector (equality), matched against Node.Labels
	Count    int
}

// String renders the target as the file writes it, e.g. "node=a", "zone=b count=2".
func (t Target) String() string {
	var s string
	switch {
	case t.Node != "":
		s = "node=" + t.Node
	case len(t.Nodes) > 0:
		s = "nodes=" + strings.Join(t.Nodes, ",")
	case t.Zone != "":
		s = "zone=" + t.Zone
	case t.Selector != nil:
		keys := make([]string, 0, len(t.Selector))
		for k := range t.Selector {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + t.Selector[k]
		}
		s = "selector=" + strings.Join(parts, ",")
	}
	if t.Count > 0 {
		s += fmt.Sprintf(" count=%d", t.Count)
	}
	return s
}

// Condition is the node condition of a setCondition event: what the kubelet reports
// from its next status update (node/kubelet Kubelet.SetCondition accepts exactly these
// types and statuses).
type Condition struct {
	Type   string // Ready, MemoryPressure, DiskPressure, PIDPressure or NetworkUnavailable
	Status string // True or False (a kubelet never reports Unknown)
	// Reason is the condition's reason, except for Ready: the kubelet's ReadyCondition
	// setter always reports KubeletReady or KubeletNotReady (the cause goes in the
	// message), so a Ready reason is not used. Empty: the kubelet's own
	// (KubeletHasInsufficientMemory, …).
	Reason string
	// Message is the condition's message. Empty: the kubelet's own; for Ready False,
	// "container runtime is down".
	Message string
}

// Drain holds the options of a drain event. Drain behaves like
// kubectl drain --ignore-daemonsets --delete-emptydir-data --force: running pods of
// an existing DaemonSet and mirror pods are skipped, every other pod (finished
// DaemonSet pods and those of a deleted DaemonSet too) is evicted through the
// eviction API.
type Drain struct {
	// Timeout is --timeout: give up after this long (0: never).
	Timeout time.Duration
	// GracePeriod is --grace-period: nil uses each pod's own
	// terminationGracePeriodSeconds.
	GracePeriod *time.Duration
}

// Scale is a scale event's workload and its new replica count.
type Scale struct {
	Kind      string // Deployment or ReplicaSet
	Namespace string
	Name      string
	Replicas  int32
}

// Mode is when an expectation is checked.
type Mode string

// The expectation modes.
const (
	ModeAt    Mode = "at"    // holds at that instant
	ModeBy    Mode = "by"    // true at some time ≤ Time
	ModeAfter Mode = "after" // never true before Time
)

// Expectation is one entry of spec.expect: one mode, one subject (Node, Pod or
// Deployment) and one predicate (the one non-nil pointer).
type Expectation struct {
	Line int
	Mode Mode
	Time time.Duration

	Node       string // node name
	Pod        string // "namespace/name"
	Deployment string // "namespace/name"

	Ready            *string // node: True, False or Unknown; pod: True or False
	Taint            *Taint  // node: carries this taint (Effect always set)
	Deleted          *bool   // node or pod: the object is gone
	Evicted          *bool   // pod: deletion was requested by an eviction
	ReadyReplicasMin *int    // deployment: status.readyReplicas ≥ this
	ReadyReplicasMax *int    // deployment: status.readyReplicas ≤ this
}

// Sweep is spec.sweep: the runs `nodesim sweep` makes, one per seed per grid cell.
type Sweep struct {
	// Seeds are the seeds of every cell: seeds: N gives 1…N; a list is kept as written;
	// no seeds: gives [Spec.Seed].
	Seeds []uint64
	// Vary are the varied fields in file order; the grid is their product.
	Vary []Vary
	// Line is the line of sweep: in the file.
	Line int
}

// Vary is one varied field of a sweep: Path (as [Scenario.With] takes it) and its
// values as written, each checked with With when the file is loaded.
type Vary struct {
	Path   string
	Values []string
	Line   int
}

// override is one value set by With (or checked for a sweep): a YAML value put at
// spec.<path> before the file is decoded.
type override struct {
	path  string
	value *yaml.Node
}
