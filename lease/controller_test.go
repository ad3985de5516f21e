package lease

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

type rig struct {
	e    *sim.Engine
	s    *apiserver.Server
	c    *apiserver.Client
	ctl  *Controller
	logs []LogEntry
	hb   int // onRepeatedHeartbeatFailure calls
	// renewals seen by an observer: the renewTime of every write
	renews []time.Duration
}

func newRig(t *testing.T, cfg Config, withNode bool) *rig {
	t.Helper()
	e := sim.New(sim.WithSeed(3))
	s := apiserver.New(e, sim.NewTrace(false), apiserver.DefaultConfig())
	r := &rig{e: e, s: s, c: s.NewClient("kubelet/n1", 10*time.Second)}
	if withNode {
		_, err := s.Nodes.Create(s.NewClient("admin", 30*time.Second), &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "n1"}})
		require.NoError(t, err)
	}
	cfg.HolderIdentity = "n1"
	cfg.Log = func(e LogEntry) { r.logs = append(r.logs, e) }
	cfg.OnRepeatedHeartbeatFailure = func() { r.hb++ }
	ctl, err := New(s, r.c, sim.NewRand(e.Seed(), "kubelet/n1/lease"), cfg)
	require.NoError(t, err)
	r.ctl = ctl
	s.Leases.Watch(s.NewClient("observer", time.Second), 0, func(ev apiserver.Event[*apiserver.Lease]) {
		if ev.Type != apiserver.Deleted && (ev.Old == nil || ev.Old.RenewTime != ev.New.RenewTime) {
			r.renews = append(r.renews, ev.New.RenewTime)
		}
	})
	return r
}

func (r *rig) run(t *testing.T, until time.Duration) {
	t.Helper()
	require.NoError(t, r.e.RunUntil(until))
}

func TestDefaults(t *testing.T) {
	r := newRig(t, Config{}, true)
	// upstream: renew interval = nodeLeaseRenewIntervalFraction (0.25) × nodeLeaseDurationSeconds (40) = 10 s
	require.Equal(t, 10*time.Second, r.ctl.RenewInterval())
	require.Equal(t, 0.04, JitterFactor)
	require.Equal(t, 5, MaxUpdateRetries)
	require.Equal(t, 7*time.Second, MaxBackoff)
	require.Equal(t, "kube-node-lease/n1", r.ctl.Key())
}

func TestConfigErrors(t *testing.T) {
	e := sim.New()
	s := apiserver.New(e, nil, apiserver.DefaultConfig())
	c := s.NewClient("k", 10*time.Second)
	for name, cfg := range map[string]Config{
		"no holder":       {},
		"negative lease":  {HolderIdentity: "a", LeaseDurationSeconds: -1},
		"negative renew":  {HolderIdentity: "a", RenewInterval: -time.Second},
		"negative jitter": {HolderIdentity: "a", JitterFactor: -1},
	} {
		_, err := New(s, c, sim.NewRand(1, "x"), cfg)
		require.Error(t, err, name)
	}
	_, err := New(s, c, nil, Config{HolderIdentity: "a"})
	require.ErrorContains(t, err, "Rand")
}

func TestCreateWithOwnerReference(t *testing.T) {
	r := newRig(t, Config{}, true)
	r.ctl.Start()
	r.run(t, 0)
	l, ok := r.s.Leases.Peek("kube-node-lease/n1")
	require.True(t, ok)
	n, _ := r.s.Nodes.Peek("n1")
	require.Equal(t, []apiserver.OwnerReference{{Kind: "Node", Name: "n1", UID: n.UID}}, l.OwnerReferences)
	require.Equal(t, "n1", l.HolderIdentity)
	require.Equal(t, int32(40), l.LeaseDurationSeconds)
	require.Equal(t, time.Duration(0), l.RenewTime)
}

func TestNoNodeSkipsCreate(t *testing.T) {
	// SetNodeOwnerFunc cannot GET the Node: the create is skipped this sync, retried next.
	r := newRig(t, Config{NoJitter: true}, false)
	r.ctl.Start()
	r.run(t, 25*time.Second)
	require.Zero(t, r.s.Leases.Len())
	require.Len(t, r.logs, 3) // one "Failed to get node" per sync at 0, 10, 20
	require.Equal(t, "Failed to get node when trying to set owner ref to the node lease", r.logs[0].Msg)
	_, err := r.s.Nodes.Create(r.s.NewClient("admin", time.Second), &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: "n1"}})
	require.NoError(t, err)
	r.run(t, 31*time.Second)
	require.Equal(t, 1, r.s.Leases.Len())
	require.Equal(t, []time.Duration{30 * time.Second}, r.renews)
}

func TestRenewCadenceNoJitter(t *testing.T) {
	r := newRig(t, Config{NoJitter: true}, true)
	r.ctl.Start()
	r.run(t, 45*time.Second)
	require.Equal(t, []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second}, r.renews)
}

func TestRenewJitterBounds(t *testing.T) {
	// upstream: wait.JitterUntil(sync, 10s, 0.04, sliding) ⇒ every wait in [10 s, 10.4 s).
	r := newRig(t, Config{}, true)
	r.ctl.Start()
	r.run(t, time.Hour)
	require.Greater(t, len(r.renews), 340)
	for i := 1; i < len(r.renews); i++ {
		d := r.renews[i] - r.renews[i-1]
		require.GreaterOrEqual(t, d, 10*time.Second)
		require.Less(t, d, 10400*time.Millisecond)
	}
}

func TestOutageBackoff(t *testing.T) {
	// Five immediate UPDATE failures, then backoffEnsureLease: GET every 200 ms, 400 ms, …
	// capped at 7 s, forever; once the API server is back the lease is renewed within 7 s.
	r := newRig(t, Config{NoJitter: true}, true)
	r.ctl.Start()
	r.run(t, 5*time.Second)
	r.s.SetOutage(true)
	before := len(r.logs)
	r.run(t, 60*time.Second)
	// the sync at 10 s: 5 update failures (4 heartbeat-failure hooks: attempts 1–4)
	require.Equal(t, 4, r.hb)
	var intervals []string
	for _, e := range r.logs[before:] {
		if e.Msg == "Failed to ensure lease exists, will retry" {
			intervals = append(intervals, e.KV[1])
		}
	}
	require.Equal(t, []string{`"200ms"`, `"400ms"`, `"800ms"`, `"1.6s"`, `"3.2s"`, `"6.4s"`, `"7s"`, `"7s"`}, intervals[:8])
	// attempts at 10, 10.2, 10.6, 11.4, 13, 16.2, 22.6, 29.6, 36.6, 43.6, 50.6, 57.6, 64.6 …
	r.s.SetOutage(false)
	r.run(t, 72*time.Second)
	require.Equal(t, 64600*time.Millisecond, r.renews[len(r.renews)-1])
	require.LessOrEqual(t, r.renews[len(r.renews)-1]-60*time.Second, MaxBackoff)
	// then the 10 s cadence resumes from that sync
	r.run(t, 75*time.Second)
	require.Equal(t, 74600*time.Millisecond, r.renews[len(r.renews)-1])
}

func TestPartitionUsesTimeout(t *testing.T) {
	// A partitioned client's requests fail after its 10 s timeout: the five UPDATE attempts
	// take 50 s, then each ensure GET takes 10 s plus the backoff sleep.
	r := newRig(t, Config{NoJitter: true}, true)
	r.ctl.Start()
	r.run(t, 5*time.Second)
	r.c.SetPartitioned(true)
	r.run(t, 59*time.Second)
	require.Equal(t, 3, r.hb) // attempts at 10, 20, 30, 40, 50 fail 10 s later; the hook runs for 1–4
	r.run(t, 60*time.Second)
	require.Equal(t, 4, r.hb)
	r.run(t, 61*time.Second)
	fallback := 0
	for _, e := range r.logs {
		if e.Msg == "Failed to update lease using latest lease, fallback to ensure lease" {
			fallback++
		}
	}
	require.Equal(t, 1, fallback)
	// ensure GETs at 60, 70.2, 80.6, 91.4, …: heal at 85 ⇒ the GET at 91.4 succeeds and the update follows.
	r.run(t, 85*time.Second)
	r.c.SetPartitioned(false)
	r.run(t, 95*time.Second)
	require.Equal(t, 91400*time.Millisecond, r.renews[len(r.renews)-1])
}

func TestConflictRefetches(t *testing.T) {
	r := newRig(t, Config{NoJitter: true}, true)
	r.ctl.Start()
	r.run(t, 5*time.Second)
	// someone else writes the lease: the cached copy is stale ⇒ Conflict ⇒ ensure ⇒ retry.
	admin := r.s.NewClient("admin", time.Second)
	_, err := r.s.Leases.Patch(admin, "kube-node-lease/n1", func(l *apiserver.Lease) error { l.LeaseTransitions++; return nil })
	require.NoError(t, err)
	r.run(t, 11*time.Second)
	require.Equal(t, 10*time.Second, r.renews[len(r.renews)-1])
	require.Zero(t, r.hb)
}

func TestNodeDeletedLeaseNotRecreated(t *testing.T) {
	// Q3 as decided: the Lease is garbage-collected with its Node and not created again
	// while the Node is gone (the owner-reference GET fails, so the create is skipped).
	r := newRig(t, Config{NoJitter: true}, true)
	r.ctl.Start()
	r.run(t, 5*time.Second)
	require.NoError(t, r.s.Nodes.Delete(r.s.NewClient("kubectl", time.Second), "n1", apiserver.DeleteOptions{}))
	r.run(t, 6*time.Second)
	require.Zero(t, r.s.Leases.Len())
	r.run(t, 100*time.Second)
	require.Zero(t, r.s.Leases.Len())
	require.Equal(t, 4, r.hb) // the 5 NotFound UPDATEs of the sync at 10 s
}

// With jitter, LastRenewal peeks at the renewTime Unsteady then writes, without taking
// the waits it walks over.
func TestLastRenewalWithJitterIsExact(t *testing.T) {
	r := newRig(t, Config{}, true)
	r.ctl.cfg.WantSteady = func() bool { return true }
	r.ctl.Start()
	r.run(t, 30*time.Second)
	require.True(t, r.ctl.Steady())
	r.run(t, 3*24*time.Hour)
	pos := r.ctl.jitter.Pos()
	last := r.ctl.LastRenewal()
	require.Equal(t, pos, r.ctl.jitter.Pos(), "a peek takes no waits")
	r.ctl.cfg.WantSteady = nil
	r.ctl.Unsteady()
	l, _ := r.s.Leases.Peek("kube-node-lease/n1")
	require.Equal(t, last, l.RenewTime)
}

func TestSteadyAndUnsteady(t *testing.T) {
	r := newRig(t, Config{NoJitter: true}, true)
	steady := false
	r.ctl.cfg.WantSteady = func() bool { return true }
	r.ctl.cfg.OnSteady = func() { steady = true }
	r.ctl.Start()
	r.run(t, 15*time.Second)
	require.True(t, steady)
	require.True(t, r.ctl.Steady())
	l, _ := r.s.Leases.Peek("kube-node-lease/n1")
	require.True(t, l.Steady)
	fired := r.e.Fired()
	r.run(t, 24*time.Hour)
	require.Equal(t, fired, r.e.Fired(), "a steady controller schedules nothing")
	require.Equal(t, 24*time.Hour-10*time.Second, r.ctl.LastRenewal()) // strictly before now
	r.ctl.cfg.WantSteady = nil
	r.ctl.Unsteady()
	l, _ = r.s.Leases.Peek("kube-node-lease/n1")
	require.False(t, l.Steady)
	require.Equal(t, 24*time.Hour-10*time.Second, l.RenewTime)
	r.run(t, 24*time.Hour+time.Second)
	require.Equal(t, 24*time.Hour, r.renews[len(r.renews)-1])
}

// catchUp counts or walks the virtual renewals exactly as one loop step per renewal
// would: with jitter (drawing, or peeking without moving the cycle) and without.
func TestCatchUpIsRenewalLoop(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		draw bool
		took time.Duration
		next time.Duration
		now  time.Duration
	}{
		{"jitter", Config{}, true, 3 * time.Millisecond, 5 * time.Second, 12 * time.Hour},
		{"jitter-peek", Config{}, false, 3 * time.Millisecond, 5 * time.Second, 12 * time.Hour},
		{"no-jitter", Config{NoJitter: true}, true, 0, 5 * time.Second, 12 * time.Hour},
		{"no-jitter-latency", Config{NoJitter: true}, true, 7 * time.Millisecond, time.Second, time.Hour + 3},
		{"on-a-renewal", Config{NoJitter: true}, true, 0, 10 * time.Second, 10*time.Minute + 10*time.Second},
		{"nothing-due", Config{}, true, 0, time.Hour, time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newRig(t, tc.cfg, true), newRig(t, tc.cfg, true)
			for _, r := range []*rig{a, b} {
				r.ctl.virtLast, r.ctl.virtNext, r.ctl.virtTook = tc.next-10*time.Second, tc.next, tc.took
				r.run(t, tc.now)
			}
			before := a.ctl.jitter.Pos()
			last, next := a.ctl.catchUp(tc.draw)
			c := b.ctl
			wantLast, wantNext := c.virtLast, c.virtNext
			for wantNext < tc.now {
				wantLast = wantNext
				w := c.period
				if c.cfg.JitterFactor > 0 {
					w = c.jitter.Next(c.period, c.cfg.JitterFactor)
				}
				wantNext = wantLast + c.virtTook + w
			}
			require.Equal(t, wantLast, last)
			require.Equal(t, wantNext, next)
			if tc.draw {
				require.Equal(t, c.jitter.Pos(), a.ctl.jitter.Pos(), "the same draws")
			} else {
				require.Equal(t, before, a.ctl.jitter.Pos(), "a peek takes no draw")
			}
		})
	}
}
