package workload

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// DaemonSetConfig configures the DaemonSet controller.
type DaemonSetConfig struct {
	// WatchLatency is how long after a change its informers see it.
	WatchLatency time.Duration
	// Informers, when set and serving the controller's client and WatchLatency, is the
	// shared informer factory of the controller's process: the controller takes its
	// informers from it and does not stop them (nil: informers of its own).
	Informers *apiserver.Informers
	// Rand is the stream pod name suffixes are drawn from; nil means
	// sim.NewRand(seed, "daemonset-controller").
	Rand *sim.Rand
	// RateLimit is the client-side rate limit of the controller's own clientset
	// (kube-controller-manager's --kube-api-qps and --kube-api-burst; 20 and 30 in
	// DefaultDaemonSetConfig). Every pod POST and DELETE, every status write (and GET
	// after a conflict) and every Event the controller writes waits for a token
	// (package flowcontrol; Events the spam filter skips are not written). The zero
	// value is no limit.
	RateLimit flowcontrol.RateLimit
	// EventsRand draws the event writer's first retry sleep after a failed Event
	// write (nil: half of flowcontrol.EventRetrySleep).
	EventsRand *sim.Rand
	// ConcurrentSyncs is --concurrent-daemonset-syncs: how many DaemonSets may have a
	// sync waiting for tokens at once (0: ConcurrentDaemonSetSyncs). A sync that
	// finds its tokens takes no time and holds no worker.
	ConcurrentSyncs int
	// Version is the Kubernetes minor version (31…37); zero is the latest, 37. It
	// decides which node events queue a DaemonSet (see DaemonSetController.onNode).
	Version int
}

// Minor versions whose DaemonSet controller handles node events differently.
const (
	// DaemonSetNodeUpdateQueueVersion is the first minor version whose node handlers
	// only queue the node's name and whose node worker (syncNodeUpdate) queues a
	// DaemonSet when the node should run a pod it does not have, or has one it should
	// no longer run (v1.33.0 daemon_controller.go 662–690, 1429–1476; PR #130514).
	// Before it, a DaemonSet is queued when the node's (shouldRun,
	// shouldContinueRunning) changed, or on the node's addition when it should run
	// (v1.31.0 645–684).
	DaemonSetNodeUpdateQueueVersion = 33
	// DaemonSetMisscheduledRequeueVersion is the first minor version whose node worker
	// also queues a DaemonSet that has a pod on the node while its status counts pods
	// misscheduled (v1.37.2 1531–1588; PR #132477, in 1.35.0 and back-ported to
	// 1.34 and 1.33 patch releases after their .0).
	DaemonSetMisscheduledRequeueVersion = 35
	// daemonSetLatestVersion is what a zero DaemonSetConfig.Version means.
	daemonSetLatestVersion = 37
)

// DefaultDaemonSetConfig is the controller's configuration in a default
// kube-controller-manager.
func DefaultDaemonSetConfig() DaemonSetConfig {
	return DaemonSetConfig{RateLimit: flowcontrol.ControllerManager}
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
	// shared: the informers are the factory's (see the config's Informers); run numbers
	// the Starts, so that handlers left on a shared informer by an earlier run do nothing
	shared bool
	run    uint64
	q      *workQueue

	state     map[string]*dsState // by DaemonSet key
	expCreate map[string]string   // pair key → pod key created, not yet seen
	expDelete map[string]bool     // pod keys deleted, not yet seen terminating
	// failedBackoff is upstream's failedPodsBackoff (1 s doubling to 15 min per
	// DaemonSet and node): a node that keeps failing its daemon pod (a kubelet that
	// rejects pods while shutting down) is retried after the backoff, not at once.
	failedBackoff map[string]failedBackoff
	started       bool

	// byUID finds a DaemonSet's state from its pods' controller reference.
	byUID map[uint64]*dsState
	// scratch space of syncNode and sync, reused so that a sync allocates nothing
	// per node
	running, failed, toDelete []*apiserver.Pod
	pairBuf                   []byte
	names                     []string

	// fullSync (tests only) makes every sync of a whole DaemonSet visit every node,
	// as before syncs were incremental; nodeSyncs counts syncNode calls.
	fullSync  bool
	nodeSyncs int

	dsClient // the controller's clientset: see daemonset_client.go
}

// failedBackoff is one flowcontrol.Backoff entry: the current delay and when it was
// last stepped. An entry not stepped for twice the maximum starts again at the
// initial delay (Backoff.hasExpired).
type failedBackoff struct{ delay, last time.Duration }

// Upstream's failedPodsBackoff bounds (pkg/controller/daemon: BackoffGCInterval,
// flowcontrol.NewBackOff(1*time.Second, 15*time.Minute)).
const (
	failedPodsBackoffInitial = time.Second
	failedPodsBackoffMax     = 15 * time.Minute
)

// dsState is what the controller keeps of one DaemonSet between syncs.
//
// A sync of the whole DaemonSet (its key in the queue: the DaemonSet changed, which
// includes every status write of this controller, or the controller started) visits
// only the nodes whose result may differ from the one kept in nodes: the dirty
// nodes. A node is dirty from the moment one of the inputs of syncNode for it
// changes (its Node is added, deleted or changes in a way nodeSchedulingChanged
// reports, which covers all NodeShouldRunDaemonPod reads: name, labels, taints; a
// pod of the DaemonSet on the node is added, changes or is deleted) until a syncNode
// for it takes no action. A node event that upstream's handlers would not queue the
// DaemonSet for (onNode) also leaves the node stale: upstream's next sync of the
// DaemonSet, whatever queued it, recomputes every node, so every sync here, one of a
// node key too, visits the stale nodes. A syncNode that acts (creates or deletes a pod, waits for
// a failed pod's backoff, fails) leaves the node dirty, so that the next sync of the
// whole DaemonSet calls it again, as a sync over every node would. Every node is dirty (allDirty) when the state is new or the pod template
// (with the DaemonSet tolerations) or the comparison operators gate changed.
//
// The other inputs of syncNode need no marking: expCreate and expDelete entries go
// only through syncNode itself (an action) or a pod event (which marks the pair);
// the failed-pod backoff and the clock matter only while a node has failed pods
// that are not being deleted, and such a node acts on every syncNode. A node that
// took no action, with unchanged inputs, would take none again and keep its result
// (nodes[node]); so the status computed from the kept results and the actions taken
// are those of a sync over every node, in the same node order.
type dsState struct {
	uid      uint64
	tmpl     *apiserver.Pod // template pod with the DaemonSet tolerations
	tmplRV   uint64
	tmplID   templateID          // the DaemonSet template tmpl was made from
	cmpOps   bool                // the comparison operators gate tmpl was judged with
	nodes    map[string]uint8    // dsShouldRun, dsScheduled, dsReady
	count    dsStatus            // the status the kept results add up to
	dirty    map[string]struct{} // nodes the next sync of the whole DaemonSet visits
	stale    map[string]struct{} // dirty nodes every sync visits (see above)
	allDirty bool                // it visits every node
	// the status last written, so that a stale informer copy does not cause the
	// same write twice
	wrote  bool
	wCount dsStatus
}

// dsStatus is the part of a DaemonSet's status nodesim computes
// (updateDaemonSetStatus): desiredNumberScheduled, currentNumberScheduled,
// numberMisscheduled, numberReady.
type dsStatus struct{ desired, current, missched, ready int32 }

func statusOf(ds *apiserver.DaemonSet) dsStatus {
	return dsStatus{ds.DesiredNumberScheduled, ds.CurrentNumberScheduled, ds.NumberMisscheduled, ds.NumberReady}
}

func (c dsStatus) setOn(ds *apiserver.DaemonSet) {
	ds.DesiredNumberScheduled, ds.CurrentNumberScheduled, ds.NumberMisscheduled, ds.NumberReady = c.desired, c.current, c.missched, c.ready
}

// A node's kept result: whether it should run the pod, whether it has one (the
// pods upstream's getNodesToDaemonPods keeps: not those that are both deleted and
// terminal), and whether the oldest of them is Ready.
const (
	dsShouldRun = 1 << iota
	dsScheduled
	dsReady
)

// indexDaemonPodNode indexes the pods controlled by a DaemonSet by node name;
// syncNodeOnce picks a DaemonSet's pods among them by UID. Only DaemonSet-kind
// controller references are indexed: UIDs are unique across kinds, so a reference
// with a DaemonSet's UID is of kind DaemonSet, and leaving the other pods out keeps
// the index (and its cost per pod write) to the daemon pods. Its values are the
// pods' own node names, so computing one allocates nothing.
const indexDaemonPodNode = "daemonset:spec.nodeName"

// pairSep joins a DaemonSet's key and a node name into the key of their pair. A space
// sorts before every character a name may hold, so in a batch of the queue (synced
// in key order) the pairs of a DaemonSet follow its own key and come before those of
// a DaemonSet whose name starts with its name ("agent" before "agent-x"): a
// DaemonSet's keys are together, as its rate-limited sync needs (daemonset_client.go).
const pairSep = " "

func daemonPodNode(p *apiserver.Pod) string {
	if r, ok := p.ControllerRef(); ok && r.Kind == KindDaemonSet {
		return p.NodeName
	}
	return ""
}

// NewDaemonSetController builds a stopped DaemonSet controller.
func NewDaemonSetController(s *apiserver.Server, c *apiserver.Client, cfg DaemonSetConfig) (*DaemonSetController, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewDaemonSetController needs a server and a client")
	}
	if cfg.WatchLatency < 0 {
		return nil, fmt.Errorf("workload: DaemonSetConfig.WatchLatency %v is negative; it must be zero or positive", cfg.WatchLatency)
	}
	if _, err := cfg.RateLimit.Limiter(); err != nil {
		return nil, fmt.Errorf("workload: DaemonSetConfig.RateLimit %+v: %v", cfg.RateLimit, err)
	}
	if cfg.Version != 0 && (cfg.Version < 31 || cfg.Version > daemonSetLatestVersion) {
		return nil, fmt.Errorf("workload: DaemonSetConfig.Version %d is not modelled; it must be zero (the latest) or 31 to %d", cfg.Version, daemonSetLatestVersion)
	}
	if cfg.Version == 0 {
		cfg.Version = daemonSetLatestVersion
	}
	if cfg.ConcurrentSyncs < 0 {
		return nil, fmt.Errorf("workload: DaemonSetConfig.ConcurrentSyncs %d is negative; it must be zero (the default, %d) or positive", cfg.ConcurrentSyncs, ConcurrentDaemonSetSyncs)
	}
	r := cfg.Rand
	if r == nil {
		r = sim.NewRand(s.Engine.Seed(), "daemonset-controller")
	}
	dc := &DaemonSetController{s: s, c: c, cfg: cfg, rand: r}
	var err error
	if dc.waiting, err = flowcontrol.NewWaiting(s.Engine, func(r dsRequest) { dc.send(r.s, r.op, r.node, r.pod) }); err != nil {
		return nil, err
	}
	return dc, nil
}

// Start lists and watches DaemonSets, nodes and pods and syncs every DaemonSet.
func (dc *DaemonSetController) Start() {
	if dc.started {
		return
	}
	dc.started = true
	dc.state, dc.expCreate, dc.expDelete, dc.failedBackoff = map[string]*dsState{}, map[string]string{}, map[string]bool{}, map[string]failedBackoff{}
	dc.byUID = map[uint64]*dsState{}
	dc.q = newWorkQueue(dc.s.Engine, dc.sync)
	dc.q.workers = dc.cfg.ConcurrentSyncs
	if dc.q.workers == 0 {
		dc.q.workers = ConcurrentDaemonSetSyncs
	}
	// a new process: a new clientset, whose bucket starts full, and a new recorder
	dc.limiter, _ = dc.cfg.RateLimit.Limiter() // validated by NewDaemonSetController
	dc.events, _ = flowcontrol.NewEventWriter(dc.s.Engine, dc.c, dc.limiter, dc.cfg.EventsRand)
	dc.inflight = map[string]*dsSync{}
	dc.decided = map[string]dsDecision{}
	f, lat := dc.cfg.Informers, dc.cfg.WatchLatency
	dc.dsInf, dc.shared = apiserver.InformerFor(f, dc.s.DaemonSets, dc.c, lat)
	dc.nodeInf, _ = apiserver.InformerFor(f, dc.s.Nodes, dc.c, lat)
	dc.podInf, _ = apiserver.InformerFor(f, dc.s.Pods, dc.c, lat)
	dc.podInf.AddIndex(indexDaemonPodNode, daemonPodNode)
	dc.run++
	run := dc.run
	live := func() bool { return dc.started && dc.run == run }
	dc.dsInf.AddComponentHandler(dc.shared, live, func(ev apiserver.Event[*apiserver.DaemonSet]) {
		if ev.Type == apiserver.Deleted {
			if st := dc.state[ev.New.Key()]; st != nil {
				delete(dc.byUID, st.uid)
			}
			delete(dc.state, ev.New.Key())
			return
		}
		dc.q.add(ev.New.Key())
	})
	dc.nodeInf.AddComponentHandler(dc.shared, live, dc.onNode)
	dc.podInf.AddComponentHandler(dc.shared, live, dc.onPod)
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
	// the process is gone, and with it every sync in flight and every queued Event
	dc.gen++
	dc.waiting.Drop()
	dc.events.Stop()
	clear(dc.inflight)
	if !dc.shared {
		dc.dsInf.Stop()
		dc.nodeInf.Stop()
		dc.podInf.Stop()
	}
}

// onNode handles a node event as the version's handlers do. Every version ignores
// an update that changes neither labels nor taints (shouldIgnoreNodeUpdate) and has
// no handler for a deletion: the node's daemon pods go by pod GC, whose deletions
// queue the DaemonSet. Otherwise a DaemonSet is queued (here: the key of its pair
// with the node) only when the version's rule says so (nodeQueues). Either way the
// node is marked dirty, and stale when the DaemonSet is not queued, so that the
// next sync of the DaemonSet, whatever queues it, sees the node as it is.
func (dc *DaemonSetController) onNode(ev apiserver.Event[*apiserver.Node]) {
	if ev.Type == apiserver.Modified && !nodeSchedulingChanged(ev.Old, ev.New) {
		return
	}
	name := ev.New.Name
	for _, k := range dc.dsInf.Keys() {
		st := dc.state[k]
		if st != nil {
			st.dirty[name] = struct{}{}
		}
		if st == nil || st.tmpl == nil || dc.nodeQueues(k, st, ev) {
			// a DaemonSet not synced yet has its own key queued, whose sync visits
			// every node: the pair key adds nothing but keeps the old order of work
			dc.q.add(k + pairSep + name)
			continue
		}
		st.stale[name] = struct{}{}
	}
}

// nodeQueues reports whether the version's node handlers queue the DaemonSet dsKey
// for the event ev. The DaemonSet's pod template is the one its last sync used: if
// the template changed since, the DaemonSet's own key is queued and its sync visits
// every node, so the answer does not matter.
func (dc *DaemonSetController) nodeQueues(dsKey string, st *dsState, ev apiserver.Event[*apiserver.Node]) bool {
	if ev.Type == apiserver.Deleted {
		return false
	}
	cmpOps := dc.s.Config.ComparisonOperators
	shouldRun, shouldContinue := NodeShouldRunDaemonPod(st.tmpl, ev.New, cmpOps)
	if dc.cfg.Version < DaemonSetNodeUpdateQueueVersion {
		if ev.Type == apiserver.Added {
			return shouldRun
		}
		oldRun, oldContinue := NodeShouldRunDaemonPod(st.tmpl, ev.Old, cmpOps)
		return oldRun != shouldRun || oldContinue != shouldContinue
	}
	// syncNodeUpdate: "scheduled" is any pod on the node whose controller is the
	// DaemonSet, terminating and finished ones included
	scheduled := false
	dc.podInf.EachByIndex(indexDaemonPodNode, ev.New.Name, func(p *apiserver.Pod) {
		if ref, ok := p.ControllerRef(); ok && ref.UID == st.uid {
			scheduled = true
		}
	})
	if shouldRun && !scheduled || !shouldContinue && scheduled {
		return true
	}
	if dc.cfg.Version >= DaemonSetMisscheduledRequeueVersion && scheduled {
		// the DaemonSet as the controller's informer has it
		if ds, ok := dc.dsInf.Get(dsKey); ok && ds.NumberMisscheduled > 0 {
			return true
		}
	}
	return false
}

// markPod marks dirty the node of p for the DaemonSet that controls it.
func (dc *DaemonSetController) markPod(p *apiserver.Pod) {
	if p == nil {
		return
	}
	if r, ok := p.ControllerRef(); ok {
		if st := dc.byUID[r.UID]; st != nil {
			st.dirty[p.NodeName] = struct{}{}
		}
	}
}

func (dc *DaemonSetController) onPod(ev apiserver.Event[*apiserver.Pod]) {
	dc.markPod(ev.Old)
	dc.markPod(ev.New)
	p := ev.New
	ref, ok := p.ControllerRef()
	if !ok || ref.Kind != KindDaemonSet {
		return
	}
	pk := p.Key()
	pair := nsKey(p.Namespace, ref.Name) + pairSep + p.NodeName
	if dc.expCreate[pair] == pk {
		delete(dc.expCreate, pair)
	}
	if ev.Type == apiserver.Deleted || p.Deleting {
		delete(dc.expDelete, pk)
	}
	dc.q.add(pair)
}

// sync is syncDaemonSet for a key of the queue: a whole DaemonSet, or one of its
// nodes ("<ds> <node>", pairSep). With a client rate limit, the keys of one DaemonSet in a
// batch of the queue are one upstream sync (see daemonset_client.go): when the
// bucket covers all their requests they run one by one as without a limit;
// otherwise the first of them runs syncAll over all their nodes, which may go on
// across engine events, holding the DaemonSet's keys and a worker.
func (dc *DaemonSetController) sync(item string) error {
	dsKey, node, pair := item, "", strings.Contains(item, pairSep)
	if pair {
		i := strings.LastIndexByte(item, pairSep[0])
		dsKey, node = item[:i], item[i+1:]
	}
	if len(dc.inflight) > 0 {
		if s := dc.inflight[dsKey]; s != nil {
			if s.round == dc.q.round && dc.q.current != nil {
				// a key of the batch whose sync started this one: syncAll took it
				// (itemsOf), so it is done, not queued again
				return nil
			}
			s.hold(item)
			return nil
		}
	}
	ds, ok := dc.dsInf.Get(dsKey)
	if !ok || ds.Deleting {
		return nil
	}
	st := dc.state[dsKey]
	if st == nil || st.uid != ds.UID {
		if st != nil {
			delete(dc.byUID, st.uid)
		}
		st = &dsState{uid: ds.UID, nodes: map[string]uint8{},
			dirty: map[string]struct{}{}, stale: map[string]struct{}{}, allDirty: true}
		dc.state[dsKey] = st
		dc.byUID[ds.UID] = st
	}
	cmpOps := dc.s.Config.ComparisonOperators
	if st.tmpl == nil || st.tmplRV != ds.ResourceVersion || st.cmpOps != cmpOps {
		// Most changes of a DaemonSet are its status (written by this controller),
		// which keep the template (see templateID): the nodes' results depend on the
		// template only.
		if st.tmpl == nil || st.cmpOps != cmpOps || !st.tmplID.same(&ds.Template) {
			t := daemonPodTemplate(ds)
			if st.tmpl == nil || st.cmpOps != cmpOps || !sameDaemonPod(t, st.tmpl) {
				st.allDirty = true
			}
			st.tmpl, st.tmplID = t, idOf(&ds.Template)
		}
		st.tmplRV, st.cmpOps = ds.ResourceVersion, cmpOps
	}
	if dc.limiter != nil {
		switch d := dc.decide(st, dsKey, item); {
		case d == dsTaken:
			return nil // synced by the syncAll of this batch
		case d == dsPhased:
			return dc.syncAll(ds, st, dsKey, item)
		}
	}
	var err error
	if pair {
		err = dc.syncPair(ds, st, dsKey, node)
	} else {
		err = dc.syncNodes(ds, st, dsKey)
	}
	if e := dc.updateStatus(ds, st); err == nil {
		err = e
	}
	return err
}

// syncNodes is the node part of a sync of the whole DaemonSet: syncNode for every
// dirty node (every node if allDirty), in node name order, and the result of a
// deleted node dropped; it returns the first error.
func (dc *DaemonSetController) syncNodes(ds *apiserver.DaemonSet, st *dsState, dsKey string) error {
	var err error
	if st.allDirty || dc.fullSync {
		st.allDirty = false
		clear(st.dirty)
		clear(st.stale)
		for _, n := range dc.nodeInf.Keys() {
			if e := dc.syncNode(ds, st, dsKey, n); e != nil && err == nil {
				err = e
			}
		}
		gone := dc.names[:0]
		for n := range st.nodes {
			if _, ok := dc.nodeInf.Get(n); !ok {
				gone = append(gone, n)
			}
		}
		sort.Strings(gone)
		for _, n := range gone {
			dc.setNodeState(st, n, 0)
		}
		clear(gone)
		dc.names = gone[:0]
		return err
	}
	if len(st.dirty) == 0 {
		return nil
	}
	names := dc.names[:0]
	for n := range st.dirty {
		names = append(names, n)
	}
	// syncNode of a deleted node drops its result, as the loop over gone nodes
	// above does.
	if e := dc.syncSorted(ds, st, dsKey, names); e != nil && err == nil {
		err = e
	}
	return err
}

// syncPair is the node part of a sync of one node key: syncNode for the node and
// for the stale nodes, in node name order.
func (dc *DaemonSetController) syncPair(ds *apiserver.DaemonSet, st *dsState, dsKey, node string) error {
	if len(st.stale) == 0 {
		return dc.syncNode(ds, st, dsKey, node)
	}
	names := append(dc.names[:0], node)
	for n := range st.stale {
		if n != node {
			names = append(names, n)
		}
	}
	return dc.syncSorted(ds, st, dsKey, names)
}

// syncSorted runs syncNode for names (built in dc.names' buffer, which it hands back
// emptied) in name order, the order of nodeInf.Keys(), and returns the first error.
func (dc *DaemonSetController) syncSorted(ds *apiserver.DaemonSet, st *dsState, dsKey string, names []string) error {
	sort.Strings(names)
	var err error
	for _, n := range names {
		if e := dc.syncNode(ds, st, dsKey, n); e != nil && err == nil {
			err = e
		}
	}
	clear(names)
	dc.names = names[:0]
	return err
}

// daemonPodTemplate is the pod a DaemonSet's pods are stamped from: its template
// with the DaemonSet tolerations added (no name, no owner, no node yet).
func daemonPodTemplate(ds *apiserver.DaemonSet) *apiserver.Pod {
	t := podFromTemplate(&ds.Template, ds.Namespace, "", apiserver.OwnerReference{})
	spec := t.EditSpec() // the template's spec is shared
	spec.Tolerations = taint.DaemonSetTolerations(spec.Tolerations, spec.HostNetwork)
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
	if !MatchesNodeSelector(p.NodeSelector, n.Labels) || !MatchesNodeSelectorTerms(p.RequiredNodeAffinity, n) {
		return false, false
	}
	if _, bad := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, noScheduleOrExecute, cmpOps); bad {
		_, badExec := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, func(t taint.Taint) bool { return t.Effect == taint.NoExecute }, cmpOps)
		return false, !badExec
	}
	return true, true
}

func (dc *DaemonSetController) setNodeState(st *dsState, node string, v uint8) {
	st.count.add(st.nodes[node], -1)
	if v == 0 {
		delete(st.nodes, node)
		return
	}
	st.nodes[node] = v
	st.count.add(v, 1)
}

// add adds a node's kept result to the counts d times, as updateDaemonSetStatus
// counts it: desired if it should run; current and ready (by its oldest pod) if it
// also has a pod; misscheduled if it has a pod and should not run one.
func (c *dsStatus) add(v uint8, d int32) {
	switch {
	case v&dsShouldRun != 0:
		c.desired += d
		if v&dsScheduled != 0 {
			c.current += d
		}
		if v&dsReady != 0 {
			c.ready += d
		}
	case v&dsScheduled != 0:
		c.missched += d
	}
}

// syncNode brings one node of a DaemonSet in line and keeps its result, and keeps
// the node dirty if it acted (see dsState).
func (dc *DaemonSetController) syncNode(ds *apiserver.DaemonSet, st *dsState, dsKey, node string) error {
	return dc.syncNodeFor(ds, st, dsKey, node, nil)
}

// syncNodeFor is syncNode; with s, the node's creation and deletions are added to
// the sync s instead of being made at once.
func (dc *DaemonSetController) syncNodeFor(ds *apiserver.DaemonSet, st *dsState, dsKey, node string, s *dsSync) error {
	dc.nodeSyncs++
	delete(st.stale, node)
	acted, err := dc.syncNodeOnce(ds, st, dsKey, node, s)
	if acted || err != nil {
		st.dirty[node] = struct{}{}
	} else {
		delete(st.dirty, node)
	}
	return err
}

// byCreation orders a node's daemon pods oldest first, as podByCreationTimestampAndPhase
// does: creation times as controllers see them, in whole seconds
// (ObjectMeta.CreationSecond), then names.
func byCreation(a, b *apiserver.Pod) int {
	if sa, sb := a.CreationSecond(), b.CreationSecond(); sa != sb {
		return cmp.Compare(sa, sb)
	}
	return strings.Compare(a.Name, b.Name)
}

// syncNodeOnce is syncNode's work; acted reports whether it created or deleted a
// pod (or tried to) or waits for a failed pod's backoff. With s, the creation and
// the deletions are not made but added to s (its deletions expected at once, as
// upstream's SetExpectations before syncNodes makes any).
func (dc *DaemonSetController) syncNodeOnce(ds *apiserver.DaemonSet, st *dsState, dsKey, node string, s *dsSync) (acted bool, err error) {
	n, ok := dc.nodeInf.Get(node)
	if !ok {
		dc.setNodeState(st, node, 0) // the node's pods are left to pod GC
		return false, nil
	}
	shouldRun, shouldContinue := NodeShouldRunDaemonPod(st.tmpl, n, st.cmpOps)
	running, failed, toDelete := dc.running[:0], dc.failed[:0], dc.toDelete[:0]
	defer func() {
		clear(running)
		clear(failed)
		clear(toDelete)
		dc.running, dc.failed, dc.toDelete = running[:0], failed[:0], toDelete[:0]
	}()
	// The node's daemon pods as upstream's podsShouldBeOnNode sees them
	// (getNodesToDaemonPods without deleted terminal pods): terminating ones count as
	// existing but are left alone, failed and succeeded ones are deleted, the rest run.
	terminating, succeeded := 0, 0
	var oldest *apiserver.Pod // what numberReady looks at (updateDaemonSetStatus)
	dc.podInf.EachByIndex(indexDaemonPodNode, node, func(p *apiserver.Pod) {
		if ref, ok := p.ControllerRef(); !ok || ref.UID != st.uid {
			return
		}
		if p.Deleting && p.Terminal() {
			// the kubelet's final delete is pending: the controller has nothing to do
			// with it, and a replacement need not wait for it
			return
		}
		if oldest == nil || byCreation(p, oldest) < 0 {
			oldest = p
		}
		switch {
		case p.Deleting:
			terminating++
		case p.Phase == apiserver.PodFailed:
			failed = append(failed, p)
		case p.Phase == apiserver.PodSucceeded:
			succeeded++
			toDelete = append(toDelete, p)
		default:
			running = append(running, p)
		}
	})
	if len(running) > 1 {
		slices.SortStableFunc(running, byCreation)
	}
	var v uint8
	if shouldRun {
		v |= dsShouldRun
		if oldest != nil && oldest.IsReady() {
			v |= dsReady
		}
	}
	if oldest != nil {
		v |= dsScheduled
	}
	dc.setNodeState(st, node, v)
	pb := append(append(append(dc.pairBuf[:0], dsKey...), pairSep[0]), node...)
	dc.pairBuf = pb
	if _, waiting := dc.expCreate[string(pb)]; waiting {
		return acted, nil
	}
	exists := terminating+len(failed)+succeeded+len(running) > 0
	switch {
	case shouldRun && !exists:
		acted = true
		if s != nil {
			s.creates = append(s.creates, node)
			break
		}
		dc.take()
		err := dc.createPod(ds, st, node, string(pb))
		dc.events.EmitAbout(dsEventKey(ds, err != nil)) // SuccessfulCreate, or FailedCreate
		if err != nil {
			return acted, err
		}
	case shouldContinue:
		// A failed pod is deleted unless the node's backoff holds it; its replacement
		// comes at a later sync, once the pod is gone (upstream: "we will create it in
		// the next sync loop").
		// Each failed pod is looked at in turn: the first steps the backoff and goes,
		// the next find it in force (upstream checks it per pod). Each pod let go
		// gets an Event first, FailedDaemonPod or SucceededDaemonPod.
		for _, p := range toDelete[:succeeded] {
			if !dc.expDelete[p.Key()] {
				dc.events.EmitAbout(dsEventKey(ds, false)) // SucceededDaemonPod
			}
		}
		for _, p := range failed {
			acted = true
			pair := string(pb)
			now := dc.s.Now()
			b := dc.failedBackoff[pair]
			expired := b.delay == 0 || now-b.last > 2*failedPodsBackoffMax
			if !expired && now-b.last < b.delay {
				// upstream re-enqueues the DaemonSet after the whole current delay,
				// not what is left of it
				dc.q.addAfter(pair, b.delay)
				continue
			}
			if expired {
				b.delay = failedPodsBackoffInitial
			} else {
				b.delay = min(2*b.delay, failedPodsBackoffMax)
			}
			b.last = now
			dc.failedBackoff[pair] = b
			dc.events.EmitAbout(dsEventKey(ds, true)) // FailedDaemonPod
			toDelete = append(toDelete, p)
		}
		if len(running) > 1 {
			toDelete = append(toDelete, running[1:]...) // keep the oldest
		}
	case exists:
		// the node no longer qualifies: every daemon pod goes, failed ones too and
		// whatever their backoff
		toDelete = append(append(toDelete, failed...), running...)
	}
	for _, p := range toDelete {
		pk := p.Key()
		if dc.expDelete[pk] {
			continue
		}
		acted = true
		dc.expDelete[pk] = true
		if s != nil {
			s.deletes = append(s.deletes, p)
			continue
		}
		dc.take()
		if err := dc.deletePod(ds, p); err != nil {
			return acted, err
		}
	}
	return acted, nil
}

// deletePod is DeletePod: a DELETE of the pod (with its UID as precondition) and a
// SuccessfulDelete or FailedDelete Event; a pod already gone gets no Event and is no
// longer expected, nor is one whose deletion failed.
func (dc *DaemonSetController) deletePod(ds *apiserver.DaemonSet, p *apiserver.Pod) error {
	pk := p.Key()
	err := dc.s.Pods.Delete(dc.c, pk, apiserver.DeleteOptions{UID: p.UID})
	if err == nil {
		dc.events.EmitAbout(dsEventKey(ds, false)) // SuccessfulDelete
		return nil
	}
	delete(dc.expDelete, pk)
	if apiserver.IsNotFound(err) || apiserver.IsConflict(err) {
		return nil
	}
	dc.c.TraceError("delete", "pods", err)
	dc.events.EmitAbout(dsEventKey(ds, true)) // FailedDelete
	return err
}

func (dc *DaemonSetController) createPod(ds *apiserver.DaemonSet, st *dsState, node, pair string) error {
	owner := controllerRef(KindDaemonSet, &ds.ObjectMeta)
	var err error
	for range 10 {
		p := st.tmpl.DeepCopy()
		p.ObjectMeta = apiserver.ObjectMeta{Namespace: ds.Namespace, Name: generateName(ds.Name+"-", dc.rand),
			Labels: ds.Template.Labels, OwnerReferences: []apiserver.OwnerReference{owner}}
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
	c := st.count
	if statusOf(ds) == c || (st.wrote && st.wCount == c) {
		return nil
	}
	st.wrote, st.wCount = true, c
	dc.takeStatus(ds.Key())
	_, err := dc.s.DaemonSets.Patch(dc.c, ds.Key(), func(x *apiserver.DaemonSet) error {
		c.setOn(x)
		return nil
	})
	if apiserver.IsNotFound(err) {
		return nil
	}
	if err != nil {
		st.wrote = false // not written: a later sync writes it again
	}
	dc.c.TraceError("patch", "daemonsets", err)
	return err
}

// sameDaemonPod reports whether two daemon pod templates are equal: their labels by
// value (two equal sets may be built differently, see apiserver.Labels), the rest
// deeply.
func sameDaemonPod(a, b *apiserver.Pod) bool {
	if !a.Labels.Equal(b.Labels) {
		return false
	}
	ac, bc := *a, *b
	ac.Labels, bc.Labels = apiserver.Labels{}, apiserver.Labels{}
	return reflect.DeepEqual(&ac, &bc)
}

// nodeSchedulingChanged reports whether an update changed what NodeShouldRunDaemonPod
// reads of a node, taints or labels: the update upstream's shouldIgnoreNodeUpdate
// does not ignore (spec.unschedulable is read as its taint; allocatable is the
// scheduler's business).
func nodeSchedulingChanged(o, n *apiserver.Node) bool {
	if len(o.Taints) != len(n.Taints) || !o.Labels.Equal(n.Labels) {
		return true
	}
	for i := range o.Taints {
		if o.Taints[i].Key != n.Taints[i].Key || o.Taints[i].Value != n.Taints[i].Value || o.Taints[i].Effect != n.Taints[i].Effect {
			return true
		}
	}
	return false
}
