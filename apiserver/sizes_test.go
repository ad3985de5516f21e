package apiserver

import (
	"testing"
	"unsafe"
)

// The sizes that put the most frequent allocations in their size classes: a pod's
// status copy (written 200k times on a zone-outage day) in 416 bytes (exactly: a Pod
// of 224 and four 48-byte conditions; it was 512 while a condition's Type and Status
// were strings), and a node's Lease in 176, not 192. A node's four conditions are
// 224 bytes, exactly a size class (they were 320). A field added to ObjectMeta or Pod
// moves them up.
func TestSizeClasses(t *testing.T) {
	for _, c := range []struct {
		name      string
		size, max uintptr
	}{
		{"podAndConditions", unsafe.Sizeof(podAndConditions{}), 416},
		{"Lease", unsafe.Sizeof(Lease{}), 176},
		{"Node", unsafe.Sizeof(Node{}), 240},
		{"NodeCondition", unsafe.Sizeof(NodeCondition{}), 56},
		{"PodCondition", unsafe.Sizeof(PodCondition{}), 48},
		{"4 NodeConditions", 4 * unsafe.Sizeof(NodeCondition{}), 224},
	} {
		if c.size > c.max {
			t.Errorf("%s is %d bytes, more than %d", c.name, c.size, c.max)
		}
	}
}
