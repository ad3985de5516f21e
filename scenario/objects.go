package scenario

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// The conversions below are the only place where k8s.io/api types meet the engine's
// lean types: manifests are decoded as real API objects by scenario/spec, and turned
// into apiserver objects here. Fields that change behaviour and are not modelled are
// rejected by spec's validation before they get here.

// defaultGracePeriod is the API default of terminationGracePeriodSeconds.
const defaultGracePeriod = 30

func convertTolerations(in []corev1.Toleration) []taint.Toleration {
	if len(in) == 0 {
		return nil
	}
	out := make([]taint.Toleration, len(in))
	for i, t := range in {
		out[i] = taint.Toleration{Key: t.Key, Operator: taint.Operator(t.Operator), Value: t.Value,
			Effect: taint.Effect(t.Effect), TolerationSeconds: t.TolerationSeconds}
		if out[i].TolerationSeconds != nil {
			v := *out[i].TolerationSeconds
			out[i].TolerationSeconds = &v
		}
	}
	return out
}

func convertAffinity(a *corev1.Affinity) []apiserver.NodeSelectorTerm {
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	var terms []apiserver.NodeSelectorTerm
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		terms = append(terms, convertTerm(t))
	}
	return terms
}

// convertPreferred converts nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution.
func convertPreferred(a *corev1.Affinity) []apiserver.PreferredSchedulingTerm {
	if a == nil || a.NodeAffinity == nil {
		return nil
	}
	var terms []apiserver.PreferredSchedulingTerm
	for _, t := range a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		terms = append(terms, apiserver.PreferredSchedulingTerm{Weight: t.Weight, Preference: convertTerm(t.Preference)})
	}
	return terms
}

func convertTerm(t corev1.NodeSelectorTerm) apiserver.NodeSelectorTerm {
	var term apiserver.NodeSelectorTerm
	for _, r := range t.MatchExpressions {
		term.MatchExpressions = append(term.MatchExpressions, apiserver.NodeSelectorRequirement{
			Key: r.Key, Operator: string(r.Operator), Values: append([]string(nil), r.Values...)})
	}
	for _, r := range t.MatchFields {
		term.MatchFields = append(term.MatchFields, apiserver.NodeSelectorRequirement{
			Key: r.Key, Operator: string(r.Operator), Values: append([]string(nil), r.Values...)})
	}
	return term
}

// convertSpread converts spec.topologySpreadConstraints with the API's defaults
// (minDomains 1, nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore).
func convertSpread(in []corev1.TopologySpreadConstraint) []apiserver.TopologySpreadConstraint {
	var out []apiserver.TopologySpreadConstraint
	for _, c := range in {
		t := apiserver.TopologySpreadConstraint{MaxSkew: c.MaxSkew, TopologyKey: c.TopologyKey,
			WhenUnsatisfiable: string(c.WhenUnsatisfiable), MatchLabelKeys: append([]string(nil), c.MatchLabelKeys...),
			MinDomains: 1, NodeAffinityPolicy: apiserver.PolicyHonor, NodeTaintsPolicy: apiserver.PolicyIgnore}
		if c.MinDomains != nil {
			t.MinDomains = *c.MinDomains
		}
		if c.NodeAffinityPolicy != nil {
			t.NodeAffinityPolicy = string(*c.NodeAffinityPolicy)
		}
		if c.NodeTaintsPolicy != nil {
			t.NodeTaintsPolicy = string(*c.NodeTaintsPolicy)
		}
		if sel := c.LabelSelector; sel != nil {
			t.Selector = &apiserver.PodSelector{MatchLabels: copyMap(sel.MatchLabels)}
			for _, r := range sel.MatchExpressions {
				t.Selector.MatchExpressions = append(t.Selector.MatchExpressions, apiserver.NodeSelectorRequirement{
					Key: r.Key, Operator: string(r.Operator), Values: append([]string(nil), r.Values...)})
			}
		}
		out = append(out, t)
	}
	return out
}

// convertPodAnti converts affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution
// (convertPreferredPod the preferred terms).
func convertPodAnti(a *corev1.Affinity) []apiserver.PodAffinityTerm {
	if a == nil || a.PodAntiAffinity == nil {
		return nil
	}
	return convertPodTerms(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
}

// convertPodAffinity converts affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution
// (convertPreferredPod the preferred terms).
func convertPodAffinity(a *corev1.Affinity) []apiserver.PodAffinityTerm {
	if a == nil || a.PodAffinity == nil {
		return nil
	}
	return convertPodTerms(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
}

// convertPreferredPod converts affinity.podAffinity (anti false) or
// affinity.podAntiAffinity (anti true) .preferredDuringSchedulingIgnoredDuringExecution.
func convertPreferredPod(a *corev1.Affinity, anti bool) []apiserver.WeightedPodAffinityTerm {
	var terms []corev1.WeightedPodAffinityTerm
	switch {
	case a == nil:
	case anti && a.PodAntiAffinity != nil:
		terms = a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	case !anti && a.PodAffinity != nil:
		terms = a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution
	}
	var out []apiserver.WeightedPodAffinityTerm
	for _, t := range terms {
		out = append(out, apiserver.WeightedPodAffinityTerm{Weight: t.Weight,
			PodAffinityTerm: convertPodTerms([]corev1.PodAffinityTerm{t.PodAffinityTerm})[0]})
	}
	return out
}

func convertPodTerms(terms []corev1.PodAffinityTerm) []apiserver.PodAffinityTerm {
	var out []apiserver.PodAffinityTerm
	for _, t := range terms {
		out = append(out, apiserver.PodAffinityTerm{Selector: convertPodSelector(t.LabelSelector),
			Namespaces: append([]string(nil), t.Namespaces...), NamespaceSelector: convertPodSelector(t.NamespaceSelector),
			TopologyKey:    t.TopologyKey,
			MatchLabelKeys: append([]string(nil), t.MatchLabelKeys...), MismatchLabelKeys: append([]string(nil), t.MismatchLabelKeys...)})
	}
	return out
}

// convertPodSelector converts a label selector (nil stays nil).
func convertPodSelector(sel *metav1.LabelSelector) *apiserver.PodSelector {
	if sel == nil {
		return nil
	}
	out := &apiserver.PodSelector{MatchLabels: copyMap(sel.MatchLabels)}
	for _, r := range sel.MatchExpressions {
		out.MatchExpressions = append(out.MatchExpressions, apiserver.NodeSelectorRequirement{
			Key: r.Key, Operator: string(r.Operator), Values: append([]string(nil), r.Values...)})
	}
	return out
}

// podFromSpec converts a pod spec (of a Pod or a workload template).
func podFromSpec(meta apiserver.ObjectMeta, ps *corev1.PodSpec) *apiserver.Pod {
	p := &apiserver.PodSpec{
		Tolerations:                   convertTolerations(ps.Tolerations),
		NodeSelector:                  copyMap(ps.NodeSelector),
		RequiredNodeAffinity:          convertAffinity(ps.Affinity),
		PreferredNodeAffinity:         convertPreferred(ps.Affinity),
		TopologySpreadConstraints:     convertSpread(ps.TopologySpreadConstraints),
		RequiredPodAntiAffinity:       convertPodAnti(ps.Affinity),
		RequiredPodAffinity:           convertPodAffinity(ps.Affinity),
		PreferredPodAffinity:          convertPreferredPod(ps.Affinity, false),
		PreferredPodAntiAffinity:      convertPreferredPod(ps.Affinity, true),
		PriorityClassName:             ps.PriorityClassName,
		TerminationGracePeriodSeconds: defaultGracePeriod,
		HostNetwork:                   ps.HostNetwork,
	}
	if ps.Priority != nil {
		p.Priority = *ps.Priority
	}
	if ps.TerminationGracePeriodSeconds != nil {
		p.TerminationGracePeriodSeconds = *ps.TerminationGracePeriodSeconds
	}
	for _, c := range ps.Containers {
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			p.Requests.MilliCPU += q.MilliValue()
		}
		if q, ok := c.Resources.Requests[corev1.ResourceMemory]; ok {
			p.Requests.Memory += q.Value()
		}
		// The first readiness probe's initial delay is when the pod turns Ready after
		// its containers start.
		if c.ReadinessProbe != nil && p.ReadinessDelay == 0 {
			p.ReadinessDelay = time.Duration(c.ReadinessProbe.InitialDelaySeconds) * time.Second
		}
		if c.ReadinessProbe != nil {
			period := time.Duration(c.ReadinessProbe.PeriodSeconds) * time.Second
			if period <= 0 {
				period = 10 * time.Second // the API's default
			}
			p.ReadinessProbePeriod = max(p.ReadinessProbePeriod, period)
		}
	}
	return &apiserver.Pod{ObjectMeta: meta, NodeName: ps.NodeName, PodSpec: p}
}

func metaOf(ns, name string, labels map[string]string) apiserver.ObjectMeta {
	if ns == "" {
		ns = "default"
	}
	return apiserver.ObjectMeta{Namespace: ns, Name: name, Labels: apiserver.NewLabels(labels)}
}

func convertPod(p *corev1.Pod) *apiserver.Pod {
	return podFromSpec(metaOf(p.Namespace, p.Name, p.Labels), &p.Spec)
}

func convertTemplate(t *corev1.PodTemplateSpec) apiserver.PodTemplate {
	labels := apiserver.NewLabels(t.Labels) // the template's and its pod's: one set
	return apiserver.PodTemplate{Labels: labels, Spec: *podFromSpec(apiserver.ObjectMeta{Labels: labels}, &t.Spec)}
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// selectorOf converts a label selector (matchLabels; spec rejects matchExpressions).
// A missing selector stays nil and an empty one ({}) becomes empty, not nil: a
// PodDisruptionBudget tells them apart.
func selectorOf(s *metav1.LabelSelector) apiserver.LabelSelector {
	if s == nil {
		return nil
	}
	if len(s.MatchLabels) == 0 {
		return apiserver.LabelSelector{}
	}
	return apiserver.LabelSelector(copyMap(s.MatchLabels))
}

func convertDeployment(d *appsv1.Deployment) *apiserver.Deployment {
	return &apiserver.Deployment{ObjectMeta: metaOf(d.Namespace, d.Name, d.Labels), Replicas: replicas(d.Spec.Replicas),
		Selector: selectorOf(d.Spec.Selector), Template: convertTemplate(&d.Spec.Template), MinReadySeconds: d.Spec.MinReadySeconds}
}

func convertReplicaSet(r *appsv1.ReplicaSet) *apiserver.ReplicaSet {
	return &apiserver.ReplicaSet{ObjectMeta: metaOf(r.Namespace, r.Name, r.Labels), Replicas: replicas(r.Spec.Replicas),
		Selector: selectorOf(r.Spec.Selector), Template: convertTemplate(&r.Spec.Template), MinReadySeconds: r.Spec.MinReadySeconds}
}

func convertDaemonSet(d *appsv1.DaemonSet) *apiserver.DaemonSet {
	return &apiserver.DaemonSet{ObjectMeta: metaOf(d.Namespace, d.Name, d.Labels),
		Selector: selectorOf(d.Spec.Selector), Template: convertTemplate(&d.Spec.Template)}
}

func intOrPercent(v *intstr.IntOrString) (apiserver.IntOrPercent, error) {
	if v == nil {
		return apiserver.IntOrPercent{}, nil
	}
	if v.Type == intstr.Int {
		return apiserver.IntOrPercent{Set: true, Value: v.IntVal}, nil
	}
	var n int32
	if _, err := fmt.Sscanf(v.StrVal, "%d%%", &n); err != nil {
		return apiserver.IntOrPercent{}, fmt.Errorf("%q is not an integer or a percentage", v.StrVal)
	}
	return apiserver.IntOrPercent{Set: true, Value: n, IsPercent: true}, nil
}

func convertPDB(p *policyv1.PodDisruptionBudget) (*apiserver.PodDisruptionBudget, error) {
	minA, err := intOrPercent(p.Spec.MinAvailable)
	if err != nil {
		return nil, fmt.Errorf("PodDisruptionBudget %s/%s: minAvailable: %w", p.Namespace, p.Name, err)
	}
	maxU, err := intOrPercent(p.Spec.MaxUnavailable)
	if err != nil {
		return nil, fmt.Errorf("PodDisruptionBudget %s/%s: maxUnavailable: %w", p.Namespace, p.Name, err)
	}
	b := &apiserver.PodDisruptionBudget{ObjectMeta: metaOf(p.Namespace, p.Name, p.Labels), Selector: selectorOf(p.Spec.Selector),
		MinAvailable: minA, MaxUnavailable: maxU}
	if pol := p.Spec.UnhealthyPodEvictionPolicy; pol != nil {
		b.UnhealthyPodEvictionPolicy = apiserver.UnhealthyPodEvictionPolicyType(*pol)
	}
	return b, nil
}

// copyMap copies a selector's or a node selector's map (nil when empty).
func copyMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
