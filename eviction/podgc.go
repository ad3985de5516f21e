package eviction

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// Upstream defaults of pkg/controller/podgc.
const (
	// DefaultGCCheckPeriod is gcCheckPeriod: PodGC runs a pass every 20 s (sliding).
	DefaultGCCheckPeriod = 20 * time.Second
	// DefaultQuarantineTime is quarantineTime: a node missing from the cache is
	// confirmed deleted only 40 s after PodGC first noticed it.
	DefaultQuarantineTime = 40 * time.Second
	// DefaultTerminatedPodGCThreshold is --terminated-pod-gc-threshold.
	DefaultTerminatedPodGCThreshold = 12500
)

// PodGCConfig configures a PodGC.
type PodGCConfig struct {
	// TerminatedPodGCThreshold is --terminated-pod-gc-threshold: when more pods than
	// this are Succeeded or Failed, the excess is deleted. Zero or negative disables
	// terminated-pod GC, as upstream.
	TerminatedPodGCThreshold int
	// GCCheckPeriod is the pass period (upstream's constant gcCheckPeriod, 20 s).
	GCCheckPeriod time.Duration
	// QuarantineTime is how long a node must have been missing before a live GET
	// decides it is deleted (upstream's constant quarantineTime, 40 s).
	QuarantineTime time.Duration
	// WatchLatency is how long after a change the informers see it.
	WatchLatency time.Duration
	// Informers, when set and serving the controller's client and WatchLatency, is the
	// shared informer factory of the controller's process: the controller takes its
	// informers from it and does not stop them (nil: informers of its own).
	Informers *apiserver.Informers
	// RateLimit is the client-side rate limit of the controller's own clientset
	// (kube-controller-manager's --kube-api-qps and --kube-api-burst; 20 and 30 in
	// DefaultPodGCConfig): every GET, PATCH and DELETE waits for a token (package
	// flowcontrol). The zero value is no limit.
	RateLimit flowcontrol.RateLimit
}

// DefaultPodGCConfig is PodGC's configuration in a default kube-controller-manager.
func DefaultPodGCConfig() PodGCConfig {
	return PodGCConfig{
		TerminatedPodGCThreshold: DefaultTerminatedPodGCThreshold,
		GCCheckPeriod:            DefaultGCCheckPeriod,
		QuarantineTime:           DefaultQuarantineTime,
		RateLimit:                flowcontrol.ControllerManager,
	}
}

func (cfg PodGCConfig) validate() error {
	switch {
	case cfg.GCCheckPeriod <= 0:
		return errField("PodGCConfig", "GCCheckPeriod", cfg.GCCheckPeriod, "must be positive (upstream: 20s)")
	case cfg.QuarantineTime < 0:
		return errField("PodGCConfig", "QuarantineTime", cfg.QuarantineTime, "must be zero or positive (upstream: 40s)")
	case cfg.WatchLatency < 0:
		return errField("PodGCConfig", "WatchLatency", cfg.WatchLatency, "must be zero or positive")
	}
	if _, err := cfg.RateLimit.Limiter(); err != nil {
		return errField("PodGCConfig", "RateLimit", cfg.RateLimit, err.Error())
	}
	return nil
}

// PodGC is the pod garbage collector (pkg/controller/podgc). See the package
// documentation for the model.
type PodGC struct {
	s   *apiserver.Server
	c   *apiserver.Client
	cfg PodGCConfig

	nodes *apiserver.Informer[*apiserver.Node]
	pods  *apiserver.Informer[*apiserver.Pod]
	loop  *sim.Loop
	// shared: the informers are the factory's (see PodGCConfig.Informers); run numbers
	// the Starts, so that handlers left on a shared informer by an earlier run do nothing
	shared bool
	run    uint64

	// Candidate sets fed by the pod and node informers, so that a pass costs what is
	// there to collect, not the number of pods.
	terminating  map[string]bool // pods with a deletion timestamp
	terminated   map[string]bool // pods in phase Succeeded or Failed
	missingNodes map[string]bool // node names pods refer to that the node cache lacks
	// nodeNames are the names of the cached nodes, kept by the node handler: a pod's
	// change asks whether its node is cached, and a set of names answers without
	// reading the Node (a cache miss per pod, ≈ 60 ms for the 300k pods at start)
	nodeNames map[string]struct{}
	// unscheduledTerminating are the terminating pods bound to no node; outOfService
	// counts the cached nodes with the out-of-service taint. Terminating pods pile up
	// on nodes that are down (their kubelet never confirms the deletion), and without
	// these every pass would walk them all, twice, for hours.
	unscheduledTerminating map[string]bool
	outOfService           int
	// quarantine is the delaying queue: node name → instant it becomes ready.
	quarantine map[string]time.Duration

	running bool
	took    time.Duration
	keys    []string
	podsBuf []*apiserver.Pod
	// limiter is the clientset's token bucket, new at each Start (a new process)
	limiter *flowcontrol.Limiter
}

// NewPodGC builds a stopped pod garbage collector that uses client c.
func NewPodGC(s *apiserver.Server, c *apiserver.Client, cfg PodGCConfig) (*PodGC, error) {
	if err := checkWiring(s, c); err != nil {
		return nil, err
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &PodGC{s: s, c: c, cfg: cfg}
	loop, err := s.Engine.NewLoop(sim.LoopConfig{Period: cfg.GCCheckPeriod, Sliding: true}, g.gc)
	if err != nil {
		return nil, err
	}
	g.loop = loop
	return g, nil
}

// Start starts the informers and the pass loop; the first pass runs now (after the
// events already due), as wait.UntilWithContext runs its first call at once.
func (g *PodGC) Start() {
	if g.running {
		return
	}
	g.running = true
	g.terminating = map[string]bool{}
	g.terminated = map[string]bool{}
	g.unscheduledTerminating = map[string]bool{}
	g.outOfService = 0
	g.missingNodes = map[string]bool{}
	g.quarantine = map[string]time.Duration{}
	f, lat := g.cfg.Informers, g.cfg.WatchLatency
	g.nodes, g.shared = apiserver.InformerFor(f, g.s.Nodes, g.c, lat)
	g.pods, _ = apiserver.InformerFor(f, g.s.Pods, g.c, lat)
	g.pods.AddIndex(apiserver.IndexNodeName, func(p *apiserver.Pod) string { return p.NodeName })
	g.nodeNames = make(map[string]struct{}, g.nodes.Len())
	g.nodes.Range(func(n *apiserver.Node) {
		g.nodeNames[n.Name] = struct{}{}
		if hasTaintKey(n.Taints, taint.OutOfService) {
			g.outOfService++
		}
	})
	g.pods.Range(g.track)                    // track only fills sets: the order cannot show
	g.limiter, _ = g.cfg.RateLimit.Limiter() // validated by NewPodGC
	g.run++
	run := g.run
	live := func() bool { return g.running && g.run == run }
	g.pods.AddComponentHandler(g.shared, live, g.podChanged)
	g.nodes.AddComponentHandler(g.shared, live, g.nodeChanged)
	g.loop.Start()
}

// Stop stops the pass loop and the informers.
func (g *PodGC) Stop() {
	if !g.running {
		return
	}
	g.running = false
	g.loop.Stop()
	if !g.shared {
		g.nodes.Stop()
		g.pods.Stop()
	}
}

// NextPass is the instant of the next pass (meaningful while started).
func (g *PodGC) NextPass() time.Duration { return g.loop.Next() }

func (g *PodGC) track(p *apiserver.Pod) {
	key := p.Key()
	setBool(g.terminating, key, p.Deleting)
	setBool(g.terminated, key, p.Terminal())
	setBool(g.unscheduledTerminating, key, p.Deleting && p.NodeName == "")
	if p.NodeName != "" {
		if _, ok := g.nodeNames[p.NodeName]; !ok {
			g.missingNodes[p.NodeName] = true
		}
	}
}

func setBool(m map[string]bool, key string, v bool) {
	if v {
		m[key] = true
	} else if len(m) > 0 && m[key] { // the sets are empty most of the time
		delete(m, key)
	}
}

func (g *PodGC) podChanged(ev apiserver.Event[*apiserver.Pod]) {
	if ev.Type == apiserver.Deleted {
		key := ev.Old.Key()
		delete(g.terminating, key)
		delete(g.terminated, key)
		delete(g.unscheduledTerminating, key)
		return
	}
	g.track(ev.New)
}

func (g *PodGC) nodeChanged(ev apiserver.Event[*apiserver.Node]) {
	if ev.Type != apiserver.Added && hasTaintKey(ev.Old.Taints, taint.OutOfService) {
		g.outOfService--
	}
	if ev.Type != apiserver.Deleted && hasTaintKey(ev.New.Taints, taint.OutOfService) {
		g.outOfService++
	}
	switch ev.Type {
	case apiserver.Deleted:
		delete(g.nodeNames, ev.Old.Name)
		if g.pods.CountByIndex(apiserver.IndexNodeName, ev.Old.Name) > 0 {
			g.missingNodes[ev.Old.Name] = true
		}
	case apiserver.Added:
		g.nodeNames[ev.New.Name] = struct{}{}
		delete(g.missingNodes, ev.New.Name)
	}
}

// gc is one pass, in upstream's order.
func (g *PodGC) gc() time.Duration {
	if !g.running {
		return 0
	}
	g.took = 0
	if n := g.requestsAtMost(); n > 0 && float64(n) > g.limiter.Available(g.s.Now()) {
		// Not every request can go now: the pass runs over time (throttled.go), and
		// the loop waits for its end, as upstream's sliding loop waits for gc().
		g.loop.Stop()
		g.startThrottledPass()
		return 0
	}
	if g.cfg.TerminatedPodGCThreshold > 0 {
		g.gcTerminated()
	}
	g.gcTerminating()
	g.gcOrphaned()
	g.gcUnscheduledTerminating()
	return g.took
}

// requestsAtMost bounds the requests a pass starting now can make: a PATCH and a
// DELETE per pod it may collect and a GET per node whose quarantine is over.
func (g *PodGC) requestsAtMost() int {
	if g.limiter == nil {
		return 0
	}
	n := 0
	if g.cfg.TerminatedPodGCThreshold > 0 {
		n += 2 * max(0, len(g.terminated)-g.cfg.TerminatedPodGCThreshold)
	}
	if g.outOfService > 0 {
		n += 2 * len(g.terminating)
	}
	if len(g.quarantine) > 0 {
		now := g.s.Now()
		for name, at := range g.quarantine {
			if at <= now {
				n += 1 + 2*g.pods.CountByIndex(apiserver.IndexNodeName, name)
			}
		}
	}
	return n + 2*len(g.unscheduledTerminating)
}

// sortedKeys returns the keys of m in order, in a buffer the PodGC reuses.
func (g *PodGC) sortedKeys(m map[string]bool) []string {
	g.keys = g.keys[:0]
	for k := range m {
		g.keys = append(g.keys, k)
	}
	sort.Strings(g.keys)
	return g.keys
}

// isEvicted is upstream's eviction.PodIsEvicted: Failed with reason Evicted.
func isEvicted(p *apiserver.Pod) bool { return p.Phase == apiserver.PodFailed && p.Reason == "Evicted" }

// sortByEvictionAndCreation orders pods evicted first, then oldest first, then by name
// (upstream byEvictionAndCreationTimestamp in pkg/controller/podgc/gc_controller.go,
// v1.31.0–v1.37.2), with the namespace as the last tiebreak. Upstream compares
// metav1.Time values, which reach a controller in whole seconds (apimachinery
// pkg/apis/meta/v1 time_proto.go ProtoTime drops the nanoseconds, and the JSON form is
// RFC 3339 seconds), so creation times are compared in whole seconds (ObjectMeta.CreationSecond)
// and pods created within the same second fall back to name order.
func sortByEvictionAndCreation(pods []*apiserver.Pod) {
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		if ea, eb := isEvicted(a), isEvicted(b); ea != eb {
			return ea
		}
		if sa, sb := a.CreationSecond(), b.CreationSecond(); sa != sb {
			return sa < sb
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Namespace < b.Namespace
	})
}

func (g *PodGC) collect(m map[string]bool, keep func(*apiserver.Pod) bool) []*apiserver.Pod {
	g.podsBuf = g.podsBuf[:0]
	if len(m) == 0 {
		return g.podsBuf
	}
	for _, key := range g.sortedKeys(m) {
		if p, ok := g.pods.Get(key); ok && (keep == nil || keep(p)) {
			g.podsBuf = append(g.podsBuf, p)
		}
	}
	return g.podsBuf
}

// gcTerminated deletes the terminated pods over the threshold.
func (g *PodGC) gcTerminated() {
	excess := len(g.terminated) - g.cfg.TerminatedPodGCThreshold
	if excess <= 0 {
		return
	}
	pods := g.collect(g.terminated, nil)
	sortByEvictionAndCreation(pods)
	if excess > len(pods) {
		excess = len(pods)
	}
	var part time.Duration // a goroutine each: the part lasts as long as the slowest
	for _, p := range pods[:excess] {
		part = max(part, g.markFailedAndDelete(p, false))
	}
	g.took += part
}

// gcTerminating force-deletes terminating pods on nodes that are not Ready and carry
// the out-of-service taint (non-graceful node shutdown).
func (g *PodGC) gcTerminating() {
	if g.outOfService == 0 {
		return // no node qualifies, so no pod does
	}
	pods := g.collect(g.terminating, func(p *apiserver.Pod) bool {
		n, ok := g.nodes.Get(p.NodeName)
		return ok && n.ReadyStatus() != apiserver.ConditionTrue && hasTaintKey(n.Taints, taint.OutOfService)
	})
	if len(pods) == 0 {
		return
	}
	sortByEvictionAndCreation(pods)
	var part time.Duration // a goroutine each
	for _, p := range pods {
		part = max(part, g.markFailedAndDelete(p, false))
	}
	g.took += part
}

func hasTaintKey(ts []taint.Taint, key string) bool {
	for i := range ts {
		if ts[i].Key == key {
			return true
		}
	}
	return false
}

// gcOrphaned deletes the pods of nodes that are gone: a missing node waits in
// quarantine, then a live GET confirms the deletion. As upstream's
// discoverDeletedNodes, every GET goes before the first deletion.
func (g *PodGC) gcOrphaned() {
	var gone []string
	for _, name := range g.quarantineOver(g.inCache) {
		if _, ok := g.nodes.Get(name); ok {
			continue
		}
		g.limiter.Wait(g.s.Now())
		isGone := g.nodeGone(name)
		g.took += g.c.Took()
		if isGone {
			gone = append(gone, name)
		}
	}
	for _, name := range gone {
		for _, p := range g.pods.ByIndex(apiserver.IndexNodeName, name) {
			g.took += g.markFailedAndDelete(p, true)
		}
	}
}

// quarantineOver moves the delaying queue on to now: the names whose quarantine is
// over leave it and are returned in order (they were moved to the work queue when
// their time came), and every node still missing with pods is added after the
// quarantine time; adding a name already waiting does not extend its wait. exists
// says whether a node is in the pass's node list. A quarantine of 0 or less makes
// the names added ready at once, as AddAfter adds them to the work queue then.
func (g *PodGC) quarantineOver(exists func(name string) bool) []string {
	if len(g.missingNodes) == 0 && len(g.quarantine) == 0 {
		return nil
	}
	now := g.s.Now()
	var ready []string
	for name, at := range g.quarantine {
		if at <= now {
			ready = append(ready, name)
		}
	}
	sort.Strings(ready)
	for _, name := range ready {
		delete(g.quarantine, name)
	}
	for _, name := range g.sortedKeys(g.missingNodes) {
		if exists(name) || g.pods.CountByIndex(apiserver.IndexNodeName, name) == 0 {
			if _, ok := g.nodes.Get(name); ok || g.pods.CountByIndex(apiserver.IndexNodeName, name) == 0 {
				delete(g.missingNodes, name)
			}
			continue
		}
		if _, waiting := g.quarantine[name]; waiting {
			continue
		}
		if g.cfg.QuarantineTime <= 0 {
			if !slices.Contains(ready, name) {
				ready = append(ready, name)
			}
			continue
		}
		g.quarantine[name] = now + g.cfg.QuarantineTime
	}
	return ready
}

// inCache reports whether the node is in the informer's cache.
func (g *PodGC) inCache(name string) bool {
	_, ok := g.nodes.Get(name)
	return ok
}

// nodeGone is checkIfNodeExists: a live GET; only NotFound says the node is gone (any
// other error drops the name, which a later pass queues again).
func (g *PodGC) nodeGone(name string) bool {
	_, err := g.s.Nodes.Get(g.c, name)
	if err == nil {
		return false
	}
	if !apiserver.IsNotFound(err) {
		g.c.TraceError("get", "nodes", err)
		return false
	}
	return true
}

// gcUnscheduledTerminating force-deletes terminating pods that were never scheduled.
func (g *PodGC) gcUnscheduledTerminating() {
	pods := g.collect(g.unscheduledTerminating, nil)
	if len(pods) == 0 {
		return
	}
	sortByEvictionAndCreation(pods)
	for _, p := range pods {
		g.took += g.markFailedAndDelete(p, false)
	}
}

// markFailedAndDelete is markFailedAndDeletePodWithCondition: a pod that is not
// terminal gets phase Failed (and, for a deleted node, DisruptionTarget
// DeletionByPodGC) by a status patch, then a DELETE with grace period 0.
func (g *PodGC) markFailedAndDelete(p *apiserver.Pod, nodeGone bool) time.Duration {
	var took time.Duration
	if !p.Terminal() {
		g.limiter.Wait(g.s.Now())
		ok := g.markFailed(p, nodeGone)
		took += g.c.Took()
		if !ok {
			return took
		}
	}
	g.limiter.Wait(g.s.Now())
	g.forceDelete(p)
	return took + g.c.Took()
}

// markFailed is the status patch of markFailedAndDelete; it reports success.
func (g *PodGC) markFailed(p *apiserver.Pod, nodeGone bool) bool {
	_, err := g.s.Pods.Patch(g.c, p.Key(), func(np *apiserver.Pod) error {
		if np.UID != p.UID {
			// PatchPodStatus puts the listed pod's uid in the patch: a pod recreated
			// under the name since the pass listed it fails validation (uid immutable)
			return apiserver.NewInvalid(fmt.Sprintf("Pod %q is invalid: metadata.uid: Invalid value: %q: field is immutable", np.Name, fmt.Sprint(p.UID)))
		}
		np.Phase = apiserver.PodFailed
		if nodeGone {
			np.SetCondition(apiserver.PodCondition{Type: apiserver.PodDisruptionTarget, Status: apiserver.ConditionTrue,
				Reason: DeletionByPodGC, Message: DeletionByPodGCMessage}, g.s.Now())
		}
		return nil
	})
	if err != nil {
		g.c.TraceError("patch", "pods", err)
		return false
	}
	return true
}

// forceDelete is the DELETE of markFailedAndDelete, grace period 0.
func (g *PodGC) forceDelete(p *apiserver.Pod) {
	key := p.Key()
	zero := int64(0)
	if err := g.s.Pods.Delete(g.c, key, apiserver.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		g.c.TraceError("delete", "pods", err)
		return
	}
	// As the taint eviction controller's and drain's, the record is written once the
	// DELETE succeeded, after the API server's PodDeleted of the same instant.
	recordEvicted(g.s.Trace, g.s.Now(), key, p.NodeName, ReasonPodGC)
}
