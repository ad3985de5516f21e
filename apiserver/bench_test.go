package apiserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// BenchmarkAddIndex: a controller's index over 300k pods (3,000 nodes, 100 owners),
// as kube-controller-manager's controllers add theirs when they start.
func BenchmarkAddIndex(b *testing.B) {
	s := New(sim.New(), sim.NewTrace(false), DefaultConfig())
	const pods = 300_000
	s.Pods.Reserve(pods)
	for i := 0; i < pods; i++ {
		// names in creation order are not key order, as pods named by random suffixes
		name := fmt.Sprintf("web-%d-%08x", i%100, uint32(i)*2654435761)
		_, err := s.Pods.Restore(&Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name}, NodeName: fmt.Sprintf("node-%d", i%3000)})
		if err != nil {
			b.Fatal(err)
		}
	}
	c := s.NewClient("kcm", time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inf := NewInformer(s.Pods, c, 0)
		inf.AddIndex("node", func(p *Pod) string { return p.NodeName })
	}
}
