package leaderelection

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

type harness struct {
	e       *sim.Engine
	tr      *sim.Trace
	s       *apiserver.Server
	p       *Process
	started []string // "t instance" per Controllers call
	stopped []string
}

func newHarness(t *testing.T, seed uint64, instances int) *harness {
	return newHarnessWith(t, seed, instances, func(*ProcessConfig) {})
}

// newHarnessWith is newHarness with the process configuration changed by mut.
func newHarnessWith(t *testing.T, seed uint64, instances int, mut func(*ProcessConfig)) *harness {
	h := &harness{e: sim.New(sim.WithSeed(seed)), tr: sim.NewTrace(true)}
	h.s = apiserver.New(h.e, h.tr, apiserver.DefaultConfig())
	cfg := DefaultProcessConfig(func(i int, c *apiserver.Client) (func(), error) {
		h.started = append(h.started, fmt.Sprintf("%v %d", h.e.Now(), i))
		return func() { h.stopped = append(h.stopped, fmt.Sprintf("%v %d", h.e.Now(), i)) }, nil
	})
	cfg.Instances = instances
	mut(&cfg)
	p, err := NewProcess(h.s, cfg)
	require.NoError(t, err)
	h.p = p
	return h
}

func (h *harness) lease(t *testing.T) *apiserver.Lease {
	l, ok := h.s.Leases.Peek(DefaultLeaseNamespace + "/" + DefaultLeaseName)
	require.True(t, ok)
	return l
}

func TestDefaults(t *testing.T) {
	c := DefaultConfig("x")
	require.Equal(t, 15*time.Second, c.LeaseDuration, "--leader-elect-lease-duration")
	require.Equal(t, 10*time.Second, c.RenewDeadline, "--leader-elect-renew-deadline")
	require.Equal(t, 2*time.Second, c.RetryPeriod, "--leader-elect-retry-period")
	require.Equal(t, 1.2, c.JitterFactor, "client-go leaderelection JitterFactor")
	require.Equal(t, "kube-system", c.LeaseNamespace)
	require.Equal(t, "kube-controller-manager", c.LeaseName)
	pc := DefaultProcessConfig(nil)
	require.Equal(t, time.Second, pc.RestartDelay, "the kubelet's PLEG relist period")
	require.Equal(t, 10*time.Second, pc.RestartBackOff, "the kubelet's initial crash-loop back-off")
	require.Equal(t, 300*time.Second, pc.MaxRestartBackOff, "MaxContainerBackOff")
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"ok", func(*Config) {}, ""},
		{"no identity", func(c *Config) { c.Identity = "" }, "Identity"},
		{"no lease name", func(c *Config) { c.LeaseName = "" }, "LeaseName"},
		{"zero retry", func(c *Config) { c.RetryPeriod = 0 }, "must be positive"},
		{"lease not above renew", func(c *Config) { c.LeaseDuration = 10 * time.Second }, "greater than RenewDeadline"},
		{"renew not above jittered retry", func(c *Config) { c.RetryPeriod = 9 * time.Second }, "JitterFactor*RetryPeriod"},
		{"negative jitter", func(c *Config) { c.JitterFactor = -1 }, "JitterFactor"},
		{"fractional lease", func(c *Config) { c.LeaseDuration = 15500 * time.Millisecond }, ""},
		{"sub-second lease", func(c *Config) {
			c.LeaseDuration, c.RenewDeadline, c.RetryPeriod = 900*time.Millisecond, 800*time.Millisecond, 500*time.Millisecond
		}, "must be from 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig("kube-controller-manager-0")
			tt.mut(&c)
			err := c.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
	s := apiserver.New(sim.New(), nil, apiserver.DefaultConfig())
	_, err := NewProcess(s, ProcessConfig{Instances: 0})
	require.ErrorContains(t, err, "Instances")
	_, err = NewProcess(s, DefaultProcessConfig(nil))
	require.ErrorContains(t, err, "Controllers")
}

func TestFirstLeaderAtStart(t *testing.T) {
	h := newHarness(t, 1, 3)
	h.p.Start()
	require.NoError(t, h.e.RunUntil(time.Minute))
	require.Equal(t, "kube-controller-manager-0", h.p.Leader(), "the first candidate creates the lock")
	require.Equal(t, []string{"0s 0"}, h.started)
	l := h.lease(t)
	require.Equal(t, int32(15), l.LeaseDurationSeconds)
	require.Equal(t, int32(0), l.LeaseTransitions)
	require.InDelta(t, float64(time.Minute), float64(l.RenewTime), float64(2*time.Second), "the leader renews every retryPeriod")
}

// After the leader crashes at its last renewal R, a standby sees that record at its next
// poll (≤ 4.4 s later) and takes the lock at its first poll at least leaseDuration (15 s)
// after that, on its own clock: takeover ∈ [R+15 s, R+15 s+2·4.4 s].
func TestTakeoverAfterCrash(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			h := newHarness(t, seed, 3)
			h.p.Start()
			crash := time.Minute + time.Duration(seed)*137*time.Millisecond
			require.NoError(t, h.e.RunUntil(crash))
			r := h.lease(t).RenewTime
			require.Equal(t, "kube-controller-manager-0", h.p.Failover())
			require.Equal(t, "", h.p.Leader())
			require.NoError(t, h.e.RunUntil(crash+time.Minute))
			var took time.Duration
			for _, rec := range h.tr.Records() {
				if rec.Kind == "Leader" && rec.T > crash {
					took = rec.T - r
					break
				}
			}
			require.GreaterOrEqual(t, took, 15*time.Second)
			require.LessOrEqual(t, took, 15*time.Second+2*4400*time.Millisecond)
			require.NotEqual(t, "", h.p.Leader())
			require.Equal(t, int32(1), h.lease(t).LeaseTransitions)
			require.Len(t, h.started, 2, "the new leader builds fresh controllers")
			require.Len(t, h.stopped, 1, "the crashed leader's controllers were stopped")
		})
	}
}

// An API outage longer than renewDeadline: the leader's renewals fail for 10 s, it stops
// leading and exits ("leaderelection lost"), restarts after 10 s, and some instance leads
// again leaseDuration after the outage ends at the earliest.
func TestOutageLosesLeadership(t *testing.T) {
	h := newHarness(t, 3, 1)
	h.p.Start()
	require.NoError(t, h.e.RunUntil(30*time.Second+500*time.Millisecond))
	last := h.lease(t).RenewTime
	h.s.SetOutage(true)
	require.NoError(t, h.e.RunUntil(last+DefaultRetryPeriod+DefaultRenewDeadline-time.Millisecond))
	require.Equal(t, "kube-controller-manager-0", h.p.Leader(), "still leading within renewDeadline")
	require.NoError(t, h.e.RunUntil(last+DefaultRetryPeriod+DefaultRenewDeadline))
	require.Equal(t, "", h.p.Leader(), "lost exactly renewDeadline after the first failed renewal")
	require.Equal(t, []string{fmt.Sprintf("%v 0", last+DefaultRetryPeriod+DefaultRenewDeadline)}, h.stopped)
	require.NoError(t, h.e.RunUntil(90*time.Second))
	h.s.SetOutage(false)
	require.NoError(t, h.e.RunUntil(3*time.Minute))
	require.Equal(t, "kube-controller-manager-0", h.p.Leader())
	require.Len(t, h.started, 2, "the restarted process starts fresh controllers")
	var leaders []sim.Record
	for _, r := range h.tr.Records() {
		if r.Kind == "Leader" {
			leaders = append(leaders, r)
		}
	}
	require.Len(t, leaders, 2)
	// The restarted candidate first sees the old record right after the outage and must wait
	// leaseDuration on its own clock.
	require.GreaterOrEqual(t, leaders[1].T, 90*time.Second+DefaultLeaseDuration)
	require.LessOrEqual(t, leaders[1].T, 90*time.Second+4400*time.Millisecond+DefaultLeaseDuration+4400*time.Millisecond)
}

func TestStopCancelsEverything(t *testing.T) {
	h := newHarness(t, 1, 2)
	h.p.Start()
	require.NoError(t, h.e.RunUntil(10*time.Second))
	h.p.Stop()
	require.Equal(t, 0, h.e.Pending(), "no timer left after Stop")
	require.Len(t, h.stopped, 1)
}

// The kubelet restarts an exited kube-controller-manager at its next PLEG relist when
// no back-off is in force, else once the back-off (10 s, doubling at each restart up
// to 300 s) has passed since the exit; an exit more than 600 s after the last restart
// finds no back-off (kuberuntime doBackOff, flowcontrol.Backoff).
func TestRestartBackOff(t *testing.T) {
	e := sim.New(sim.WithSeed(1))
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	p, err := NewProcess(s, DefaultProcessConfig(func(int, *apiserver.Client) (func(), error) { return func() {}, nil }))
	require.NoError(t, err)
	p.Start()
	in := p.inst[0]
	crash := func(at, wantRestart time.Duration) {
		t.Helper()
		require.NoError(t, e.RunUntil(at))
		require.True(t, in.alive, "running at %v", at)
		in.stoppedLeading()
		require.Equal(t, wantRestart, in.restart.When(), "exit at %v", at)
	}
	s1 := time.Second
	crash(60*s1, 61*s1)     // none in force: the next relist
	crash(100*s1, 110*s1)   // 39 s after the restart: 10 s
	crash(200*s1, 220*s1)   // doubled
	crash(300*s1, 340*s1)   // and again
	crash(1000*s1, 1001*s1) // 660 s after the last restart: afresh
	at := 1100 * s1
	for _, d := range []time.Duration{10, 20, 40, 80, 160, 300, 300} {
		crash(at, at+d*s1)
		at += d*s1 + s1
	}
}

// A leaseDuration with a fraction of a second runs as client-go runs it: the candidate
// writes int(LeaseDuration / time.Second) into the Lease (tryAcquireOrRenew), and every
// candidate times the lock by the record's leaseDurationSeconds (isLeaseValid), so
// 15.5 s behaves exactly as 15 s, in exact and in lazy mode.
func TestFractionalLeaseDuration(t *testing.T) {
	for _, exact := range []bool{false, true} {
		for seed := uint64(1); seed <= 5; seed++ {
			leaders := map[time.Duration][]string{}
			for _, d := range []time.Duration{15 * time.Second, 15500 * time.Millisecond} {
				h := newHarnessWith(t, seed, 3, func(c *ProcessConfig) { c.Election.LeaseDuration, c.Exact = d, exact })
				h.p.Start()
				require.NoError(t, h.e.RunUntil(time.Minute))
				require.Equal(t, int32(15), h.lease(t).LeaseDurationSeconds, "%v", d)
				h.p.Failover()
				require.NoError(t, h.e.RunUntil(2*time.Minute))
				for _, r := range h.tr.Records() {
					if r.Kind == "Leader" {
						leaders[d] = append(leaders[d], fmt.Sprint(r.T, " ", r.Str("holder")))
					}
				}
				require.Len(t, leaders[d], 2, "a standby took over")
			}
			require.Equal(t, leaders[15*time.Second], leaders[15500*time.Millisecond], "seed %d exact %v", seed, exact)
		}
	}
}
