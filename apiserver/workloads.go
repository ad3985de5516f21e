package apiserver

import (
	"time"
)

// LabelSelector is a matchLabels selector (matchExpressions are not modelled).
type LabelSelector map[string]string

// Matches reports whether labels satisfy the selector. An empty selector matches
// everything, as metav1's does.
func (sel LabelSelector) Matches(labels Labels) bool {
	for k, v := range sel {
		if got, ok := labels.Lookup(k); !ok || got != v {
			return false
		}
	}
	return true
}

// PodTemplate is what a workload stamps its pods from.
type PodTemplate struct {
	// Labels are the pods' labels: every pod stamped from the template shares them.
	Labels Labels
	// Spec is a pod used as a template: its metadata other than Labels is ignored.
	Spec Pod
}

// ReplicaSet is an apps/v1 ReplicaSet.
type ReplicaSet struct {
	ObjectMeta
	Replicas int32
	Selector LabelSelector
	Template PodTemplate
	// Status
	StatusReplicas      int32
	ReadyReplicas       int32
	AvailableReplicas   int32
	ObservedGeneration  int64
	MinReadySeconds     int32
	TemplateFingerprint string
}

// DeepCopy returns a copy that shares nothing mutable but the template's pod spec,
// which is never changed in place (see PodSpec).
func (r *ReplicaSet) DeepCopy() *ReplicaSet {
	c := *r
	c.ObjectMeta = r.ObjectMeta.deepCopy()
	c.Selector = LabelSelector(copyMap(r.Selector))
	c.Template = r.Template.deepCopy()
	return &c
}

// StatusCopy is a copy for a write (see Pod.StatusCopy): the struct alone, its maps,
// slices and template shared with r. The controllers' writes set the status counts
// and the replicas, fields of the struct; when pods turn Ready one node at a time
// (each kubelet at its own pod-status sync after a heal) every ReplicaSet and
// Deployment is written once per such node, and a deep copy cost five maps each.
func (r *ReplicaSet) StatusCopy() *ReplicaSet {
	c := *r
	c.ensureSpec()
	return &c
}

// Meta returns the object's metadata.
func (r *ReplicaSet) Meta() *ObjectMeta { return &r.ObjectMeta }

func (r *ReplicaSet) ensureSpec() { r.Template.Spec.ensureSpec() }

func (t PodTemplate) deepCopy() PodTemplate {
	return PodTemplate{Labels: t.Labels, Spec: *t.Spec.DeepCopy()}
}

// Deployment is an apps/v1 Deployment (replica control only; rollouts between
// templates are not modelled).
type Deployment struct {
	ObjectMeta
	Replicas int32
	Selector LabelSelector
	Template PodTemplate
	// MinReadySeconds is spec.minReadySeconds, which the Deployment controller passes
	// to the ReplicaSet it controls.
	MinReadySeconds int32
	// Status: the sums over the Deployment's ReplicaSets
	ReadyReplicas     int32
	AvailableReplicas int32
}

// DeepCopy returns a copy that shares nothing mutable but the template's pod spec,
// which is never changed in place (see PodSpec).
func (d *Deployment) DeepCopy() *Deployment {
	c := *d
	c.ObjectMeta = d.ObjectMeta.deepCopy()
	c.Selector = LabelSelector(copyMap(d.Selector))
	c.Template = d.Template.deepCopy()
	return &c
}

// StatusCopy is a copy for a write: the struct alone (see ReplicaSet.StatusCopy).
func (d *Deployment) StatusCopy() *Deployment {
	c := *d
	c.ensureSpec()
	return &c
}

// Meta returns the object's metadata.
func (d *Deployment) Meta() *ObjectMeta { return &d.ObjectMeta }

func (d *Deployment) ensureSpec() { d.Template.Spec.ensureSpec() }

// DaemonSet is an apps/v1 DaemonSet.
type DaemonSet struct {
	ObjectMeta
	Selector               LabelSelector
	Template               PodTemplate
	DesiredNumberScheduled int32
	// CurrentNumberScheduled counts the nodes that should run a daemon pod and have
	// one; NumberMisscheduled the nodes that have one and should not run it.
	CurrentNumberScheduled int32
	NumberMisscheduled     int32
	NumberReady            int32
}

// DeepCopy returns a copy that shares nothing mutable but the template's pod spec,
// which is never changed in place (see PodSpec).
func (d *DaemonSet) DeepCopy() *DaemonSet {
	c := *d
	c.ObjectMeta = d.ObjectMeta.deepCopy()
	c.Selector = LabelSelector(copyMap(d.Selector))
	c.Template = d.Template.deepCopy()
	return &c
}

// StatusCopy is a copy for a write: the struct alone (see ReplicaSet.StatusCopy).
func (d *DaemonSet) StatusCopy() *DaemonSet {
	c := *d
	c.ensureSpec()
	return &c
}

// Meta returns the object's metadata.
func (d *DaemonSet) Meta() *ObjectMeta { return &d.ObjectMeta }

func (d *DaemonSet) ensureSpec() { d.Template.Spec.ensureSpec() }

// IntOrPercent is an intstr.IntOrString for budgets: an absolute number or a percent.
type IntOrPercent struct {
	Set       bool
	Value     int32
	IsPercent bool
}

// UnhealthyPodEvictionPolicyType is a budget's spec.unhealthyPodEvictionPolicy: when
// the eviction API may let a pod that is not Ready go without using a disruption.
type UnhealthyPodEvictionPolicyType string

// The policies of policy/v1.
const (
	// IfHealthyBudget (the default, also for "") lets a not-Ready pod go only while
	// the budget is satisfied (CurrentHealthy ≥ DesiredHealthy > 0).
	IfHealthyBudget UnhealthyPodEvictionPolicyType = "IfHealthyBudget"
	// AlwaysAllow lets a not-Ready pod go whatever the budget's state.
	AlwaysAllow UnhealthyPodEvictionPolicyType = "AlwaysAllow"
)

// PodDisruptionBudget is a policy/v1 PodDisruptionBudget. Its status is maintained by
// the disruption controller; the eviction API reads DisruptionsAllowed.
type PodDisruptionBudget struct {
	ObjectMeta
	// Selector: nil (no spec.selector) selects no pod, an empty one every pod of the
	// namespace (policy/v1; LabelSelectorAsSelector gives labels.Nothing for nil).
	Selector       LabelSelector
	MinAvailable   IntOrPercent
	MaxUnavailable IntOrPercent
	// UnhealthyPodEvictionPolicy is spec.unhealthyPodEvictionPolicy ("" is
	// IfHealthyBudget).
	UnhealthyPodEvictionPolicy UnhealthyPodEvictionPolicyType
	// Status
	CurrentHealthy     int32
	DesiredHealthy     int32
	ExpectedPods       int32
	DisruptionsAllowed int32
	ObservedGeneration int64
	// DisruptedPods are pods the eviction API let go but that have not yet disappeared
	// from the controller's count (pod name → eviction time: the budget's namespace is
	// the pod's), as upstream tracks them.
	DisruptedPods map[string]time.Duration
}

// DeepCopy returns a copy that shares nothing mutable.
func (p *PodDisruptionBudget) DeepCopy() *PodDisruptionBudget {
	c := *p
	c.ObjectMeta = p.ObjectMeta.deepCopy()
	c.Selector = LabelSelector(copyMap(p.Selector))
	if p.DisruptedPods != nil {
		c.DisruptedPods = make(map[string]time.Duration, len(p.DisruptedPods))
		for k, v := range p.DisruptedPods {
			c.DisruptedPods[k] = v
		}
	}
	return &c
}

// Meta returns the object's metadata.
func (p *PodDisruptionBudget) Meta() *ObjectMeta { return &p.ObjectMeta }

// Selects reports whether the budget's selector matches labels: a budget without a
// selector protects no pod.
func (p *PodDisruptionBudget) Selects(labels Labels) bool {
	return p.Selector != nil && p.Selector.Matches(labels)
}

// Evict is the pods/eviction subresource (pkg/registry/core/pod/storage/eviction.go
// EvictionREST.Create, v1.31.0–v1.37.2).
//
//   - A pod that is terminating, terminal or Pending is deleted without consulting
//     budgets (canIgnorePDB).
//   - More than one budget covering the pod is a 500, as upstream.
//   - A pod that is not Ready (the Ready condition is not True: podutil.IsPodReady)
//     goes without using a disruption when the budget's unhealthyPodEvictionPolicy is
//     AlwaysAllow, whatever the budget's state, or, under IfHealthyBudget (the
//     default), while the budget is satisfied (CurrentHealthy ≥ DesiredHealthy > 0).
//   - Otherwise checkAndDecrement: a budget with negative DisruptionsAllowed is a 403
//     Forbidden; DisruptionsAllowed must be positive: it is decremented (and the pod
//     recorded in DisruptedPods), else the eviction is refused with 429
//     TooManyRequests "Cannot evict pod as it would violate the pod's disruption budget.".
//
// Every path that deletes gives the pod the DisruptionTarget condition with reason
// EvictionByEvictionAPI first (addConditionAndDeletePod), terminating and terminal
// pods included. An empty selector selects every pod of the namespace (policy/v1).
func (s *Server) Evict(c *Client, podKey string, grace *int64) error {
	p, err := s.Pods.Get(c, podKey)
	if err != nil {
		return err
	}
	if p.Deleting || p.Terminal() || p.Phase == PodPending {
		return s.evictDelete(c, podKey, grace)
	}
	var pdbs []*PodDisruptionBudget
	s.PDBs.Each(func(b *PodDisruptionBudget) {
		if b.Namespace == p.Namespace && b.Selects(p.Labels) {
			pdbs = append(pdbs, b)
		}
	})
	if len(pdbs) > 1 {
		return &StatusError{Reason: "InternalError", Code: 500,
			Message: "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."}
	}
	if len(pdbs) == 1 && !unhealthyMayGo(pdbs[0], p) {
		b := pdbs[0]
		switch {
		case b.DisruptionsAllowed < 0:
			return &StatusError{Reason: "Forbidden", Code: 403, Message: "pdb disruptions allowed is negative"}
		case b.DisruptionsAllowed == 0:
			return NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.")
		}
		if _, err := s.PDBs.Patch(c, b.Key(), func(nb *PodDisruptionBudget) error {
			nb.DisruptionsAllowed--
			if nb.DisruptedPods == nil {
				nb.DisruptedPods = map[string]time.Duration{}
			}
			nb.DisruptedPods[p.Name] = s.Now()
			return nil
		}); err != nil {
			return err
		}
	}
	return s.evictDelete(c, podKey, grace)
}

// unhealthyMayGo reports whether the pod is not Ready and the budget's
// unhealthyPodEvictionPolicy lets it go without using a disruption.
func unhealthyMayGo(b *PodDisruptionBudget, p *Pod) bool {
	if p.IsReady() {
		return false
	}
	if b.UnhealthyPodEvictionPolicy == AlwaysAllow {
		return true
	}
	return b.CurrentHealthy >= b.DesiredHealthy && b.DesiredHealthy > 0
}

func (s *Server) evictDelete(c *Client, podKey string, grace *int64) error {
	now := s.Now()
	if _, err := s.Pods.Patch(c, podKey, func(p *Pod) error {
		p.SetCondition(PodCondition{Type: PodDisruptionTarget, Status: ConditionTrue, Reason: "EvictionByEvictionAPI",
			Message: "Eviction API: evicting"}, now)
		return nil
	}); err != nil {
		return err
	}
	return s.Pods.Delete(c, podKey, DeleteOptions{GracePeriodSeconds: grace})
}
