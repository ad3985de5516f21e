package leaderelection

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Defaults of kube-controller-manager's --leader-elect-* flags
// (component-base/config/v1alpha1 defaults) and client-go's acquire jitter.
const (
	DefaultLeaseDuration = 15 * time.Second
	DefaultRenewDeadline = 10 * time.Second
	DefaultRetryPeriod   = 2 * time.Second
	// JitterFactor is client-go's leaderelection JitterFactor: the acquire loop waits
	// RetryPeriod·(1 + U[0,1)·1.2) between attempts.
	JitterFactor = 1.2
	// DefaultLeaseNamespace and DefaultLeaseName name kube-controller-manager's lock.
	DefaultLeaseNamespace = "kube-system"
	DefaultLeaseName      = "kube-controller-manager"
)

// Callbacks are client-go's LeaderCallbacks. Any may be nil.
type Callbacks struct {
	// OnStartedLeading runs when this candidate becomes leader.
	OnStartedLeading func()
	// OnStoppedLeading runs when a leader fails to renew within RenewDeadline.
	OnStoppedLeading func()
	// OnNewLeader runs when the observed holder changes (this candidate included).
	OnNewLeader func(identity string)
}

// Config is client-go's LeaderElectionConfig over a Lease lock.
type Config struct {
	// LeaseNamespace and LeaseName name the Lease (default kube-system/kube-controller-manager).
	LeaseNamespace, LeaseName string
	// Identity is this candidate's holderIdentity. kube-controller-manager uses the host
	// name plus "_" and a UUID drawn at process start, so a restarted process is a new
	// candidate that cannot renew its predecessor's lock.
	Identity string
	// Name is how Leader trace records name this candidate (default Identity).
	Name string
	// LeaseDuration is how long, on a candidate's own clock, a non-leader waits after last
	// seeing the record change before it may take the lock, in whole seconds: the
	// candidate writes it into the Lease as leaseDurationSeconds, dropping a fraction of
	// a second (15.5 s runs as 15 s, as client-go does), and candidates time the lock by
	// the record's value. From 1 s (the API server rejects a Lease of 0 seconds).
	LeaseDuration time.Duration
	// RenewDeadline is how long a leader keeps retrying a renewal before it gives up.
	RenewDeadline time.Duration
	// RetryPeriod is the wait between attempts.
	RetryPeriod time.Duration
	// JitterFactor jitters the acquire loop (client-go: 1.2).
	JitterFactor float64
	// FirstRenewal, if set, is when, after creating the Lease (no leader before it),
	// this candidate renews first, instead of after RetryPeriod: the phase of the
	// renew loop of a leader that has been renewing since before time zero. Upstream's
	// loop is sliding (the next round starts RetryPeriod after the last returned), so
	// its phase against any given instant is arbitrary.
	FirstRenewal func() time.Duration
	// Callbacks are called on leadership changes.
	Callbacks Callbacks
}

// DefaultConfig returns kube-controller-manager's defaults for identity.
func DefaultConfig(identity string) Config {
	return Config{LeaseNamespace: DefaultLeaseNamespace, LeaseName: DefaultLeaseName, Identity: identity,
		LeaseDuration: DefaultLeaseDuration, RenewDeadline: DefaultRenewDeadline,
		RetryPeriod: DefaultRetryPeriod, JitterFactor: JitterFactor}
}

// Validate applies client-go NewLeaderElector's checks.
func (c Config) Validate() error {
	switch {
	case c.LeaseName == "":
		return errors.New("leaderelection: LeaseName: must not be empty")
	case c.Identity == "":
		return errors.New("leaderelection: Identity: must not be empty (the lock's holderIdentity)")
	case c.LeaseDuration <= 0 || c.RenewDeadline <= 0 || c.RetryPeriod <= 0:
		return fmt.Errorf("leaderelection: LeaseDuration, RenewDeadline and RetryPeriod must be positive, got %v, %v, %v",
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod)
	case c.LeaseDuration <= c.RenewDeadline:
		return fmt.Errorf("leaderelection: LeaseDuration (%v) must be greater than RenewDeadline (%v)", c.LeaseDuration, c.RenewDeadline)
	case c.JitterFactor < 0:
		return fmt.Errorf("leaderelection: JitterFactor: got %v, must be zero or positive", c.JitterFactor)
	case float64(c.RenewDeadline) <= c.JitterFactor*float64(c.RetryPeriod):
		return fmt.Errorf("leaderelection: RenewDeadline (%v) must be greater than JitterFactor*RetryPeriod (%v*%v)",
			c.RenewDeadline, c.JitterFactor, c.RetryPeriod)
	case c.LeaseDuration < time.Second || c.LeaseDuration/time.Second > math.MaxInt32:
		// the Lease holds leaseDurationSeconds, an int32 the API server wants > 0
		return fmt.Errorf("leaderelection: LeaseDuration: got %v, must be from 1s to %ds (the Lease's leaseDurationSeconds)", c.LeaseDuration, math.MaxInt32)
	}
	return nil
}

// leaseDurationSeconds is what the candidate writes into the Lease: client-go's
// tryAcquireOrRenew writes int(LeaseDuration / time.Second), dropping a fraction of a
// second, and every candidate, the leader included, times the lock by the record's
// leaseDurationSeconds, never by its own LeaseDuration.
func (c Config) leaseDurationSeconds() int32 { return int32(c.LeaseDuration / time.Second) }

// record is a LeaderElectionRecord.
type record struct {
	holder      string
	durationSec int32
	acquire     time.Duration
	renew       time.Duration
	transitions int32
}

func recordOf(l *apiserver.Lease) record {
	return record{l.HolderIdentity, l.LeaseDurationSeconds, l.AcquireTime, l.RenewTime, l.LeaseTransitions}
}

// LeaderElector is one candidate (client-go tools/leaderelection.LeaderElector).
type LeaderElector struct {
	s   *apiserver.Server
	c   *apiserver.Client
	r   *sim.Rand
	cfg Config
	key string

	acquire *sim.Loop
	renewT  *sim.Timer
	lostT   *sim.Timer

	observed     record
	hasObserved  bool
	observedTime time.Duration
	reported     string
	leading      bool
	created      bool // this candidate created the Lease (see Config.FirstRenewal)
	// lastLease is the Lease this candidate last wrote (the fast path updates it);
	// took, how long its last attempt's requests took together
	lastLease *apiserver.Lease
	// raw is the record this candidate last read from the Lease (observedRawRecord)
	raw        record
	hasRaw     bool
	took       time.Duration
	running    bool
	roundStart time.Duration

	// Lazy mode, driven by a Process (see lazy.go). wantSteady is asked before each
	// renewal; onSteady runs once a steady renewal was written. Both nil: exact.
	wantSteady func() bool
	onSteady   func()
	steady     bool          // leader: renewing virtually since steadyRec.renew
	steadyRec  record        // the record of the steady write
	virtual    bool          // standby: polling virtually
	vNext      time.Duration // when the next (virtual) poll is due
	// seq numbers the schedulings of the acquire loop and of renewT, in the order the
	// engine takes them, on a counter shared by a Process's electors: the order of their
	// events due at the same instant (see lazy.go).
	seq      *uint64
	pollSeq  uint64 // of the pending (or virtual) poll
	renewSeq uint64 // of the pending renewal
}

// New returns a stopped candidate. r supplies the acquire loop's jitter (a stream of its
// own, e.g. sim.NewRand(seed, "leaderelection/"+identity)).
func New(s *apiserver.Server, c *apiserver.Client, r *sim.Rand, cfg Config) (*LeaderElector, error) {
	if s == nil || c == nil {
		return nil, errors.New("leaderelection: New needs a server and a client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.JitterFactor > 0 && r == nil {
		return nil, errors.New("leaderelection: a jittered acquire loop needs a *sim.Rand")
	}
	le := &LeaderElector{s: s, c: c, r: r, cfg: cfg, key: cfg.LeaseName, seq: new(uint64)}
	if cfg.LeaseNamespace != "" {
		le.key = cfg.LeaseNamespace + "/" + cfg.LeaseName
	}
	var err error
	le.acquire, err = s.Engine.NewLoop(sim.LoopConfig{Period: cfg.RetryPeriod, JitterFactor: cfg.JitterFactor, Sliding: true, Rand: r}, le.tryAcquire)
	if err != nil {
		return nil, err
	}
	le.renewT, _ = s.Engine.NewTimer(le.renewAttempt)
	le.lostT, _ = s.Engine.NewTimer(le.lose)
	return le, nil
}

// Start begins campaigning now (client-go Run: acquire, then renew).
func (le *LeaderElector) Start() {
	if le.running {
		return
	}
	le.running = true
	le.acquire.Start()
	le.pollSeq = le.next()
}

// next takes the next sequence number of the elector's schedulings.
func (le *LeaderElector) next() uint64 {
	*le.seq++
	return *le.seq
}

// Stop ends the candidate without releasing the lock (a crash, or ReleaseOnCancel off):
// every timer is cancelled and no callback runs.
func (le *LeaderElector) Stop() {
	le.running = false
	le.leading = false
	le.steady = false
	le.virtual = false
	le.acquire.Stop()
	le.renewT.Stop()
	le.lostT.Stop()
}

// IsLeader reports whether this candidate currently leads.
func (le *LeaderElector) IsLeader() bool { return le.leading }

// Leader is the holder this candidate last observed.
func (le *LeaderElector) Leader() string { return le.observed.holder }

// Identity is the candidate's identity.
func (le *LeaderElector) Identity() string { return le.cfg.Identity }

func (le *LeaderElector) tryAcquire() time.Duration {
	if le.tryAcquireOrRenew(false) {
		le.acquire.Stop()
		le.leading = true
		name := le.cfg.Name
		if name == "" {
			name = le.cfg.Identity
		}
		le.s.Trace.Add(le.s.Now(), "Leader", sim.S("holder", name))
		if f := le.cfg.Callbacks.OnStartedLeading; f != nil {
			f()
		}
		if le.running && le.leading {
			first := le.cfg.RetryPeriod
			if le.created && le.cfg.FirstRenewal != nil {
				first = le.cfg.FirstRenewal()
			}
			_ = le.renewT.Schedule(le.s.Now() + first)
			le.renewSeq = le.next()
			le.roundStart = -1
		}
		return 0
	}
	le.pollSeq = le.next() // the loop schedules its next run right after this returns
	return le.took
}

// renewAttempt is one poll of the renew loop: rounds start RetryPeriod after a success;
// within a round attempts repeat every RetryPeriod until RenewDeadline from its start.
func (le *LeaderElector) renewAttempt() {
	now := le.s.Now()
	if le.roundStart < 0 {
		le.roundStart = now
		_ = le.lostT.Schedule(now + le.cfg.RenewDeadline)
	}
	steady := le.wantSteady != nil && le.wantSteady()
	if le.tryAcquireOrRenew(steady) {
		le.lostT.Stop()
		le.roundStart = -1
		le.renewSeq = le.next()
		if steady {
			// lazy mode: the next renewals are virtual, every RetryPeriod from now.
			le.steady, le.steadyRec = true, le.observed
			if le.onSteady != nil {
				le.onSteady()
			}
			return
		}
		_ = le.renewT.Schedule(now + le.cfg.RetryPeriod)
		return
	}
	next := now + max(le.cfg.RetryPeriod, le.took)
	if next < le.roundStart+le.cfg.RenewDeadline {
		_ = le.renewT.Schedule(next)
		le.renewSeq = le.next()
	}
}

// lose: no successful renewal within RenewDeadline ("leaderelection lost").
func (le *LeaderElector) lose() {
	le.renewT.Stop()
	le.leading = false
	le.running = false
	if f := le.cfg.Callbacks.OnStoppedLeading; f != nil {
		f()
	}
}

// tryAcquireOrRenew is client-go's: create the lock if missing; remember when the record was
// last seen changing (observedTime, the local clock); give up while another holder's lease
// has not expired on that clock; otherwise write ourselves as holder. steady marks the
// write as lazy mode's steady renewal (apiserver.Lease.Steady).
func (le *LeaderElector) tryAcquireOrRenew(steady bool) bool {
	now := le.s.Now()
	want := record{holder: le.cfg.Identity, durationSec: le.cfg.leaseDurationSeconds(), acquire: now, renew: now}
	le.took = 0
	// 1. The leader's fast path: while its lease is valid on its own clock, it updates
	// the Lease it last wrote without reading it first; a failure (the API down, or a
	// Conflict because someone else wrote it) falls back to the read below.
	if le.lastLease != nil && le.observed.holder == le.cfg.Identity &&
		le.observedTime+time.Duration(le.observed.durationSec)*time.Second > now {
		want.acquire, want.transitions = le.observed.acquire, le.observed.transitions
		nl := le.lastLease.DeepCopy()
		nl.HolderIdentity, nl.LeaseDurationSeconds, nl.AcquireTime, nl.RenewTime, nl.LeaseTransitions =
			want.holder, want.durationSec, want.acquire, want.renew, want.transitions
		nl.Steady = steady
		stored, err := le.s.Leases.Update(le.c, nl)
		le.took += le.c.Took()
		if err == nil {
			le.lastLease = stored
			le.observe(want, now)
			return true
		}
		want.acquire, want.transitions = now, 0
	}
	// 2. Read the lock, or create it.
	old, err := le.s.Leases.Get(le.c, le.key)
	le.took += le.c.Took()
	if err != nil {
		if !apiserver.IsNotFound(err) {
			return false
		}
		l := &apiserver.Lease{ObjectMeta: apiserver.ObjectMeta{Namespace: le.cfg.LeaseNamespace, Name: le.cfg.LeaseName},
			HolderIdentity: want.holder, LeaseDurationSeconds: want.durationSec, AcquireTime: now, RenewTime: now}
		stored, err := le.s.Leases.Create(le.c, l)
		le.took += le.c.Took()
		if err != nil {
			return false
		}
		le.lastLease = stored
		le.created = true
		le.observe(want, now)
		return true
	}
	oldRec := recordOf(old)
	if !le.hasRaw || !sameRaw(oldRec, le.raw) {
		le.observe(oldRec, now)
		le.raw, le.hasRaw = oldRec, true
	}
	isLeader := le.observed.holder == le.cfg.Identity
	valid := le.observedTime+time.Duration(le.observed.durationSec)*time.Second > now
	if oldRec.holder != "" && valid && !isLeader {
		return false // "lock is held by … and has not yet expired"
	}
	if isLeader {
		want.acquire, want.transitions = oldRec.acquire, oldRec.transitions
	} else {
		want.transitions = oldRec.transitions + 1
	}
	nl := old.DeepCopy()
	nl.HolderIdentity, nl.LeaseDurationSeconds, nl.AcquireTime, nl.RenewTime, nl.LeaseTransitions =
		want.holder, want.durationSec, want.acquire, want.renew, want.transitions
	nl.Steady = steady
	stored, err := le.s.Leases.Update(le.c, nl)
	le.took += le.c.Took()
	if err != nil {
		return false
	}
	le.lastLease = stored
	le.observe(want, now)
	return true
}

// sameRaw reports whether two records read from the Lease encode alike: client-go
// compares the JSON of the LeaderElectionRecord it reads with the last one it read
// (observedRawRecord), and metav1.Time encodes in whole seconds (RFC 3339), so two
// renewals within one second look the same (this shows with a retryPeriod under 1 s).
func sameRaw(a, b record) bool {
	sec := func(d time.Duration) time.Duration {
		if d < 0 && d%time.Second != 0 {
			return d/time.Second - 1
		}
		return d / time.Second
	}
	return a.holder == b.holder && a.durationSec == b.durationSec && a.transitions == b.transitions &&
		sec(a.acquire) == sec(b.acquire) && sec(a.renew) == sec(b.renew)
}

func (le *LeaderElector) observe(r record, now time.Duration) {
	le.observed, le.hasObserved, le.observedTime = r, true, now
	if r.holder != le.reported {
		le.reported = r.holder
		if f := le.cfg.Callbacks.OnNewLeader; f != nil {
			f(r.holder)
		}
	}
}
