package sim

import (
	"fmt"
	"time"
)

// LoopConfig describes a periodic loop with the semantics of
// k8s.io/apimachinery/pkg/util/wait.JitterUntil, which the kubelet, the lease
// controller and the controller-manager's loops are built on:
//
//   - the first run is immediate (at Start);
//   - before each run the wait is drawn: Period, or Period·(1 + U[0,1)·JitterFactor)
//     when JitterFactor > 0;
//   - Sliding: the wait starts after the run finishes (next = start + took + wait);
//     not sliding: the wait starts before the run (next = start + max(wait, took)).
//
// A run's duration is what its callback returns; it is modelled time, used only to
// place the next run. The callback's effects happen at the run's start instant.
type LoopConfig struct {
	Period       time.Duration
	JitterFactor float64
	Sliding      bool
	// Rand supplies the jitter draws; required when JitterFactor > 0.
	Rand *Rand
}

// Loop is a periodic callback driven by the engine (see LoopConfig).
type Loop struct {
	cfg    LoopConfig
	fn     func() time.Duration
	timer  *Timer
	runs   uint64
	halted bool
}

// NewLoop returns a stopped loop. fn returns how long the run took (0 if the model
// treats it as instantaneous).
func (e *Engine) NewLoop(cfg LoopConfig, fn func() time.Duration) (*Loop, error) {
	if fn == nil {
		return nil, ErrNilFunc
	}
	if cfg.Period <= 0 {
		return nil, fmt.Errorf("%w: got %v", ErrBadPeriod, cfg.Period)
	}
	if cfg.JitterFactor < 0 {
		return nil, fmt.Errorf("%w: got %v", ErrBadJitter, cfg.JitterFactor)
	}
	if cfg.JitterFactor > 0 && cfg.Rand == nil {
		return nil, fmt.Errorf("sim: a loop with jitter needs a Rand")
	}
	l := &Loop{cfg: cfg, fn: fn}
	l.timer, _ = e.NewTimer(l.run)
	return l, nil
}

// Start schedules the first run at the current time (after the events already due
// now). Starting a running loop restarts it.
func (l *Loop) Start() {
	l.halted = false
	_ = l.timer.Schedule(l.timer.e.now)
}

// StartAt schedules the first run at the instant at (≥ now). On error the loop is
// left as it was.
func (l *Loop) StartAt(at time.Duration) error {
	if err := l.timer.Schedule(at); err != nil {
		return err
	}
	l.halted = false
	return nil
}

// Stop stops the loop; it reports whether a run was pending.
func (l *Loop) Stop() bool {
	l.halted = true
	return l.timer.Stop()
}

// Running reports whether a run is scheduled.
func (l *Loop) Running() bool { return l.timer.Pending() }

// Next is the instant of the next run (meaningful while Running).
func (l *Loop) Next() time.Duration { return l.timer.When() }

// Runs is the number of runs so far.
func (l *Loop) Runs() uint64 { return l.runs }

// Period is the loop's configured period.
func (l *Loop) Period() time.Duration { return l.cfg.Period }

func (l *Loop) run() {
	start := l.timer.e.now
	wait := l.cfg.Period
	if l.cfg.JitterFactor > 0 {
		wait = l.cfg.Rand.Jitter(l.cfg.Period, l.cfg.JitterFactor)
	}
	l.runs++
	took := l.fn()
	if took < 0 {
		took = 0
	}
	if l.timer.Pending() {
		// fn stopped and restarted the loop, or moved it: respect that.
		return
	}
	if l.halted {
		return
	}
	next := start + wait
	if l.cfg.Sliding {
		next = start + took + wait
	} else if took > wait {
		next = start + took
	}
	_ = l.timer.Schedule(next)
}
