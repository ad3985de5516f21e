package taint

import (
	"errors"
	"strconv"
	"strings"
)

// Operator is how a toleration compares its value with a taint's value
// (upstream v1.TolerationOperator).
type Operator string

// Toleration operators. The empty operator means OpEqual.
const (
	// OpExists matches any taint value (the toleration's value must be empty).
	OpExists Operator = "Exists"
	// OpEqual matches when the values are equal; it is the default.
	OpEqual Operator = "Equal"
	// OpLt matches when both values are decimal int64s and the taint's value
	// is less than the toleration's. Alpha in Kubernetes 1.35 behind the
	// TaintTolerationComparisonOperators feature gate (off by default).
	OpLt Operator = "Lt"
	// OpGt matches when both values are decimal int64s and the taint's value
	// is greater than the toleration's. Same gate as OpLt.
	OpGt Operator = "Gt"
)

// Toleration lets a pod tolerate taints that match it (upstream
// v1.Toleration).
type Toleration struct {
	// Key is the taint key to match; empty matches every key (and then the
	// operator must be Exists).
	Key string
	// Operator relates Value to the taint's value; empty means Equal.
	Operator Operator
	// Value is compared with the taint's value according to Operator.
	Value string
	// Effect is the taint effect to match; empty matches every effect.
	Effect Effect
	// TolerationSeconds is how long a NoExecute taint is tolerated before
	// the pod is evicted: nil means forever, zero or negative means evict at
	// once. The API only accepts it together with Effect NoExecute.
	TolerationSeconds *int64
}

// Seconds returns a pointer to a fresh copy of n, for Toleration's
// TolerationSeconds field.
func Seconds(n int64) *int64 { return &n }

// ToleratesTaint reports whether tol tolerates t, following upstream's
// Toleration.ToleratesTaint (staging/src/k8s.io/api/core/v1/toleration.go):
//
//   - a non-empty toleration effect must equal the taint's effect;
//   - a non-empty toleration key must equal the taint's key;
//   - operator "" or Equal: the values must be equal (empty equals empty);
//   - operator Exists: any value;
//   - operator Lt or Gt: only when comparisonOperators (the
//     TaintTolerationComparisonOperators feature gate) is true and both values
//     are canonical decimal int64s; then taint < toleration (Lt) or
//     taint > toleration (Gt);
//   - any other operator: no match.
//
// It does not validate tol and does not allocate.
func (tol Toleration) ToleratesTaint(t Taint, comparisonOperators bool) bool {
	if tol.Effect != "" && tol.Effect != t.Effect {
		return false
	}
	if tol.Key != "" && tol.Key != t.Key {
		return false
	}
	switch tol.Operator {
	case "", OpEqual:
		return tol.Value == t.Value
	case OpExists:
		return true
	case OpLt, OpGt:
		if !comparisonOperators {
			return false
		}
		want, ok := parseDecimal(tol.Value)
		if !ok {
			return false
		}
		have, ok := parseDecimal(t.Value)
		if !ok {
			return false
		}
		if tol.Operator == OpLt {
			return have < want
		}
		return have > want
	default:
		return false
	}
}

// MatchToleration reports whether tol and o have the same key, operator,
// value and effect (upstream Toleration.MatchToleration; TolerationSeconds is
// ignored and "" is not the same operator as Equal).
func (tol Toleration) MatchToleration(o Toleration) bool {
	return tol.Key == o.Key && tol.Operator == o.Operator && tol.Value == o.Value && tol.Effect == o.Effect
}

// Equal reports whether tol and o are identical, comparing
// TolerationSeconds by value (nil equals only nil).
func (tol Toleration) Equal(o Toleration) bool {
	if !tol.MatchToleration(o) {
		return false
	}
	a, b := tol.TolerationSeconds, o.TolerationSeconds
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// Validate checks tol as the API server does (pkg/apis/core/validation
// ValidateTolerations) with the TaintTolerationComparisonOperators gate on,
// so that Lt and Gt are accepted. It is ValidateWithGate(true).
func (tol Toleration) Validate() error {
	return tol.ValidateWithGate(true)
}

// ValidateWithGate checks tol as the API server does, with the
// TaintTolerationComparisonOperators feature gate set to comparisonOperators:
//
//   - a non-empty key must be a qualified name;
//   - an empty key requires operator Exists;
//   - tolerationSeconds requires effect NoExecute (an empty effect is not
//     enough);
//   - operator "" or Equal: the value must be a valid label value;
//     Exists: the value must be empty;
//     Lt / Gt (gate on only): the value must be a canonical decimal int64;
//     anything else is not supported;
//   - the effect must be empty or one of the three.
//
// Every problem found is reported (errors.Join of *FieldError values).
func (tol Toleration) ValidateWithGate(comparisonOperators bool) error {
	var errs []error
	if tol.Key != "" {
		if msg := validateKey(tol.Key); msg != "" {
			errs = append(errs, fieldErr("key", tol.Key, msg))
		}
	} else if tol.Operator != OpExists {
		errs = append(errs, fieldErr("operator", string(tol.Operator),
			"must be Exists when key is empty (an empty key with Exists means \"match all keys and values\")"))
	}
	if tol.TolerationSeconds != nil && tol.Effect != NoExecute {
		errs = append(errs, fieldErr("effect", string(tol.Effect),
			"must be NoExecute when tolerationSeconds is set"))
	}
	switch tol.Operator {
	case "", OpEqual:
		if msg := validateValue(tol.Value); msg != "" {
			errs = append(errs, fieldErr("value", tol.Value, msg))
		}
	case OpExists:
		if tol.Value != "" {
			errs = append(errs, fieldErr("value", tol.Value, "must be empty when operator is Exists"))
		}
	case OpLt, OpGt:
		if !comparisonOperators {
			errs = append(errs, fieldErr("operator", string(tol.Operator),
				"supported values: Equal, Exists (Lt and Gt need the TaintTolerationComparisonOperators feature gate)"))
			break
		}
		if _, ok := parseDecimal(tol.Value); !ok {
			errs = append(errs, fieldErr("value", tol.Value, decimalRule+" when operator is "+string(tol.Operator)))
		}
	default:
		allowed := "supported values: Equal, Exists"
		if comparisonOperators {
			allowed = "supported values: Equal, Exists, Lt, Gt"
		}
		errs = append(errs, fieldErr("operator", string(tol.Operator), allowed))
	}
	if tol.Effect != "" && !tol.Effect.Valid() {
		errs = append(errs, fieldErr("effect", string(tol.Effect), tolEffectRule))
	}
	return errors.Join(errs...)
}

// String renders tol compactly:
//
//	key=value:Effect   operator "" or Equal
//	key:Effect         Exists
//	key<value:Effect   Lt (tolerates taint values below value)
//	key>value:Effect   Gt
//	key[Op]value       any other operator
//
// An empty key renders as "*", an empty effect as no ":Effect" suffix (all
// effects), and TolerationSeconds, when set, as a " for Ns" suffix. Examples:
// "node.kubernetes.io/unreachable:NoExecute for 300s", "*" (tolerates
// everything).
func (tol Toleration) String() string {
	var b strings.Builder
	if tol.Key == "" {
		b.WriteByte('*')
	} else {
		b.WriteString(tol.Key)
	}
	switch tol.Operator {
	case "", OpEqual:
		b.WriteByte('=')
		b.WriteString(tol.Value)
	case OpExists:
		if tol.Value != "" { // invalid, but show it rather than hide it
			b.WriteString("[Exists]")
			b.WriteString(tol.Value)
		}
	case OpLt:
		b.WriteByte('<')
		b.WriteString(tol.Value)
	case OpGt:
		b.WriteByte('>')
		b.WriteString(tol.Value)
	default:
		b.WriteByte('[')
		b.WriteString(string(tol.Operator))
		b.WriteByte(']')
		b.WriteString(tol.Value)
	}
	if tol.Effect != "" {
		b.WriteByte(':')
		b.WriteString(string(tol.Effect))
	}
	if tol.TolerationSeconds != nil {
		b.WriteString(" for ")
		b.WriteString(strconv.FormatInt(*tol.TolerationSeconds, 10))
		b.WriteByte('s')
	}
	return b.String()
}
