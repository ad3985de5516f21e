package workload

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// settleSlab is how many restored pods share one allocation: as many as fill the
// whole 8 KiB pages that about 256 pods take, so that the slab is not rounded up to a
// larger size class (64 pods of 352 bytes took a 24 KiB class, 9 % lost; with a Pod
// of 232 bytes 256 would take 8 pages for 7.25, where 247 filled 7; at today's 224
// bytes 256 fill 7 exactly).
// Larger slabs allocate less but keep a slab's memory alive until its last pod (or
// the last stored copy of it) is gone.
var settleSlab = func() int {
	const page = 8192
	size := int(reflect.TypeFor[apiserver.Pod]().Size())
	pages := max(256*size/page, 1)
	return max(pages*page/size, 1)
}()

// SettleConfig configures Settle.
type SettleConfig struct {
	// Since is the creation time of the settled objects and the transition time of
	// their pods' conditions (negative: before time zero).
	Since time.Duration
	// Rand draws the pod-name suffixes; the caller passes its own named stream.
	Rand *sim.Rand
}

// Settle restores what the ReplicaSet, Deployment and DaemonSet controllers and the
// scheduler leave behind once they have settled, for a cluster that starts out
// running: each Deployment's current ReplicaSet, each ReplicaSet's pods bound and
// Running and Ready, one Running and Ready pod of each DaemonSet on every node that
// should run it, and the three kinds' statuses, so that the controllers' first syncs
// find nothing to create, delete or write. Objects are stored with Kind.Restore (no
// admission beyond the pod admission Settle runs itself, no trace); statuses of
// objects already in the store are written with Patch through a client named
// "settle" (workload kinds have no trace hooks).
//
// Precondition: the Nodes and the user's workload objects are in the store, and no
// controller or scheduler has started. Pods already in the store may be bare pods:
// bound ones count against their node's capacity; unbound ones are left to the
// scheduler, which binds them at its first cycles. A pod controlled by a stored
// ReplicaSet or DaemonSet is an error (call Settle once).
//
// Everything is visited in key order and names are drawn from cfg.Rand, so the
// same store and stream give the same names and placement. UIDs and
// resourceVersions follow the order of restoring: the pods of a ReplicaSet of at
// least settleSlab replicas in key order, other pods as their names are drawn. See the package
// documentation ("Starting out running") for the placement policy.
func Settle(s *apiserver.Server, cfg SettleConfig) error {
	if s == nil {
		return fmt.Errorf("workload: Settle needs a server")
	}
	if cfg.Rand == nil {
		return fmt.Errorf("workload: SettleConfig.Rand is nil; pass the stream pod-name suffixes are drawn from")
	}
	st := &settler{s: s, cfg: cfg, now: s.Now(), cmpOps: s.Config.ComparisonOperators,
		groups: map[string]*placeGroup{}, names: map[string]map[uint32]struct{}{}}
	st.c = s.NewClient("settle", 30*time.Second)
	st.conds()
	st.indexNodes()
	st.spreadOn = st.needsSpread()
	if err := st.accountPods(); err != nil {
		return err
	}
	st.reserve()
	for _, key := range append([]string(nil), s.DaemonSets.Keys()...) {
		ds, _ := s.DaemonSets.Peek(key)
		if err := st.daemonSet(ds); err != nil {
			return err
		}
	}
	for _, key := range append([]string(nil), s.Deployments.Keys()...) {
		d, _ := s.Deployments.Peek(key)
		if err := st.deploymentReplicaSet(d); err != nil {
			return err
		}
	}
	for _, key := range append([]string(nil), s.ReplicaSets.Keys()...) {
		rs, _ := s.ReplicaSets.Peek(key)
		if err := st.replicaSet(rs); err != nil {
			return err
		}
	}
	return st.deploymentStatuses()
}

// reserve makes room in the store for the pods about to be restored (at most one
// per node and DaemonSet, and the replicas of every Deployment and ReplicaSet).
func (st *settler) reserve() {
	n := st.s.Nodes.Len() * st.s.DaemonSets.Len()
	st.s.Deployments.Each(func(d *apiserver.Deployment) { n += int(d.Replicas) })
	st.s.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) { n += int(rs.Replicas) })
	st.s.Pods.Reserve(n)
}

type settler struct {
	s      *apiserver.Server
	c      *apiserver.Client
	cfg    SettleConfig
	now    time.Duration
	cmpOps bool

	nodes []*apiserver.Node // key order
	index map[string]int32  // node name → position in nodes
	order []int32           // positions in nodes, in the order placement considers them
	// room holds what placement reads of each node, by position in nodes: one
	// cache line per node rather than a Node, a request sum and a pod count apart
	room []nodeRoom

	groups map[string]*placeGroup

	// bindConds are the conditions of a pod the scheduler bound, directConds of one
	// created with spec.nodeName set (DaemonSet pods): the kubelet appends
	// PodScheduled last there.
	bindConds, directConds []apiserver.PodCondition
	buf                    []byte
	slab                   []apiserver.Pod
	prior                  []*apiserver.Pod               // pods stored before Settle
	names                  map[string]map[uint32]struct{} // see takenSuffixes
	lastNS, lastBase       string
	lastNames              map[uint32]struct{}
	sizeHint               int // pods the current owner makes
	// spreadOn: some template has DoNotSchedule spread constraints of its own, and
	// placed counts the pods placed so far for them (settle_spread.go)
	spreadOn bool
	placed   []*placedSet
	// antiDaemon: one restored pod of each DaemonSet whose template has required
	// anti-affinity terms (settle_anti.go)
	antiDaemon []*apiserver.Pod
}

// nodeRoom is a node's name and allocatable, and what the pods counted on it
// request.
type nodeRoom struct {
	name       string
	alloc, req apiserver.Resources
	pods       int64
}

// placeGroup is the set of nodes that pass the static filters (unschedulable,
// taints, node selector, required affinity) for pods with the same scheduling
// constraints, in tiers by their static score, highest first: TaintToleration's
// (weight 3; fewer PreferNoSchedule taints not tolerated score higher) and, for a pod
// with preferred node affinity, NodeAffinity's (weight 2). Those outweigh
// LeastAllocated's, so the scheduler turns to a lower tier only when the higher ones
// are full.
type placeGroup struct {
	tiers []placeTier
}

// placeTier is one tier's nodes and the round-robin cursor its ReplicaSets share.
type placeTier struct {
	score  int64   // the tier's static score, highest first
	nodes  []int32 // positions in settler.nodes, in placement order
	cursor int
	next   []int32 // scratch: circular list for roundRobin
}

// roundRobin is one ReplicaSet's round over a tier. Within a ReplicaSet every pod
// asks for the same resources and nodes only fill up, so a node that does not fit
// one pod fits none of the later ones: on the first misfit the tier's nodes become a
// circular list the round drops misfits from, and each node is tried at most once
// more than it is chosen.
type roundRobin struct {
	tier   *placeTier
	left   int // nodes still in the round
	pos    int // next index into tier.nodes while not linked
	linked bool
	prev   int32 // while linked: the index before the next one
	last   int   // index of the last node chosen, -1 for none
}

// pick returns the next node of the round that fits p, or -1 when none does.
func (st *settler) pick(r *roundRobin, p *apiserver.Pod) int32 {
	nodes := r.tier.nodes
	n := len(nodes)
	for r.left > 0 {
		var k int32
		if r.linked {
			k = r.tier.next[r.prev]
		} else {
			k = int32(r.pos)
		}
		i := nodes[k]
		if rm := &st.room[i]; insufficientResources(p, rm.alloc, rm.req, rm.pods) == 0 {
			if r.linked {
				r.prev = k
			} else {
				r.pos = (r.pos + 1) % n
			}
			r.last = int(k)
			return i
		}
		if !r.linked {
			// switch to the circular list, positioned before k
			if cap(r.tier.next) < n {
				r.tier.next = make([]int32, n)
			}
			next := r.tier.next[:n]
			for j := range n {
				next[j] = int32((j + 1) % n)
			}
			r.tier.next = next
			r.prev = int32((r.pos + n - 1) % n)
			r.linked = true
		}
		r.tier.next[r.prev] = r.tier.next[k] // drop k
		r.left--
	}
	return -1
}

// conds builds the conditions every settled pod shares: what the scheduler's bind
// (PodScheduled, ReplicaSet pods only) and the kubelet's status manager
// (Initialized, ContainersReady, Ready, PodScheduled) write, in their order.
func (st *settler) conds() {
	t := st.cfg.Since
	c := func(ty apiserver.PodConditionType) apiserver.PodCondition {
		return apiserver.PodCondition{Type: ty, Status: apiserver.ConditionTrue, LastTransitionTime: t}
	}
	st.bindConds = []apiserver.PodCondition{c(apiserver.PodScheduled), c(apiserver.PodInitialized), c(apiserver.PodContainersReady), c(apiserver.PodReady)}
	st.directConds = []apiserver.PodCondition{c(apiserver.PodInitialized), c(apiserver.PodContainersReady), c(apiserver.PodReady), c(apiserver.PodScheduled)}
}

// indexNodes lists the nodes and orders them as upstream's scheduler cache lists
// them (pkg/scheduler/backend/cache/node_tree.go): one node of each zone in turn,
// zones in order of first appearance, nodes of a zone in arrival (here: key) order.
func (st *settler) indexNodes() {
	keys := st.s.Nodes.Keys()
	st.nodes = make([]*apiserver.Node, len(keys))
	st.index = make(map[string]int32, len(keys))
	st.room = make([]nodeRoom, len(keys))
	zoneOf := map[string]int{}
	var zones [][]int32
	for i, k := range keys {
		n, _ := st.s.Nodes.Peek(k)
		st.nodes[i] = n
		st.room[i].name, st.room[i].alloc = n.Name, n.Allocatable
		st.index[n.Name] = int32(i)
		z := apiserver.ZoneKey(apiserver.RegionZone(n.Labels))
		zi, ok := zoneOf[z]
		if !ok {
			zi = len(zones)
			zoneOf[z] = zi
			zones = append(zones, nil)
		}
		zones[zi] = append(zones[zi], int32(i))
	}
	st.order = make([]int32, 0, len(keys))
	for depth := 0; len(st.order) < len(keys); depth++ {
		for _, z := range zones {
			if depth < len(z) {
				st.order = append(st.order, z[depth])
			}
		}
	}
}

// accountPods counts the bound pods already stored against their nodes, as the
// scheduler does (bound and not terminal), and rejects pods the controllers would
// count as theirs.
func (st *settler) accountPods() error {
	if st.s.Pods.Len() == 0 {
		return nil
	}
	owners := map[uint64]bool{}
	st.s.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) { owners[rs.UID] = true })
	st.s.DaemonSets.Each(func(ds *apiserver.DaemonSet) { owners[ds.UID] = true })
	var err error
	st.s.Pods.Each(func(p *apiserver.Pod) {
		st.prior = append(st.prior, p)
		if ref, ok := p.ControllerRef(); ok && owners[ref.UID] && err == nil {
			err = fmt.Errorf("workload: Settle: pod %s already belongs to %s %s; Settle expects only bare pods", p.Key(), ref.Kind, ref.Name)
		}
		if i, ok := st.index[p.NodeName]; ok && p.NodeName != "" && !p.Terminal() {
			st.add(i, p)
			if !p.Deleting {
				var set *placedSet
				st.record(&set, p.Namespace, p.Labels, i)
			}
		}
	})
	return err
}

func (st *settler) add(i int32, p *apiserver.Pod) {
	rm := &st.room[i]
	rm.req.MilliCPU += p.Requests.MilliCPU
	rm.req.Memory += p.Requests.Memory
	rm.pods++
}

// admit runs the API server's pod admission on a prototype pod. nodesim's admission
// (priority classes, DefaultTolerationSeconds) depends on the spec alone, so the
// result is shared by every pod stamped from the prototype.
func (st *settler) admit(p *apiserver.Pod) error {
	if a := st.s.Pods.Hooks.Admit; a != nil {
		if err := a(p); err != nil {
			return err
		}
	}
	if p.Phase == "" {
		p.Phase = apiserver.PodPending
	}
	return nil
}

// newPod returns a copy of proto with a name "<base><5 chars>" not yet taken in
// namespace ns, as generateName draws it (ten tries, as the controllers make).
func (st *settler) newPod(proto *apiserver.Pod, ns, base string) (*apiserver.Pod, error) {
	name, err := st.newName(ns, base)
	if err != nil {
		return nil, err
	}
	if len(st.slab) == 0 {
		st.slab = make([]apiserver.Pod, settleSlab)
	}
	p := &st.slab[0]
	st.slab = st.slab[1:]
	*p = *proto
	p.Name = name
	return p, nil
}

// newName draws a free generated name after base, as the ReplicaSet controller's
// generateName does.
func (st *settler) newName(ns, base string) (string, error) {
	code, err := st.drawSuffix(st.takenSuffixes(ns, base), ns, base)
	if err != nil {
		return "", err
	}
	b := base[:min(len(base), maxGeneratedNameLength)]
	st.buf = appendSuffix(append(st.buf[:0], b...), code)
	return string(st.buf), nil
}

// drawSuffix draws generated-name suffixes from cfg.Rand (the draws generateName
// makes) until one is not in taken, at most ten times, and takes it.
func (st *settler) drawSuffix(taken map[uint32]struct{}, ns, base string) (uint32, error) {
	r := st.cfg.Rand
	for range 10 {
		var code uint32
		for range 5 {
			code = code*uint32(len(nameAlphabet)) + uint32(suffixRank[r.Int64N(int64(len(nameAlphabet)))])
		}
		if _, dup := taken[code]; dup {
			continue
		}
		taken[code] = struct{}{}
		return code, nil
	}
	return 0, fmt.Errorf("workload: Settle: no free pod name %s<suffix> in %q after 10 draws", base, ns)
}

// podBlock names n pods after base and gives each its place in one allocation, in
// name order (block), and returns them in the order their names were drawn, the
// order newPod would draw them (byDraw). The pods of a large ReplicaSet then lie in
// memory in the order of their keys, the order in which informers list them and
// controllers walk them, instead of at random (the names end in random suffixes),
// and are restored in that order too: the store's key list gets them as a sorted
// run. All the keys share one allocation, size bytes each in block order (keys), and
// each name is its key's tail: the store keeps that key (ObjectMeta.ShareKey) instead
// of building one per pod. Since the names differ only in their suffixes, sorting
// the suffix codes sorts the names.
func (st *settler) podBlock(ns, base string, n int) (block []apiserver.Pod, byDraw []*apiserver.Pod, keys string, size int, err error) {
	taken := st.takenSuffixes(ns, base)
	// suffix code << 32 | draw index
	drawn := make([]uint64, n)
	for j := range drawn {
		code, err := st.drawSuffix(taken, ns, base)
		if err != nil {
			return nil, nil, "", 0, err
		}
		drawn[j] = uint64(code)<<32 | uint64(j)
	}
	slices.Sort(drawn)
	b := base[:min(len(base), maxGeneratedNameLength)]
	// the keys ("ns/name"), which the pods' names are the tails of (ShareKey)
	prefix := len(ns) + 1
	size = prefix + len(b) + 5
	var sb strings.Builder // String does not copy
	sb.Grow(n * size)
	var suffix [5]byte
	for _, d := range drawn {
		sb.WriteString(ns)
		sb.WriteByte('/')
		sb.WriteString(b)
		sb.Write(appendSuffix(suffix[:0], uint32(d>>32)))
	}
	keys = sb.String()
	block = make([]apiserver.Pod, n)
	byDraw = make([]*apiserver.Pod, n)
	for r, d := range drawn {
		block[r].Name = keys[r*size+prefix : (r+1)*size]
		byDraw[uint32(d)] = &block[r]
	}
	return block, byDraw, keys, size, nil
}

// takenSuffixes is the set of the name suffixes in use after base in namespace ns:
// those of the pods that were stored before Settle and those Settle has named. A set
// per base costs less than a lookup in the whole store per pod.
func (st *settler) takenSuffixes(ns, base string) map[uint32]struct{} {
	base = base[:min(len(base), maxGeneratedNameLength)]
	if st.lastNames != nil && st.lastNS == ns && st.lastBase == base {
		return st.lastNames
	}
	k := ns + "/" + base
	m := st.names[k]
	if m != nil {
		st.lastNS, st.lastBase, st.lastNames = ns, base, m
		return m
	}
	m = make(map[uint32]struct{}, st.sizeHint)
	defer func() { st.lastNS, st.lastBase, st.lastNames = ns, base, m }()
	for _, p := range st.prior {
		if n := p.Name; p.Namespace == ns && len(n) == len(base)+5 && n[:len(base)] == base {
			if code := suffixCode(n[len(base):]); code != noSuffix {
				m[code] = struct{}{}
			}
		}
	}
	st.names[k] = m
	return m
}

const noSuffix = ^uint32(0)

// suffixAlphabet is nameAlphabet in byte order: a suffix's digits are its
// characters' ranks here, so that codes order as the suffixes do.
var suffixAlphabet = func() string {
	b := []byte(nameAlphabet)
	slices.Sort(b)
	return string(b)
}()

// suffixRank maps an index into nameAlphabet (what generateName draws) to its rank
// in suffixAlphabet.
var suffixRank = func() (t [len(nameAlphabet)]uint8) {
	for i := range len(nameAlphabet) {
		t[i] = uint8(strings.IndexByte(suffixAlphabet, nameAlphabet[i]))
	}
	return t
}()

// suffixDigit maps a byte to 1 + its rank in suffixAlphabet, 0 for other bytes.
var suffixDigit = func() (t [256]uint8) {
	for i := range len(suffixAlphabet) {
		t[suffixAlphabet[i]] = uint8(i + 1)
	}
	return t
}()

// suffixCode numbers a 5-character generated suffix (noSuffix if it is not one).
func suffixCode(b string) uint32 {
	var code uint32
	for i := range len(b) {
		d := suffixDigit[b[i]]
		if d == 0 {
			return noSuffix
		}
		code = code*uint32(len(suffixAlphabet)) + uint32(d-1)
	}
	return code
}

// appendSuffix appends the suffix numbered code (suffixCode's inverse).
func appendSuffix(dst []byte, code uint32) []byte {
	var b [5]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = suffixAlphabet[code%uint32(len(suffixAlphabet))]
		code /= uint32(len(suffixAlphabet))
	}
	return append(dst, b[:]...)
}

// daemonSet restores a Running, Ready pod on every node the DaemonSet controller
// would run one on, built as its createPod builds them, and the status its sync
// writes.
func (st *settler) daemonSet(ds *apiserver.DaemonSet) error {
	if ds.Deleting {
		return nil
	}
	tmpl := daemonPodTemplate(ds)
	proto := *tmpl
	proto.ObjectMeta = apiserver.ObjectMeta{Namespace: ds.Namespace, Labels: ds.Template.Labels,
		OwnerReferences:   []apiserver.OwnerReference{controllerRef(KindDaemonSet, &ds.ObjectMeta)},
		CreationTimestamp: st.cfg.Since}
	if err := st.admit(&proto); err != nil {
		return err
	}
	proto.Phase = apiserver.PodRunning
	proto.Conditions = st.directConds
	base := ds.Name + "-"
	st.sizeHint = len(st.nodes)
	var desired int32
	var set *placedSet
	for i, n := range st.nodes {
		if shouldRun, _ := NodeShouldRunDaemonPod(tmpl, n, st.cmpOps); !shouldRun {
			continue
		}
		desired++
		p, err := st.newPod(&proto, ds.Namespace, base)
		if err != nil {
			return err
		}
		p.NodeName = n.Name
		if _, err := st.s.Pods.Restore(p); err != nil {
			return err
		}
		st.add(int32(i), p)
		st.record(&set, ds.Namespace, proto.Labels, int32(i))
		if desired == 1 && hasPodAnti(p) {
			st.antiDaemon = append(st.antiDaemon, p)
		}
	}
	status := dsStatus{desired: desired, current: desired, ready: desired}
	if statusOf(ds) == status {
		return nil
	}
	_, err := st.s.DaemonSets.Patch(st.c, ds.Key(), func(x *apiserver.DaemonSet) error {
		status.setOn(x)
		return nil
	})
	return err
}

// deploymentReplicaSet restores the ReplicaSet the Deployment controller creates for
// the Deployment's template, unless one of that name exists.
func (st *settler) deploymentReplicaSet(d *apiserver.Deployment) error {
	if d.Deleting {
		return nil
	}
	rs := newReplicaSet(d, PodTemplateHash(&d.Template))
	if _, ok := st.s.ReplicaSets.Peek(rs.Key()); ok {
		return nil
	}
	rs.CreationTimestamp = st.cfg.Since
	_, err := st.s.ReplicaSets.Restore(rs)
	return err
}

// replicaSet restores the ReplicaSet's pods as its controller creates them, placed
// round-robin (see placeGroup), and the status its sync writes.
func (st *settler) replicaSet(rs *apiserver.ReplicaSet) error {
	if rs.Deleting {
		return nil
	}
	need := int(rs.Replicas)
	if need <= 0 {
		return st.replicaSetStatus(rs, 0, 0)
	}
	proto := podFromTemplate(&rs.Template, rs.Namespace, "", controllerRef(KindReplicaSet, &rs.ObjectMeta))
	proto.CreationTimestamp = st.cfg.Since
	if err := st.admit(proto); err != nil {
		return err
	}
	pending := *proto
	running := *proto
	running.Phase = apiserver.PodRunning
	running.Conditions = st.bindConds
	base := rs.Name + "-"
	st.sizeHint = need
	if proto.NodeName != "" {
		return st.pinnedReplicaSet(rs, proto, need, base)
	}
	g := st.group(proto)
	rounds := make([]roundRobin, len(g.tiers))
	for t := range g.tiers {
		rounds[t] = roundRobin{tier: &g.tiers[t], left: len(g.tiers[t].nodes), last: -1}
		if n := len(g.tiers[t].nodes); n > 0 {
			rounds[t].pos = g.tiers[t].cursor % n
		}
	}
	// a large ReplicaSet's pods are named up front and restored once placed
	var block []apiserver.Pod
	var byDraw []*apiserver.Pod
	var keys string // the block's keys, size bytes each, in block order
	var size int
	if need >= settleSlab {
		var err error
		if block, byDraw, keys, size, err = st.podBlock(rs.Namespace, base, need); err != nil {
			return err
		}
	}
	var ss *settleSpread // DoNotSchedule constraints of its own (settle_spread.go)
	if st.spreadOn && hasHardSpread(proto) {
		ss = st.spreadState(proto)
	}
	var set *placedSet
	placed := 0
	// required anti-affinity: left to the scheduler (settle_anti.go)
	leave := st.leavesAnti(proto)
	for j := range need {
		i := int32(-1)
		switch {
		case leave:
		case ss != nil:
			i = st.pickSpread(g, ss, &running)
		default:
			for t := range rounds {
				if i = st.pick(&rounds[t], &running); i >= 0 {
					break
				}
			}
		}
		proto := &running
		if i < 0 {
			proto = &pending
		}
		var p *apiserver.Pod
		if block != nil {
			p = byDraw[j]
			name := p.Name
			*p = *proto
			p.Name = name
		} else {
			var err error
			if p, err = st.newPod(proto, rs.Namespace, base); err != nil {
				return err
			}
		}
		if i >= 0 {
			p.NodeName = st.room[i].name
			st.add(i, p)
			st.record(&set, rs.Namespace, proto.Labels, i)
			placed++
		}
		if block == nil {
			if _, err := st.s.Pods.Restore(p); err != nil {
				return err
			}
		}
	}
	for r := range block {
		p := &block[r]
		p.ShareKey(keys[r*size : (r+1)*size]) // (p's namespace is the ReplicaSet's: it holds)
		if _, err := st.s.Pods.Restore(p); err != nil {
			return err
		}
	}
	for t := range rounds {
		if r := &rounds[t]; r.last >= 0 && ss == nil {
			r.tier.cursor = (r.last + 1) % len(r.tier.nodes)
		}
	}
	return st.replicaSetStatus(rs, int32(need), int32(placed))
}

// pinnedReplicaSet restores the pods of a ReplicaSet whose template names a node:
// the scheduler leaves them alone and the kubelet of that node runs them (its
// conditions only, no PodScheduled from a bind); with no such node they stay
// Pending.
func (st *settler) pinnedReplicaSet(rs *apiserver.ReplicaSet, proto *apiserver.Pod, need int, base string) error {
	i, ok := st.index[proto.NodeName]
	p := *proto
	if ok {
		p.Phase = apiserver.PodRunning
		p.Conditions = st.directConds
	}
	for range need {
		q, err := st.newPod(&p, rs.Namespace, base)
		if err != nil {
			return err
		}
		if _, err := st.s.Pods.Restore(q); err != nil {
			return err
		}
		if ok {
			st.add(i, q)
		}
	}
	ready := int32(0)
	if ok {
		ready = int32(need)
	}
	return st.replicaSetStatus(rs, int32(need), ready)
}

// replicaSetStatus writes what the ReplicaSet controller's updateStatus writes for n
// active pods of which ready have been Ready since cfg.Since.
func (st *settler) replicaSetStatus(rs *apiserver.ReplicaSet, n, ready int32) error {
	avail := int32(0)
	mr := time.Duration(rs.MinReadySeconds) * time.Second
	if mr == 0 || reached(availableAt(st.cfg.Since, mr), st.now) {
		avail = ready
	}
	if rs.StatusReplicas == n && rs.ReadyReplicas == ready && rs.AvailableReplicas == avail {
		return nil
	}
	_, err := st.s.ReplicaSets.Patch(st.c, rs.Key(), func(x *apiserver.ReplicaSet) error {
		x.StatusReplicas, x.ReadyReplicas, x.AvailableReplicas = n, ready, avail
		return nil
	})
	return err
}

// deploymentStatuses writes each Deployment's readyReplicas and availableReplicas,
// the sums over the ReplicaSets it controls, as the Deployment controller's sync does.
func (st *settler) deploymentStatuses() error {
	type counts struct{ ready, avail int32 }
	sum := map[uint64]counts{}
	st.s.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) {
		if ref, ok := rs.ControllerRef(); ok && ref.Kind == KindDeployment {
			c := sum[ref.UID]
			c.ready += rs.ReadyReplicas
			c.avail += rs.AvailableReplicas
			sum[ref.UID] = c
		}
	})
	for _, key := range append([]string(nil), st.s.Deployments.Keys()...) {
		d, _ := st.s.Deployments.Peek(key)
		c := sum[d.UID]
		if d.Deleting || d.ReadyReplicas == c.ready && d.AvailableReplicas == c.avail {
			continue
		}
		if _, err := st.s.Deployments.Patch(st.c, key, func(x *apiserver.Deployment) error {
			x.ReadyReplicas, x.AvailableReplicas = c.ready, c.avail
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

// group returns the placement group of pods with p's scheduling constraints: the
// nodes that pass filterNode's checks other than resources, in placement order.
func (st *settler) group(p *apiserver.Pod) *placeGroup {
	sig := schedulingSignature(p)
	if g := st.groups[sig]; g != nil {
		return g
	}
	g := &placeGroup{}
	// The nodes' static scores: TaintToleration (weight 3) and, for a pod with
	// preferred terms, NodeAffinity (weight 2), each normalized over the nodes that
	// pass, as the scheduler's are.
	type cand struct {
		i                int32
		prefer, affinity int64
	}
	var cands []cand
	maxPrefer, maxAffinity := int64(0), int64(0)
	for _, i := range st.order {
		n := st.nodes[i]
		switch filterNode(p, n, apiserver.Resources{}, 0, st.cmpOps).code {
		case fitOK, failResources:
		default:
			continue
		}
		c := cand{i: i, prefer: countPreferNoSchedule(n.Taints, p.Tolerations, st.cmpOps)}
		if len(p.PreferredNodeAffinity) > 0 {
			c.affinity = PreferredAffinityScore(p.PreferredNodeAffinity, n)
		}
		maxPrefer, maxAffinity = max(maxPrefer, c.prefer), max(maxAffinity, c.affinity)
		cands = append(cands, c)
	}
	for _, c := range cands {
		score := int64(3 * MaxNodeScore)
		if maxPrefer > 0 {
			score = 3 * (MaxNodeScore - c.prefer*MaxNodeScore/maxPrefer)
		}
		if maxAffinity > 0 {
			score += 2 * (MaxNodeScore * c.affinity / maxAffinity)
		}
		t := 0
		for t < len(g.tiers) && g.tiers[t].score > score {
			t++
		}
		if t == len(g.tiers) || g.tiers[t].score != score {
			g.tiers = append(g.tiers, placeTier{})
			copy(g.tiers[t+1:], g.tiers[t:])
			g.tiers[t] = placeTier{score: score}
		}
		g.tiers[t].nodes = append(g.tiers[t].nodes, c.i)
	}
	st.groups[sig] = g
	return g
}

// schedulingSignature encodes what filterNode and the static scores read of a pod
// besides its requests: tolerations, node selector, required and preferred node
// affinity.
func schedulingSignature(p *apiserver.Pod) string {
	var b []byte
	w := func(s string) { b = strconv.AppendInt(b, int64(len(s)), 10); b = append(b, ':'); b = append(b, s...) }
	for _, t := range p.Tolerations {
		w("t")
		w(t.Key)
		w(string(t.Operator))
		w(t.Value)
		w(string(t.Effect))
	}
	keys := make([]string, 0, len(p.NodeSelector))
	for k := range p.NodeSelector {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		w("s")
		w(k)
		w(p.NodeSelector[k])
	}
	for _, term := range p.RequiredNodeAffinity {
		w("a")
		for _, r := range term.MatchExpressions {
			w("r")
			w(r.Key)
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
		for _, r := range term.MatchFields {
			w("f")
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
	}
	for _, pt := range p.PreferredNodeAffinity {
		w("p")
		w(strconv.Itoa(int(pt.Weight)))
		for _, r := range pt.Preference.MatchExpressions {
			w("r")
			w(r.Key)
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
		for _, r := range pt.Preference.MatchFields {
			w("f")
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
	}
	return string(b)
}
