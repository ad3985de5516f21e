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
	// MinReady is the fewest ready replicas after the workload first settled (the
	// initial rollout does not count); -1 when it never settled.
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
// DaemonSet), how many of its replicas are ready over time. A replica is ready
// when its pod's Ready condition is True and it is not terminating, the count
// behind readyReplicas. Desired is spec.replicas, or a DaemonSet's
// desiredNumberScheduled. It is read by reports at the end of a run.
type Tracker struct {
	s   *apiserver.Server
	c   *apiserver.Client
	cfg TrackerConfig

	podInf *apiserver.Informer[*apiserver.Pod]
	rsInf  *apiserver.Informer[*apiserver.ReplicaSet]
	dInf   *apiserver.Informer[*apiserver.Deployment]
	dsInf  *apiserver.Informer[*apiserver.DaemonSet]

	series map[string]*wlSeries
	names  []string // workload names in first-seen order, sorted on read
	// A pod's contribution is kept only where it cannot be derived from the version
	// of the pod the informer holds (contributionOf): most pods' contribution is their
	// controller's workload and their readiness, and each event carries the previous
	// version as Old. except holds the others (wl "": not counted), e.g. a pod first
	// seen before its ReplicaSet, or one released by its controller, which keeps
	// counting for the workload it was first seen in.
	except  map[string]podContribution
	started bool
	// listing: the initial list is being applied; its changes are traced once per
	// workload when it is done, not once per pod.
	listing bool
	// wlOf caches the workload name of a controller UID.
	wlOf map[uint64]string
	// pending lists the workloads changed at this instant, in order of first change;
	// flush traces them once the instant's other work is done.
	pending []string
	flushAt sim.Handle
}

type podContribution struct {
	wl    string
	ready bool
}

type wlSeries struct {
	ready, desired int32
	samples        []Sample
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

// Start lists and watches pods and workloads.
func (t *Tracker) Start() {
	if t.started {
		return
	}
	t.started = true
	if t.podInf != nil {
		t.keepContributions()
	}
	lat := t.cfg.WatchLatency
	t.rsInf = apiserver.NewInformer(t.s.ReplicaSets, t.c, lat)
	t.dInf = apiserver.NewInformer(t.s.Deployments, t.c, lat)
	t.dsInf = apiserver.NewInformer(t.s.DaemonSets, t.c, lat)
	t.podInf = apiserver.NewInformer(t.s.Pods, t.c, lat)
	t.listing = true
	for _, d := range t.dInf.List() {
		t.setDesired(WorkloadName(KindDeployment, d.Namespace, d.Name), d.Replicas)
	}
	for _, rs := range t.rsInf.List() {
		t.onRS(apiserver.Event[*apiserver.ReplicaSet]{Type: apiserver.Added, New: rs})
	}
	for _, ds := range t.dsInf.List() {
		t.setDesired(WorkloadName(KindDaemonSet, ds.Namespace, ds.Name), ds.DesiredNumberScheduled)
	}
	for _, p := range t.podInf.List() {
		t.onPod(apiserver.Event[*apiserver.Pod]{Type: apiserver.Added, New: p})
	}
	t.listing = false
	if t.cfg.Trace {
		for _, wl := range t.names {
			if s := t.series[wl]; len(s.samples) > 0 {
				t.trace(wl, s)
			}
		}
	}
	t.dInf.AddHandler(func(ev apiserver.Event[*apiserver.Deployment]) {
		if ev.Type != apiserver.Deleted {
			t.setDesired(WorkloadName(KindDeployment, ev.New.Namespace, ev.New.Name), ev.New.Replicas)
		}
	})
	t.rsInf.AddHandler(t.onRS)
	t.dsInf.AddHandler(func(ev apiserver.Event[*apiserver.DaemonSet]) {
		if ev.Type != apiserver.Deleted {
			t.setDesired(WorkloadName(KindDaemonSet, ev.New.Namespace, ev.New.Name), ev.New.DesiredNumberScheduled)
		}
	})
	t.podInf.AddHandler(t.onPod)
}

// Stop ends the watches; the recorded series stay readable.
func (t *Tracker) Stop() {
	if !t.started {
		return
	}
	t.started = false
	t.podInf.Stop()
	t.rsInf.Stop()
	t.dInf.Stop()
	t.dsInf.Stop()
}

func (t *Tracker) onRS(ev apiserver.Event[*apiserver.ReplicaSet]) {
	rs := ev.New
	if ev.Type == apiserver.Deleted {
		return
	}
	if ref, ok := rs.ControllerRef(); ok && ref.Kind == KindDeployment {
		return
	}
	t.setDesired(WorkloadName(KindReplicaSet, rs.Namespace, rs.Name), rs.Replicas)
}

// workloadOf resolves a pod to its workload name, or "".
func (t *Tracker) workloadOf(p *apiserver.Pod) string {
	ref, ok := p.ControllerRef()
	if !ok {
		return ""
	}
	if wl, ok := t.wlOf[ref.UID]; ok {
		return wl // a controller's pods share its name (the owner chain never changes)
	}
	wl, known := t.resolve(p, ref)
	if known {
		if t.wlOf == nil {
			t.wlOf = map[uint64]string{}
		}
		t.wlOf[ref.UID] = wl
	}
	return wl
}

// resolve names the workload of a pod's controller; known reports whether the answer
// is final (a ReplicaSet not yet in the cache may still turn out to be a Deployment's).
func (t *Tracker) resolve(p *apiserver.Pod, ref apiserver.OwnerReference) (wl string, known bool) {
	switch ref.Kind {
	case KindDaemonSet:
		return WorkloadName(KindDaemonSet, p.Namespace, ref.Name), true
	case KindReplicaSet:
		if rs, ok := t.rsInf.Get(nsKey(p.Namespace, ref.Name)); ok {
			if dref, ok := rs.ControllerRef(); ok && dref.Kind == KindDeployment {
				return WorkloadName(KindDeployment, p.Namespace, dref.Name), true
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
	if !ok || (ref.Kind != KindReplicaSet && ref.Kind != KindDaemonSet) {
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

// keepContributions moves the contributions derived from the informer's versions
// into except, for a Start after Stop: the new informer's initial list arrives as
// additions, and the old informer's versions are gone.
func (t *Tracker) keepContributions() {
	for _, key := range t.podInf.Keys() {
		if _, ok := t.except[key]; ok {
			continue
		}
		p, _ := t.podInf.Get(key)
		if c := t.contributionOf(p); c.wl != "" {
			t.except[key] = c
		}
	}
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
		} else {
			now.wl = t.workloadOf(p)
		}
		if now.wl != "" {
			now.ready = p.IsReady() && !p.Deleting
		}
	}
	// keep it in except unless the informer's new version gives it
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
			if below {
				continue
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
