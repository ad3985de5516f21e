package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// bareReplicaSet is a ReplicaSet without a Deployment, its pods small enough for
// hundreds per node.
func bareReplicaSet(name string, replicas, minReadySeconds int32) *apiserver.ReplicaSet {
	return &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name},
		Replicas: replicas, Selector: apiserver.LabelSelector{"app": name}, MinReadySeconds: minReadySeconds,
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": name}), Spec: apiserver.Pod{
			PodSpec: &apiserver.PodSpec{TerminationGracePeriodSeconds: 30, ReadinessDelay: 2 * time.Second, Requests: apiserver.Resources{MilliCPU: 10, Memory: 1 << 20}}}}}
}

// rsOutcome is what a run shows of the ReplicaSet controller: the whole trace, the
// pods and the ReplicaSets' statuses at the end, with resourceVersions (one more or
// one fewer write anywhere shifts them).
type rsOutcome struct {
	Trace []sim.Record
	Pods  []string
	RSs   []string
}

func (w *world) rsOutcome() rsOutcome {
	var o rsOutcome
	o.Trace = w.tr.Records()
	w.s.Pods.Each(func(p *apiserver.Pod) {
		ref, _ := p.ControllerRef()
		o.Pods = append(o.Pods, fmt.Sprintf("%s rv=%d owner=%s/%d node=%s phase=%s deleting=%v ready=%v",
			p.Key(), p.ResourceVersion, ref.Name, ref.UID, p.NodeName, p.Phase, p.Deleting, p.IsReady()))
	})
	w.s.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) {
		o.RSs = append(o.RSs, fmt.Sprintf("%s uid=%d rv=%d replicas=%d status=%d/%d/%d", rs.Key(), rs.UID, rs.ResourceVersion,
			rs.Replicas, rs.StatusReplicas, rs.ReadyReplicas, rs.AvailableReplicas))
	})
	return o
}

// checkRSCounts requires every ReplicaSet's counts to be what a walk over its pods
// in the informer gives, at the instant and minReadySeconds they were counted at.
func (w *world) checkRSCounts(t require.TestingT) {
	rc := w.rs
	for _, rs := range rc.rsInf.List() {
		c := rc.counts[rs.UID]
		if c == nil {
			continue
		}
		want := rsCounts{minReady: c.minReady, at: c.at}
		rc.podInf.EachByIndex(indexOwner, rc.uids.of(rs.UID), func(p *apiserver.Pod) { want.account(p, 1) })
		got := *c
		if got.stale { // the earliest pending instant may be lower than the true one
			require.LessOrEqual(t, got.pendingMin, want.pendingMin, rs.Key())
			got.pendingMin, got.stale = want.pendingMin, false
		}
		if got.pending == 0 {
			got.pendingMin = want.pendingMin
		}
		require.Equal(t, want, got, "counts of %s", rs.Key())
	}
}

// After one pod changes, a sync of its ReplicaSet visits no pod: the status comes from
// the counts, and so does the number of replacements to create; forced to list the
// pods, it visits every one and does the same.
func TestReplicaSetSyncAfterOnePodChange(t *testing.T) {
	const replicas = 300
	run := func(full bool) (rsOutcome, [3]int) {
		w := newWorld(t, 1)
		w.rs.fullSync = full
		for i := range 3 {
			w.addNode(fmt.Sprintf("n%d", i), nil)
		}
		_, err := w.s.ReplicaSets.Create(w.c, bareReplicaSet("web", replicas, 0))
		require.NoError(t, err)
		w.run(30 * time.Second)
		rs, _ := w.s.ReplicaSets.Peek("default/web")
		require.Equal(t, [3]int32{replicas, replicas, replicas}, [3]int32{rs.StatusReplicas, rs.ReadyReplicas, rs.AvailableReplicas})
		pod := func(i int) string {
			var keys []string
			w.s.Pods.Each(func(p *apiserver.Pod) { keys = append(keys, p.Key()) })
			return keys[i]
		}
		var visits [3]int
		// One pod goes unready: the status drops to 299 ready.
		w.rs.podVisits = 0
		w.at(40*time.Second, func() {
			_, err := w.s.Pods.Patch(w.c, pod(17), func(p *apiserver.Pod) error {
				p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, w.s.Now())
				return nil
			})
			require.NoError(t, err)
		})
		w.run(45 * time.Second)
		rs, _ = w.s.ReplicaSets.Peek("default/web")
		require.Equal(t, int32(replicas-1), rs.ReadyReplicas)
		visits[0] = w.rs.podVisits
		// One pod is deleted: a replacement is created.
		w.rs.podVisits = 0
		w.at(50*time.Second, func() { require.NoError(t, w.s.Pods.Delete(w.c, pod(42), apiserver.DeleteOptions{})) })
		w.run(60 * time.Second)
		rs, _ = w.s.ReplicaSets.Peek("default/web")
		require.Equal(t, int32(replicas), rs.StatusReplicas)
		visits[1] = w.rs.podVisits
		// One replica fewer: which pod to delete needs the list.
		w.rs.podVisits = 0
		w.at(70*time.Second, func() {
			_, err := w.s.ReplicaSets.Patch(w.c, "default/web", func(x *apiserver.ReplicaSet) error { x.Replicas--; return nil })
			require.NoError(t, err)
		})
		w.run(90 * time.Second)
		rs, _ = w.s.ReplicaSets.Peek("default/web")
		require.Equal(t, int32(replicas-1), rs.StatusReplicas)
		visits[2] = w.rs.podVisits
		w.checkRSCounts(t)
		w.stop()
		return w.rsOutcome(), visits
	}
	inc, incVisits := run(false)
	full, fullVisits := run(true)
	t.Logf("pods visited (unready, deleted, scaled down): %v incremental, %v listing every pod", incVisits, fullVisits)
	require.Equal(t, full, inc, "the trace does not depend on whether syncs list the pods")
	require.Equal(t, 0, incVisits[0], "a pod going unready")
	require.Equal(t, 0, incVisits[1], "a pod deleted and replaced")
	require.GreaterOrEqual(t, incVisits[2], replicas, "a scale-down lists the pods")
	require.GreaterOrEqual(t, fullVisits[0], replicas)
	require.GreaterOrEqual(t, fullVisits[1], replicas)
}

// rsEvent is one change a property run applies at a time.
type rsEvent struct {
	At  time.Duration
	Op  int
	Pod int
	N   int
}

func (w *world) applyRSEvent(ev rsEvent, nodes *int) {
	t := w.t
	var pods []*apiserver.Pod
	w.s.Pods.Each(func(p *apiserver.Pod) { pods = append(pods, p) })
	var p *apiserver.Pod
	if len(pods) > 0 {
		p = pods[ev.Pod%len(pods)]
	}
	rsName := []string{"a", "b"}[ev.N%2]
	now := w.s.Now()
	patchPod := func(fn func(x *apiserver.Pod)) {
		if p == nil {
			return
		}
		_, err := w.s.Pods.Patch(w.c, p.Key(), func(x *apiserver.Pod) error { fn(x); return nil })
		require.NoError(t, err)
	}
	patchRS := func(fn func(x *apiserver.ReplicaSet)) {
		_, err := w.s.ReplicaSets.Patch(w.c, "default/"+rsName, func(x *apiserver.ReplicaSet) error { fn(x); return nil })
		if err != nil && !apiserver.IsNotFound(err) {
			require.NoError(t, err)
		}
	}
	switch ev.Op {
	case 0: // unready
		patchPod(func(x *apiserver.Pod) {
			x.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, now)
		})
	case 1: // ready now, or ready since N seconds ago
		patchPod(func(x *apiserver.Pod) {
			x.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}, now)
			x.Condition(apiserver.PodReady).LastTransitionTime = max(0, now-time.Duration(ev.N%13)*time.Second)
		})
	case 2:
		if p != nil && !p.Deleting {
			require.NoError(t, w.s.Pods.Delete(w.c, p.Key(), apiserver.DeleteOptions{}))
		}
	case 3:
		if p != nil {
			require.NoError(t, w.s.Pods.Delete(w.c, p.Key(), apiserver.DeleteOptions{GracePeriodSeconds: taint.Seconds(0)}))
		}
	case 4:
		patchPod(func(x *apiserver.Pod) { x.Phase = apiserver.PodFailed })
	case 5:
		patchRS(func(x *apiserver.ReplicaSet) { x.Replicas = int32(ev.N % 7) })
	case 6:
		patchRS(func(x *apiserver.ReplicaSet) { x.MinReadySeconds = []int32{0, 1, 3, 10}[ev.N%4] })
	case 7: // orphaned
		patchPod(func(x *apiserver.Pod) { x.OwnerReferences = nil })
	case 8: // adopted by the other ReplicaSet, or by none that exists
		rs, ok := w.s.ReplicaSets.Peek("default/" + rsName)
		patchPod(func(x *apiserver.Pod) {
			uid := uint64(999_999)
			if ok {
				uid = rs.UID
			}
			x.OwnerReferences = []apiserver.OwnerReference{{Kind: KindReplicaSet, Name: rsName, UID: uid, Controller: true}}
		})
	case 9:
		if p != nil && p.NodeName != "" && !w.kub.dead[p.NodeName] {
			w.nodeDies(p.NodeName)
		}
	case 10:
		w.addNode(fmt.Sprintf("m%d", *nodes), nil)
		*nodes++
	case 11: // the ReplicaSet is deleted (its pods stay), or created again with a new UID
		if _, ok := w.s.ReplicaSets.Peek("default/" + rsName); ok {
			require.NoError(t, w.s.ReplicaSets.Delete(w.c, "default/"+rsName, apiserver.DeleteOptions{}))
		} else {
			_, err := w.s.ReplicaSets.Create(w.c, bareReplicaSet(rsName, int32(ev.N%5), int32(ev.N%3)))
			require.NoError(t, err)
		}
	case 12: // the Ready condition's transition time moves while it stays True
		patchPod(func(x *apiserver.Pod) {
			if c := x.Condition(apiserver.PodReady); c != nil && c.Status == apiserver.ConditionTrue {
				c.LastTransitionTime = max(0, c.LastTransitionTime-time.Duration(ev.N%5)*time.Second)
			}
		})
	default: // the ReplicaSet changes, not its replicas (as its status writes do)
		patchRS(func(x *apiserver.ReplicaSet) {
			x.Labels = apiserver.NewLabels(map[string]string{"touched": fmt.Sprint(ev.At)})
		})
	}
}

// A ReplicaSet synced from counts behaves exactly as one whose every sync lists its
// pods, whatever happens to pods and ReplicaSets: same trace, same pods, same
// statuses; and the counts always match the pods.
func TestPropertyReplicaSetIncrementalSync(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		nodes := rapid.IntRange(1, 3).Draw(rt, "nodes")
		replicas := rapid.SliceOfN(rapid.Int32Range(0, 6), 2, 2).Draw(rt, "replicas")
		minReady := rapid.SliceOfN(rapid.SampledFrom([]int32{0, 0, 1, 3, 10}), 2, 2).Draw(rt, "minReadySeconds")
		// Changes often meet in one instant or one batch of syncs (1 ms apart), or
		// around the instants pods become available.
		gaps := []time.Duration{0, 0, time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 10 * time.Second}
		events := rapid.SliceOfN(rapid.Custom(func(rt *rapid.T) rsEvent {
			return rsEvent{
				At:  rapid.SampledFrom(gaps).Draw(rt, "gap"),
				Op:  rapid.IntRange(0, 15).Draw(rt, "op"),
				Pod: rapid.IntRange(0, 20).Draw(rt, "pod"),
				N:   rapid.IntRange(0, 100).Draw(rt, "n"),
			}
		}), 1, 40).Draw(rt, "events")
		at := time.Second
		for i := range events {
			at += events[i].At
			events[i].At = at
		}
		seed := rapid.Uint64().Draw(rt, "seed")
		version := rapid.SampledFrom([]int{31, 33, 37}).Draw(rt, "version")

		run := func(full bool) rsOutcome {
			w := newWorld(t, seed)
			w.rs.cfg.Version = version // (read at each sync; nothing has synced yet)
			w.rs.fullSync = full
			n := nodes
			for i := range nodes {
				w.addNode(fmt.Sprintf("n%d", i), nil)
			}
			for i, name := range []string{"a", "b"} {
				_, err := w.s.ReplicaSets.Create(w.c, bareReplicaSet(name, replicas[i], minReady[i]))
				require.NoError(rt, err)
			}
			for _, ev := range events {
				w.at(ev.At, func() {
					w.applyRSEvent(ev, &n)
					if !full {
						w.checkRSCounts(rt)
					}
				})
			}
			w.run(at + 60*time.Second)
			if !full {
				w.checkRSCounts(rt)
			}
			w.stop()
			return w.rsOutcome()
		}
		full := run(true)
		inc := run(false)
		require.Equal(rt, full, inc)
	})
}

// A sync from counts allocates nothing.
func TestReplicaSetCountedSyncAllocs(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("n0", nil)
	_, err := w.s.ReplicaSets.Create(w.c, bareReplicaSet("web", 50, 0))
	require.NoError(t, err)
	w.run(30 * time.Second)
	require.NotNil(t, w.rs.counts[w.mustRS("default/web").UID])
	w.rs.podVisits = 0
	allocs := testing.AllocsPerRun(10, func() { require.NoError(t, w.rs.sync("default/web")) })
	require.Zero(t, allocs)
	require.Zero(t, w.rs.podVisits)
	w.stop()
}

func (w *world) mustRS(key string) *apiserver.ReplicaSet {
	rs, ok := w.rs.rsInf.Get(key)
	require.True(w.t, ok, key)
	return rs
}
