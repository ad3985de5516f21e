package taint

import (
	"fmt"
	"strings"
)

// Length limits shared with apimachinery's validation of qualified names and
// label values.
const (
	// MaxNameLength is the longest allowed name part of a key and the longest
	// allowed taint or toleration value, in bytes.
	MaxNameLength = 63
	// MaxPrefixLength is the longest allowed DNS subdomain prefix of a key, in
	// bytes.
	MaxPrefixLength = 253
)

// FieldError reports one invalid field of a Taint or a Toleration: which field,
// the offending value, and what is wrong with it and what is allowed.
type FieldError struct {
	// Field names the field as it appears in the Kubernetes API: "key",
	// "value", "effect" or "operator".
	Field string
	// Value is the rejected value, rendered as a string.
	Value string
	// Detail says what is wrong and what is allowed.
	Detail string
}

// Error renders the error as `field: invalid value "v": detail`.
func (e *FieldError) Error() string {
	return fmt.Sprintf("%s: invalid value %q: %s", e.Field, e.Value, e.Detail)
}

func fieldErr(field, value, detail string) error {
	return &FieldError{Field: field, Value: value, Detail: detail}
}

// Messages describing what is allowed; kept in one place so Parse, Validate
// and the tests agree on them.
const (
	nameRule = "must consist of alphanumeric characters, '-', '_' or '.', " +
		"and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')"
	prefixRule = "must be a lowercase RFC 1123 subdomain: lower case alphanumeric characters, '-' or '.', " +
		"each dot-separated part starting and ending with an alphanumeric character (e.g. 'example.com')"
	keyShape = "must be a qualified name: an optional DNS subdomain prefix and '/' followed by a name " +
		"(e.g. 'example.com/MyName' or 'MyName')"
	valueRule = "must be empty or consist of alphanumeric characters, '-', '_' or '.', " +
		"and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')"
	effectRule    = "must be one of NoSchedule, PreferNoSchedule, NoExecute"
	decimalRule   = "must be a decimal integer in the int64 range, without '+' or leading zeros (e.g. '950', '0' or '-3')"
	tolEffectRule = "must be empty (all effects) or one of NoSchedule, PreferNoSchedule, NoExecute"
)

// validateKey checks s against apimachinery's qualified-name rules
// (IsQualifiedName, the rule used for taint keys and non-empty toleration
// keys). It returns "" when s is valid, otherwise every problem found, joined
// by "; ".
func validateKey(s string) string {
	var msgs []string
	name := s
	if i := strings.IndexByte(s, '/'); i >= 0 {
		prefix := s[:i]
		name = s[i+1:]
		if strings.IndexByte(name, '/') >= 0 {
			return keyShape + "; found more than one '/'"
		}
		switch {
		case prefix == "":
			msgs = append(msgs, "prefix part must be non-empty")
		default:
			if len(prefix) > MaxPrefixLength {
				msgs = append(msgs, fmt.Sprintf("prefix part must be no more than %d bytes", MaxPrefixLength))
			}
			if !isDNSSubdomain(prefix) {
				msgs = append(msgs, "prefix part "+prefixRule)
			}
		}
	}
	switch {
	case name == "":
		msgs = append(msgs, "name part must be non-empty")
	default:
		if len(name) > MaxNameLength {
			msgs = append(msgs, fmt.Sprintf("name part must be no more than %d bytes", MaxNameLength))
		}
		if !isLabelToken(name) {
			msgs = append(msgs, "name part "+nameRule)
		}
	}
	return strings.Join(msgs, "; ")
}

// validateValue checks s against apimachinery's label-value rules
// (IsValidLabelValue). It returns "" when s is valid.
func validateValue(s string) string {
	var msgs []string
	if len(s) > MaxNameLength {
		msgs = append(msgs, fmt.Sprintf("must be no more than %d bytes", MaxNameLength))
	}
	if s != "" && !isLabelToken(s) {
		msgs = append(msgs, valueRule)
	}
	return strings.Join(msgs, "; ")
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isLabelToken reports whether s is non-empty, made of [-A-Za-z0-9_.], and
// starts and ends with [A-Za-z0-9]. Length is not checked.
func isLabelToken(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isLowerAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
}

// isDNSSubdomain reports whether s matches the RFC 1123 subdomain pattern
// (dot-separated labels of [-a-z0-9], each starting and ending with [a-z0-9]).
// Length is not checked.
func isDNSSubdomain(s string) bool {
	for {
		label, rest, more := strings.Cut(s, ".")
		if label == "" || !isLowerAlnum(label[0]) || !isLowerAlnum(label[len(label)-1]) {
			return false
		}
		for i := 1; i < len(label)-1; i++ {
			if c := label[i]; !isLowerAlnum(c) && c != '-' {
				return false
			}
		}
		if !more {
			return true
		}
		s = rest
	}
}

// parseDecimal parses s the way upstream's Lt/Gt matching does: s must be a
// canonical decimal integer (content.IsDecimalInteger: optional '-', no '+',
// no leading zeros, "-0" rejected) that fits in an int64. It does not
// allocate.
func parseDecimal(s string) (int64, bool) {
	i := 0
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	if s[i] == '0' {
		// "0" is the only canonical form starting with a zero.
		return 0, !neg && len(s) == 1
	}
	// Accumulate as a negative number so that MinInt64 fits.
	const minInt64 = -1 << 63
	var n int64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n < (minInt64+d)/10 {
			return 0, false
		}
		n = n*10 - d
	}
	if neg {
		return n, true
	}
	if n == minInt64 {
		return 0, false
	}
	return -n, true
}
