package eviction

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// world is a small cluster built directly in Go: an engine, an API server and an
// operator's client.
type world struct {
	t   testing.TB
	e   *sim.Engine
	tr  *sim.Trace
	s   *apiserver.Server
	op  *apiserver.Client // kubectl
	kcm *apiserver.Client // kube-controller-manager
}

func newWorld(t testing.TB) *world {
	e := sim.New()
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	return &world{t: t, e: e, tr: tr, s: s,
		op:  s.NewClient("kubectl", 30*time.Second),
		kcm: s.NewClient("kube-controller-manager", 30*time.Second)}
}

func (w *world) addNode(name string, ready bool) {
	st := apiserver.ConditionTrue
	if !ready {
		st = apiserver.ConditionUnknown
	}
	_, err := w.s.Nodes.Create(w.op, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name},
		Conditions: []apiserver.NodeCondition{{Type: apiserver.NodeReady, Status: st}}})
	require.NoError(w.t, err)
}

type podOpt func(*apiserver.Pod)

func tolerate(key string, seconds *int64) podOpt {
	return func(p *apiserver.Pod) {
		p.EditSpec().Tolerations = append(p.Tolerations, taint.Toleration{Key: key, Operator: taint.OpExists, Effect: taint.NoExecute, TolerationSeconds: seconds})
	}
}

func daemonSetPod(p *apiserver.Pod) {
	p.EditSpec().Tolerations = taint.DaemonSetTolerations(p.Tolerations, false)
	p.OwnerReferences = []apiserver.OwnerReference{{Kind: "DaemonSet", Name: "ds", UID: 1, Controller: true}}
}

func labels(kv ...string) podOpt {
	return func(p *apiserver.Pod) {
		p.Labels = apiserver.LabelsOf(kv...)
	}
}

func phase(ph apiserver.PodPhase, reason string) podOpt {
	return func(p *apiserver.Pod) { p.Phase, p.Reason = ph, reason }
}

func (w *world) addPod(key, node string, opts ...podOpt) *apiserver.Pod {
	ns, name, _ := strings.Cut(key, "/")
	p := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: ns, Name: name}, NodeName: node,
		PodSpec: &apiserver.PodSpec{TerminationGracePeriodSeconds: 30}, Phase: apiserver.PodRunning,
		Conditions: []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}}}
	for _, o := range opts {
		o(p)
	}
	got, err := w.s.Pods.Create(w.op, p)
	require.NoError(w.t, err)
	return got
}

func (w *world) taintNode(node string, ts ...taint.Taint) {
	_, err := w.s.Nodes.Patch(w.op, node, func(n *apiserver.Node) error {
		for _, t := range ts {
			if !n.HasTaint(t) {
				t.TimeAdded = w.e.Now()
				n.Taints = append(n.Taints, t)
			}
		}
		return nil
	})
	require.NoError(w.t, err)
}

func (w *world) untaintNode(node string, ts ...taint.Taint) {
	_, err := w.s.Nodes.Patch(w.op, node, func(n *apiserver.Node) error {
		out := n.Taints[:0]
		for _, have := range n.Taints {
			drop := false
			for _, t := range ts {
				drop = drop || have.MatchTaint(t)
			}
			if !drop {
				out = append(out, have)
			}
		}
		n.Taints = out
		return nil
	})
	require.NoError(w.t, err)
}

// at runs fn at instant t of the simulation.
func (w *world) at(t time.Duration, fn func()) {
	_, err := w.e.At(t, fn)
	require.NoError(w.t, err)
}

func (w *world) runUntil(t time.Duration) {
	require.NoError(w.t, w.e.RunUntil(t))
}

// kubelets simulates what a live kubelet does for graceful deletions: it sends the
// final delete (grace 0) of a terminating pod when its grace period ends, on the
// nodes listed (a dead node's kubelet does nothing).
func (w *world) kubelets(nodes ...string) {
	live := map[string]bool{}
	for _, n := range nodes {
		live[n] = true
	}
	c := w.s.NewClient("kubelets", 10*time.Second)
	w.s.Pods.Watch(c, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		p := ev.New
		if ev.Type != apiserver.Modified || !p.Deleting || (ev.Old.Deleting && ev.Old.DeletionTimestamp == p.DeletionTimestamp) || !live[p.NodeName] {
			return
		}
		key, uid := p.Key(), p.UID
		at := p.DeletionTimestamp
		if at < w.e.Now() {
			at = w.e.Now()
		}
		_, _ = w.e.At(at, func() {
			zero := int64(0)
			_ = w.s.Pods.Delete(c, key, apiserver.DeleteOptions{GracePeriodSeconds: &zero, UID: uid})
		})
	})
}

// records returns the trace's records of the given kinds (all when none given).
func (w *world) records(kinds ...string) []sim.Record {
	var out []sim.Record
	for _, r := range w.tr.Records() {
		if len(kinds) == 0 {
			out = append(out, r)
			continue
		}
		for _, k := range kinds {
			if r.Kind == k {
				out = append(out, r)
			}
		}
	}
	return out
}

// evictions maps pod → times of its PodEvicted records with the given reason.
func (w *world) evictions(reason string) map[string][]time.Duration {
	out := map[string][]time.Duration{}
	for _, r := range w.records("PodEvicted") {
		if r.Str("reason") == reason {
			out[r.Str("pod")] = append(out[r.Str("pod")], r.T)
		}
	}
	return out
}

// evictedAtSeconds is when the pod was evicted for reason, in seconds.
func (w *world) evictedAtSeconds(reason, pod string) []float64 {
	var out []float64
	for _, d := range w.evictions(reason)[pod] {
		out = append(out, d.Seconds())
	}
	return out
}

// events counts the Event records with the message.
func (w *world) events(message string) int {
	n := 0
	for _, r := range w.records("Event") {
		if r.Str("message") == message {
			n++
		}
	}
	return n
}

// golden compares the text form of recs with testdata/name.golden (-update rewrites).
func golden(t *testing.T, name string, recs []sim.Record) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, sim.WriteText(&buf, recs))
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
