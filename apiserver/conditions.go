package apiserver

import (
	"fmt"
	"strconv"
	"strings"
)

// Condition types and statuses are small integers, not upstream's strings: a fleet
// keeps four conditions per node and four per running pod, copied again at every
// status write of a pod, and a string's 16 bytes for each of Type and Status made a
// NodeCondition 80 bytes (four of them 320 per node) and a PodCondition 72. As two
// bytes each they make a NodeCondition 56 and a PodCondition 48 (TestSizeClasses).
// Two, not one: `go vet` flags string(x) of a uint16 (which yields a rune, not the
// name) but not of a uint8, which it takes for a byte.
//
// Each prints as upstream spells it (String, so %s and %v and every trace record are
// unchanged), encodes as that string (MarshalText, UnmarshalText: JSON and YAML too),
// and is read from one by its Parse function, which refuses any other spelling. The
// zero value of each is "none" and prints as the empty string: ConditionStatusNone is
// what Node.ReadyStatus returns for a node without a Ready condition.

// ConditionStatus is True, False or Unknown; the zero value, ConditionStatusNone, is
// no status (a condition that is absent).
type ConditionStatus uint16

// Condition statuses.
const (
	// ConditionStatusNone is no status: Node.ReadyStatus of a node without a Ready
	// condition. It prints as "".
	ConditionStatusNone ConditionStatus = iota
	ConditionTrue
	ConditionFalse
	ConditionUnknown
)

var conditionStatusNames = [...]string{
	ConditionStatusNone: "",
	ConditionTrue:       "True",
	ConditionFalse:      "False",
	ConditionUnknown:    "Unknown",
}

// NodeConditionType names a node condition; the zero value names none and prints as "".
type NodeConditionType uint16

// Node condition types the kubelet reports.
const (
	NodeReady NodeConditionType = iota + 1
	NodeMemoryPressure
	NodeDiskPressure
	NodePIDPressure
	NodeNetworkUnavailable
)

var nodeConditionTypeNames = [...]string{
	0:                      "",
	NodeReady:              "Ready",
	NodeMemoryPressure:     "MemoryPressure",
	NodeDiskPressure:       "DiskPressure",
	NodePIDPressure:        "PIDPressure",
	NodeNetworkUnavailable: "NetworkUnavailable",
}

// PodConditionType names a pod condition; the zero value names none and prints as "".
type PodConditionType uint16

// Pod condition types: the scheduler's PodScheduled, the kubelet's Initialized,
// ContainersReady and Ready, and DisruptionTarget (eviction, the taint eviction
// controller, pod GC, the kubelet's shutdown).
const (
	PodReady PodConditionType = iota + 1
	PodScheduled
	PodDisruptionTarget
	PodInitialized
	PodContainersReady
)

var podConditionTypeNames = [...]string{
	0:                   "",
	PodReady:            "Ready",
	PodScheduled:        "PodScheduled",
	PodDisruptionTarget: "DisruptionTarget",
	PodInitialized:      "Initialized",
	PodContainersReady:  "ContainersReady",
}

// String is the status as upstream spells it: True, False, Unknown; "" for
// ConditionStatusNone.
func (s ConditionStatus) String() string {
	if int(s) < len(conditionStatusNames) {
		return conditionStatusNames[s]
	}
	return "ConditionStatus(" + strconv.Itoa(int(s)) + ")"
}

// String is the condition type as upstream spells it (Ready, MemoryPressure, …); ""
// for the zero value.
func (t NodeConditionType) String() string {
	if int(t) < len(nodeConditionTypeNames) {
		return nodeConditionTypeNames[t]
	}
	return "NodeConditionType(" + strconv.Itoa(int(t)) + ")"
}

// String is the condition type as upstream spells it (Ready, PodScheduled, …); ""
// for the zero value.
func (t PodConditionType) String() string {
	if int(t) < len(podConditionTypeNames) {
		return podConditionTypeNames[t]
	}
	return "PodConditionType(" + strconv.Itoa(int(t)) + ")"
}

// ParseConditionStatus reads True, False or Unknown (exactly so spelled); anything
// else, the empty string included, is an error that lists those.
func ParseConditionStatus(s string) (ConditionStatus, error) {
	v, err := parseName(conditionStatusNames[:], s, "condition status")
	return ConditionStatus(v), err
}

// ParseNodeConditionType reads a node condition type as upstream spells it (Ready,
// MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable); anything else, the
// empty string included, is an error that lists those.
func ParseNodeConditionType(s string) (NodeConditionType, error) {
	v, err := parseName(nodeConditionTypeNames[:], s, "node condition type")
	return NodeConditionType(v), err
}

// ParsePodConditionType reads a pod condition type as upstream spells it (Ready,
// PodScheduled, DisruptionTarget, Initialized, ContainersReady); anything else, the
// empty string included, is an error that lists those.
func ParsePodConditionType(s string) (PodConditionType, error) {
	v, err := parseName(podConditionTypeNames[:], s, "pod condition type")
	return PodConditionType(v), err
}

// MarshalText encodes the status as its String; a value out of range is an error.
func (s ConditionStatus) MarshalText() ([]byte, error) {
	return marshalName(conditionStatusNames[:], uint16(s), "ConditionStatus")
}

// UnmarshalText decodes what MarshalText encodes: the empty string is
// ConditionStatusNone, any other spelling than ParseConditionStatus's an error.
func (s *ConditionStatus) UnmarshalText(b []byte) error {
	v, err := unmarshalName(conditionStatusNames[:], b, "condition status")
	if err == nil {
		*s = ConditionStatus(v)
	}
	return err
}

// MarshalText encodes the type as its String; a value out of range is an error.
func (t NodeConditionType) MarshalText() ([]byte, error) {
	return marshalName(nodeConditionTypeNames[:], uint16(t), "NodeConditionType")
}

// UnmarshalText decodes what MarshalText encodes: the empty string is the zero
// value, any other spelling than ParseNodeConditionType's an error.
func (t *NodeConditionType) UnmarshalText(b []byte) error {
	v, err := unmarshalName(nodeConditionTypeNames[:], b, "node condition type")
	if err == nil {
		*t = NodeConditionType(v)
	}
	return err
}

// MarshalText encodes the type as its String; a value out of range is an error.
func (t PodConditionType) MarshalText() ([]byte, error) {
	return marshalName(podConditionTypeNames[:], uint16(t), "PodConditionType")
}

// UnmarshalText decodes what MarshalText encodes: the empty string is the zero
// value, any other spelling than ParsePodConditionType's an error.
func (t *PodConditionType) UnmarshalText(b []byte) error {
	v, err := unmarshalName(podConditionTypeNames[:], b, "pod condition type")
	if err == nil {
		*t = PodConditionType(v)
	}
	return err
}

// parseName is the index of s among names[1:] (names[0], the zero value's "", is not
// a name one may parse).
func parseName(names []string, s, what string) (uint16, error) {
	for i := 1; i < len(names); i++ {
		if names[i] == s {
			return uint16(i), nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q: must be one of %s", what, s, strings.Join(names[1:], ", "))
}

func unmarshalName(names []string, b []byte, what string) (uint16, error) {
	if len(b) == 0 {
		return 0, nil
	}
	return parseName(names, string(b), what)
}

func marshalName(names []string, v uint16, typ string) ([]byte, error) {
	if int(v) >= len(names) {
		return nil, fmt.Errorf("apiserver: %s(%d) has no name", typ, v)
	}
	return []byte(names[v]), nil
}
