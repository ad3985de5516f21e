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
// owner references and spec; pods stamped from one template share their spec with
// each other and with the template), which is only sound if no component writes
// into them.
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
		st.seen[o] = fingerprint(o)
		st.seen0 = append(st.seen0, o)
	}
}

// fingerprint prints an object with the contents of the spec it references (%+v
// alone would print the spec pointer, not what it points to).
func fingerprint(o any) string {
	spec := func(p *apiserver.PodSpec) string {
		if p == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%+v", *p)
	}
	switch x := o.(type) {
	case *apiserver.Pod:
		return fmt.Sprintf("%+v spec=%s", x, spec(x.PodSpec))
	case *apiserver.ReplicaSet:
		return fmt.Sprintf("%+v spec=%s", x, spec(x.Template.Spec.PodSpec))
	case *apiserver.Deployment:
		return fmt.Sprintf("%+v spec=%s", x, spec(x.Template.Spec.PodSpec))
	case *apiserver.DaemonSet:
		return fmt.Sprintf("%+v spec=%s", x, spec(x.Template.Spec.PodSpec))
	}
	return fmt.Sprintf("%+v", o)
}

// changed returns the first version that no longer looks as it did when stored.
func (st *stored[T]) changed() (T, bool) {
	for _, o := range st.seen0 {
		if st.seen[o] != fingerprint(o) {
			return o, true
		}
	}
	var zero T
	return zero, false
}

// check returns how many versions it checked.
func (st *stored[T]) check(t *testing.T, what string) int {
	t.Helper()
	if o, ok := st.changed(); ok {
		require.Equal(t, st.seen[o], fingerprint(o), "a stored %s (%s) was changed in place", what, o.Meta().Key())
	}
	return len(st.seen0)
}

// TestStoredObjectsAreNeverChanged runs every example and checks that no version of
// a Pod, Node, Lease or workload the API server stored was modified afterwards.
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
			rss := watchStored(w.Server.ReplicaSets)
			deps := watchStored(w.Server.Deployments)
			dss := watchStored(w.Server.DaemonSets)
			require.NoError(t, w.Engine.RunUntil(sc.Spec.Duration))
			checked["pod"] += pods.check(t, "pod")
			checked["node"] += nodes.check(t, "node")
			checked["lease"] += leases.check(t, "lease")
			checked["replicaset"] += rss.check(t, "replicaset")
			checked["deployment"] += deps.check(t, "deployment")
			checked["daemonset"] += dss.check(t, "daemonset")
		})
	}
	for _, what := range []string{"pod", "node", "lease"} {
		require.Positive(t, checked[what], "no %s version stored: the check checked nothing", what)
	}
	t.Logf("versions checked: %v", checked)
}

// TestStoredObjectsCheckSeesSpecWrites shows that the check above catches a write into
// a shared spec: an admission plugin that sets a spec field in place instead of on a
// copy (as pod admission did when the spec was part of the pod struct) changes the
// spec that earlier pods of the same template were stored with.
func TestStoredObjectsCheckSeesSpecWrites(t *testing.T) {
	sc, err := scenario.Load(filepath.Join("..", "examples", "drain-pdb.yaml"))
	require.NoError(t, err)
	w, err := scenario.Build(sc, scenario.RunOptions{})
	require.NoError(t, err)
	pods := watchStored(w.Server.Pods)
	admit := w.Server.Pods.Hooks.Admit
	w.Server.Pods.Hooks.Admit = func(p *apiserver.Pod) error {
		if err := admit(p); err != nil {
			return err
		}
		p.TerminationGracePeriodSeconds++ // the bug: writes through the shared spec
		return nil
	}
	require.NoError(t, w.Engine.RunUntil(sc.Spec.Duration))
	_, changed := pods.changed()
	require.True(t, changed, "an in-place write into a shared pod spec went unnoticed")
}
