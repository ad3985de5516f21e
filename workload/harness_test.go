package workload

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// world is a small cluster built directly in Go: an API server, the workload
// components and a fake kubelet.
type world struct {
	t     testing.TB
	e     *sim.Engine
	tr    *sim.Trace
	s     *apiserver.Server
	c     *apiserver.Client
	rs    *ReplicaSetController
	dep   *DeploymentController
	ds    *DaemonSetController
	sched *Scheduler
	dis   *DisruptionController
	track *Tracker
	kub   *fakeKubelet
}

func newWorld(t testing.TB, seed uint64) *world {
	return newWorldWith(t, seed, DefaultSchedulerConfig())
}

// newWorldWith is newWorld with the scheduler configured by sc.
func newWorldWith(t testing.TB, seed uint64, sc SchedulerConfig) *world {
	e := sim.New(sim.WithSeed(seed))
	tr := sim.NewTrace(false)
	s := apiserver.New(e, tr, apiserver.DefaultConfig())
	w := &world{t: t, e: e, tr: tr, s: s, c: s.NewClient("kube-controller-manager", 30*time.Second)}
	var err error
	w.rs, err = NewReplicaSetController(s, w.c, ReplicaSetConfig{})
	require.NoError(t, err)
	w.dep, err = NewDeploymentController(s, w.c, DeploymentConfig{})
	require.NoError(t, err)
	w.ds, err = NewDaemonSetController(s, w.c, DaemonSetConfig{})
	require.NoError(t, err)
	w.sched, err = NewScheduler(s, s.NewClient("kube-scheduler", 30*time.Second), sc)
	require.NoError(t, err)
	w.dis, err = NewDisruptionController(s, w.c, DisruptionConfig{})
	require.NoError(t, err)
	w.dis.verify = true // every sync checks its kept pod sets against a walk
	w.track, err = NewTracker(s, s.NewClient("tracker", 30*time.Second), TrackerConfig{Trace: true})
	require.NoError(t, err)
	w.kub = newFakeKubelet(s)
	w.track.Start()
	w.rs.Start()
	w.dep.Start()
	w.ds.Start()
	w.sched.Start()
	w.dis.Start()
	return w
}

func (w *world) stop() {
	w.rs.Stop()
	w.dep.Stop()
	w.ds.Stop()
	w.sched.Stop()
	w.dis.Stop()
	w.track.Stop()
}

var defaultAllocatable = apiserver.Resources{MilliCPU: 4000, Memory: 8 << 30, Pods: 110}

// addNode registers a Ready node and, as the node lifecycle controller would once it
// sees it Ready, removes the not-ready:NoSchedule taint admission added.
func (w *world) addNode(name string, labels map[string]string) {
	l := map[string]string{apiserver.LabelHostname: name}
	for k, v := range labels {
		l[k] = v
	}
	now := w.s.Now()
	_, err := w.s.Nodes.Create(w.c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name, Labels: apiserver.NewLabels(l)},
		Capacity: defaultAllocatable, Allocatable: defaultAllocatable,
		Conditions: []apiserver.NodeCondition{{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: now, LastTransitionTime: now}}})
	require.NoError(w.t, err)
	_, err = w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error {
		n.Taints = removeTaint(n.Taints, taint.NotReadyNoSchedule)
		return nil
	})
	require.NoError(w.t, err)
}

func removeTaint(ts []taint.Taint, t taint.Taint) []taint.Taint {
	out := ts[:0:0]
	for _, x := range ts {
		if !x.MatchTaint(t) {
			out = append(out, x)
		}
	}
	return out
}

// nodeDies does what the node lifecycle controller does to a node it stops hearing
// from: Ready Unknown, the unreachable taints, and its pods marked not ready. The
// fake kubelet stops acting for it.
func (w *world) nodeDies(name string) {
	w.kub.dead[name] = true
	now := w.s.Now()
	_, err := w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error {
		c := n.Condition(apiserver.NodeReady)
		c.Status, c.Reason, c.LastTransitionTime = apiserver.ConditionUnknown, "NodeStatusUnknown", now
		n.Taints = append(n.Taints, taint.Taint{Key: taint.Unreachable, Effect: taint.NoSchedule},
			taint.Taint{Key: taint.Unreachable, Effect: taint.NoExecute, TimeAdded: now})
		return nil
	})
	require.NoError(w.t, err)
	for _, p := range w.podsOn(name) {
		_, err := w.s.Pods.Patch(w.c, p.Key(), func(x *apiserver.Pod) error {
			x.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, now)
			return nil
		})
		require.NoError(w.t, err)
	}
}

// taintEvict is the taint eviction controller's deletion of a pod: the
// DisruptionTarget condition, then a graceful DELETE with empty options.
func (w *world) taintEvict(podKey string) {
	now := w.s.Now()
	_, err := w.s.Pods.Patch(w.c, podKey, func(x *apiserver.Pod) error {
		x.SetCondition(apiserver.PodCondition{Type: apiserver.PodDisruptionTarget, Status: apiserver.ConditionTrue,
			Reason: "DeletionByTaintManager", Message: "Taint manager: deleting due to NoExecute taint"}, now)
		return nil
	})
	require.NoError(w.t, err)
	w.tr.Add(now, "PodEvicted", sim.S("pod", podKey), sim.S("node", w.podNode(podKey)), sim.S("reason", "TaintManagerEviction"))
	require.NoError(w.t, w.s.Pods.Delete(w.c, podKey, apiserver.DeleteOptions{}))
}

func (w *world) podNode(key string) string {
	p, _ := w.s.Pods.Peek(key)
	if p == nil {
		return ""
	}
	return p.NodeName
}

func (w *world) podsOn(node string) []*apiserver.Pod {
	var out []*apiserver.Pod
	w.s.Pods.Each(func(p *apiserver.Pod) {
		if p.NodeName == node {
			out = append(out, p)
		}
	})
	return out
}

func (w *world) at(t time.Duration, fn func()) {
	_, err := w.e.At(t, fn)
	require.NoError(w.t, err)
}

func (w *world) run(until time.Duration) { require.NoError(w.t, w.e.RunUntil(until)) }

func webDeployment(replicas int32) *apiserver.Deployment {
	return &apiserver.Deployment{
		ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
		Replicas:   replicas,
		Selector:   apiserver.LabelSelector{"app": "web"},
		Template: apiserver.PodTemplate{Labels: apiserver.NewLabels(map[string]string{"app": "web"}), Spec: apiserver.Pod{
			PodSpec: &apiserver.PodSpec{TerminationGracePeriodSeconds: 30, ReadinessDelay: 5 * time.Second, Requests: apiserver.Resources{MilliCPU: 500, Memory: 512 << 20}}}},
	}
}

// fakeKubelet turns bound pods Running, then Ready after their ReadinessDelay, and
// finishes graceful deletions after a second, for every node not marked dead.
type fakeKubelet struct {
	s    *apiserver.Server
	c    *apiserver.Client
	dead map[string]bool
}

func newFakeKubelet(s *apiserver.Server) *fakeKubelet {
	k := &fakeKubelet{s: s, c: s.NewClient("kubelet", 10*time.Second), dead: map[string]bool{}}
	s.Pods.Watch(k.c, 0, k.onPod)
	return k
}

func (k *fakeKubelet) onPod(ev apiserver.Event[*apiserver.Pod]) {
	p := ev.New
	if ev.Type == apiserver.Deleted || p.NodeName == "" || k.dead[p.NodeName] {
		return
	}
	key, uid, node := p.Key(), p.UID, p.NodeName
	switch {
	case p.Deleting && (ev.Old == nil || !ev.Old.Deleting):
		_, _ = k.s.Engine.After(time.Second, func() {
			if k.dead[node] {
				return
			}
			_ = k.s.Pods.Delete(k.c, key, apiserver.DeleteOptions{GracePeriodSeconds: taint.Seconds(0), UID: uid})
		})
	case !p.Deleting && p.Phase == apiserver.PodPending:
		_, _ = k.s.Pods.Patch(k.c, key, func(x *apiserver.Pod) error { x.Phase = apiserver.PodRunning; return nil })
		_, _ = k.s.Engine.After(p.ReadinessDelay, func() {
			cur, ok := k.s.Pods.Peek(key)
			if !ok || cur.UID != uid || cur.Deleting || k.dead[node] {
				return
			}
			_, _ = k.s.Pods.Patch(k.c, key, func(x *apiserver.Pod) error {
				x.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionTrue}, k.s.Now())
				return nil
			})
		})
	}
}

// golden compares the trace's text form with testdata/name.golden.
func golden(t *testing.T, name string, recs []sim.Record) {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, sim.WriteText(&b, recs))
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	if d := cmp.Diff(string(want), b.String()); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", path, d)
	}
}
