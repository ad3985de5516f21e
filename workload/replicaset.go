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

	rsInf  *apiserver.Informer[*apiserver.ReplicaSet]
	podInf *apiserver.Informer[*apiserver.Pod]
	q      *workQueue
	// expectations: pods this controller created or deleted that its informer has
	// not yet shown (controller_utils.go ControllerExpectations), by ReplicaSet key.
	expCreate map[string]map[string]bool
	expDelete map[string]map[string]bool
	started   bool
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
	rc := &ReplicaSetController{s: s, c: c, cfg: cfg, rand: r,
		expCreate: map[string]map[string]bool{}, expDelete: map[string]map[string]bool{}}
	return rc, nil
}

// Start lists ReplicaSets and pods, starts watching them and syncs every ReplicaSet.
func (rc *ReplicaSetController) Start() {
	if rc.started {
		return
	}
	rc.started = true
	rc.q = newWorkQueue(rc.s.Engine, rc.sync)
	rc.rsInf = apiserver.NewInformer(rc.s.ReplicaSets, rc.c, rc.cfg.WatchLatency)
	rc.podInf = apiserver.NewInformer(rc.s.Pods, rc.c, rc.cfg.WatchLatency)
	rc.podInf.AddIndex(indexOwner, func(p *apiserver.Pod) string { return ownerIndexValue(&p.ObjectMeta) })
	rc.rsInf.AddHandler(func(ev apiserver.Event[*apiserver.ReplicaSet]) {
		key := ev.New.Key()
		if ev.Type == apiserver.Deleted {
			delete(rc.expCreate, key)
			delete(rc.expDelete, key)
		}
		rc.q.add(key)
	})
	rc.podInf.AddHandler(rc.onPod)
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
	rc.rsInf.Stop()
	rc.podInf.Stop()
}

func (rc *ReplicaSetController) onPod(ev apiserver.Event[*apiserver.Pod]) {
	p := ev.New
	ref, ok := p.ControllerRef()
	if !ok || ref.Kind != KindReplicaSet {
		return
	}
	rsKey := ref.Name
	if p.Namespace != "" {
		rsKey = p.Namespace + "/" + ref.Name
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

func (rc *ReplicaSetController) satisfied(key string) bool {
	return len(rc.expCreate[key]) == 0 && len(rc.expDelete[key]) == 0
}

func (rc *ReplicaSetController) sync(key string) error {
	rs, ok := rc.rsInf.Get(key)
	if !ok {
		return nil
	}
	all := rc.podInf.ByIndex(indexOwner, uidKey(rs.UID))
	active := make([]*apiserver.Pod, 0, len(all))
	for _, p := range all {
		if IsPodActive(p) {
			active = append(active, p)
		}
	}
	var err error
	if rc.satisfied(key) && !rs.Deleting {
		err = rc.manageReplicas(key, rs, active, all)
	}
	if serr := rc.updateStatus(rs, active); err == nil {
		err = serr
	}
	return err
}

func (rc *ReplicaSetController) manageReplicas(key string, rs *apiserver.ReplicaSet, active, all []*apiserver.Pod) error {
	diff := len(active) - int(rs.Replicas)
	switch {
	case diff < 0:
		n := min(-diff, BurstReplicas)
		owner := controllerRef(KindReplicaSet, &rs.ObjectMeta)
		for range n {
			if err := rc.createPod(key, rs, owner); err != nil {
				return err
			}
		}
	case diff > 0:
		n := min(diff, BurstReplicas)
		cand := append([]*apiserver.Pod(nil), active...)
		rankPodsForDeletion(cand, all, rc.s.Now())
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
	if recheck > 0 {
		rc.q.addAfter(rs.Key(), recheck)
	}
	n := int32(len(active))
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
