package kubelet

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// world is a small cluster built directly in Go: an engine, an API server and kubelets.
type world struct {
	t  testing.TB
	e  *sim.Engine
	tr *sim.Trace
	s  *apiserver.Server
	k  map[string]*Kubelet
	kc *apiserver.Client // an operator's kubectl
}

func newWorld(t testing.TB, verbose bool, cfg Config, names ...string) *world {
	t.Helper()
	e := sim.New(sim.WithSeed(7), sim.WithStart(time.Date(2026, time.November, 2, 9, 4, 12, 0, time.UTC)))
	tr := sim.NewTrace(verbose)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	w := &world{t: t, e: e, tr: tr, s: s, k: map[string]*Kubelet{}, kc: s.NewClient("kubectl", 30*time.Second)}
	for _, n := range names {
		k, err := New(s, n, cfg)
		require.NoError(t, err)
		w.k[n] = k
	}
	return w
}

func (w *world) startAll(names ...string) {
	for _, n := range names {
		w.k[n].Start()
	}
}

func (w *world) at(t time.Duration, fn func()) {
	_, err := w.e.At(t, fn)
	require.NoError(w.t, err)
}

func (w *world) run(until time.Duration) {
	require.NoError(w.t, w.e.RunUntil(until))
}

// text renders the retained records whose kind is in kinds (all if none).
func (w *world) text(kinds ...string) string {
	var recs []sim.Record
	for _, r := range w.tr.Records() {
		if len(kinds) == 0 {
			recs = append(recs, r)
			continue
		}
		for _, k := range kinds {
			if r.Kind == k {
				recs = append(recs, r)
				break
			}
		}
	}
	var b bytes.Buffer
	require.NoError(w.t, sim.WriteText(&b, recs))
	return b.String()
}

// textFor renders the records about one node (attribute node=name), minus the kinds given.
func (w *world) textFor(node string, without ...string) string {
	var recs []sim.Record
	for _, r := range w.tr.Records() {
		if r.Str("node") != node {
			continue
		}
		skip := false
		for _, k := range without {
			skip = skip || r.Kind == k
		}
		if !skip {
			recs = append(recs, r)
		}
	}
	var b bytes.Buffer
	require.NoError(w.t, sim.WriteText(&b, recs))
	return b.String()
}

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", path, diff)
	}
}
