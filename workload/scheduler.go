package workload

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// SchedulerConfig configures the scheduler.
type SchedulerConfig struct {
	// WatchLatency is how long after a change its watches see it.
	WatchLatency time.Duration
	// SchedulingLatency is how long one scheduling cycle takes (nodesim's model, not
	// an upstream setting): a pod is bound SchedulingLatency after the scheduler
	// starts on it, and the scheduler handles one pod at a time. Default 10 ms.
	SchedulingLatency time.Duration
	// PodInitialBackoff and PodMaxBackoff are kube-scheduler's
	// podInitialBackoffSeconds (1 s) and podMaxBackoffSeconds (10 s): after n failed
	// attempts a pod waits min(initial·2^(n-1), max) before it is tried again.
	PodInitialBackoff time.Duration
	PodMaxBackoff     time.Duration
	// PodMaxInUnschedulablePodsDuration is how long a pod may wait in the
	// unschedulable pool before the queue's periodic flush (every 30 s) retries it
	// whatever happened (upstream DefaultPodMaxInUnschedulablePodsDuration, 5 min;
	// zero means that default).
	PodMaxInUnschedulablePodsDuration time.Duration
	// QueueingHints is kube-scheduler's SchedulerQueueingHints feature gate (beta,
	// off in 1.31, on by default from 1.32; the gate is gone by 1.37 and hints are
	// always on): a cluster event moves an unschedulable pod only if a plugin that
	// rejected it says the event may make it schedulable. Off, an event moves every
	// pod rejected by a plugin that registered it and, for a node event, passing
	// preCheckForNode against that node.
	QueueingHints bool
	// PopFromBackoffQ is the SchedulerPopFromBackoffQ feature gate (beta, on by
	// default from 1.33): with nothing in the active queue the scheduler takes the
	// first pod of the backoff queue before its backoff ends, and backoff expiries
	// are truncated to whole seconds (the 1 s ordering window).
	PopFromBackoffQ bool
	// Rand draws among the nodes with the best score (upstream picks one at random).
	// Nil: the first of them by name.
	Rand *sim.Rand
	// BalancedAllocation is how NodeResourcesBalancedAllocation (weight 1) scores,
	// per release (see balancedScore).
	BalancedAllocation BalancedMode
	// PreFilterAbsentStatus: the nodes outside NodeAffinity's PreFilterResult (a pod
	// pinned by matchFields metadata.name) count in the FitError as "node(s) didn't
	// satisfy plugin(s) [NodeAffinity]" (SetAbsentNodesStatus, read in 1.33 and 1.37;
	// 1.32 taken as 1.33); in 1.31 they are not counted.
	PreFilterAbsentStatus bool
	// GenericTaintMessage: TaintToleration's reason is "node(s) had untolerated
	// taint(s)", without the taint's key and value (kubernetes#134740, from 1.35 and
	// cherry-picked to 1.34's patch releases, #135023: taint values may be
	// sensitive); before, "node(s) had untolerated taint {key: value}" per taint.
	GenericTaintMessage bool
	// AntiAffinityDeleteHint: InterPodAffinity's hint for a bound pod's deletion also
	// queues a pod the deleted pod's required anti-affinity matched, and a pod whose
	// terms the deleted pod matches any of, not all (kubernetes#135325, merged
	// 2025-11-17, after 1.35's code freeze: taken as from 1.36; read in v1.37.2, the
	// older form in v1.33.0). See antiDeleteHint.
	AntiAffinityDeleteHint bool
}

// BalancedMode is a release's NodeResourcesBalancedAllocation.
type BalancedMode uint8

const (
	// BalancedAll (1.31, 1.32) scores every pod by the balance of the node's cpu and
	// memory requests with the pod on it.
	BalancedAll BalancedMode = iota
	// BalancedSkipBestEffort (1.33–1.35) does so only for pods that request cpu or
	// memory (kubernetes#130260, for issue #129138).
	BalancedSkipBestEffort
	// BalancedImprovement (1.36, 1.37) skips those pods too and scores the change the
	// pod makes to the node's balance (kubernetes#135573).
	BalancedImprovement
)

// DefaultSchedulerConfig is the default: no watch latency, 10 ms per cycle,
// kube-scheduler's 1 s / 10 s backoff and 5-minute unschedulable flush, and the
// queue of the newest version modelled (1.37: queueing hints, pop from backoff).
func DefaultSchedulerConfig() SchedulerConfig {
	return SchedulerConfig{SchedulingLatency: 10 * time.Millisecond, PodInitialBackoff: time.Second, PodMaxBackoff: 10 * time.Second,
		PodMaxInUnschedulablePodsDuration: defaultPodMaxInUnschedulable, QueueingHints: true, PopFromBackoffQ: true,
		BalancedAllocation: BalancedImprovement, AntiAffinityDeleteHint: true}
}

// SchedulerConfigFor is DefaultSchedulerConfig with the feature gates of Kubernetes
// 1.minor at their defaults (pkg/features/kube_features.go): SchedulerQueueingHints
// from 1.32, SchedulerPopFromBackoffQ from 1.33; and that release's
// BalancedAllocation (BalancedMode).
func SchedulerConfigFor(minor int) SchedulerConfig {
	c := DefaultSchedulerConfig()
	c.QueueingHints = minor >= 32
	c.PopFromBackoffQ = minor >= 33
	c.GenericTaintMessage = minor >= 34 // 1.34 by its patch releases
	c.PreFilterAbsentStatus = minor >= 32
	c.AntiAffinityDeleteHint = minor >= 36
	switch {
	case minor >= 36:
		c.BalancedAllocation = BalancedImprovement
	case minor >= 33:
		c.BalancedAllocation = BalancedSkipBestEffort
	default:
		c.BalancedAllocation = BalancedAll
	}
	return c
}

const defaultPodMaxInUnschedulable = 5 * time.Minute

// Validate reports the first invalid field.
func (c SchedulerConfig) Validate() error {
	switch {
	case c.WatchLatency < 0:
		return fmt.Errorf("workload: SchedulerConfig.WatchLatency %v is negative; it must be zero or positive", c.WatchLatency)
	case c.SchedulingLatency < 0:
		return fmt.Errorf("workload: SchedulerConfig.SchedulingLatency %v is negative; it must be zero or positive", c.SchedulingLatency)
	case c.PodInitialBackoff < 0:
		return fmt.Errorf("workload: SchedulerConfig.PodInitialBackoff %v is negative; it must be zero or positive", c.PodInitialBackoff)
	case c.PodMaxBackoff < c.PodInitialBackoff:
		return fmt.Errorf("workload: SchedulerConfig.PodMaxBackoff %v is below PodInitialBackoff %v; it must be at least that", c.PodMaxBackoff, c.PodInitialBackoff)
	case c.PodMaxInUnschedulablePodsDuration < 0:
		return fmt.Errorf("workload: SchedulerConfig.PodMaxInUnschedulablePodsDuration %v is negative; it must be zero (the default, 5m) or positive", c.PodMaxInUnschedulablePodsDuration)
	}
	return nil
}

type nodeInfo struct {
	name      string
	node      *apiserver.Node // nil while the node does not exist
	requested apiserver.Resources
	nzCPU     int64
	nzMem     int64
	pods      int32 // int32s: a nodeInfo in the 96-byte size class
	idx       int32 // position in Scheduler.nodes while the node exists
	// changed is the scheduler's version at the last change to what the filters read
	// of this node; nf is the node's verdict for the pod of the no-fit cache, valid
	// while changed is not after the cache's version (see Scheduler.refreshNoFit).
	changed uint64
	nf      verdict
}

// verdict is a node's filterResult for the no-fit cache in 16 bytes, not 72: its
// taint is the node's own (a stored Node is never changed in place).
type verdict struct {
	taint *taint.Taint
	code  failCode
	ins   uint8
	gen   uint32 // the cache's generation whose histogram counts it; 0: none
}

func verdictOf(r filterResult, n *apiserver.Node, gen uint32) verdict {
	v := verdict{code: r.code, ins: r.ins, gen: gen}
	if r.code == failTaint {
		for i := range n.Taints {
			if t := &n.Taints[i]; t.Key == r.taint.Key && t.Value == r.taint.Value && t.Effect == r.taint.Effect {
				v.taint = t
				break
			}
		}
		if v.taint == nil { // not one of the node's: never, but keep it right
			t := r.taint
			v.taint = &t
		}
	}
	return v
}

func (v verdict) result() filterResult {
	r := filterResult{code: v.code, ins: v.ins}
	if v.taint != nil {
		r.taint = *v.taint
	}
	return r
}

// podAcct is what a pod adds to its node's sums, and to its ReplicaSet's spread
// counts.
type podAcct struct {
	node   string
	req    apiserver.Resources
	spread spreadKey
	// what a pod's own spread constraints count it by (spreadTracker)
	ns       string
	labels   apiserver.Labels
	deleting bool
	// the spec of a pod with anti-affinity or affinity terms, required or preferred
	// (for antiPods, affPods, prefAffPods and prefAntiPods; a pointer keeps podAcct
	// small enough to be stored in place as a map value), and then its key
	terms *apiserver.PodSpec
	key   string
}

// Scheduler places pending pods (spec.nodeName empty) on nodes: filters
// NodeUnschedulable, TaintToleration, NodeAffinity (selector and required
// affinity) and NodeResourcesFit, scores LeastAllocated, BalancedAllocation,
// TaintToleration's PreferNoSchedule score and PodTopologySpread's default
// constraints, draws among the best nodes, and binds by patching spec.nodeName. Pods that fit
// nowhere stay Pending with a FailedScheduling record and wait in the
// unschedulable pool until an event that may make them schedulable moves them (as
// the version's queue decides, see SchedulerConfig), or 5 minutes pass, then in
// the backoff queue.
type Scheduler struct {
	s   *apiserver.Server
	c   *apiserver.Client
	cfg SchedulerConfig

	nodeInf *apiserver.Informer[*apiserver.Node]
	// podInf is the scheduler's pod cache. Pods are counted through the version each
	// event replaces (Old) and a pending pod's version is kept in its queue entry; the
	// cache itself is read at Start and once more, by PodTopologySpread, when it
	// starts counting (spreadFor). It views the store (no copy), so it costs only what
	// is in flight. Started at the instant of the initial list, its watch delivers
	// exactly the store's later changes, in order: each event's Old is the version
	// last listed or delivered.
	podInf *apiserver.Informer[*apiserver.Pod]
	// spread holds the PodTopologySpread counts per ReplicaSet UID, once spreadOn (see
	// spreadFor); zoneOf the topology of each node of nodes (same index: nodeTopology), zone ids
	// interned in zoneIDs and zoneNames; all of them kept only once spreadOn, so that
	// a cluster that never schedules a ReplicaSet's pod pays nothing for them.
	spread      map[uint64]*spreadOwner
	spreadOn    bool
	zoneOf      []uint32
	zoneIDs     map[string]uint32
	zoneNames   []string
	zoneScratch []int64
	hostScratch []int32 // by node index, zero between cycles (spreadScores)
	rsKey       string  // the last ReplicaSet key spreadScores looked up (rsKeyOf)
	spreadRaw   []int64
	ties        []*nodeInfo
	// the pod's own topology spread constraints (podspread.go): hard is the filter
	// state of the cycle's pod (nil: none), ownCounts and ownCounted scratch space
	hard       *spreadFilter
	ownCounts  []int32
	ownCounted []bool
	// trackers count the pods each selector of a pod's own constraints matches, per
	// namespace (spreadTracker); none until such a pod is scheduled
	trackers map[string][]*spreadTracker
	// keyTopos hold the nodes' values of the keys those constraints name; nodesGen
	// counts changes to the nodes and their labels, which make them stale
	keyTopos map[string]*keyTopo
	nodesGen uint64
	// required inter-pod (anti-)affinity (interpod.go): anti is the filter state of
	// the cycle's pod (nil: none), antiPods and affPods the bound pods with
	// anti-affinity and affinity terms, by key and by namespace and terms, counted
	// per node, termTrackers the counts of the pods the terms of scheduled pods match
	anti     *antiFilter
	antiPods termGroups
	affPods  termGroups
	// prefAffPods and prefAntiPods: the bound pods with preferred affinity and
	// anti-affinity terms, which only the score reads
	prefAffPods  termGroups
	prefAntiPods termGroups
	interKeys    []interKey // scratch of interScores
	termTrackers []*termTracker

	// The node tree (pkg/scheduler/backend/cache/node_tree.go): the cache lists nodes
	// one of each zone in turn, zones in order of first appearance, a zone's nodes in
	// order of arrival, and a cycle filters them in that order from where the last one
	// stopped. treeZ is each node's tree zone (same index as nodes), treeZones the
	// zones' nodes by id, treeOrder the ids of the zones that have nodes, in order;
	// nodes is put in tree order again before a cycle when treeDirty.
	treeZ       []uint32
	treeZones   []treeZone
	treeIDs     map[treeZoneKey]uint32
	treeOrder   []uint32
	treeDirty   bool
	treeScratch []*nodeInfo
	treeZ2      []uint32
	zoneOf2     []uint32
	pinned      []*nodeInfo // scratch: pinnedList

	infos    map[string]*nodeInfo
	lastInfo *nodeInfo   // see info
	nodes    []*nodeInfo // existing nodes, in arrival order (see setNode)
	// assumed holds the pods this scheduler bound that its watch has not shown bound
	// yet, with what they were counted as (the scheduler cache's assumed pods). Every
	// other pod is counted as the version of it last listed or delivered, which each
	// event carries as Old: no per-pod state is kept but for queued pods.
	assumed map[string]podAcct
	queued  map[string]*qpod
	// unsched holds the pods waiting for a cluster change (upstream's
	// unschedulablePods), unschedBy how many of them each plugin rejected.
	unsched   map[string]*qpod
	unschedBy [numRejectors]int
	active    activeQ
	// backq is the backoff queue (upstream podBackoffQ and, from 1.33,
	// podErrorBackoffQ), sorted by backq.less; backqPop counts its pods that are not
	// error pods (those Pop may take early, see SchedulerConfig.PopFromBackoffQ).
	backq    []*qpod
	backqPop int
	seq      uint64

	cycle, backTimer, leftTimer *sim.Timer
	started                     bool
	// startedAt is when Start ran: the phase of the queue's tickers (Run's wait.Until).
	startedAt time.Duration

	scores []int64 // scratch: scores of the feasible nodes of one cycle
	// scratch: NodeAffinity's raw scores of the feasible nodes
	affinity []int64
	order    []*nodeInfo // scratch: the feasible nodes, in the order filtered
	// nextStart is where the next cycle starts filtering (upstream nextStartNodeIndex).
	nextStart int
	// version counts changes to what the filters read of the nodes (a node added,
	// replaced or deleted; a pod counted or uncounted on one). noFit is the last cycle
	// that found no node: at that version a pod with the same filter inputs fits
	// nowhere either, for the same reasons. The replicas of a Deployment that fits
	// nowhere then cost one pass over the nodes per change of the cluster, not one
	// per pod and retry; and each node keeps its verdict (nodeInfo.nf), so that after
	// a change only the nodes in dirty, those changed since, are filtered again.
	version uint64
	dirty   []*nodeInfo
	noFit   struct {
		off     bool // tests compare with the shortcut off
		ok      bool
		version uint64
		pod     *apiserver.Pod
		cmpOps  bool
		msg     string
		gen     uint32    // counts full evaluations
		counts  fitCounts // the verdicts of the nodes, node by node
		fresh   []filterResult
	}

	// Attempts counts scheduling cycles run; Bound counts successful bindings.
	Attempts, Bound uint64
}

// NewScheduler builds a stopped scheduler.
func NewScheduler(s *apiserver.Server, c *apiserver.Client, cfg SchedulerConfig) (*Scheduler, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewScheduler needs a server and a client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Scheduler{s: s, c: c, cfg: cfg}, nil
}

// Start lists nodes and pods, starts watching them and queues every pending pod.
func (sc *Scheduler) Start() {
	if sc.started {
		return
	}
	sc.started = true
	e := sc.s.Engine
	sc.infos, sc.nodes, sc.assumed, sc.queued = map[string]*nodeInfo{}, nil, map[string]podAcct{}, map[string]*qpod{}
	sc.treeZ, sc.treeZones, sc.treeIDs, sc.treeOrder, sc.treeDirty = nil, nil, map[treeZoneKey]uint32{}, nil, false
	sc.unsched = map[string]*qpod{}
	// a new process's cache: no verdict, and no node of the old infos in dirty
	sc.noFit.ok, sc.noFit.pod = false, nil
	clear(sc.dirty)
	sc.dirty = sc.dirty[:0]
	sc.unschedBy = [numRejectors]int{}
	sc.active, sc.backq, sc.backqPop = nil, nil, 0
	sc.startedAt = e.Now()
	sc.cycle, _ = e.NewTimer(sc.runCycle)
	sc.backTimer, _ = e.NewTimer(sc.flushBackoff)
	sc.leftTimer, _ = e.NewTimer(sc.flushLeftover)
	sc.spread, sc.spreadOn, sc.zoneOf, sc.zoneIDs, sc.zoneNames = map[uint64]*spreadOwner{}, false, nil, map[string]uint32{}, nil
	sc.trackers, sc.keyTopos = nil, nil
	sc.antiPods, sc.affPods, sc.termTrackers = termGroups{}, termGroups{}, nil
	sc.prefAffPods, sc.prefAntiPods = termGroups{}, termGroups{}
	sc.nodeInf = apiserver.NewInformer(sc.s.Nodes, sc.c, sc.cfg.WatchLatency)
	sc.infos, sc.lastInfo = make(map[string]*nodeInfo, sc.nodeInf.Len()), nil
	for _, n := range sc.nodeInf.List() {
		sc.setNode(n)
	}
	// The pods' initial LIST: the store as it is now (an informer's list always
	// succeeds in this model, so it does not go through the client). Counting does
	// not depend on the order, so the store is walked in memory order; the pending
	// pods are queued in key order, as the list returns them.
	sc.podInf = apiserver.NewInformer(sc.s.Pods, sc.c, sc.cfg.WatchLatency)
	var pend []*apiserver.Pod
	sc.podInf.Range(func(p *apiserver.Pod) {
		if a, ok := acctOf(p); ok {
			sc.count(a, 1)
		}
		if pending(p) {
			pend = append(pend, p)
		}
	})
	slices.SortFunc(pend, func(a, b *apiserver.Pod) int { return strings.Compare(a.Key(), b.Key()) })
	for _, p := range pend {
		sc.enqueue(p)
	}
	sc.nodeInf.AddHandler(sc.onNode)
	sc.podInf.AddHandler(sc.onPod)
}

// Stop ends the watches and cancels the scheduler's timers.
func (sc *Scheduler) Stop() {
	if !sc.started {
		return
	}
	sc.started = false
	sc.cycle.Stop()
	sc.backTimer.Stop()
	sc.leftTimer.Stop()
	sc.nodeInf.Stop()
	sc.podInf.Discard() // a new process lists afresh: keep no copy of the pods
}

func pending(p *apiserver.Pod) bool {
	return p.NodeName == "" && !p.Deleting && !p.Terminal()
}

func (sc *Scheduler) info(name string) *nodeInfo {
	// The pods of one node change together (marked NotReady, written Ready on heal):
	// the last node's info is reused without a lookup. infos never drops an entry.
	if ni := sc.lastInfo; ni != nil && ni.name == name {
		return ni
	}
	ni := sc.infos[name]
	if ni == nil {
		ni = &nodeInfo{name: name}
		sc.infos[name] = ni
	}
	sc.lastInfo = ni
	return ni
}

// changing notes a change to what the filters read of ni.
func (sc *Scheduler) changing(ni *nodeInfo) {
	sc.version++
	if sc.noFit.ok && ni.changed <= sc.noFit.version {
		sc.dirty = append(sc.dirty, ni) // its first change since the verdict
	}
	ni.changed = sc.version
}

func (sc *Scheduler) setNode(n *apiserver.Node) {
	ni := sc.info(n.Name)
	sc.changing(ni)
	existed := ni.node != nil
	region, zone := apiserver.RegionZone(n.Labels)
	if !existed {
		// appended (O(1) per node: a sorted insert made booting a large fleet
		// quadratic); put in tree order before the next cycle
		ni.idx = int32(len(sc.nodes))
		sc.nodes = append(sc.nodes, ni)
		if sc.spreadOn {
			sc.zoneOf = append(sc.zoneOf, 0)
		}
		sc.treeZ = append(sc.treeZ, sc.treeAdd(ni, treeZoneKey{region, zone}))
	} else if k := (treeZoneKey{region, zone}); sc.treeZones[sc.treeZ[ni.idx]].key != k {
		// a node whose zone labels change moves to the end of its new zone
		sc.treeRemove(ni, sc.treeZ[ni.idx])
		sc.treeZ[ni.idx] = sc.treeAdd(ni, k)
	}
	if !existed || (len(sc.keyTopos) > 0 && !ni.node.Labels.Equal(n.Labels)) {
		sc.nodesGen++ // the keyTopos are stale
	}
	ni.node = n
	if sc.spreadOn {
		sc.setTopology(ni, sc.nodeTopology(n), existed)
	}
}

func (sc *Scheduler) onNode(ev apiserver.Event[*apiserver.Node]) {
	n := ev.New
	switch ev.Type {
	case apiserver.Deleted:
		if ni := sc.infos[n.Name]; ni != nil && ni.node != nil {
			sc.changing(ni)
			last := len(sc.nodes) - 1
			if sc.spreadOn {
				sc.dropTopology(ni)
				sc.zoneOf[ni.idx] = sc.zoneOf[last]
				sc.zoneOf = sc.zoneOf[:last]
			}
			ni.node = nil
			sc.nodesGen++ // node indexes move: the keyTopos are stale
			defer sc.onNodeDelete(n)
			sc.treeRemove(ni, sc.treeZ[ni.idx])
			sc.treeZ[ni.idx] = sc.treeZ[last]
			sc.treeZ = sc.treeZ[:last]
			sc.nodes[ni.idx] = sc.nodes[last]
			sc.nodes[ni.idx].idx = ni.idx
			sc.nodes[last] = nil
			sc.nodes = sc.nodes[:last]
		}
	case apiserver.Added:
		sc.setNode(n)
		sc.onNodeEvent(nil, n)
	case apiserver.Modified:
		sc.setNode(n)
		sc.onNodeEvent(ev.Old, n)
	}
}

// acctOf is what p counts for on its node: a pod counts from binding until it is
// deleted or terminal.
func acctOf(p *apiserver.Pod) (podAcct, bool) {
	if p.NodeName == "" || p.Terminal() {
		return podAcct{}, false
	}
	a := podAcct{node: p.NodeName, req: p.Requests, spread: spreadKeyOf(p), ns: p.Namespace, labels: p.Labels, deleting: p.Deleting}
	if len(p.RequiredPodAntiAffinity) > 0 || len(p.RequiredPodAffinity) > 0 || len(p.PreferredPodAffinity) > 0 || len(p.PreferredPodAntiAffinity) > 0 {
		a.terms, a.key = p.PodSpec, p.Key()
	}
	return a, true
}

// eachCounted calls fn with every pod the cache counts, as counted: the pod
// informer's bound pods that are not terminal, then the assumed ones (in map order:
// callers only add counts). An assumed pod's cached version is the one from before
// its binding, which is not bound: it counts as assumed only.
func (sc *Scheduler) eachCounted(fn func(a podAcct)) {
	sc.podInf.Range(func(q *apiserver.Pod) {
		if a, ok := acctOf(q); ok {
			fn(a)
		}
	})
	for _, a := range sc.assumed {
		fn(a)
	}
}

// count adds (sign 1) or removes (-1) a pod's share of its node's sums.
func (sc *Scheduler) count(a podAcct, sign int64) {
	ni := sc.info(a.node)
	sc.changing(ni)
	nzCPU, nzMem := nonZero(a.req)
	ni.requested.MilliCPU += sign * a.req.MilliCPU
	ni.requested.Memory += sign * a.req.Memory
	ni.nzCPU += sign * nzCPU
	ni.nzMem += sign * nzMem
	ni.pods += int32(sign)
	sc.spreadCount(a.spread, ni, int32(sign))
	if len(sc.trackers) > 0 {
		sc.trackCount(a, ni, int32(sign))
	}
	for _, t := range sc.termTrackers {
		t.add(a, ni, int32(sign))
	}
	sc.antiCount(a, ni, int32(sign))
}

// recount moves a pod's share from what it was counted as (was, if counted) to
// what p counts for, and reports whether it freed anything (the old share was
// taken off).
func (sc *Scheduler) recount(was podAcct, counted bool, p *apiserver.Pod) (freed bool) {
	now, counts := acctOf(p)
	if counted && counts && was.node == now.node && was.req == now.req {
		if was.spread != now.spread { // terminating: no longer spread, same resources
			ni := sc.info(now.node)
			sc.spreadCount(was.spread, ni, -1)
			sc.spreadCount(now.spread, ni, 1)
		}
		if len(sc.trackers) > 0 && (was.deleting != now.deleting || !was.labels.Equal(now.labels)) {
			ni := sc.info(now.node)
			sc.trackCount(was, ni, -1)
			sc.trackCount(now, ni, 1)
		}
		if len(sc.termTrackers) > 0 && !was.labels.Equal(now.labels) {
			ni := sc.info(now.node)
			for _, t := range sc.termTrackers {
				t.add(was, ni, -1)
				t.add(now, ni, 1)
			}
		}
		return false
	}
	if counted {
		sc.count(was, -1)
	}
	if counts {
		sc.count(now, 1)
	}
	return counted
}

// counted is what the pod with this key is counted as before ev is applied: its
// assumed binding, else the previous version of it (Old, or for Deleted the last
// version, New).
func (sc *Scheduler) counted(key string, ev apiserver.Event[*apiserver.Pod]) (podAcct, bool) {
	if a, ok := sc.assumed[key]; ok {
		delete(sc.assumed, key) // from now on, the delivered version is what counts
		return a, true
	}
	switch ev.Type {
	case apiserver.Modified:
		return acctOf(ev.Old)
	case apiserver.Deleted:
		return acctOf(ev.New)
	}
	return podAcct{}, false
}

func (sc *Scheduler) onPod(ev apiserver.Event[*apiserver.Pod]) {
	p := ev.New
	key := p.Key()
	if _, assumed := sc.assumed[key]; assumed && ev.Type == apiserver.Modified && p.NodeName == "" {
		// an update from before the binding, delivered late: upstream ignores updates
		// of an assumed pod (updatePodInSchedulingQueue), and the cache keeps it
		return
	}
	was, counted := sc.counted(key, ev)
	if ev.Type == apiserver.Deleted {
		if counted {
			sc.count(was, -1)
			sc.onAssignedPodDelete(p, true)
		}
		sc.dequeue(key)
		return
	}
	_, counts := acctOf(p)
	if sc.recount(was, counted, p) {
		// a bound pod that finished: upstream's pod informer leaves out terminal pods
		// (status.phase field selector), so it sees a delete
		sc.onAssignedPodDelete(p, !counts)
	}
	if counts && (ev.Type == apiserver.Added || ev.Old.NodeName == "") {
		// the assigned pods' informer sees the pod for the first time
		sc.onAssignedPodAdd(p)
	}
	if !pending(p) {
		sc.dequeue(key)
		return
	}
	qp := sc.queued[key]
	if qp == nil {
		sc.enqueue(p)
		return
	}
	qp.pod = p
	if ev.Type == apiserver.Modified && qp.state == qUnschedulable && podSchedulingChanged(ev.Old, p) {
		sc.onOwnUpdate(qp, ev.Old, p)
	}
}

func podSchedulingChanged(o, n *apiserver.Pod) bool {
	if len(o.Tolerations) != len(n.Tolerations) || len(o.NodeSelector) != len(n.NodeSelector) ||
		len(o.RequiredNodeAffinity) != len(n.RequiredNodeAffinity) || o.Requests != n.Requests {
		return true
	}
	for i := range o.Tolerations {
		if !o.Tolerations[i].Equal(n.Tolerations[i]) {
			return true
		}
	}
	for k, v := range o.NodeSelector {
		if n.NodeSelector[k] != v {
			return true
		}
	}
	return false
}

func (sc *Scheduler) runCycle() {
	qp := sc.pop()
	if qp == nil {
		return
	}
	sc.kick()
	p := qp.pod
	if !pending(p) {
		delete(sc.queued, qp.key)
		return
	}
	sc.Attempts++
	qp.attempts++
	if _, pinned := pinnedNames(p); pinned {
		// NodeAffinity's PreFilterResult: only the named nodes are filtered
		if best := sc.selectNode(p); best != nil {
			sc.bind(qp, p, best)
		} else {
			sc.unschedulablePinned(qp, p)
		}
		return
	}
	// a pod with DoNotSchedule constraints or required anti-affinity of its own, and
	// every pod while a bound pod has required anti-affinity, is filtered against the
	// other pods too, which the no-fit cache does not follow
	if f := &sc.noFit; f.ok && !f.off && !sc.crossPod(p) && f.cmpOps == sc.s.Config.ComparisonOperators && sameFilterInputs(f.pod, p) &&
		(f.version == sc.version || sc.refreshNoFit(p)) {
		sc.unschedulableBecause(qp, f.msg, f.counts.rejectors())
		return
	}
	best := sc.selectNode(p)
	if best == nil {
		sc.unschedulable(qp, p)
		return
	}
	sc.bind(qp, p, best)
}

// selectNode filters and scores every node; it returns nil when none fits. It does
// not allocate once its scratch space has grown to the cluster's size.
func (sc *Scheduler) selectNode(p *apiserver.Pod) *nodeInfo {
	cmpOps := sc.s.Config.ComparisonOperators
	n := len(sc.nodes)
	if n == 0 {
		return nil
	}
	sc.treeList()
	if cap(sc.scores) < n {
		sc.scores = make([]int64, n)
		sc.order = make([]*nodeInfo, n)
	}
	// NodeAffinity's PreFilterResult: a pod pinned to named nodes is filtered on those
	// that exist only, from the start index taken modulo their number, in tree order
	// (upstream walks a set, in no set order)
	list := sc.nodes
	if names, ok := pinnedNames(p); ok {
		list = sc.pinnedList(names)
	}
	// PodTopologySpread's PreFilter counts over every node, pinned or not
	hard := sc.spreadPreFilter(p)
	sc.hard = hard
	anti := sc.interPreFilter(p) // InterPodAffinity's, likewise
	sc.anti = anti
	m := len(list)
	scores, order := sc.scores[:0], sc.order[:0]
	pCPU, pMem := nonZero(p.Requests)
	maxPrefer := int64(0)
	want := numFeasibleNodesToFind(m)
	processed := 0
	mode := sc.cfg.BalancedAllocation
	balanced := mode == BalancedAll || p.Requests.MilliCPU != 0 || p.Requests.Memory != 0
	// Like the scheduler framework, filter from where the previous cycle stopped and
	// stop once enough feasible nodes are found (percentageOfNodesToScore).
	for ; processed < m && len(order) < want; processed++ {
		ni := list[(sc.nextStart+processed)%m]
		if filterNode(p, ni.node, ni.requested, int64(ni.pods), cmpOps).code != fitOK {
			continue
		}
		if hard != nil && hard.verdict(ni) != fitOK {
			continue
		}
		if anti != nil && anti.verdict(ni) != fitOK {
			continue
		}
		prefer := countPreferNoSchedule(ni.node.Taints, p.Tolerations, cmpOps)
		if prefer > maxPrefer {
			maxPrefer = prefer
		}
		// NodeResourcesFit's and NodeResourcesBalancedAllocation's scores (weight 1
		// each) are added while the node is at hand, and kept packed with the taint
		// count until the maximum count is known
		fit := leastAllocatedScore(ni.node.Allocatable, ni.nzCPU+pCPU, ni.nzMem+pMem)
		if balanced {
			fit += balancedScore(mode, ni.node.Allocatable, ni.requested, p.Requests)
		}
		order = append(order, ni)
		scores = append(scores, fit<<32|prefer)
	}
	sc.nextStart = (sc.nextStart + processed) % n
	if len(order) == 0 {
		return nil
	}
	// NodeAffinity's score, for a pod with preferred terms (PreScore skips the others):
	// the weights of the terms each node matches, normalized to the best node's.
	affinity := sc.affinity[:0]
	maxAffinity := int64(0)
	if len(p.PreferredNodeAffinity) > 0 {
		for _, ni := range order {
			a := PreferredAffinityScore(p.PreferredNodeAffinity, ni.node)
			affinity = append(affinity, a)
			maxAffinity = max(maxAffinity, a)
		}
	}
	for i, raw := range scores {
		fit, prefer := raw>>32, raw&(1<<32-1)
		taintScore := int64(MaxNodeScore)
		if maxPrefer > 0 {
			taintScore = MaxNodeScore - prefer*MaxNodeScore/maxPrefer
		}
		// default plugin weights: the two above 1, TaintToleration 3, NodeAffinity 2
		scores[i] = fit + taintScore*3
		if maxAffinity > 0 {
			scores[i] += 2 * (MaxNodeScore * affinity[i] / maxAffinity)
		}
	}
	sc.affinity = affinity[:0]
	// InterPodAffinity, weight 2: the pod's preferred terms, the bound pods' required
	// affinity and preferred terms
	if sc.interScored(p) {
		sc.interScores(p, order, scores)
	}
	// PodTopologySpread, weight 2: the pod's own constraints, else the system defaults
	if len(p.TopologySpreadConstraints) > 0 {
		sc.ownSpreadScores(p, order, scores)
	} else {
		sc.spreadScores(p, order, scores)
	}
	return sc.pickBest(order, scores)
}

// pickBest returns a node of order with the highest score, each of the best equally
// likely: upstream draws among them (selectHost's reservoir sampling up to 1.33; later
// a heap over the feasible nodes, which parallel filtering leaves in no fixed order).
// Without a Rand it takes the first by name.
func (sc *Scheduler) pickBest(order []*nodeInfo, scores []int64) *nodeInfo {
	ties := sc.ties[:0]
	bestScore := int64(-1)
	for i, ni := range order {
		switch total := scores[i]; {
		case total > bestScore:
			bestScore = total
			ties = append(ties[:0], ni)
		case total == bestScore:
			ties = append(ties, ni)
		}
	}
	sc.ties = ties[:0]
	best := ties[0]
	if len(ties) > 1 {
		if r := sc.cfg.Rand; r != nil {
			best = ties[r.Int64N(int64(len(ties)))]
		} else {
			for _, ni := range ties[1:] {
				if ni.name < best.name {
					best = ni
				}
			}
		}
	}
	clear(ties) // keep no node alive
	return best
}

// numFeasibleNodesToFind is the scheduler's percentageOfNodesToScore rule with the
// default (adaptive) percentage (pkg/scheduler/schedule_one.go): every node below 100
// nodes; otherwise 50 % − nodes/125, at least 5 %, and at least 100 nodes.
func numFeasibleNodesToFind(n int) int {
	const minFeasibleNodesToFind, minFeasibleNodesPercentageToFind = 100, 5
	if n < minFeasibleNodesToFind {
		return n
	}
	pct := 50 - n/125
	if pct < minFeasibleNodesPercentageToFind {
		pct = minFeasibleNodesPercentageToFind
	}
	k := n * pct / 100
	if k < minFeasibleNodesToFind {
		return minFeasibleNodesToFind
	}
	return k
}

func countPreferNoSchedule(taints []taint.Taint, tols []taint.Toleration, cmpOps bool) int64 {
	var n int64
	for _, t := range taints {
		if t.Effect == taint.PreferNoSchedule && !taint.TolerationsTolerateTaint(tols, t, cmpOps) {
			n++
		}
	}
	return n
}

func (sc *Scheduler) bind(qp *qpod, p *apiserver.Pod, ni *nodeInfo) {
	now := sc.s.Now()
	node := ni.name
	bound, err := sc.s.Pods.Patch(sc.c, qp.key, func(x *apiserver.Pod) error {
		if x.NodeName != "" {
			return errAlreadyBound
		}
		x.NodeName = node
		x.SetCondition(apiserver.PodCondition{Type: apiserver.PodScheduled, Status: apiserver.ConditionTrue}, now)
		return nil
	})
	switch {
	case err == nil:
		sc.Bound++
		delete(sc.queued, qp.key)
		sc.assume(qp.key, p, bound)
	case apiserver.IsNotFound(err) || err == errAlreadyBound:
		delete(sc.queued, qp.key)
	default:
		// the API call failed (partition, outage): handleBindingCycleError forgets the
		// assumed pod, an AssignedPodDelete for the others (the pods NodeResourcesFit
		// rejected move, and those PodTopologySpread rejected that the pod's labels
		// concern), then the pod has an Error status, no plugin rejected it: it goes to
		// the backoff queue (the error backoff queue from 1.33), and Pop does not take
		// it early
		sc.onAssignedPodDelete(p, true)
		sc.failed(qp, 0)
	}
}

var errAlreadyBound = fmt.Errorf("pod is already bound")

// assume counts a pod the scheduler just bound before its watch shows the binding
// (upstream's AssumePod), until the watch's next event for the pod; seen is the
// version the scheduler last saw.
func (sc *Scheduler) assume(key string, seen, bound *apiserver.Pod) {
	was, counted := sc.assumed[key]
	if !counted {
		was, counted = acctOf(seen)
	}
	sc.recount(was, counted, bound)
	if a, ok := acctOf(bound); ok {
		sc.assumed[key] = a
	} else {
		delete(sc.assumed, key)
	}
}

// pinnedList is the existing nodes among names, in the nodes' order.
func (sc *Scheduler) pinnedList(names []string) []*nodeInfo {
	list := sc.pinned[:0]
	for _, name := range names {
		if ni := sc.infos[name]; ni != nil && ni.node != nil {
			list = append(list, ni)
		}
	}
	slices.SortFunc(list, func(a, b *nodeInfo) int { return int(a.idx) - int(b.idx) })
	sc.pinned = list
	return list
}

// unschedulablePinned is unschedulable for a pod pinned to named nodes: the FitError
// counts the reasons of the nodes filtered and, from 1.32, the others as outside
// NodeAffinity's PreFilterResult. The no-fit cache is not used for such pods.
func (sc *Scheduler) unschedulablePinned(qp *qpod, p *apiserver.Pod) {
	cmpOps := sc.s.Config.ComparisonOperators
	names, _ := pinnedNames(p)
	var c fitCounts
	list := sc.pinnedList(names)
	for _, ni := range list {
		c.add(sc.filterAll(p, ni, cmpOps), 1)
	}
	if sc.cfg.PreFilterAbsentStatus {
		c.absent = len(sc.nodes) - len(list)
	}
	rej := c.rejectors() | rejAffinity // NodeAffinity is among UnschedulablePlugins (pluginsWithNodes)
	sc.unschedulableBecause(qp, c.message(len(sc.nodes), sc.cfg.GenericTaintMessage), rej)
}

func (sc *Scheduler) unschedulable(qp *qpod, p *apiserver.Pod) {
	cmpOps := sc.s.Config.ComparisonOperators
	f := &sc.noFit
	if f.gen++; f.gen == 0 {
		f.gen = 1 // 0 means counted in none
	}
	f.counts.reset()
	for _, ni := range sc.nodes {
		r := sc.filterAll(p, ni, cmpOps)
		ni.nf = verdictOf(r, ni.node, f.gen)
		f.counts.add(r, 1)
	}
	msg := f.counts.message(len(sc.nodes), sc.cfg.GenericTaintMessage)
	f.ok, f.version, f.pod, f.cmpOps, f.msg = !sc.crossPod(p), sc.version, p, cmpOps, msg
	sc.dirty = sc.dirty[:0]
	sc.unschedulableBecause(qp, msg, f.counts.rejectors())
}

// filterAll runs every filter of the cycle's pod p on ni: filterNode's, then
// PodTopologySpread's with the cycle's PreFilter state (sc.hard, set by selectNode),
// then InterPodAffinity's (sc.anti).
func (sc *Scheduler) filterAll(p *apiserver.Pod, ni *nodeInfo, cmpOps bool) filterResult {
	r := filterNode(p, ni.node, ni.requested, int64(ni.pods), cmpOps)
	if r.code == fitOK && sc.hard != nil {
		r.code = sc.hard.verdict(ni)
	}
	if r.code == fitOK && sc.anti != nil {
		r.code = sc.anti.verdict(ni)
	}
	return r
}

// crossPod reports whether p is filtered against the other pods, which the no-fit
// cache does not follow: it has DoNotSchedule spread constraints, required
// affinity or anti-affinity terms of its own, or some bound pod has the latter.
func (sc *Scheduler) crossPod(p *apiserver.Pod) bool {
	return hasHardSpread(p) || hasPodAnti(p) || hasPodAffinity(p) || len(sc.antiPods.pods) > 0
}

// hasHardSpread reports whether p has a DoNotSchedule topology spread constraint.
func hasHardSpread(p *apiserver.Pod) bool {
	for i := range p.TopologySpreadConstraints {
		if p.TopologySpreadConstraints[i].WhenUnsatisfiable == apiserver.DoNotSchedule {
			return true
		}
	}
	return false
}

// refreshNoFit brings the no-fit cache to the current version for p, a pod with its
// pod's filter inputs, by filtering only the nodes changed since. It reports whether
// p still fits nowhere; if some node fits, the cache stays at its version and the
// cycle runs in full. The verdict is the full cycle's: with no feasible node, that
// cycle filters every node (and its next start index comes back where it was), and
// the message counts reasons, whatever the nodes' order.
func (sc *Scheduler) refreshNoFit(p *apiserver.Pod) bool {
	cmpOps := sc.s.Config.ComparisonOperators
	f := &sc.noFit
	f.fresh = f.fresh[:0]
	for _, ni := range sc.dirty {
		var r filterResult
		if ni.node != nil { // else deleted, or pods counted on a node not seen yet
			if r = filterNode(p, ni.node, ni.requested, int64(ni.pods), cmpOps); r.code == fitOK {
				return false
			}
		}
		f.fresh = append(f.fresh, r)
	}
	for i, ni := range sc.dirty {
		if ni.nf.gen == f.gen {
			f.counts.add(ni.nf.result(), -1)
		}
		ni.nf = verdict{} // a deleted node's verdict keeps no taint alive
		if ni.node != nil {
			ni.nf = verdictOf(f.fresh[i], ni.node, f.gen)
			f.counts.add(f.fresh[i], 1)
		}
	}
	f.version, f.msg = sc.version, f.counts.message(len(sc.nodes), sc.cfg.GenericTaintMessage)
	clear(sc.dirty)
	sc.dirty = sc.dirty[:0]
	// The full cycle filters every node, from nextStart round to it: nextStart comes
	// back as nextStart mod the number of nodes, which nodes deleted since it was last
	// set may have made smaller (found by review).
	if n := len(sc.nodes); n > 0 {
		sc.nextStart %= n
	}
	return true
}

// unschedulableBecause parks a pod that fits no node, msg saying why; rej are the
// plugins that rejected it (none when there is no node at all: upstream's
// ErrNoNodesAvailable is an Error status, not a FitError).
func (sc *Scheduler) unschedulableBecause(qp *qpod, msg string, rej uint8) {
	now := sc.s.Now()
	sc.failed(qp, rej)
	if msg == qp.lastMsg {
		return
	}
	qp.lastMsg = msg
	sc.s.Trace.Add(now, "FailedScheduling", sim.S("pod", qp.key), sim.S("reason", "Unschedulable"), sim.S("message", msg))
	_, err := sc.s.Pods.Patch(sc.c, qp.key, func(x *apiserver.Pod) error {
		x.SetCondition(apiserver.PodCondition{Type: apiserver.PodScheduled, Status: apiserver.ConditionFalse, Reason: "Unschedulable", Message: msg}, now)
		return nil
	})
	sc.c.TraceError("patch", "pods", err)
}

// treeZoneKey is a node's zone in the node tree (utilnode.GetZoneKey: its region and
// zone labels, beta or GA).
type treeZoneKey struct{ region, zone string }

// treeZone is one zone of the node tree: its nodes in order of arrival.
type treeZone struct {
	key   treeZoneKey
	nodes []*nodeInfo
}

// treeAdd appends ni to the zone k, which joins the end of the zone order when it has
// no node yet, and returns the zone's id.
func (sc *Scheduler) treeAdd(ni *nodeInfo, k treeZoneKey) uint32 {
	id, ok := sc.treeIDs[k]
	if !ok {
		id = uint32(len(sc.treeZones))
		sc.treeIDs[k] = id
		sc.treeZones = append(sc.treeZones, treeZone{key: k})
	}
	z := &sc.treeZones[id]
	if len(z.nodes) == 0 {
		sc.treeOrder = append(sc.treeOrder, id)
	}
	z.nodes = append(z.nodes, ni)
	sc.treeDirty = true
	return id
}

// treeRemove takes ni out of zone id, keeping the others' order; a zone left empty
// leaves the zone order (node_tree.go removeZone).
func (sc *Scheduler) treeRemove(ni *nodeInfo, id uint32) {
	z := &sc.treeZones[id]
	if i := slices.Index(z.nodes, ni); i >= 0 {
		z.nodes = slices.Delete(z.nodes, i, i+1)
	}
	if len(z.nodes) == 0 {
		if i := slices.Index(sc.treeOrder, id); i >= 0 {
			sc.treeOrder = slices.Delete(sc.treeOrder, i, i+1)
		}
	}
	sc.treeDirty = true
}

// treeList puts nodes in the node tree's order (node_tree.go list: one node of each
// zone in turn) when a node arrived, left or changed zone since the last time, as the
// cache's snapshot lists them anew then (updateNodeInfoSnapshotList). The per-node
// slices indexed like nodes follow.
func (sc *Scheduler) treeList() {
	if !sc.treeDirty {
		return
	}
	sc.treeDirty = false
	sc.nodesGen++ // node indexes move: the keyTopos are stale
	n := len(sc.nodes)
	out := sc.treeScratch[:0]
	for depth := 0; len(out) < n; depth++ {
		for _, id := range sc.treeOrder {
			if z := sc.treeZones[id].nodes; depth < len(z) {
				out = append(out, z[depth])
			}
		}
	}
	tz := slices.Grow(sc.treeZ2[:0], n)[:n]
	var zo []uint32
	if sc.spreadOn {
		zo = slices.Grow(sc.zoneOf2[:0], n)[:n]
	}
	for i, ni := range out {
		tz[i] = sc.treeZ[ni.idx]
		if zo != nil {
			zo[i] = sc.zoneOf[ni.idx]
		}
	}
	for i, ni := range out {
		ni.idx = int32(i)
	}
	sc.treeScratch, sc.nodes = sc.nodes, out
	sc.treeZ2, sc.treeZ = sc.treeZ, tz
	if zo != nil {
		sc.zoneOf2, sc.zoneOf = sc.zoneOf, zo
	}
}
