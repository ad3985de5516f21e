package apiserver

import (
	"slices"

	"github.com/nodesim/nodesim/taint"
)

// ConditionTaintKey is the key of the NoSchedule taint that a node condition calls for
// (nodeConditionToTaintKeyStatusMap, TaintNodesByCondition), or "" for none.
func ConditionTaintKey(c NodeCondition) string {
	switch c.Type {
	case NodeReady:
		switch c.Status {
		case ConditionFalse:
			return taint.NotReady
		case ConditionUnknown:
			return taint.Unreachable
		}
	case NodeMemoryPressure:
		if c.Status == ConditionTrue {
			return taint.MemoryPressure
		}
	case NodeDiskPressure:
		if c.Status == ConditionTrue {
			return taint.DiskPressure
		}
	case NodePIDPressure:
		if c.Status == ConditionTrue {
			return taint.PIDPressure
		}
	case NodeNetworkUnavailable:
		if c.Status == ConditionTrue {
			return taint.NetworkUnavailable
		}
	}
	return ""
}

// IsConditionTaintKey reports whether k is the key of a NoSchedule taint that the node
// lifecycle controller keeps in line with the node's conditions and spec.unschedulable.
func IsConditionTaintKey(k string) bool {
	switch k {
	case taint.NotReady, taint.Unreachable, taint.MemoryPressure, taint.DiskPressure,
		taint.PIDPressure, taint.NetworkUnavailable, taint.Unschedulable:
		return true
	}
	return false
}

// NoScheduleTaintSwap is what the node lifecycle controller's NoSchedule tainting pass
// (doNoScheduleTaintingPass) would change on this version of the node: the taints its
// conditions and spec.unschedulable call for that it lacks (add), and the condition
// NoSchedule taints it carries that they no longer call for (del). Both are nil when the
// node's taints are in line, which allocates nothing.
func (n *Node) NoScheduleTaintSwap() (add, del []taint.Taint) {
	var want []taint.Taint
	for _, c := range n.Conditions {
		if k := ConditionTaintKey(c); k != "" {
			want = append(want, taint.Taint{Key: k, Effect: taint.NoSchedule})
		}
	}
	if n.Unschedulable {
		want = append(want, taint.Taint{Key: taint.Unschedulable, Effect: taint.NoSchedule})
	}
	for _, w := range want {
		if !n.HasTaint(w) {
			add = append(add, w)
		}
	}
	for _, have := range n.Taints {
		if have.Effect != taint.NoSchedule || !IsConditionTaintKey(have.Key) {
			continue
		}
		if !slices.ContainsFunc(want, func(w taint.Taint) bool { return w.Key == have.Key }) {
			del = append(del, have)
		}
	}
	return add, del
}
