package lease

import (
	"errors"
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Upstream constants of the lease controller
// (staging/src/k8s.io/component-helpers/apimachinery/lease/controller.go) and of the
// kubelet's use of it (pkg/kubelet/kubelet.go).
const (
	// NodeLeaseNamespace is the namespace of node Leases.
	NodeLeaseNamespace = "kube-node-lease"
	// RenewIntervalFraction is nodeLeaseRenewIntervalFraction: the renew interval is this
	// fraction of nodeLeaseDurationSeconds (0.25 × 40 s = 10 s).
	RenewIntervalFraction = 0.25
	// JitterFactor is the jitter of the renew loop (wait.JitterUntil(sync, renewInterval, 0.04, true)).
	JitterFactor = 0.04
	// MaxUpdateRetries is maxUpdateRetries: immediate UPDATE attempts per renewal.
	MaxUpdateRetries = 5
	// InitialBackoff is the starting value of backoffEnsureLease's sleep; it is doubled
	// before the first sleep, so the sleeps are 200 ms, 400 ms, … .
	InitialBackoff = 100 * time.Millisecond
	// MaxBackoff is maxBackoff: the cap of backoffEnsureLease's sleep.
	MaxBackoff = 7 * time.Second
	// DefaultLeaseDurationSeconds is the kubelet's nodeLeaseDurationSeconds default.
	DefaultLeaseDurationSeconds = 40
)

// Upstream source files the log lines point at, with the line numbers of the release
// named in the package doc.
const (
	controllerFile = "controller.go"
	nodeleaseFile  = "nodelease.go"
)

// LogEntry is one log line the controller would write through klog. The kubelet renders
// it in klog's text format.
type LogEntry struct {
	// Severity is 'I', 'W' or 'E'.
	Severity byte
	// File and Line are the upstream source position of the log call.
	File string
	Line int
	// Msg is the structured message; Err the error (empty if none).
	Msg string
	Err string
	// KV are extra key/value pairs, already quoted where klog would quote them.
	KV []string
}

// Config configures a Controller. Zero values take upstream's defaults.
type Config struct {
	// HolderIdentity is the Lease name and spec.holderIdentity: the node name.
	HolderIdentity string
	// Namespace of the Lease; default kube-node-lease.
	Namespace string
	// LeaseDurationSeconds is nodeLeaseDurationSeconds (default 40), written into
	// spec.leaseDurationSeconds.
	LeaseDurationSeconds int32
	// RenewInterval defaults to RenewIntervalFraction × LeaseDurationSeconds.
	RenewInterval time.Duration
	// JitterFactor of the renew loop; default 0.04. NoJitter turns it off.
	JitterFactor float64
	// NoJitter turns the renew loop's jitter off (for arithmetic schedules in tests and
	// for the lazy/exact comparison).
	NoJitter bool
	// OnRepeatedHeartbeatFailure is called after each failed UPDATE attempt with index ≥ 1
	// (the kubelet closes its heartbeat connections there).
	OnRepeatedHeartbeatFailure func()
	// Log receives the controller's log lines (nil: discarded).
	Log func(LogEntry)
	// Logging reports whether Log wants lines now (nil: whenever Log is set). An entry's
	// error and values are formatted only when it does.
	Logging func() bool
	// WantSteady is asked before each fast-path renewal; if it returns true the renewal
	// is written with Steady = true and, once it succeeds, the controller stops writing
	// and renews virtually (lazy mode, docs/ARCHITECTURE.md). Nil: never steady.
	WantSteady func() bool
	// OnSteady is called right after a Steady write succeeded.
	OnSteady func()
	// LazyFailures lets a jittered loop stuck in backoffEnsureLease behind a partition or
	// an outage (every GET fails, nothing is logged) run virtually: it schedules nothing
	// until what its client meets changes (apiserver.Client.BeforeChange) or CatchUp is
	// called, which replay the failed attempts as exact mode made them (see the package
	// doc).
	LazyFailures bool
}

// DefaultRenewInterval is the renew interval for a lease duration: RenewIntervalFraction
// of it (10 s for 40 s).
func DefaultRenewInterval(leaseDurationSeconds int32) time.Duration {
	return time.Duration(float64(time.Duration(leaseDurationSeconds)*time.Second) * RenewIntervalFraction)
}

// Controller is the kubelet's node-lease controller: it creates the node's Lease and
// renews it every renew interval (see the package doc).
type Controller struct {
	s      *apiserver.Server
	c      *apiserver.Client
	jitter sim.JitterCycle // the loop's waits, keyed by one draw of New's Rand
	cfg    Config
	key    string
	timer  *sim.Timer
	period time.Duration

	running bool
	latest  *apiserver.Lease
	scratch apiserver.Lease

	// the sync in progress
	phase     phase
	syncStart time.Duration
	wait      time.Duration
	attempt   int
	base      *apiserver.Lease
	slowRetry bool // the retryUpdateLease after backoffEnsureLease
	fromRetry bool // backoffEnsureLease called for a Conflict inside retryUpdateLease
	sleep     time.Duration
	steadyReq bool
	failErr   error

	// lazy mode
	steady    bool
	virtLast  time.Duration // renewTime of the last (virtual) renewal
	virtNext  time.Duration // when the next renewal is due
	virtTook  time.Duration // modelled duration of a healthy renewal
	renewals  uint64
	lastRenew time.Duration

	// behind a partition or an outage (LazyFailures): backoffEnsureLease runs
	// virtually, its next GET due at behindNext, each failing after behindTook.
	behind     bool
	behindNext time.Duration
	behindTook time.Duration
}

type phase uint8

const (
	phaseIdle phase = iota
	phaseUpdate
	phaseEnsure
	phaseUpdateFailed // a failed UPDATE's answer arrives (after its request time)
	phaseEnsureFailed // a failed ensure-lease's answer arrives
)

// New returns a stopped controller. r keys the loop's jitter (one draw, for a
// sim.JitterCycle); it should be the controller's own stream (e.g.
// sim.NewRand(seed, "kubelet/"+node+"/lease")).
func New(s *apiserver.Server, c *apiserver.Client, r *sim.Rand, cfg Config) (*Controller, error) {
	if s == nil || c == nil {
		return nil, errors.New("lease: server and client are required")
	}
	if cfg.HolderIdentity == "" {
		return nil, errors.New("lease: HolderIdentity must be set (the node name)")
	}
	if cfg.Namespace == "" {
		cfg.Namespace = NodeLeaseNamespace
	}
	if cfg.LeaseDurationSeconds < 0 {
		return nil, fmt.Errorf("lease: LeaseDurationSeconds must be positive, got %d", cfg.LeaseDurationSeconds)
	}
	if cfg.LeaseDurationSeconds == 0 {
		cfg.LeaseDurationSeconds = DefaultLeaseDurationSeconds
	}
	if cfg.RenewInterval < 0 {
		return nil, fmt.Errorf("lease: RenewInterval must not be negative, got %v", cfg.RenewInterval)
	}
	if cfg.RenewInterval == 0 {
		cfg.RenewInterval = DefaultRenewInterval(cfg.LeaseDurationSeconds)
	}
	if cfg.JitterFactor < 0 {
		return nil, fmt.Errorf("lease: JitterFactor must be zero or positive, got %v", cfg.JitterFactor)
	}
	if cfg.JitterFactor == 0 {
		cfg.JitterFactor = JitterFactor
	}
	if cfg.NoJitter {
		cfg.JitterFactor = 0
	}
	if cfg.JitterFactor > 0 && r == nil {
		return nil, errors.New("lease: a jittered loop needs a Rand")
	}
	ctl := &Controller{s: s, c: c, cfg: cfg, period: cfg.RenewInterval,
		key: cfg.Namespace + "/" + cfg.HolderIdentity}
	if cfg.JitterFactor > 0 {
		ctl.jitter = sim.NewJitterCycle(r)
	}
	t, err := s.Engine.NewTimer(ctl.step)
	if err != nil {
		return nil, err
	}
	ctl.timer = t
	c.BeforeChange(ctl.CatchUp)
	return ctl, nil
}

// RenewInterval is the loop period (25 % of the lease duration by default).
func (ctl *Controller) RenewInterval() time.Duration { return ctl.period }

// Key is the Lease's "namespace/name".
func (ctl *Controller) Key() string { return ctl.key }

// Running reports whether the controller is started.
func (ctl *Controller) Running() bool { return ctl.running }

// Steady reports whether the controller renews virtually (lazy mode).
func (ctl *Controller) Steady() bool { return ctl.steady }

// Renewals is the number of successful renewals written so far (creates included).
func (ctl *Controller) Renewals() uint64 { return ctl.renewals }

// Start starts the loop with an empty cache, as a new process does: the first sync
// runs now (after the events already due now).
func (ctl *Controller) Start() {
	ctl.Stop()
	ctl.running = true
	ctl.latest = nil
	_ = ctl.timer.Schedule(ctl.s.Now())
}

// Resume starts the loop of a process that has been running since before now: its
// cache holds latest (the Lease as stored, renewed by this controller at
// latest.RenewTime) and its next renewal is due at next. With steady set (latest must
// then be stored with Steady = true) it continues in lazy mode at once, as if that
// renewal had been its Steady write; otherwise the renewal at next is real.
func (ctl *Controller) Resume(latest *apiserver.Lease, next time.Duration, steady bool) {
	ctl.Stop()
	ctl.running = true
	ctl.latest = latest
	ctl.lastRenew = latest.RenewTime
	if steady {
		ctl.steady = true
		ctl.virtLast = latest.RenewTime
		ctl.virtNext = next
		// each renewal exact mode makes takes the client's latency (the fresh client
		// of a resumed kubelet has taken no request yet: Took is 0)
		ctl.virtTook = ctl.c.Latency
		return
	}
	_ = ctl.timer.Schedule(next)
}

// Stop stops the controller (the process is gone): nothing more is sent. A steady
// controller stops renewing virtually too; call Unsteady first to materialise its
// last renewal.
func (ctl *Controller) Stop() {
	ctl.running = false
	ctl.steady = false
	ctl.behind = false
	ctl.phase = phaseIdle
	ctl.timer.Stop()
}

func (ctl *Controller) drawWait() time.Duration {
	if ctl.cfg.JitterFactor > 0 {
		return ctl.jitter.Next(ctl.period, ctl.cfg.JitterFactor)
	}
	return ctl.period
}

// step runs whatever is due: a new sync, the next UPDATE attempt or the next
// ensure-lease attempt.
func (ctl *Controller) step() {
	if !ctl.running {
		return
	}
	switch ctl.phase {
	case phaseIdle:
		ctl.sync()
	case phaseUpdate:
		ctl.tryUpdate(0)
	case phaseEnsure:
		ctl.tryEnsure(0)
	case phaseUpdateFailed:
		ctl.updateFailed(ctl.failErr, 0)
	case phaseEnsureFailed:
		ctl.ensureFailed(ctl.failErr, 0)
	}
}

// sync is one run of the JitterUntil loop.
func (ctl *Controller) sync() {
	now := ctl.s.Now()
	ctl.syncStart = now
	// sim.Loop draws the wait before the run; the same order keeps the per-node
	// stream of draws identical to a sim.Loop's.
	ctl.wait = ctl.drawWait()
	ctl.steadyReq = false
	ctl.attempt = 0
	if ctl.latest != nil {
		if ctl.cfg.WantSteady != nil && ctl.cfg.WantSteady() {
			ctl.steadyReq = true
		}
		ctl.slowRetry = false
		ctl.base = ctl.latest
		ctl.phase = phaseUpdate
		ctl.tryUpdate(0)
		return
	}
	ctl.startEnsure(false, 0)
}

// tryUpdate is one attempt of retryUpdateLease; spent is the time already used in this
// step (requests earlier in the same instant).
func (ctl *Controller) tryUpdate(spent time.Duration) {
	// a shallow scratch copy: Update deep-copies what it stores, and nothing shared is
	// mutated here (setOwner assigns a new slice), so a renewal allocates nothing of ours.
	ctl.scratch = *ctl.base
	l := &ctl.scratch
	l.RenewTime = ctl.s.Now()
	l.HolderIdentity = ctl.cfg.HolderIdentity
	l.LeaseDurationSeconds = ctl.cfg.LeaseDurationSeconds
	l.Steady = ctl.steadyReq
	took := spent
	err := ctl.setOwner(l, &took)
	if err == nil {
		var got *apiserver.Lease
		got, err = ctl.s.Leases.Update(ctl.c, l)
		took += ctl.took(err)
		if err == nil {
			ctl.latest = got
			ctl.renewals++
			ctl.lastRenew = got.RenewTime
			ctl.finish(took)
			return
		}
		ctl.c.TraceError("update", "leases", err)
	}
	if took > 0 {
		// the failure is known (and logged) when the request returns.
		ctl.failErr = err
		ctl.phase = phaseUpdateFailed
		ctl.after(took)
		return
	}
	ctl.updateFailed(err, 0)
}

// updateFailed handles a failed UPDATE attempt at the instant its answer arrived.
func (ctl *Controller) updateFailed(err error, took time.Duration) {
	ctl.failErr = nil
	ctl.log('E', 109, "Failed to update lease", err)
	if apiserver.IsConflict(err) {
		// OptimisticLockError: re-fetch through backoffEnsureLease and go on.
		ctl.startEnsure(true, took)
		return
	}
	if ctl.attempt > 0 && ctl.cfg.OnRepeatedHeartbeatFailure != nil {
		ctl.cfg.OnRepeatedHeartbeatFailure()
	}
	ctl.nextAttempt(took)
}

var errUpdateRetries = fmt.Errorf("failed %d attempts to update lease", MaxUpdateRetries)

// nextAttempt moves retryUpdateLease to its next attempt, or gives up.
func (ctl *Controller) nextAttempt(took time.Duration) {
	ctl.attempt++
	if ctl.attempt < MaxUpdateRetries {
		ctl.phase = phaseUpdate
		ctl.after(took)
		return
	}
	ctl.attempt = 0
	if ctl.slowRetry {
		if ctl.logging() {
			ctl.log('E', 95, errUpdateRetries.Error()+", will retry after "+ctl.period.String(), nil)
		}
		ctl.finish(took)
		return
	}
	ctl.log('I', 82, "Failed to update lease using latest lease, fallback to ensure lease", errUpdateRetries)
	ctl.startEnsure(false, took)
}

func (ctl *Controller) startEnsure(fromRetry bool, spent time.Duration) {
	ctl.phase = phaseEnsure
	ctl.fromRetry = fromRetry
	ctl.sleep = InitialBackoff
	if spent > 0 {
		ctl.after(spent)
		return
	}
	ctl.tryEnsure(0)
}

// tryEnsure is one attempt of backoffEnsureLease (GET, then CREATE if absent).
func (ctl *Controller) tryEnsure(spent time.Duration) {
	took := spent
	l, created, err := ctl.ensure(&took)
	if err != nil {
		if took > 0 {
			ctl.failErr = err
			ctl.phase = phaseEnsureFailed
			ctl.after(took)
			return
		}
		ctl.ensureFailed(err, 0)
		return
	}
	if ctl.fromRetry {
		// back inside retryUpdateLease, after a Conflict: continue with the next attempt.
		ctl.fromRetry = false
		if l != nil {
			ctl.base = l
		}
		ctl.nextAttempt(took)
		return
	}
	ctl.latest = l
	if created {
		ctl.renewals++
		ctl.lastRenew = l.RenewTime
	}
	if created || l == nil {
		ctl.finish(took)
		return
	}
	ctl.slowRetry = true
	ctl.attempt = 0
	ctl.base = l
	ctl.phase = phaseUpdate
	if took > 0 {
		ctl.after(took)
		return
	}
	ctl.tryUpdate(0)
}

// ensureFailed logs a failed ensure-lease attempt and sleeps before the next one.
func (ctl *Controller) ensureFailed(err error, took time.Duration) {
	ctl.failErr = nil
	ctl.phase = phaseEnsure
	ctl.sleep = min(2*ctl.sleep, MaxBackoff)
	if ctl.logging() { // every backoff step of a partitioned kubelet
		ctl.log('E', 124, "Failed to ensure lease exists, will retry", err, "interval", fmt.Sprintf("%q", ctl.sleep.String()))
	}
	if fail, failing := ctl.c.Failing(); failing && took == 0 && ctl.mayGoBehind() {
		ctl.behind, ctl.behindNext, ctl.behindTook = true, ctl.s.Now()+ctl.sleep, fail
		return
	}
	ctl.after(took + ctl.sleep)
}

// mayGoBehind reports whether the backoff ahead, every GET of which fails until what
// the client meets changes, may run virtually: in lazy mode, with nothing logged.
// Jitter off is excluded for the reason the kubelet's steady status loop keeps ticking
// without it (the loops of nodes in phase share instants, where only a timer never
// rescheduled keeps exact mode's place).
func (ctl *Controller) mayGoBehind() bool {
	return ctl.cfg.LazyFailures && ctl.cfg.JitterFactor > 0 && !ctl.logging()
}

// CatchUp materialises a loop that runs virtually behind a partition or an outage
// (Config.LazyFailures): the GETs exact mode sent before now failed there too, each
// answered after the fault's delay and followed by the doubled sleep, and the step
// exact mode has pending (the next GET, or the answer of one sent before now) is
// scheduled at its instant. It does nothing otherwise. The client's BeforeChange hook
// calls it; so must anything that acts on the controller before the fault ends.
func (ctl *Controller) CatchUp() {
	if !ctl.behind {
		return
	}
	ctl.behind = false
	now := ctl.s.Now()
	t, sleep, timeout := ctl.behindNext, ctl.sleep, ctl.behindTook
	for t < now {
		if t+timeout >= now {
			// sent before now, answered from now on
			ctl.sleep = sleep
			ctl.failErr = ctl.c.TimeoutError(ctl.s.Leases.Resource)
			ctl.phase = phaseEnsureFailed
			_ = ctl.timer.Schedule(t + timeout)
			return
		}
		if step := timeout + MaxBackoff; sleep == MaxBackoff && now-t > 2*step {
			// at the cap every round is the same: skip the whole ones
			t += ((now-t)/step - 1) * step
			continue
		}
		sleep = min(2*sleep, MaxBackoff)
		t += timeout + sleep
	}
	ctl.sleep = sleep
	ctl.phase = phaseEnsure
	_ = ctl.timer.Schedule(t)
}

// ensure is ensureLease: the lease, whether this call created it, and an error.
func (ctl *Controller) ensure(took *time.Duration) (*apiserver.Lease, bool, error) {
	got, err := ctl.s.Leases.Get(ctl.c, ctl.key)
	*took += ctl.took(err)
	if apiserver.IsNotFound(err) {
		l := &apiserver.Lease{
			ObjectMeta:           apiserver.ObjectMeta{Namespace: ctl.cfg.Namespace, Name: ctl.cfg.HolderIdentity},
			HolderIdentity:       ctl.cfg.HolderIdentity,
			LeaseDurationSeconds: ctl.cfg.LeaseDurationSeconds,
			RenewTime:            ctl.s.Now(),
		}
		if ctl.setOwner(l, took) != nil {
			// the owner reference could not be set: skip the create this time.
			return nil, false, nil
		}
		created, err := ctl.s.Leases.Create(ctl.c, l)
		*took += ctl.took(err)
		if err != nil {
			ctl.c.TraceError("create", "leases", err)
			return nil, false, err
		}
		return created, true, nil
	}
	if err != nil {
		ctl.c.TraceError("get", "leases", err)
		return nil, false, err
	}
	return got, false, nil
}

// setOwner is the kubelet's SetNodeOwnerFunc (pkg/kubelet/util/nodelease.go): a lease
// without owner references gets one to the Node, whose UID it must GET.
func (ctl *Controller) setOwner(l *apiserver.Lease, took *time.Duration) error {
	if len(l.OwnerReferences) > 0 {
		return nil
	}
	n, err := ctl.s.Nodes.Get(ctl.c, ctl.cfg.HolderIdentity)
	*took += ctl.took(err)
	if err != nil {
		ctl.c.TraceError("get", "nodes", err)
		if ctl.logging() {
			ctl.logTo('E', nodeleaseFile, 44, "Failed to get node when trying to set owner ref to the node lease", err,
				"node", fmt.Sprintf("%q", ctl.cfg.HolderIdentity))
		}
		return err
	}
	l.OwnerReferences = []apiserver.OwnerReference{{Kind: "Node", Name: ctl.cfg.HolderIdentity, UID: n.UID}}
	return nil
}

// took is how long one request lasted.
func (ctl *Controller) took(err error) time.Duration {
	if err != nil {
		return apiserver.Took(err)
	}
	return ctl.c.Took()
}

func (ctl *Controller) after(d time.Duration) {
	_ = ctl.timer.Schedule(ctl.s.Now() + d)
}

// finish ends the sync: the next one is due a drawn wait after it ends (sliding).
func (ctl *Controller) finish(took time.Duration) {
	ctl.phase = phaseIdle
	ctl.attempt = 0
	next := ctl.s.Now() + took + ctl.wait
	if ctl.steadyReq && ctl.latest != nil && ctl.latest.Steady {
		ctl.steadyReq = false
		ctl.steady = true
		ctl.virtLast = ctl.latest.RenewTime
		ctl.virtNext = next
		ctl.virtTook = took
		ctl.timer.Stop()
		if ctl.cfg.OnSteady != nil {
			ctl.cfg.OnSteady()
		}
		return
	}
	_ = ctl.timer.Schedule(next)
}

// LastRenewal is the renewTime of the latest renewal, virtual ones included: what an
// exact-mode controller would have written last, as of now.
func (ctl *Controller) LastRenewal() time.Duration {
	if ctl.steady {
		last, _ := ctl.catchUp(false)
		return last
	}
	return ctl.lastRenew
}

// catchUp walks the virtual schedule to now: the last renewal strictly before now and
// the next one due. With draw set it takes the waits exact mode would have taken
// (moving the jitter cycle's place); otherwise it only peeks, walking a copy of the
// cycle. Either way the answer is exact mode's.
func (ctl *Controller) catchUp(draw bool) (last, next time.Duration) {
	now := ctl.s.Now()
	last, next = ctl.virtLast, ctl.virtNext
	if next >= now {
		return last, next
	}
	took, period, f := ctl.virtTook, ctl.period, ctl.cfg.JitterFactor
	if f > 0 {
		// one wait per renewal since the lease went steady, whole cycles skipped
		c := ctl.jitter
		last, next = c.Walk(next, now, period, f, took)
		if draw {
			ctl.jitter = c
		}
		return last, next
	}
	// a fixed step: count the renewals instead of walking them.
	step := took + period
	n := (now - next + step - 1) / step // renewals due before now, the one at next included
	return next + (n-1)*step, next + n*step
}

// Unsteady leaves lazy mode at the current instant: it writes the Lease with the last
// virtual renewal's renewTime and Steady = false, and resumes the loop where exact mode
// would be. It does nothing if the controller is not steady.
func (ctl *Controller) Unsteady() {
	if !ctl.steady {
		return
	}
	last, next := ctl.catchUp(true)
	ctl.steady = false
	if ctl.latest != nil {
		l := ctl.latest.DeepCopy()
		l.RenewTime = last
		l.Steady = false
		got, err := ctl.s.Leases.Update(ctl.c, l)
		if err == nil {
			ctl.latest = got
			ctl.lastRenew = last
		} else {
			ctl.c.TraceError("update", "leases", err)
		}
	}
	ctl.phase = phaseIdle
	_ = ctl.timer.Schedule(next)
}

func (ctl *Controller) log(sev byte, line int, msg string, err error, kv ...string) {
	ctl.logTo(sev, controllerFile, line, msg, err, kv...)
}

// logging reports whether a log line would reach Log.
func (ctl *Controller) logging() bool {
	return ctl.cfg.Log != nil && (ctl.cfg.Logging == nil || ctl.cfg.Logging())
}

func (ctl *Controller) logTo(sev byte, file string, line int, msg string, err error, kv ...string) {
	if !ctl.logging() {
		return
	}
	e := LogEntry{Severity: sev, File: file, Line: line, Msg: msg, KV: kv}
	if err != nil {
		e.Err = err.Error()
	}
	ctl.cfg.Log(e)
}
