package workload

import (
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/stretchr/testify/require"
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

func (w *trackerWorld) ready(wl string) int32 {
	w.settle()
	ss := w.tk.Series(wl)
	if len(ss) == 0 {
		return -1
	}
	return ss[len(ss)-1].Ready
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

	// Stop and Start again: the pods listed anew are not counted twice, and a pod
	// created meanwhile is counted
	w.tk.Stop()
	w.createPod("web-c", ref, true)
	w.settle()
	w.tk.Start()
	require.Equal(t, int32(3), w.ready("deployment/default/web"))
	w.setReady("web-b", false)
	require.Equal(t, int32(2), w.ready("deployment/default/web"))
	w.deletePod("bare")
	w.deletePod("web-c")
	require.Equal(t, int32(0), w.ready("deployment/default/web"))
}
