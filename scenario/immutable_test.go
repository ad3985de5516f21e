package scenario_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/scenario"
)

// stored remembers every version a kind stored and what it looked like then, so that
// a test can check that nothing changed a stored object in place: informers, watch
// events and writes share stored versions (a pod's status copy shares its labels,
// owner references and spec), which is only sound if no component writes into them.
type stored[T apiserver.Obj[T]] struct {
	seen map[any]string
	// order keeps the versions in the order stored, so that a failure names the first
	seen0 []T
}

func watchStored[T apiserver.Obj[T]](k *apiserver.Kind[T]) *stored[T] {
	st := &stored[T]{seen: map[any]string{}}
	prev := k.Hooks.Changed
	k.Hooks.Changed = func(ev apiserver.Event[T]) {
		if prev != nil {
			prev(ev)
		}
		st.note(ev.Old)
		st.note(ev.New)
	}
	return st
}

func (st *stored[T]) note(o T) {
	if any(o) == nil || fmt.Sprint(o) == "<nil>" {
		return
	}
	if _, ok := st.seen[o]; !ok {
		st.seen[o] = fmt.Sprintf("%+v", o)
		st.seen0 = append(st.seen0, o)
	}
}

// check returns how many versions it checked.
func (st *stored[T]) check(t *testing.T, what string) int {
	t.Helper()
	for _, o := range st.seen0 {
		require.Equal(t, st.seen[o], fmt.Sprintf("%+v", o), "a stored %s (%s) was changed in place", what, o.Meta().Key())
	}
	return len(st.seen0)
}

// TestStoredObjectsAreNeverChanged runs every example and checks that no version of
// a Pod, Node or Lease the API server stored was modified afterwards.
func TestStoredObjectsAreNeverChanged(t *testing.T) {
	files := exampleFiles(t)
	more, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	require.NoError(t, err)
	checked := map[string]int{}
	for _, f := range append(files, more...) {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		t.Run(name, func(t *testing.T) {
			sc, err := scenario.Load(f)
			if err != nil {
				t.Skipf("not a runnable scenario: %v", err)
			}
			w, err := scenario.Build(sc, scenario.RunOptions{})
			require.NoError(t, err)
			pods := watchStored(w.Server.Pods)
			nodes := watchStored(w.Server.Nodes)
			leases := watchStored(w.Server.Leases)
			require.NoError(t, w.Engine.RunUntil(sc.Spec.Duration))
			checked["pod"] += pods.check(t, "pod")
			checked["node"] += nodes.check(t, "node")
			checked["lease"] += leases.check(t, "lease")
		})
	}
	for _, what := range []string{"pod", "node", "lease"} {
		require.Positive(t, checked[what], "no %s version stored: the check checked nothing", what)
	}
	t.Logf("versions checked: %v", checked)
}
