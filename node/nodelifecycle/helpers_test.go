package nodelifecycle

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

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// tb is what helpers need of *testing.T and *rapid.T.
type tb interface {
	require.TestingT
	Helper()
}

// world is a small cluster: an engine, an API server and the controller.
type world struct {
	t  tb
	e  *sim.Engine
	tr *sim.Trace
	s  *apiserver.Server
	nc *Controller
	kl map[string]*fakeKubelet
}

func newWorld(t tb, cfg Config) *world {
	t.Helper()
	e := sim.New(sim.WithSeed(1))
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	nc, err := New(s, s.NewClient("kube-controller-manager", 30*time.Second), cfg)
	require.NoError(t, err)
	return &world{t: t, e: e, tr: tr, s: s, nc: nc, kl: map[string]*fakeKubelet{}}
}

func (w *world) run(until time.Duration) {
	w.t.Helper()
	require.NoError(w.t, w.e.RunUntil(until))
}

// fakeKubelet creates its Node (Ready=True) and Lease and renews the Lease every renew
// interval, posting status every report interval. A lazy one renews virtually while steady,
// as the ARCHITECTURE.md contract describes.
type fakeKubelet struct {
	w              *world
	name           string
	labels         map[string]string
	c              *apiserver.Client
	lazy           bool
	renew, report  time.Duration
	leaseT, statT  *sim.Timer
	running        bool
	steady         bool
	base, statBase time.Duration // virtual schedules' origins while steady
	status         apiserver.ConditionStatus
}

func (w *world) kubelet(name string, labels map[string]string, lazy bool) *fakeKubelet {
	k := &fakeKubelet{w: w, name: name, labels: labels, c: w.s.NewClient("kubelet/"+name, 10*time.Second),
		lazy: lazy, renew: 10 * time.Second, report: 60 * time.Second, status: apiserver.ConditionTrue}
	k.leaseT, _ = w.e.NewTimer(k.renewLease)
	k.statT, _ = w.e.NewTimer(k.postStatus)
	w.kl[name] = k
	return k
}

func (k *fakeKubelet) conds(now time.Duration) []apiserver.NodeCondition {
	mk := func(t apiserver.NodeConditionType, st apiserver.ConditionStatus, reason string) apiserver.NodeCondition {
		return apiserver.NodeCondition{Type: t, Status: st, Reason: reason, LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return []apiserver.NodeCondition{
		mk(apiserver.NodeMemoryPressure, apiserver.ConditionFalse, "KubeletHasSufficientMemory"),
		mk(apiserver.NodeDiskPressure, apiserver.ConditionFalse, "KubeletHasNoDiskPressure"),
		mk(apiserver.NodePIDPressure, apiserver.ConditionFalse, "KubeletHasSufficientPID"),
		mk(apiserver.NodeReady, k.status, readyReason(k.status)),
	}
}

func readyReason(s apiserver.ConditionStatus) string {
	if s == apiserver.ConditionTrue {
		return "KubeletReady"
	}
	return "ContainerRuntimeDown"
}

// Start starts (or restarts) the kubelet: status and Lease are written at once.
func (k *fakeKubelet) Start() {
	s, now := k.w.s, k.w.e.Now()
	k.running = true
	if _, ok := s.Nodes.Peek(k.name); !ok {
		_, err := s.Nodes.Create(k.c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: k.name, Labels: apiserver.NewLabels(k.labels)},
			Conditions: k.conds(now)})
		require.NoError(k.w.t, err)
	} else {
		k.writeStatus(now, true)
	}
	k.statBase = now
	_ = k.statT.Schedule(now + k.report)
	k.writeLease(now, k.lazy)
	k.base = now
	if !k.lazy {
		_ = k.leaseT.Schedule(now + k.renew)
	}
}

func (k *fakeKubelet) writeStatus(hb time.Duration, full bool) {
	_, err := k.w.s.Nodes.Patch(k.c, k.name, func(n *apiserver.Node) error {
		for i := range n.Conditions {
			c := &n.Conditions[i]
			c.LastHeartbeatTime = hb
			if full && c.Type == apiserver.NodeReady && c.Status != k.status {
				c.Status, c.Reason, c.Message, c.LastTransitionTime = k.status, readyReason(k.status), "", hb
			}
			if full && c.Type != apiserver.NodeReady && c.Status == apiserver.ConditionUnknown {
				c.Status, c.LastTransitionTime = apiserver.ConditionFalse, hb
			}
		}
		return nil
	})
	require.NoError(k.w.t, err)
}

func (k *fakeKubelet) writeLease(renew time.Duration, steady bool) {
	s := k.w.s
	key := NodeLeaseNamespace + "/" + k.name
	if _, ok := s.Leases.Peek(key); !ok {
		_, err := s.Leases.Create(k.c, &apiserver.Lease{ObjectMeta: apiserver.ObjectMeta{Namespace: NodeLeaseNamespace, Name: k.name},
			HolderIdentity: k.name, LeaseDurationSeconds: 40, RenewTime: renew, Steady: steady})
		require.NoError(k.w.t, err)
	} else {
		_, err := s.Leases.Patch(k.c, key, func(l *apiserver.Lease) error {
			l.RenewTime, l.Steady = renew, steady
			return nil
		})
		require.NoError(k.w.t, err)
	}
	k.steady = steady
}

func (k *fakeKubelet) renewLease() {
	now := k.w.e.Now()
	if k.lazy {
		// back to steady at the first renewal after a change
		k.writeLease(now, true)
		k.base = now
		return
	}
	k.writeLease(now, false)
	_ = k.leaseT.Schedule(now + k.renew)
}

func (k *fakeKubelet) postStatus() {
	now := k.w.e.Now()
	if k.lazy && k.steady {
		return // virtual
	}
	k.writeStatus(now, false)
	k.statBase = now
	_ = k.statT.Schedule(now + k.report)
}

// unsteady materialises a steady kubelet's virtual writes at the current instant.
func (k *fakeKubelet) unsteady() {
	if !k.lazy || !k.steady || !k.running {
		return
	}
	now := k.w.e.Now()
	lastStatus := k.statBase + (now-k.statBase)/k.report*k.report
	if n, _ := k.w.s.Nodes.Peek(k.name); n.Condition(apiserver.NodeReady).LastHeartbeatTime < lastStatus {
		k.writeStatus(lastStatus, false)
	}
	k.statBase = lastStatus
	_ = k.statT.Schedule(lastStatus + k.report)
	last := k.base + (now-k.base)/k.renew*k.renew
	k.writeLease(last, false)
	_ = k.leaseT.Schedule(last + k.renew)
}

// Stop stops the kubelet right away (no more writes).
func (k *fakeKubelet) Stop() {
	k.unsteady()
	k.running = false
	k.leaseT.Stop()
	k.statT.Stop()
}

// SetReady makes the kubelet report Ready=status from now on.
func (k *fakeKubelet) SetReady(st apiserver.ConditionStatus) {
	k.unsteady()
	k.status = st
	if k.running {
		k.writeStatus(k.w.e.Now(), true)
	}
}

// text renders the trace's non-quiet records.
func text(t tb, recs []sim.Record) string {
	var b bytes.Buffer
	require.NoError(t, sim.WriteText(&b, recs))
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	if d := cmp.Diff(string(want), got); d != "" {
		t.Fatalf("%s differs (-want +got):\n%s", path, d)
	}
}

func match(r *sim.Record, kind string, kv []string) bool {
	if r.Kind != kind {
		return false
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if r.Str(kv[i]) != kv[i+1] {
			return false
		}
	}
	return true
}

// find returns the first record of kind matching every key=value pair, and false if none.
func find(recs []sim.Record, kind string, kv ...string) (sim.Record, bool) {
	for i := range recs {
		if match(&recs[i], kind, kv) {
			return recs[i], true
		}
	}
	return sim.Record{}, false
}

// findAll returns every record of kind matching every key=value pair.
func findAll(recs []sim.Record, kind string, kv ...string) []sim.Record {
	var out []sim.Record
	for i := range recs {
		if match(&recs[i], kind, kv) {
			out = append(out, recs[i])
		}
	}
	return out
}
