package spec

import (
	"strings"
	"testing"
)

// BenchmarkParseLargeFleet parses a 100k-node fleet (two count-form entries, one
// with a kubelet override), the design target; With costs one such parse.
func BenchmarkParseLargeFleet(b *testing.B) {
	src := []byte(strings.Replace(header, "    - {name: a, zone: z1}", "    - {namePrefix: w-a-, count: 50000, zone: z1}\n    - {namePrefix: w-b-, count: 50000, zone: z2, kubelet: {maxPods: 50}}", 1))
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse("big.yaml", src)
		if err != nil || len(s.Spec.Nodes) != 100002 {
			b.Fatal(err)
		}
	}
}
