package leaderelection

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// lazyRun is one Process on a non-verbose trace, in exact or lazy mode.
type lazyRun struct {
	e       *sim.Engine
	tr      *sim.Trace
	s       *apiserver.Server
	p       *Process
	log     []string // controllers started/stopped, with instants
	updates int      // Lease writes (creates and updates)
}

func newLazyRun(t require.TestingT, seed uint64, instances int, exact bool, latency []time.Duration) *lazyRun {
	return newLazyRunJitter(t, seed, instances, exact, latency, JitterFactor)
}

func newLazyRunJitter(t require.TestingT, seed uint64, instances int, exact bool, latency []time.Duration, jitter float64) *lazyRun {
	return newLazyRunPhase(t, seed, instances, exact, latency, jitter, false)
}

func newLazyRunPhase(t require.TestingT, seed uint64, instances int, exact bool, latency []time.Duration, jitter float64, phase bool) *lazyRun {
	h := &lazyRun{e: sim.New(sim.WithSeed(seed)), tr: sim.NewTrace(false)}
	h.s = apiserver.New(h.e, h.tr, apiserver.DefaultConfig())
	changed := h.s.Leases.Hooks.Changed
	h.s.Leases.Hooks.Changed = func(ev apiserver.Event[*apiserver.Lease]) {
		h.updates++
		changed(ev)
	}
	cfg := DefaultProcessConfig(func(i int, c *apiserver.Client) (func(), error) {
		h.log = append(h.log, fmt.Sprintf("%v start %d", h.e.Now(), i))
		return func() { h.log = append(h.log, fmt.Sprintf("%v stop %d", h.e.Now(), i)) }, nil
	})
	cfg.Instances = instances
	cfg.Exact = exact
	cfg.Election.JitterFactor = jitter
	cfg.RandomRenewPhase = phase
	p, err := NewProcess(h.s, cfg)
	require.NoError(t, err)
	for i, l := range latency {
		p.Client(i).Latency = l
	}
	h.p = p
	return h
}

// state renders everything exact and lazy modes must agree on after a run: the trace,
// the controllers' lifetimes, the Lease's record, and each instance's elector (observed
// record and instant, timers, the position of its random stream).
func (h *lazyRun) state() string {
	var b strings.Builder
	var buf bytes.Buffer
	_ = sim.WriteText(&buf, h.tr.Records())
	b.WriteString(buf.String())
	b.WriteString(strings.Join(h.log, "\n") + "\n")
	if l, ok := h.s.Leases.Peek(DefaultLeaseNamespace + "/" + DefaultLeaseName); ok {
		fmt.Fprintf(&b, "lease %+v steady=%v\n", recordOf(l), l.Steady)
	}
	fmt.Fprintf(&b, "leader %q steady=%v\n", h.p.Leader(), h.p.Steady())
	for _, in := range h.p.inst {
		fmt.Fprintf(&b, "%s alive=%v runs=%d restart=%s", in.id, in.alive, in.runs, when(in.restart))
		if le := in.le; le != nil {
			fmt.Fprintf(&b, " leading=%v running=%v observed=%+v/%v at %v acquire=%s renew=%s lost=%s round=%v virtual=%v",
				le.leading, le.running, le.observed, le.hasObserved, le.observedTime,
				loopWhen(le.acquire), when(le.renewT), when(le.lostT), le.roundStart, le.virtual)
		}
		// the position of the instance's jitter stream (a copy: the run goes on)
		r := *in.r
		fmt.Fprintf(&b, " rand=%d\n", r.Uint64())
	}
	return b.String()
}

func when(t interface {
	Pending() bool
	When() time.Duration
}) string {
	if !t.Pending() {
		return "-"
	}
	return t.When().String()
}

func loopWhen(l *sim.Loop) string {
	if !l.Running() {
		return "-"
	}
	return l.Next().String()
}

// action is one fault of the property: at At, either inside an engine event scheduled
// at the start (as the world's actions are) or between RunUntil calls.
type action struct {
	At     time.Duration
	Kind   string // outage, partition, failover, stop
	For    time.Duration
	Inst   int
	Inside bool
}

func (a action) String() string {
	return fmt.Sprintf("%v %s(%d) for %v inside=%v", a.At, a.Kind, a.Inst, a.For, a.Inside)
}

// apply carries out a and, for faults with a duration, schedules or queues their end.
func (h *lazyRun) apply(a action, later func(at time.Duration, fn func())) {
	switch a.Kind {
	case "outage":
		h.s.SetOutage(true)
		later(a.At+a.For, func() { h.s.SetOutage(false) })
	case "partition":
		h.p.Client(a.Inst).SetPartitioned(true)
		later(a.At+a.For, func() { h.p.Client(a.Inst).SetPartitioned(false) })
	case "failover":
		h.p.Failover()
	case "stop":
		h.p.Stop()
		later(a.At+a.For, func() { h.p.Start() })
	}
}

// run plays the actions until end. Outside actions (and the ends of outside faults) are
// applied between RunUntil calls, in time order, after the engine's events due then.
func (h *lazyRun) run(t require.TestingT, acts []action, end time.Duration) {
	type step struct {
		at time.Duration
		fn func()
	}
	var outside []step
	for _, a := range acts {
		if a.Inside {
			_, err := h.e.At(a.At, func() {
				h.apply(a, func(at time.Duration, fn func()) { _, _ = h.e.At(at, fn) })
			})
			require.NoError(t, err)
			continue
		}
		outside = append(outside, step{a.At, func() {
			h.apply(a, func(at time.Duration, fn func()) { outside = append(outside, step{at, fn}) })
		}})
	}
	h.p.Start()
	for {
		sort.SliceStable(outside, func(i, j int) bool { return outside[i].at < outside[j].at })
		if len(outside) == 0 || outside[0].at > end {
			break
		}
		st := outside[0]
		outside = outside[1:]
		require.NoError(t, h.e.RunUntil(st.at))
		st.fn()
	}
	require.NoError(t, h.e.RunUntil(end))
}

// TestLazyMatchesExact: random instance counts, outages, partitions of the instances'
// clients, failovers and stops at random instants (on the renewals' 2 s grid or off it,
// inside engine events or between runs), with jitter (and, a third of the time, without,
// so that polls and renewals fall on the same instants): lazy and exact mode give the same
// trace, the same controller lifetimes and, once the lazy leader is materialised at the
// end, the same Lease and the same state in every instance.
func TestLazyMatchesExact(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64Range(1, 1<<20).Draw(rt, "seed")
		instances := rapid.IntRange(1, 3).Draw(rt, "instances")
		latency := make([]time.Duration, instances)
		for i := range latency {
			latency[i] = time.Duration(rapid.SampledFrom([]int64{0, 0, 1, 3_000_000}).Draw(rt, fmt.Sprint("latency", i)))
		}
		instant := func(label string, lo, hi int64) time.Duration {
			at := time.Duration(rapid.Int64Range(lo, hi).Draw(rt, label)) * time.Second
			if rapid.Bool().Draw(rt, label+"-offgrid") {
				at += time.Duration(rapid.Int64Range(1, int64(time.Second)-1).Draw(rt, label+"-ns"))
			}
			return at
		}
		n := rapid.IntRange(0, 6).Draw(rt, "actions")
		acts := make([]action, n)
		for i := range acts {
			acts[i] = action{
				At:     instant(fmt.Sprint("at", i), 1, 900),
				Kind:   rapid.SampledFrom([]string{"outage", "partition", "failover", "stop"}).Draw(rt, fmt.Sprint("kind", i)),
				For:    instant(fmt.Sprint("for", i), 0, 60) + time.Millisecond,
				Inst:   rapid.IntRange(0, instances-1).Draw(rt, fmt.Sprint("inst", i)),
				Inside: rapid.Bool().Draw(rt, fmt.Sprint("inside", i)),
			}
		}
		end := instant("end", 901, 1200)
		// without jitter, standbys poll on the renewals' grid: same-instant order matters
		jitter := rapid.SampledFrom([]float64{JitterFactor, JitterFactor, 0}).Draw(rt, "jitter")
		phase := rapid.Bool().Draw(rt, "randomRenewPhase")
		exact := newLazyRunPhase(rt, seed, instances, true, latency, jitter, phase)
		exact.run(rt, acts, end)
		lazy := newLazyRunPhase(rt, seed, instances, false, latency, jitter, phase)
		lazy.run(rt, acts, end)
		lazy.p.Unsteady()
		require.Equal(rt, exact.state(), lazy.state(), "actions %v, end %v", acts, end)
	})
}

// A healthy leader and two standbys cost O(1) Lease writes and engine events per
// virtual day in lazy mode; exact mode writes every RetryPeriod.
func TestLazyHealthyDayIsConstant(t *testing.T) {
	writes := map[bool][]int{}
	fired := map[bool][]uint64{}
	for _, exact := range []bool{true, false} {
		h := newLazyRun(t, 7, 3, exact, nil)
		h.p.Start()
		for day := 1; day <= 3; day++ {
			require.NoError(t, h.e.RunUntil(time.Duration(day)*24*time.Hour))
			writes[exact] = append(writes[exact], h.updates)
			fired[exact] = append(fired[exact], h.e.Fired())
		}
		require.Equal(t, "kube-controller-manager-0", h.p.Leader())
		require.Equal(t, !exact, h.p.Steady())
	}
	require.Equal(t, []int{2, 2, 2}, writes[false], "lazy: the create and one steady renewal, whatever the length")
	require.LessOrEqual(t, fired[false][2], uint64(10), "lazy: no event per renewal or poll")
	require.Equal(t, fired[false][0], fired[false][2])
	require.Greater(t, writes[true][0], 40_000, "exact: a renewal every 2 s (43,200 a day)")
	require.Greater(t, writes[true][2]-writes[true][1], 40_000)
}

// steadyPair runs a lazy and an exact Process of 3 instances side by side until at.
func steadyPair(t *testing.T, seed uint64, at time.Duration) (exact, lazy *lazyRun) {
	exact = newLazyRun(t, seed, 3, true, nil)
	lazy = newLazyRun(t, seed, 3, false, nil)
	for _, h := range []*lazyRun{exact, lazy} {
		h.p.Start()
		require.NoError(t, h.e.RunUntil(at))
	}
	require.True(t, lazy.p.Steady(), "a healthy leader is steady")
	l, _ := lazy.s.Leases.Peek(DefaultLeaseNamespace + "/" + DefaultLeaseName)
	require.True(t, l.Steady)
	require.Equal(t, DefaultRetryPeriod, l.RenewTime, "the first renewal after acquiring is the steady write")
	return exact, lazy
}

// Each trigger leaves steady mode at once, with the Lease as exact mode has it, and the
// runs stay identical afterwards.
func TestUnsteadyTriggers(t *testing.T) {
	const at = 10*time.Minute + 777*time.Millisecond
	leaseOf := func(h *lazyRun) record {
		l, ok := h.s.Leases.Peek(DefaultLeaseNamespace + "/" + DefaultLeaseName)
		require.True(t, ok)
		require.False(t, l.Steady)
		return recordOf(l)
	}
	tests := []struct {
		name string
		do   func(h *lazyRun)
	}{
		{"outage", func(h *lazyRun) { h.s.SetOutage(true) }},
		{"leader partitioned", func(h *lazyRun) { h.p.Client(0).SetPartitioned(true) }},
		{"standby partitioned", func(h *lazyRun) { h.p.Client(2).SetPartitioned(true) }},
		{"failover", func(h *lazyRun) { require.Equal(t, "kube-controller-manager-0", h.p.Failover()) }},
		{"stop", func(h *lazyRun) { h.p.Stop() }},
		{"explicit", func(h *lazyRun) { h.p.Unsteady() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exact, lazy := steadyPair(t, 11, at)
			tt.do(exact)
			tt.do(lazy)
			require.False(t, lazy.p.Steady())
			require.Equal(t, leaseOf(exact), leaseOf(lazy))
			require.Equal(t, 10*time.Minute, leaseOf(lazy).renew, "the last renewal before the trigger")
			require.Equal(t, exact.state(), lazy.state())
			for _, h := range []*lazyRun{exact, lazy} {
				require.NoError(t, h.e.RunUntil(at+5*time.Minute))
			}
			lazy.p.Unsteady()
			require.Equal(t, exact.state(), lazy.state())
		})
	}
}

// A trigger inside an engine event at the instant of a renewal comes before it (the
// world's actions are scheduled at the start); between runs, after it.
func TestUnsteadyAtRenewalInstant(t *testing.T) {
	for _, inside := range []bool{true, false} {
		t.Run(fmt.Sprint("inside=", inside), func(t *testing.T) {
			const at = 10 * time.Minute // on the 2 s grid of the leader acquired at 0
			var hs []*lazyRun
			for _, exact := range []bool{true, false} {
				h := newLazyRun(t, 5, 2, exact, nil)
				if inside {
					_, _ = h.e.At(at, func() { h.s.SetOutage(true) })
				}
				h.p.Start()
				require.NoError(t, h.e.RunUntil(at))
				if !inside {
					h.s.SetOutage(true)
				}
				l, _ := h.s.Leases.Peek(DefaultLeaseNamespace + "/" + DefaultLeaseName)
				want := at
				if inside {
					want = at - DefaultRetryPeriod
				}
				require.Equal(t, want, l.RenewTime, "exact=%v", exact)
				hs = append(hs, h)
			}
			require.Equal(t, hs[0].state(), hs[1].state())
			for _, h := range hs {
				require.NoError(t, h.e.RunUntil(at+30*time.Second))
				h.s.SetOutage(false)
				require.NoError(t, h.e.RunUntil(at+2*time.Minute))
			}
			hs[1].p.Unsteady()
			require.Equal(t, hs[0].state(), hs[1].state())
		})
	}
}

// A standby that restarts while the leader is steady polls virtually from its start.
func TestRestartWhileSteady(t *testing.T) {
	var hs []*lazyRun
	for _, exact := range []bool{true, false} {
		h := newLazyRun(t, 9, 2, exact, nil)
		h.p.Start()
		require.NoError(t, h.e.RunUntil(time.Minute+3*time.Millisecond))
		h.p.Stop()
		h.p.inst[0].start() // the leader's instance comes back first and leads again
		require.NoError(t, h.e.RunUntil(2*time.Minute))
		h.p.inst[1].start()
		require.NoError(t, h.e.RunUntil(5*time.Minute+time.Millisecond))
		if !exact {
			require.True(t, h.p.Steady())
			require.True(t, h.p.inst[1].le.virtual)
		}
		h.p.Failover()
		require.NoError(t, h.e.RunUntil(7*time.Minute))
		hs = append(hs, h)
	}
	hs[1].p.Unsteady()
	require.Equal(t, hs[0].state(), hs[1].state())
}

// A verbose trace traces renewals: lazy mode is off.
func TestVerboseIsExact(t *testing.T) {
	h := newHarness(t, 1, 2)
	h.p.Start()
	require.NoError(t, h.e.RunUntil(time.Minute))
	require.False(t, h.p.Steady())
}
