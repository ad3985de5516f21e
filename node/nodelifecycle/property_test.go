package nodelifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

type action struct {
	at   time.Duration
	node int
	kind int // 0 stop, 1 start, 2 Ready=False, 3 Ready=True
}

type clusterSpec struct {
	version int
	latency time.Duration
	zones   []int // zone index per node
	actions []action
	// excluded is 1 + the zone whose nodes carry node.kubernetes.io/exclude-disruption
	// (a zone with no counted node), or 0 for none
	excluded int
}

func genCluster(t *rapid.T) clusterSpec {
	maxNodes := 30
	if raceEnabled {
		maxNodes = 6
	}
	n := rapid.IntRange(1, maxNodes).Draw(t, "nodes")
	nz := rapid.IntRange(1, 3).Draw(t, "zones")
	spec := clusterSpec{
		version: rapid.SampledFrom([]int{31, 33, 34, 37}).Draw(t, "version"),
		latency: time.Duration(rapid.SampledFrom([]int{0, 0, 3}).Draw(t, "latencyMs")) * time.Millisecond,
	}
	for i := 0; i < n; i++ {
		spec.zones = append(spec.zones, rapid.IntRange(0, nz-1).Draw(t, "zone"))
	}
	na := rapid.IntRange(0, 3*n).Draw(t, "actions")
	for i := 0; i < na; i++ {
		spec.actions = append(spec.actions, action{
			// whole milliseconds plus 0.3 ms keep actions off the kubelets' 10 s grid
			at:   time.Duration(rapid.IntRange(1, 400_000).Draw(t, "atMs"))*time.Millisecond + 300*time.Microsecond,
			node: rapid.IntRange(0, n-1).Draw(t, "node"),
			kind: rapid.IntRange(0, 3).Draw(t, "kind"),
		})
	}
	// drawn last, so that the draws before keep their meaning
	if x := rapid.IntRange(0, 5).Draw(t, "excludedZone"); x < nz {
		spec.excluded = x + 1
	}
	return spec
}

// runReference runs the cluster with exact kubelets under the reference controller.
func runReference(t tb, spec clusterSpec) string {
	cfg := DefaultConfig(spec.version)
	cfg.WatchLatency = spec.latency
	w := newWorld(t, cfg)
	ref := newRef(w.s, w.s.NewClient("kube-controller-manager", 30*time.Second), cfg)
	startZoned(w, spec, false)
	w.run(time.Millisecond)
	ref.Start()
	schedule(w, spec)
	w.run(10 * time.Minute)
	return text(t, w.tr.Records())
}

func schedule(w *world, spec clusterSpec) {
	for _, a := range spec.actions {
		k := w.kl[fmt.Sprintf("n%02d", a.node)]
		a := a
		w.at(a.at, func() { kubeletAction(k, a.kind) })
	}
}

// kubeletAction does action kind 0 (stop), 1 (start), 2 (report NotReady) or 3
// (report Ready) to k; other kinds are the caller's.
func kubeletAction(k *fakeKubelet, kind int) {
	switch kind {
	case 0:
		if k.running {
			k.Stop()
		}
	case 1:
		if !k.running {
			k.Start()
		}
	case 2:
		k.SetReady(apiserver.ConditionFalse)
	case 3:
		k.SetReady(apiserver.ConditionTrue)
	}
}

// runCluster builds the cluster with exact or lazy kubelets and an exact or lazy controller
// and returns the (non-verbose) trace text.
func runCluster(t tb, spec clusterSpec, lazyKubelets, exactController bool) string {
	cfg := DefaultConfig(spec.version)
	cfg.WatchLatency = spec.latency
	cfg.Exact = exactController
	w := newWorld(t, cfg)
	startZoned(w, spec, lazyKubelets)
	w.run(time.Millisecond)
	w.nc.Start()
	schedule(w, spec)
	w.run(10 * time.Minute)
	return text(t, w.tr.Records())
}

// Lazy mode (steady kubelets, a controller that skips steady nodes) gives the same trace as
// the straightforward per-pass reference (every renewal written, every node visited every
// pass, a tick every 100 ms) and as the controller's own exact mode.
func TestLazyEqualsExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genCluster(t)
		exact := runReference(t, spec)
		if d := cmp.Diff(exact, runCluster(t, spec, false, true)); d != "" {
			t.Fatalf("version 1.%d latency %v zones %v actions %+v\nexact mode differs from the reference (-reference +exact):\n%s",
				spec.version, spec.latency, spec.zones, spec.actions, d)
		}
		lazy := runCluster(t, spec, true, false)
		if d := cmp.Diff(exact, lazy); d != "" {
			t.Fatalf("version 1.%d latency %v zones %v actions %+v\nlazy differs from exact (-exact +lazy):\n%s",
				spec.version, spec.latency, spec.zones, spec.actions, d)
		}
	})
}

// startZoned starts a kubelet n00, n01, … per entry of zones, labelled with zone
// "z<k>" (k = 0: the unlabelled zone ""), lazy or exact.
func startZoned(w *world, spec clusterSpec, lazy bool) {
	for i, z := range spec.zones {
		labels := map[string]string{apiserver.LabelZone: fmt.Sprintf("z%d", z)}
		if z == 0 {
			labels = nil
		}
		if z+1 == spec.excluded {
			if labels == nil {
				labels = map[string]string{}
			}
			labels[taint.ExcludeDisruptionLabel] = ""
		}
		w.kubelet(fmt.Sprintf("n%02d", i), labels, lazy).Start()
	}
}
