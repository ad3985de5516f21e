package workload

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// DaemonSetConfig configures the DaemonSet controller.
type DaemonSetConfig struct {
	// WatchLatency is how long after a change its informers see it.
	WatchLatency time.Duration
	// Rand is the stream pod name suffixes are drawn from; nil means
	// sim.NewRand(seed, "daemonset-controller").
	Rand *sim.Rand
}

// DaemonSetController runs one pod of each DaemonSet on every eligible node
// (pkg/controller/daemon/daemon_controller.go). Pods are created with spec.nodeName
// set (see the package documentation for why).
type DaemonSetController struct {
	s    *apiserver.Server
	c    *apiserver.Client
	cfg  DaemonSetConfig
	rand *sim.Rand

	dsInf   *apiserver.Informer[*apiserver.DaemonSet]
	nodeInf *apiserver.Informer[*apiserver.Node]
	podInf  *apiserver.Informer[*apiserver.Pod]
	q       *workQueue

	state     map[string]*dsState // by DaemonSet key
	expCreate map[string]string   // pair key → pod key created, not yet seen
	expDelete map[string]bool     // pod keys deleted, not yet seen terminating
	// failedBackoff is upstream's failedPodsBackoff (1 s doubling to 15 min per
	// DaemonSet and node): a node that keeps failing its daemon pod (a kubelet that
	// rejects pods while shutting down) is retried after the backoff, not at once.
	failedBackoff map[string]failedBackoff
	started       bool
}

type failedBackoff struct{ delay, until time.Duration }

// Upstream's failedPodsBackoff bounds (pkg/controller/daemon: BackoffGCInterval,
// flowcontrol.NewBackOff(1*time.Second, 15*time.Minute)).
const (
	failedPodsBackoffInitial = time.Second
	failedPodsBackoffMax     = 15 * time.Minute
)

type dsState struct {
	uid     uint64
	tmpl    *apiserver.Pod // template pod with the DaemonSet tolerations
	tmplRV  uint64
	nodes   map[string]uint8 // bit 1: should run; bit 2: has a ready pod
	desired int32
	ready   int32
	// the status last written, so that a stale informer copy does not cause the
	// same write twice
	wrote          bool
	wDesired, wRdy int32
}

const (
	dsShouldRun = 1 << iota
	dsReady
)

const indexOwnerNode = "controllerUID|nodeName"

// NewDaemonSetController builds a stopped DaemonSet controller.
func NewDaemonSetController(s *apiserver.Server, c *apiserver.Client, cfg DaemonSetConfig) (*DaemonSetController, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewDaemonSetController needs a server and a client")
	}
	if cfg.WatchLatency < 0 {
		return nil, fmt.Errorf("workload: DaemonSetConfig.WatchLatency %v is negative; it must be zero or positive", cfg.WatchLatency)
	}
	r := cfg.Rand
	if r == nil {
		r = sim.NewRand(s.Engine.Seed(), "daemonset-controller")
	}
	return &DaemonSetController{s: s, c: c, cfg: cfg, rand: r}, nil
}

// Start lists and watches DaemonSets, nodes and pods and syncs every DaemonSet.
func (dc *DaemonSetController) Start() {
	if dc.started {
		return
	}
	dc.started = true
	dc.state, dc.expCreate, dc.expDelete, dc.failedBackoff = map[string]*dsState{}, map[string]string{}, map[string]bool{}, map[string]failedBackoff{}
	dc.q = newWorkQueue(dc.s.Engine, dc.sync)
	dc.dsInf = apiserver.NewInformer(dc.s.DaemonSets, dc.c, dc.cfg.WatchLatency)
	dc.nodeInf = apiserver.NewInformer(dc.s.Nodes, dc.c, dc.cfg.WatchLatency)
	dc.podInf = apiserver.NewInformer(dc.s.Pods, dc.c, dc.cfg.WatchLatency)
	dc.podInf.AddIndex(indexOwnerNode, func(p *apiserver.Pod) string {
		if v := ownerIndexValue(&p.ObjectMeta); v != "" {
			return v + "|" + p.NodeName
		}
		return ""
	})
	dc.dsInf.AddHandler(func(ev apiserver.Event[*apiserver.DaemonSet]) {
		if ev.Type == apiserver.Deleted {
			delete(dc.state, ev.New.Key())
			return
		}
		dc.q.add(ev.New.Key())
	})
	dc.nodeInf.AddHandler(dc.onNode)
	dc.podInf.AddHandler(dc.onPod)
	for _, k := range dc.dsInf.Keys() {
		dc.q.add(k)
	}
}

// Stop ends the watches and cancels every timer.
func (dc *DaemonSetController) Stop() {
	if !dc.started {
		return
	}
	dc.started = false
	dc.q.stop()
	dc.dsInf.Stop()
	dc.nodeInf.Stop()
	dc.podInf.Stop()
}

func (dc *DaemonSetController) onNode(ev apiserver.Event[*apiserver.Node]) {
	if ev.Type == apiserver.Modified && !nodeSchedulingChanged(ev.Old, ev.New) {
		return
	}
	for _, k := range dc.dsInf.Keys() {
		dc.q.add(k + "|" + ev.New.Name)
	}
}

func (dc *DaemonSetController) onPod(ev apiserver.Event[*apiserver.Pod]) {
	p := ev.New
	ref, ok := p.ControllerRef()
	if !ok || ref.Kind != KindDaemonSet {
		return
	}
	pk := p.Key()
	pair := nsKey(p.Namespace, ref.Name) + "|" + p.NodeName
	if dc.expCreate[pair] == pk {
		delete(dc.expCreate, pair)
	}
	if ev.Type == apiserver.Deleted || p.Deleting {
		delete(dc.expDelete, pk)
	}
	dc.q.add(pair)
}

func (dc *DaemonSetController) sync(item string) error {
	dsKey, node, pair := item, "", strings.Contains(item, "|")
	if pair {
		i := strings.LastIndexByte(item, '|')
		dsKey, node = item[:i], item[i+1:]
	}
	ds, ok := dc.dsInf.Get(dsKey)
	if !ok || ds.Deleting {
		return nil
	}
	st := dc.state[dsKey]
	if st == nil || st.uid != ds.UID {
		st = &dsState{uid: ds.UID, nodes: map[string]uint8{}}
		dc.state[dsKey] = st
	}
	if st.tmpl == nil || st.tmplRV != ds.ResourceVersion {
		st.tmpl, st.tmplRV = daemonPodTemplate(ds), ds.ResourceVersion
	}
	var err error
	if pair {
		err = dc.syncNode(ds, st, node)
	} else {
		for _, n := range dc.nodeInf.Keys() {
			if e := dc.syncNode(ds, st, n); e != nil && err == nil {
				err = e
			}
		}
		var gone []string
		for n := range st.nodes {
			if _, ok := dc.nodeInf.Get(n); !ok {
				gone = append(gone, n)
			}
		}
		sort.Strings(gone)
		for _, n := range gone {
			dc.setNodeState(st, n, 0)
		}
	}
	if e := dc.updateStatus(ds, st); err == nil {
		err = e
	}
	return err
}

// daemonPodTemplate is the pod a DaemonSet's pods are stamped from: its template
// with the DaemonSet tolerations added (no name, no owner, no node yet).
func daemonPodTemplate(ds *apiserver.DaemonSet) *apiserver.Pod {
	t := podFromTemplate(&ds.Template, ds.Namespace, "", apiserver.OwnerReference{})
	t.Tolerations = taint.DaemonSetTolerations(t.Tolerations, t.HostNetwork)
	return t
}

// NodeShouldRunDaemonPod is upstream's decision for one node and a DaemonSet's pod
// (with the DaemonSet tolerations already added): shouldRun when the pod's
// nodeName (if set), nodeSelector and required node affinity match the node and
// every NoSchedule and NoExecute taint is tolerated; shouldContinueRunning also when
// the only untolerated taints are NoSchedule.
func NodeShouldRunDaemonPod(p *apiserver.Pod, n *apiserver.Node, cmpOps bool) (shouldRun, shouldContinueRunning bool) {
	if p.NodeName != "" && p.NodeName != n.Name {
		return false, false
	}
	if !MatchesNodeSelector(p.NodeSelector, n.Labels) || !MatchesNodeSelectorTerms(p.RequiredNodeAffinity, n.Labels) {
		return false, false
	}
	if _, bad := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, noScheduleOrExecute, cmpOps); bad {
		_, badExec := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, func(t taint.Taint) bool { return t.Effect == taint.NoExecute }, cmpOps)
		return false, !badExec
	}
	return true, true
}

func (dc *DaemonSetController) setNodeState(st *dsState, node string, v uint8) {
	old := st.nodes[node]
	if old&dsShouldRun != 0 {
		st.desired--
	}
	if old&dsReady != 0 {
		st.ready--
	}
	if v == 0 {
		delete(st.nodes, node)
		return
	}
	st.nodes[node] = v
	if v&dsShouldRun != 0 {
		st.desired++
	}
	if v&dsReady != 0 {
		st.ready++
	}
}

func (dc *DaemonSetController) syncNode(ds *apiserver.DaemonSet, st *dsState, node string) error {
	n, ok := dc.nodeInf.Get(node)
	if !ok {
		dc.setNodeState(st, node, 0) // the node's pods are left to pod GC
		return nil
	}
	shouldRun, shouldContinue := NodeShouldRunDaemonPod(st.tmpl, n, dc.s.Config.ComparisonOperators)
	pods := dc.podInf.ByIndex(indexOwnerNode, uidKey(ds.UID)+"|"+node)
	var running, toDelete, failed []*apiserver.Pod
	terminating := 0
	for _, p := range pods {
		switch {
		case p.Deleting:
			terminating++
		case p.Phase == apiserver.PodFailed:
			failed = append(failed, p) // failed daemon pods are deleted and replaced, with backoff
		case p.Phase == apiserver.PodSucceeded:
		default:
			running = append(running, p)
		}
	}
	sort.SliceStable(running, func(i, j int) bool {
		if running[i].CreationTimestamp != running[j].CreationTimestamp {
			return running[i].CreationTimestamp < running[j].CreationTimestamp
		}
		return running[i].Name < running[j].Name
	})
	var v uint8
	if shouldRun {
		v |= dsShouldRun
		if len(running) > 0 && running[0].IsReady() {
			v |= dsReady
		}
	}
	dc.setNodeState(st, node, v)
	pair := ds.Key() + "|" + node
	if len(failed) > 0 {
		now := dc.s.Now()
		b := dc.failedBackoff[pair]
		if now < b.until {
			dc.q.addAfter(pair, b.until-now)
			return nil
		}
		switch {
		case b.delay == 0:
			b.delay = failedPodsBackoffInitial
		case b.delay < failedPodsBackoffMax:
			b.delay = min(2*b.delay, failedPodsBackoffMax)
		}
		b.until = now + b.delay
		dc.failedBackoff[pair] = b
		toDelete = append(toDelete, failed...)
	}
	if _, waiting := dc.expCreate[pair]; waiting {
		return nil
	}
	switch {
	case !shouldContinue:
		toDelete = append(toDelete, running...)
	case len(running) > 1:
		toDelete = append(toDelete, running[1:]...) // keep the oldest
	case len(running) == 0 && shouldRun && terminating == 0:
		// Upstream counts terminating daemon pods as existing (podsShouldBeOnNode:
		// exists := len(daemonPods) > 0): a replacement waits until the old pod is
		// gone, so a pod the taint eviction controller deletes at once is not
		// recreated in a storm.
		if err := dc.createPod(ds, st, node, pair); err != nil {
			return err
		}
	}
	for _, p := range toDelete {
		pk := p.Key()
		if dc.expDelete[pk] {
			continue
		}
		dc.expDelete[pk] = true
		if err := dc.s.Pods.Delete(dc.c, pk, apiserver.DeleteOptions{UID: p.UID}); err != nil {
			delete(dc.expDelete, pk)
			if !apiserver.IsNotFound(err) && !apiserver.IsConflict(err) {
				dc.c.TraceError("delete", "pods", err)
				return err
			}
		}
	}
	return nil
}

func (dc *DaemonSetController) createPod(ds *apiserver.DaemonSet, st *dsState, node, pair string) error {
	owner := controllerRef(KindDaemonSet, &ds.ObjectMeta)
	var err error
	for range 10 {
		p := st.tmpl.DeepCopy()
		p.ObjectMeta = apiserver.ObjectMeta{Namespace: ds.Namespace, Name: generateName(ds.Name+"-", dc.rand),
			Labels: copyLabels(ds.Template.Labels), OwnerReferences: []apiserver.OwnerReference{owner}}
		p.NodeName = node
		var created *apiserver.Pod
		if created, err = dc.s.Pods.Create(dc.c, p); err == nil {
			dc.expCreate[pair] = created.Key()
			return nil
		}
		if !apiserver.IsAlreadyExists(err) {
			break
		}
	}
	dc.c.TraceError("create", "pods", err)
	return err
}

func (dc *DaemonSetController) updateStatus(ds *apiserver.DaemonSet, st *dsState) error {
	desired, ready := st.desired, st.ready
	if (ds.DesiredNumberScheduled == desired && ds.NumberReady == ready) || (st.wrote && st.wDesired == desired && st.wRdy == ready) {
		return nil
	}
	st.wrote, st.wDesired, st.wRdy = true, desired, ready
	_, err := dc.s.DaemonSets.Patch(dc.c, ds.Key(), func(x *apiserver.DaemonSet) error {
		x.DesiredNumberScheduled, x.NumberReady = desired, ready
		return nil
	})
	if apiserver.IsNotFound(err) {
		return nil
	}
	dc.c.TraceError("patch", "daemonsets", err)
	return err
}
