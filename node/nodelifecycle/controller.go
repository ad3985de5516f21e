package nodelifecycle

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// NodeLeaseNamespace is where the kubelets' Leases live.
const NodeLeaseNamespace = "kube-node-lease"

// Reasons and messages the controller writes (upstream's).
const (
	ReasonNodeStatusUnknown      = "NodeStatusUnknown"
	MessageNodeStatusUnknown     = "Kubelet stopped posting node status."
	ReasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated"
	MessageNodeStatusNeverUpd    = "Kubelet never posted node status."
	EventRegisteredNode          = "RegisteredNode"
	EventRemovingNode            = "RemovingNode"
	EventNodeNotReady            = "NodeNotReady"
)

// ZoneState is a zone's disruption state.
type ZoneState string

// Zone states (handleDisruption).
const (
	StateInitial           ZoneState = "Initial"
	StateNormal            ZoneState = "Normal"
	StatePartialDisruption ZoneState = "PartialDisruption"
	StateFullDisruption    ZoneState = "FullDisruption"
)

// nodeHealth is everything the controller keeps about one node name: the upstream
// nodeHealthData record (probe timestamp, saved Ready condition and Lease) and the
// bookkeeping of the lazy mode.
type nodeHealth struct {
	// The flags come first, together: the visit loop and clean read them for every
	// node they pass over, and a lazy pass's first touch of a record is then one line.
	//
	// informer and known-set membership
	inCache    bool
	known      bool
	knownUID   uint64 // the UID its RegisteredNode Event named (RemovingNode names it too)
	memberMark bool
	// nodeHealthData
	hasRecord     bool
	savedReady    bool
	hasSavedLease bool
	retry         bool // nodesToRetry
	// lazy mode's bookkeeping
	leaseSteady  bool
	active       bool
	counted      bool
	countedReady bool
	visitOK      bool
	stuck        bool // skipped as a node that stays Unknown (see stuckUnknown)
	waiting      bool // and, stuck, waits in its tainting queue (see waitingUnknown)

	name    string
	zoneKey string // zone key of the cached node (for member counts)

	// nodeHealthData
	probe            time.Duration
	probeFloor       time.Duration // last time probe was set to "now" for a reason other than a heartbeat
	readyTransition  time.Duration
	savedStatus      apiserver.ConditionStatus
	savedHB, savedLT time.Duration
	savedLeaseRenew  time.Duration
	savedLeaseRV     uint64
	countedZone      string
	// when the informers handed over the first version carrying the renewTime of the
	// Lease and the Ready lastHeartbeatTime of the Node they hold (see firstPassSeeing)
	leaseGot, hbGot time.Duration

	// What the informers hold for this name, kept by the handlers (and Start's list), so
	// that a visit looks nothing up by name: node is the node informer's version (nil
	// when it has none), lease what a visit reads of the lease informer's Lease.
	node  *apiserver.Node
	lease leaseView
	facts nodeFacts

	// the node as the open monitor pass listed it, when a handler changed it since
	// (passSeq is that pass's), and the last pass that visited it
	passNode          *apiserver.Node
	passSeq, visitSeq uint64
	// queued for the NoSchedule workers, held by one of them, and the resourceVersion
	// of a worker's last write to the node
	nsQueued  bool
	nsHeld    bool
	nsAgain   bool // queued while a worker held it
	nsWroteRV uint64
	// changed after this pass's visit (see markActive)
	touched bool

	labels   nodeLabels
	leaseKey string // "kube-node-lease/name", once a pass needed it
	// the node's item in the tainting queue it was last re-added to
	queue     *rateLimitedTimedQueue
	queueItem *queueItem
}

// leaseView is what tryUpdateNodeHealth reads of the node's Lease in the lease informer
// (ok false: it has none). Lease versions are never changed in place, so a copy taken
// when the informer delivered the version is that version, and its resourceVersion
// names it: every write stores a new copy with a new resourceVersion. It holds no
// pointer to the Lease, so that Start's list need not build the Leases the store
// keeps deferred (apiserver.EachLeaseSummary).
type leaseView struct {
	ok     bool
	steady bool
	renew  time.Duration
	rv     uint64
}

func (v *leaseView) set(l apiserver.LeaseSummary) {
	*v = leaseView{ok: true, steady: l.Steady, renew: l.RenewTime, rv: l.ResourceVersion}
}

// nodeFacts is what a visit reads of one version of the node, of: a node that stays
// Unknown keeps its version for the whole outage, and scanning its conditions and
// taints again at every visit was most of the cost of a visit after the lookups. The
// values are copied so that a visit of such a node does not touch the node at all.
type nodeFacts struct {
	of  *apiserver.Node
	rv  uint64
	uid uint64
	// of's first Ready condition, if hasReady
	readyStatus      apiserver.ConditionStatus
	readyHB, readyLT time.Duration
	hasReady         bool
	unreachable      bool // of.HasTaint(taint.UnreachableNoExecute)
	notReady         bool // of.HasTaint(taint.NotReadyNoExecute)
}

// factsOf returns node's nodeFacts; node is any version of n's node (versions are never
// changed in place, so the pointer identifies the content). The handlers drop the facts
// of a version the informer replaced, so that they keep no old version alive.
func (n *nodeHealth) factsOf(node *apiserver.Node) *nodeFacts {
	f := &n.facts
	if f.of != node {
		*f = nodeFacts{of: node, rv: node.ResourceVersion, uid: node.UID}
		if r := node.Condition(apiserver.NodeReady); r != nil {
			f.hasReady = true
			f.readyStatus, f.readyHB, f.readyLT = r.Status, r.LastHeartbeatTime, r.LastTransitionTime
		}
		for _, t := range node.Taints {
			f.unreachable = f.unreachable || t.MatchTaint(taint.UnreachableNoExecute)
			f.notReady = f.notReady || t.MatchTaint(taint.NotReadyNoExecute)
		}
	}
	return f
}

// nodeLabels is what a pass needs of a node's labels, read from one version of the node:
// labels change rarely, and looking them up again at every visit of a stale node was a
// fifth of the cost of the visit.
type nodeLabels struct {
	rv           uint64 // resourceVersion of the node they were read from; 0: none
	key, label   string // zoneOf
	z            *zone  // nc.zone(key, label), once something needed it
	excluded     bool
	excludedRead bool
}

// labelsOf returns node's nodeLabels; n must be node's record.
func (nc *Controller) labelsOf(n *nodeHealth, node *apiserver.Node) *nodeLabels {
	l := &n.labels
	rv := n.facts.rv
	if n.facts.of != node {
		rv = node.ResourceVersion
	}
	if l.rv == 0 || l.rv != rv {
		key, label := nc.zoneOf(node)
		*l = nodeLabels{rv: node.ResourceVersion, key: key, label: label}
	}
	return l
}

// labelsZone is nc.zone(l.key, l.label).
func (nc *Controller) labelsZone(l *nodeLabels) *zone {
	if l.z == nil {
		l.z = nc.zone(l.key, l.label)
	}
	return l.z
}

// isExcluded is excluded(node), n being node's record.
func (nc *Controller) isExcluded(n *nodeHealth, node *apiserver.Node) bool {
	l := nc.labelsOf(n, node)
	if !l.excludedRead {
		l.excluded, l.excludedRead = excluded(node), true
	}
	return l.excluded
}

// leaseKeyOf is the key of the node's Lease.
func (n *nodeHealth) leaseKeyOf() string {
	if n.leaseKey == "" {
		n.leaseKey = NodeLeaseNamespace + "/" + n.name
	}
	return n.leaseKey
}

// zone is one zone key's tainting queue and disruption accounting.
type zone struct {
	key, label string
	state      ZoneState
	inStates   bool
	slot       int8 // its slot in the zone states' map group (see forgetUncountedZones), or -1
	q          *rateLimitedTimedQueue
	members    int // cached nodes with this zone key (excluded ones too)
	total      int // counted (visited, not excluded) nodes
	notReady   int
}

// Controller is the node lifecycle controller (pkg/controller/nodelifecycle).
type Controller struct {
	s   *apiserver.Server
	c   *apiserver.Client
	cfg Config
	e   *sim.Engine
	tr  *sim.Trace

	nodeInf  *apiserver.Informer[*apiserver.Node]
	leaseInf *apiserver.Informer[*apiserver.Lease]
	podInf   *apiserver.Informer[*apiserver.Pod]
	// shared: the informers are the factory's (not stopped by Stop); run numbers the
	// Starts, so that handlers left on a shared informer by an earlier run do nothing
	shared bool
	run    uint64

	loop *sim.Loop
	tick *sim.Timer
	// tickTarget is the grid instant the tainting tick is for.
	tickTarget time.Duration
	// activeUnsorted: nodes were added to active since it was last sorted by name.
	activeUnsorted bool
	// tickDeferred: this instant's tick already yielded once to the pass's deliveries.
	tickDeferred bool
	running      bool
	origin       time.Duration // grid origin: Start time
	step         time.Duration // monitor period + pass duration

	nodes       map[string]*nodeHealth
	active      []*nodeHealth // sorted by name; lazy mode's visit set
	memberDirty []*nodeHealth
	zones       map[string]*zone
	zoneList    []*zone // sorted by key
	zoneOrder   []*zone // forgetUncountedZones' walk (a reused buffer)
	// zoneSlots and bigZoneMap model the slots of upstream's nc.zoneStates, a Go map,
	// whose order its walk in handleDisruption follows (see forgetUncountedZones)
	zoneSlots  [zoneMapGroup]*zone
	bigZoneMap bool
	zoneKeys   map[[2]string]string // interned zone keys by (region, zone)

	leaseCacheRV uint64
	breakerRV    uint64
	lastPass     time.Duration // start of the latest monitor pass
	passRan      bool
	inPass       bool
	tickNow      bool // a tainting tick is due at the instant of the running pass

	// stuck lists the nodes skipped because they stay Unknown (lazy mode), so that they
	// can all be visited again at once; entries whose node left that state are stale.
	// nStuck counts the nodes in that state.
	stuck  []*nodeHealth
	nStuck int
	// nWaiting counts the stuck nodes that wait in their tainting queue (waiting).
	nWaiting int
	// cacheIsLive: during this pass the lease informer holds what the API server holds
	// and the client gets answers (see listVisits).
	cacheIsLive bool

	// The client's rate limit (Config.RateLimit): the bucket and the event writer of
	// this run (nil: no limit), and the workers that wait on it.
	limiter *flowcontrol.Limiter
	events  *flowcontrol.EventWriter
	pass    passState
	vis     []visitor // the monitor pass's workers
	epochs  []passEpoch
	// the NoExecute tainting tick: its worker, whether a tick is in progress, the zone
	// it is at, the queue head it works on and its swap; the grid origin of the next
	// ticks (a tick that waited moves it: the loop is sliding)
	tw         worker
	tickBusy   bool
	tickInOp   bool
	tickZone   *zone
	tickV      timedValue
	tickOp     taintOp
	tickOrigin time.Duration
	// the NoSchedule workers (doNodeProcessingPassWorker): their queue of nodes (a
	// heap by name; a node held by a worker is not in it) and the workers
	nsQ nameHeap
	ns  []nsWorker
	// the resourceVersion of the controller's last taint PATCH, and whether its last
	// taint removal met NotFound
	wroteRV   uint64
	patchGone bool
	// processPod's pod status writes that wait for their tokens
	podWaiting *flowcontrol.Waiting[*apiserver.Pod]
}

// New returns a stopped controller that reads through informers on c and writes through c.
func New(s *apiserver.Server, c *apiserver.Client, cfg Config) (*Controller, error) {
	if s == nil || c == nil {
		return nil, errors.New("nodelifecycle: New needs a server and a client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	nc := &Controller{s: s, c: c, cfg: cfg, e: s.Engine, tr: s.Trace,
		step:  cfg.NodeMonitorPeriod + cfg.PassDuration,
		nodes: map[string]*nodeHealth{}, zones: map[string]*zone{}}
	c.TrackPartitions() // for firstPassSeeing
	c.BeforeChange(nc.clientChanges)
	var err error
	nc.loop, err = nc.e.NewLoop(sim.LoopConfig{Period: cfg.NodeMonitorPeriod, Sliding: true}, nc.monitorPass)
	if err != nil {
		return nil, err
	}
	nc.tick, err = nc.e.NewTimer(nc.taintingTick)
	if err != nil {
		return nil, err
	}
	nc.vis = make([]visitor, cfg.monitorWorkers())
	for i := range nc.vis {
		if nc.vis[i].w.timer, err = nc.e.NewTimer(func() { nc.visitorResumed(i) }); err != nil {
			return nil, err
		}
	}
	if nc.tw.timer, err = nc.e.NewTimer(nc.runTick); err != nil {
		return nil, err
	}
	nc.ns = make([]nsWorker, cfg.noScheduleWorkers())
	for i := range nc.ns {
		if nc.ns[i].w.timer, err = nc.e.NewTimer(func() { nc.nsWorkerResumed(i) }); err != nil {
			return nil, err
		}
	}
	if nc.podWaiting, err = flowcontrol.NewWaiting(nc.e, nc.sendPod); err != nil {
		return nil, err
	}
	return nc, nil
}

// Config returns the controller's configuration.
func (nc *Controller) Config() Config { return nc.cfg }

// Running reports whether the controller is started.
func (nc *Controller) Running() bool { return nc.running }

// Start lists the cluster through fresh informers and starts the monitor loop (first pass
// now) and the tainting tick grid (100 ms from now). A controller starts with empty memory.
func (nc *Controller) Start() {
	if nc.running {
		return
	}
	nc.running = true
	if nc.run > 0 {
		nc.forgetAll()
	}
	nc.origin = nc.s.Now()
	nc.tickOrigin = nc.origin
	nc.passRan, nc.inPass, nc.tickNow = false, false, false
	// a new process: a new clientset, whose bucket starts full, and a new recorder
	nc.limiter, _ = nc.cfg.RateLimit.Limiter() // validated by New
	nc.events = nil
	if nc.limiter != nil {
		nc.events, _ = flowcontrol.NewEventWriter(nc.e, nc.c, nc.limiter, nc.cfg.EventsRand)
	}
	nc.pass = passState{seq: nc.pass.seq}
	nc.epochs = append(nc.epochs[:0], passEpoch{start: nc.origin})
	nc.tickBusy, nc.tickZone, nc.tickInOp = false, nil, false
	lat := nc.cfg.WatchLatency
	f := nc.cfg.Informers
	nc.shared = f.Serves(nc.c, lat)
	nc.run++
	nc.nodeInf, _ = apiserver.InformerFor(f, nc.s.Nodes, nc.c, lat)
	nc.leaseInf, _ = apiserver.InformerFor(f, nc.s.Leases, nc.c, lat)
	nc.podInf, _ = apiserver.InformerFor(f, nc.s.Pods, nc.c, lat)
	nc.podInf.AddIndex(apiserver.IndexNodeName, func(p *apiserver.Pod) string { return p.NodeName })
	// the Leases as summaries: a running start's steady Leases stay unbuilt
	apiserver.EachLeaseSummary(nc.leaseInf, func(l apiserver.LeaseSummary) {
		nc.leaseCacheRV = max(nc.leaseCacheRV, l.ResourceVersion)
		if l.Namespace == NodeLeaseNamespace {
			n := nc.health(l.Name)
			n.leaseSteady = l.Steady
			n.lease.set(l)
			n.leaseGot = nc.origin
		}
	})
	for _, n := range nc.nodeInf.List() {
		nc.nodeSeen(n)
	}
	run := nc.run
	live := func() bool { return nc.running && nc.run == run }
	nc.nodeInf.AddComponentHandler(nc.shared, live, nc.onNode)
	nc.leaseInf.AddComponentHandler(nc.shared, live, nc.onLease)
	nc.podInf.AddComponentHandler(nc.shared, live, nc.onPod)
	for _, key := range nc.nodeInf.Keys() {
		nc.queueNoSchedule(nc.nodes[key])
	}
	nc.runNoSchedule()
	nc.loop.Start()
}

// forgetAll drops what an earlier run knew: a Start after Stop is a new process (as
// kube-controller-manager, which exits when it loses its leader lease, always is), so
// it starts with no node records, zone states or tainting queues, and a node deleted
// while the controller was stopped is one it never saw. Keeping the records would give
// exact mode the earlier run's probe timestamps, which lazy mode's passes, starting
// afresh, cannot rebuild.
func (nc *Controller) forgetAll() {
	nc.nodes, nc.zones, nc.zoneList, nc.zoneKeys = map[string]*nodeHealth{}, map[string]*zone{}, nil, nil
	nc.zoneSlots, nc.bigZoneMap = [zoneMapGroup]*zone{}, false
	nc.active, nc.memberDirty, nc.stuck = nil, nil, nil
	nc.nStuck, nc.nWaiting = 0, 0
	nc.activeUnsorted, nc.tickDeferred, nc.tickTarget = false, false, 0
	nc.leaseCacheRV, nc.breakerRV, nc.lastPass = 0, 0, 0
}

// Stop stops the loops, cancels every timer and stops the informers (unless they are
// shared: see Config.Informers); the Lease informer, which nothing reads once the
// controller stops, is discarded (apiserver.Informer.Discard).
func (nc *Controller) Stop() {
	if !nc.running {
		return
	}
	nc.running = false
	nc.loop.Stop()
	nc.tick.Stop()
	for i := range nc.vis {
		nc.vis[i].reset()
	}
	nc.tw.stop()
	nc.podWaiting.Drop()
	if nc.events != nil {
		nc.events.Stop()
	}
	for _, n := range nc.pass.cow {
		n.passNode = nil
	}
	nc.pass = passState{seq: nc.pass.seq}
	for _, n := range nc.nsQ {
		n.nsQueued, n.nsAgain = false, false
	}
	clear(nc.nsQ)
	nc.nsQ = nc.nsQ[:0]
	for i := range nc.ns {
		s := &nc.ns[i]
		s.w.stop()
		if s.cur != nil {
			s.cur.nsQueued, s.cur.nsHeld, s.cur.nsAgain = false, false, false
		}
		s.cur, s.op = nil, taintOp{}
	}
	nc.tickBusy, nc.tickZone, nc.tickInOp = false, nil, false
	if nc.shared {
		return
	}
	nc.nodeInf.Stop()
	// nothing reads a stopped controller's Lease cache (a Start makes new informers),
	// and Stop's copy would build every Lease a running start left unbuilt
	nc.leaseInf.Discard()
	nc.podInf.Stop()
}

// ZoneStates returns the zones' states by zone label value (for reports and tests). A
// zone with no counted node that a pass kept (state "", see forgetUncountedZones) is
// left out.
func (nc *Controller) ZoneStates() map[string]ZoneState {
	out := map[string]ZoneState{}
	for _, z := range nc.zoneList {
		if z.inStates && z.state != "" {
			out[z.label] = z.state
		}
	}
	return out
}

// Passes is the number of monitor passes run so far.
func (nc *Controller) Passes() uint64 { return nc.loop.Runs() }

func (nc *Controller) health(name string) *nodeHealth {
	n := nc.nodes[name]
	if n == nil {
		n = &nodeHealth{name: name}
		nc.nodes[name] = n
	}
	return n
}

func (nc *Controller) markActive(n *nodeHealth) {
	if p := &nc.pass; p.open && p.throttled && n.visitSeq == p.seq {
		// changed after its visit in a pass that goes on over time: the next pass
		// must see it
		n.touched = true
	}
	if n.stuck {
		n.stuck = false
		nc.nStuck--
		if n.waiting {
			n.waiting = false
			n.queue.nWaiting--
			nc.nWaiting--
		}
	}
	if n.active {
		return
	}
	n.active = true
	if nc.pass.open && nc.pass.throttled {
		// not visited by this pass unless it comes later (nextVisit): kept active for
		// the next
		n.visitOK = false
	}
	// Appended, and sorted by name once at the next pass: a sorted insert per node made
	// booting a large fleet quadratic.
	nc.active = append(nc.active, n)
	nc.activeUnsorted = true
}

// zoneOf is the node's zone key (utilnode.GetZoneKey) and its zone label value.
func zoneOf(n *apiserver.Node) (key, label string) {
	r, z := apiserver.RegionZone(n.Labels)
	return apiserver.ZoneKey(r, z), z
}

// zoneOf is the package zoneOf with the keys interned: a pass or an update of a node in a known
// zone allocates nothing.
func (nc *Controller) zoneOf(n *apiserver.Node) (key, label string) {
	r, z := apiserver.RegionZone(n.Labels)
	if r == "" && z == "" {
		return "", ""
	}
	rz := [2]string{r, z}
	if k, ok := nc.zoneKeys[rz]; ok {
		return k, z
	}
	if nc.zoneKeys == nil {
		nc.zoneKeys = map[[2]string]string{}
	}
	k := apiserver.ZoneKey(r, z)
	nc.zoneKeys[rz] = k
	return k, z
}

func excluded(n *apiserver.Node) bool {
	return n.Labels.Has(taint.ExcludeDisruptionLabel)
}

func (nc *Controller) zone(key, label string) *zone {
	z := nc.zones[key]
	if z == nil {
		z = &zone{key: key, label: label, slot: -1}
		nc.zones[key] = z
		i, _ := slices.BinarySearchFunc(nc.zoneList, key, func(z *zone, k string) int { return cmp.Compare(z.key, k) })
		nc.zoneList = slices.Insert(nc.zoneList, i, z)
	}
	return z
}

// nodeSeen records a node present in the cache.
func (nc *Controller) nodeSeen(node *apiserver.Node) {
	n := nc.health(node.Name)
	nc.keepForPass(n, node)
	if r := node.Condition(apiserver.NodeReady); r != nil {
		if old := n.node; old == nil || !hasHeartbeat(old, r.LastHeartbeatTime) {
			n.hbGot = nc.s.Now()
		}
	}
	n.node, n.facts = node, nodeFacts{}
	l := nc.labelsOf(n, node)
	key, label := l.key, l.label
	if !n.inCache {
		n.inCache = true
		nc.zone(key, label).members++
		n.zoneKey = key
		nc.memberChanged(n)
	} else if key != n.zoneKey {
		nc.zones[n.zoneKey].members--
		nc.zone(key, label).members++
		n.zoneKey = key
	}
	nc.markActive(n)
}

// forget drops a node from the cache: deleted, or not listed yet by a restart.
func (nc *Controller) forget(n *nodeHealth) {
	nc.keepForPass(n, nil)
	n.node, n.facts = nil, nodeFacts{}
	if n.inCache {
		n.inCache = false
		nc.zones[n.zoneKey].members--
		nc.memberChanged(n)
	}
	n.retry = false
	nc.markActive(n)
}

func (nc *Controller) memberChanged(n *nodeHealth) {
	if !n.memberMark {
		n.memberMark = true
		nc.memberDirty = append(nc.memberDirty, n)
	}
}

func (nc *Controller) onNode(ev apiserver.Event[*apiserver.Node]) {
	if ev.Type == apiserver.Deleted {
		nc.forget(nc.health(ev.Old.Name))
		return
	}
	nc.nodeSeen(ev.New)
	if ev.Type == apiserver.Modified && nc.limiter != nil && heartbeatOnly(ev.Old, ev.New, nc.s.Now()) {
		// A steady kubelet's status heartbeats, materialised now: exact mode's kubelet
		// wrote them when they are dated. Each queued the node then only if it was
		// neither queued nor held by a NoSchedule worker and out of line, or held by
		// one. A kubelet is steady with its Node's NoSchedule taints out of line only
		// while the node is queued or in a worker's hand: a worker's failed swap
		// brings it out of steady mode until they are in line (Kubelets). A report
		// while the node was held matters only if the swap failed, and
		// reportedWhileHeld looked at it then. Queued now, while the worker's own write
		// to the node may be on its way, the node would be looked at with a view exact
		// mode never had.
		return
	}
	nc.queueNoSchedule(nc.nodes[ev.New.Name])
	nc.runNoSchedule()
}

// heartbeatOnly reports whether next differs from old only in its conditions'
// lastHeartbeatTime, its Ready heartbeat dated before now (a write made for an earlier
// instant).
func heartbeatOnly(old, next *apiserver.Node, now time.Duration) bool {
	r, o := next.Condition(apiserver.NodeReady), old.Condition(apiserver.NodeReady)
	if r == nil || o == nil || r.LastHeartbeatTime == o.LastHeartbeatTime || r.LastHeartbeatTime >= now {
		return false
	}
	if next.Unschedulable != old.Unschedulable || !slices.Equal(next.Taints, old.Taints) || len(next.Conditions) != len(old.Conditions) {
		return false
	}
	for i := range next.Conditions {
		a, b := &next.Conditions[i], &old.Conditions[i]
		if a.Type != b.Type || a.Status != b.Status {
			return false
		}
	}
	return true
}

func (nc *Controller) onLease(ev apiserver.Event[*apiserver.Lease]) {
	l := ev.New
	nc.leaseCacheRV = max(nc.leaseCacheRV, l.ResourceVersion)
	if l.Namespace != NodeLeaseNamespace {
		return
	}
	n := nc.health(l.Name)
	nc.markActive(n)
	if ev.Type == apiserver.Deleted {
		n.leaseSteady = false
		n.lease = leaseView{}
		return
	}
	if !n.lease.ok || n.lease.renew != l.RenewTime {
		n.leaseGot = nc.s.Now()
	}
	n.lease.set(l.Summary())
	if n.leaseSteady && !l.Steady && n.hasRecord {
		nc.leaveSteady(n, l)
	}
	n.leaseSteady = l.Steady
}

// leaveSteady brings the record of a node whose Lease stops being steady to the state exact
// mode would hold after its last visit L: a renewal R (the written renewTime) was recorded
// by the first visit that saw it, pR, if pR ≤ L; the last status heartbeat H likewise at ph;
// a visit that saw a new heartbeat but no new renewal (ph > pR) forgot the Lease, and the
// visit after it recorded the Lease again. What falls after L is left to the coming visits,
// which see exactly what exact mode's would. A visit is at its pass's start, or, in a pass
// that waited for tokens, at the instant the pass reached the node (passEpoch).
func (nc *Controller) leaveSteady(n *nodeHealth, l *apiserver.Lease) {
	if !nc.passRan {
		return
	}
	L := nc.lastVisit(n.name)
	probe, has := time.Duration(0), false
	bump := func(t time.Duration) {
		if !has || t > probe {
			probe, has = t, true
		}
	}
	pR := nc.firstPassSeeing(n.name, l.RenewTime, n.leaseGot, false)
	if pR <= L {
		n.hasSavedLease, n.savedLeaseRenew, n.savedLeaseRV = true, l.RenewTime, l.ResourceVersion
		bump(pR)
	}
	if node := n.node; node != nil {
		if r := node.Condition(apiserver.NodeReady); r != nil && n.savedReady {
			if ph := nc.firstPassSeeing(n.name, r.LastHeartbeatTime, n.hbGot, true); ph <= L {
				n.savedHB, n.savedLT, n.savedStatus = r.LastHeartbeatTime, r.LastTransitionTime, r.Status
				bump(ph)
				if ph > pR { // no new renewal in that pass: the Lease was forgotten
					if next := nc.firstVisitAfter(n.name, ph, false); next <= L {
						n.hasSavedLease, n.savedLeaseRenew, n.savedLeaseRV = true, l.RenewTime, l.ResourceVersion
						bump(next)
					} else {
						n.hasSavedLease = false
					}
				}
			}
		}
	}
	if has {
		n.probe = max(n.probeFloor, probe)
	}
}

// firstPassSeeing is the first visit of the node called name by exact mode's monitor
// passes that saw a write made at t (of its Node: byStart, or of its Lease), got being when this controller's informers handed
// over the first version carrying it: the first pass (at Start) for writes before
// Start, which the informers listed; otherwise the first visit strictly after the
// write's delivery (a change delivered at the instant of a pass is seen by the next
// one, the pass having been scheduled first).
//
// The delivery comes WatchLatency after the write, unless this controller's client was
// partitioned then: its watches hold the notification until the partition heals
// (Client.Released). A value the kubelet wrote for real at t reached these informers
// exactly when exact mode's write did (got). One a steady kubelet materialised later
// was delivered no earlier than exact mode's write at t, so the earlier of the two is
// that write's delivery in both cases; got alone also settles a write made at the very
// instant a partition started, which the history cannot order.
func (nc *Controller) firstPassSeeing(name string, t, got time.Duration, byStart bool) time.Duration {
	if t < nc.origin {
		return nc.firstVisitAfter(name, nc.origin-1, byStart)
	}
	d := got
	if at, ok := nc.c.Released(t); ok {
		d = min(d, at+nc.cfg.WatchLatency)
	}
	return nc.firstVisitAfter(name, d, byStart)
}

// hasHeartbeat reports whether node's Ready condition has lastHeartbeatTime hb.
func hasHeartbeat(node *apiserver.Node, hb time.Duration) bool {
	r := node.Condition(apiserver.NodeReady)
	return r != nil && r.LastHeartbeatTime == hb
}

func (nc *Controller) onPod(ev apiserver.Event[*apiserver.Pod]) {
	if ev.Type == apiserver.Deleted {
		return
	}
	p := ev.New
	if p.NodeName == "" || (ev.Type == apiserver.Modified && ev.Old.NodeName == p.NodeName) {
		return
	}
	// processPod: a pod newly bound to a node whose recorded Ready is not True.
	n := nc.nodes[p.NodeName]
	if n == nil || !n.hasRecord || !n.inCache || !n.savedReady {
		return
	}
	if n.savedStatus != apiserver.ConditionTrue {
		nc.processPod(p)
	}
}

// processPod marks a pod bound to a node that is not ready NotReady
// (doPodProcessingWorker): at once when its token is there and none waits before it,
// else at its token's instant.
func (nc *Controller) processPod(p *apiserver.Pod) {
	if c := p.Condition(apiserver.PodReady); c == nil || c.Status == apiserver.ConditionFalse {
		return // no request
	}
	now := nc.s.Now()
	at := nc.limiter.Wait(now)
	if at <= now && nc.podWaiting.Len() == 0 {
		_ = nc.markPodNotReady(p, p.NodeName, now)
		return
	}
	nc.podWaiting.Add(p, at)
}

// sendPod is processPod's write at its token's instant, of the version it was given
// (a Conflict if the pod changed since).
func (nc *Controller) sendPod(p *apiserver.Pod) {
	_ = nc.markPodNotReady(p, p.NodeName, nc.s.Now())
}

func (nc *Controller) recordZone(z *zone, to ZoneState) {
	if z.state == to {
		return
	}
	from := z.state
	z.state = to
	// "" is the state of a zone with no counted node that a pass kept
	// (forgetUncountedZones): it is shown as no state, as the oracle shows upstream's
	if to != "" {
		if from == "" {
			from = StateInitial
		}
		nc.tr.Add(nc.s.Now(), "ZoneState", sim.S("zone", z.label), sim.S("from", string(from)), sim.S("to", string(to)))
	}
}

var errNoChange = errors.New("no change")

// addTaints is AddOrUpdateTaintOnNode's PATCH, stamping timeAdded = now.
func (nc *Controller) addTaints(name string, now time.Duration, ts ...taint.Taint) error {
	if len(ts) == 0 {
		return nil
	}
	stored, err := nc.s.Nodes.Patch(nc.c, name, func(n *apiserver.Node) error {
		if !mergeTaints(n, ts, now, true) {
			return errNoChange
		}
		return nil
	})
	if err == nil {
		nc.wroteRV = stored.ResourceVersion
	}
	if errors.Is(err, errNoChange) {
		return nil
	}
	return err
}

// removeTaints is RemoveTaintOffNode's PATCH: none unless the given copy has one of the taints.
func (nc *Controller) removeTaints(name string, node *apiserver.Node, ts ...taint.Taint) error {
	if len(ts) == 0 {
		return nil
	}
	if node != nil {
		match := false
		for _, t := range ts {
			if node.HasTaint(t) {
				match = true
				break
			}
		}
		if !match {
			return nil
		}
	}
	stored, err := nc.s.Nodes.Patch(nc.c, name, func(n *apiserver.Node) error {
		kept := n.Taints[:0]
		for _, have := range n.Taints {
			drop := false
			for _, t := range ts {
				if have.Key == t.Key && have.Effect == t.Effect {
					drop = true
				}
			}
			if !drop {
				kept = append(kept, have)
			}
		}
		if len(kept) == len(n.Taints) {
			return errNoChange
		}
		n.Taints = kept
		return nil
	})
	if err == nil {
		nc.wroteRV = stored.ResourceVersion
	}
	nc.patchGone = apiserver.IsNotFound(err)
	if errors.Is(err, errNoChange) || nc.patchGone {
		return nil
	}
	return err
}

// reportedWhileHeld queues the node NoSchedule worker s holds again, as a status
// report the kubelet made at r would have in exact mode: r is the kubelet's last
// report made only virtually (ok), and exact mode's report reached the informer's
// handler while s held the node if it came at or after the instant s took it and was
// delivered at once (no watch latency, and no partition of the controller's client
// holding it; a report delivered later carries an older heartbeat and queues nothing,
// see heartbeatOnly). Only the last virtual report needs looking at: if an earlier
// one since the take was delivered at once and the last one was not, a partition
// started in between, while s held the node, and clientChanges looked at the reports
// made before it then. Each worker has its own take instant: the others' nodes are
// other kubelets'.
func (nc *Controller) reportedWhileHeld(s *nsWorker, r time.Duration, ok bool) {
	if !ok || s.cur == nil || r < s.op.stamp || nc.cfg.WatchLatency > 0 {
		return
	}
	if at, ok := nc.c.Released(r); !ok || at != r {
		return
	}
	nc.queueNoSchedule(s.cur)
}

// clientChanges runs before what the controller's client meets changes (a partition
// of it starts or heals, an API-server outage starts or ends): the kubelet of every
// node a NoSchedule worker holds leaves steady mode, and its reports made so far are
// looked at (reportedWhileHeld) while they are still delivered as they were made. A
// partition starting now holds the reports to come, which queue nothing; without
// this, a report made before it would be known only at the swap's failure, by then
// hidden behind later ones. The workers are looked at in index order; each node's
// outcome depends only on its own kubelet.
func (nc *Controller) clientChanges() {
	if !nc.running || nc.cfg.Kubelets == nil {
		return
	}
	for i := range nc.ns {
		if s := &nc.ns[i]; s.cur != nil {
			r, ok := nc.cfg.Kubelets.Unsteady(s.cur.name)
			nc.reportedWhileHeld(s, r, ok)
		}
	}
}

// queueNoSchedule adds n to the NoSchedule workers' set of nodes to look at
// (nodeUpdateQueue, a workqueue: a node queued already is not queued twice; one a
// worker holds is marked, its dirty set, and added when the worker is done with it,
// so that no two workers ever hold one node). The workers take them in name order, not
// in the order they came (see runNoSchedule).
func (nc *Controller) queueNoSchedule(n *nodeHealth) {
	if n == nil || n.nsQueued {
		return
	}
	n.nsQueued = true
	if n.nsHeld {
		n.nsAgain = true
		return
	}
	nc.nsQ.push(n)
}

// nameHeap is a min-heap of node records by name.
type nameHeap []*nodeHealth

func (h *nameHeap) push(n *nodeHealth) {
	*h = append(*h, n)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].name <= q[i].name {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *nameHeap) pop() *nodeHealth {
	q := *h
	n := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = nil
	q = q[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(q) && q[l].name < q[m].name {
			m = l
		}
		if r := l + 1; r < len(q) && q[r].name < q[m].name {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return n
}

// nsWorker is one NoSchedule worker: its client worker (timer, reserved token), the node
// it holds (nil: free) and that node's swap, whose stamp is the instant it took the
// node.
type nsWorker struct {
	w   worker
	cur *nodeHealth
	op  taintOp
}

// runNoSchedule runs the NoSchedule workers (doNodeProcessingPassWorker, W of them:
// Config.NoScheduleWorkers, 8 under a limit as upstream's nodeUpdateWorkerSize): each
// free worker, lowest index first, takes the smallest name queued and keeps that
// node's condition NoSchedule taints in line with its conditions, as the informer holds
// them when it takes the node (doNoScheduleTaintingPass), adding before removing so a
// swap leaves no gap, each request after its token. A worker that must wait keeps its
// reserved token and its own timer resumes it at the token's instant; the next free
// worker takes the next node meanwhile. Within the burst no worker waits, and the first
// does all the work in the informer handler that queued the nodes, as one worker
// always did. A failed swap is not retried (upstream logs it): the next update of the
// node queues it again.
//
// Upstream's queue is first in, first out. While the workers wait for tokens every
// update of a node queues it, a kubelet's status heartbeat too, which lazy mode's
// steady kubelets do not write: a node queued that way and taken with nothing to
// change costs nothing, but the order of the others would depend on it. The workers
// take the smallest name queued instead, so that both modes take the nodes that need
// requests in one order.
func (nc *Controller) runNoSchedule() {
	for {
		s := nc.freeNSWorker()
		if s == nil || len(nc.nsQ) == 0 {
			return
		}
		n := nc.nsQ.pop()
		n.nsQueued = false
		node, ok := nc.nodeInf.Get(n.name)
		if !ok {
			continue
		}
		if n.nsAgain {
			n.nsAgain = false
			if node.ResourceVersion < n.nsWroteRV {
				// queued again while a worker held it (its requests waited): that
				// worker's own last write is on its way to the informer, whose delivery
				// queues the node again
				continue
			}
		}
		add, del := node.NoScheduleTaintSwap()
		if len(add) == 0 && len(del) == 0 {
			continue
		}
		nc.swapOp(&s.op, node, add, del)
		s.cur, n.nsHeld = n, true
		nc.runNSWorker(s)
	}
}

// freeNSWorker is the NoSchedule worker of lowest index that holds no node, or nil.
func (nc *Controller) freeNSWorker() *nsWorker {
	for i := range nc.ns {
		if nc.ns[i].cur == nil {
			return &nc.ns[i]
		}
	}
	return nil
}

// nsWorkerResumed is worker i's timer: its token is due. Once its swap is done, the free
// workers take what is queued.
func (nc *Controller) nsWorkerResumed(i int) {
	if !nc.running || nc.ns[i].cur == nil {
		return
	}
	if nc.runNSWorker(&nc.ns[i]) {
		nc.runNoSchedule()
	}
}

// runNSWorker carries s's swap on; it reports whether s is done with its node (false: it
// waits for a token). A node queued again while s held it is added to the queue now.
func (nc *Controller) runNSWorker(s *nsWorker) bool {
	if !nc.runOp(&s.w, &s.op) {
		return false
	}
	n := s.cur
	switch {
	case nc.cfg.Kubelets == nil:
	case s.op.failed:
		// still holding the node: a report that would have queued it meanwhile
		// queues it now, as exact mode's did, before a worker takes the next
		r, ok := nc.cfg.Kubelets.SwapFailed(n.name)
		nc.reportedWhileHeld(s, r, ok)
	case s.op.gone:
		// A removal that met NotFound is done, with nothing written: the node was
		// deleted, and the informer may not know yet. A report made while the worker
		// held it queued it again in exact mode, and a worker that takes it before the
		// deletion is delivered sends a GET (a token) to find it gone. The kubelet left
		// steady mode before the deletion; its reports since were not virtual.
		r, ok := nc.cfg.Kubelets.Unsteady(n.name)
		nc.reportedWhileHeld(s, r, ok)
	}
	if s.op.wrote {
		n.nsWroteRV = s.op.wroteRV
	}
	s.cur, n.nsHeld = nil, false
	s.op.node = nil
	if n.nsQueued {
		nc.nsQ.push(n)
	}
	return true
}
