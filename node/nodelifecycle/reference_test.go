package nodelifecycle

import (
	"fmt"
	"sort"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// refController is a straightforward per-pass transcription of upstream's
// monitorNodeHealth for exact kubelets (no Steady leases): it visits every node every pass,
// rebuilds the zone lists every pass and runs the tainting tick every 100 ms. The property
// test compares the real controller's lazy mode against it.
type refController struct {
	s      *apiserver.Server
	c      *apiserver.Client
	cfg    Config
	nodes  *apiserver.Informer[*apiserver.Node]
	leases *apiserver.Informer[*apiserver.Lease]
	pass   *sim.Loop
	tick   *sim.Loop
	// lastPassAt and passRan: when the last monitor pass ran; deferred: this instant's
	// tick already yielded to that pass's informer deliveries.
	lastPassAt        time.Duration
	passRan, deferred bool

	known      map[string]bool
	health     map[string]*refHealth
	zoneStates map[string]ZoneState
	// slots is where each zone of zoneStates sits in the map's group: the lowest free
	// slot at insertion (the walk in disruption follows them from slot 0, as the
	// controller's without a Rand)
	slots    [zoneMapGroup]refSlot
	queues   map[string]*refQueue
	labels   map[string]string // zone key → label
	retry    map[string]bool
	wroteRV  uint64
	syncedRV uint64
}

type refHealth struct {
	probe     time.Duration
	readyHB   time.Duration
	readyLT   time.Duration
	hasReady  bool
	lease     *apiserver.Lease
	hasRecord bool
}

type refQueue struct {
	names   []string // FIFO by processAt (all processAt = add time, ties in add order)
	at      map[string]time.Duration
	set     map[string]bool
	qps     float32
	tokens  float64
	last    time.Duration
	started bool
}

func (q *refQueue) accept(now time.Duration) bool {
	if q.qps <= 0 {
		return false
	}
	tok := 1.0
	if q.started {
		tok = min(1, q.tokens+(now-q.last).Seconds()*float64(q.qps))
	}
	if tok-1 < 0 && time.Duration(float64(time.Second)*((1-tok)/float64(q.qps))) > 0 {
		return false
	}
	q.tokens, q.last, q.started = tok-1, now, true
	return true
}

func (q *refQueue) swap(qps float32, now time.Duration) {
	if q.qps == qps || (qps <= 0 && q.qps <= 0) {
		return
	}
	hadToken := q.accept(now)
	q.qps, q.started, q.tokens = qps, false, 1
	if qps > 0 && !hadToken {
		q.accept(now)
	}
	if qps <= 0 {
		q.qps = 0
	}
}

func (q *refQueue) remove(name string) bool {
	if !q.set[name] {
		return false
	}
	delete(q.set, name)
	for i, n := range q.names {
		if n == name {
			q.names = append(q.names[:i:i], q.names[i+1:]...)
			break
		}
	}
	return true
}

func newRef(s *apiserver.Server, c *apiserver.Client, cfg Config) *refController {
	r := &refController{s: s, c: c, cfg: cfg, known: map[string]bool{}, health: map[string]*refHealth{},
		zoneStates: map[string]ZoneState{}, queues: map[string]*refQueue{}, labels: map[string]string{}, retry: map[string]bool{}}
	r.pass, _ = s.Engine.NewLoop(sim.LoopConfig{Period: cfg.NodeMonitorPeriod, Sliding: true}, func() time.Duration {
		r.lastPassAt, r.passRan = s.Engine.Now(), true
		r.monitor()
		return cfg.PassDuration
	})
	r.tick, _ = s.Engine.NewLoop(sim.LoopConfig{Period: NodeEvictionPeriod}, func() time.Duration { r.taintPass(); return 0 })
	return r
}

func (r *refController) Start() {
	r.nodes = apiserver.NewInformer(r.s.Nodes, r.c, r.cfg.WatchLatency)
	r.leases = apiserver.NewInformer(r.s.Leases, r.c, r.cfg.WatchLatency)
	for _, l := range r.leases.List() {
		r.syncedRV = max(r.syncedRV, l.ResourceVersion)
	}
	r.leases.AddHandler(func(ev apiserver.Event[*apiserver.Lease]) { r.syncedRV = max(r.syncedRV, ev.New.ResourceVersion) })
	r.nodes.AddHandler(func(ev apiserver.Event[*apiserver.Node]) {
		if ev.Type != apiserver.Deleted {
			r.noSchedule(ev.New.Name)
		}
	})
	for _, k := range r.nodes.Keys() {
		r.noSchedule(k)
	}
	r.pass.Start()
	_ = r.tick.StartAt(r.s.Now() + NodeEvictionPeriod)
}

func (r *refController) noSchedule(name string) {
	n, ok := r.nodes.Get(name)
	if !ok {
		return
	}
	var add, del []taint.Taint
	want := map[string]bool{}
	for _, c := range n.Conditions {
		if k := apiserver.ConditionTaintKey(c); k != "" {
			want[k] = true
			if !n.HasTaint(taint.Taint{Key: k, Effect: taint.NoSchedule}) {
				add = append(add, taint.Taint{Key: k, Effect: taint.NoSchedule})
			}
		}
	}
	for _, t := range n.Taints {
		if t.Effect == taint.NoSchedule && apiserver.IsConditionTaintKey(t.Key) && t.Key != taint.Unschedulable && !want[t.Key] {
			del = append(del, t)
		}
	}
	if len(add)+len(del) > 0 {
		r.swap(n, add, del)
	}
}

func (r *refController) swap(n *apiserver.Node, add, del []taint.Taint) bool {
	now := r.s.Now()
	if len(add) > 0 {
		_, err := r.s.Nodes.Patch(r.c, n.Name, func(x *apiserver.Node) error {
			for _, t := range add {
				t.TimeAdded = now
				replaced := false
				for i := range x.Taints {
					if x.Taints[i].Key == t.Key && x.Taints[i].Effect == t.Effect {
						x.Taints[i], replaced = t, true
					}
				}
				if !replaced {
					x.Taints = append(x.Taints, t)
				}
			}
			return nil
		})
		if err != nil {
			return false
		}
	}
	has := false
	for _, t := range del {
		has = has || n.HasTaint(t)
	}
	if !has {
		return true
	}
	_, err := r.s.Nodes.Patch(r.c, n.Name, func(x *apiserver.Node) error {
		var kept []taint.Taint
		for _, t := range x.Taints {
			drop := false
			for _, d := range del {
				drop = drop || (t.Key == d.Key && t.Effect == d.Effect)
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		x.Taints = kept
		return nil
	})
	return err == nil
}

func (r *refController) queue(n *apiserver.Node) *refQueue {
	k, label := zoneOf(n)
	if r.queues[k] == nil {
		r.queues[k] = &refQueue{at: map[string]time.Duration{}, set: map[string]bool{}, qps: r.cfg.NodeEvictionRate}
		r.labels[k] = label
	}
	return r.queues[k]
}

func (r *refController) reachable(n *apiserver.Node) {
	for _, t := range []taint.Taint{taint.UnreachableNoExecute, taint.NotReadyNoExecute} {
		if n.HasTaint(t) && !r.swap(n, nil, []taint.Taint{t}) {
			return
		}
	}
	r.queue(n).remove(n.Name)
}

func (r *refController) event(name, reason, msg string) {
	r.s.Trace.Add(r.s.Now(), "Event", sim.S("object", "node/"+name), sim.S("reason", reason), sim.S("message", msg))
}

// refSlot is a slot of the zone states' map group.
type refSlot struct {
	zone string
	used bool
}

func (r *refController) enterStates(k string) {
	r.zoneStates[k] = StateInitial
	for i := range r.slots {
		if !r.slots[i].used {
			r.slots[i] = refSlot{zone: k, used: true}
			return
		}
	}
	panic("more than 8 zones: the reference models a small map only")
}

func (r *refController) leaveStates(k string) {
	delete(r.zoneStates, k)
	for i := range r.slots {
		if r.slots[i].used && r.slots[i].zone == k {
			r.slots[i] = refSlot{}
		}
	}
}

func (r *refController) setState(k string, s ZoneState) {
	if old := r.zoneStates[k]; old != s {
		r.zoneStates[k] = s
		if s == "" {
			return // a kept zone with no counted node: no state to show
		}
		if old == "" {
			old = StateInitial
		}
		r.s.Trace.Add(r.s.Now(), "ZoneState", sim.S("zone", r.labels[k]), sim.S("from", string(old)), sim.S("to", string(s)))
	}
}

func (r *refController) monitor() {
	now := r.s.Now()
	nodes := r.nodes.List()
	seen := map[string]bool{}
	for _, n := range nodes {
		seen[n.Name] = true
		k, _ := zoneOf(n)
		if _, ok := r.zoneStates[k]; !ok {
			r.queues[k] = nil
			r.queue(n)
			r.enterStates(k)
		}
	}
	for _, n := range nodes {
		if !r.known[n.Name] {
			r.event(n.Name, EventRegisteredNode, fmt.Sprintf("Registered Node %s in Controller", n.Name))
			r.known[n.Name] = true
			r.reachable(n)
		}
	}
	var gone []string
	for name := range r.known {
		if !seen[name] {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		r.event(name, EventRemovingNode, fmt.Sprintf("Removing Node %s from Controller", name))
		delete(r.known, name)
	}
	total, notReady := map[string]int{}, map[string]int{}
	for _, n := range nodes {
		var observed, current apiserver.NodeCondition
		var hasCur, ok bool
		for attempt := 0; attempt <= NodeHealthUpdateRetry; attempt++ {
			var err error
			var nn *apiserver.Node
			observed, current, hasCur, nn, err = r.tryUpdate(n, now)
			if err == nil {
				n, ok = nn, true
				break
			}
			if err == errShortCircuit {
				break
			}
			if n, err = r.s.Nodes.Get(r.c, n.Name); err != nil {
				break
			}
		}
		if !ok {
			continue
		}
		if !excluded(n) {
			k, _ := zoneOf(n)
			total[k]++
			if !hasCur || current.Status != apiserver.ConditionTrue {
				notReady[k]++
			}
		}
		if !hasCur {
			delete(r.retry, n.Name)
			continue
		}
		decision := current.Status
		if r.cfg.Version < CurrentReadyVersion {
			decision = observed.Status
		}
		switch decision {
		case apiserver.ConditionFalse, apiserver.ConditionUnknown:
			want, other := taint.NotReadyNoExecute, taint.UnreachableNoExecute
			if decision == apiserver.ConditionUnknown {
				want, other = other, want
			}
			if n.HasTaint(other) {
				r.swap(n, []taint.Taint{want}, []taint.Taint{other})
			} else {
				q := r.queue(n)
				if !n.HasTaint(want) {
					q.remove(n.Name)
				}
				if !q.set[n.Name] {
					q.set[n.Name] = true
					q.names = append(q.names, n.Name)
					q.at[n.Name] = now
				}
			}
		case apiserver.ConditionTrue:
			r.reachable(n)
		}
		if current.Status != apiserver.ConditionTrue && observed.Status == apiserver.ConditionTrue {
			r.event(n.Name, EventNodeNotReady, fmt.Sprintf("Node %s status is now: %s", n.Name, EventNodeNotReady))
		}
		delete(r.retry, n.Name)
	}
	r.disruption(now, nodes, total, notReady)
}

func (r *refController) tryUpdate(n *apiserver.Node, now time.Duration) (observed, current apiserver.NodeCondition, hasCur bool, out *apiserver.Node, err error) {
	if r.cfg.LeaseCircuitBreaker && r.wroteRV > r.syncedRV {
		return observed, current, false, n, errShortCircuit
	}
	h := r.health[n.Name]
	ready := n.Condition(apiserver.NodeReady)
	grace := r.cfg.NodeMonitorGracePeriod
	if ready == nil {
		observed = apiserver.NodeCondition{Type: apiserver.NodeReady, Status: apiserver.ConditionUnknown,
			LastHeartbeatTime: n.CreationTimestamp, LastTransitionTime: n.CreationTimestamp}
		grace = r.cfg.NodeStartupGracePeriod
		if h == nil {
			h = &refHealth{probe: n.CreationTimestamp, hasRecord: true}
			r.health[n.Name] = h
		}
		h.hasReady = false
	} else {
		observed = *ready
	}
	var savedLease *apiserver.Lease
	if h != nil {
		savedLease = h.lease
	}
	fresh := func() {
		h = &refHealth{probe: now, hasRecord: true, hasReady: true, readyHB: ready.LastHeartbeatTime, readyLT: ready.LastTransitionTime}
		r.health[n.Name] = h
	}
	switch {
	case h == nil:
		fresh()
	case !h.hasReady && ready != nil:
		fresh()
	case h.hasReady && ready != nil && h.readyHB != ready.LastHeartbeatTime:
		fresh()
	}
	lease, _ := r.leases.Get(NodeLeaseNamespace + "/" + n.Name)
	if lease != nil && (savedLease == nil || savedLease.RenewTime < lease.RenewTime) {
		h.lease = lease
		h.probe = now
	}
	if ready != nil {
		current, hasCur = *ready, true
	}
	if now <= h.probe+grace {
		return observed, current, hasCur, n, nil
	}
	if r.cfg.LeaseCircuitBreaker {
		live, gerr := r.s.Leases.Get(r.c, NodeLeaseNamespace+"/"+n.Name)
		if gerr == nil {
			var rv uint64
			if h.lease != nil {
				rv = h.lease.ResourceVersion
			}
			if live.ResourceVersion != rv {
				r.wroteRV = max(r.wroteRV, live.ResourceVersion)
				return observed, current, false, n, errShortCircuit
			}
		} else if !apiserver.IsNotFound(gerr) {
			return observed, current, false, n, errShortCircuit
		}
	}
	nn := n.DeepCopy()
	for _, t := range unknownConditionTypes {
		if c := nn.Condition(t); c == nil {
			nn.Conditions = append(nn.Conditions, apiserver.NodeCondition{Type: t, Status: apiserver.ConditionUnknown,
				Reason: ReasonNodeStatusNeverUpdated, Message: MessageNodeStatusNeverUpd, LastHeartbeatTime: nn.CreationTimestamp, LastTransitionTime: now})
		} else if c.Status != apiserver.ConditionUnknown {
			c.Status, c.Reason, c.Message, c.LastTransitionTime = apiserver.ConditionUnknown, ReasonNodeStatusUnknown, MessageNodeStatusUnknown, now
		}
	}
	cur := *nn.Condition(apiserver.NodeReady)
	if cur == observed {
		return observed, cur, true, nn, nil
	}
	if _, err := r.s.Nodes.Update(r.c, nn); err != nil {
		return observed, cur, true, n, err
	}
	r.health[n.Name] = &refHealth{probe: h.probe, hasRecord: true, hasReady: true, readyHB: cur.LastHeartbeatTime, readyLT: cur.LastTransitionTime, lease: lease}
	return observed, cur, true, nn, nil
}

func (r *refController) limiter(k string, size int, s ZoneState) {
	q := r.queues[k]
	switch s {
	case StateNormal, StateFullDisruption:
		q.swap(r.cfg.NodeEvictionRate, r.s.Now())
	case StatePartialDisruption:
		qps := float32(0)
		if int32(size) > r.cfg.LargeClusterSizeThreshold {
			qps = r.cfg.SecondaryNodeEvictionRate
		}
		q.swap(qps, r.s.Now())
	}
}

func (r *refController) disruption(now time.Duration, nodes []*apiserver.Node, total, notReady map[string]int) {
	newStates := map[string]ZoneState{}
	allAre := true
	for k, t := range total {
		s := StateNormal
		switch ready := t - notReady[k]; {
		case ready == 0 && notReady[k] > 0:
			s = StateFullDisruption
		case notReady[k] > 2 && float32(notReady[k])/float32(t) >= r.cfg.UnhealthyZoneThreshold:
			s = StatePartialDisruption
		}
		newStates[k] = s
		if s != StateFullDisruption {
			allAre = false
		}
		if _, ok := r.zoneStates[k]; !ok {
			r.enterStates(k)
		}
	}
	// upstream walks nc.zoneStates (in slot order here, as the controller without a
	// Rand): it forgets each zone with no counted node until the first counted zone not
	// in FullDisruption, and stops there; the zones after it are kept, those with no
	// counted node in the state "" (newStates has none for them)
	var all, keys []string
	for _, sl := range r.slots {
		if sl.used {
			all = append(all, sl.zone)
		}
	}
	stopped := false
	for _, k := range all {
		_, counted := total[k]
		switch {
		case !counted && !stopped:
			r.leaveStates(k)
			continue
		case counted && r.zoneStates[k] != StateFullDisruption:
			stopped = true
		}
		keys = append(keys, k)
	}
	sort.Strings(keys) // the controller handles zones in key order
	allWas := !stopped
	if allAre && allWas {
		return
	}
	switch {
	case allAre:
		for _, n := range nodes {
			r.reachable(n)
		}
		for _, k := range keys {
			r.queues[k].swap(0, now)
		}
		for _, k := range keys {
			r.setState(k, StateFullDisruption)
		}
	case allWas:
		for _, n := range nodes {
			if h := r.health[n.Name]; h != nil {
				h.probe = now
			}
		}
		for _, k := range keys {
			r.limiter(k, total[k], newStates[k])
			r.setState(k, newStates[k])
		}
	default:
		for _, k := range keys {
			if r.zoneStates[k] != newStates[k] {
				r.limiter(k, total[k], newStates[k])
				r.setState(k, newStates[k])
			}
		}
	}
}

func (r *refController) taintPass() {
	now := r.s.Now()
	// A tick on the instant of a pass runs after the informer deliveries the pass
	// caused (a real pass takes milliseconds; its writes reach the cache before a tick
	// takes what it enqueued).
	if r.passRan && r.lastPassAt == now && !r.deferred {
		r.deferred = true
		_, _ = r.s.Engine.At(now, r.taintPass)
		return
	}
	r.deferred = false
	var keys []string
	for k, q := range r.queues {
		if q != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		q := r.queues[k]
		for len(q.names) > 0 {
			if !q.accept(now) {
				break
			}
			name := q.names[0]
			if now < q.at[name] {
				break
			}
			ok, wait := true, time.Duration(0)
			if n, found := r.nodes.Get(name); found {
				switch c := n.Condition(apiserver.NodeReady); {
				case c == nil:
					ok, wait = false, 50*time.Millisecond
				case c.Status == apiserver.ConditionFalse:
					ok = r.swap(n, []taint.Taint{taint.NotReadyNoExecute}, []taint.Taint{taint.UnreachableNoExecute})
				case c.Status == apiserver.ConditionUnknown:
					ok = r.swap(n, []taint.Taint{taint.UnreachableNoExecute}, []taint.Taint{taint.NotReadyNoExecute})
				}
			}
			q.names = q.names[1:]
			if !ok {
				q.at[name] = now + wait + 1
				i := sort.Search(len(q.names), func(i int) bool { return q.at[q.names[i]] > q.at[name] })
				q.names = append(q.names[:i], append([]string{name}, q.names[i:]...)...)
			}
		}
	}
}
