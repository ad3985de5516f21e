package apiserver

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
			ix.vals, ix.listed, ix.lastSV = map[string]*selValue[*Pod]{}, false, nil
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

// BenchmarkPodStatusBurst is the floor of a pod status write in a burst (the lifecycle
// controller marking a zone's pods NotReady, their kubelets writing them Ready on
// heal): 30k pods of 300 nodes written in one instant, in a store of 300k, then their
// notifications delivered — to a shared informer with six handlers and an index, two
// plain watches (the scheduler's and the tracker's) and each node's selected watch (its
// kubelet's), all doing nothing. One op is one write and its deliveries.
func BenchmarkPodStatusBurst(b *testing.B) {
	e := sim.New()
	s := New(e, sim.NewTrace(false), DefaultConfig())
	const pods, nodes, burst = 300_000, 3_000, 30_000
	s.Pods.Reserve(pods)
	ready := []PodCondition{{Type: PodScheduled, Status: ConditionTrue}, {Type: PodInitialized, Status: ConditionTrue}, {Type: PodContainersReady, Status: ConditionTrue}, {Type: PodReady, Status: ConditionTrue}}
	var written []*Pod
	for i := 0; i < pods; i++ {
		name := fmt.Sprintf("web-%d-%08x", i%100, uint32(i)*2654435761)
		p, err := s.Pods.Restore(&Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name},
			NodeName: fmt.Sprintf("node-%d", i%nodes), Phase: PodRunning, Conditions: ready})
		if err != nil {
			b.Fatal(err)
		}
		if i%nodes < burst/(pods/nodes) {
			written = append(written, p)
		}
	}
	// written node by node, as the lifecycle controller and the kubelets write them
	slices.SortFunc(written, func(a, b *Pod) int {
		return cmp.Or(strings.Compare(a.NodeName, b.NodeName), strings.Compare(a.Key(), b.Key()))
	})
	kcm := s.NewClient("kcm", time.Second)
	inf := NewInformer(s.Pods, kcm, 0)
	inf.AddIndex(IndexNodeName, func(p *Pod) string { return p.NodeName })
	inf.CountByIndex(IndexNodeName, "node-0")
	delivered := 0
	for range 6 {
		inf.AddHandler(func(Event[*Pod]) { delivered++ })
	}
	for range 2 {
		s.Pods.Watch(kcm, 0, func(Event[*Pod]) { delivered++ })
	}
	for n := range nodes {
		s.Pods.WatchSelected(kcm, 0, IndexNodeName, fmt.Sprintf("node-%d", n), func(Event[*Pod]) { delivered++ })
	}
	status := ConditionFalse
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		for i, p := range written {
			if done+i == b.N {
				break
			}
			key := p.Key()
			cur, _ := inf.Get(key)
			np, err := s.Pods.UpdateFrom(kcm, cur, func(q *Pod) error {
				q.SetCondition(PodCondition{Type: PodReady, Status: status}, e.Now())
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			written[i] = np
		}
		done += min(len(written), b.N-done)
		if err := e.RunFor(time.Second); err != nil {
			b.Fatal(err)
		}
		if status == ConditionFalse {
			status = ConditionTrue
		} else {
			status = ConditionFalse
		}
	}
	b.StopTimer()
	if delivered < 9*b.N {
		b.Fatalf("%d deliveries for %d writes, want 9 each", delivered, b.N)
	}
}
