package workload

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/nodesim/nodesim/apiserver"
)

// DeletionTimeout is how long the disruption controller keeps counting a pod the
// eviction API let go as already gone, waiting for its deletion to show
// (pkg/controller/disruption DeletionTimeout, 2 minutes).
const DeletionTimeout = 2 * time.Minute

// ScaledValue is apimachinery's intstr.GetScaledValueFromIntOrPercent for a budget
// value: an absolute number as is, a percent of total rounded up when roundUp
// (the disruption controller always rounds up, for minAvailable and for
// maxUnavailable alike) or down otherwise. A negative value is an error.
func ScaledValue(v apiserver.IntOrPercent, total int32, roundUp bool) (int32, error) {
	if v.Value < 0 {
		return 0, fmt.Errorf("workload: invalid budget value %d; it must be zero or positive", v.Value)
	}
	if !v.IsPercent {
		return v.Value, nil
	}
	n := int64(v.Value) * int64(total)
	if roundUp {
		return int32((n + 99) / 100), nil
	}
	return int32(n / 100), nil
}

// BudgetInput is what the disruption controller knows about one budget's pods.
type BudgetInput struct {
	MinAvailable   apiserver.IntOrPercent
	MaxUnavailable apiserver.IntOrPercent
	// MatchedPods is how many pods the selector matches (any state).
	MatchedPods int32
	// ControllersScale is the sum of the replicas of the controllers of those pods
	// (a Deployment counts, not its ReplicaSet); used for percentages and
	// maxUnavailable.
	ControllersScale int32
	// CurrentHealthy is the number of matched pods that are Ready, not terminating
	// and not recently evicted.
	CurrentHealthy int32
}

// BudgetStatus is the computed status of a budget.
type BudgetStatus struct {
	ExpectedPods, DesiredHealthy, CurrentHealthy, DisruptionsAllowed int32
}

// ComputeBudget is the disruption controller's arithmetic (disruption.go
// getExpectedPodCount and updatePdbStatus):
//   - maxUnavailable (int or percent of the controllers' scale, percent rounded up):
//     expected = scale, desiredHealthy = max(0, expected - maxUnavailable);
//   - minAvailable int: desiredHealthy = minAvailable, expected = matched pods;
//   - minAvailable percent: expected = scale, desiredHealthy = ceil(percent·expected);
//   - disruptionsAllowed = currentHealthy - desiredHealthy, or 0 when that is
//     negative or when expected is 0.
//
// Neither set (which the API rejects) gives desiredHealthy 0.
func ComputeBudget(in BudgetInput) (BudgetStatus, error) {
	var st BudgetStatus
	switch {
	case in.MaxUnavailable.Set:
		st.ExpectedPods = in.ControllersScale
		mu, err := ScaledValue(in.MaxUnavailable, st.ExpectedPods, true)
		if err != nil {
			return st, fmt.Errorf("maxUnavailable: %w", err)
		}
		st.DesiredHealthy = max(st.ExpectedPods-mu, 0)
	case in.MinAvailable.Set && !in.MinAvailable.IsPercent:
		if in.MinAvailable.Value < 0 {
			return st, fmt.Errorf("minAvailable: invalid budget value %d; it must be zero or positive", in.MinAvailable.Value)
		}
		st.DesiredHealthy = in.MinAvailable.Value
		st.ExpectedPods = in.MatchedPods
	case in.MinAvailable.Set:
		st.ExpectedPods = in.ControllersScale
		ma, err := ScaledValue(in.MinAvailable, st.ExpectedPods, true)
		if err != nil {
			return st, fmt.Errorf("minAvailable: %w", err)
		}
		st.DesiredHealthy = ma
	}
	st.CurrentHealthy = in.CurrentHealthy
	st.DisruptionsAllowed = st.CurrentHealthy - st.DesiredHealthy
	if st.ExpectedPods <= 0 || st.DisruptionsAllowed <= 0 {
		st.DisruptionsAllowed = 0
	}
	return st, nil
}

// DisruptionConfig configures the disruption controller.
type DisruptionConfig struct {
	// WatchLatency is how long after a change its informers see it.
	WatchLatency time.Duration
	// Informers, when set and serving the controller's client and WatchLatency, is the
	// shared informer factory of the controller's process: the controller takes its
	// informers from it and does not stop them (nil: informers of its own).
	Informers *apiserver.Informers
}

// DisruptionController keeps every PodDisruptionBudget's status current: expected
// pods, current and desired healthy, disruptions allowed, and the evicted pods it
// still counts as gone (pkg/controller/disruption/disruption.go).
type DisruptionController struct {
	s      *apiserver.Server
	c      *apiserver.Client
	cfg    DisruptionConfig
	pdbInf *apiserver.Informer[*apiserver.PodDisruptionBudget]
	podInf *apiserver.Informer[*apiserver.Pod]
	rsInf  *apiserver.Informer[*apiserver.ReplicaSet]
	dInf   *apiserver.Informer[*apiserver.Deployment]
	// shared: the informers are the factory's (see the config's Informers); run numbers
	// the Starts, so that handlers left on a shared informer by an earlier run do nothing
	shared  bool
	run     uint64
	q       *workQueue
	started bool
	// members are the pods each budget's selector matches, by budget key, kept from
	// the pod informer's events once a sync has listed them: a sync then costs the
	// budget's disrupted pods and its pods' controllers, not a walk of the namespace
	// (a shutdown storm leaves thousands of Failed pods under one budget, and every
	// pod event syncs it).
	members map[string]*budgetPods
	// verify (tests only) makes every sync also walk the namespace and compare.
	verify bool
}

// budgetPods is what a budget's sync reads of its pods.
type budgetPods struct {
	pods  map[string]*apiserver.Pod
	ready int32 // of them, Ready and not terminating
	// owners are the pods' controllers, by UID, with how many of the pods each has
	owners map[uint64]owner
}

type owner struct {
	ref apiserver.OwnerReference
	n   int
}

func (m *budgetPods) add(p *apiserver.Pod) {
	key := p.Key()
	m.remove(key)
	m.pods[key] = p
	if !p.Deleting && p.IsReady() {
		m.ready++
	}
	if ref, ok := p.ControllerRef(); ok {
		o := m.owners[ref.UID]
		o.ref, o.n = ref, o.n+1
		m.owners[ref.UID] = o
	}
}

func (m *budgetPods) remove(key string) {
	cur, ok := m.pods[key]
	if !ok {
		return
	}
	delete(m.pods, key)
	if !cur.Deleting && cur.IsReady() {
		m.ready--
	}
	if ref, ok := cur.ControllerRef(); ok {
		if o := m.owners[ref.UID]; o.n <= 1 {
			delete(m.owners, ref.UID)
		} else {
			o.n--
			m.owners[ref.UID] = o
		}
	}
}

// indexNamespace indexes pods and budgets by namespace + "/" (so that the empty
// namespace is indexed too).
const indexNamespace = "namespace"

func podNamespaceIndexValue(p *apiserver.Pod) string { return namespaceIndexValue(&p.ObjectMeta) }

// namespaceIndexValue is m's indexNamespace value: a stored object's cached key
// already starts with it, so that taking it allocates nothing.
func namespaceIndexValue(m *apiserver.ObjectMeta) string {
	ns := m.Namespace
	if ns == "" {
		return "/"
	}
	if k := m.Key(); len(k) > len(ns) && k[len(ns)] == '/' && k[:len(ns)] == ns {
		return k[:len(ns)+1]
	}
	return ns + "/"
}

// NewDisruptionController builds a stopped disruption controller.
func NewDisruptionController(s *apiserver.Server, c *apiserver.Client, cfg DisruptionConfig) (*DisruptionController, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewDisruptionController needs a server and a client")
	}
	if cfg.WatchLatency < 0 {
		return nil, fmt.Errorf("workload: DisruptionConfig.WatchLatency %v is negative; it must be zero or positive", cfg.WatchLatency)
	}
	return &DisruptionController{s: s, c: c, cfg: cfg}, nil
}

// Start lists and watches budgets, pods, ReplicaSets and Deployments and syncs every
// budget.
func (dc *DisruptionController) Start() {
	if dc.started {
		return
	}
	dc.started = true
	dc.members = map[string]*budgetPods{}
	dc.q = newWorkQueue(dc.s.Engine, dc.sync)
	lat := dc.cfg.WatchLatency
	f := dc.cfg.Informers
	dc.pdbInf, dc.shared = apiserver.InformerFor(f, dc.s.PDBs, dc.c, lat)
	dc.podInf, _ = apiserver.InformerFor(f, dc.s.Pods, dc.c, lat)
	dc.rsInf, _ = apiserver.InformerFor(f, dc.s.ReplicaSets, dc.c, lat)
	dc.dInf, _ = apiserver.InformerFor(f, dc.s.Deployments, dc.c, lat)
	dc.pdbInf.AddIndex(indexNamespace, func(b *apiserver.PodDisruptionBudget) string { return namespaceIndexValue(&b.ObjectMeta) })
	dc.run++
	run := dc.run
	live := func() bool { return dc.started && dc.run == run }
	dc.pdbInf.AddComponentHandler(dc.shared, live, func(ev apiserver.Event[*apiserver.PodDisruptionBudget]) {
		if ev.Type == apiserver.Deleted || ev.Type == apiserver.Modified &&
			((ev.Old.Selector == nil) != (ev.New.Selector == nil) || !sameSelector(ev.Old.Selector, ev.New.Selector)) {
			delete(dc.members, ev.New.Key()) // listed afresh at the next sync
		}
		dc.q.add(ev.New.Key())
	})
	dc.podInf.AddComponentHandler(dc.shared, live, func(ev apiserver.Event[*apiserver.Pod]) {
		if dc.pdbInf.Len() == 0 {
			return // most clusters have no budget: skip comparing labels on every pod write
		}
		dc.onPod(ev)
	})
	// The ReplicaSet and Deployment informers are listers only: upstream registers no
	// handler on them, so a scale reaches the budgets with the pod events it causes.
	for _, k := range dc.pdbInf.Keys() {
		dc.q.add(k)
	}
}

// Stop ends the watches and cancels every timer (including budget rechecks).
func (dc *DisruptionController) Stop() {
	if !dc.started {
		return
	}
	dc.started = false
	dc.q.stop()
	if !dc.shared {
		dc.pdbInf.Stop()
		dc.podInf.Stop()
		dc.rsInf.Stop()
		dc.dInf.Stop()
	}
}

func sameLabels(a, b apiserver.Labels) bool { return a.Equal(b) }

func sameSelector(a, b apiserver.LabelSelector) bool { return maps.Equal(a, b) }

// onPod queues the budgets whose selector matches the pod before or after the change
// (a walk of the namespace's budgets: it runs on every pod event), and keeps the pod
// sets of those listed.
func (dc *DisruptionController) onPod(ev apiserver.Event[*apiserver.Pod]) {
	labelsChanged := ev.Type == apiserver.Modified && !sameLabels(ev.Old.Labels, ev.New.Labels)
	dc.pdbInf.EachByIndex(indexNamespace, namespaceIndexValue(&ev.New.ObjectMeta), func(b *apiserver.PodDisruptionBudget) {
		now := ev.Type != apiserver.Deleted && b.Selects(ev.New.Labels)
		was := ev.Type != apiserver.Added && (labelsChanged && b.Selects(ev.Old.Labels) || !labelsChanged && b.Selects(ev.New.Labels))
		if !now && !was {
			return
		}
		dc.q.add(b.Key())
		m := dc.members[b.Key()]
		if m == nil {
			return // listed at its sync
		}
		if was {
			m.remove(ev.New.Key())
		}
		if now {
			m.add(ev.New)
		}
	})
}

// podsOf is the budget's pod set, listed (a walk of the namespace) if it has none for
// the budget's selector.
func (dc *DisruptionController) podsOf(b *apiserver.PodDisruptionBudget) *budgetPods {
	key := b.Key()
	if m := dc.members[key]; m != nil {
		return m
	}
	m := &budgetPods{pods: map[string]*apiserver.Pod{}, owners: map[uint64]owner{}}
	for _, p := range dc.listPods(b) {
		m.add(p)
	}
	dc.members[key] = m
	return m
}

// listPods walks the budget's namespace for the pods its selector matches.
func (dc *DisruptionController) listPods(b *apiserver.PodDisruptionBudget) []*apiserver.Pod {
	// The pods are indexed by namespace from the first sync on, not at Start: without
	// budgets the index is never read, and building it over every pod of a large
	// cluster is much of what starting the controller costs.
	dc.podInf.AddIndex(indexNamespace, podNamespaceIndexValue)
	var pods []*apiserver.Pod
	for _, p := range dc.podInf.ByIndex(indexNamespace, namespaceIndexValue(&b.ObjectMeta)) {
		if b.Selects(p.Labels) {
			pods = append(pods, p)
		}
	}
	return pods
}

// controllersScale sums the scale of the pods' controllers refs, in namespace ns
// (disruption.go getExpectedScale): a ReplicaSet owned by a Deployment counts as the
// Deployment. Pods without a controller do not count; a controller with no scale (a
// DaemonSet, or one not found) is an error.
func (dc *DisruptionController) controllersScale(ns string, refs []apiserver.OwnerReference) (int32, error) {
	seen := map[uint64]bool{}
	var total int32
	for _, ref := range refs {
		found := false
		if ref.Kind == KindReplicaSet {
			if rs, ok := dc.rsInf.Get(nsKey(ns, ref.Name)); ok && rs.UID == ref.UID {
				found = true
				if dref, ok := rs.ControllerRef(); ok && dref.Kind == KindDeployment {
					if d, ok := dc.dInf.Get(nsKey(ns, dref.Name)); ok && d.UID == dref.UID {
						if !seen[d.UID] {
							seen[d.UID] = true
							total += d.Replicas
						}
					}
				} else {
					total += rs.Replicas
				}
			}
		}
		if !found {
			return 0, fmt.Errorf("found no controllers for %s %s/%s", ref.Kind, ns, ref.Name)
		}
	}
	return total, nil
}

func (dc *DisruptionController) sync(key string) error {
	b, ok := dc.pdbInf.Get(key)
	if !ok {
		return nil
	}
	now := dc.s.Now()
	m := dc.podsOf(b)
	in := BudgetInput{MinAvailable: b.MinAvailable, MaxUnavailable: b.MaxUnavailable, MatchedPods: int32(len(m.pods))}
	var err error
	if b.MaxUnavailable.Set || (b.MinAvailable.Set && b.MinAvailable.IsPercent) {
		in.ControllersScale, err = dc.controllersScale(b.Namespace, m.controllers())
	}
	// disrupted pods: keep those still present, not terminating, within the timeout;
	// a ready one within it does not count as healthy (countHealthyPods)
	disrupted := map[string]time.Duration{}
	recheck := time.Duration(-1)
	in.CurrentHealthy = m.ready
	for name, t := range b.DisruptedPods { // the result does not depend on the order
		p, ok := m.pods[nsKey(b.Namespace, name)]
		if !ok || p.Deleting {
			continue
		}
		if exp := t + DeletionTimeout; exp >= now {
			disrupted[name] = t
			if recheck < 0 || exp < recheck {
				recheck = exp
			}
			if exp > now && p.IsReady() {
				in.CurrentHealthy--
			}
		}
	}
	if dc.verify {
		dc.verifyMembers(b, m)
	}
	var st BudgetStatus
	if err == nil {
		st, err = ComputeBudget(in)
	}
	if err != nil {
		// failSafe: allow no disruption when the status cannot be computed
		st = BudgetStatus{ExpectedPods: b.ExpectedPods, DesiredHealthy: b.DesiredHealthy, CurrentHealthy: b.CurrentHealthy}
		disrupted = b.DisruptedPods
		recheck = -1
	}
	if recheck >= 0 {
		dc.q.addAfter(key, recheck-now+time.Nanosecond)
	}
	if b.ExpectedPods == st.ExpectedPods && b.DesiredHealthy == st.DesiredHealthy && b.CurrentHealthy == st.CurrentHealthy &&
		b.DisruptionsAllowed == st.DisruptionsAllowed && sameDisrupted(b.DisruptedPods, disrupted) {
		return nil
	}
	nb := b.DeepCopy()
	nb.ExpectedPods, nb.DesiredHealthy, nb.CurrentHealthy, nb.DisruptionsAllowed = st.ExpectedPods, st.DesiredHealthy, st.CurrentHealthy, st.DisruptionsAllowed
	if len(disrupted) == 0 {
		nb.DisruptedPods = nil
	} else {
		nb.DisruptedPods = disrupted
	}
	// UpdateStatus with the informer's resourceVersion: an eviction that changed the
	// budget meanwhile makes this a Conflict, and the sync is retried.
	if _, uerr := dc.s.PDBs.Update(dc.c, nb); uerr != nil && !apiserver.IsNotFound(uerr) {
		dc.c.TraceError("update", "poddisruptionbudgets", uerr)
		return uerr
	}
	return nil
}

// controllers are the controller references of the set's pods, one per controller,
// in UID order.
func (m *budgetPods) controllers() []apiserver.OwnerReference {
	out := make([]apiserver.OwnerReference, 0, len(m.owners))
	for _, o := range m.owners {
		out = append(out, o.ref)
	}
	slices.SortFunc(out, func(a, b apiserver.OwnerReference) int { return cmp.Compare(a.UID, b.UID) })
	return out
}

// verifyMembers panics if the kept set differs from a walk of the namespace.
func (dc *DisruptionController) verifyMembers(b *apiserver.PodDisruptionBudget, m *budgetPods) {
	pods := dc.listPods(b)
	var ready int32
	for _, p := range pods {
		if q := m.pods[p.Key()]; q != p {
			panic(fmt.Sprintf("budget %s: pod %s kept as %p, listed as %p", b.Key(), p.Key(), q, p))
		}
		if !p.Deleting && p.IsReady() {
			ready++
		}
	}
	if len(pods) != len(m.pods) || ready != m.ready {
		panic(fmt.Sprintf("budget %s: %d pods, %d ready kept; %d, %d listed", b.Key(), len(m.pods), m.ready, len(pods), ready))
	}
}

func sameDisrupted(a, b map[string]time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if w, ok := b[k]; !ok || w != a[k] {
			return false
		}
	}
	return true
}
