package sim_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

// runLoop runs a loop from now until horizon and returns the instants of its runs.
// took gives each run's modelled duration, cycling.
func runLoop(t *testing.T, e *sim.Engine, cfg sim.LoopConfig, took []time.Duration, horizon time.Duration) ([]time.Duration, *sim.Loop) {
	t.Helper()
	var starts []time.Duration
	l, err := e.NewLoop(cfg, func() time.Duration {
		starts = append(starts, e.Now())
		return took[(len(starts)-1)%len(took)]
	})
	require.NoError(t, err)
	require.False(t, l.Running(), "a new loop is stopped")
	l.Start()
	require.True(t, l.Running())
	require.NoError(t, e.RunUntil(horizon))
	require.Equal(t, uint64(len(starts)), l.Runs())
	return starts, l
}

func secs(ss ...float64) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

// Without jitter the timeline can be written down by hand from wait.JitterUntil:
// not sliding, the next run starts max(period, took) after the last one started;
// sliding, period after it finished.
func TestLoopTimelineWithoutJitter(t *testing.T) {
	took := secs(3, 12, 0, 25)
	for _, tc := range []struct {
		name    string
		sliding bool
		want    []time.Duration
	}{
		{"non-sliding", false, secs(0, 10, 22, 32, 57, 67, 79)},
		{"sliding", true, secs(0, 13, 35, 45, 80)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := sim.New()
			got, l := runLoop(t, e, sim.LoopConfig{Period: 10 * time.Second, Sliding: tc.sliding}, took, 80*time.Second)
			require.Equal(t, tc.want, got)
			require.True(t, l.Running())
			require.Equal(t, 10*time.Second, l.Period())
		})
	}
}

func TestLoopFirstRunIsImmediate(t *testing.T) {
	e := sim.New()
	require.NoError(t, e.RunUntil(42*time.Second))
	var order []string
	_, err := e.At(42*time.Second, func() { order = append(order, "due-before-start") })
	require.NoError(t, err)
	l, err := e.NewLoop(sim.LoopConfig{Period: time.Minute}, func() time.Duration {
		order = append(order, "run@"+e.Now().String())
		return 0
	})
	require.NoError(t, err)
	l.Start()
	require.True(t, l.Running())
	require.Equal(t, 42*time.Second, l.Next())
	require.Equal(t, uint64(0), l.Runs(), "Start only schedules")
	require.NoError(t, e.RunUntil(42*time.Second))
	require.Equal(t, []string{"due-before-start", "run@42s"}, order, "the first run comes after the events already due now")
	require.Equal(t, 42*time.Second+time.Minute, l.Next())
}

// jitterWaits predicts the waits a jittered loop draws: one per period, each
// Period + ⌊U·factor·Period⌋ with U from the same stream, as wait.Jitter computes.
func jitterWaits(seed uint64, name string, period time.Duration, factor float64, n int) []time.Duration {
	r := sim.NewRand(seed, name)
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = period + time.Duration(math.Floor(r.Float64()*factor*float64(period)))
	}
	return out
}

func TestLoopJitterTimeline(t *testing.T) {
	const (
		seed   = 7
		name   = "kubelet/node-a/lease"
		period = 10 * time.Second
	)
	for _, tc := range []struct {
		name    string
		factor  float64
		sliding bool
		took    []time.Duration
	}{
		{"non-sliding instant runs", 0.04, false, secs(0)},
		{"non-sliding runs shorter than the wait", 0.5, false, secs(3, 9.5)},
		{"non-sliding runs longer than the wait", 0.5, false, secs(20, 0, 14)},
		{"sliding", 0.04, true, secs(2)},
		{"sliding varied durations", 1.2, true, secs(0, 30, 0.001)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := sim.New(sim.WithSeed(seed))
			cfg := sim.LoopConfig{Period: period, JitterFactor: tc.factor, Sliding: tc.sliding, Rand: e.Rand(name)}
			got, _ := runLoop(t, e, cfg, tc.took, time.Hour)
			require.Greater(t, len(got), 50)

			waits := jitterWaits(seed, name, period, tc.factor, len(got))
			want := []time.Duration{0}
			for i := 0; len(want) < len(got); i++ {
				took := tc.took[i%len(tc.took)]
				next := want[i] + max(waits[i], took)
				if tc.sliding {
					next = want[i] + took + waits[i]
				}
				want = append(want, next)
			}
			require.Equal(t, want, got)

			// The waits themselves stay in [P, P(1+f)).
			for i := 1; i < len(got); i++ {
				w := waits[i-1]
				require.GreaterOrEqual(t, w, period)
				require.Less(t, float64(w), float64(period)*(1+tc.factor))
			}
		})
	}
}

// One draw per period, whatever the run did: after n runs the loop's stream is
// exactly n draws in.
func TestLoopDrawsOncePerPeriod(t *testing.T) {
	for _, sliding := range []bool{false, true} {
		e := sim.New()
		r := sim.NewRand(3, "loop")
		l, err := e.NewLoop(sim.LoopConfig{Period: time.Second, JitterFactor: 0.1, Sliding: sliding, Rand: r}, func() time.Duration {
			return 5 * time.Second // longer than any wait
		})
		require.NoError(t, err)
		l.Start()
		require.NoError(t, e.RunUntil(time.Minute))
		ref := sim.NewRand(3, "loop")
		for range l.Runs() {
			ref.Uint64()
		}
		require.Equal(t, ref.Uint64(), r.Uint64(), "sliding=%v", sliding)
	}
}

func TestLoopStopInsideCallback(t *testing.T) {
	e := sim.New()
	var l *sim.Loop
	runs := 0
	l, err := e.NewLoop(sim.LoopConfig{Period: time.Second}, func() time.Duration {
		runs++
		if runs == 3 {
			require.False(t, l.Stop(), "no run is pending while the loop runs")
			require.False(t, l.Running())
		}
		return 0
	})
	require.NoError(t, err)
	l.Start()
	require.NoError(t, e.RunUntil(time.Minute))
	require.Equal(t, 3, runs)
	require.False(t, l.Running())
	require.Equal(t, 0, e.Pending())
}

func TestLoopStopAndRestartInsideCallback(t *testing.T) {
	e := sim.New()
	var (
		l      *sim.Loop
		starts []time.Duration
	)
	l, err := e.NewLoop(sim.LoopConfig{Period: 10 * time.Second}, func() time.Duration {
		starts = append(starts, e.Now())
		if len(starts) == 2 {
			l.Stop()
			l.Start() // restart: the next run is now, not a period later
		}
		if len(starts) == 4 {
			require.NoError(t, l.StartAt(e.Now()+3*time.Second)) // restart later
		}
		return time.Second
	})
	require.NoError(t, err)
	l.Start()
	require.NoError(t, e.RunUntil(35*time.Second))
	require.Equal(t, secs(0, 10, 10, 20, 23, 33), starts)
}

func TestLoopStopFromOutsideAndRestart(t *testing.T) {
	e := sim.New()
	var starts []time.Duration
	l, err := e.NewLoop(sim.LoopConfig{Period: 10 * time.Second}, func() time.Duration {
		starts = append(starts, e.Now())
		return 0
	})
	require.NoError(t, err)
	require.False(t, l.Stop(), "stopping a stopped loop reports false")
	l.Start()
	require.NoError(t, e.RunUntil(15*time.Second))
	require.True(t, l.Stop())
	require.False(t, l.Running())
	require.False(t, l.Stop())
	require.NoError(t, e.RunUntil(40*time.Second))
	require.Equal(t, secs(0, 10), starts)

	// Restarting runs at once, then every period from there.
	l.Start()
	require.NoError(t, e.RunUntil(60*time.Second))
	require.Equal(t, secs(0, 10, 40, 50, 60), starts)

	// Start on a running loop restarts it now.
	require.NoError(t, e.RunUntil(65*time.Second))
	l.Start()
	require.Equal(t, 65*time.Second, l.Next())
	require.NoError(t, e.RunUntil(80*time.Second))
	require.Equal(t, secs(0, 10, 40, 50, 60, 65, 75), starts)
	require.Equal(t, uint64(7), l.Runs())
}

func TestLoopStartAt(t *testing.T) {
	e := sim.New()
	var starts []time.Duration
	l, err := e.NewLoop(sim.LoopConfig{Period: 10 * time.Second}, func() time.Duration {
		starts = append(starts, e.Now())
		return 0
	})
	require.NoError(t, err)
	require.NoError(t, l.StartAt(5*time.Second))
	require.Equal(t, 5*time.Second, l.Next())
	require.NoError(t, e.RunUntil(26*time.Second))
	require.Equal(t, secs(5, 15, 25), starts)

	require.ErrorIs(t, l.StartAt(time.Second), sim.ErrPast)
	require.True(t, l.Running(), "a failed StartAt leaves a running loop running")
	require.Equal(t, 35*time.Second, l.Next())

	l.Stop()
	require.ErrorIs(t, l.StartAt(time.Second), sim.ErrPast)
	require.False(t, l.Running(), "a failed StartAt leaves a stopped loop stopped")
}

// A loop stopped inside its callback stays stopped even if the callback then tries,
// and fails, to restart it at a past instant.
func TestLoopFailedStartAtInsideCallbackKeepsStop(t *testing.T) {
	e := sim.New()
	var l *sim.Loop
	runs := 0
	l, err := e.NewLoop(sim.LoopConfig{Period: time.Second}, func() time.Duration {
		runs++
		l.Stop()
		require.ErrorIs(t, l.StartAt(e.Now()-1), sim.ErrPast)
		return 0
	})
	require.NoError(t, err)
	require.NoError(t, l.StartAt(time.Second))
	require.NoError(t, e.RunUntil(time.Minute))
	require.Equal(t, 1, runs)
	require.False(t, l.Running())
}

func TestLoopNegativeDurationCountsAsZero(t *testing.T) {
	for _, sliding := range []bool{false, true} {
		e := sim.New()
		got, _ := runLoop(t, e, sim.LoopConfig{Period: 10 * time.Second, Sliding: sliding}, secs(-5), 30*time.Second)
		require.Equal(t, secs(0, 10, 20, 30), got)
	}
}

func TestNewLoopErrors(t *testing.T) {
	e := sim.New()
	fn := func() time.Duration { return 0 }
	_, err := e.NewLoop(sim.LoopConfig{Period: time.Second}, nil)
	require.ErrorIs(t, err, sim.ErrNilFunc)
	_, err = e.NewLoop(sim.LoopConfig{Period: 0}, fn)
	require.ErrorIs(t, err, sim.ErrBadPeriod)
	_, err = e.NewLoop(sim.LoopConfig{Period: -time.Second}, fn)
	require.ErrorIs(t, err, sim.ErrBadPeriod)
	_, err = e.NewLoop(sim.LoopConfig{Period: time.Second, JitterFactor: -0.1, Rand: e.Rand("x")}, fn)
	require.ErrorIs(t, err, sim.ErrBadJitter)
	_, err = e.NewLoop(sim.LoopConfig{Period: time.Second, JitterFactor: 0.1}, fn)
	require.Error(t, err)
	require.Contains(t, err.Error(), "Rand")
	// A Rand without jitter is allowed and unused.
	r := sim.NewRand(1, "unused")
	l, err := e.NewLoop(sim.LoopConfig{Period: time.Second, Rand: r}, fn)
	require.NoError(t, err)
	l.Start()
	require.NoError(t, e.RunUntil(10*time.Second))
	require.Equal(t, sim.NewRand(1, "unused").Uint64(), r.Uint64())
}

// Two loops in one engine with the same period: the order between them at each
// instant is the order in which they were last scheduled, so it is stable.
func TestLoopsInterleaveDeterministically(t *testing.T) {
	e := sim.New()
	var order []string
	mk := func(name string) *sim.Loop {
		l, err := e.NewLoop(sim.LoopConfig{Period: time.Second}, func() time.Duration {
			order = append(order, name)
			return 0
		})
		require.NoError(t, err)
		return l
	}
	a, b := mk("a"), mk("b")
	b.Start()
	a.Start()
	require.NoError(t, e.RunUntil(2*time.Second))
	require.Equal(t, []string{"b", "a", "b", "a", "b", "a"}, order)
}
