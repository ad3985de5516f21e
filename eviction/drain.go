package eviction

import (
	"errors"
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// kubectl drain's fixed intervals (staging/src/k8s.io/kubectl/pkg/drain/drain.go).
const (
	// DrainEvictionRetryInterval is how long kubectl sleeps after an eviction is
	// refused with 429 before it tries again.
	DrainEvictionRetryInterval = 5 * time.Second
	// DrainPollInterval is how often kubectl checks that an evicted pod is gone.
	DrainPollInterval = 1 * time.Second
)

// MirrorPodAnnotation marks a static pod's mirror in the API; kubectl drain skips such
// pods (the kubelet, not the API, owns them).
const MirrorPodAnnotation = "kubernetes.io/config.mirror"

// Outcomes written in DrainFinished records.
const (
	DrainDrained = "Drained"
	DrainTimeout = "Timeout"
	DrainError   = "Error"
)

// ErrDrainTimeout is wrapped by the error a drain reports when its timeout passed
// while a pod's eviction was being retried (kubectl: "global timeout reached").
var ErrDrainTimeout = errors.New("global timeout reached")

// errWaitDeadline is what kubectl's waitForDelete returns when the drain's timeout
// passes while it polls: its context's error. It is an ErrDrainTimeout.
var errWaitDeadline error = waitDeadline{}

type waitDeadline struct{}

func (waitDeadline) Error() string        { return "context deadline exceeded" }
func (waitDeadline) Is(target error) bool { return target == ErrDrainTimeout }

// DrainOptions are kubectl drain's options, as used with --ignore-daemonsets
// --delete-emptydir-data --force: running pods of an existing DaemonSet and mirror pods
// are skipped, every other pod on the node is evicted (finished DaemonSet pods and
// those of a deleted DaemonSet too).
type DrainOptions struct {
	// Timeout is --timeout: give up after this long. Zero waits forever.
	Timeout time.Duration
	// GracePeriodSeconds is --grace-period: nil (kubectl's -1) lets each pod use its
	// own terminationGracePeriodSeconds.
	GracePeriodSeconds *int64
	// DisableEviction is --disable-eviction: delete pods instead of evicting them,
	// bypassing PodDisruptionBudgets.
	DisableEviction bool
}

func (o DrainOptions) validate() error {
	if o.Timeout < 0 {
		return errField("DrainOptions", "Timeout", o.Timeout, "must be zero (wait forever) or positive")
	}
	if o.GracePeriodSeconds != nil && *o.GracePeriodSeconds < 0 {
		return errField("DrainOptions", "GracePeriodSeconds", *o.GracePeriodSeconds, "must be nil (each pod's own) or zero or positive")
	}
	return nil
}

// Cordon marks the node unschedulable (kubectl cordon). A node already cordoned is not
// written again.
func Cordon(s *apiserver.Server, c *apiserver.Client, node string) error {
	return setUnschedulable(s, c, node, true)
}

// Uncordon marks the node schedulable again (kubectl uncordon).
func Uncordon(s *apiserver.Server, c *apiserver.Client, node string) error {
	return setUnschedulable(s, c, node, false)
}

func setUnschedulable(s *apiserver.Server, c *apiserver.Client, node string, v bool) error {
	if err := checkWiring(s, c); err != nil {
		return err
	}
	n, err := s.Nodes.Get(c, node)
	if err != nil {
		return err
	}
	if n.Unschedulable == v {
		return nil
	}
	_, err = s.Nodes.Patch(c, node, func(n *apiserver.Node) error { n.Unschedulable = v; return nil })
	return err
}

// DrainRun is a drain in progress: kubectl drain modelled as a small state machine on
// the engine (see the package documentation).
type DrainRun struct {
	s      *apiserver.Server
	c      *apiserver.Client
	node   string
	opts   DrainOptions
	onDone func(error)

	deadline    time.Duration // 0: none
	pods        []*drainPod
	outstanding int
	errs        []error
	timedOut    bool
	done        bool
	stopped     bool
	err         error
}

type drainPod struct {
	key     string
	uid     uint64
	evicted bool // the eviction was accepted: kubectl now waits for the deletion
	done    bool
}

// Drain starts draining node: it cordons the node, lists its pods, and evicts every
// pod except mirror pods and unfinished pods of an existing DaemonSet through the
// eviction API, retrying a
// refused eviction every 5 s, then waits until every evicted pod is gone. onDone (may
// be nil) is called once with nil when the node is drained, or with the error that
// ended the drain (a timeout wraps ErrDrainTimeout). Invalid options are returned as
// an error and nothing starts.
func Drain(s *apiserver.Server, c *apiserver.Client, node string, opts DrainOptions, onDone func(error)) (*DrainRun, error) {
	if err := checkWiring(s, c); err != nil {
		return nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if node == "" {
		return nil, errField("Drain", "node", `""`, "must name a node")
	}
	d := &DrainRun{s: s, c: c, node: node, opts: opts, onDone: onDone}
	now := s.Now()
	if opts.Timeout > 0 {
		d.deadline = now + opts.Timeout
	}
	traceAdd(s.Trace, now, "DrainStarted", sim.S("node", node))
	if err := Cordon(s, c, node); err != nil {
		d.finish(err)
		return d, nil
	}
	d.after(c.Took(), d.list)
	return d, nil
}

// Done reports whether the drain has finished (or was stopped).
func (d *DrainRun) Done() bool { return d.done }

// Err is the drain's result once Done: nil when the node was drained.
func (d *DrainRun) Err() error { return d.err }

// Stop abandons the drain (kubectl interrupted): no further request is made, onDone is
// not called, and no DrainFinished record is written.
func (d *DrainRun) Stop() {
	d.stopped = true
	d.done = true
}

func (d *DrainRun) after(delay time.Duration, fn func()) {
	_, _ = d.s.Engine.At(d.s.Now()+delay, func() {
		if !d.stopped {
			fn()
		}
	})
}

// list is GetPodsForDeletion: the node's pods through kubectl's filters (see
// keepForDrain). A pod a filter fails on (a DaemonSet that cannot be read) ends the
// drain with an error before any pod is evicted, as kubectl drain does.
func (d *DrainRun) list() {
	all, err := d.s.Pods.List(d.c)
	took := d.c.Took()
	if err != nil {
		d.finish(fmt.Errorf("unable to list pods on node %q: %w", d.node, err))
		return
	}
	var errs []error
	for _, p := range all {
		if p.NodeName != d.node {
			continue
		}
		keep, err := d.keepForDrain(p, &took)
		if err != nil {
			errs = append(errs, fmt.Errorf("cannot delete %w: %s", err, p.Key()))
			continue
		}
		if keep {
			d.pods = append(d.pods, &drainPod{key: p.Key(), uid: p.UID})
		}
	}
	if len(errs) > 0 {
		d.pods = nil
		d.finish(errors.Join(errs...))
		return
	}
	d.outstanding = len(d.pods)
	if d.outstanding == 0 {
		d.finish(nil)
		return
	}
	for _, dp := range d.pods {
		d.after(took, func() { d.evict(dp) })
	}
	if d.deadline > 0 {
		_, _ = d.s.Engine.At(d.deadline, d.expire)
	}
}

// keepForDrain runs kubectl's pod filters in its order (staging/src/k8s.io/kubectl
// pkg/drain/filters.go makeFilters), with --ignore-daemonsets --delete-emptydir-data
// --force: daemonSetFilter first — a pod controlled by a DaemonSet is deleted when it
// has finished (Succeeded or Failed) or when its DaemonSet is gone (NotFound: --force
// deletes the orphan), skipped when the DaemonSet exists, and any other error reading
// it is the pod's error — then mirrorPodFilter skips mirror pods; the emptyDir and
// unreplicated filters pass everything under those flags.
// The GET's duration is added to *took.
func (d *DrainRun) keepForDrain(p *apiserver.Pod, took *time.Duration) (bool, error) {
	if ref, ok := p.ControllerRef(); ok && ref.Kind == "DaemonSet" && !p.Terminal() {
		_, err := d.s.DaemonSets.Get(d.c, p.Namespace+"/"+ref.Name)
		*took += d.c.Took()
		switch {
		case err == nil:
			return false, nil
		case !apiserver.IsNotFound(err):
			return false, err
		}
	}
	_, mirror := p.Annotations[MirrorPodAnnotation]
	return !mirror, nil
}

func (d *DrainRun) expired() bool { return d.deadline > 0 && d.s.Now() >= d.deadline }

// evict is one iteration of kubectl's per-pod eviction loop.
func (d *DrainRun) evict(dp *drainPod) {
	if d.stopped || dp.done {
		return
	}
	if d.expired() {
		d.podDone(dp, fmt.Errorf("error when evicting pods/%q -n %q: %w: %v", nameOf(dp.key), nsOf(dp.key), ErrDrainTimeout, d.opts.Timeout))
		return
	}
	var err error
	if d.opts.DisableEviction {
		err = d.s.Pods.Delete(d.c, dp.key, apiserver.DeleteOptions{GracePeriodSeconds: d.opts.GracePeriodSeconds})
	} else {
		err = d.s.Evict(d.c, dp.key, d.opts.GracePeriodSeconds)
	}
	now := d.s.Now()
	took := d.c.Took()
	switch {
	case err == nil:
		dp.evicted = true
		traceAdd(d.s.Trace, now, "PodEvicted", sim.S("pod", dp.key), sim.S("node", d.node), sim.S("reason", ReasonDrain))
		d.after(took, func() { d.poll(dp) })
	case apiserver.IsNotFound(err):
		d.podDone(dp, nil)
	case apiserver.IsTooManyRequests(err):
		traceAdd(d.s.Trace, now, "EvictionRefused", sim.S("pod", dp.key), sim.S("node", d.node), sim.S("message", err.Error()))
		d.after(took+DrainEvictionRetryInterval, func() { d.evict(dp) })
	default:
		d.c.TraceError("create", "pods/eviction", err)
		d.podDone(dp, fmt.Errorf("error when evicting pods/%q -n %q: %w", nameOf(dp.key), nsOf(dp.key), err))
	}
}

// poll is waitForDelete: the pod is gone when GET says NotFound or returns another
// pod (a new UID) of the same name.
func (d *DrainRun) poll(dp *drainPod) {
	if d.stopped || dp.done {
		return
	}
	p, err := d.s.Pods.Get(d.c, dp.key)
	if apiserver.IsNotFound(err) || (err == nil && p.UID != dp.uid) {
		d.podDone(dp, nil)
		return
	}
	// Any other error ends kubectl's wait for this pod.
	if err != nil {
		d.podDone(dp, fmt.Errorf("error when waiting for pod %q in namespace %q to terminate: %w", nameOf(dp.key), nsOf(dp.key), err))
		return
	}
	d.after(d.c.Took()+DrainPollInterval, func() { d.poll(dp) })
}

// expire ends the wait of every pod that is waiting for its deletion; pods sleeping
// between refused evictions notice the timeout when they wake, as kubectl's do.
func (d *DrainRun) expire() {
	if d.stopped || d.done {
		return
	}
	d.timedOut = true
	for _, dp := range d.pods {
		if !dp.done && dp.evicted {
			d.podDone(dp, fmt.Errorf("error when waiting for pod %q in namespace %q to terminate: %w", nameOf(dp.key), nsOf(dp.key), errWaitDeadline))
		}
	}
}

func (d *DrainRun) podDone(dp *drainPod, err error) {
	dp.done = true
	d.outstanding--
	if err != nil {
		d.errs = append(d.errs, err)
	}
	if d.outstanding == 0 {
		d.finish(errors.Join(d.errs...))
	}
}

func (d *DrainRun) finish(err error) {
	if d.done {
		return
	}
	d.done = true
	d.err = err
	outcome := DrainDrained
	switch {
	case err != nil && errors.Is(err, ErrDrainTimeout):
		outcome = DrainTimeout
	case err != nil:
		outcome = DrainError
	}
	if err != nil {
		traceAdd(d.s.Trace, d.s.Now(), "DrainFinished", sim.S("node", d.node), sim.S("outcome", outcome), sim.S("error", err.Error()))
	} else {
		traceAdd(d.s.Trace, d.s.Now(), "DrainFinished", sim.S("node", d.node), sim.S("outcome", outcome))
	}
	if d.onDone != nil {
		d.onDone(err)
	}
}

func nameOf(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			return key[i+1:]
		}
	}
	return key
}

func nsOf(key string) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			return key[:i]
		}
	}
	return ""
}
