package scenariotest_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
	"github.com/nodesim/nodesim/sim"
)

// first returns the first record of kind whose attributes match kv.
func first(t *testing.T, recs []sim.Record, kind string, kv ...string) sim.Record {
	t.Helper()
next:
	for _, r := range recs {
		if r.Kind != kind {
			continue
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if r.Str(kv[i]) != kv[i+1] {
				continue next
			}
		}
		return r
	}
	t.Fatalf("no %s record with %v", kind, kv)
	return sim.Record{}
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

// TestInvariantRegressions runs the scenarios in testdata/regressions: each is a case
// the property suite once reported, where the trace shows what upstream's controllers
// do (checked against shared/oracle, the real v1.31/v1.37 controllers) and the
// invariant was the one to correct. Every invariant must hold on them, and the trace must
// still show the upstream behaviour the invariant has to allow.
func TestInvariantRegressions(t *testing.T) {
	const (
		notReadyNE = "node.kubernetes.io/not-ready:NoExecute"
		unreachNE  = "node.kubernetes.io/unreachable:NoExecute"
	)
	cases := []struct {
		file string
		show func(t *testing.T, recs []sim.Record)
	}{
		{
			// Property: NoNoExecuteWhileAllZonesFullyDisrupted (after ~670 random cases).
			// Zone "" loses its only counted node; the excluded node-3 that registers
			// NotReady next is tainted although zone ""'s last state was FullDisruption:
			// a zone without counted nodes is outside zoneStates, so master disruption
			// mode does not stop its tainter.
			"excluded-zone-after-last-counted-node-deleted.yaml",
			func(t *testing.T, recs []sim.Record) {
				require.Equal(t, secs(7.1), first(t, recs, "TaintAdded", "node", "node-3", "taint", notReadyNE).T)
			},
		},
		{
			// The same with two zones: zone-a is FullDisruption (the only zone in
			// zoneStates), zone-b has only an excluded node, which is tainted at boot.
			"excluded-zone-while-other-zone-fully-disrupted.yaml",
			func(t *testing.T, recs []sim.Record) {
				full := first(t, recs, "ZoneState", "zone", "zone-a", "to", "FullDisruption")
				taint := first(t, recs, "TaintAdded", "node", "node-1", "taint", notReadyNE)
				require.Less(t, full.T, taint.T)
			},
		},
		{
			// Property: NoExecuteRateLimited. A zone of excluded nodes gets a new tainter
			// (full bucket) at every monitor pass, so its taints come one pass (5 s)
			// apart, not 1/nodeEvictionRate (10 s). Oracle, v1.31, --phase-seed 5: 66.9 s
			// and 72.0 s.
			"excluded-zone-taints-per-pass.yaml",
			func(t *testing.T, recs []sim.Record) {
				a := first(t, recs, "TaintAdded", "node", "node-2", "taint", unreachNE)
				b := first(t, recs, "TaintAdded", "node", "node-1", "taint", unreachNE)
				require.Equal(t, 5*time.Second, b.T-a.T)
			},
		},
		{
			// Property: state machine (deleteNode after the NoExecute taint). The taint
			// eviction controller forgets a deleted node but not the evictions it has
			// scheduled: the pod goes tolerationSeconds (20 s) after the taint. Oracle,
			// v1.37: taint 53.4 s, node deleted 62 s, eviction 73.4 s.
			"eviction-survives-node-deletion.yaml",
			func(t *testing.T, recs []sim.Record) {
				taint := first(t, recs, "TaintAdded", "node", "node-0", "taint", unreachNE)
				del := first(t, recs, "NodeDeleted", "node", "node-0")
				ev := first(t, recs, "PodEvicted", "pod", "default/p", "reason", "TaintManagerEviction")
				require.Less(t, del.T, ev.T)
				require.Equal(t, 20*time.Second, ev.T-taint.T)
			},
		},
		{
			// Property: state machine (powerOn + partition swap unreachable for
			// not-ready). processPodOnNode keeps an eviction already scheduled: the pod,
			// which tolerates unreachable for 20 s and not-ready for 300 s, still goes
			// 20 s after the unreachable taint. Oracle, v1.31: taint 48.4 s, swap
			// 53.4 s, eviction 68.4 s.
			"eviction-kept-across-taint-swap.yaml",
			func(t *testing.T, recs []sim.Record) {
				taint := first(t, recs, "TaintAdded", "node", "node-0", "taint", unreachNE)
				swap := first(t, recs, "TaintAdded", "node", "node-0", "taint", notReadyNE)
				ev := first(t, recs, "PodEvicted", "pod", "default/p", "reason", "TaintManagerEviction")
				require.Less(t, swap.T, ev.T)
				require.Equal(t, 20*time.Second, ev.T-taint.T)
			},
		},
		{
			// Property: NoReRegistrationWithoutRestart (after ~1,500 random cases). node-9's
			// kubelet is started before its machine boots, registers, is deleted and
			// stopped; the boot used to start the kubelet again whatever came before. The
			// scenario's boot model now lets an earlier action on the kubelet replace the
			// boot (scenario.TestEarlyActionsReplaceTheBoot), so node-9 registers once.
			"boot-start-after-early-actions.yaml",
			nil,
		},
		{
			// Property: DrainsRespectPDB (verbose, after ~350 random cases). The
			// Deployment is scaled to 0 as the drain starts: the drain's first eviction is
			// refused (minAvailable 1), the ReplicaSet controller deletes the pod (no
			// record of its own), and the retry 5 s later evicts it, because the eviction
			// API does not apply budgets to a terminating pod (canIgnorePDB). Scale and
			// drain at 4 s, not 3 s as found: in 1.31 the pod, tried before any node
			// registered, waits in the backoff queue for the 1 s flush tick after its
			// backoff (bound at 2.01 s, Ready at 3.02 s), where a node added used to
			// move it at once.
			"drain-evicts-pod-deleted-by-scale-down.yaml",
			func(t *testing.T, recs []sim.Record) {
				refused := first(t, recs, "EvictionRefused", "node", "node-0")
				ev := first(t, recs, "PodEvicted", "reason", "Drain")
				require.Equal(t, 5*time.Second, ev.T-refused.T)
			},
		},
		{
			// Property: DrainsRespectPDB (rate-limited generator, 20,000 cases). Pod
			// GC's deletion of the orphaned replica (Failed, still Ready) and the
			// drain's eviction of its replacement come at one instant: the budget's
			// status still counts the deleted pod, and allows the eviction.
			"drain-after-podgc-delete-same-instant.yaml",
			func(t *testing.T, recs []sim.Record) {
				del := first(t, recs, "PodEvicted", "reason", "PodGC", "pod", "default/web-1-97459c9bd-rcvxt")
				ev := first(t, recs, "PodEvicted", "reason", "Drain", "pod", "default/web-1-97459c9bd-bcgmr")
				require.Equal(t, secs(62), del.T)
				require.Equal(t, secs(62), ev.T)
				require.Equal(t, secs(61.01), first(t, recs, "PodReady", "pod", "default/web-1-97459c9bd-bcgmr", "to", "True").T)
			},
		},
		{
			// Property: DrainsRespectPDB (rate-limited generator, 2,000 cases). The
			// ReplicaSet's scale-down deletes the newest Ready pod, one created after
			// the scale while a slow sync's creations waited for client tokens; the
			// drain evicts that terminating pod without the budget, and is refused
			// the others.
			"drain-evicts-newest-pod-deleted-by-scale-down.yaml",
			func(t *testing.T, recs []sim.Record) {
				require.Equal(t, secs(8), first(t, recs, "PodCreated", "pod", "default/web-1-97459c9bd-xf4wx").T)
				require.Equal(t, secs(101), first(t, recs, "PodEvicted", "reason", "Drain", "pod", "default/web-1-97459c9bd-xf4wx").T)
				require.Equal(t, secs(101), first(t, recs, "EvictionRefused", "node", "node-1").T)
			},
		},
		{
			// Property: DrainsRespectPDB (running start, in a 3,000-case run). The
			// cluster starts out running: web-0's restored pod on node-0 is Ready with
			// no PodReady record. Its replacement turns Ready at 3.1 s, so at the drain
			// two are healthy and minAvailable 1 allows one eviction (the new pod); the
			// restored one is refused. The invariant now counts restored pods as Ready.
			"running-start-drain-pdb.yaml",
			func(t *testing.T, recs []sim.Record) {
				first(t, recs, "PodEvicted", "reason", "Drain", "pod", "default/web-0-6fdfff795b-bcgmr")
				first(t, recs, "EvictionRefused", "node", "node-0")
			},
		},
		{
			// Property: NoEarlyTaintEviction (rate-limited generator). Immediate work
			// cannot be cancelled: a taint removed and added back while the first
			// DELETE waits marks the pods again, and each pod is DELETEd twice.
			"taint-eviction-marked-again-while-delete-waits.yaml",
			func(t *testing.T, recs []sim.Record) {
				n := 0
				for _, r := range recs {
					if r.Kind == "PodEvicted" && r.Str("pod") == "default/a" {
						n++
						require.Greater(t, r.T, secs(13)) // after the taint the pod tolerates forever
					}
				}
				require.Equal(t, 2, n)
			},
		},
		{
			// Property: PodGCDeletionJustified (rate-limited generator, 6,052 cases). Pod
			// GC decides on its GET of the node, before node-0 registers; its PATCH and
			// DELETE wait for tokens and come after.
			"podgc-orphans-deleted-after-node-registers.yaml",
			func(t *testing.T, recs []sim.Record) {
				reg := first(t, recs, "NodeRegistered", "node", "node-0")
				ev := first(t, recs, "PodEvicted", "pod", "default/pod-1", "reason", "PodGC")
				require.Equal(t, secs(40.1), reg.T)
				require.Equal(t, secs(48), ev.T)
			},
		},
		{
			// Property: DrainsRespectPDB (rate-limited generator, 2,167 cases). A pod
			// the kubelet kills in a graceful shutdown is not deleted: still Ready, the
			// budget counts it, and the drain evicts the other replica at once.
			"drain-during-graceful-shutdown.yaml",
			func(t *testing.T, recs []sim.Record) {
				killed := first(t, recs, "PodEvicted", "reason", "NodeShutdown")
				drained := first(t, recs, "PodEvicted", "reason", "Drain")
				require.Equal(t, time.Duration(0), drained.T)
				require.Equal(t, time.Second, first(t, recs, "PodReady", "pod", killed.Str("pod"), "to", "False").T)
			},
		},
		{
			// Property: lazy equals exact (running start). The cordon reaches the node
			// lifecycle controller in an outage: its unschedulable:NoSchedule patch fails
			// and is not requeued (doNodeProcessingPassWorker), so the taint comes with
			// the next Node update, the kubelet's status report at 46.4 s. Oracle with a
			// failing node PATCH added to its harness, v1.31 and v1.37: the taint at the
			// next status post, not when the outage ends.
			"cordon-during-outage.yaml",
			func(t *testing.T, recs []sim.Record) {
				require.Equal(t, secs(46.371282155), first(t, recs, "TaintAdded", "node", "node-2", "taint", "node.kubernetes.io/unschedulable:NoSchedule").T)
			},
		},
		{
			// A zone emptied by deleting its last node does not start master disruption
			// mode: the other zone, FullDisruption, keeps tainting (the oracle agrees).
			"zone-emptied-by-delete.yaml",
			func(t *testing.T, recs []sim.Record) {
				require.Equal(t, secs(50.1), first(t, recs, "TaintAdded", "node", "node-0", "taint", "node.kubernetes.io/unreachable:NoExecute").T)
			},
		},
		{
			// Review of the kubelet's pod-status reconcile: a kubelet restarted behind a
			// partition caches the statuses its failing writes carried, so an evicted
			// pod is never set Ready again by the held versions delivered at the heal.
			"restarts-partitions-reconcile.yaml",
			func(t *testing.T, recs []sim.Record) {
				evicted, onA0 := map[string]bool{}, 0
				for i := range recs {
					r := &recs[i]
					switch {
					case r.Kind == "PodEvicted" && r.Str("reason") == "TaintManagerEviction":
						evicted[r.Str("pod")] = true
						if r.Str("node") == "a-0" {
							onA0++
						}
					case r.Kind == "PodReady" && r.Str("to") == "True":
						require.False(t, evicted[r.Str("pod")], "%s set Ready after its eviction, at %v", r.Str("pod"), r.T)
					}
				}
				// PodTopologySpread spreads the eight replicas over the nodes up at 5 s
				require.Len(t, evicted, 4, "the four web pods in zone a")
				require.Equal(t, 1, onA0, "one of them on a-0, the kubelet restarted behind the partition")
			},
		},
		{
			// Review of the controller's client limit: entering master disruption mode
			// untaints the nodes as the pass listed them. With the monitor pass's eight
			// workers a-0 is marked and tainted by the pass before, and a-1 by the pass
			// that finds the zone FullDisruption: a-1's NoExecute taint landed during
			// that pass, so it stays and a-1's pods are evicted, while a-0's listed copy
			// carries its taint, which goes.
			"master-disruption-untaints-listed-copies.yaml",
			func(t *testing.T, recs []sim.Record) {
				full := first(t, recs, "ZoneState", "zone", "a", "to", "FullDisruption")
				marked := first(t, recs, "NodeCondition", "node", "a-1", "type", "Ready", "to", "Unknown")
				taint := first(t, recs, "TaintAdded", "node", "a-1", "taint", unreachNE)
				require.Less(t, marked.T, taint.T)
				require.Less(t, taint.T, full.T)
				removed := first(t, recs, "TaintRemoved", "node", "a-0", "taint", unreachNE)
				require.Equal(t, full.T, removed.T)
				for _, r := range recs {
					require.False(t, r.Kind == "TaintRemoved" && r.Str("node") == "a-1" && r.Str("taint") == unreachNE, "a-1 untainted at %v", r.T)
					require.False(t, r.Kind == "PodEvicted" && r.Str("node") == "a-0", "%s evicted at %v", r.Str("pod"), r.T)
				}
				first(t, recs, "PodEvicted", "pod", "default/q0", "reason", "TaintManagerEviction")
				first(t, recs, "PodEvicted", "pod", "default/q1", "reason", "TaintManagerEviction")
			},
		},
		{
			// Property: NoExecuteRateLimited (rate-limited generator, fail file
			// ...-20261128064907-10402). A new process's first pass removes node-1's
			// not-ready:NoExecute (markNodeAsReachable of the nodes it sees first), then
			// its visit swaps in unreachable:NoExecute from the listed copy with no zone
			// token; the client limit puts 5 s between the two. node-2's taint, the new
			// tainter's first, lands 1 s after node-1's.
			"failover-swap-after-reachable.yaml",
			func(t *testing.T, recs []sim.Record) {
				leader := recs[0]
				for _, r := range recs {
					if r.Kind == "Leader" {
						leader = r
					}
				}
				require.Equal(t, secs(61.310178708), leader.T)
				removed := first(t, recs, "TaintRemoved", "node", "node-1", "taint", notReadyNE)
				swapped := first(t, recs, "TaintAdded", "node", "node-1", "taint", unreachNE)
				queued := first(t, recs, "TaintAdded", "node", "node-2", "taint", unreachNE)
				require.Equal(t, leader.T+3*time.Second, removed.T)
				require.Equal(t, leader.T+8*time.Second, swapped.T)
				require.Equal(t, leader.T+9*time.Second, queued.T)
			},
		},
		{
			// Property: NoNoExecuteWhileAllZonesFullyDisrupted (rate-limited generator,
			// 20,000 cases). A new leader's zones start Initial: its first pass enters
			// master disruption mode anew, with its tick's swap of node-1 in flight.
			"failover-master-disruption-swap-in-flight.yaml",
			func(t *testing.T, recs []sim.Record) {
				var full []time.Duration
				for _, r := range recs {
					if r.Kind == "ZoneState" && r.Str("to") == "FullDisruption" {
						full = append(full, r.T)
					}
				}
				require.Equal(t, []time.Duration{secs(45.175), secs(70.310178708), secs(70.310178708)}, full)
				var taints []time.Duration
				for _, r := range recs {
					if r.Kind == "TaintAdded" && r.Str("node") == "node-1" && r.Str("taint") == unreachNE {
						taints = append(taints, r.T)
					}
				}
				require.Equal(t, []time.Duration{secs(50.175), secs(73.310178708)}, taints)
			},
		},
		{
			// Property: NoNoExecuteWhileAllZonesFullyDisrupted (rate-limited generator,
			// 20,000 cases). A monitor pass weighs the zones of the nodes it listed at
			// its start: zone-b's node-3, deleted at 56 s, still holds zone-b Normal in
			// the pass whose writes (waiting for client tokens) end at 56.055 s; the next
			// pass drops it (RemovingNode) without entering master disruption mode, and
			// zone-a goes on tainting.
			"zone-dropped-after-pass-listed-it.yaml",
			func(t *testing.T, recs []sim.Record) {
				require.Equal(t, secs(56), first(t, recs, "NodeDeleted", "node", "node-3").T)
				require.Equal(t, secs(56.055), first(t, recs, "ZoneState", "zone", "zone-a", "from", "Normal", "to", "FullDisruption").T)
				require.Equal(t, secs(61.06), first(t, recs, "Event", "object", "node/node-3", "reason", "RemovingNode").T)
				require.Equal(t, secs(71.66), first(t, recs, "TaintAdded", "node", "node-7", "taint", unreachNE).T)
			},
		},
		{
			// The same with v1.31 and a 1 s monitor period (node-4 of zone-b deleted at
			// 55 s, weighed by the pass that writes at 55.24 s, dropped at 56.245 s).
			"zone-dropped-after-pass-listed-it-v131.yaml",
			func(t *testing.T, recs []sim.Record) {
				require.Equal(t, secs(55), first(t, recs, "NodeDeleted", "node", "node-4").T)
				require.Equal(t, secs(55.24), first(t, recs, "ZoneState", "zone", "zone-a", "from", "Normal", "to", "FullDisruption").T)
				require.Equal(t, secs(56.245), first(t, recs, "Event", "object", "node/node-4", "reason", "RemovingNode").T)
				require.Equal(t, secs(63.34), first(t, recs, "TaintAdded", "node", "node-2", "taint", unreachNE).T)
			},
		},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			sc, err := scenario.Load(filepath.Join("testdata", "regressions", c.file))
			require.NoError(t, err)
			for _, verbose := range []bool{false, true} {
				res, err := scenario.Run(sc, scenario.RunOptions{Verbose: verbose})
				require.NoError(t, err)
				require.NoError(t, scenariotest.CheckAll(res))
				if c.show != nil {
					c.show(t, res.Records())
				}
			}
		})
	}
}

// TestRegressionsLazyEqualsExact runs every scenario in testdata/regressions in lazy and
// in exact mode: the traces must be identical (docs/ARCHITECTURE.md, the steady-state
// contract), whatever the case was found for.
func TestRegressionsLazyEqualsExact(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "regressions", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := scenario.Load(f)
			require.NoError(t, err)
			lazy, err := scenario.Run(sc, scenario.RunOptions{})
			require.NoError(t, err)
			exact, err := scenario.Run(sc, scenario.RunOptions{Exact: true})
			require.NoError(t, err)
			if lazy.Digest() != exact.Digest() {
				var a, b strings.Builder
				require.NoError(t, lazy.WriteText(&a))
				require.NoError(t, exact.WriteText(&b))
				require.Equal(t, b.String(), a.String(), "lazy trace (actual) differs from exact (expected)")
			}
		})
	}
}
