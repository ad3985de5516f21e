package leaderelection

import (
	"errors"
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// The kubelet's restarts of kube-controller-manager's static pod container
// (pkg/kubelet/kuberuntime doBackOff with the kubelet's crashLoopBackOff,
// flowcontrol.Backoff, v1.31.0–v1.37.2): a container that exits with no back-off in
// force runs again as soon as the kubelet's PLEG relist (every second) sees the exit;
// the restart starts a back-off of 10 s, doubled at each restart up to 300 s, and an
// exit more than 600 s after the last restart starts afresh.
const (
	// DefaultRestartDelay is how long after an exit with no back-off in force the
	// container runs again: the PLEG relist period.
	DefaultRestartDelay = time.Second
	// DefaultRestartBackOff and DefaultMaxRestartBackOff are the crash-loop back-off's
	// initial and largest delays.
	DefaultRestartBackOff    = 10 * time.Second
	DefaultMaxRestartBackOff = 300 * time.Second
	// restartBackOffExpiry: an exit this long after the last restart finds no back-off.
	restartBackOffExpiry = 600 * time.Second
)

// DefaultClientTimeout is the timeout of each instance's API client (client-go has none;
// the model uses 30 s, like apiserver.NewClient's default for controllers).
const DefaultClientTimeout = 30 * time.Second

// ControllersFunc builds and starts an instance's controllers with its client when it
// becomes leader; the returned stop function stops them. It is called again, for fresh
// controllers with empty memory, on every acquisition.
type ControllersFunc func(instance int, c *apiserver.Client) (stop func(), err error)

// ProcessConfig describes the kube-controller-manager instances.
type ProcessConfig struct {
	// Instances is the number of kube-controller-manager processes (≥ 1).
	Instances int
	// Election is the leader election template; Identity is set per instance.
	Election Config
	// RestartDelay is how long a process that exited with no back-off in force takes to
	// run again; RestartBackOff (doubling up to MaxRestartBackOff) is how long it waits
	// after an exit within 600 s of its last restart (see DefaultRestartDelay).
	RestartDelay, RestartBackOff, MaxRestartBackOff time.Duration
	// ClientTimeout is each instance's client timeout.
	ClientTimeout time.Duration
	// Controllers builds the controllers of a new leader (required).
	Controllers ControllersFunc
	// Exact renews the leader's Lease for real every RetryPeriod and polls it for real
	// from every standby. Otherwise (lazy mode, see Process.Unsteady) a healthy leader
	// writes one steady renewal and then renews virtually, and its standbys poll
	// virtually, with the same outcome. A verbose trace (sim.Trace.Wants(true)) always
	// gets exact mode: its renewals must exist to be traced.
	Exact bool
	// RandomRenewPhase: the instance that creates the Lease (the leader a run starts
	// with) renews first after a delay drawn uniform in (0, RetryPeriod] from its own
	// stream, so that its renewals do not fall on RetryPeriod multiples of time zero in
	// every run: it has renewed since before time zero, with upstream's sliding loop,
	// whose phase against any given instant is arbitrary. Off, it renews RetryPeriod
	// after it creates the Lease.
	RandomRenewPhase bool
}

// DefaultProcessConfig is one instance with kube-controller-manager's defaults.
func DefaultProcessConfig(controllers ControllersFunc) ProcessConfig {
	return ProcessConfig{Instances: 1, Election: DefaultConfig("unused"), RestartDelay: DefaultRestartDelay,
		RestartBackOff: DefaultRestartBackOff, MaxRestartBackOff: DefaultMaxRestartBackOff,
		ClientTimeout: DefaultClientTimeout, Controllers: controllers}
}

type instance struct {
	p       *Process
	i       int
	id      string
	c       *apiserver.Client
	r       *sim.Rand
	le      *LeaderElector
	stop    func()
	alive   bool
	restart *sim.Timer
	err     error
	runs    int
	// the crash-loop back-off: its current delay (0: none yet) and its last restart
	backOff, backOffAt time.Duration
	inBackOff          bool // the pending restart waits out the back-off
}

// Process models kube-controller-manager instances kube-controller-manager-0…N-1, each with
// its own client and leader elector. Each run of an instance campaigns as
// "kube-controller-manager-I_RUN" (upstream: host name + "_" + a fresh UUID), and Leader
// records name the instance. A new leader builds its controllers with
// Controllers; a leader that loses the lock stops them and exits (as
// kube-controller-manager does, "leaderelection lost"), and runs again as a fresh
// candidate when the kubelet restarts its container (RestartDelay, or the back-off).
type Process struct {
	s    *apiserver.Server
	cfg  ProcessConfig
	inst []*instance
	seq  uint64 // the electors' scheduling counter (LeaderElector.seq)
	// lazy mode (lazy.go)
	steady    *instance     // the leader renewing virtually, or nil
	vLast     time.Duration // its last virtual renewal replayed so far
	vRenew    time.Duration // its next virtual renewal
	vRenewSeq uint64
}

// NewProcess validates cfg and returns stopped instances.
func NewProcess(s *apiserver.Server, cfg ProcessConfig) (*Process, error) {
	if s == nil {
		return nil, errors.New("leaderelection: NewProcess needs a server")
	}
	switch {
	case cfg.Instances < 1:
		return nil, fmt.Errorf("leaderelection: Instances: got %d, must be at least 1", cfg.Instances)
	case cfg.RestartDelay < 0:
		return nil, fmt.Errorf("leaderelection: RestartDelay: got %v, must be zero or positive", cfg.RestartDelay)
	case cfg.RestartBackOff < 0 || cfg.MaxRestartBackOff < cfg.RestartBackOff:
		return nil, fmt.Errorf("leaderelection: RestartBackOff %v and MaxRestartBackOff %v: must be zero or positive, the maximum at least the initial", cfg.RestartBackOff, cfg.MaxRestartBackOff)
	case cfg.ClientTimeout <= 0:
		return nil, fmt.Errorf("leaderelection: ClientTimeout: got %v, must be positive", cfg.ClientTimeout)
	case cfg.Controllers == nil:
		return nil, errors.New("leaderelection: Controllers: must not be nil")
	}
	check := cfg.Election
	check.Identity = "kube-controller-manager-0"
	if err := check.Validate(); err != nil {
		return nil, err
	}
	p := &Process{s: s, cfg: cfg}
	for i := 0; i < cfg.Instances; i++ {
		id := fmt.Sprintf("kube-controller-manager-%d", i)
		in := &instance{p: p, i: i, id: id, c: s.NewClient(id, cfg.ClientTimeout), r: sim.NewRand(s.Engine.Seed(), "leaderelection/"+id)}
		in.restart, _ = s.Engine.NewTimer(func() { in.restarted(); in.start() })
		p.inst = append(p.inst, in)
	}
	if !cfg.Exact {
		s.BeforeFault(p.beforeFault)
	}
	return p, nil
}

// Start starts every instance that is not running now (a pending restart is then moot).
func (p *Process) Start() {
	for _, in := range p.inst {
		if !in.alive {
			in.restart.Stop()
			in.start()
		}
	}
}

// Stop stops every instance and its controllers (no restart).
func (p *Process) Stop() {
	p.Unsteady()
	for _, in := range p.inst {
		in.restart.Stop()
		in.kill()
	}
}

// Client is instance i's API client (faults attach there).
func (p *Process) Client(i int) *apiserver.Client {
	if i < 0 || i >= len(p.inst) {
		return nil
	}
	return p.inst[i].c
}

// Leader is the identity of the instance that currently leads, or "".
func (p *Process) Leader() string {
	for _, in := range p.inst {
		if in.alive && in.le.IsLeader() {
			return in.id
		}
	}
	return ""
}

// Err is the first error a Controllers call returned, if any.
func (p *Process) Err() error {
	for _, in := range p.inst {
		if in.err != nil {
			return in.err
		}
	}
	return nil
}

// Failover crashes the leading instance (no lock release) so that a standby, or the
// restarted process, takes over through leader election. It returns the identity killed,
// or "" when no instance leads.
func (p *Process) Failover() string {
	p.Unsteady()
	for _, in := range p.inst {
		if in.alive && in.le.IsLeader() {
			in.kill()
			in.scheduleRestart()
			return in.id
		}
	}
	return ""
}

func (in *instance) start() {
	cfg := in.p.cfg.Election
	in.runs++
	cfg.Identity = fmt.Sprintf("%s_%d", in.id, in.runs)
	cfg.Name = in.id
	cfg.Callbacks.OnStartedLeading = in.startedLeading
	cfg.Callbacks.OnStoppedLeading = in.stoppedLeading
	// (RandomRenewPhase) a stream of its own: the instance's draws its acquire jitter
	if in.p.cfg.RandomRenewPhase {
		rp, seed, id := cfg.RetryPeriod, in.p.s.Engine.Seed(), in.id
		cfg.FirstRenewal = func() time.Duration {
			r := sim.NewRand(seed, "leaderelection/"+id+"/phase")
			return rp - r.Uniform(0, rp)
		}
	}
	le, err := New(in.p.s, in.c, in.r, cfg)
	if err != nil {
		in.err = err
		return
	}
	p := in.p
	le.seq = &p.seq
	if p.steady != nil {
		// virtual events until now come first (they were scheduled before this start)
		p.advance(p.s.Now(), p.through())
	}
	if !p.cfg.Exact {
		le.wantSteady = func() bool { return p.wantSteady(in) }
		le.onSteady = func() { p.onSteady(in) }
	}
	in.le = le
	in.alive = true
	le.Start()
	if p.steady != nil {
		p.joinSteady(in)
	}
}

func (in *instance) startedLeading() {
	stop, err := in.p.cfg.Controllers(in.i, in.c)
	if err != nil && in.err == nil {
		in.err = err
	}
	in.stop = stop
}

// stoppedLeading: kube-controller-manager exits; its container runs again later.
func (in *instance) stoppedLeading() {
	in.kill()
	in.scheduleRestart()
}

// scheduleRestart is the kubelet's restart of the exited container: at its next PLEG
// relist if no back-off is in force (none yet, or the last restart was more than
// 600 s ago), else once the back-off has passed since the exit (IsInBackOffSince).
func (in *instance) scheduleRestart() {
	now := in.p.s.Now()
	in.inBackOff = in.backOff > 0 && now-in.backOffAt <= restartBackOffExpiry
	d := in.p.cfg.RestartDelay
	if in.inBackOff {
		d = in.backOff
	}
	_ = in.restart.Schedule(now + d)
}

// restarted steps the back-off as the kubelet's doBackOff does when it starts the
// container (Backoff.Next): the initial delay after an exit with none in force, else
// twice the last, up to the maximum.
func (in *instance) restarted() {
	cfg := &in.p.cfg
	if in.inBackOff {
		in.backOff = min(2*in.backOff, cfg.MaxRestartBackOff)
	} else {
		in.backOff = cfg.RestartBackOff
	}
	in.backOffAt, in.inBackOff = in.p.s.Now(), false
}

func (in *instance) kill() {
	if in.le != nil {
		in.le.Stop()
	}
	if in.stop != nil {
		in.stop()
		in.stop = nil
	}
	in.alive = false
}
