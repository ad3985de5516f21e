package workload

import (
	"fmt"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Sample is one step of a workload's ready series: from T on, Ready of Desired
// replicas were ready.
type Sample struct {
	T              time.Duration
	Ready, Desired int32
}

// Disruption is one maximal interval during which a workload had fewer ready
// replicas than desired, after it had first been fully ready.
type Disruption struct {
	Start time.Duration
	// End is when it was fully ready again; Recovered is false while it is not
	// (End is then the instant the summary was taken).
	End       time.Duration
	Recovered bool
	// MinReady is the fewest ready replicas during the interval.
	MinReady int32
}

// Duration is how long the disruption lasted (so far).
func (d Disruption) Duration() time.Duration { return d.End - d.Start }

// Summary condenses a workload's series.
type Summary struct {
	Workload string
	// FirstFullyReady is when ready first reached desired (Settled false: never).
	FirstFullyReady time.Duration
	Settled         bool
	// MinReady is the fewest ready replicas after the workload first settled (had all
	// of at least one desired replica ready: the initial rollout does not count); -1
	// when it never settled.
	MinReady int32
	// BelowDesired is the total time below desired after settling.
	BelowDesired time.Duration
	Disruptions  []Disruption
}

// TrackerConfig configures the availability tracker.
type TrackerConfig struct {
	// WatchLatency is how long after a change its informers see it (0: the tracker
	// sees the API server's state as it changes, which is what reports want).
	WatchLatency time.Duration
	// Trace enables the WorkloadReady record (workload, ready, desired): one per
	// workload per instant at which its counts changed, with the counts once that
	// instant's changes are in (traced after them).
	Trace bool
}

// Tracker records, per workload (Deployment, ReplicaSet not owned by a Deployment,
// DaemonSet), how many of its replicas are ready over time. A replica of a
// Deployment or ReplicaSet is ready when its pod's Ready condition is True and it is
// not terminating, the count behind readyReplicas, taken from the pods as they
// change; desired is spec.replicas. A DaemonSet's ready and desired are its status's
// numberReady and desiredNumberScheduled, as `kubectl get daemonset` shows them: the
// controller counts only nodes that should run a daemon pod, and only a node's oldest
// pod (updateDaemonSetStatus), so a pod kept on a node that no longer qualifies (an
// untolerated NoSchedule taint) counts for nothing, as it counts for no desired
// replica. It is read by reports at the end of a run.
type Tracker struct {
	s   *apiserver.Server
	c   *apiserver.Client
	cfg TrackerConfig

	// pods is a plain watch, not an informer: the tracker needs each change with the
	// version it replaces (Old) and an initial list, not a cache. Started at the
	// instant of that list, it delivers exactly the store's later changes, in order,
	// so each event's Old is the version the tracker last saw (an informer's checks
	// for stale or unknown versions never fire here).
	pods *apiserver.Watch
	// The workloads are plain watches too: of a workload the tracker needs only its
	// desired count, from each change, and of a ReplicaSet the Deployment that owns it
	// (rsOwner, kept from the same changes). An informer per kind would keep a lag
	// entry for every status write of every ReplicaSet and Deployment (≈ 190k on a
	// zone-outage day of 10k nodes and 300k pods) that nothing reads.
	rss, deployments, daemonSets *apiserver.Watch
	// rsOwner is what the tracker has seen of each ReplicaSet, by key: the name of the
	// Deployment that controls it, or "" if none does.
	rsOwner map[string]string

	series map[string]*wlSeries
	names  []string // workload names in first-seen order, sorted on read
	// A pod's contribution is kept only where it cannot be derived from the version
	// of the pod the tracker last saw (contributionOf): most pods' contribution is
	// their controller's workload and their readiness, and each event carries the
	// previous version as Old. except holds the others (wl "": not counted), e.g. a
	// pod first seen before its ReplicaSet, or one released by its controller, which
	// keeps counting for the workload it was first seen in.
	except  map[string]podContribution
	started bool
	// listing: the initial lists are being applied; their changes are traced once
	// per workload when they are done, not once per pod.
	listing bool
	// wlOf caches the workload name of a controller UID.
	wlOf map[uint64]string
	// last is the controller the initial list last resolved (a ReplicaSet's pods are
	// listed together).
	last lastController
	// pending lists the workloads changed at this instant, in order of first change;
	// flush traces them once the instant's other work is done.
	pending []string
	flushAt sim.Handle
}

// lastController is a controller's workload as workloadOf resolved it, and its
// series once one of its pods counted.
type lastController struct {
	ok    bool
	uid   uint64
	wl    string
	final bool
	s     *wlSeries
}

type podContribution struct {
	wl    string
	ready bool
}

type wlSeries struct {
	ready, desired int32
	// listed counts the ready pods of the initial list being applied
	listed  int32
	samples []Sample
	// the values of the last WorkloadReady record, and whether this instant's changes
	// still await their record
	tracedReady, tracedDesired int32
	traced, pending            bool
}

// NewTracker builds a stopped tracker.
func NewTracker(s *apiserver.Server, c *apiserver.Client, cfg TrackerConfig) (*Tracker, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewTracker needs a server and a client")
	}
	if cfg.WatchLatency < 0 {
		return nil, fmt.Errorf("workload: TrackerConfig.WatchLatency %v is negative; it must be zero or positive", cfg.WatchLatency)
	}
	return &Tracker{s: s, c: c, cfg: cfg, series: map[string]*wlSeries{}, except: map[string]podContribution{}}, nil
}

// WorkloadName renders a workload as "kind/namespace/name" with the kind in lower
// case, as the WorkloadReady record and Summary name it.
func WorkloadName(kind, ns, name string) string {
	return strings.ToLower(kind) + "/" + nsKey(ns, name)
}

// Start lists and watches pods and workloads. A Start after Stop counts the pods
// afresh from its list, as a restarted observer would: pods deleted meanwhile no
// longer count, and each pod counts for the workload it resolves to now.
func (t *Tracker) Start() {
	if t.started {
		return
	}
	t.started = true
	lat := t.cfg.WatchLatency
	// The initial LISTs (the store as it is now, in key order, as an informer's list)
	// and watches from this instant, which deliver exactly the store's later changes.
	t.rss = t.s.ReplicaSets.Watch(t.c, lat, t.onRS)
	t.deployments = t.s.Deployments.Watch(t.c, lat, t.onDeployment)
	t.daemonSets = t.s.DaemonSets.Watch(t.c, lat, t.onDaemonSet)
	t.listing = true
	t.s.Deployments.Each(func(d *apiserver.Deployment) {
		t.setDesired(WorkloadName(KindDeployment, d.Namespace, d.Name), d.Replicas)
	})
	t.rsOwner = map[string]string{}
	t.s.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) {
		t.onRS(apiserver.Event[*apiserver.ReplicaSet]{Type: apiserver.Added, New: rs})
	})
	t.s.DaemonSets.Each(func(ds *apiserver.DaemonSet) {
		wl := WorkloadName(KindDaemonSet, ds.Namespace, ds.Name)
		t.setDesired(wl, ds.DesiredNumberScheduled)
		t.series[wl].listed = ds.NumberReady // recorded with the pods' counts below
	})
	clear(t.except)
	// The pods' initial LIST: the store as it is now (an informer's list always
	// succeeds in this model, so it does not go through the client).
	t.s.Pods.Each(t.listPod)
	t.last = lastController{}
	for _, wl := range t.names {
		s := t.series[wl]
		t.record(wl, s, s.listed, s.desired)
		s.listed = 0
	}
	t.listing = false
	if t.cfg.Trace {
		for _, wl := range t.names {
			if s := t.series[wl]; len(s.samples) > 0 {
				t.trace(wl, s)
			}
		}
	}
	t.pods = t.s.Pods.Watch(t.c, lat, t.onPod)
}

// onDeployment records a Deployment's desired count. Its status writes (once per node
// as a healed zone's kubelets put their pods right) leave the count as it was: nothing
// to record, and no name to build. So for a ReplicaSet's (onRS); a DaemonSet's status
// writes carry both its counts (onDaemonSet).
func (t *Tracker) onDeployment(ev apiserver.Event[*apiserver.Deployment]) {
	if ev.Type == apiserver.Modified && ev.Old.Replicas == ev.New.Replicas {
		return
	}
	if ev.Type != apiserver.Deleted {
		t.setDesired(WorkloadName(KindDeployment, ev.New.Namespace, ev.New.Name), ev.New.Replicas)
	}
}

// onDaemonSet records a DaemonSet's counts, both from its status.
func (t *Tracker) onDaemonSet(ev apiserver.Event[*apiserver.DaemonSet]) {
	ds := ev.New
	if ev.Type == apiserver.Deleted || ev.Type == apiserver.Modified &&
		ev.Old.DesiredNumberScheduled == ds.DesiredNumberScheduled && ev.Old.NumberReady == ds.NumberReady {
		return
	}
	wl := WorkloadName(KindDaemonSet, ds.Namespace, ds.Name)
	t.record(wl, t.get(wl), ds.NumberReady, ds.DesiredNumberScheduled)
}

// listPod counts a pod of the initial list: onPod for its addition, with the
// ready pods summed per workload (listed) and recorded once the list is done.
func (t *Tracker) listPod(p *apiserver.Pod) {
	ref, ok := p.ControllerRef()
	if !ok {
		return
	}
	l := &t.last
	if !l.ok || ref.UID != l.uid {
		wl, final := t.workloadOf(p, ref)
		if wl == "" {
			return
		}
		*l = lastController{ok: true, uid: ref.UID, wl: wl, final: final}
	}
	c := podContribution{wl: l.wl, ready: p.IsReady() && !p.Deleting}
	if !l.final {
		t.except[p.Key()] = c // contributionOf cannot derive it
	}
	if c.ready {
		if l.s == nil {
			l.s = t.get(l.wl)
		}
		l.s.listed++
	}
}

// Stop ends the watches; the recorded series stay readable.
func (t *Tracker) Stop() {
	if !t.started {
		return
	}
	t.started = false
	t.pods.Stop()
	t.rss.Stop()
	t.deployments.Stop()
	t.daemonSets.Stop()
}

func (t *Tracker) onRS(ev apiserver.Event[*apiserver.ReplicaSet]) {
	rs := ev.New
	owner := deploymentOf(rs)
	switch {
	case ev.Type == apiserver.Deleted:
		delete(t.rsOwner, rs.Key())
		return
	case ev.Type == apiserver.Added || owner != deploymentOf(ev.Old):
		t.rsOwner[rs.Key()] = owner
	}
	if ev.Type == apiserver.Modified && ev.Old.Replicas == rs.Replicas || owner != "" {
		return
	}
	t.setDesired(WorkloadName(KindReplicaSet, rs.Namespace, rs.Name), rs.Replicas)
}

// deploymentOf is the name of the Deployment that controls rs, or "".
func deploymentOf(rs *apiserver.ReplicaSet) string {
	if ref, ok := rs.ControllerRef(); ok && ref.Kind == KindDeployment {
		return ref.Name
	}
	return ""
}

// workloadOf resolves a pod with controller ref to its workload name, or ""; final
// reports whether the name is cached (resolved for good, see resolve), which is
// when contributionOf derives it.
func (t *Tracker) workloadOf(p *apiserver.Pod, ref apiserver.OwnerReference) (wl string, final bool) {
	if wl, ok := t.wlOf[ref.UID]; ok {
		return wl, true // a controller's pods share its name (the owner chain never changes)
	}
	wl, known := t.resolve(p, ref)
	if known {
		if t.wlOf == nil {
			t.wlOf = map[uint64]string{}
		}
		t.wlOf[ref.UID] = wl
	}
	return wl, known
}

// resolve names the workload of a pod's controller; known reports whether the answer
// is final (a ReplicaSet not yet in the cache may still turn out to be a Deployment's).
func (t *Tracker) resolve(p *apiserver.Pod, ref apiserver.OwnerReference) (wl string, known bool) {
	switch ref.Kind {
	case KindDaemonSet:
		return "", true // counted from the DaemonSet's status (onDaemonSet)
	case KindReplicaSet:
		if d, ok := t.rsOwner[nsKey(p.Namespace, ref.Name)]; ok {
			if d != "" {
				return WorkloadName(KindDeployment, p.Namespace, d), true
			}
			return WorkloadName(KindReplicaSet, p.Namespace, ref.Name), true
		}
		return WorkloadName(KindReplicaSet, p.Namespace, ref.Name), false
	}
	return "", false
}

// contributionOf is the contribution derived from a version of a pod: the workload
// its controller resolved to (once resolved for good) and its readiness.
func (t *Tracker) contributionOf(p *apiserver.Pod) podContribution {
	ref, ok := p.ControllerRef()
	if !ok || ref.Kind != KindReplicaSet {
		return podContribution{}
	}
	wl, ok := t.wlOf[ref.UID]
	if !ok {
		return podContribution{}
	}
	return podContribution{wl: wl, ready: p.IsReady() && !p.Deleting}
}

// contribution is what the pod counts for before ev is applied (wl "": nothing).
func (t *Tracker) contribution(key string, ev apiserver.Event[*apiserver.Pod]) podContribution {
	if c, ok := t.except[key]; ok {
		return c
	}
	switch ev.Type {
	case apiserver.Modified:
		return t.contributionOf(ev.Old)
	case apiserver.Deleted:
		return t.contributionOf(ev.New)
	}
	return podContribution{}
}

func (t *Tracker) onPod(ev apiserver.Event[*apiserver.Pod]) {
	p := ev.New
	key := p.Key()
	old := t.contribution(key, ev)
	had := old.wl != ""
	var now podContribution
	if ev.Type != apiserver.Deleted {
		if had {
			now.wl = old.wl
		} else if ref, ok := p.ControllerRef(); ok {
			now.wl, _ = t.workloadOf(p, ref)
		}
		if now.wl != "" {
			now.ready = p.IsReady() && !p.Deleting
		}
	}
	// keep it in except unless the new version gives it
	if ev.Type == apiserver.Deleted || now == t.contributionOf(p) {
		delete(t.except, key)
	} else {
		t.except[key] = now
	}
	if old == now {
		return
	}
	if old.ready {
		t.addReady(old.wl, -1)
	}
	if now.ready {
		t.addReady(now.wl, 1)
	}
}

func (t *Tracker) get(wl string) *wlSeries {
	s := t.series[wl]
	if s == nil {
		s = &wlSeries{}
		t.series[wl] = s
		t.names = append(t.names, wl)
	}
	return s
}

func (t *Tracker) addReady(wl string, d int32) {
	s := t.get(wl)
	t.record(wl, s, s.ready+d, s.desired)
}

func (t *Tracker) setDesired(wl string, desired int32) {
	s := t.get(wl)
	t.record(wl, s, s.ready, desired)
}

func (t *Tracker) record(wl string, s *wlSeries, ready, desired int32) {
	if len(s.samples) > 0 && s.ready == ready && s.desired == desired {
		return
	}
	s.ready, s.desired = ready, desired
	now := t.s.Now()
	if n := len(s.samples); n > 0 && s.samples[n-1].T == now {
		s.samples[n-1].Ready, s.samples[n-1].Desired = ready, desired
	} else {
		s.samples = append(s.samples, Sample{T: now, Ready: ready, Desired: desired})
	}
	if t.cfg.Trace && !t.listing && !s.pending {
		s.pending = true
		t.pending = append(t.pending, wl)
		if !t.flushAt.Pending() {
			t.flushAt, _ = t.s.Engine.At(now, t.flush)
		}
	}
}

// flush traces one WorkloadReady record per workload changed at this instant, with
// its count once the instant's changes are in (a pass that marks 100 pods NotReady
// gives one record, not 100), unless it is back to what was last traced.
func (t *Tracker) flush() {
	pending := t.pending
	t.pending = t.pending[:0]
	for _, wl := range pending {
		s := t.series[wl]
		s.pending = false
		if !s.traced || s.ready != s.tracedReady || s.desired != s.tracedDesired {
			t.trace(wl, s)
		}
	}
}

func (t *Tracker) trace(wl string, s *wlSeries) {
	s.traced, s.tracedReady, s.tracedDesired = true, s.ready, s.desired
	t.s.Trace.Add(t.s.Now(), "WorkloadReady", sim.S("workload", wl), sim.I("ready", int64(s.ready)), sim.I("desired", int64(s.desired)))
}

// Workloads returns the names of every workload seen, sorted.
func (t *Tracker) Workloads() []string {
	out := append([]string(nil), t.names...)
	sortStrings(out)
	return out
}

// Series returns the workload's step series (a copy).
func (t *Tracker) Series(wl string) []Sample {
	if s := t.series[wl]; s != nil {
		return append([]Sample(nil), s.samples...)
	}
	return nil
}

// Summary condenses the workload's series up to the current time.
func (t *Tracker) Summary(wl string) Summary {
	return Summarize(wl, t.Series(wl), t.s.Now())
}

// Summarize condenses a step series observed until end: time below desired and
// disruptions count only after the workload first had all desired replicas ready.
func Summarize(wl string, samples []Sample, end time.Duration) Summary {
	sum := Summary{Workload: wl, MinReady: -1}
	var cur *Disruption
	for i, s := range samples {
		next := end
		if i+1 < len(samples) {
			next = samples[i+1].T
		}
		below := s.Ready < s.Desired
		if !sum.Settled {
			if below || s.Desired == 0 {
				continue // not whole yet; 0 of 0 (nothing asked for yet) is not whole either
			}
			sum.Settled, sum.FirstFullyReady, sum.MinReady = true, s.T, s.Ready
		}
		if s.Ready < sum.MinReady {
			sum.MinReady = s.Ready
		}
		if below {
			sum.BelowDesired += next - s.T
			if cur == nil {
				sum.Disruptions = append(sum.Disruptions, Disruption{Start: s.T, MinReady: s.Ready})
				cur = &sum.Disruptions[len(sum.Disruptions)-1]
			}
			cur.MinReady = min(cur.MinReady, s.Ready)
			cur.End = next
		} else if cur != nil {
			cur.End, cur.Recovered = s.T, true
			cur = nil
		}
	}
	return sum
}
