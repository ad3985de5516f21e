package apiserver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSharedInformers(t *testing.T) {
	s, e, _ := newTestServer(t)
	writer := s.NewClient("writer", 30*time.Second)
	c := s.NewClient("kcm", 30*time.Second)
	_, err := s.Nodes.Create(writer, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.NoError(t, err)

	f := NewInformers(c, 0)
	require.True(t, f.Serves(c, 0))
	require.False(t, f.Serves(c, time.Second))
	require.False(t, f.Serves(writer, 0))
	require.False(t, (*Informers)(nil).Serves(c, 0))

	a := SharedInformer(f, s.Nodes)
	b, shared := InformerFor(f, s.Nodes, c, 0)
	require.True(t, shared)
	require.Same(t, a, b, "one informer per kind")
	p, shared := InformerFor(f, s.Nodes, c, time.Second)
	require.False(t, shared)
	require.NotSame(t, a, p, "another latency: a private informer")
	p.Stop()

	// AddIndex is idempotent per name.
	a.AddIndex("zone", func(n *Node) string { return n.Labels.Get("zone") })
	b.AddIndex("zone", func(n *Node) string { return "other" })
	require.Equal(t, 0, a.CountByIndex("zone", "other"))

	// Handlers run in registration order, once per change; a dead one does nothing.
	var got []string
	live := true
	a.AddHandlerWhile(func() bool { return live }, func(ev Event[*Node]) { got = append(got, "1:"+ev.New.Name) })
	b.AddHandler(func(ev Event[*Node]) { got = append(got, "2:"+ev.New.Name) })
	_, err = s.Nodes.Create(writer, &Node{ObjectMeta: ObjectMeta{Name: "b", Labels: NewLabels(map[string]string{"zone": "z"})}})
	require.NoError(t, err)

	// While a change is undelivered, a request gets a fresh informer (what a private
	// one listed now would hold), which later requests share.
	fresh := SharedInformer(f, s.Nodes)
	require.NotSame(t, a, fresh)
	_, ok := fresh.Get("b")
	require.True(t, ok)
	require.Same(t, fresh, SharedInformer(f, s.Nodes))

	require.NoError(t, e.RunUntil(time.Second))
	require.Equal(t, []string{"1:b", "2:b"}, got)
	require.Equal(t, 1, a.CountByIndex("zone", "z"))

	live = false
	f.Stop()
	require.NoError(t, s.Nodes.Delete(writer, "b", DeleteOptions{}))
	require.NoError(t, e.RunUntil(2*time.Second))
	_, ok = a.Get("b")
	require.True(t, ok, "a stopped factory's informers are not updated")
	require.Equal(t, []string{"1:b", "2:b"}, got)
}

// Discard ends an informer for good: the store no longer tells it of changes, its
// handlers no longer run and it holds nothing, where Stop keeps a copy of what it showed.
func TestInformerDiscard(t *testing.T) {
	s, e, _ := newTestServer(t)
	c := s.NewClient("writer", 30*time.Second)
	_, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.NoError(t, err)
	views := len(s.Nodes.views)
	inf := NewInformer(s.Nodes, c, 0)
	inf.AddIndex("name", func(n *Node) string { return n.Name })
	calls := 0
	inf.AddHandler(func(Event[*Node]) { calls++ })
	_, err = s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "b"}})
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(time.Second))
	require.Equal(t, 1, calls)
	require.Equal(t, 1, inf.CountByIndex("name", "b"))
	require.Len(t, s.Nodes.views, views+1)

	inf.Discard()
	require.Len(t, s.Nodes.views, views, "the store no longer tells it of changes")
	_, err = s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "c"}})
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(2*time.Second))
	require.Equal(t, 1, calls, "no handler runs after Discard")
	require.Zero(t, inf.Len())
	require.Empty(t, inf.List())
}

// Discard with a change still on its way: it is never delivered, a second Discard is
// harmless, and a new informer lists what the store has.
func TestInformerDiscardInFlight(t *testing.T) {
	s, e, _ := newTestServer(t)
	c := s.NewClient("writer", 30*time.Second)
	inf := NewInformer(s.Nodes, c, time.Second)
	calls := 0
	inf.AddHandler(func(Event[*Node]) { calls++ })
	_, err := s.Nodes.Create(c, &Node{ObjectMeta: ObjectMeta{Name: "a"}})
	require.NoError(t, err)
	inf.Discard()
	inf.Discard()
	require.NoError(t, e.RunUntil(5*time.Second))
	require.Zero(t, calls)
	require.Zero(t, inf.Len())
	require.Equal(t, 1, NewInformer(s.Nodes, c, 0).Len())
}
