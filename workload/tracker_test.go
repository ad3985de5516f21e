package workload

import (
	"maps"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// trackerWorld is a server and a tracker with no controllers: the test writes pods
// and ReplicaSets itself.
type trackerWorld struct {
	t  *testing.T
	e  *sim.Engine
	s  *apiserver.Server
	c  *apiserver.Client
	tk *Tracker
}

func newTrackerWorld(t *testing.T) *trackerWorld {
	e := sim.New()
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	c := s.NewClient("test", 30*time.Second)
	tk, err := NewTracker(s, s.NewClient("tracker", 30*time.Second), TrackerConfig{})
	require.NoError(t, err)
	tk.Start()
	return &trackerWorld{t: t, e: e, s: s, c: c, tk: tk}
}

// settle delivers the pending watch events.
func (w *trackerWorld) settle() { require.NoError(w.t, w.e.RunUntil(w.e.Now()+time.Second)) }

// last is the workload's last sample once the pending events are delivered (false:
// none).
func (w *trackerWorld) last(wl string) (Sample, bool) {
	w.settle()
	ss := w.tk.Series(wl)
	if len(ss) == 0 {
		return Sample{}, false
	}
	return ss[len(ss)-1], true
}

func (w *trackerWorld) ready(wl string) int32 {
	if s, ok := w.last(wl); ok {
		return s.Ready
	}
	return -1
}

func (w *trackerWorld) createRS(name string, owner *apiserver.OwnerReference) *apiserver.ReplicaSet {
	rs := &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}, Replicas: 1}
	if owner != nil {
		rs.OwnerReferences = []apiserver.OwnerReference{*owner}
	}
	rs, err := w.s.ReplicaSets.Create(w.c, rs)
	require.NoError(w.t, err)
	return rs
}

func (w *trackerWorld) createPod(name string, ref apiserver.OwnerReference, ready bool) {
	p := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name,
		OwnerReferences: []apiserver.OwnerReference{ref}}, NodeName: "n"}
	_, err := w.s.Pods.Create(w.c, p)
	require.NoError(w.t, err)
	w.setReady(name, ready)
}

func (w *trackerWorld) patchPod(name string, fn func(p *apiserver.Pod)) {
	_, err := w.s.Pods.Patch(w.c, "default/"+name, func(p *apiserver.Pod) error { fn(p); return nil })
	require.NoError(w.t, err)
}

func (w *trackerWorld) setReady(name string, ready bool) {
	st := apiserver.ConditionFalse
	if ready {
		st = apiserver.ConditionTrue
	}
	w.patchPod(name, func(p *apiserver.Pod) {
		p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: st}, w.s.Now())
	})
}

func (w *trackerWorld) deletePod(name string) {
	require.NoError(w.t, w.s.Pods.Delete(w.c, "default/"+name, apiserver.DeleteOptions{GracePeriodSeconds: new(int64)}))
}

// A pod counts for the workload it was first seen in until it is deleted, whatever
// happens to its controller reference or its ReplicaSet later.
func TestTrackerPodKeepsFirstWorkload(t *testing.T) {
	w := newTrackerWorld(t)
	web := w.createRS("web", &apiserver.OwnerReference{Kind: KindDeployment, Name: "web", UID: 1000, Controller: true})
	ref := controllerRef(KindReplicaSet, &web.ObjectMeta)
	w.createPod("web-a", ref, true)
	w.createPod("web-b", ref, true)
	require.Equal(t, int32(2), w.ready("deployment/default/web"))

	// released by its controller, web-a still counts for the Deployment
	w.patchPod("web-a", func(p *apiserver.Pod) { p.OwnerReferences = nil })
	require.Equal(t, int32(2), w.ready("deployment/default/web"))
	w.setReady("web-a", false)
	require.Equal(t, int32(1), w.ready("deployment/default/web"))
	w.setReady("web-a", true)
	require.Equal(t, int32(2), w.ready("deployment/default/web"))
	w.deletePod("web-a")
	require.Equal(t, int32(1), w.ready("deployment/default/web"))

	// a pod whose ReplicaSet the tracker has not seen counts for the ReplicaSet by
	// name, and keeps doing so once a ReplicaSet of that name shows up
	w.createPod("old-a", apiserver.OwnerReference{Kind: KindReplicaSet, Name: "old", UID: 999, Controller: true}, true)
	require.Equal(t, int32(1), w.ready("replicaset/default/old"))
	old := w.createRS("old", &apiserver.OwnerReference{Kind: KindDeployment, Name: "old", UID: 1001, Controller: true})
	w.createPod("old-b", controllerRef(KindReplicaSet, &old.ObjectMeta), true)
	require.Equal(t, int32(1), w.ready("replicaset/default/old"))
	require.Equal(t, int32(1), w.ready("deployment/default/old"))
	w.setReady("old-a", false)
	require.Equal(t, int32(0), w.ready("replicaset/default/old"))
	require.Equal(t, int32(1), w.ready("deployment/default/old"))
	// adopted by the new ReplicaSet, it still counts for the old name
	w.patchPod("old-a", func(p *apiserver.Pod) {
		p.OwnerReferences = []apiserver.OwnerReference{controllerRef(KindReplicaSet, &old.ObjectMeta)}
	})
	w.setReady("old-a", true)
	require.Equal(t, int32(1), w.ready("replicaset/default/old"))
	require.Equal(t, int32(1), w.ready("deployment/default/old"))
	w.deletePod("old-a")
	require.Equal(t, int32(0), w.ready("replicaset/default/old"))

	// a pod without a controller counts for nothing until one adopts it
	w.createPod("bare", apiserver.OwnerReference{Kind: "Node", Name: "n", UID: 5}, true)
	w.patchPod("bare", func(p *apiserver.Pod) { p.OwnerReferences = []apiserver.OwnerReference{ref} })
	require.Equal(t, int32(2), w.ready("deployment/default/web"))

	// Stop and Start again: the pods listed anew are not counted twice, a pod
	// created meanwhile is counted, one deleted meanwhile is not
	w.tk.Stop()
	w.createPod("web-c", ref, true)
	w.deletePod("bare")
	w.settle()
	w.tk.Start()
	require.Equal(t, int32(2), w.ready("deployment/default/web"))
	w.setReady("web-b", false)
	require.Equal(t, int32(1), w.ready("deployment/default/web"))
	w.deletePod("web-c")
	require.Equal(t, int32(0), w.ready("deployment/default/web"))
}

// refContributions is the tracker's bookkeeping before it derived contributions from
// the versions it saw: a map of every counted pod's first workload and readiness.
type refContributions struct {
	t     *Tracker
	podWl map[string]podContribution
	ready map[string]int32
	// seen is the last version of each pod listed or delivered, to check that the
	// watch, started with the list, continues it: each event replaces what was seen
	seen map[string]*apiserver.Pod
	fail func(format string, args ...any)
}

func (r *refContributions) onPod(ev apiserver.Event[*apiserver.Pod]) {
	p := ev.New
	key := p.Key()
	switch last, ok := r.seen[key]; {
	case ev.Type == apiserver.Added && ok,
		ev.Type == apiserver.Modified && (!ok || last != ev.Old),
		ev.Type == apiserver.Deleted && (!ok || last != ev.New):
		var lastRV uint64
		if ok {
			lastRV = last.ResourceVersion
		}
		r.fail("%s of %s (rv %d) after rv %d (seen %v)", ev.Type, key, p.ResourceVersion, lastRV, ok)
	}
	if ev.Type == apiserver.Deleted {
		delete(r.seen, key)
	} else {
		r.seen[key] = p
	}
	old, had := r.podWl[key]
	var now podContribution
	if ev.Type != apiserver.Deleted {
		if had {
			now.wl = old.wl
		} else if ref, ok := p.ControllerRef(); ok {
			now.wl, _ = r.t.workloadOf(p, ref)
		}
		now.ready = p.IsReady() && !p.Deleting
	}
	if had && old == now {
		return
	}
	if had && old.ready {
		r.ready[old.wl]--
	}
	if ev.Type == apiserver.Deleted || now.wl == "" {
		delete(r.podWl, key)
		return
	}
	r.podWl[key] = now
	if now.ready {
		r.ready[now.wl]++
	}
}

// The tracker's ready counts equal those of a per-pod map of first workloads, through
// ReplicaSets deleted and recreated, pods whose controller is unknown, released or
// adopted, terminating, deleted and recreated under the same name, and restarts
// (after which both count afresh from the pods listed).
func TestPropertyTrackerContributions(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := sim.New()
		s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
		c := s.NewClient("test", 30*time.Second)
		lat := time.Duration(rapid.SampledFrom([]int{0, 50}).Draw(rt, "latencyMs")) * time.Millisecond
		tk, err := NewTracker(s, s.NewClient("tracker", 30*time.Second), TrackerConfig{WatchLatency: lat})
		if err != nil {
			rt.Fatal(err)
		}
		ref := &refContributions{t: tk, fail: rt.Fatalf}
		// the reference sees what the tracker sees: a list, then a watch with its
		// client and latency; and an informer of ReplicaSets shows what the tracker's
		// owners of ReplicaSets must be
		var refWatch *apiserver.Watch
		var refRS *apiserver.Informer[*apiserver.ReplicaSet]
		checkOwners := func() {
			want := map[string]string{}
			for _, rs := range refRS.List() {
				want[rs.Key()] = deploymentOf(rs)
			}
			if !maps.Equal(want, tk.rsOwner) {
				rt.Fatalf("owners of ReplicaSets: %v, want %v", tk.rsOwner, want)
			}
		}
		start := func() {
			tk.Start()
			refRS = apiserver.NewInformer(s.ReplicaSets, tk.c, lat)
			ref.podWl, ref.ready, ref.seen = map[string]podContribution{}, map[string]int32{}, map[string]*apiserver.Pod{}
			s.Pods.Each(func(p *apiserver.Pod) {
				ref.onPod(apiserver.Event[*apiserver.Pod]{Type: apiserver.Added, New: p})
			})
			refWatch = s.Pods.Watch(tk.c, lat, ref.onPod)
		}
		start()
		rsNames := []string{"r1", "r2"}
		podNames := []string{"a", "b", "c", "d"}
		ownerRef := func() []apiserver.OwnerReference {
			switch rapid.IntRange(0, 4).Draw(rt, "ref") {
			case 0:
				return nil
			case 1:
				return []apiserver.OwnerReference{{Kind: KindReplicaSet, Name: "gone", UID: 999, Controller: true}}
			case 2:
				return []apiserver.OwnerReference{{Kind: KindDaemonSet, Name: "ds", UID: 998, Controller: true}}
			}
			rs, ok := s.ReplicaSets.Peek("default/" + rapid.SampledFrom(rsNames).Draw(rt, "rs"))
			if !ok {
				return []apiserver.OwnerReference{{Kind: KindReplicaSet, Name: "r1", UID: 997, Controller: true}}
			}
			return []apiserver.OwnerReference{controllerRef(KindReplicaSet, &rs.ObjectMeta)}
		}
		stopped := false
		for range rapid.IntRange(1, 50).Draw(rt, "steps") {
			pod := "default/" + rapid.SampledFrom(podNames).Draw(rt, "pod")
			switch rapid.IntRange(0, 8).Draw(rt, "op") {
			case 0:
				name := rapid.SampledFrom(rsNames).Draw(rt, "rs")
				rs := &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name}, Replicas: 2}
				if rapid.Bool().Draw(rt, "owned") {
					rs.OwnerReferences = []apiserver.OwnerReference{{Kind: KindDeployment, Name: "d-" + name, UID: 1000, Controller: true}}
				}
				_, _ = s.ReplicaSets.Create(c, rs)
			case 1:
				_ = s.ReplicaSets.Delete(c, "default/"+rapid.SampledFrom(rsNames).Draw(rt, "rs"), apiserver.DeleteOptions{})
			case 2:
				_, _ = s.Pods.Create(c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: pod[len("default/"):],
					OwnerReferences: ownerRef()}, NodeName: "n"})
			case 3:
				st := apiserver.ConditionFalse
				if rapid.Bool().Draw(rt, "ready") {
					st = apiserver.ConditionTrue
				}
				_, _ = s.Pods.Patch(c, pod, func(p *apiserver.Pod) error {
					p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: st}, s.Now())
					return nil
				})
			case 4:
				refs := ownerRef()
				_, _ = s.Pods.Patch(c, pod, func(p *apiserver.Pod) error { p.OwnerReferences = refs; return nil })
			case 5:
				grace := int64(rapid.SampledFrom([]int{0, 30}).Draw(rt, "grace"))
				_ = s.Pods.Delete(c, pod, apiserver.DeleteOptions{GracePeriodSeconds: &grace})
			case 6:
				if stopped {
					start()
				} else {
					tk.Stop()
					refWatch.Stop()
					refRS.Stop()
				}
				stopped = !stopped
			case 7:
				if err := e.RunUntil(e.Now() + time.Duration(rapid.IntRange(0, 100).Draw(rt, "waitMs"))*time.Millisecond); err != nil {
					rt.Fatal(err)
				}
				if !stopped {
					checkOwners()
				}
			case 8:
				// a ReplicaSet adopted by a Deployment, or released
				var refs []apiserver.OwnerReference
				if rapid.Bool().Draw(rt, "adopt") {
					refs = []apiserver.OwnerReference{{Kind: KindDeployment, Name: "d-" + rapid.SampledFrom([]string{"x", "y"}).Draw(rt, "d"), UID: 1001, Controller: true}}
				}
				_, _ = s.ReplicaSets.Patch(c, "default/"+rapid.SampledFrom(rsNames).Draw(rt, "rs"), func(rs *apiserver.ReplicaSet) error {
					rs.OwnerReferences = refs
					return nil
				})
			}
		}
		if stopped {
			start()
		}
		if err := e.RunUntil(e.Now() + time.Minute); err != nil {
			rt.Fatal(err)
		}
		checkOwners()
		for _, wl := range tk.Workloads() {
			if got, want := tk.series[wl].ready, ref.ready[wl]; got != want {
				rt.Fatalf("%s: %d ready, want %d", wl, got, want)
			}
		}
		for wl, n := range ref.ready {
			if s := tk.series[wl]; n != 0 && (s == nil || s.ready != n) {
				rt.Fatalf("%s: want %d ready, the tracker has %v", wl, n, s)
			}
		}
	})
}

// desired is the workload's last desired count (-1: no sample).
func (w *trackerWorld) desired(wl string) int32 {
	if s, ok := w.last(wl); ok {
		return s.Desired
	}
	return -1
}

// A scale of a Deployment, a bare ReplicaSet or a DaemonSet's desired count is
// recorded; the workloads' status writes, which leave those counts, record nothing.
func TestTrackerDesiredFollowsScale(t *testing.T) {
	w := newTrackerWorld(t)
	_, err := w.s.Deployments.Create(w.c, &apiserver.Deployment{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "d"}, Replicas: 2})
	require.NoError(t, err)
	w.createRS("bare", nil)
	_, err = w.s.DaemonSets.Create(w.c, &apiserver.DaemonSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "ds"}, DesiredNumberScheduled: 3})
	require.NoError(t, err)
	require.Equal(t, int32(2), w.desired("deployment/default/d"))
	require.Equal(t, int32(1), w.desired("replicaset/default/bare"))
	require.Equal(t, int32(3), w.desired("daemonset/default/ds"))
	samples := len(w.tk.Series("deployment/default/d"))

	// status writes: nothing recorded
	_, err = w.s.Deployments.Patch(w.c, "default/d", func(d *apiserver.Deployment) error { d.ReadyReplicas = 1; return nil })
	require.NoError(t, err)
	w.settle()
	require.Len(t, w.tk.Series("deployment/default/d"), samples)

	_, err = w.s.Deployments.Patch(w.c, "default/d", func(d *apiserver.Deployment) error { d.Replicas = 5; return nil })
	require.NoError(t, err)
	_, err = w.s.ReplicaSets.Patch(w.c, "default/bare", func(r *apiserver.ReplicaSet) error { r.Replicas = 4; return nil })
	require.NoError(t, err)
	_, err = w.s.DaemonSets.Patch(w.c, "default/ds", func(d *apiserver.DaemonSet) error { d.DesiredNumberScheduled = 6; return nil })
	require.NoError(t, err)
	require.Equal(t, int32(5), w.desired("deployment/default/d"))
	require.Equal(t, int32(4), w.desired("replicaset/default/bare"))
	require.Equal(t, int32(6), w.desired("daemonset/default/ds"))
}

// A DaemonSet's counts are its status's numberReady and desiredNumberScheduled: its
// pods' readiness alone changes nothing (the controller counts only a qualifying
// node's oldest pod), so ready never exceeds desired because a pod runs on a node
// that no longer qualifies.
func TestTrackerDaemonSetFromStatus(t *testing.T) {
	w := newTrackerWorld(t)
	ds, err := w.s.DaemonSets.Create(w.c, &apiserver.DaemonSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "ds"}, DesiredNumberScheduled: 3, NumberReady: 3})
	require.NoError(t, err)
	require.Equal(t, int32(3), w.ready("daemonset/default/ds"))
	ref := controllerRef(KindDaemonSet, &ds.ObjectMeta)
	w.createPod("ds-a", ref, true)
	w.settle()
	require.Equal(t, int32(3), w.ready("daemonset/default/ds"), "a ready pod the status does not count")
	_, err = w.s.DaemonSets.Patch(w.c, "default/ds", func(d *apiserver.DaemonSet) error { d.DesiredNumberScheduled, d.NumberReady = 2, 2; return nil })
	require.NoError(t, err)
	w.settle()
	require.Equal(t, int32(2), w.ready("daemonset/default/ds"))
	require.Equal(t, int32(2), w.desired("daemonset/default/ds"))
	n := len(w.tk.Series("daemonset/default/ds"))
	w.setReady("ds-a", false)
	require.Len(t, w.tk.Series("daemonset/default/ds"), n, "pods record nothing for a DaemonSet")
	// a restart lists the status, not the pods
	w.tk.Stop()
	w.tk.Start()
	require.Equal(t, int32(2), w.ready("daemonset/default/ds"))
}

// A workload that starts at 0 of 0 (nothing asked for yet) has not settled: its first
// rollout is not a disruption (an audit, session 15, found 0 of 0 counted as whole).
func TestSummarizeSettlesOnlyWithReplicas(t *testing.T) {
	s := Summarize("deployment/default/web", []Sample{
		{T: 0, Ready: 0, Desired: 0},
		{T: 30 * time.Second, Ready: 0, Desired: 4},
		{T: 31 * time.Second, Ready: 4, Desired: 4},
		{T: 60 * time.Second, Ready: 3, Desired: 4},
		{T: 61 * time.Second, Ready: 4, Desired: 4},
	}, 100*time.Second)
	require.True(t, s.Settled)
	require.Equal(t, 31*time.Second, s.FirstFullyReady)
	require.Equal(t, int32(3), s.MinReady)
	require.Equal(t, time.Second, s.BelowDesired)
	require.Len(t, s.Disruptions, 1)
}
