package eviction

import (
	"fmt"
	"math"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// TaintEvictionControllerName is the controller's name in kube-controller-manager
// (--controllers=-taint-eviction-controller disables it).
const TaintEvictionControllerName = "taint-eviction-controller"

// Upstream constants of pkg/controller/tainteviction.
const (
	// DeletionRetries is how many times the controller tries to mark and delete a pod
	// (upstream retries = 5).
	DeletionRetries = 5
	// DeletionRetryInterval is the pause between two failed attempts (upstream sleeps
	// 10 ms).
	DeletionRetryInterval = 10 * time.Millisecond
)

// The Kubernetes minor versions the controller models.
const (
	MinVersion = 31
	MaxVersion = 37
	// ForgetFinishedWorkVersion is the first minor version whose TimedWorkerQueue drops
	// a pod's key once its eviction has run (pkg/controller/tainteviction/timed_workers.go
	// getWrappedWorkerFunc, v1.33.0 and v1.37.2: delete(q.workers, key)); up to 1.32 a
	// successful eviction leaves the key with a nil worker (v1.31.0), so the pod is not
	// scheduled again until something cancels it.
	ForgetFinishedWorkVersion = 33
)

// never is the fire time of an eviction due beyond the last representable instant
// (upstream's timer would fire some 292 years after the decision).
const never = time.Duration(math.MaxInt64)

// TaintEvictionConfig configures a TaintEvictionController.
type TaintEvictionConfig struct {
	// Version is the Kubernetes minor version (31…37); zero is the latest, 37. It
	// decides whether a pod's key survives its eviction (see ForgetFinishedWorkVersion).
	Version int
	// ComparisonOperators is the TaintTolerationComparisonOperators feature gate
	// (alpha in 1.35, off by default): whether Lt and Gt tolerations match.
	ComparisonOperators bool
	// WatchLatency is how long after a change the controller's informers see it.
	// Zero (the default) delivers changes as the next event, as a real watch does
	// within milliseconds.
	WatchLatency time.Duration
	// Informers, when set and serving the controller's client and WatchLatency, is the
	// shared informer factory of the controller's process: the controller takes its
	// informers from it and does not stop them (nil: informers of its own).
	Informers *apiserver.Informers
	// RateLimit is the client-side rate limit of the controller's own clientset
	// (kube-controller-manager's --kube-api-qps and --kube-api-burst; 20 and 30 in
	// DefaultTaintEvictionConfig). Every GET, PATCH and DELETE of an eviction and every
	// Event the controller writes waits for a token (package flowcontrol). The zero
	// value is no limit.
	RateLimit flowcontrol.RateLimit
	// Rand draws the event writer's first retry sleep after a failed Event write (nil:
	// half of flowcontrol.EventRetrySleep).
	Rand *sim.Rand
}

// DefaultTaintEvictionConfig is the controller's configuration in a default
// kube-controller-manager of the latest modelled version (set Version for another).
func DefaultTaintEvictionConfig() TaintEvictionConfig {
	return TaintEvictionConfig{RateLimit: flowcontrol.ControllerManager}
}

func (cfg TaintEvictionConfig) validate() error {
	if cfg.WatchLatency < 0 {
		return errField("TaintEvictionConfig", "WatchLatency", cfg.WatchLatency, "must be zero or positive")
	}
	if cfg.Version != 0 && (cfg.Version < MinVersion || cfg.Version > MaxVersion) {
		return errField("TaintEvictionConfig", "Version", cfg.Version,
			fmt.Sprintf("must be zero (the latest) or a minor version from %d to %d", MinVersion, MaxVersion))
	}
	if _, err := cfg.RateLimit.Limiter(); err != nil {
		return errField("TaintEvictionConfig", "RateLimit", cfg.RateLimit, err.Error())
	}
	return nil
}

// keepsFinishedWork reports whether a successful eviction leaves the pod's key behind
// (up to 1.32).
func (cfg TaintEvictionConfig) keepsFinishedWork() bool {
	return cfg.Version != 0 && cfg.Version < ForgetFinishedWorkVersion
}

// TaintEvictionController deletes pods from nodes with NoExecute taints they do not
// tolerate, or tolerate only for a while (pkg/controller/tainteviction). See the
// package documentation for the model.
type TaintEvictionController struct {
	s   *apiserver.Server
	c   *apiserver.Client
	cfg TaintEvictionConfig

	nodes *apiserver.Informer[*apiserver.Node]
	pods  *apiserver.Informer[*apiserver.Pod]
	// shared: the informers are the factory's (see TaintEvictionConfig.Informers)
	shared bool

	// taintedNodes holds the NoExecute taints of every node that has some.
	taintedNodes map[string][]taint.Taint

	// The work queues: node names and pod items waiting to be processed, drained by
	// one processing event (node items first, as upstream's workers do).
	nodeQueue  []string
	nodeQueued map[string]bool
	podQueue   []podItem
	podQueued  map[podItem]bool
	process    *sim.Timer

	// Scheduled evictions (upstream's TimedWorkerQueue), by pod key, and the heap of
	// pending ones by fire time.
	work   map[string]*podWork
	heap   workHeap
	fire   *sim.Timer
	seq    uint64
	free   []*podWork
	usedBf []taint.Toleration

	// The controller's clientset: its token bucket, the event writer that shares it,
	// and the evictions whose next request waits for a token.
	limiter *flowcontrol.Limiter
	events  *flowcontrol.EventWriter
	waiting *flowcontrol.Waiting[*podWork]
	due     []*podWork // fireDue's scratch

	running bool
	gen     uint64 // bumped by Stop: retries of an older generation do nothing
}

// evictStep is the request an eviction makes next (addConditionAndDeletePod).
type evictStep uint8

const (
	stepGet evictStep = iota
	stepPatch
	stepDelete
)

type podItem struct{ key, node string }

// podWork is one scheduled eviction. Up to 1.32, after a successful eviction the entry
// stays with done set (upstream keeps the key with a nil worker) so that the pod is not
// deleted twice until something cancels the work; from 1.33 it is dropped.
type podWork struct {
	key       string
	createdAt time.Duration
	fireAt    time.Duration
	seq       uint64
	index     int // position in the heap, -1 when not pending
	// while running: the pod's node and uid as the attempt's GET returned them
	node string
	uid  uint64
	// while running: the attempt (1…DeletionRetries) and its next request
	attempt uint8
	step    evictStep
	phased  bool // fired with more evictions than tokens: every request is an engine event
	running bool
	done    bool
	// immediate: due at its creation (delay ≤ 0). Upstream's createWorker starts such
	// work at once and keeps a nil worker, which CancelWork can neither stop nor
	// report: cancelling it records no event and does not stop it.
	immediate bool
}

// NewTaintEvictionController builds a stopped controller that uses client c.
func NewTaintEvictionController(s *apiserver.Server, c *apiserver.Client, cfg TaintEvictionConfig) (*TaintEvictionController, error) {
	if err := checkWiring(s, c); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	tc := &TaintEvictionController{s: s, c: c, cfg: cfg}
	var err error
	if tc.process, err = s.Engine.NewTimer(tc.processQueues); err != nil {
		return nil, err
	}
	if tc.fire, err = s.Engine.NewTimer(tc.fireDue); err != nil {
		return nil, err
	}
	if tc.waiting, err = flowcontrol.NewWaiting(s.Engine, tc.send); err != nil {
		return nil, err
	}
	return tc, nil
}

// Start starts the informers (an initial list, then watches) and processes every
// node that already carries NoExecute taints, as the informers' initial Add events do
// upstream. A started controller starts with empty memory; starting a running one
// does nothing.
func (tc *TaintEvictionController) Start() {
	if tc.running {
		return
	}
	tc.running = true
	tc.taintedNodes = map[string][]taint.Taint{}
	tc.nodeQueued = map[string]bool{}
	tc.podQueued = map[podItem]bool{}
	tc.work = map[string]*podWork{}
	tc.heap = tc.heap[:0]
	tc.nodeQueue, tc.podQueue = tc.nodeQueue[:0], tc.podQueue[:0]
	// a new process: a new clientset, whose bucket starts full, and a new recorder
	tc.limiter, _ = tc.cfg.RateLimit.Limiter() // validated by NewTaintEvictionController
	tc.events, _ = flowcontrol.NewEventWriter(tc.s.Engine, tc.c, tc.limiter, tc.cfg.Rand)

	f, lat := tc.cfg.Informers, tc.cfg.WatchLatency
	tc.nodes, tc.shared = apiserver.InformerFor(f, tc.s.Nodes, tc.c, lat)
	tc.pods, _ = apiserver.InformerFor(f, tc.s.Pods, tc.c, lat)
	tc.pods.AddIndex(apiserver.IndexNodeName, func(p *apiserver.Pod) string { return p.NodeName })
	gen := tc.gen
	live := func() bool { return tc.running && tc.gen == gen }
	tc.nodes.AddComponentHandler(tc.shared, live, tc.nodeUpdated)
	tc.pods.AddComponentHandler(tc.shared, live, tc.podUpdated)
	for _, n := range tc.nodes.List() {
		if hasNoExecute(n.Taints) {
			tc.enqueueNode(n.Name)
		}
	}
}

// Stop stops the informers and cancels every timer the controller owns, including
// scheduled evictions and deletion retries.
func (tc *TaintEvictionController) Stop() {
	if !tc.running {
		return
	}
	tc.running = false
	tc.gen++
	if !tc.shared {
		tc.nodes.Stop()
		tc.pods.Stop()
	}
	tc.process.Stop()
	tc.fire.Stop()
	tc.waiting.Drop()
	tc.events.Stop()
	for _, w := range tc.heap {
		w.index = -1
	}
	tc.heap = tc.heap[:0]
	tc.work = nil
}

// Scheduled reports when the eviction of the pod (namespace/name) is due, and whether
// one is pending. An eviction due past the last representable instant reports
// math.MaxInt64 (it never fires).
func (tc *TaintEvictionController) Scheduled(podKey string) (time.Duration, bool) {
	w := tc.work[podKey]
	if w == nil || w.index < 0 {
		return 0, false
	}
	return w.fireAt, true
}

// Pending is the number of scheduled evictions that have not fired yet.
func (tc *TaintEvictionController) Pending() int { return len(tc.heap) }

func hasNoExecute(ts []taint.Taint) bool {
	for i := range ts {
		if ts[i].Effect == taint.NoExecute {
			return true
		}
	}
	return false
}

// sameNoExecute compares the NoExecute taints of two lists, in order, field by field
// (upstream compares the filtered lists with semantic deep equality).
func sameNoExecute(a, b []taint.Taint) bool {
	i, j := 0, 0
	for {
		for i < len(a) && a[i].Effect != taint.NoExecute {
			i++
		}
		for j < len(b) && b[j].Effect != taint.NoExecute {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i++
		j++
	}
}

func sameTolerations(a, b []taint.Toleration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

// nodeUpdated is the node informer's handler (upstream NodeUpdated).
func (tc *TaintEvictionController) nodeUpdated(ev apiserver.Event[*apiserver.Node]) {
	if ev.Type == apiserver.Modified && sameNoExecute(ev.Old.Taints, ev.New.Taints) {
		return
	}
	tc.enqueueNode(ev.New.Name)
}

// podUpdated is the pod informer's handler (upstream PodUpdated): additions, deletions
// and changes of tolerations or node name are queued.
func (tc *TaintEvictionController) podUpdated(ev apiserver.Event[*apiserver.Pod]) {
	if ev.Type == apiserver.Modified && ev.Old.NodeName == ev.New.NodeName &&
		sameTolerations(ev.Old.Tolerations, ev.New.Tolerations) {
		return
	}
	tc.enqueuePod(podItem{key: ev.New.Key(), node: ev.New.NodeName})
}

func (tc *TaintEvictionController) enqueueNode(name string) {
	if !tc.nodeQueued[name] {
		tc.nodeQueued[name] = true
		tc.nodeQueue = append(tc.nodeQueue, name)
	}
	tc.wake()
}

func (tc *TaintEvictionController) enqueuePod(it podItem) {
	if !tc.podQueued[it] {
		tc.podQueued[it] = true
		tc.podQueue = append(tc.podQueue, it)
	}
	tc.wake()
}

// wake schedules the processing event: the controller's workers pick up queued items
// as the next event (milliseconds in reality).
func (tc *TaintEvictionController) wake() {
	if !tc.process.Pending() {
		_ = tc.process.Schedule(tc.s.Now())
	}
}

func (tc *TaintEvictionController) processQueues() {
	if !tc.running {
		return
	}
	for len(tc.nodeQueue) > 0 || len(tc.podQueue) > 0 {
		for i := 0; i < len(tc.nodeQueue); i++ {
			name := tc.nodeQueue[i]
			delete(tc.nodeQueued, name)
			tc.handleNodeUpdate(name)
		}
		tc.nodeQueue = tc.nodeQueue[:0]
		for i := 0; i < len(tc.podQueue); i++ {
			it := tc.podQueue[i]
			delete(tc.podQueued, it)
			tc.handlePodUpdate(it)
		}
		tc.podQueue = tc.podQueue[:0]
	}
}

func (tc *TaintEvictionController) handleNodeUpdate(name string) {
	n, ok := tc.nodes.Get(name)
	if !ok {
		// Node deleted: forget its taints; scheduled evictions keep running.
		delete(tc.taintedNodes, name)
		return
	}
	taints := tc.taintedNodes[name][:0]
	for _, t := range n.Taints {
		if t.Effect == taint.NoExecute {
			taints = append(taints, t)
		}
	}
	if len(taints) == 0 {
		delete(tc.taintedNodes, name)
	} else {
		tc.taintedNodes[name] = taints
	}
	if tc.pods.CountByIndex(apiserver.IndexNodeName, name) == 0 {
		return
	}
	pods := tc.pods.ByIndex(apiserver.IndexNodeName, name)
	if len(taints) == 0 {
		for _, p := range pods {
			tc.cancelWithEvent(p.Key())
		}
		return
	}
	now := tc.s.Now()
	for _, p := range pods {
		tc.processPodOnNode(p.Key(), p.Tolerations, taints, now)
	}
}

func (tc *TaintEvictionController) handlePodUpdate(it podItem) {
	p, ok := tc.pods.Get(it.key)
	if !ok {
		tc.cancelWithEvent(it.key)
		return
	}
	if p.NodeName != it.node || p.NodeName == "" {
		return
	}
	taints, ok := tc.taintedNodes[p.NodeName]
	if !ok {
		return
	}
	tc.processPodOnNode(it.key, p.Tolerations, taints, tc.s.Now())
}

// processPodOnNode is the decision for one pod (upstream processPodOnNode).
func (tc *TaintEvictionController) processPodOnNode(key string, tols []taint.Toleration, taints []taint.Taint, now time.Duration) {
	if len(taints) == 0 {
		tc.cancelWithEvent(key)
		return
	}
	ok, used := taint.AppendMatchingTolerations(tc.usedBf[:0], taints, tols, tc.cfg.ComparisonOperators)
	tc.usedBf = used[:0]
	if !ok {
		// Some taint is not tolerated: any scheduled deletion is replaced by one now.
		tc.cancelWithEvent(key)
		tc.addWork(key, now, now)
		return
	}
	minTime, forever := taint.MinTolerationTime(used)
	if forever {
		tc.cancelWithEvent(key)
		return
	}
	if w := tc.work[key]; w != nil {
		// An existing eviction is never moved: upstream replaces it only when it was
		// created at the very instant of this decision, which a real clock never
		// repeats (see the package documentation).
		return
	}
	tc.addWork(key, now, fireTime(now, minTime))
}

// fireTime is now+d, or never when that is past the last representable instant (a
// tolerationSeconds of some 292 years): such an eviction stays scheduled, as
// upstream's timer does, but never fires and delays nothing else.
func fireTime(now, d time.Duration) time.Duration {
	if d > never-now {
		return never
	}
	return now + d
}

// addWork schedules an eviction unless one exists for the pod (upstream AddWork
// ignores a key it already holds, including one whose eviction already ran).
func (tc *TaintEvictionController) addWork(key string, createdAt, fireAt time.Duration) {
	if _, ok := tc.work[key]; ok {
		return
	}
	var w *podWork
	if n := len(tc.free); n > 0 {
		w = tc.free[n-1]
		tc.free = tc.free[:n-1]
		*w = podWork{}
	} else {
		w = &podWork{}
	}
	tc.seq++
	w.key, w.createdAt, w.fireAt, w.seq = key, createdAt, fireAt, tc.seq
	w.immediate = fireAt <= createdAt
	tc.work[key] = w
	tc.heap.push(w)
	if tc.heap[0] == w {
		tc.rearm()
	}
}

// cancelWithEvent cancels the pod's work and, when upstream's CancelWork would report
// it (a worker with a timer: not completed, not immediate), records the "Cancelling
// deletion" event (upstream cancelWorkWithEvent). Immediate work is only forgotten:
// it runs anyway, as upstream's goroutine has already started.
func (tc *TaintEvictionController) cancelWithEvent(key string) {
	w, ok := tc.work[key]
	if !ok {
		return
	}
	delete(tc.work, key)
	if w.done {
		tc.free = append(tc.free, w)
		return
	}
	if w.immediate {
		return // still pending or running: fireDue and finish see it is no longer current
	}
	if w.index >= 0 {
		tc.heap.remove(w.index)
		tc.rearm()
		if !w.running {
			tc.free = append(tc.free, w)
		}
	}
	tc.event(key, "Cancelling deletion of Pod "+key)
}

// event records a TaintManagerEviction Event about the pod and hands it to the
// controller's event writer. Its reference names the pod without a UID
// (taint_eviction.go emitPodDeletionEvent), so the spam filter counts the pod's events
// by namespace/name: a pod recreated under the name shares the bucket.
func (tc *TaintEvictionController) event(key, message string) {
	recordEvent(tc.s.Trace, tc.s.Now(), key, ReasonTaintManagerEviction, message)
	tc.events.EmitAbout(flowcontrol.SpamKey{Name: key})
}

func (tc *TaintEvictionController) rearm() {
	if len(tc.heap) == 0 || tc.heap[0].fireAt == never {
		tc.fire.Stop()
		return
	}
	if at := tc.heap[0].fireAt; !tc.fire.Pending() || tc.fire.When() != at {
		_ = tc.fire.Schedule(at)
	}
}

// fireDue runs every eviction that is due, in (fire time, scheduling order).
func (tc *TaintEvictionController) fireDue() {
	if !tc.running {
		return
	}
	now := tc.s.Now()
	due := tc.due[:0]
	for len(tc.heap) > 0 && tc.heap[0].fireAt <= now {
		w := tc.heap.pop()
		w.running = true
		due = append(due, w)
	}
	// Each eviction spends up to four tokens (its Event, GET, PATCH and DELETE). When
	// the bucket holds them all, every request is sent at once and each eviction runs
	// to its end before the next starts. When it does not, they go as upstream's
	// goroutines do, whose requests take milliseconds while starting a goroutine
	// takes microseconds: each request is answered after the requests every other
	// eviction made at that instant, so all the GETs reserve their tokens first, then
	// the PATCHes, then the DELETEs.
	phased := tc.limiter.Available(now) < float64(4*len(due))
	for _, w := range due {
		w.phased = phased
		tc.evict(w)
	}
	clear(due)
	tc.due = due[:0]
	tc.rearm()
}

// evict is upstream's deletePodHandler: the event, then up to DeletionRetries
// attempts of addConditionAndDeletePod, DeletionRetryInterval apart. Each request of
// an attempt waits for the client's token (request); one that finds it is sent at once.
func (tc *TaintEvictionController) evict(w *podWork) {
	tc.event(w.key, "Marking for deletion Pod "+w.key)
	w.attempt = 1
	tc.request(w, stepGet)
}

// request makes the eviction's next request: now if the client has a token, else at
// the token's instant; a phased eviction's is sent by an engine event even when its
// token is there, after what is already due at that instant (see fireDue).
func (tc *TaintEvictionController) request(w *podWork, step evictStep) {
	w.step = step
	now := tc.s.Now()
	if at := tc.limiter.Wait(now); at > now || w.phased {
		tc.waiting.Add(w, at)
		return
	}
	tc.send(w)
}

// send is addConditionAndDeletePod's current request: GET the pod, add
// DisruptionTarget=True (DeletionByTaintManager) by a status patch if it is not there
// yet, then DELETE with no options, so the pod's own terminationGracePeriodSeconds
// applies.
func (tc *TaintEvictionController) send(w *podWork) {
	switch w.step {
	case stepGet:
		p, err := tc.s.Pods.Get(tc.c, w.key)
		if err != nil {
			tc.c.TraceError("get", "pods", err)
			tc.failed(w)
			return
		}
		w.node, w.uid = p.NodeName, p.UID
		if needsCondition(p, DeletionByTaintManager, DeletionByTaintManagerMessage) {
			tc.request(w, stepPatch)
		} else {
			tc.request(w, stepDelete)
		}
	case stepPatch:
		if _, err := tc.s.Pods.Patch(tc.c, w.key, func(np *apiserver.Pod) error {
			if np.UID != w.uid {
				// PatchPodStatus puts the GET's uid in the patch as a precondition: a
				// pod of the same name created since fails validation (uid immutable)
				return apiserver.NewInvalid(fmt.Sprintf("Pod %q is invalid: metadata.uid: Invalid value: %q: field is immutable", np.Name, fmt.Sprint(w.uid)))
			}
			np.SetCondition(apiserver.PodCondition{Type: apiserver.PodDisruptionTarget, Status: apiserver.ConditionTrue,
				Reason: DeletionByTaintManager, Message: DeletionByTaintManagerMessage}, tc.s.Now())
			return nil
		}); err != nil {
			tc.c.TraceError("patch", "pods", err)
			tc.failed(w)
			return
		}
		tc.request(w, stepDelete)
	case stepDelete:
		if err := tc.s.Pods.Delete(tc.c, w.key, apiserver.DeleteOptions{}); err != nil {
			tc.c.TraceError("delete", "pods", err)
			tc.failed(w)
			return
		}
		recordEvicted(tc.s.Trace, tc.s.Now(), w.key, w.node, ReasonTaintManagerEviction)
		tc.finish(w, true)
	}
}

// failed ends a failed attempt: another after the failed request's own duration and
// DeletionRetryInterval, or, after DeletionRetries, the end.
func (tc *TaintEvictionController) failed(w *podWork) {
	if w.attempt >= DeletionRetries {
		tc.finish(w, false)
		return
	}
	gen := tc.gen
	_, _ = tc.s.Engine.At(tc.s.Now()+tc.c.Took()+DeletionRetryInterval, func() {
		if tc.gen == gen && tc.running {
			w.attempt++
			tc.request(w, stepGet)
		}
	})
}

// finish records the outcome (upstream's wrapped worker function,
// timed_workers.go getWrappedWorkerFunc). Up to 1.32 success keeps the key (a nil
// worker, set even when the work was cancelled while it ran) so the pod is not
// deleted again; from 1.33 the key is dropped whatever the outcome, so a Terminating
// pod gets a fresh timer at its next tolerated NoExecute change. Failure always
// forgets it, so a later update retries.
func (tc *TaintEvictionController) finish(w *podWork, ok bool) {
	w.running = false
	cur, has := tc.work[w.key]
	if ok && tc.cfg.keepsFinishedWork() && (!has || cur == w) {
		if !has {
			tc.work[w.key] = w
		}
		w.done = true
		return
	}
	if cur == w {
		delete(tc.work, w.key)
	}
	tc.free = append(tc.free, w)
}

// needsCondition reports whether setting DisruptionTarget=True with reason and message
// would change the pod (upstream UpdatePodCondition reports no update otherwise).
func needsCondition(p *apiserver.Pod, reason, message string) bool {
	c := p.Condition(apiserver.PodDisruptionTarget)
	return c == nil || c.Status != apiserver.ConditionTrue || c.Reason != reason || c.Message != message
}

// workHeap is a binary min-heap of pending evictions by (fireAt, seq).
type workHeap []*podWork

func (h workHeap) less(i, j int) bool {
	if h[i].fireAt != h[j].fireAt {
		return h[i].fireAt < h[j].fireAt
	}
	return h[i].seq < h[j].seq
}

func (h workHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *workHeap) push(w *podWork) {
	w.index = len(*h)
	*h = append(*h, w)
	h.up(w.index)
}

func (h *workHeap) pop() *podWork {
	return h.remove(0)
}

func (h *workHeap) remove(i int) *podWork {
	old := *h
	n := len(old) - 1
	w := old[i]
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		h.down(i)
		h.up(i)
	}
	w.index = -1
	return w
}

func (h workHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h workHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}
