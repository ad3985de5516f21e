package workload

import (
	"fmt"
	"slices"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
)

// BurstReplicas is the ReplicaSet controller's cap on creations or deletions per sync
// (replica_set.go BurstReplicas).
const BurstReplicas = 500

// SlowStartInitialBatchSize is the size of the first batch of a sync's creations;
// each next batch is twice the last (controller_utils.go).
const SlowStartInitialBatchSize = 1

// ConcurrentRSSyncs is kube-controller-manager's --concurrent-replicaset-syncs
// default: how many ReplicaSets its workers sync at once
// (pkg/controller/replicaset/config/v1alpha1/defaults.go).
const ConcurrentRSSyncs = 5

// ReplicaSetConfig configures the ReplicaSet controller.
type ReplicaSetConfig struct {
	// WatchLatency is how long after a change its informers see it.
	WatchLatency time.Duration
	// Informers, when set and serving the controller's client and WatchLatency, is the
	// shared informer factory of the controller's process: the controller takes its
	// informers from it and does not stop them (nil: informers of its own).
	Informers *apiserver.Informers
	// Rand is the stream pod name suffixes are drawn from; nil means
	// sim.NewRand(seed, "replicaset-controller").
	Rand *sim.Rand
	// RateLimit is the client-side rate limit of the controller's own clientset
	// (kube-controller-manager's --kube-api-qps and --kube-api-burst; 20 and 30 in
	// DefaultReplicaSetConfig). Every pod POST and DELETE, every status write (and
	// GET after a conflict) and every Event the controller writes waits for a token
	// (package flowcontrol; Events the spam filter skips are not written). The zero
	// value is no limit.
	RateLimit flowcontrol.RateLimit
	// EventsRand draws the event writer's first retry sleep after a failed Event
	// write (nil: half of flowcontrol.EventRetrySleep).
	EventsRand *sim.Rand
	// ConcurrentSyncs is --concurrent-replicaset-syncs: how many ReplicaSets may
	// have a sync waiting for tokens at once (0: ConcurrentRSSyncs). A sync that
	// finds its tokens takes no time and holds no worker.
	ConcurrentSyncs int
	// Version is the Kubernetes minor version (31…37); zero is the latest, 37. Under
	// minReadySeconds it decides when the controller checks a ReplicaSet's pods'
	// availability again (ReplicaSetAvailabilityCheckVersion).
	Version int
}

// ReplicaSetAvailabilityCheckVersion is the first minor version whose ReplicaSet
// controller, under minReadySeconds, queues the ReplicaSet minReadySeconds after it
// sees a pod turn Ready (earlier: minReadySeconds + 1 s) and, after a sync that left
// ready pods unavailable, checks again at the instant the first of them becomes
// available (FindMinNextPodAvailabilityCheck; earlier: minReadySeconds after a sync
// that found every replica ready and not every one available, and nothing
// otherwise). Read in v1.33.0 and v1.37.2; the change is PR #132121, merged in July
// 2025 and taken to be in 1.34.0 (the 1.34 to 1.36 sources were not at hand).
const ReplicaSetAvailabilityCheckVersion = 34

// replicaSetLatestVersion is what a zero ReplicaSetConfig.Version means.
const replicaSetLatestVersion = 37

// DefaultReplicaSetConfig is the controller's configuration in a default
// kube-controller-manager.
func DefaultReplicaSetConfig() ReplicaSetConfig {
	return ReplicaSetConfig{RateLimit: flowcontrol.ControllerManager}
}

// ReplicaSetController keeps each ReplicaSet's number of active pods equal to its
// replicas (pkg/controller/replicaset/replica_set.go).
type ReplicaSetController struct {
	s    *apiserver.Server
	c    *apiserver.Client
	cfg  ReplicaSetConfig
	rand *sim.Rand
	// uidSalt orders UIDs where upstream compares random UUIDs (rankPodsForDeletion)
	uidSalt uint64

	rsInf  *apiserver.Informer[*apiserver.ReplicaSet]
	podInf *apiserver.Informer[*apiserver.Pod]
	// shared: the informers are the factory's (see the config's Informers); run numbers
	// the Starts, so that handlers left on a shared informer by an earlier run do nothing
	shared bool
	run    uint64
	q      *workQueue
	// expectations: pods this controller created or deleted that its informer has
	// not yet shown (controller_utils.go ControllerExpectations), by ReplicaSet key.
	expCreate map[string]map[string]bool
	expDelete map[string]map[string]bool
	started   bool

	// counts are the pods indexed under each ReplicaSet's UID, kept from the pod
	// informer's events once a sync has counted them (see rsCounts).
	counts map[uint64]*rsCounts
	uids   uidStrings
	// rsKeys caches, per controller UID, the ReplicaSet key its pods' events queue:
	// building it allocated on every pod write.
	rsKeys map[uint64]string
	// scratch slices of a full sync, reused.
	scratchAll, scratchActive []*apiserver.Pod

	// fullSync (tests only) makes every sync list the ReplicaSet's pods, as before
	// syncs used counts; podVisits counts the pods syncs visit.
	fullSync  bool
	podVisits int

	// The controller's clientset: its token bucket, the event writer that shares it,
	// and the requests waiting for a token.
	limiter *flowcontrol.Limiter
	events  *flowcontrol.EventWriter
	waiting *flowcontrol.Waiting[rsRequest]
	// gen is bumped by Stop: requests of an older generation are not sent.
	gen uint64
	// free holds ended syncs for reuse.
	free []*rsSync
}

// rsSync is one syncReplicaSet, kept across engine events while it waits for its
// client's tokens: upstream's worker goroutine blocked in the rate limiter's Wait,
// and the goroutines it starts for a batch of creations or for the deletions.
type rsSync struct {
	key string
	// rs is the ReplicaSet as the sync read it: its UpdateStatus carries that
	// version's resourceVersion
	rs    *apiserver.ReplicaSet
	owner apiserver.OwnerReference
	// counts: the sync counted the ReplicaSet's pods without listing them (nil: it
	// listed them into active)
	counts *rsCounts
	// active: the active pods as listed at the start of the sync; upstream computes
	// the status from that list at the end of the sync, whenever that is. A sync that
	// only counted lists them when it starts waiting (at the instant it started,
	// before its informer has seen any of its writes).
	active []*apiserver.Pod
	listed bool
	// snapped: a sync that only counted and waits keeps the counts of its start
	// (active, ready), all its status needs without minReadySeconds
	snapped          bool
	snapN, snapReady int32

	// remaining: creations not started yet; batch: the next batch's size; running:
	// requests of the current batch (or of the deletions) not answered yet
	remaining, batch, running int
	err                       error // manageReplicas' error: the first one

	n, ready, avail int32 // the status it writes, once computed
	computed        bool
	// at and mr: the instant and minReadySeconds the status was computed at and
	// with; next: the earliest availability instant then among its ready pods not
	// yet available (0: none), for the next check (planAvailabilityCheck)
	at, mr, next time.Duration
	gone         bool // the status write found no ReplicaSet
	retried      bool // its UpdateStatus met a conflict and was retried after a GET
	statusErr    error

	// async: a request of the sync waited for its token, so the sync ends by
	// workQueue.done; inSync: the queue's call of sync has not returned yet, and
	// an end inline leaves its result in result
	async, inSync, ended bool
	result               error
}

// rsOp is the request an rsRequest makes.
type rsOp uint8

const (
	opCreatePod    rsOp = iota // POST pods, then a SuccessfulCreate or FailedCreate Event
	opDeletePod                // DELETE pods/name, then a SuccessfulDelete or FailedDelete Event
	opUpdateStatus             // PUT replicasets/name/status
	opGetRS                    // GET replicasets/name after a conflict
)

// rsRequest is a request of a sync waiting for its token.
type rsRequest struct {
	s   *rsSync
	op  rsOp
	pod *apiserver.Pod // the pod to delete
}

// rsCounts is what a sync needs of a ReplicaSet's pods when it creates none and
// deletes none: how many are active, how many of these are Ready and, under
// minReadySeconds, which of these are available. It is the state of the pods
// indexed under the ReplicaSet's UID in the pod informer, counted by a walk over them
// and kept up to date from the informer's events (each change removes the old
// version's contribution and adds the new one's, whatever their owners).
//
// Availability depends on time: a pod Ready since r is available from the instant
// a = wholeSecond(r)+minReady on (availableAt, reached). The pods Ready at the last count (at) are split into avail (a
// reached at at, available from then on) and pending (the others), with pendingMin
// the earliest a among pending. Until now reaches pendingMin no pending pod is
// available; once it does, or when a pod with a == pendingMin leaves (stale: the
// earliest is unknown), or minReadySeconds changes, the next sync counts again.
type rsCounts struct {
	active, ready int32
	minReady      time.Duration // the minReadySeconds avail and pending were split by
	at            time.Duration
	avail         int32
	pending       int32
	pendingMin    time.Duration
	stale         bool
}

// account adds (sign 1) or removes (sign -1) one pod version's contribution.
func (c *rsCounts) account(p *apiserver.Pod, sign int32) {
	if !IsPodActive(p) {
		return
	}
	c.active += sign
	r, ok := podReadyTime(p)
	if !ok {
		return
	}
	c.ready += sign
	if c.minReady == 0 {
		return
	}
	switch t := availableAt(r, c.minReady); {
	case reached(t, c.at):
		c.avail += sign
	case sign > 0:
		if c.pending == 0 || t < c.pendingMin {
			if c.pending == 0 {
				c.stale = false
			}
			c.pendingMin = t
		}
		c.pending++
	default:
		c.pending--
		if c.pending == 0 {
			c.stale = false
		} else if t <= c.pendingMin {
			c.stale = true
		}
	}
}

// reset empties c for a walk at now.
func (c *rsCounts) reset(minReady, now time.Duration) {
	*c = rsCounts{minReady: minReady, at: now}
}

// availableAt is the instant a pod Ready since readyAt becomes available under
// minReady, as podutil.IsPodAvailable computes it: the Ready condition's
// lastTransitionTime plus minReadySeconds. The controller reads the condition from
// its informer, which holds the pod as the API server serialised it: metav1.Time in
// whole seconds (RFC 3339), so a pod Ready at 10.4 s counts from 10 s.
func availableAt(readyAt, minReady time.Duration) time.Duration {
	return wholeSecond(readyAt) + minReady
}

// reached reports whether a pod whose availability instant is a counts as available
// at the virtual instant now: from a itself on. Upstream compares with the
// controller's clock to the nanosecond, before 1.34 strictly (the transition time
// plus minReadySeconds Before now) and from then on inclusively (<= now); but that
// clock is read in calculateStatus, after the sync was dequeued and its pods listed,
// milliseconds after the instant the simulator runs the sync at, and the transition
// time is a whole second, so at the instant a itself a real controller's clock is
// already past a and both comparisons hold. (Counting strictly in virtual time would
// put off a pod that turns Ready on a whole second, which a sync at that very
// instant requeues minReadySeconds later, by a whole further minReadySeconds: a
// delay no cluster shows.)
func reached(a, now time.Duration) bool { return a <= now }

// NewReplicaSetController builds a stopped ReplicaSet controller.
func NewReplicaSetController(s *apiserver.Server, c *apiserver.Client, cfg ReplicaSetConfig) (*ReplicaSetController, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewReplicaSetController needs a server and a client")
	}
	if cfg.WatchLatency < 0 {
		return nil, fmt.Errorf("workload: ReplicaSetConfig.WatchLatency %v is negative; it must be zero or positive", cfg.WatchLatency)
	}
	if _, err := cfg.RateLimit.Limiter(); err != nil {
		return nil, fmt.Errorf("workload: ReplicaSetConfig.RateLimit %+v: %v", cfg.RateLimit, err)
	}
	if cfg.ConcurrentSyncs < 0 {
		return nil, fmt.Errorf("workload: ReplicaSetConfig.ConcurrentSyncs %d is negative; it must be zero (the default, %d) or positive", cfg.ConcurrentSyncs, ConcurrentRSSyncs)
	}
	if cfg.Version != 0 && (cfg.Version < 31 || cfg.Version > replicaSetLatestVersion) {
		return nil, fmt.Errorf("workload: ReplicaSetConfig.Version %d is not modelled; it must be zero (the latest) or 31 to %d", cfg.Version, replicaSetLatestVersion)
	}
	if cfg.Version == 0 {
		cfg.Version = replicaSetLatestVersion
	}
	r := cfg.Rand
	if r == nil {
		r = sim.NewRand(s.Engine.Seed(), "replicaset-controller")
	}
	// a stream of its own, so that the pods' names stay as they were drawn
	salt := sim.NewRand(s.Engine.Seed(), "replicaset-controller/uid-order").Uint64()
	rc := &ReplicaSetController{s: s, c: c, cfg: cfg, rand: r, uidSalt: salt,
		expCreate: map[string]map[string]bool{}, expDelete: map[string]map[string]bool{}}
	var err error
	if rc.waiting, err = flowcontrol.NewWaiting(s.Engine, func(r rsRequest) { rc.send(r.s, r.op, r.pod) }); err != nil {
		return nil, err
	}
	return rc, nil
}

// Start lists ReplicaSets and pods, starts watching them and syncs every ReplicaSet.
func (rc *ReplicaSetController) Start() {
	if rc.started {
		return
	}
	rc.started = true
	rc.counts = map[uint64]*rsCounts{}
	rc.q = newWorkQueue(rc.s.Engine, rc.sync)
	rc.q.workers = rc.cfg.ConcurrentSyncs
	if rc.q.workers == 0 {
		rc.q.workers = ConcurrentRSSyncs
	}
	// a new process: a new clientset, whose bucket starts full, a new recorder, and
	// no expectations (a Stop may have left some of a sync it cut short)
	rc.limiter, _ = rc.cfg.RateLimit.Limiter() // validated by NewReplicaSetController
	rc.events, _ = flowcontrol.NewEventWriter(rc.s.Engine, rc.c, rc.limiter, rc.cfg.EventsRand)
	clear(rc.expCreate)
	clear(rc.expDelete)
	f, lat := rc.cfg.Informers, rc.cfg.WatchLatency
	rc.rsInf, rc.shared = apiserver.InformerFor(f, rc.s.ReplicaSets, rc.c, lat)
	rc.podInf, _ = apiserver.InformerFor(f, rc.s.Pods, rc.c, lat)
	rc.podInf.AddIndex(indexOwner, func(p *apiserver.Pod) string { return rc.uids.ownerIndexValue(&p.ObjectMeta) })
	rc.run++
	run := rc.run
	live := func() bool { return rc.started && rc.run == run }
	rc.rsInf.AddComponentHandler(rc.shared, live, func(ev apiserver.Event[*apiserver.ReplicaSet]) {
		key := ev.New.Key()
		if ev.Type == apiserver.Deleted {
			delete(rc.expCreate, key)
			delete(rc.expDelete, key)
			delete(rc.counts, ev.New.UID)
			delete(rc.rsKeys, ev.New.UID)
		}
		rc.q.add(key)
	})
	rc.podInf.AddComponentHandler(rc.shared, live, rc.onPod)
	for _, k := range rc.rsInf.Keys() {
		rc.q.add(k)
	}
}

// Stop ends the watches and cancels every timer.
func (rc *ReplicaSetController) Stop() {
	if !rc.started {
		return
	}
	rc.started = false
	rc.q.stop()
	// the process is gone, and with it every sync in flight and every queued Event
	rc.gen++
	rc.waiting.Drop()
	rc.events.Stop()
	if !rc.shared {
		rc.rsInf.Stop()
		rc.podInf.Stop()
	}
}

func (rc *ReplicaSetController) onPod(ev apiserver.Event[*apiserver.Pod]) {
	p := ev.New
	// The informer passes, for Modified, the version it had as Old; for Deleted, the
	// last version (the one it had) as New.
	switch ev.Type {
	case apiserver.Added:
		rc.account(p, 1)
	case apiserver.Modified:
		rc.account(ev.Old, -1)
		rc.account(p, 1)
	case apiserver.Deleted:
		rc.account(p, -1)
	}
	ref, ok := p.ControllerRef()
	if !ok || ref.Kind != KindReplicaSet {
		return
	}
	rsKey := rc.rsKey(p.Namespace, ref)
	if ev.Type == apiserver.Modified && !p.Deleting {
		rc.queueAvailabilityCheck(ev.Old, p, rsKey, ref.UID)
	}
	pk := p.Key()
	if m := rc.expCreate[rsKey]; m != nil {
		delete(m, pk)
	}
	if ev.Type == apiserver.Deleted || p.Deleting {
		if m := rc.expDelete[rsKey]; m != nil {
			delete(m, pk)
		}
	}
	rc.q.add(rsKey)
}

// queueAvailabilityCheck is updatePod's queueing of a pod that turned Ready, for
// the instant it may become available: the ReplicaSet (as resolveControllerRef finds
// it in the informer, by name and UID) is queued minReadySeconds after the handler
// sees the change, plus a second before 1.34 ("to avoid milliseconds skew"). A pod
// being deleted takes updatePod's deletion path, which does not; nor does a pod
// that is added Ready (a restarted controller's list): that is left to the syncs
// (planAvailabilityCheck).
func (rc *ReplicaSetController) queueAvailabilityCheck(old, cur *apiserver.Pod, rsKey string, uid uint64) {
	if _, was := podReadyTime(old); was {
		return
	}
	if _, is := podReadyTime(cur); !is {
		return
	}
	rs, ok := rc.rsInf.Get(rsKey)
	if !ok || rs.UID != uid || rs.MinReadySeconds <= 0 {
		return
	}
	d := time.Duration(rs.MinReadySeconds) * time.Second
	if rc.cfg.Version < ReplicaSetAvailabilityCheckVersion {
		d += time.Second
	}
	rc.q.addAfter(rsKey, d)
}

// rsKey is nsKey(ns, ref.Name), the same string for every pod of a ReplicaSet.
func (rc *ReplicaSetController) rsKey(ns string, ref apiserver.OwnerReference) string {
	k, ok := rc.rsKeys[ref.UID]
	if ok && isNsKey(k, ns, ref.Name) {
		return k
	}
	k = nsKey(ns, ref.Name)
	if rc.rsKeys == nil {
		rc.rsKeys = map[uint64]string{}
	}
	rc.rsKeys[ref.UID] = k
	return k
}

// isNsKey reports whether k == nsKey(ns, name).
func isNsKey(k, ns, name string) bool {
	if ns == "" {
		return k == name
	}
	return len(k) == len(ns)+1+len(name) && k[len(ns)] == '/' && k[:len(ns)] == ns && k[len(ns)+1:] == name
}

// account updates the counts of the ReplicaSet (if counted) p is indexed under.
func (rc *ReplicaSetController) account(p *apiserver.Pod, sign int32) {
	ref, ok := p.ControllerRef()
	if !ok {
		return
	}
	if c := rc.counts[ref.UID]; c != nil {
		c.account(p, sign)
	}
}

func (rc *ReplicaSetController) satisfied(key string) bool {
	return len(rc.expCreate[key]) == 0 && len(rc.expDelete[key]) == 0
}

// sync is syncReplicaSet. It runs to its end at once when every request it makes
// finds a token; otherwise it holds its key (errSyncInFlight) and goes on at its
// tokens' instants, and ends by rc.end.
func (rc *ReplicaSetController) sync(key string) error {
	rs, ok := rc.rsInf.Get(key)
	if !ok {
		return nil
	}
	manage := rc.satisfied(key) && !rs.Deleting
	s := rc.newSync(key, rs)
	c := rc.counts[rs.UID]
	if c == nil || rc.fullSync || (manage && c.active > rs.Replicas) {
		rc.syncListed(s, manage)
	} else {
		// Nothing to delete: no pod needs to be looked at.
		s.counts = c
		if manage && c.active < rs.Replicas {
			rc.createPods(s, int(rs.Replicas-c.active))
		} else {
			rc.manageDone(s)
		}
	}
	s.inSync = false
	if !s.ended {
		return errSyncInFlight
	}
	err := s.result
	rc.release(s)
	return err
}

func (rc *ReplicaSetController) newSync(key string, rs *apiserver.ReplicaSet) *rsSync {
	var s *rsSync
	if n := len(rc.free); n > 0 {
		s, rc.free = rc.free[n-1], rc.free[:n-1]
	} else {
		s = &rsSync{}
	}
	*s = rsSync{key: key, rs: rs, batch: SlowStartInitialBatchSize, inSync: true, active: s.active[:0]}
	return s
}

func (rc *ReplicaSetController) release(s *rsSync) {
	clear(s.active)
	*s = rsSync{active: s.active[:0]}
	rc.free = append(rc.free, s)
}

// count walks the pods indexed under rs's UID and sets c from them at now.
func (rc *ReplicaSetController) count(rs *apiserver.ReplicaSet, c *rsCounts, minReady, now time.Duration) {
	c.reset(minReady, now)
	rc.podInf.EachByIndex(indexOwner, rc.uids.of(rs.UID), func(p *apiserver.Pod) {
		rc.podVisits++
		c.account(p, 1)
	})
}

// syncListed is a sync that lists the ReplicaSet's pods, as every sync did before
// counts: for deletions (which pods to delete depends on them) and to (re)count.
func (rc *ReplicaSetController) syncListed(s *rsSync, manage bool) {
	rs := s.rs
	now := rc.s.Now()
	c := rc.counts[rs.UID]
	if c == nil {
		c = &rsCounts{}
		rc.counts[rs.UID] = c
	}
	c.reset(time.Duration(rs.MinReadySeconds)*time.Second, now)
	all, active := rc.scratchAll[:0], rc.scratchActive[:0]
	rc.podInf.EachByIndex(indexOwner, rc.uids.of(rs.UID), func(p *apiserver.Pod) {
		rc.podVisits++
		c.account(p, 1)
		all = append(all, p)
		if IsPodActive(p) {
			active = append(active, p)
		}
	})
	s.active, s.listed = active, true
	if manage {
		rc.manageReplicas(s, all)
	} else {
		rc.manageDone(s)
	}
	if !s.async {
		s.active = nil // (one that goes on keeps a list of its own: see wait)
	}
	clear(all)
	clear(active)
	rc.scratchAll, rc.scratchActive = all[:0], active[:0]
}

// manageReplicas creates the missing pods or deletes the surplus, at most
// BurstReplicas, and then writes the status (manageDone).
func (rc *ReplicaSetController) manageReplicas(s *rsSync, all []*apiserver.Pod) {
	diff := len(s.active) - int(s.rs.Replicas)
	switch {
	case diff < 0:
		rc.createPods(s, -diff)
	case diff > 0:
		n := min(diff, BurstReplicas)
		cand := append([]*apiserver.Pod(nil), s.active...)
		// The related pods (the "doubled up" rank) are those of the ReplicaSets with
		// the same controller (getIndirectlyRelatedPods); a ReplicaSet without one has
		// none, and every pod ranks alike there.
		related := all
		if _, owned := s.rs.ControllerRef(); !owned {
			related = nil
		}
		rankPodsForDeletion(cand, related, rc.s.Now(), rc.uidSalt)
		rc.deletePods(s, cand[:n])
	default:
		rc.manageDone(s)
	}
}

// createPods starts slowStartBatch over the missing pods, at most BurstReplicas.
// Creations are expected one by one as each POST succeeds (expCreate): upstream's
// ExpectCreations of the whole count before the first batch, less the skipped ones
// after a failed batch, differs only while the sync runs, and the sync holds its key.
func (rc *ReplicaSetController) createPods(s *rsSync, missing int) {
	s.owner = controllerRef(KindReplicaSet, &s.rs.ObjectMeta)
	s.remaining = min(missing, BurstReplicas)
	rc.nextBatch(s)
}

// nextBatch starts slowStartBatch's next batch, each of whose goroutines makes a
// POST and then writes an Event; the batch after it starts when all of them have
// returned (createdPod). After a batch with an error, or the last batch, the sync
// goes on to its status.
func (rc *ReplicaSetController) nextBatch(s *rsSync) {
	if s.err != nil || s.remaining == 0 {
		rc.manageDone(s)
		return
	}
	b := min(s.batch, s.remaining)
	s.remaining -= b
	s.batch = 2 * b
	s.running = b
	phased := rc.phased(b + rc.events.Admits(rc.eventKey(s, false), b))
	for range b {
		rc.request(s, opCreatePod, nil, phased)
	}
}

// deletePods deletes the chosen pods, each in a goroutine of its own, all started at
// once: a DELETE and then an Event each. All are expected first (ExpectDeletions).
func (rc *ReplicaSetController) deletePods(s *rsSync, pods []*apiserver.Pod) {
	m := rc.expDelete[s.key]
	if m == nil {
		m = map[string]bool{}
		rc.expDelete[s.key] = m
	}
	for _, p := range pods {
		m[p.Key()] = true
	}
	s.running = len(pods)
	phased := rc.phased(len(pods) + rc.events.Admits(rc.eventKey(s, false), len(pods)))
	for _, p := range pods {
		rc.request(s, opDeletePod, p, phased)
	}
}

// phased reports whether goroutines started together that need tokens between them
// must reserve them in rounds (see request): the bucket does not hold them all. They
// need one for each request and one for each of their Events that the spam filter
// lets through.
func (rc *ReplicaSetController) phased(tokens int) bool {
	return rc.limiter.Available(rc.s.Now()) < float64(tokens)
}

// eventKey is what the event correlator's spam filter counts the sync's Events by:
// the ReplicaSet they are about and their type. All of the controller's Events about
// one ReplicaSet share a bucket of 25 per type (SuccessfulCreate and
// SuccessfulDelete are both Normal), refilled one each 5 minutes: past that, they
// are skipped and spend no token.
func (rc *ReplicaSetController) eventKey(s *rsSync, warning bool) flowcontrol.SpamKey {
	return flowcontrol.SpamKey{UID: s.rs.UID, Warning: warning}
}

// request makes one of the sync's requests: now if the client has a token, else at
// the token's instant. A phased request is sent by an engine event even when its
// token is there, after the requests already due at that instant: upstream's
// goroutines started together each reserve a token before any of them is answered
// (requests take milliseconds, starting a goroutine microseconds), so their Events,
// written one at a time by the event writer, reserve theirs after all of the batch's
// requests.
func (rc *ReplicaSetController) request(s *rsSync, op rsOp, pod *apiserver.Pod, phased bool) {
	now := rc.s.Now()
	if at := rc.limiter.Wait(now); at > now || phased {
		rc.wait(s)
		rc.waiting.Add(rsRequest{s, op, pod}, at)
		return
	}
	rc.send(s, op, pod)
}

// wait marks the sync as going on after this instant. Unless its status is computed
// already, it keeps the active pods as listed at its start, which the status it
// writes at its end is computed from.
func (rc *ReplicaSetController) wait(s *rsSync) {
	if s.async {
		return
	}
	s.async = true
	if s.computed {
		s.active = nil
		return
	}
	if s.listed {
		s.active = slices.Clone(s.active) // the scratch list is reused
		return
	}
	// A sync that only counted: its informer has not shown any of its writes yet,
	// so the pods it would list now are those it counted. Without minReadySeconds the
	// status needs only their numbers, which the counts hold: kept, they spare a walk
	// of the ReplicaSet's pods (100k on the 300k-pod day) at every sync that waits.
	if c := s.counts; c != nil && s.rs.MinReadySeconds == 0 {
		s.snapped, s.snapN, s.snapReady = true, c.active, c.ready
		return
	}
	s.listed = true
	rc.podInf.EachByIndex(indexOwner, rc.uids.of(s.rs.UID), func(p *apiserver.Pod) {
		if IsPodActive(p) {
			s.active = append(s.active, p)
		}
	})
}

// send makes the request now and carries the sync on.
func (rc *ReplicaSetController) send(s *rsSync, op rsOp, pod *apiserver.Pod) {
	switch op {
	case opCreatePod:
		err := rc.createPod(s.key, s.rs, s.owner)
		if err != nil && s.err == nil {
			s.err = err
		}
		rc.events.EmitAbout(rc.eventKey(s, err != nil)) // SuccessfulCreate, or FailedCreate
		if s.running--; s.running == 0 {
			rc.nextBatch(s)
		}
	case opDeletePod:
		rc.deletePod(s, pod)
		if s.running--; s.running == 0 {
			rc.manageDone(s)
		}
	case opUpdateStatus:
		rc.sendStatus(s)
	case opGetRS:
		rs, err := rc.s.ReplicaSets.Get(rc.c, s.key)
		if err != nil {
			// upstream returns the GET's error: the key is retried after its backoff
			rc.c.TraceError("get", "replicasets", err)
			s.statusErr = err
			rc.end(s)
			return
		}
		s.rs = rs
		rc.request(s, opUpdateStatus, nil, false)
	}
}

// createPod is CreatePods: one POST of a pod stamped from the template with a
// generated name. A name already in use draws another: upstream's API server
// generates the name (generateName) and retries a collision itself, so that is
// still one request.
func (rc *ReplicaSetController) createPod(key string, rs *apiserver.ReplicaSet, owner apiserver.OwnerReference) error {
	var err error
	for range 10 { // a name collision draws another suffix
		name := generateName(rs.Name+"-", rc.rand)
		p := podFromTemplate(&rs.Template, rs.Namespace, name, owner)
		var created *apiserver.Pod
		created, err = rc.s.Pods.Create(rc.c, p)
		if err == nil {
			if rc.expCreate[key] == nil {
				rc.expCreate[key] = map[string]bool{}
			}
			rc.expCreate[key][created.Key()] = true
			return nil
		}
		if !apiserver.IsAlreadyExists(err) {
			break
		}
	}
	rc.c.TraceError("create", "pods", err)
	return err
}

// deletePod is DeletePod: a DELETE of the pod (with its UID as precondition, so a
// pod of the same name created since is left alone) and a SuccessfulDelete or
// FailedDelete Event; a pod already gone gets no Event. A failed deletion is no
// longer expected.
func (rc *ReplicaSetController) deletePod(s *rsSync, p *apiserver.Pod) {
	pk := p.Key()
	err := rc.s.Pods.Delete(rc.c, pk, apiserver.DeleteOptions{UID: p.UID})
	if err == nil {
		rc.events.EmitAbout(rc.eventKey(s, false)) // SuccessfulDelete
		return
	}
	if m := rc.expDelete[s.key]; m != nil {
		delete(m, pk)
	}
	if apiserver.IsNotFound(err) || apiserver.IsConflict(err) {
		return
	}
	rc.c.TraceError("delete", "pods", err)
	rc.events.EmitAbout(rc.eventKey(s, true)) // FailedDelete
	if s.err == nil {
		s.err = err
	}
}

// manageDone computes the status once manageReplicas has returned and writes it. A
// sync that waited computes it, as upstream's calculateStatus does, from the pods it
// listed at its start, at the instant it gets there.
func (rc *ReplicaSetController) manageDone(s *rsSync) {
	rs := s.rs
	now := rc.s.Now()
	mr := time.Duration(rs.MinReadySeconds) * time.Second
	s.at, s.mr = now, mr
	if s.snapped {
		rc.writeStatus(s, s.snapN, s.snapReady, s.snapReady)
		return
	}
	if s.listed {
		var ready, avail int32
		for _, p := range s.active {
			if t, ok := podReadyTime(p); ok {
				ready++
				if a := availableAt(t, mr); mr == 0 || reached(a, now) {
					avail++
				} else if s.next == 0 || a < s.next {
					s.next = a
				}
			}
		}
		rc.writeStatus(s, int32(len(s.active)), ready, avail)
		return
	}
	c := s.counts
	if mr != 0 && (c.minReady != mr || c.pending > 0 && (c.stale || reached(c.pendingMin, now))) {
		rc.count(rs, c, mr, now)
	}
	avail := c.ready
	if mr != 0 {
		avail = c.avail
		if c.pending > 0 {
			s.next = c.pendingMin
		}
	}
	rc.writeStatus(s, c.active, c.ready, avail)
}

// writeStatus writes the status if it changed (updateReplicaSetStatus); the sync
// ends once it is written (or needs no write).
func (rc *ReplicaSetController) writeStatus(s *rsSync, n, ready, avail int32) {
	rs := s.rs
	s.n, s.ready, s.avail, s.computed = n, ready, avail, true
	if rs.StatusReplicas == n && rs.ReadyReplicas == ready && rs.AvailableReplicas == avail {
		rc.end(s)
		return
	}
	rc.request(s, opUpdateStatus, nil, false)
}

// planAvailabilityCheck queues the ReplicaSet again for pods that are Ready but not
// yet available, once its status is written (rs is the ReplicaSet as the write
// returned it, or as the sync read it when nothing needed writing). Upstream does
// this only after a successful write and without a manageReplicas error.
//
//   - Before 1.34 (v1.31.0 and v1.33.0 replica_set.go syncReplicaSet's end): when
//     every replica is ready and not every one available, minReadySeconds from now
//     ("a last line of defense"); otherwise nothing, and pods that turn Ready rely on
//     the pod handler's queueing (onPod).
//   - From 1.34 (v1.37.2 syncReplicaSet's end, FindMinNextPodAvailabilityCheck): when
//     some ready pod is not available, at the availability instant of the earliest
//     such pod as the status was computed, or at once if that instant has passed
//     since (a sync that waited for its tokens); minReadySeconds from now when there
//     is none (a minReadySeconds that changed since the status was computed).
func (rc *ReplicaSetController) planAvailabilityCheck(s *rsSync, rs *apiserver.ReplicaSet) {
	if rs.MinReadySeconds <= 0 {
		return
	}
	mr := time.Duration(rs.MinReadySeconds) * time.Second
	if rc.cfg.Version < ReplicaSetAvailabilityCheckVersion {
		if s.ready == rs.Replicas && s.avail != rs.Replicas {
			rc.q.addAfter(s.key, mr)
		}
		return
	}
	if s.ready == s.avail {
		return
	}
	next := s.next
	if mr != s.mr {
		next = rc.nextAvailableAt(s, mr)
	}
	if next == 0 {
		rc.q.addAfter(s.key, mr)
		return
	}
	rc.q.addAfter(s.key, max(next-rc.s.Now(), 0))
}

// nextAvailableAt is the earliest availability instant under mr after the status's
// instant among the ready pods the status was computed from (0: none), for a
// minReadySeconds that changed between the status and its write (a conflict's GET).
// A sync that let its list go (it waited for the write's token) or never listed
// takes the informer's pods: the first is rare enough (a conflict and a changed
// minReadySeconds) for the pods changed meanwhile not to matter, and the second
// took no time.
func (rc *ReplicaSetController) nextAvailableAt(s *rsSync, mr time.Duration) time.Duration {
	var next time.Duration
	visit := func(p *apiserver.Pod) {
		if t, ok := podReadyTime(p); ok && IsPodActive(p) {
			if a := availableAt(t, mr); a > s.at && (next == 0 || a < next) {
				next = a
			}
		}
	}
	if s.listed && s.active != nil {
		for _, p := range s.active {
			visit(p)
		}
	} else {
		rc.podInf.EachByIndex(indexOwner, rc.uids.of(s.rs.UID), visit)
	}
	return next
}

// sendStatus is updateReplicaSetStatus's UpdateStatus, with the resourceVersion the
// sync read: after a conflict it GETs the ReplicaSet and tries once more
// (statusUpdateRetries), each a request of its own.
func (rc *ReplicaSetController) sendStatus(s *rsSync) {
	updated, err := rc.s.ReplicaSets.UpdateStatusFrom(rc.c, s.rs, func(x *apiserver.ReplicaSet) error {
		x.StatusReplicas, x.ReadyReplicas, x.AvailableReplicas = s.n, s.ready, s.avail
		return nil
	})
	switch {
	case err == nil:
		s.rs = updated
	case apiserver.IsNotFound(err):
		s.gone = true
	case apiserver.IsConflict(err) && !s.retried:
		rc.c.TraceError("update", "replicasets", err)
		s.retried = true
		rc.request(s, opGetRS, nil, false)
		return
	default:
		rc.c.TraceError("update", "replicasets", err)
		s.statusErr = err
	}
	rc.end(s)
}

// end ends the sync: its error is the status write's, else manageReplicas'. A sync
// that waited tells its queue (the workqueue's Done), unless a Stop came first. A
// sync whose status is written (or needed no write) and whose manageReplicas had no
// error plans its next availability check first.
func (rc *ReplicaSetController) end(s *rsSync) {
	err := s.statusErr
	if err == nil {
		err = s.err
	}
	if err == nil && s.computed && !s.gone {
		rc.planAvailabilityCheck(s, s.rs)
	}
	if s.inSync {
		s.ended, s.result = true, err
		return
	}
	rc.q.done(s.key, err)
	rc.release(s)
}
