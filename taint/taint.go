package taint

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Effect is what a taint does to pods that do not tolerate it (upstream
// v1.TaintEffect).
type Effect string

// The three taint effects the API server accepts.
const (
	// NoSchedule: new pods that do not tolerate the taint are not scheduled
	// onto the node; pods already running stay.
	NoSchedule Effect = "NoSchedule"
	// PreferNoSchedule: the scheduler tries to avoid the node for pods that do
	// not tolerate the taint, but may still use it.
	PreferNoSchedule Effect = "PreferNoSchedule"
	// NoExecute: like NoSchedule, and pods already running that do not
	// tolerate the taint are evicted by the taint eviction controller (after
	// their tolerationSeconds, when they tolerate it for a while).
	NoExecute Effect = "NoExecute"
)

// Valid reports whether e is one of NoSchedule, PreferNoSchedule, NoExecute.
func (e Effect) Valid() bool {
	return e == NoSchedule || e == PreferNoSchedule || e == NoExecute
}

// Well-known taint keys, as set by the node lifecycle controller, the kubelet,
// kubectl cordon and cloud providers (k8s.io/api/core/v1 well_known_taints.go,
// k8s.io/cloud-provider api/well_known_taints.go).
const (
	// NotReady: the node's Ready condition is False.
	NotReady = "node.kubernetes.io/not-ready"
	// Unreachable: the node's Ready condition is Unknown (the node controller
	// stopped hearing from the kubelet).
	Unreachable = "node.kubernetes.io/unreachable"
	// Unschedulable: the node is cordoned (spec.unschedulable).
	Unschedulable = "node.kubernetes.io/unschedulable"
	// MemoryPressure: the node's MemoryPressure condition is True.
	MemoryPressure = "node.kubernetes.io/memory-pressure"
	// DiskPressure: the node's DiskPressure condition is True.
	DiskPressure = "node.kubernetes.io/disk-pressure"
	// PIDPressure: the node's PIDPressure condition is True.
	PIDPressure = "node.kubernetes.io/pid-pressure"
	// NetworkUnavailable: the node's NetworkUnavailable condition is True.
	NetworkUnavailable = "node.kubernetes.io/network-unavailable"
	// OutOfService: set by an operator on a node known to be shut down, so
	// that pod GC force-deletes its terminating pods and volumes detach.
	OutOfService = "node.kubernetes.io/out-of-service"
	// Uninitialized: set on registration when the kubelet runs with an
	// external cloud provider, removed by the cloud node controller.
	Uninitialized = "node.cloudprovider.kubernetes.io/uninitialized"
)

// ExcludeDisruptionLabel is the node label (not a taint) that excludes a node
// from the node lifecycle controller's zone disruption accounting.
const ExcludeDisruptionLabel = "node.kubernetes.io/exclude-disruption"

// Ready-made taints the node lifecycle controller applies (TimeAdded 0; the
// controller stamps the real time when it adds them).
var (
	// UnreachableNoExecute is node.kubernetes.io/unreachable:NoExecute.
	UnreachableNoExecute = Taint{Key: Unreachable, Effect: NoExecute}
	// NotReadyNoExecute is node.kubernetes.io/not-ready:NoExecute.
	NotReadyNoExecute = Taint{Key: NotReady, Effect: NoExecute}
	// UnreachableNoSchedule is node.kubernetes.io/unreachable:NoSchedule.
	UnreachableNoSchedule = Taint{Key: Unreachable, Effect: NoSchedule}
	// NotReadyNoSchedule is node.kubernetes.io/not-ready:NoSchedule.
	NotReadyNoSchedule = Taint{Key: NotReady, Effect: NoSchedule}
)

// Taint is a node taint (upstream v1.Taint).
type Taint struct {
	// Key is a qualified name, e.g. "node.kubernetes.io/unreachable".
	Key string
	// Value is optional; when set it follows the label value rules.
	Value string
	// Effect is NoSchedule, PreferNoSchedule or NoExecute.
	Effect Effect
	// TimeAdded is the virtual time (since scenario start) at which the taint
	// was added. Upstream sets it only for NoExecute taints; it plays no part
	// in matching, formatting or parsing.
	TimeAdded time.Duration
}

// MatchTaint reports whether t and o have the same key and effect, the pair
// that identifies a taint on a node (upstream Taint.MatchTaint). Value and
// TimeAdded are ignored.
func (t Taint) MatchTaint(o Taint) bool {
	return t.Key == o.Key && t.Effect == o.Effect
}

// String renders t in kubectl form: "key=value:Effect", or "key:Effect" when
// the value is empty. A taint without an effect (which the API rejects)
// renders as upstream's Taint.ToString does: "key=value:" or "key".
func (t Taint) String() string {
	switch {
	case t.Effect == "" && t.Value == "":
		return t.Key
	case t.Effect == "":
		return t.Key + "=" + t.Value + ":"
	case t.Value == "":
		return t.Key + ":" + string(t.Effect)
	default:
		return t.Key + "=" + t.Value + ":" + string(t.Effect)
	}
}

// Parse reads a taint in kubectl form, "key=value:Effect" or "key:Effect" (the
// inverse of String), and validates it as the API server validates node
// taints. The returned taint has TimeAdded 0.
//
// Errors say what is wrong and what is allowed; when the problem is in one
// field they wrap a *FieldError.
func Parse(s string) (Taint, error) {
	if s == "" {
		return Taint{}, errors.New("parse taint: empty string; want key[=value]:effect, e.g. 'dedicated=gpu:NoSchedule'")
	}
	kv, effect, ok := strings.Cut(s, ":")
	if !ok {
		return Taint{}, fmt.Errorf("parse taint %q: missing effect; want key[=value]:effect with effect one of NoSchedule, PreferNoSchedule, NoExecute", s)
	}
	if strings.IndexByte(effect, ':') >= 0 {
		return Taint{}, fmt.Errorf("parse taint %q: more than one ':'; want key[=value]:effect, and neither key nor value may contain ':'", s)
	}
	key, value, _ := strings.Cut(kv, "=")
	if strings.IndexByte(value, '=') >= 0 {
		return Taint{}, fmt.Errorf("parse taint %q: more than one '='; want key[=value]:effect, and the value may not contain '='", s)
	}
	t := Taint{Key: key, Value: value, Effect: Effect(effect)}
	if err := t.Validate(); err != nil {
		return Taint{}, fmt.Errorf("parse taint %q: %w", s, err)
	}
	return t, nil
}

// Validate checks t as the API server checks a node taint
// (pkg/apis/core/validation validateNodeTaints): the key must be a qualified
// name, the value a valid label value, and the effect one of the three. Every
// problem found is reported (errors.Join of *FieldError values).
func (t Taint) Validate() error {
	var errs []error
	if t.Key == "" {
		errs = append(errs, fieldErr("key", t.Key, "must be non-empty; "+keyShape))
	} else if msg := validateKey(t.Key); msg != "" {
		errs = append(errs, fieldErr("key", t.Key, msg))
	}
	if msg := validateValue(t.Value); msg != "" {
		errs = append(errs, fieldErr("value", t.Value, msg))
	}
	switch {
	case t.Effect == "":
		errs = append(errs, fieldErr("effect", "", "is required; "+effectRule))
	case !t.Effect.Valid():
		errs = append(errs, fieldErr("effect", string(t.Effect), effectRule))
	}
	return errors.Join(errs...)
}

// ValidateTaints validates each taint and, as the API server does for a
// node's spec.taints, rejects two taints with the same key and effect. Errors
// name the index of the offending taint.
func ValidateTaints(taints []Taint) error {
	var errs []error
	for i, t := range taints {
		if err := t.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("taints[%d]: %w", i, err))
		}
		for j := range i {
			if taints[j].MatchTaint(t) {
				errs = append(errs, fmt.Errorf("taints[%d]: duplicate of taints[%d] (%s:%s): taints must be unique by key and effect", i, j, t.Key, t.Effect))
				break
			}
		}
	}
	return errors.Join(errs...)
}
