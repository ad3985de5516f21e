package workload

import (
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// BurstReplicas is the ReplicaSet controller's cap on creations or deletions per sync
// (replica_set.go BurstReplicas).
const BurstReplicas = 500

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
}

// rsCounts is what a sync needs of a ReplicaSet's pods when it creates none and
// deletes none: how many are active, how many of these are Ready and, under
// minReadySeconds, which of these are available. It is the state of the pods
// indexed under the ReplicaSet's UID in the pod informer, counted by a walk over them
// and kept up to date from the informer's events (each change removes the old
// version's contribution and adds the new one's, whatever their owners).
//
// Availability depends on time: a pod Ready since r is available from the first
// instant after r+minReady. The pods Ready at the last count (at) are split into
// avail (r+minReady < at, available from then on) and pending (the others), with
// pendingMin the earliest r+minReady among pending. Until now passes pendingMin no
// pending pod is available and pendingMin-now+1ns is the wait; once it passes, or
// when a pod with r+minReady == pendingMin leaves (stale: the earliest is unknown),
// or minReadySeconds changes, the next sync counts again.
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
	switch t := r + c.minReady; {
	case t < c.at:
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

// NewReplicaSetController builds a stopped ReplicaSet controller.
func NewReplicaSetController(s *apiserver.Server, c *apiserver.Client, cfg ReplicaSetConfig) (*ReplicaSetController, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewReplicaSetController needs a server and a client")
	}
	if cfg.WatchLatency < 0 {
		return nil, fmt.Errorf("workload: ReplicaSetConfig.WatchLatency %v is negative; it must be zero or positive", cfg.WatchLatency)
	}
	r := cfg.Rand
	if r == nil {
		r = sim.NewRand(s.Engine.Seed(), "replicaset-controller")
	}
	// a stream of its own, so that the pods' names stay as they were drawn
	salt := sim.NewRand(s.Engine.Seed(), "replicaset-controller/uid-order").Uint64()
	rc := &ReplicaSetController{s: s, c: c, cfg: cfg, rand: r, uidSalt: salt,
		expCreate: map[string]map[string]bool{}, expDelete: map[string]map[string]bool{}}
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

func (rc *ReplicaSetController) sync(key string) error {
	rs, ok := rc.rsInf.Get(key)
	if !ok {
		return nil
	}
	manage := rc.satisfied(key) && !rs.Deleting
	c := rc.counts[rs.UID]
	if c == nil || rc.fullSync || (manage && c.active > rs.Replicas) {
		return rc.syncListed(key, rs, manage)
	}
	// Nothing to delete: no pod needs to be looked at.
	var err error
	if manage && c.active < rs.Replicas {
		err = rc.createPods(key, rs, int(rs.Replicas-c.active))
	}
	now := rc.s.Now()
	mr := time.Duration(rs.MinReadySeconds) * time.Second
	if mr != 0 && (c.minReady != mr || c.pending > 0 && (c.stale || now > c.pendingMin)) {
		rc.count(rs, c, mr, now)
	}
	avail, recheck := c.ready, time.Duration(0)
	if mr != 0 {
		avail = c.avail
		if c.pending > 0 {
			recheck = c.pendingMin - now + time.Nanosecond
		}
	}
	if serr := rc.writeStatus(rs, c.active, c.ready, avail, recheck); err == nil {
		err = serr
	}
	return err
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
func (rc *ReplicaSetController) syncListed(key string, rs *apiserver.ReplicaSet, manage bool) error {
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
	var err error
	if manage {
		err = rc.manageReplicas(key, rs, active, all)
	}
	if serr := rc.updateStatus(rs, active); err == nil {
		err = serr
	}
	clear(all)
	clear(active)
	rc.scratchAll, rc.scratchActive = all[:0], active[:0]
	return err
}

func (rc *ReplicaSetController) manageReplicas(key string, rs *apiserver.ReplicaSet, active, all []*apiserver.Pod) error {
	diff := len(active) - int(rs.Replicas)
	switch {
	case diff < 0:
		return rc.createPods(key, rs, -diff)
	case diff > 0:
		n := min(diff, BurstReplicas)
		cand := append([]*apiserver.Pod(nil), active...)
		rankPodsForDeletion(cand, all, rc.s.Now(), rc.uidSalt)
		for _, p := range cand[:n] {
			pk := p.Key()
			if rc.expDelete[key] == nil {
				rc.expDelete[key] = map[string]bool{}
			}
			rc.expDelete[key][pk] = true
			if err := rc.s.Pods.Delete(rc.c, pk, apiserver.DeleteOptions{UID: p.UID}); err != nil {
				delete(rc.expDelete[key], pk)
				if !apiserver.IsNotFound(err) && !apiserver.IsConflict(err) {
					rc.c.TraceError("delete", "pods", err)
					return err
				}
			}
		}
	}
	return nil
}

// createPods creates up to BurstReplicas of the missing pods, one after the other.
func (rc *ReplicaSetController) createPods(key string, rs *apiserver.ReplicaSet, missing int) error {
	n := min(missing, BurstReplicas)
	owner := controllerRef(KindReplicaSet, &rs.ObjectMeta)
	for range n {
		if err := rc.createPod(key, rs, owner); err != nil {
			return err
		}
	}
	return nil
}

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

func (rc *ReplicaSetController) updateStatus(rs *apiserver.ReplicaSet, active []*apiserver.Pod) error {
	var ready, avail int32
	now := rc.s.Now()
	var recheck time.Duration
	for _, p := range active {
		if t, ok := podReadyTime(p); ok {
			ready++
			if ok, d := podAvailable(t, rs.MinReadySeconds, now); ok {
				avail++
			} else if recheck == 0 || d < recheck {
				recheck = d
			}
		}
	}
	return rc.writeStatus(rs, int32(len(active)), ready, avail, recheck)
}

// writeStatus queues a sync recheck from now (if positive) and writes the status if it
// changed.
func (rc *ReplicaSetController) writeStatus(rs *apiserver.ReplicaSet, n, ready, avail int32, recheck time.Duration) error {
	if recheck > 0 {
		rc.q.addAfter(rs.Key(), recheck)
	}
	if rs.StatusReplicas == n && rs.ReadyReplicas == ready && rs.AvailableReplicas == avail {
		return nil
	}
	_, err := rc.s.ReplicaSets.Patch(rc.c, rs.Key(), func(x *apiserver.ReplicaSet) error {
		x.StatusReplicas, x.ReadyReplicas, x.AvailableReplicas = n, ready, avail
		return nil
	})
	if apiserver.IsNotFound(err) {
		return nil
	}
	rc.c.TraceError("patch", "replicasets", err)
	return err
}

// podAvailable reports whether a pod Ready since readyAt counts as available at now
// under minReadySeconds (podutil.IsPodAvailable); if not, wait is how long until it
// does.
func podAvailable(readyAt time.Duration, minReadySeconds int32, now time.Duration) (ok bool, wait time.Duration) {
	mr := time.Duration(minReadySeconds) * time.Second
	if mr == 0 || readyAt+mr < now {
		return true, 0
	}
	return false, readyAt + mr - now + time.Nanosecond
}
