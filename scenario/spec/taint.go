package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
)

// Taint effects, as the API server accepts them.
var taintEffects = []string{string(corev1.TaintEffectNoSchedule), string(corev1.TaintEffectPreferNoSchedule), string(corev1.TaintEffectNoExecute)}

const (
	allowTaint      = `"key[=value]:Effect" (a label key, an optional label value, and NoSchedule, PreferNoSchedule or NoExecute), or {key, value, effect}`
	allowUntaint    = `"key[=value][:Effect]" (without an effect, every effect of the key)`
	allowTaintMatch = `"key[=value]:Effect" with Effect NoSchedule, PreferNoSchedule or NoExecute`
)

// ParseTaint parses "key[=value]:Effect" as kubectl taint and the kubelet's
// --register-with-taints do, and validates it as the API server validates node
// taints: key a qualified name, value a label value, effect NoSchedule,
// PreferNoSchedule or NoExecute.
func ParseTaint(s string) (Taint, error) {
	t, problem := parseTaint(s, true)
	if problem != "" {
		return Taint{}, fmt.Errorf("invalid taint %q: %s; allowed: %s", s, problem, allowTaintMatch)
	}
	return t, nil
}

// parseTaint parses "key[=value][:Effect]"; the effect is required when
// needEffect. It returns a problem description instead of an error.
func parseTaint(s string, needEffect bool) (Taint, string) {
	var t Taint
	kv, effect, hasEffect := strings.Cut(s, ":")
	if hasEffect {
		if strings.Contains(effect, ":") {
			return t, "more than one ':'"
		}
		t.Effect = effect
	} else if needEffect {
		return t, "no effect"
	}
	key, value, _ := strings.Cut(kv, "=")
	t.Key, t.Value = key, value
	return t, validateTaint(t, needEffect || hasEffect)
}

// validateTaint checks a taint as the API server (and the kubelet's
// CheckTaintValidation) do; it returns "" when valid.
func validateTaint(t Taint, needEffect bool) string {
	if t.Key == "" {
		return "empty key"
	}
	if msgs := content.IsLabelKey(t.Key); len(msgs) > 0 {
		return fmt.Sprintf("key %q: %s", t.Key, strings.Join(msgs, "; "))
	}
	if msgs := content.IsLabelValue(t.Value); len(msgs) > 0 {
		return fmt.Sprintf("value %q: %s", t.Value, strings.Join(msgs, "; "))
	}
	if (needEffect || t.Effect != "") && !slices.Contains(taintEffects, t.Effect) {
		if t.Effect == "" {
			return "no effect"
		}
		return fmt.Sprintf("unknown effect %q", t.Effect)
	}
	return ""
}

// taintUse is where a taint is written, for the message about timeAdded.
type taintUse int

const (
	taintRegister taintUse = iota // kubelet registerWithTaints
	taintAction                   // a taint or untaint event
	taintExpect                   // a node expectation
)

// timeAddedProblem says why a taint written as an object may not have timeAdded.
var timeAddedProblem = map[taintUse]string{
	taintRegister: "the kubelet rejects a registerWithTaints taint with timeAdded",
	taintAction:   "a taint action cannot set timeAdded (kubectl taint takes key[=value]:Effect only); a NoExecute taint gets the time of the event",
	taintExpect:   "an expectation matches a taint by key, value and effect; timeAdded is not compared",
}

// taint reads a taint written as a string or as {key, value, effect} (the
// KubeletConfiguration form, whose timeAdded is rejected: use says where the taint
// is written, for the message).
func (p *parser) taint(n *yaml.Node, path string, use taintUse, needEffect bool) (Taint, bool) {
	allowed := allowTaintMatch
	if !needEffect {
		allowed = allowUntaint
	}
	r := resolve(n)
	if r != nil && r.Kind == yaml.MappingNode {
		allowed = allowTaint
		f, ok := p.object(r, path, "key", "value", "effect", "timeAdded")
		if !ok {
			return Taint{}, false
		}
		var t Taint
		for _, k := range []string{"key", "value", "effect"} {
			if f.has(k) {
				v, vok := p.str(f.get(k), f.at(k), allowed)
				ok = ok && vok
				switch k {
				case "key":
					t.Key = v
				case "value":
					t.Value = v
				case "effect":
					t.Effect = v
				}
			}
		}
		if f.has("timeAdded") {
			p.fail(resolve(f.get("timeAdded")), f.at("timeAdded"), "no timeAdded", "%s", timeAddedProblem[use])
			ok = false
		}
		if !ok {
			return Taint{}, false
		}
		if problem := validateTaint(t, needEffect); problem != "" {
			p.fail(r, path, allowed, "invalid taint: %s", problem)
			return Taint{}, false
		}
		return t, true
	}
	allowed = allowTaint
	s, ok := p.str(n, path, allowed)
	if !ok {
		return Taint{}, false
	}
	t, problem := parseTaint(s, needEffect)
	if problem != "" {
		p.fail(r, path, allowed, "invalid taint %q: %s", s, problem)
		return Taint{}, false
	}
	return t, true
}

// tolerationProblem validates one toleration as the API server's ValidateTolerations
// does (pkg/apis/core/validation): it returns the field path suffix and problem, or
// "" when valid. Lt and Gt exist only when comparison is true (1.35+); their value
// must be a canonical decimal int64.
func tolerationProblem(t corev1.Toleration, comparison bool) (field, problem, allowed string) {
	if t.Key != "" {
		if msgs := content.IsLabelKey(t.Key); len(msgs) > 0 {
			return "key", fmt.Sprintf("invalid key %q: %s", t.Key, strings.Join(msgs, "; ")), "a qualified name such as node.kubernetes.io/unreachable, or empty with operator Exists"
		}
	}
	if t.Key == "" && t.Operator != corev1.TolerationOpExists {
		return "operator", fmt.Sprintf("operator %q with an empty key", t.Operator), "operator Exists when key is empty (which matches every taint)"
	}
	if t.TolerationSeconds != nil && t.Effect != corev1.TaintEffectNoExecute {
		return "effect", fmt.Sprintf("effect %q with tolerationSeconds", t.Effect), "effect NoExecute when tolerationSeconds is set"
	}
	ops := "Equal, Exists"
	if comparison {
		ops = "Equal, Exists, Lt, Gt"
	}
	switch t.Operator {
	case corev1.TolerationOpEqual, "":
		if msgs := content.IsLabelValue(t.Value); len(msgs) > 0 {
			return "value", fmt.Sprintf("invalid value %q: %s", t.Value, strings.Join(msgs, "; ")), "a label value (63 characters at most, alphanumerics, '-', '_', '.')"
		}
	case corev1.TolerationOpExists:
		if t.Value != "" {
			return "value", fmt.Sprintf("value %q with operator Exists", t.Value), "an empty value when operator is Exists"
		}
	case corev1.TolerationOpLt, corev1.TolerationOpGt:
		if !comparison {
			return "operator", fmt.Sprintf("operator %q needs the TaintTolerationComparisonOperators feature gate (spec.featureGates, Kubernetes 1.35 or later; alpha, off by default)", t.Operator), ops
		}
		_, err := strconv.ParseInt(t.Value, 10, 64)
		if len(content.IsDecimalInteger(t.Value)) > 0 || err != nil {
			return "value", fmt.Sprintf("value %q with operator %s", t.Value, t.Operator), "a decimal 64-bit integer without leading zeros or '+', such as 5 or -5"
		}
	default:
		return "operator", fmt.Sprintf("unknown operator %q", t.Operator), ops
	}
	if t.Effect != "" && !slices.Contains(taintEffects, string(t.Effect)) {
		return "effect", fmt.Sprintf("unknown effect %q", t.Effect), "NoSchedule, PreferNoSchedule, NoExecute, or empty (every effect)"
	}
	return "", "", ""
}
