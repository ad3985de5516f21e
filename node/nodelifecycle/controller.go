package nodelifecycle

import (
	"cmp"
	"errors"
	"slices"
	"time"

	"github.com/nodesim/nodesim/apiserver"
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

	labels   nodeLabels
	leaseKey string // "kube-node-lease/name", once a pass needed it
	// the node's item in the tainting queue it was last re-added to
	queue     *rateLimitedTimedQueue
	queueItem *queueItem
}

// leaseView is what tryUpdateNodeHealth reads of the node's Lease in the lease informer
// (ok false: it has none). Lease versions are never changed in place, so a copy taken
// when the informer delivered the version is that version.
type leaseView struct {
	of     *apiserver.Lease
	ok     bool
	steady bool
	renew  time.Duration
	rv     uint64
}

func (v *leaseView) set(l *apiserver.Lease) {
	*v = leaseView{of: l, ok: true, steady: l.Steady, renew: l.RenewTime, rv: l.ResourceVersion}
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

	visit []*nodeHealth // scratch
	// stuck lists the nodes skipped because they stay Unknown (lazy mode), so that they
	// can all be visited again at once; entries whose node left that state are stale.
	// nStuck counts the nodes in that state.
	stuck  []*nodeHealth
	nStuck int
	// nWaiting counts the stuck nodes that wait in their tainting queue (waiting).
	nWaiting int
	// cacheIsLive: during this pass the lease informer holds what the API server holds
	// and the client gets answers (see monitorPass).
	cacheIsLive bool
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
	var err error
	nc.loop, err = nc.e.NewLoop(sim.LoopConfig{Period: cfg.NodeMonitorPeriod, Sliding: true}, nc.monitorPass)
	if err != nil {
		return nil, err
	}
	nc.tick, err = nc.e.NewTimer(nc.taintingTick)
	if err != nil {
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
	nc.passRan, nc.inPass, nc.tickNow = false, false, false
	lat := nc.cfg.WatchLatency
	f := nc.cfg.Informers
	nc.shared = f.Serves(nc.c, lat)
	nc.run++
	nc.nodeInf, _ = apiserver.InformerFor(f, nc.s.Nodes, nc.c, lat)
	nc.leaseInf, _ = apiserver.InformerFor(f, nc.s.Leases, nc.c, lat)
	nc.podInf, _ = apiserver.InformerFor(f, nc.s.Pods, nc.c, lat)
	nc.podInf.AddIndex(apiserver.IndexNodeName, func(p *apiserver.Pod) string { return p.NodeName })
	for _, l := range nc.leaseInf.List() {
		nc.leaseCacheRV = max(nc.leaseCacheRV, l.ResourceVersion)
		if l.Namespace == NodeLeaseNamespace {
			n := nc.health(l.Name)
			n.leaseSteady = l.Steady
			n.lease.set(l)
			n.leaseGot = nc.origin
		}
	}
	for _, n := range nc.nodeInf.List() {
		nc.nodeSeen(n)
	}
	run := nc.run
	live := func() bool { return nc.running && nc.run == run }
	nc.nodeInf.AddComponentHandler(nc.shared, live, nc.onNode)
	nc.leaseInf.AddComponentHandler(nc.shared, live, nc.onLease)
	nc.podInf.AddComponentHandler(nc.shared, live, nc.onPod)
	for _, key := range nc.nodeInf.Keys() {
		nc.doNoScheduleTaintingPass(key)
	}
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
	nc.active, nc.memberDirty, nc.stuck, nc.visit = nil, nil, nil, nil
	nc.nStuck, nc.nWaiting = 0, 0
	nc.activeUnsorted, nc.tickDeferred, nc.tickTarget = false, false, 0
	nc.leaseCacheRV, nc.breakerRV, nc.lastPass = 0, 0, 0
}

// Stop stops the loops, cancels every timer and stops the informers (unless they are
// shared: see Config.Informers).
func (nc *Controller) Stop() {
	if !nc.running {
		return
	}
	nc.running = false
	nc.loop.Stop()
	nc.tick.Stop()
	if nc.shared {
		return
	}
	nc.nodeInf.Stop()
	nc.leaseInf.Stop()
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
	_, ok := n.Labels[taint.ExcludeDisruptionLabel]
	return ok
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
	nc.doNoScheduleTaintingPass(ev.New.Name)
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
	n.lease.set(l)
	if n.leaseSteady && !l.Steady && n.hasRecord {
		nc.leaveSteady(n, l)
	}
	n.leaseSteady = l.Steady
}

// leaveSteady brings the record of a node whose Lease stops being steady to the state exact
// mode would hold after the last pass L: a renewal R (the written renewTime) was recorded
// by the first pass that saw it, pR, if pR ≤ L; the last status heartbeat H likewise at ph;
// a pass that saw a new heartbeat but no new renewal (ph > pR) forgot the Lease, and the
// pass after it recorded the Lease again. What falls after L is left to the coming passes,
// which see exactly what exact mode's passes would.
func (nc *Controller) leaveSteady(n *nodeHealth, l *apiserver.Lease) {
	L, ran := nc.lastPass, nc.passRan
	if !ran {
		return
	}
	probe, has := time.Duration(0), false
	bump := func(t time.Duration) {
		if !has || t > probe {
			probe, has = t, true
		}
	}
	pR := nc.firstPassSeeing(l.RenewTime, n.leaseGot)
	if pR <= L {
		n.hasSavedLease, n.savedLeaseRenew, n.savedLeaseRV = true, l.RenewTime, l.ResourceVersion
		bump(pR)
	}
	if node := n.node; node != nil {
		if r := node.Condition(apiserver.NodeReady); r != nil && n.savedReady {
			if ph := nc.firstPassSeeing(r.LastHeartbeatTime, n.hbGot); ph <= L {
				n.savedHB, n.savedLT, n.savedStatus = r.LastHeartbeatTime, r.LastTransitionTime, r.Status
				bump(ph)
				if ph > pR { // no new renewal in that pass: the Lease was forgotten
					if ph+nc.step <= L {
						n.hasSavedLease, n.savedLeaseRenew, n.savedLeaseRV = true, l.RenewTime, l.ResourceVersion
						bump(ph + nc.step)
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

// firstPassSeeing is the first monitor pass of exact mode that saw a write made at t,
// got being when this controller's informers handed over the first version carrying
// it: the first pass (at Start) for writes before Start, which the informers listed;
// otherwise the first pass strictly after the write's delivery (a change delivered at
// the instant of a pass is seen by the next one, the pass having been scheduled first).
//
// The delivery comes WatchLatency after the write, unless this controller's client was
// partitioned then: its watches hold the notification until the partition heals
// (Client.Released). A value the kubelet wrote for real at t reached these informers
// exactly when exact mode's write did (got). One a steady kubelet materialised later
// was delivered no earlier than exact mode's write at t, so the earlier of the two is
// that write's delivery in both cases; got alone also settles a write made at the very
// instant a partition started, which the history cannot order.
func (nc *Controller) firstPassSeeing(t, got time.Duration) time.Duration {
	if t < nc.origin {
		return nc.origin
	}
	d := got
	if at, ok := nc.c.Released(t); ok {
		d = min(d, at+nc.cfg.WatchLatency)
	}
	k := (d-nc.origin)/nc.step + 1
	return nc.origin + k*nc.step
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
		_ = nc.markPodNotReady(p, p.NodeName, nc.s.Now())
	}
}

func (nc *Controller) event(object, reason, message string) {
	nc.tr.Add(nc.s.Now(), "Event", sim.S("object", object), sim.S("reason", reason), sim.S("message", message))
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

// addTaints is AddOrUpdateTaintOnNode (a patch), stamping timeAdded = now.
func (nc *Controller) addTaints(name string, ts ...taint.Taint) error {
	if len(ts) == 0 {
		return nil
	}
	now := nc.s.Now()
	_, err := nc.s.Nodes.Patch(nc.c, name, func(n *apiserver.Node) error {
		changed := false
		for _, t := range ts {
			t.TimeAdded = now
			found := false
			for i := range n.Taints {
				if n.Taints[i].Key == t.Key && n.Taints[i].Effect == t.Effect {
					found = true
					if n.Taints[i] != t {
						n.Taints[i] = t
						changed = true
					}
				}
			}
			if !found {
				n.Taints = append(n.Taints, t)
				changed = true
			}
		}
		if !changed {
			return errNoChange
		}
		return nil
	})
	if errors.Is(err, errNoChange) {
		return nil
	}
	return err
}

// removeTaints is RemoveTaintOffNode: no request unless the given copy has one of the taints.
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
	_, err := nc.s.Nodes.Patch(nc.c, name, func(n *apiserver.Node) error {
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
	if errors.Is(err, errNoChange) || apiserver.IsNotFound(err) {
		return nil
	}
	return err
}

// swapTaints is SwapNodeControllerTaint: add, then remove, as two patches.
func (nc *Controller) swapTaints(node *apiserver.Node, add []taint.Taint, remove []taint.Taint) bool {
	if err := nc.addTaints(node.Name, add...); err != nil {
		return false
	}
	return nc.removeTaints(node.Name, node, remove...) == nil
}

// doNoScheduleTaintingPass keeps the node's condition NoSchedule taints in line with its
// conditions, adding before removing so a swap leaves no gap. A failed swap is not
// retried (upstream logs it): the next update of the node runs the pass again.
func (nc *Controller) doNoScheduleTaintingPass(name string) {
	node, ok := nc.nodeInf.Get(name)
	if !ok {
		return
	}
	add, del := node.NoScheduleTaintSwap()
	if len(add) == 0 && len(del) == 0 {
		return
	}
	nc.swapTaints(node, add, del)
}
