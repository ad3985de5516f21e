package apiserver

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// benchPods is a store of 300k pods on 3,000 nodes, of 100 owners.
func benchPods(b *testing.B) *Server {
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
	return s
}

// BenchmarkAddIndex: a controller's index over 300k pods, as kube-controller-manager's
// controllers add theirs when they start (built at its first query).
func BenchmarkAddIndex(b *testing.B) {
	s := benchPods(b)
	c := s.NewClient("kcm", time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inf := NewInformer(s.Pods, c, 0)
		inf.AddIndex("node", func(p *Pod) string { return p.NodeName })
		inf.CountByIndex("node", "node-1")
	}
}

// BenchmarkIndexNodeName: the first lists of the pods-by-node watch index over 300k
// pods (a zone's kubelets starting their selected informers), and a view's index of
// the same name then built from them (the lifecycle controller's).
func BenchmarkIndexNodeName(b *testing.B) {
	s := benchPods(b)
	c := s.NewClient("kcm", time.Second)
	ix := s.Pods.watchIndex(IndexNodeName)
	b.Run("list", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ix.vals, ix.listed = map[string]*selValue[*Pod]{}, false
			if len(s.Pods.selectedKeys(ix, "node-1")) != 100 {
				b.Fatal("node-1 does not have its 100 pods")
			}
		}
	})
	b.Run("informer", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			inf := NewInformer(s.Pods, c, 0)
			inf.AddIndex(IndexNodeName, func(p *Pod) string { return p.NodeName })
			if inf.CountByIndex(IndexNodeName, "node-1") != 100 {
				b.Fatal("node-1 does not have its 100 pods")
			}
			b.StopTimer()
			inf.Stop() // and no longer told of the store's changes
			b.StartTimer()
		}
	})
}
