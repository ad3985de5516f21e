package apiserver

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/sim"
)

// refCache is the plain informer an Informer that views the store must equal: a map
// filled by the same watch, applying each event as a private cache would.
type refCache struct{ items map[string]*Pod }

func (r *refCache) apply(ev Event[*Pod]) {
	key := ev.New.Meta().Key()
	old, had := r.items[key]
	if ev.Type == Deleted {
		delete(r.items, key)
		return
	}
	if had && old.ResourceVersion >= ev.New.ResourceVersion {
		return
	}
	r.items[key] = ev.New
}

// viewWorld is a server with a writing and a reading client, and a drawn watch latency.
func viewWorld(t *rapid.T) (*sim.Engine, *Server, *Client, *Client, time.Duration) {
	e := sim.New()
	s := New(e, sim.NewTrace(false), DefaultConfig())
	lat := time.Duration(rapid.IntRange(0, 3).Draw(t, "latency")) * time.Second
	return e, s, s.NewClient("writer", time.Second), s.NewClient("reader", time.Second), lat
}

// TestPropertyInformerViewEqualsCopy: an informer whose cache is the store seen through
// what it has not been delivered yet holds, at every instant, exactly what a private
// copy fed by the same watch holds — through creates, updates, graceful and final
// deletes, re-creates, restores, partitions, indexes added and first queried late, and
// a stop.
func TestPropertyInformerViewEqualsCopy(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e, s, w, r, lat := viewWorld(t)
		// a view started now and one started later, as informers of a factory are
		inf := NewInformer(s.Pods, r, lat)
		// "node" is built by walking the store; IndexNodeName, named like the store's
		// watch index, from that index's lists (listed for it, or before by a
		// selected informer)
		byNode := func(p *Pod) string { return p.NodeName }
		inf.AddIndex("node", byNode)
		inf.AddIndex(IndexNodeName, byNode)
		ref := &refCache{items: map[string]*Pod{}}
		s.Pods.Watch(r, lat, ref.apply)
		var late *Informer[*Pod]
		var lateRef *refCache
		var lateWatch *Watch
		stopped := false
		lateIndexed := false // an index added to a view that lags the store

		names := []string{"a", "b", "c", "d"}
		nodes := []string{"", "n1", "n2"}
		// indexes are built at their first query: queried now and then, they must
		// still be exact, whatever changed before the first query
		check := func(label string, queryIndexes bool) {
			for _, c := range []struct {
				inf *Informer[*Pod]
				ref *refCache
			}{{inf, ref}, {late, lateRef}} {
				if c.inf == nil {
					continue
				}
				want := make([]string, 0, len(c.ref.items))
				for k := range c.ref.items {
					want = append(want, k)
				}
				slices.Sort(want)
				if got := c.inf.Keys(); !slices.Equal(got, want) {
					t.Fatalf("%s: keys %v, want %v", label, got, want)
				}
				if c.inf.Len() != len(want) {
					t.Fatalf("%s: len %d, want %d", label, c.inf.Len(), len(want))
				}
				var ranged []*Pod // Range visits each cached object once, in some order
				c.inf.Range(func(p *Pod) { ranged = append(ranged, p) })
				slices.SortFunc(ranged, func(a, b *Pod) int { return strings.Compare(a.Key(), b.Key()) })
				if len(ranged) != len(want) {
					t.Fatalf("%s: Range visited %d objects, want %d", label, len(ranged), len(want))
				}
				for i, k := range want {
					if ranged[i] != c.ref.items[k] {
						t.Fatalf("%s: Range visited %s, want the cached %s", label, ranged[i].Key(), k)
					}
				}
				for _, k := range append(want, "default/zz") {
					got, ok := c.inf.Get(k)
					exp, eok := c.ref.items[k]
					if ok != eok || got != exp {
						t.Fatalf("%s: Get(%s) = %v %v, want %v %v", label, k, got, ok, exp, eok)
					}
				}
				if queryIndexes && (c.inf == inf || lateIndexed) {
					for _, n := range nodes[1:] {
						var exp []*Pod
						for _, k := range want {
							if c.ref.items[k].NodeName == n {
								exp = append(exp, c.ref.items[k])
							}
						}
						for _, index := range []string{"node", IndexNodeName} {
							if got := c.inf.ByIndex(index, n); !slices.Equal(got, exp) {
								t.Fatalf("%s: ByIndex(%s, %s) wrong", label, index, n)
							}
							if got := c.inf.CountByIndex(index, n); got != len(exp) {
								t.Fatalf("%s: CountByIndex(%s, %s) = %d, want %d", label, index, n, got, len(exp))
							}
						}
					}
				}
			}
		}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			name := rapid.SampledFrom(names).Draw(t, "name")
			key := "default/" + name
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); op {
			case 7:
				if late != nil && !lateIndexed {
					late.AddIndex("node", byNode)
					late.AddIndex(IndexNodeName, byNode)
					lateIndexed = true
				} else {
					// a selected informer lists the store's watch index now
					NewSelectedInformer(s.Pods, r, lat, IndexNodeName, rapid.SampledFrom(nodes[1:]).Draw(t, "selected"))
				}
			case 0, 1:
				_, _ = s.Pods.Create(w, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name}, NodeName: rapid.SampledFrom(nodes).Draw(t, "node")})
			case 2:
				if _, ok := s.Pods.Peek(key); !ok {
					_, _ = s.Pods.Restore(&Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name}})
				}
			case 3:
				n := rapid.SampledFrom(nodes).Draw(t, "node")
				_, _ = s.Pods.Patch(w, key, func(p *Pod) error { p.NodeName = n; return nil })
			case 4:
				grace := int64(rapid.IntRange(0, 2).Draw(t, "grace"))
				_ = s.Pods.Delete(w, key, DeleteOptions{GracePeriodSeconds: &grace})
			case 5:
				r.SetPartitioned(rapid.Bool().Draw(t, "partitioned"))
			case 6:
				if late == nil {
					late = NewInformer(s.Pods, r, lat)
					lateRef = &refCache{items: map[string]*Pod{}}
					for _, k := range s.Pods.Keys() {
						lateRef.items[k], _ = s.Pods.Peek(k)
					}
					lateWatch = s.Pods.Watch(r, lat, lateRef.apply)
				} else if !stopped {
					// a stopped informer keeps what it had while the store moves on
					late.Stop()
					lateWatch.Stop()
					stopped = true
				}
			default:
				if err := e.RunFor(time.Duration(rapid.IntRange(0, 2500).Draw(t, "ms")) * time.Millisecond); err != nil {
					t.Fatal(err)
				}
			}
			check(fmt.Sprintf("step %d", i), rapid.IntRange(0, 3).Draw(t, "query") == 0)
		}
		r.SetPartitioned(false)
		if err := e.RunFor(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		check("end", true)
	})
}

// TestPropertySelectedInformerEqualsFilter: a selected informer (pods of one node, as
// the kubelet's), started at any moment — before or after the watch index first
// lists its values — holds what a plain watch filtered by the same field holds.
func TestPropertySelectedInformerEqualsFilter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		e, s, w, r, lat := viewWorld(t)
		names := []string{"a", "b", "c", "d"}
		nodes := []string{"n1", "n2", "n3"}
		type sel struct {
			inf  *Informer[*Pod]
			want map[string]*Pod
		}
		sels := map[string]*sel{}
		check := func(label string) {
			for _, n := range nodes {
				c := sels[n]
				if c == nil {
					continue
				}
				want := make([]string, 0, len(c.want))
				for k := range c.want {
					want = append(want, k)
				}
				slices.Sort(want)
				if got := c.inf.Keys(); !slices.Equal(got, want) {
					t.Fatalf("%s: node %s: keys %v, want %v", label, n, got, want)
				}
				for _, k := range want {
					if got, _ := c.inf.Get(k); got != c.want[k] {
						t.Fatalf("%s: node %s: Get(%s) is not the version delivered", label, n, k)
					}
				}
			}
		}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			name := rapid.SampledFrom(names).Draw(t, "name")
			key := "default/" + name
			switch op := rapid.IntRange(0, 7).Draw(t, "op"); op {
			case 0:
				_, _ = s.Pods.Create(w, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name}, NodeName: rapid.SampledFrom(append(nodes, "")).Draw(t, "node")})
			case 1:
				if _, ok := s.Pods.Peek(key); !ok {
					_, _ = s.Pods.Restore(&Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: name}, NodeName: rapid.SampledFrom(nodes).Draw(t, "node")})
				}
			case 2:
				n := rapid.SampledFrom(append(nodes, "")).Draw(t, "node")
				_, _ = s.Pods.Patch(w, key, func(p *Pod) error { p.NodeName = n; return nil })
			case 3:
				grace := int64(rapid.IntRange(0, 2).Draw(t, "grace"))
				_ = s.Pods.Delete(w, key, DeleteOptions{GracePeriodSeconds: &grace})
			case 4:
				r.SetPartitioned(rapid.Bool().Draw(t, "partitioned"))
			case 5:
				n := rapid.SampledFrom(nodes).Draw(t, "node")
				if sels[n] == nil {
					c := &sel{inf: NewSelectedInformer(s.Pods, r, lat, IndexNodeName, n), want: map[string]*Pod{}}
					for _, k := range s.Pods.Keys() {
						if p, _ := s.Pods.Peek(k); p.NodeName == n {
							c.want[k] = p
						}
					}
					// the reference: a watch of every pod, filtered here
					s.Pods.Watch(r, lat, func(ev Event[*Pod]) {
						k := ev.New.Key()
						if ev.Type != Deleted && ev.New.NodeName == n {
							c.want[k] = ev.New
						} else {
							delete(c.want, k)
						}
					})
					sels[n] = c
				}
			default:
				if err := e.RunFor(time.Duration(rapid.IntRange(0, 2500).Draw(t, "ms")) * time.Millisecond); err != nil {
					t.Fatal(err)
				}
			}
			check(fmt.Sprintf("step %d", i))
		}
		r.SetPartitioned(false)
		if err := e.RunFor(10 * time.Second); err != nil {
			t.Fatal(err)
		}
		check("end")
	})
}
