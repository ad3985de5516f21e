package spec

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// The manifests spec.objects accepts: kind → apiVersion.
var objectKinds = map[string]string{
	"Pod":                 "v1",
	"Deployment":          "apps/v1",
	"ReplicaSet":          "apps/v1",
	"DaemonSet":           "apps/v1",
	"PodDisruptionBudget": "policy/v1",
}

const allowKinds = "Pod (v1), Deployment (apps/v1), ReplicaSet (apps/v1), DaemonSet (apps/v1), PodDisruptionBudget (policy/v1)"

// Values of the built-in PriorityClasses (pkg/apis/scheduling).
var systemPriorities = map[string]int32{
	"":                        0,
	"system-cluster-critical": 2000000000,
	"system-node-critical":    2000001000,
}

// unsupportedPodFields are pod spec fields that would change what happens to pods
// during node failures in ways nodesim does not model; they are rejected rather
// than silently ignored. Field path (below the pod spec) → why.
var unsupportedPodFields = []struct {
	field, why, allowed string
}{
	{"schedulingGates", "scheduling gates are not modelled (nothing would remove them)", "leave it unset"},
	{"readinessGates", "readiness gates are not modelled (nothing would set them)", "leave it unset"},
	{"resourceClaims", "dynamic resource allocation is not modelled", "leave it unset"},
	{"overhead", "pod overhead comes from a RuntimeClass, which is not modelled", "leave it unset"},
	{"runtimeClassName", "RuntimeClasses are not modelled", "leave it unset"},
	{"activeDeadlineSeconds", "pod deadlines are not modelled", "leave it unset"},
	{"ephemeralContainers", "ephemeral containers cannot be set when a pod is created", "leave it unset"},
	{"resources", "pod-level resources are not modelled", "container resources"},
}

// objCheck validates one decoded manifest, blaming lines found by field path.
type objCheck struct {
	p       *parser
	root    *yaml.Node // the manifest
	prefix  string     // path of the manifest, e.g. spec.objects[3]
	version string
	reg     *registry
	// broken are the field paths (inside the manifest; "" is all of it) whose values
	// did not decode: decoding reported them, and they hold zero values.
	broken []string
}

// fail reports a problem with field fpath (a Kubernetes field path inside the
// manifest) at the line of the deepest node of that path present in the file. A
// problem with a field that did not decode, or with a part or a whole of one, is not
// reported: decoding has reported it, and the zero value left in its place would only
// make a second, false, problem.
func (c *objCheck) fail(fpath, allowed, format string, args ...any) {
	c.failAt(fpath, fpath, allowed, format, args...)
}

// failAt is fail at the line of the field blame (when fpath, a missing field, has none).
func (c *objCheck) failAt(blame, fpath, allowed, format string, args ...any) {
	if c.isBroken(fpath) || c.isBroken(blame) {
		return
	}
	c.p.fail(nodeAt(c.root, blame), child(c.prefix, fpath), allowed, format, args...)
}

// isBroken reports whether fpath, a field inside it or a field that contains it did
// not decode.
func (c *objCheck) isBroken(fpath string) bool {
	within := func(inner, outer string) bool {
		return outer == "" || inner == outer || strings.HasPrefix(inner, outer+".") || strings.HasPrefix(inner, outer+"[")
	}
	for _, b := range c.broken {
		if within(fpath, b) || within(b, fpath) {
			return true
		}
	}
	return false
}

// objects decodes and validates spec.objects.
func (p *parser) objects(items []*yaml.Node, version string, reg *registry) []Object {
	var out []Object
	var checks []*objCheck // of each object of out
	seen := map[string]int{}
	for i, item := range items {
		path := index("spec.objects", i)
		root := resolve(item)
		if root == nil || root.Kind != yaml.MappingNode {
			p.fail(root, path, "a Kubernetes manifest: "+allowKinds, "got %s, want a manifest", describe(root))
			continue
		}
		c := &objCheck{p: p, root: root, prefix: path, version: version, reg: reg}
		kindNode, apiNode := lookup(root, "kind", false), lookup(root, "apiVersion", false)
		if kindNode == nil {
			p.fail(root, child(path, "kind"), allowKinds, "missing kind")
			continue
		}
		kind, ok := p.str(kindNode, child(path, "kind"), allowKinds)
		if !ok {
			continue
		}
		want, supported := objectKinds[kind]
		if !supported {
			p.fail(resolve(kindNode), child(path, "kind"), allowKinds, "unsupported kind %q", kind)
			continue
		}
		if apiNode == nil {
			p.fail(root, child(path, "apiVersion"), want, "missing apiVersion")
			continue
		}
		if api, ok := p.str(apiNode, child(path, "apiVersion"), want); ok && api != want {
			p.fail(resolve(apiNode), child(path, "apiVersion"), want, "%s is not served as %q", kind, api)
			continue
		}
		o := Object{Kind: kind, Line: root.Line}
		var target any
		switch kind {
		case "Pod":
			o.Pod = &corev1.Pod{}
			target = o.Pod
		case "Deployment":
			o.Deployment = &appsv1.Deployment{}
			target = o.Deployment
		case "ReplicaSet":
			o.ReplicaSet = &appsv1.ReplicaSet{}
			target = o.ReplicaSet
		case "DaemonSet":
			o.DaemonSet = &appsv1.DaemonSet{}
			target = o.DaemonSet
		case "PodDisruptionBudget":
			o.PDB = &policyv1.PodDisruptionBudget{}
			target = o.PDB
		}
		// A manifest with values that do not decode is still validated: every check
		// that involves such a value is left out (objCheck.fail, and the cross-field
		// checks ask isBroken), the others report what else is wrong.
		p.brokenPaths = nil
		p.decodeK8s(root, path, reflect.ValueOf(target).Elem())
		for _, b := range p.brokenPaths {
			c.broken = append(c.broken, strings.TrimPrefix(strings.TrimPrefix(b, path), "."))
		}
		p.brokenPaths = nil
		c.meta(o.Meta(), "metadata")
		switch kind {
		case "Pod":
			o.Pod.Status = corev1.PodStatus{}
			c.podSpec(&o.Pod.Spec, "spec", podLabels{labels: o.Pod.Labels})
			c.spreadConstraints(o.Pod.Spec.TopologySpreadConstraints, "spec.topologySpreadConstraints", o.Pod.Labels)
		case "Deployment":
			d := o.Deployment
			d.Status = appsv1.DeploymentStatus{}
			c.replicas(&d.Spec.Replicas)
			c.workload(d.Spec.Selector, &d.Spec.Template, kind)
			c.deploymentStrategy(d.Spec.Strategy)
			c.minReadySeconds(d.Spec.MinReadySeconds)
			c.progressDeadline(d.Spec.ProgressDeadlineSeconds, d.Spec.MinReadySeconds)
		case "ReplicaSet":
			rs := o.ReplicaSet
			rs.Status = appsv1.ReplicaSetStatus{}
			c.replicas(&rs.Spec.Replicas)
			c.workload(rs.Spec.Selector, &rs.Spec.Template, kind)
			c.minReadySeconds(rs.Spec.MinReadySeconds)
		case "DaemonSet":
			ds := o.DaemonSet
			ds.Status = appsv1.DaemonSetStatus{}
			c.workload(ds.Spec.Selector, &ds.Spec.Template, kind)
			c.daemonSetStrategy(ds.Spec.UpdateStrategy)
			c.minReadySeconds(ds.Spec.MinReadySeconds)
		case "PodDisruptionBudget":
			o.PDB.Status = policyv1.PodDisruptionBudgetStatus{}
			c.pdb(o.PDB)
		}
		key := kind + " " + o.Key()
		if first, dup := seen[key]; dup {
			c.fail("metadata.name", "unique kind, namespace and name", "duplicate %s %s (first at line %d)", kind, o.Key(), first)
			continue
		}
		seen[key] = o.Line
		out = append(out, o)
		checks = append(checks, c)
	}
	p.checkAdoption(out, checks)
	return out
}

// meta validates and defaults metadata as the API server does on create. Fields the
// server sets itself are cleared.
func (c *objCheck) meta(m *metav1.ObjectMeta, at string) {
	const allowName = "a DNS subdomain name (lower-case alphanumerics, '-', '.')"
	switch {
	case m.GenerateName != "":
		c.fail(at+".generateName", "metadata.name", "generateName is not supported: expectations and the trace need fixed names")
	case m.Name == "":
		c.fail(at+".name", allowName, "missing name")
	default:
		if msgs := content.IsDNS1123Subdomain(m.Name); len(msgs) > 0 {
			c.fail(at+".name", allowName, "invalid name %q: %s", m.Name, strings.Join(msgs, "; "))
		}
	}
	if m.Namespace == "" {
		m.Namespace = metav1.NamespaceDefault
	} else if msgs := content.IsDNS1123Label(m.Namespace); len(msgs) > 0 {
		c.fail(at+".namespace", "a DNS label (lower-case alphanumerics and '-', at most 63 characters)", "invalid namespace %q: %s", m.Namespace, strings.Join(msgs, "; "))
	}
	c.labels(m.Labels, at+".labels")
	for _, k := range sortedKeys(m.Annotations) {
		if msgs := content.IsLabelKey(strings.ToLower(k)); len(msgs) > 0 {
			c.fail(mapKey(at+".annotations", k), "a qualified name such as example.com/note", "invalid annotation key: %s", strings.Join(msgs, "; "))
		}
	}
	if len(m.OwnerReferences) > 0 {
		c.fail(at+".ownerReferences", "leave it unset (workloads own the pods they create)", "ownerReferences are not supported")
	}
	if len(m.Finalizers) > 0 {
		c.fail(at+".finalizers", "leave it unset", "finalizers are not supported: nothing would remove them")
	}
	if m.ResourceVersion != "" {
		c.fail(at+".resourceVersion", "leave it unset", "resourceVersion should not be set on objects to be created")
	}
	// Keep what a create keeps; the rest is set by the server (uid, timestamps, …).
	*m = metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, Annotations: m.Annotations}
}

func (c *objCheck) labels(l map[string]string, at string) {
	for _, k := range sortedKeys(l) {
		if msgs := content.IsLabelKey(k); len(msgs) > 0 {
			c.fail(mapKey(at, k), "a qualified name such as app or example.com/tier", "invalid label key %q: %s", k, strings.Join(msgs, "; "))
		}
		if msgs := content.IsLabelValue(l[k]); len(msgs) > 0 {
			c.fail(mapKey(at, k), "a label value (at most 63 characters: alphanumerics, '-', '_', '.')", "invalid label value %q: %s", l[k], strings.Join(msgs, "; "))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// replicas defaults spec.replicas to 1 and rejects negative values.
func (c *objCheck) replicas(r **int32) {
	if *r == nil {
		one := int32(1)
		*r = &one
		return
	}
	if **r < 0 {
		c.fail("spec.replicas", "an integer ≥ 0", "negative replicas %d", **r)
	}
}

// minReadySeconds rejects a negative spec.minReadySeconds, as the API server's
// ValidateDeploymentSpec, ValidateReplicaSetSpec and ValidateDaemonSetSpec do
// (ValidateNonnegativeField).
func (c *objCheck) minReadySeconds(v int32) {
	if v < 0 {
		c.fail("spec.minReadySeconds", "an integer ≥ 0", "negative minReadySeconds %d", v)
	}
}

// progressDeadline checks a Deployment's spec.progressDeadlineSeconds as
// ValidateDeploymentSpec does after apps/v1 defaulting (600 when unset): not
// negative, and above minReadySeconds, so a minReadySeconds of 600 or more needs a
// progressDeadlineSeconds above it. The deadline itself is not modelled.
func (c *objCheck) progressDeadline(pd *int32, minReady int32) {
	v := int32(600)
	if pd != nil {
		v = *pd
	}
	switch {
	case v < 0:
		c.fail("spec.progressDeadlineSeconds", "an integer > minReadySeconds", "negative progressDeadlineSeconds %d", v)
	case c.isBroken("spec.minReadySeconds"): // (its zero value compares with nothing)
	case v <= minReady:
		if pd == nil { // blamed on the line of minReadySeconds, the field that is there
			c.failAt("spec.minReadySeconds", "spec.progressDeadlineSeconds", "an integer > minReadySeconds",
				"progressDeadlineSeconds (600 when unset) must be greater than minReadySeconds %d", minReady)
			return
		}
		c.fail("spec.progressDeadlineSeconds", "an integer > minReadySeconds", "progressDeadlineSeconds %d must be greater than minReadySeconds %d", v, minReady)
	}
}

// workload validates a controller's (of kind) selector and pod template.
func (c *objCheck) workload(sel *metav1.LabelSelector, tpl *corev1.PodTemplateSpec, kind string) {
	const allowSel = "a label selector such as {matchLabels: {app: web}} that matches the template's labels"
	c.labels(tpl.Labels, "spec.template.metadata.labels")
	c.podSpec(&tpl.Spec, "spec.template.spec", templateLabels(tpl.Labels, kind))
	c.spreadConstraints(tpl.Spec.TopologySpreadConstraints, "spec.template.spec.topologySpreadConstraints", nil)
	if sel == nil {
		c.fail("spec.selector", allowSel, "missing selector")
		return
	}
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		c.fail("spec.selector", allowSel, "empty selector")
		return
	}
	c.onlyMatchLabels(sel, "spec.selector")
	s, ok := c.selector(sel, "spec.selector")
	if ok && !c.isBroken("spec.template.metadata.labels") && !s.Matches(labels.Set(tpl.Labels)) {
		c.fail("spec.template.metadata.labels", allowSel, "selector does not match template labels")
	}
}

// spreadConstraints validates spec.topologySpreadConstraints as the API server does
// (pkg/apis/core/validation validateTopologySpreadConstraints, v1.31–v1.37). podLabels
// are a bare pod's labels, nil for a template: from 1.34 the API server merges a
// pod's own values of matchLabelKeys into the selector before validating
// (ValidateMatchLabelKeysAndMismatchLabelKeys), so a key in both matchLabelKeys and
// the selector is an error only when the pod has that label; a template is not
// merged, but each pod stamped from it would be, so for a template any such key is
// refused as before 1.34 (its pods would all be rejected).
func (c *objCheck) spreadConstraints(cons []corev1.TopologySpreadConstraint, at string, podLabels map[string]string) {
	const allowPolicy = "Honor, Ignore"
	seen := map[[2]string]bool{}
	for i, t := range cons {
		ca := index(at, i)
		if t.MaxSkew <= 0 {
			c.fail(ca+".maxSkew", "an integer > 0", "maxSkew %d must be greater than zero", t.MaxSkew)
		}
		if t.TopologyKey == "" { // any other value is accepted (ValidateTopologyKey)
			c.fail(ca+".topologyKey", "a label key such as topology.kubernetes.io/zone", "missing topologyKey")
		}
		switch t.WhenUnsatisfiable {
		case corev1.DoNotSchedule, corev1.ScheduleAnyway:
		case "":
			c.fail(ca+".whenUnsatisfiable", "DoNotSchedule, ScheduleAnyway", "missing whenUnsatisfiable")
		default:
			c.fail(ca+".whenUnsatisfiable", "DoNotSchedule, ScheduleAnyway", "unsupported whenUnsatisfiable %q", t.WhenUnsatisfiable)
		}
		if k := [2]string{t.TopologyKey, string(t.WhenUnsatisfiable)}; seen[k] {
			c.fail(ca, "one constraint per topologyKey and whenUnsatisfiable", "duplicate constraint for topologyKey %q and whenUnsatisfiable %s", t.TopologyKey, t.WhenUnsatisfiable)
		} else {
			seen[k] = true
		}
		if t.MinDomains != nil {
			if *t.MinDomains <= 0 {
				c.fail(ca+".minDomains", "an integer > 0", "minDomains %d must be greater than zero", *t.MinDomains)
			} else if t.WhenUnsatisfiable != corev1.DoNotSchedule {
				c.fail(ca+".minDomains", "minDomains with whenUnsatisfiable DoNotSchedule only", "minDomains with whenUnsatisfiable %s", t.WhenUnsatisfiable)
			}
		}
		for _, f := range []struct {
			name string
			p    *corev1.NodeInclusionPolicy
		}{{"nodeAffinityPolicy", t.NodeAffinityPolicy}, {"nodeTaintsPolicy", t.NodeTaintsPolicy}} {
			if f.p != nil && *f.p != corev1.NodeInclusionPolicyHonor && *f.p != corev1.NodeInclusionPolicyIgnore {
				c.fail(ca+"."+f.name, allowPolicy, "unsupported %s %q", f.name, *f.p)
			}
		}
		if t.LabelSelector != nil {
			c.selector(t.LabelSelector, ca+".labelSelector")
		}
		selKeys := map[string]bool{}
		if t.LabelSelector != nil {
			for k := range t.LabelSelector.MatchLabels {
				selKeys[k] = true
			}
			for _, r := range t.LabelSelector.MatchExpressions {
				selKeys[r.Key] = true
			}
		}
		for j, k := range t.MatchLabelKeys {
			ka := index(ca+".matchLabelKeys", j)
			switch {
			case len(content.IsLabelKey(k)) > 0:
				c.fail(ka, "a label key", "invalid label key %q: %s", k, strings.Join(content.IsLabelKey(k), "; "))
			case t.LabelSelector == nil:
				c.fail(ka, "matchLabelKeys with a labelSelector", "must not be specified when labelSelector is not set")
			case selKeys[k] && (podLabels == nil || !mergesMatchLabelKeys(c.version) || hasKey(podLabels, k)):
				c.fail(ka, "a key the labelSelector does not use", "%q exists in both matchLabelKeys and labelSelector", k)
			}
		}
	}
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}

// eachContainer calls fn with each init container and container of s and its field
// path below at (the pod spec's).
func eachContainer(s *corev1.PodSpec, at string, fn func(ca string, ctr *corev1.Container)) {
	for _, group := range []struct {
		field string
		list  []corev1.Container
	}{{"initContainers", s.InitContainers}, {"containers", s.Containers}} {
		for i := range group.list {
			fn(index(at+"."+group.field, i), &group.list[i])
		}
	}
}

// onlyMatchLabels rejects matchExpressions in a workload's or a budget's selector:
// the controllers model matchLabels selectors only (apiserver.LabelSelector), and a
// selector whose expressions were dropped would select every pod of the namespace.
func (c *objCheck) onlyMatchLabels(sel *metav1.LabelSelector, at string) {
	if len(sel.MatchExpressions) > 0 {
		c.fail(at+".matchExpressions", "matchLabels", "not supported: the controllers' selectors are modelled with matchLabels only")
	}
}

// selector validates a label selector as the API server does.
func (c *objCheck) selector(sel *metav1.LabelSelector, at string) (labels.Selector, bool) {
	before := len(c.p.errs)
	c.labels(sel.MatchLabels, at+".matchLabels")
	for i, r := range sel.MatchExpressions {
		ra := index(at+".matchExpressions", i)
		switch r.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
			if len(r.Values) == 0 {
				c.fail(ra+".values", "at least one value with In or NotIn", "missing values")
			}
		case metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				c.fail(ra+".values", "no values with Exists or DoesNotExist", "values with operator %s", r.Operator)
			}
		default:
			c.fail(ra+".operator", "In, NotIn, Exists, DoesNotExist", "not a valid selector operator %q", r.Operator)
		}
		if msgs := content.IsLabelKey(r.Key); len(msgs) > 0 {
			c.fail(ra+".key", "a label key", "invalid key %q: %s", r.Key, strings.Join(msgs, "; "))
		}
		for j, v := range r.Values {
			if msgs := content.IsLabelValue(v); len(msgs) > 0 {
				c.fail(index(ra+".values", j), "a label value", "invalid value %q: %s", v, strings.Join(msgs, "; "))
			}
		}
	}
	if len(c.p.errs) > before || c.isBroken(at) {
		return nil, false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		c.fail(at, "a valid label selector", "%v", err)
		return nil, false
	}
	return s, true
}

// podSpec validates a pod's spec (at is "spec" or "spec.template.spec"); pl are the
// labels its pods are created with.
func (c *objCheck) podSpec(s *corev1.PodSpec, at string, pl podLabels) {
	template := pl.owner != ""
	// What nodesim does not model.
	sv := reflect.ValueOf(s).Elem()
	for _, u := range unsupportedPodFields {
		if set(sv, u.field) {
			c.fail(at+"."+u.field, u.allowed, "not supported: %s", u.why)
		}
	}
	if s.SchedulerName != "" && s.SchedulerName != corev1.DefaultSchedulerName {
		c.fail(at+".schedulerName", corev1.DefaultSchedulerName, "scheduler %q is not modelled", s.SchedulerName)
	}
	for i, v := range s.Volumes {
		if v.PersistentVolumeClaim != nil || v.Ephemeral != nil {
			c.fail(index(at+".volumes", i), "volumes without persistent storage (emptyDir, configMap, secret, hostPath, projected, downwardAPI)", "persistent volumes are not modelled (no attach/detach)")
		}
	}
	if want, ok := systemPriorities[s.PriorityClassName]; !ok {
		c.fail(at+".priorityClassName", "system-node-critical, system-cluster-critical, or none", "PriorityClass %q is not defined (PriorityClass objects are not supported)", s.PriorityClassName)
	} else if s.Priority != nil && *s.Priority != want && !c.isBroken(at+".priorityClassName") {
		c.fail(at+".priority", fmt.Sprintf("unset, or %d (from priorityClassName)", want), "the integer value of priority (%d) must not be provided in pod spec; priority admission computes %d", *s.Priority, want)
	}

	// Containers, as the API server requires them, except that none is allowed (the
	// contract's own example has a pod template without containers; see the package
	// doc): such a pod requests nothing and is Ready once its kubelet starts it.
	names := map[string]bool{}
	eachContainer(s, at, func(ca string, ctr *corev1.Container) {
		switch {
		case ctr.Name == "":
			c.fail(ca+".name", "a DNS label", "missing container name")
		case len(content.IsDNS1123Label(ctr.Name)) > 0:
			c.fail(ca+".name", "a DNS label (lower-case alphanumerics and '-', at most 63 characters)", "invalid container name %q", ctr.Name)
		case names[ctr.Name]:
			c.fail(ca+".name", "unique container names", "duplicate container name %q", ctr.Name)
		}
		names[ctr.Name] = true
		if ctr.Image == "" {
			c.fail(ca+".image", "a container image such as nginx", "missing image")
		}
	})
	c.podEnums(s, at)
	switch s.RestartPolicy {
	case "", corev1.RestartPolicyAlways:
	case corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
		if template {
			c.fail(at+".restartPolicy", "Always", "restartPolicy %q in a workload's pod template", s.RestartPolicy)
		}
	default:
		c.fail(at+".restartPolicy", "Always, OnFailure, Never", "unsupported restartPolicy %q", s.RestartPolicy)
	}

	// Where the pod may run.
	if s.NodeName != "" {
		name, fpath := s.NodeName, at+".nodeName"
		c.p.later(func() {
			if _, ok := c.reg.nodes[name]; !ok {
				c.fail(fpath, c.reg.allowNodes(), "unknown node %q", name)
			}
		})
	}
	c.labels(s.NodeSelector, at+".nodeSelector")
	if s.Affinity != nil && s.Affinity.NodeAffinity != nil && s.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		c.nodeSelector(s.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution, at+".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution")
	}
	if s.Affinity != nil && s.Affinity.NodeAffinity != nil {
		pat := at + ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution"
		for i, t := range s.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if t.Weight < 1 || t.Weight > 100 {
				c.fail(index(pat, i)+".weight", "an integer from 1 to 100", "weight %d must be in the range 1-100", t.Weight)
			}
			c.nodeSelectorTerm(t.Preference, index(pat, i)+".preference")
		}
	}
	if s.Affinity != nil && s.Affinity.PodAffinity != nil {
		c.podAffinityTerms(s.Affinity.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, at+".affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution", pl)
		c.weightedPodAffinityTerms(s.Affinity.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution, at+".affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution", pl)
	}
	if s.Affinity != nil && s.Affinity.PodAntiAffinity != nil {
		c.podAffinityTerms(s.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, at+".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution", pl)
		c.weightedPodAffinityTerms(s.Affinity.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, at+".affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution", pl)
	}
	comparison := c.p.cmpOps
	for i, t := range s.Tolerations {
		// one problem per toleration, found across its fields: none of them may be broken
		if field, problem, allowed := tolerationProblem(t, comparison); problem != "" && !c.isBroken(index(at+".tolerations", i)) {
			c.fail(index(at+".tolerations", i)+"."+field, allowed, "%s", problem)
		}
	}
}

// nodeSelector validates required node affinity as the API server does.
func (c *objCheck) nodeSelector(ns *corev1.NodeSelector, at string) {
	if len(ns.NodeSelectorTerms) == 0 {
		c.fail(at+".nodeSelectorTerms", "at least one term", "must have at least one node selector term")
	}
	for i, term := range ns.NodeSelectorTerms {
		c.nodeSelectorTerm(term, index(at+".nodeSelectorTerms", i))
	}
}

// nodeSelectorTerm validates one node selector term as the API server does.
func (c *objCheck) nodeSelectorTerm(term corev1.NodeSelectorTerm, ta string) {
	for j, r := range term.MatchExpressions {
		ra := index(ta+".matchExpressions", j)
		switch r.Operator {
		case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
			if len(r.Values) == 0 {
				c.fail(ra+".values", "at least one value with In or NotIn", "missing values")
			}
		case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
			if len(r.Values) > 0 {
				c.fail(ra+".values", "no values with Exists or DoesNotExist", "values with operator %s", r.Operator)
			}
		case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
			if len(r.Values) != 1 || len(content.IsDecimalInteger(r.Values[0])) > 0 {
				c.fail(ra+".values", "exactly one integer value with Gt or Lt", "values %q with operator %s", r.Values, r.Operator)
			}
		default:
			c.fail(ra+".operator", "In, NotIn, Exists, DoesNotExist, Gt, Lt", "not a valid selector operator %q", r.Operator)
		}
		if msgs := content.IsLabelKey(r.Key); len(msgs) > 0 {
			c.fail(ra+".key", "a label key", "invalid key %q: %s", r.Key, strings.Join(msgs, "; "))
		}
	}
	for j, r := range term.MatchFields {
		ra := index(ta+".matchFields", j)
		if r.Key != "metadata.name" {
			c.fail(ra+".key", "metadata.name", "not a supported field selector key %q", r.Key)
		}
		if (r.Operator != corev1.NodeSelectorOpIn && r.Operator != corev1.NodeSelectorOpNotIn) || len(r.Values) != 1 {
			c.fail(ra, "operator In or NotIn with exactly one value", "invalid field selector requirement")
		}
	}
}

// pdb validates a PodDisruptionBudget as the API server does.
func (c *objCheck) pdb(b *policyv1.PodDisruptionBudget) {
	const allowBudget = `an integer ≥ 0 or a percentage from "0%" to "100%"`
	if b.Spec.MinAvailable != nil && b.Spec.MaxUnavailable != nil {
		c.fail("spec.maxUnavailable", "either minAvailable or maxUnavailable", "minAvailable and maxUnavailable cannot be both set")
	}
	for _, f := range []struct {
		name string
		v    *intstr.IntOrString
	}{{"minAvailable", b.Spec.MinAvailable}, {"maxUnavailable", b.Spec.MaxUnavailable}} {
		if f.v == nil {
			continue
		}
		switch f.v.Type {
		case intstr.Int:
			if f.v.IntVal < 0 {
				c.fail("spec."+f.name, allowBudget, "negative value %d", f.v.IntVal)
			}
		case intstr.String:
			pct, err := strconv.Atoi(strings.TrimSuffix(f.v.StrVal, "%"))
			if len(validation.IsValidPercent(f.v.StrVal)) > 0 || err != nil || pct > 100 {
				c.fail("spec."+f.name, allowBudget, "invalid value %q", f.v.StrVal)
			}
		}
	}
	if b.Spec.Selector != nil {
		c.onlyMatchLabels(b.Spec.Selector, "spec.selector")
		c.selector(b.Spec.Selector, "spec.selector")
	}
	switch p := b.Spec.UnhealthyPodEvictionPolicy; {
	case p == nil, *p == policyv1.IfHealthyBudget, *p == policyv1.AlwaysAllow:
	default:
		c.fail("spec.unhealthyPodEvictionPolicy", "IfHealthyBudget, AlwaysAllow", "unsupported unhealthyPodEvictionPolicy %q", *p)
	}
}

// set reports whether the field at a dotted Go-json path below v is non-zero
// (following pointers; a nil pointer on the way means unset).
func set(v reflect.Value, fpath string) bool {
	for _, name := range strings.Split(fpath, ".") {
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return false
			}
			v = v.Elem()
		}
		idx, ok := fieldsOf(v.Type()).byName[name]
		if !ok {
			panic("spec: no field " + name + " in " + v.Type().String())
		}
		v = v.FieldByIndex(idx)
	}
	return !v.IsZero()
}

// checkAdoption rejects objects a controller would adopt (a bare Pod matched by a
// ReplicaSet's or DaemonSet's selector, a ReplicaSet matched by a Deployment's):
// adoption is not modelled, and the pod would no longer be bare.
func (p *parser) checkAdoption(objs []Object, checks []*objCheck) {
	type owner struct {
		kind, ns, name string
		sel            labels.Selector
	}
	var podOwners, rsOwners []owner
	for i, o := range objs {
		if checks[i].isBroken("spec.selector") {
			continue
		}
		var sel *metav1.LabelSelector
		switch {
		case o.ReplicaSet != nil:
			sel = o.ReplicaSet.Spec.Selector
		case o.DaemonSet != nil:
			sel = o.DaemonSet.Spec.Selector
		case o.Deployment != nil:
			sel = o.Deployment.Spec.Selector
		default:
			continue
		}
		s, err := metav1.LabelSelectorAsSelector(sel)
		if err != nil || s.Empty() {
			continue
		}
		m := o.Meta()
		w := owner{o.Kind, m.Namespace, m.Name, s}
		if o.Deployment != nil {
			rsOwners = append(rsOwners, w)
		} else {
			podOwners = append(podOwners, w)
		}
	}
	for i, o := range objs {
		owners := podOwners
		if o.ReplicaSet != nil {
			owners = rsOwners
		} else if o.Pod == nil {
			continue
		}
		m := o.Meta()
		for _, w := range owners {
			if w.ns == m.Namespace && w.sel.Matches(labels.Set(m.Labels)) {
				checks[i].fail("metadata.labels", "labels that no workload's selector matches", "%s %s would be adopted by %s %s/%s (adoption is not modelled)", o.Kind, o.Key(), w.kind, w.ns, w.name)
				break
			}
		}
	}
}

// weightedPodAffinityTerms validates preferred inter-pod (anti-)affinity terms as
// the API server does (validateWeightedPodAffinityTerms: a weight from 1 to 100,
// and the podAffinityTerm as a required term).
func (c *objCheck) weightedPodAffinityTerms(terms []corev1.WeightedPodAffinityTerm, at string, pl podLabels) {
	for i, t := range terms {
		if t.Weight < 1 || t.Weight > 100 {
			c.fail(index(at, i)+".weight", "an integer from 1 to 100", "weight %d must be in the range 1-100", t.Weight)
		}
		c.podAffinityTerm(&t.PodAffinityTerm, index(at, i)+".podAffinityTerm", pl)
	}
}

// podAffinityTerms validates required inter-pod (anti-)affinity terms as the API
// server does (validatePodAffinityTerm: the selectors, the namespaces' names, a
// topologyKey that is a label name, matchLabelKeys and mismatchLabelKeys).
func (c *objCheck) podAffinityTerms(terms []corev1.PodAffinityTerm, at string, pl podLabels) {
	for i := range terms {
		c.podAffinityTerm(&terms[i], index(at, i), pl)
	}
}

// podAffinityTerm validates one inter-pod (anti-)affinity term at ta (podAffinityTerms).
func (c *objCheck) podAffinityTerm(t *corev1.PodAffinityTerm, ta string, pl podLabels) {
	if t.LabelSelector != nil {
		c.selector(t.LabelSelector, ta+".labelSelector")
	}
	if t.NamespaceSelector != nil {
		c.selector(t.NamespaceSelector, ta+".namespaceSelector")
	}
	for j, ns := range t.Namespaces {
		if msgs := content.IsDNS1123Label(ns); len(msgs) > 0 {
			c.fail(index(ta+".namespaces", j), "a namespace name", "invalid namespace %q: %s", ns, strings.Join(msgs, "; "))
		}
	}
	if t.TopologyKey == "" {
		c.fail(ta+".topologyKey", "a label key such as kubernetes.io/hostname", "topologyKey can not be empty")
	} else if msgs := content.IsLabelKey(t.TopologyKey); len(msgs) > 0 {
		c.fail(ta+".topologyKey", "a label key such as kubernetes.io/hostname", "invalid topologyKey %q: %s", t.TopologyKey, strings.Join(msgs, "; "))
	}
	c.labelKeys(t, ta, pl)
}
