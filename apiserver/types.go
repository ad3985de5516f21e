package apiserver

import (
	"slices"
	"time"
	"unsafe"

	"github.com/nodesim/nodesim/taint"
)

// ObjectMeta is the lean subset of metav1.ObjectMeta the simulation needs. Times are
// virtual (time since scenario start).
type ObjectMeta struct {
	Namespace string
	Name      string
	// UID is unique per object instance: a Node deleted and created again gets a new one.
	UID               uint64
	ResourceVersion   uint64
	CreationTimestamp time.Duration
	// DeletionTimestamp is set (with Deleting) when a graceful deletion was requested;
	// it is the instant the grace period ends.
	DeletionTimestamp time.Duration
	Deleting          bool
	// DeletionGracePeriodSeconds is an int32 (upstream's is an int64): with Deleting
	// it fills one word, which puts a pod's status copy (the pod and its four
	// conditions) in the 512-byte size class instead of 576, and a Lease in 176, not
	// 192. A grace period longer than 68 years is stored as math.MaxInt32.
	DeletionGracePeriodSeconds int32
	// Labels are shared, never changed in place: see Labels.
	Labels          Labels
	Annotations     map[string]string
	OwnerReferences []OwnerReference

	// key caches Key once the object is stored, so that the store, the informers and
	// the components share one string per object. A copy keeps it; Key checks that it
	// still names the copy (a copy given another name must not keep the old key).
	key string
}

// Key is "namespace/name", or "name" for cluster-scoped objects.
func (m *ObjectMeta) Key() string {
	if k := m.key; k != "" && m.isKey(k) {
		return k
	}
	if m.Namespace == "" {
		return m.Name
	}
	return m.Namespace + "/" + m.Name
}

// ShareKey makes key, which must be m's "namespace/name" (or name), the object's key
// and m.Name the key's tail, so that the key and the name are one string: for a
// caller that lays out the keys of many new objects in one allocation (a running
// start's pods) before it stores them. It reports whether key is m's key; if not, it
// changes nothing.
func (m *ObjectMeta) ShareKey(key string) bool {
	if !m.isKey(key) {
		return false
	}
	m.key, m.Name = key, key[len(key)-len(m.Name):]
	return true
}

// isKey reports whether k is "namespace/name" of m. A stored object's namespace and
// name are its key's head and tail (the same bytes: Kind.keep), so for the key it
// caches the answer takes two pointer comparisons, not two string comparisons: Key
// is called a few million times in a day of a large cluster.
func (m *ObjectMeta) isKey(k string) bool {
	ns, name := m.Namespace, m.Name
	if ns == "" {
		return k == name
	}
	if len(k) != len(ns)+1+len(name) || k[len(ns)] != '/' {
		return false
	}
	if len(name) > 0 && unsafe.StringData(ns) == unsafe.StringData(k) && unsafe.StringData(name) == unsafe.StringData(k[len(ns)+1:]) {
		return true
	}
	return k[len(ns)+1:] == name && k[:len(ns)] == ns
}

// CreationSecond is the creation time as clients see it: metav1.Time reaches them in
// whole seconds (apimachinery meta/v1 time_proto.go ProtoTime drops the nanoseconds;
// JSON is RFC 3339 seconds), so controllers that order objects by creation time (pod
// GC, the DaemonSet controller) compare these and fall back to names. Scenario time 0
// is taken to be a whole second; times before it round down too.
func (m *ObjectMeta) CreationSecond() int64 {
	t := m.CreationTimestamp
	s := int64(t / time.Second)
	if t%time.Second < 0 {
		s--
	}
	return s
}

// ControllerRef returns the owner reference with Controller set, if any.
func (m *ObjectMeta) ControllerRef() (OwnerReference, bool) {
	for _, r := range m.OwnerReferences {
		if r.Controller {
			return r, true
		}
	}
	return OwnerReference{}, false
}

// OwnerReference points at an owning object (metav1.OwnerReference).
type OwnerReference struct {
	Kind       string
	Name       string
	UID        uint64
	Controller bool
}

// NodeCondition is one entry of node.status.conditions. Its Type and Status are
// two bytes each (see ConditionStatus): 56 bytes, so that a node's four conditions
// take 224, an exact size class.
type NodeCondition struct {
	Type               NodeConditionType
	Status             ConditionStatus
	Reason             string
	Message            string
	LastHeartbeatTime  time.Duration
	LastTransitionTime time.Duration
}

// Resources are quantities in the units the scheduler compares: milli-CPU, bytes and
// a pod count.
type Resources struct {
	MilliCPU int64
	Memory   int64
	Pods     int64
}

// Well-known labels.
const (
	LabelHostname   = "kubernetes.io/hostname"
	LabelOS         = "kubernetes.io/os"
	LabelArch       = "kubernetes.io/arch"
	LabelZone       = "topology.kubernetes.io/zone"
	LabelRegion     = "topology.kubernetes.io/region"
	LabelZoneBeta   = "failure-domain.beta.kubernetes.io/zone"
	LabelRegionBeta = "failure-domain.beta.kubernetes.io/region"
)

// Node is a Node object.
type Node struct {
	ObjectMeta
	Unschedulable bool
	Taints        []taint.Taint
	Conditions    []NodeCondition
	Capacity      Resources
	Allocatable   Resources
}

// Condition returns a pointer to the condition of that type, or nil.
func (n *Node) Condition(t NodeConditionType) *NodeCondition {
	for i := range n.Conditions {
		if n.Conditions[i].Type == t {
			return &n.Conditions[i]
		}
	}
	return nil
}

// ReadyStatus is the Ready condition's status, or ConditionStatusNone (the zero
// value, which prints as "") when the node has none.
func (n *Node) ReadyStatus() ConditionStatus {
	if c := n.Condition(NodeReady); c != nil {
		return c.Status
	}
	return ConditionStatusNone
}

// HasTaint reports whether the node has a taint with t's key and effect.
func (n *Node) HasTaint(t taint.Taint) bool {
	for _, x := range n.Taints {
		if x.MatchTaint(t) {
			return true
		}
	}
	return false
}

// DeepCopy returns a copy that shares nothing mutable with n (its Labels, immutable,
// are shared).
func (n *Node) DeepCopy() *Node {
	c := *n
	c.ObjectMeta = n.ObjectMeta.deepCopy()
	c.Taints = append([]taint.Taint(nil), n.Taints...)
	c.Conditions = append([]NodeCondition(nil), n.Conditions...)
	return &c
}

// statusCopy is the copy a status write stores (Kind.PatchStatus, UpdateStatusFrom):
// the struct, its taints and its conditions (status writers change conditions in
// place); annotations and owner references are shared with n, which a status write
// leaves alone (labels are immutable and shared by every copy). A kubelet's status
// patch then costs no copy of its node's annotations map. Other writes of a Node store
// a DeepCopy, so that a patch may edit its annotations in place.
func (n *Node) statusCopy() *Node {
	c := *n
	c.Taints = slices.Clone(n.Taints)
	c.Conditions = slices.Clone(n.Conditions)
	return &c
}

func (m ObjectMeta) deepCopy() ObjectMeta {
	m.Annotations = copyMap(m.Annotations)
	m.OwnerReferences = append([]OwnerReference(nil), m.OwnerReferences...)
	return m
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// Lease is a coordination.k8s.io/v1 Lease.
type Lease struct {
	ObjectMeta
	HolderIdentity       string
	LeaseDurationSeconds int32
	AcquireTime          time.Duration
	RenewTime            time.Duration
	LeaseTransitions     int32
	// Steady is nodesim's own field (lazy mode, docs/ARCHITECTURE.md): the holder keeps
	// renewing on its schedule without writing until it writes the Lease again with
	// Steady false and the last renewal's RenewTime. Observers treat a steady lease as
	// renewed continuously. Exact mode never sets it.
	Steady bool
}

// DeepCopy returns a copy that shares nothing mutable with l.
func (l *Lease) DeepCopy() *Lease {
	c := *l
	c.ObjectMeta = l.ObjectMeta.deepCopy()
	return &c
}

// PodPhase is the pod's lifecycle phase.
type PodPhase string

// Pod phases.
const (
	PodPending   PodPhase = "Pending"
	PodRunning   PodPhase = "Running"
	PodSucceeded PodPhase = "Succeeded"
	PodFailed    PodPhase = "Failed"
)

// PodCondition is one entry of pod.status.conditions: 48 bytes, its Type and Status
// two bytes each (see ConditionStatus).
type PodCondition struct {
	Type               PodConditionType
	Status             ConditionStatus
	Reason             string
	Message            string
	LastTransitionTime time.Duration
}

// NodeSelectorRequirement is one expression of a required node affinity term.
type NodeSelectorRequirement struct {
	Key      string
	Operator string // In, NotIn, Exists, DoesNotExist, Gt, Lt
	Values   []string
}

// NodeSelectorTerm is a conjunction of requirements; terms are ORed. MatchExpressions
// test the node's labels, MatchFields its fields (metadata.name, the only field
// selector key the API server accepts here).
type NodeSelectorTerm struct {
	MatchExpressions []NodeSelectorRequirement
	MatchFields      []NodeSelectorRequirement
}

// PreferredSchedulingTerm is a weighted preference (1–100) for the nodes that match a
// term.
type PreferredSchedulingTerm struct {
	Weight     int32
	Preference NodeSelectorTerm
}

// Values of TopologySpreadConstraint's WhenUnsatisfiable and of its node inclusion
// policies (core/v1 UnsatisfiableConstraintAction, NodeInclusionPolicy).
const (
	DoNotSchedule  = "DoNotSchedule"
	ScheduleAnyway = "ScheduleAnyway"
	PolicyHonor    = "Honor"
	PolicyIgnore   = "Ignore"
)

// TopologySpreadConstraint is one entry of a pod's spec.topologySpreadConstraints,
// with the API's defaults applied (the loader fills them in): MinDomains 1,
// NodeAffinityPolicy Honor, NodeTaintsPolicy Ignore.
type TopologySpreadConstraint struct {
	MaxSkew     int32
	TopologyKey string
	// WhenUnsatisfiable is DoNotSchedule (a filter) or ScheduleAnyway (a score).
	WhenUnsatisfiable string
	// Selector is labelSelector; nil selects no pod (metav1's nil selector).
	Selector *PodSelector
	// MatchLabelKeys are pod label keys whose values, taken from the pod being
	// scheduled, are added to Selector (a key the pod lacks is skipped).
	MatchLabelKeys []string
	MinDomains     int32
	// NodeAffinityPolicy says whether a node must match the pod's node selector and
	// required node affinity to count (Honor) or not (Ignore); NodeTaintsPolicy
	// whether its NoSchedule and NoExecute taints must be tolerated (Honor).
	NodeAffinityPolicy string
	NodeTaintsPolicy   string
}

// PodSelector is a label selector over pods (metav1.LabelSelector): every
// matchLabels pair and every matchExpressions requirement (In, NotIn, Exists,
// DoesNotExist) must hold; an empty one matches every pod.
type PodSelector struct {
	MatchLabels      map[string]string
	MatchExpressions []NodeSelectorRequirement
}

// PodAffinityTerm is one term of a pod's
// affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution (core/v1
// PodAffinityTerm): the pods Selector matches (nil: none) in the namespaces the term
// names are in the topology domain, TopologyKey's value, of the node they run on.
type PodAffinityTerm struct {
	// Selector is labelSelector. On a stored pod it holds what admission merged in
	// from MatchLabelKeys and MismatchLabelKeys (see below): the scheduler reads
	// Selector alone, as kube-scheduler reads only labelSelector.
	Selector *PodSelector
	// MatchLabelKeys and MismatchLabelKeys are pod label keys whose values, taken
	// from the pod's own labels when it is created, the API server adds to Selector
	// as "key In (value)" and "key NotIn (value)" (a key the pod lacks is skipped;
	// a nil Selector gets nothing). The lists stay on the pod as written.
	MatchLabelKeys    []string
	MismatchLabelKeys []string
	// Namespaces and NamespaceSelector: both empty and nil is the pod's own
	// namespace; otherwise the namespaces listed and those NamespaceSelector (nil:
	// none; empty: all) matches, a namespace's labels being only
	// kubernetes.io/metadata.name=<name> (nodesim has no Namespace objects).
	Namespaces        []string
	NamespaceSelector *PodSelector
	TopologyKey       string
}

// WeightedPodAffinityTerm is one term of a pod's
// affinity.podAffinity or podAntiAffinity .preferredDuringSchedulingIgnoredDuringExecution
// (core/v1 WeightedPodAffinityTerm): Weight, 1 to 100, is what the term adds to
// (affinity) or takes from (anti-affinity) the scheduler's InterPodAffinity score of a
// node per matching pod in the node's topology domain.
type WeightedPodAffinityTerm struct {
	Weight int32
	PodAffinityTerm
}

// LabelMetadataName is the label the API server sets on every namespace to its name.
const LabelMetadataName = "kubernetes.io/metadata.name"

func (s *PodSelector) clone() *PodSelector {
	if s == nil {
		return nil
	}
	c := &PodSelector{MatchLabels: copyMap(s.MatchLabels), MatchExpressions: slices.Clone(s.MatchExpressions)}
	for i := range c.MatchExpressions {
		c.MatchExpressions[i].Values = slices.Clone(c.MatchExpressions[i].Values)
	}
	return c
}

// Priorities of the two system priority classes (scheduling.k8s.io).
const (
	SystemClusterCritical         = "system-cluster-critical"
	SystemNodeCritical            = "system-node-critical"
	SystemClusterCriticalPriority = 2000000000
	SystemNodeCriticalPriority    = 2000001000
)

// PodSpec is the part of a pod's spec that is set when the pod is created and never
// changes afterwards. Pods stamped from one template share one PodSpec, and every
// stored version of a pod shares its predecessor's: a million pods of a hundred
// Deployments then hold a hundred specs, not a million. A PodSpec that a stored pod,
// a template or another pod may reference is never changed in place; a writer
// replaces the pointer with a changed copy (Pod.EditSpec).
type PodSpec struct {
	Tolerations          []taint.Toleration
	NodeSelector         map[string]string
	RequiredNodeAffinity []NodeSelectorTerm
	// PreferredNodeAffinity is nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution:
	// the scheduler's NodeAffinity score adds the weights of the terms a node matches.
	PreferredNodeAffinity []PreferredSchedulingTerm
	// TopologySpreadConstraints is spec.topologySpreadConstraints: the scheduler's
	// PodTopologySpread filters on the DoNotSchedule ones and scores the
	// ScheduleAnyway ones, instead of its system default constraints.
	TopologySpreadConstraints []TopologySpreadConstraint
	// RequiredPodAntiAffinity is
	// affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution: the
	// scheduler's InterPodAffinity filter keeps the pod out of the topology domains of
	// the pods a term matches, and, once it is bound, keeps out of its domain the
	// pods one of its terms matches.
	RequiredPodAntiAffinity []PodAffinityTerm
	// RequiredPodAffinity is
	// affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution: the
	// scheduler's InterPodAffinity filter keeps the pod to the topology domains of
	// the pods that every term matches (a bound pod's terms bind no other pod).
	RequiredPodAffinity []PodAffinityTerm
	// PreferredPodAffinity and PreferredPodAntiAffinity are
	// affinity.podAffinity and affinity.podAntiAffinity
	// .preferredDuringSchedulingIgnoredDuringExecution: they filter nothing; the
	// scheduler's InterPodAffinity score adds (affinity) or takes (anti-affinity) a
	// term's weight per pod it matches in a node's domain, and, once the pod is
	// bound, per pod being scheduled that the term matches.
	PreferredPodAffinity          []WeightedPodAffinityTerm
	PreferredPodAntiAffinity      []WeightedPodAffinityTerm
	PriorityClassName             string
	Priority                      int32
	TerminationGracePeriodSeconds int64
	Requests                      Resources
	HostNetwork                   bool
	// ReadinessDelay is how long after the containers start the pod turns Ready
	// (a readiness probe's initial delay, in effect).
	ReadinessDelay time.Duration
	// ReadinessProbePeriod is the longest periodSeconds of the containers' readiness
	// probes, zero when none has one. A restarted kubelet probes anew (up to 1.34).
	ReadinessProbePeriod time.Duration
}

// clonePodTerms returns a copy of terms that shares nothing mutable with them.
func clonePodTerms(terms []PodAffinityTerm) []PodAffinityTerm {
	c := slices.Clone(terms)
	for i := range c {
		t := &c[i]
		t.Selector, t.NamespaceSelector = t.Selector.clone(), t.NamespaceSelector.clone()
		t.Namespaces = slices.Clone(t.Namespaces)
		t.MatchLabelKeys, t.MismatchLabelKeys = slices.Clone(t.MatchLabelKeys), slices.Clone(t.MismatchLabelKeys)
	}
	return c
}

// cloneWeightedTerms returns a copy of terms that shares nothing mutable with them.
func cloneWeightedTerms(terms []WeightedPodAffinityTerm) []WeightedPodAffinityTerm {
	c := slices.Clone(terms)
	for i := range c {
		t := &c[i].PodAffinityTerm
		t.Selector, t.NamespaceSelector = t.Selector.clone(), t.NamespaceSelector.clone()
		t.Namespaces = slices.Clone(t.Namespaces)
		t.MatchLabelKeys, t.MismatchLabelKeys = slices.Clone(t.MatchLabelKeys), slices.Clone(t.MismatchLabelKeys)
	}
	return c
}

// DeepCopy returns a copy that shares nothing mutable with s (nil for nil).
func (s *PodSpec) DeepCopy() *PodSpec {
	if s == nil {
		return nil
	}
	c := *s
	c.Tolerations = slices.Clone(s.Tolerations)
	c.NodeSelector = copyMap(s.NodeSelector)
	c.RequiredNodeAffinity = slices.Clone(s.RequiredNodeAffinity)
	c.PreferredNodeAffinity = slices.Clone(s.PreferredNodeAffinity)
	c.TopologySpreadConstraints = slices.Clone(s.TopologySpreadConstraints)
	c.RequiredPodAntiAffinity = clonePodTerms(s.RequiredPodAntiAffinity)
	c.RequiredPodAffinity = clonePodTerms(s.RequiredPodAffinity)
	c.PreferredPodAffinity = cloneWeightedTerms(s.PreferredPodAffinity)
	c.PreferredPodAntiAffinity = cloneWeightedTerms(s.PreferredPodAntiAffinity)
	for i := range c.TopologySpreadConstraints {
		t := &c.TopologySpreadConstraints[i]
		t.MatchLabelKeys = slices.Clone(t.MatchLabelKeys)
		t.Selector = t.Selector.clone()
	}
	return &c
}

// emptyPodSpec is the spec of every pod created or restored without one, so that
// reading a stored pod's spec fields never meets a nil pointer. Like every shared
// spec it is never changed.
var emptyPodSpec PodSpec

// Pod is a Pod object. Its spec fields are read through the embedded *PodSpec, which
// is shared and must not be written through (see PodSpec); every pod the server
// stores or returns has one.
type Pod struct {
	ObjectMeta
	NodeName string
	*PodSpec

	Phase      PodPhase
	Reason     string
	Message    string
	Conditions []PodCondition
}

// EditSpec gives p a private copy of its spec and returns it, for a writer that
// must change a spec field of a pod it has not stored yet (admission, a controller
// building a pod from a template). Call it once, then set fields on the result.
func (p *Pod) EditSpec() *PodSpec {
	if p.PodSpec == nil {
		p.PodSpec = &PodSpec{}
	} else {
		p.PodSpec = p.PodSpec.DeepCopy()
	}
	return p.PodSpec
}

// ensureSpec gives a pod without a spec the shared empty one (see Kind.Create,
// Restore and Update).
func (p *Pod) ensureSpec() {
	if p.PodSpec == nil {
		p.PodSpec = &emptyPodSpec
	}
}

// Condition returns a pointer to the condition of that type, or nil.
func (p *Pod) Condition(t PodConditionType) *PodCondition {
	for i := range p.Conditions {
		if p.Conditions[i].Type == t {
			return &p.Conditions[i]
		}
	}
	return nil
}

// IsReady reports whether the pod's Ready condition is True.
func (p *Pod) IsReady() bool {
	c := p.Condition(PodReady)
	return c != nil && c.Status == ConditionTrue
}

// SetCondition sets or adds a condition, stamping LastTransitionTime = now when the
// status changes (as the pod condition helpers upstream do). It reports whether
// anything changed.
func (p *Pod) SetCondition(c PodCondition, now time.Duration) bool {
	if old := p.Condition(c.Type); old != nil {
		if old.Status == c.Status && old.Reason == c.Reason && old.Message == c.Message {
			return false
		}
		if old.Status != c.Status {
			c.LastTransitionTime = now
		} else {
			c.LastTransitionTime = old.LastTransitionTime
		}
		*old = c
		return true
	}
	c.LastTransitionTime = now
	p.Conditions = append(p.Conditions, c)
	return true
}

// Terminal reports whether the pod is Succeeded or Failed.
func (p *Pod) Terminal() bool { return p.Phase == PodSucceeded || p.Phase == PodFailed }

// StatusCopy is a copy for a status write: the struct and its conditions are copied
// (writers change them in place), the rest is shared with p — labels, annotations,
// owner references and the spec, which nothing changes once the pod is stored (as
// upstream, where a pod's spec is immutable but for a few fields and status writes
// leave metadata alone). A status write of a pod then costs one struct and its
// conditions, not seven copies. PATCH and UPDATE of pods store such copies.
func (p *Pod) StatusCopy() *Pod {
	if len(p.Conditions) == podConditionsInline {
		// a running pod's four conditions come in the same allocation as the pod
		x := &podAndConditions{pod: *p}
		copy(x.conds[:], p.Conditions)
		x.pod.Conditions = x.conds[:]
		x.pod.ensureSpec()
		return &x.pod
	}
	c := *p
	c.Conditions = slices.Clone(p.Conditions)
	c.ensureSpec()
	return &c
}

// podConditionsInline is the number of conditions of a running pod (PodScheduled,
// Initialized, ContainersReady, Ready).
const podConditionsInline = 4

// podAndConditions is a status copy of a pod with its conditions: one allocation
// instead of two for the most common write, of 416 bytes, exactly a size class (a Pod
// of 224 and four conditions of 48: TestSizeClasses).
type podAndConditions struct {
	pod   Pod
	conds [podConditionsInline]PodCondition
}

// DeepCopy returns a copy that shares nothing mutable with p. The spec is shared:
// it is never changed in place (see PodSpec); EditSpec copies it for a writer.
func (p *Pod) DeepCopy() *Pod {
	c := *p
	c.ObjectMeta = p.ObjectMeta.deepCopy()
	c.Conditions = append([]PodCondition(nil), p.Conditions...)
	c.ensureSpec()
	return &c
}

// Object is implemented by every stored kind.
type Object interface {
	Meta() *ObjectMeta
}

// Meta returns the object's metadata.
func (n *Node) Meta() *ObjectMeta { return &n.ObjectMeta }

// Meta returns the object's metadata.
func (l *Lease) Meta() *ObjectMeta { return &l.ObjectMeta }

// Meta returns the object's metadata.
func (p *Pod) Meta() *ObjectMeta { return &p.ObjectMeta }

// RegionZone reads a node's region and zone labels as upstream's
// utilnode.GetZoneKey does: the beta (failure-domain) labels first, then the GA ones.
func RegionZone(labels Labels) (region, zone string) {
	zone, ok := labels.Lookup(LabelZoneBeta)
	if !ok {
		zone = labels.Get(LabelZone)
	}
	region, ok = labels.Lookup(LabelRegionBeta)
	if !ok {
		region = labels.Get(LabelRegion)
	}
	return region, zone
}

// ZoneKey is utilnode.GetZoneKey: "region:\x00:zone", or "" when a node has neither.
func ZoneKey(region, zone string) string {
	if region == "" && zone == "" {
		return ""
	}
	return region + ":\x00:" + zone
}
