package apiserver

import (
	"fmt"
	"math/bits"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

// npending is how many of the table's objects are deferred.
func (t *objTable[T]) npending() int {
	n := 0
	for _, w := range t.pend {
		n += bits.OnesCount64(w)
	}
	return n
}

const pairNodes = 6

// restoredPair restores the same Nodes and node Leases into two servers: through
// RestoreNodeLease in lazy (the steady Leases deferred) and through Leases.Restore of
// the Lease RestoreNodeLease describes in eager (every Lease built), in an order that is
// not key order. Node n-2's Lease is not steady, as exact mode restores them.
func restoredPair(t *testing.T) (lazy, eager *Server) {
	t.Helper()
	restore := func(deferred bool) *Server {
		s := New(sim.New(), sim.NewTrace(true), DefaultConfig())
		for i := pairNodes - 1; i >= 0; i-- {
			name := fmt.Sprintf("n-%d", i)
			n, err := s.Nodes.Restore(&Node{ObjectMeta: ObjectMeta{Name: name, CreationTimestamp: -time.Hour}})
			require.NoError(t, err)
			nl := NodeLease{Namespace: "kube-node-lease", Node: name, NodeUID: n.UID, Created: -time.Hour,
				LeaseDurationSeconds: 40, RenewTime: -time.Duration(i+1) * time.Second, Steady: i != 2}
			if deferred {
				require.NoError(t, s.RestoreNodeLease(nl))
			} else {
				_, err := s.Leases.Restore(nl.lease())
				require.NoError(t, err)
			}
		}
		return s
	}
	lazy, eager = restore(true), restore(false)
	require.Equal(t, pairNodes-1, lazy.Leases.items.npending(), "the steady Leases are deferred")
	require.Zero(t, eager.Leases.items.npending())
	require.Equal(t, eager.ResourceVersion(), lazy.ResourceVersion())
	return lazy, eager
}

var leaseCmp = cmp.AllowUnexported(ObjectMeta{})

func leaseKey(i int) string { return fmt.Sprintf("kube-node-lease/n-%d", i) }

// requireSameLeases: got and want hold equal Leases, field by field (the cached key
// included), in the same order.
func requireSameLeases(t *testing.T, want, got []*Lease) {
	t.Helper()
	if d := cmp.Diff(want, got, leaseCmp); d != "" {
		t.Fatalf("deferred Leases differ from Leases restored built (-built +deferred):\n%s", d)
	}
}

// TestDeferredLeaseReads: a Lease restored deferred, read through each path, is the
// Lease Restore would have stored (UID, resourceVersion, owner reference, key…), and
// it is built once: every later read returns the same pointer.
func TestDeferredLeaseReads(t *testing.T) {
	all := func(s *Server) []*Lease {
		var out []*Lease
		for i := range pairNodes {
			l, ok := s.Leases.Peek(leaseKey(i))
			require.True(t, ok)
			out = append(out, l)
		}
		return out
	}
	for _, c := range []struct {
		name string
		read func(s *Server) []*Lease
	}{
		{"Peek", func(s *Server) []*Lease {
			l, _ := s.Leases.Peek(leaseKey(4))
			return []*Lease{l}
		}},
		{"Get", func(s *Server) []*Lease {
			l, err := s.Leases.Get(s.NewClient("test", 0), leaseKey(1))
			require.NoError(t, err)
			return []*Lease{l}
		}},
		{"List", func(s *Server) []*Lease {
			ls, err := s.Leases.List(s.NewClient("test", 0))
			require.NoError(t, err)
			return ls
		}},
		{"Each", func(s *Server) (out []*Lease) {
			s.Leases.Each(func(l *Lease) { out = append(out, l) })
			return out
		}},
		{"Range", func(s *Server) (out []*Lease) {
			s.Leases.Range(func(l *Lease) { out = append(out, l) })
			return out
		}},
		{"Keys", func(s *Server) (out []*Lease) {
			for _, key := range s.Leases.Keys() {
				l, _ := s.Leases.Peek(key)
				out = append(out, l)
			}
			return out
		}},
		{"InformerGet", func(s *Server) []*Lease {
			inf := NewInformer(s.Leases, s.NewClient("test", 0), 0)
			l, ok := inf.Get(leaseKey(3))
			require.True(t, ok)
			return []*Lease{l}
		}},
		{"InformerList", func(s *Server) []*Lease {
			return NewInformer(s.Leases, s.NewClient("test", 0), 0).List()
		}},
		{"InformerRange", func(s *Server) (out []*Lease) {
			NewInformer(s.Leases, s.NewClient("test", 0), 0).Range(func(l *Lease) { out = append(out, l) })
			return out
		}},
		{"InformerIndex", func(s *Server) (out []*Lease) {
			inf := NewInformer(s.Leases, s.NewClient("test", 0), 0)
			inf.AddIndex("holder", func(l *Lease) string { return l.HolderIdentity })
			return inf.ByIndex("holder", "n-5")
		}},
		{"SelectedInformer", func(s *Server) []*Lease {
			return NewSelectedInformer(s.Leases, s.NewClient("test", 0), 0, IndexName, leaseKey(0)).List()
		}},
		{"InformerStop", func(s *Server) []*Lease {
			inf := NewInformer(s.Leases, s.NewClient("test", 0), 0)
			inf.Stop() // takes a private copy of the store
			return inf.List()
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			lazy, eager := restoredPair(t)
			got := c.read(lazy)
			require.NotEmpty(t, got)
			requireSameLeases(t, c.read(eager), got)
			for _, l := range got {
				again, _ := lazy.Leases.Peek(l.Key())
				require.Same(t, l, again, "a built Lease is stored: the same pointer at every read")
			}
			requireSameLeases(t, all(eager), all(lazy))
			require.Zero(t, lazy.Leases.items.npending())
			require.Zero(t, lazy.Leases.items.npend)
			require.Nil(t, lazy.steadyLeases.recs, "the records go once every Lease is built")
		})
	}
}

// TestDeferredLeaseWrites: an Update, a Patch and a Delete of a Lease not built yet
// read it first, so that the store's result and the watch events (Old included) are
// exact mode's, and so are the resourceVersions; deleting a Node collects its Lease
// and builds no other.
func TestDeferredLeaseWrites(t *testing.T) {
	type result struct {
		Leases []*Lease
		Events []Event[*Lease]
		RV     uint64
	}
	for _, c := range []struct {
		name  string
		write func(t *testing.T, s *Server)
		built int // how many Leases the write builds
	}{
		{"Update", func(t *testing.T, s *Server) {
			// what a client that read the Lease earlier sends (from a server of its own)
			_, eager := restoredPair(t)
			l, _ := eager.Leases.Peek(leaseKey(1))
			l = l.DeepCopy()
			l.RenewTime, l.Steady = 5*time.Second, false
			_, err := s.Leases.Update(s.NewClient("test", 0), l)
			require.NoError(t, err)
		}, 1},
		{"UpdateConflict", func(t *testing.T, s *Server) {
			l := &Lease{ObjectMeta: ObjectMeta{Namespace: "kube-node-lease", Name: "n-1", ResourceVersion: 1}}
			_, err := s.Leases.Update(s.NewClient("test", 0), l)
			require.True(t, IsConflict(err), "%v", err)
		}, 1},
		{"Patch", func(t *testing.T, s *Server) {
			_, err := s.Leases.Patch(s.NewClient("test", 0), leaseKey(3), func(l *Lease) error {
				l.RenewTime, l.Steady = 7*time.Second, false
				return nil
			})
			require.NoError(t, err)
		}, 1},
		{"Delete", func(t *testing.T, s *Server) {
			require.NoError(t, s.Leases.Delete(s.NewClient("test", 0), leaseKey(4), DeleteOptions{}))
		}, 1},
		{"CreateExisting", func(t *testing.T, s *Server) {
			_, err := s.Leases.Create(s.NewClient("test", 0), &Lease{ObjectMeta: ObjectMeta{Namespace: "kube-node-lease", Name: "n-0"}})
			require.True(t, IsAlreadyExists(err), "%v", err)
		}, 0},
		{"NodeDeleted", func(t *testing.T, s *Server) {
			require.NoError(t, s.Nodes.Delete(s.NewClient("test", 0), "n-5", DeleteOptions{}))
			require.NoError(t, s.Engine.RunUntil(time.Second))
			_, ok := s.Leases.Peek(leaseKey(5))
			require.False(t, ok, "the garbage collector deletes the Node's Lease")
		}, 1},
		{"NotSteadyNodeDeleted", func(t *testing.T, s *Server) {
			require.NoError(t, s.Nodes.Delete(s.NewClient("test", 0), "n-2", DeleteOptions{}))
			require.NoError(t, s.Engine.RunUntil(time.Second))
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			lazy, eager := restoredPair(t)
			run := func(s *Server) result {
				var r result
				s.Leases.Watch(s.NewClient("watch", 0), 0, func(ev Event[*Lease]) { r.Events = append(r.Events, ev) })
				c.write(t, s)
				require.NoError(t, s.Engine.RunUntil(2*time.Second))
				r.RV = s.ResourceVersion()
				return r
			}
			want, got := run(eager), run(lazy)
			require.Equal(t, pairNodes-1-c.built, lazy.Leases.items.npending(), "Leases built by the write")
			require.Equal(t, lazy.Leases.items.npending(), lazy.Leases.items.npend)
			want.Leases, _ = eager.Leases.List(eager.NewClient("test", 0))
			got.Leases, _ = lazy.Leases.List(lazy.NewClient("test", 0))
			if d := cmp.Diff(want, got, leaseCmp); d != "" {
				t.Fatalf("(-built +deferred):\n%s", d)
			}
		})
	}
}

// TestDeferredLeaseWatched: a Lease restored while something watches the Leases is
// stored built, so that the watch is told of it as of any restored object.
func TestDeferredLeaseWatched(t *testing.T) {
	s := New(sim.New(), sim.NewTrace(true), DefaultConfig())
	var got []Event[*Lease]
	s.Leases.Watch(s.NewClient("watch", 0), 0, func(ev Event[*Lease]) { got = append(got, ev) })
	nl := NodeLease{Namespace: "kube-node-lease", Node: "a", NodeUID: 7, Created: -time.Hour, LeaseDurationSeconds: 40, Steady: true}
	require.NoError(t, s.RestoreNodeLease(nl))
	require.Zero(t, s.Leases.items.npending())
	require.NoError(t, s.Engine.RunUntil(time.Second))
	require.Len(t, got, 1)
	l, _ := s.Leases.Peek("kube-node-lease/a")
	require.Same(t, l, got[0].New)
	require.True(t, l.Steady)
	require.Equal(t, "kube-node-lease/a", l.Key())

	// the same key again: AlreadyExists, whether the first is deferred or not
	s2 := New(sim.New(), sim.NewTrace(true), DefaultConfig())
	require.NoError(t, s2.RestoreNodeLease(nl))
	require.True(t, IsAlreadyExists(s2.RestoreNodeLease(nl)))
	require.True(t, IsAlreadyExists(s.RestoreNodeLease(nl)))

	// once every deferred Lease is built the records go; a later restore defers again
	l2, ok := s2.Leases.Peek("kube-node-lease/a")
	require.True(t, ok)
	require.Nil(t, s2.steadyLeases.recs)
	nl.Node, nl.RenewTime = "b", -time.Second
	require.NoError(t, s2.RestoreNodeLease(nl))
	require.Equal(t, 1, s2.Leases.items.npend)
	lb, ok := s2.Leases.Peek("kube-node-lease/b")
	require.True(t, ok)
	require.Equal(t, l2.UID+1, lb.UID)
	require.Equal(t, l2.ResourceVersion+1, lb.ResourceVersion)
	require.Equal(t, -time.Second, lb.RenewTime)
	require.Equal(t, "b", lb.HolderIdentity)
}

// TestDeferredLeaseSaving pins what deferring saves: the record is 40 bytes, and
// restoring steady Leases deferred allocates at least 170 bytes per Lease less than
// restoring them built (a Lease of 176 bytes and its owner references' 48).
func TestDeferredLeaseSaving(t *testing.T) {
	require.LessOrEqual(t, unsafe.Sizeof(steadyLease{}), uintptr(40))
	const n = 10_000
	alloc := func(deferred bool) uint64 {
		s := New(sim.New(), nil, DefaultConfig())
		s.Nodes.Reserve(n)
		s.Leases.Reserve(n)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range n {
			nl := NodeLease{Namespace: "kube-node-lease", Node: fmt.Sprintf("node-%05d", i), NodeUID: uint64(i + 1),
				Created: -time.Hour, LeaseDurationSeconds: 40, RenewTime: -time.Second, Steady: true}
			if deferred {
				_ = s.RestoreNodeLease(nl)
			} else {
				_, _ = s.Leases.Restore(nl.lease())
			}
		}
		runtime.ReadMemStats(&after)
		require.Equal(t, n, s.Leases.Len())
		if deferred {
			require.Equal(t, n, s.Leases.items.npending())
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	built, deferred := alloc(false), alloc(true)
	saved := (float64(built) - float64(deferred)) / n
	t.Logf("built %.0f B/Lease, deferred %.0f B/Lease: %.0f saved", float64(built)/n, float64(deferred)/n, saved)
	require.GreaterOrEqual(t, saved, 170.0)
}

// leaseSummaries is what EachLeaseSummary hands out over inf, in order.
func leaseSummaries(inf *Informer[*Lease]) (out []LeaseSummary) {
	EachLeaseSummary(inf, func(s LeaseSummary) { out = append(out, s) })
	return out
}

// listedSummaries is the summaries of inf.List()'s Leases (which builds them).
func listedSummaries(inf *Informer[*Lease]) (out []LeaseSummary) {
	for _, l := range inf.List() {
		out = append(out, l.Summary())
	}
	return out
}

// TestEachLeaseSummary: the summaries of an informer's Leases are those of its List,
// Lease for Lease, whether the Leases are deferred or built, and whatever the
// informer's view: fresh (the store), behind the store (an update, a delete and a
// create in flight, a deferred Lease built by its update), caught up again, stopped (a
// private copy) or discarded; and the walk builds nothing.
func TestEachLeaseSummary(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, s *Server, inf *Informer[*Lease])
		built int // Leases the setup builds
	}{
		{"Fresh", func(*testing.T, *Server, *Informer[*Lease]) {}, 0},
		{"Lagging", func(t *testing.T, s *Server, inf *Informer[*Lease]) {
			c := s.NewClient("test", 0)
			for _, i := range []int{1, 2} { // n-1 deferred, n-2 built
				_, err := s.Leases.Patch(c, leaseKey(i), func(l *Lease) error {
					l.RenewTime, l.Steady = 3*time.Second, false
					return nil
				})
				require.NoError(t, err)
			}
			require.NoError(t, s.Leases.Delete(c, leaseKey(3), DeleteOptions{}))
			_, err := s.Leases.Create(c, &Lease{ObjectMeta: ObjectMeta{Namespace: "kube-node-lease", Name: "n-9"},
				HolderIdentity: "n-9", RenewTime: 4 * time.Second})
			require.NoError(t, err)
			_, err = s.Leases.Create(c, &Lease{ObjectMeta: ObjectMeta{Namespace: "kube-system", Name: "kube-controller-manager"}})
			require.NoError(t, err)
			require.True(t, inf.InFlight())
		}, 2},
		{"CaughtUp", func(t *testing.T, s *Server, inf *Informer[*Lease]) {
			_, err := s.Leases.Patch(s.NewClient("test", 0), leaseKey(4), func(l *Lease) error {
				l.RenewTime = 5 * time.Second
				return nil
			})
			require.NoError(t, err)
			require.NoError(t, s.Engine.RunUntil(2*time.Second))
			require.False(t, inf.InFlight())
		}, 1},
		{"Stopped", func(_ *testing.T, _ *Server, inf *Informer[*Lease]) { inf.Stop() }, pairNodes - 1},
		{"Discarded", func(_ *testing.T, _ *Server, inf *Informer[*Lease]) { inf.Discard() }, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			lazy, eager := restoredPair(t)
			view := func(s *Server) *Informer[*Lease] {
				inf := NewInformer(s.Leases, s.NewClient("kube-controller-manager", 0), time.Second)
				c.setup(t, s, inf)
				return inf
			}
			li, ei := view(lazy), view(eager)
			pending := lazy.Leases.items.npending()
			require.Equal(t, pairNodes-1-c.built, pending, "Leases the setup builds")
			want := listedSummaries(ei)
			require.Equal(t, want, leaseSummaries(ei))
			got := leaseSummaries(li)
			require.Equal(t, pending, lazy.Leases.items.npending(), "EachLeaseSummary builds nothing")
			require.Equal(t, want, got)
			require.Equal(t, want, listedSummaries(li))
			switch c.name {
			case "Lagging": // the informer has n-3 still, not n-9, and n-1's old version
				require.Len(t, got, pairNodes)
				require.Equal(t, LeaseSummary{Namespace: "kube-node-lease", Name: "n-1", ResourceVersion: got[1].ResourceVersion,
					RenewTime: -2 * time.Second, Steady: true}, got[1])
			case "Discarded":
				require.Empty(t, got)
			default:
				require.NotEmpty(t, got)
			}
		})
	}
}

// TestInformersDiscard: discarding a factory (a process that exits) builds no
// deferred Lease, where stopping it copies its view and builds them all.
func TestInformersDiscard(t *testing.T) {
	for _, discard := range []bool{false, true} {
		lazy, _ := restoredPair(t)
		f := NewInformers(lazy.NewClient("kube-controller-manager", 0), 0)
		inf := SharedInformer(f, lazy.Leases)
		require.Equal(t, pairNodes, inf.Len())
		if discard {
			f.Discard()
			require.Equal(t, pairNodes-1, lazy.DeferredLeases())
			require.Zero(t, inf.Len())
			require.Same(t, inf, SharedInformer(f, lazy.Leases), "a stopped factory hands out its informer")
		} else {
			f.Stop()
			require.Zero(t, lazy.DeferredLeases())
			require.Equal(t, pairNodes, inf.Len())
		}
	}
}
