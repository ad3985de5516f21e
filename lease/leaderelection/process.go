package leaderelection

import (
	"errors"
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// DefaultRestartDelay is how long after kube-controller-manager exits its static pod's
// container runs again: the kubelet's initial container restart back-off (10 s).
const DefaultRestartDelay = 10 * time.Second

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
	// RestartDelay is how long a process that exited takes to run again.
	RestartDelay time.Duration
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
}

// DefaultProcessConfig is one instance with kube-controller-manager's defaults.
func DefaultProcessConfig(controllers ControllersFunc) ProcessConfig {
	return ProcessConfig{Instances: 1, Election: DefaultConfig("unused"), RestartDelay: DefaultRestartDelay,
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
}

// Process models kube-controller-manager instances kube-controller-manager-0…N-1, each with
// its own client and leader elector. Each run of an instance campaigns as
// "kube-controller-manager-I_RUN" (upstream: host name + "_" + a fresh UUID), and Leader
// records name the instance. A new leader builds its controllers with
// Controllers; a leader that loses the lock stops them and exits (as
// kube-controller-manager does, "leaderelection lost"), and runs again after RestartDelay
// as a fresh candidate.
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
		in.restart, _ = s.Engine.NewTimer(in.start)
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
			_ = in.restart.Schedule(p.s.Now() + p.cfg.RestartDelay)
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
	_ = in.restart.Schedule(in.p.s.Now() + in.p.cfg.RestartDelay)
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
