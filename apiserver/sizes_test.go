package apiserver

import (
	"testing"
	"unsafe"
)

// The sizes that put the most frequent allocations in their size classes: a pod's
// status copy (written 200k times on a zone-outage day) in 512 bytes, not 576, and
// a node's Lease in 176, not 192. A field added to ObjectMeta or Pod moves them up.
func TestSizeClasses(t *testing.T) {
	for _, c := range []struct {
		name      string
		size, max uintptr
	}{
		{"podAndConditions", unsafe.Sizeof(podAndConditions{}), 512},
		{"Lease", unsafe.Sizeof(Lease{}), 176},
		{"Node", unsafe.Sizeof(Node{}), 240},
	} {
		if c.size > c.max {
			t.Errorf("%s is %d bytes, more than %d", c.name, c.size, c.max)
		}
	}
}
