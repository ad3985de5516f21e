package sim_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/sim"
)

// The determinism property drives the engine with a random program and checks it
// against a reference model written here from the documented semantics alone: a list
// of pending things, the earliest (time, schedule order) fired next, found by a linear
// scan. A program sets up timers and jittered loops, then runs phases; each phase
// performs operations at the current instant and then advances the engine with
// RunUntil, RunFor or Step. Every thing that fires runs a script of further
// operations, so events are scheduled, cancelled and moved from inside callbacks.
//
// Both sides write what they observe (fires, the results of operations, Peek, Pending
// and Now at the end of each phase) as trace records, and the traces must be equal.

type opKind uint8

const (
	opAt          opKind = iota // schedule a new one-shot event (Engine.At)
	opCancel                    // Handle.Cancel
	opMove                      // Handle.Move
	opSchedule                  // Timer.Schedule
	opStop                      // Timer.Stop
	opLoopStart                 // Loop.Start
	opLoopStartAt               // Loop.StartAt
	opLoopStop                  // Loop.Stop
	opHalt                      // Engine.Halt
	numOps
)

var opNames = [numOps]string{"at", "cancel", "move", "schedule", "stop", "loop-start", "loop-start-at", "loop-stop", "halt"}

func (k opKind) String() string { return opNames[k] }

// op is one operation. Target picks a one-shot (by creation order), timer or loop,
// modulo how many exist; D is an offset from now, negative to provoke ErrPast.
type op struct {
	Kind   opKind
	Target int
	D      time.Duration
	Script int // opAt: the script the new event runs
}

func (o op) String() string { return fmt.Sprintf("%v(#%d %v s%d)", o.Kind, o.Target, o.D, o.Script) }

type loopSpec struct {
	Period  time.Duration
	Jitter  float64
	Sliding bool
	Took    []time.Duration // modelled durations, cycled through
	Script  int
}

type phase struct {
	Ops   []op
	Steps int           // > 0: call Step this many times
	For   time.Duration // otherwise advance by For (RunFor, or RunUntil(now+For)); < 0 expects ErrPast
	Until bool          // use RunUntil rather than RunFor
}

type program struct {
	Seed     uint64
	Scripts  [][]op
	Timers   []int // script of each timer
	Loops    []loopSpec
	Phases   []phase
	Budget   int // one-shot events the program may create
	MaxFires int // after this many fires, callbacks stop running their scripts
}

const unit = time.Second

// genOffset favours a few whole units so that many events share an instant.
func genOffset(t *rapid.T, label string, negative bool) time.Duration {
	switch rapid.IntRange(0, 9).Draw(t, label+"-shape") {
	case 0:
		if negative {
			return -rapid.SampledFrom([]time.Duration{1, unit}).Draw(t, label+"-neg")
		}
		return 0
	case 1, 2:
		return time.Duration(rapid.Int64Range(0, int64(8*unit)).Draw(t, label))
	default:
		return rapid.SampledFrom([]time.Duration{0, 0, unit, unit, 2 * unit, 3 * unit, 5 * unit, 8 * unit}).Draw(t, label)
	}
}

func genOp(t *rapid.T, label string, scripts int) op {
	o := op{
		Kind:   opKind(rapid.IntRange(0, int(numOps)-1).Draw(t, label+"-kind")),
		Target: rapid.IntRange(0, 7).Draw(t, label+"-target"),
	}
	switch o.Kind {
	case opAt, opMove, opSchedule, opLoopStartAt:
		o.D = genOffset(t, label+"-d", true)
	}
	if o.Kind == opAt {
		o.Script = rapid.IntRange(0, scripts-1).Draw(t, label+"-script")
	}
	return o
}

func genOps(t *rapid.T, label string, max, scripts int) []op {
	ops := make([]op, rapid.IntRange(0, max).Draw(t, label+"-n"))
	for i := range ops {
		ops[i] = genOp(t, fmt.Sprintf("%s-%d", label, i), scripts)
	}
	return ops
}

func genProgram(t *rapid.T) program {
	p := program{
		Seed:     rapid.Uint64().Draw(t, "seed"),
		Budget:   rapid.IntRange(0, 80).Draw(t, "budget"),
		MaxFires: 400,
	}
	p.Scripts = make([][]op, rapid.IntRange(1, 5).Draw(t, "scripts"))
	for i := range p.Scripts {
		p.Scripts[i] = genOps(t, fmt.Sprintf("script%d", i), 4, len(p.Scripts))
	}
	p.Timers = make([]int, rapid.IntRange(0, 4).Draw(t, "timers"))
	for i := range p.Timers {
		p.Timers[i] = rapid.IntRange(0, len(p.Scripts)-1).Draw(t, fmt.Sprintf("timer%d-script", i))
	}
	p.Loops = make([]loopSpec, rapid.IntRange(0, 3).Draw(t, "loops"))
	for i := range p.Loops {
		l := fmt.Sprintf("loop%d", i)
		p.Loops[i] = loopSpec{
			Period:  rapid.SampledFrom([]time.Duration{unit, 2 * unit, 3 * unit, 1500 * time.Millisecond}).Draw(t, l+"-period"),
			Jitter:  rapid.SampledFrom([]float64{0, 0, 0.04, 0.5, 1, 2}).Draw(t, l+"-jitter"),
			Sliding: rapid.Bool().Draw(t, l+"-sliding"),
			Script:  rapid.IntRange(0, len(p.Scripts)-1).Draw(t, l+"-script"),
		}
		p.Loops[i].Took = rapid.SliceOfN(rapid.SampledFrom([]time.Duration{0, 0, time.Millisecond, unit, 3 * unit, 7 * unit}), 1, 4).Draw(t, l+"-took")
	}
	p.Phases = make([]phase, rapid.IntRange(1, 8).Draw(t, "phases"))
	for i := range p.Phases {
		l := fmt.Sprintf("phase%d", i)
		ph := phase{Ops: genOps(t, l, 6, len(p.Scripts))}
		if rapid.IntRange(0, 3).Draw(t, l+"-step") == 0 {
			ph.Steps = rapid.IntRange(1, 20).Draw(t, l+"-steps")
		} else {
			ph.For = genOffset(t, l+"-for", true) * 2
			ph.Until = rapid.Bool().Draw(t, l+"-until")
		}
		p.Phases[i] = ph
	}
	return p
}

// errClass names the outcome of a scheduling call for the trace.
func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, sim.ErrPast):
		return "past"
	case errors.Is(err, sim.ErrStaleHandle):
		return "stale"
	}
	return "other: " + err.Error()
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------
// The engine under test.

// tb is what the runs need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

type engineRun struct {
	t       tb
	p       *program
	e       *sim.Engine
	tr      *sim.Trace
	shots   []sim.Handle
	shotTag []int64 // stamp of each one-shot's last schedule
	timers  []*sim.Timer
	timerTg []int64
	loops   []*sim.Loop
	loopTag []int64
	stopped []bool // the test's view of each loop: stopped by Loop.Stop
	stamp   int64  // the test's count of schedules, in the order they were made
	fires   int
	last    time.Duration
}

func runEngine(t tb, p *program) *sim.Trace {
	r := &engineRun{t: t, p: p, e: sim.New(sim.WithSeed(p.Seed)), tr: sim.NewTrace(true)}
	for i, script := range p.Timers {
		i, script := i, script
		tm, err := r.e.NewTimer(func() {
			r.fire(fmt.Sprintf("t%d", i), r.timerTg[i])
			r.script(script)
		})
		if err != nil {
			t.Fatal(err)
		}
		r.timers = append(r.timers, tm)
		r.timerTg = append(r.timerTg, 0)
	}
	for i, spec := range p.Loops {
		i, spec := i, spec
		cfg := sim.LoopConfig{Period: spec.Period, JitterFactor: spec.Jitter, Sliding: spec.Sliding}
		if spec.Jitter > 0 {
			cfg.Rand = r.e.Rand(fmt.Sprintf("loop%d", i))
		}
		var l *sim.Loop
		l, err := r.e.NewLoop(cfg, func() time.Duration {
			r.fire(fmt.Sprintf("l%d", i), r.loopTag[i])
			took := spec.Took[int(l.Runs()-1)%len(spec.Took)]
			r.script(spec.Script)
			// The loop reschedules itself after this returns, unless the script
			// restarted or stopped it: that schedule comes next in order.
			if !l.Running() && !r.stopped[i] {
				r.stamp++
				r.loopTag[i] = r.stamp
			}
			return took
		})
		if err != nil {
			t.Fatal(err)
		}
		r.loops = append(r.loops, l)
		r.loopTag = append(r.loopTag, 0)
		r.stopped = append(r.stopped, false)
	}
	for i, ph := range p.Phases {
		for _, o := range ph.Ops {
			r.do(o)
		}
		if ph.Steps > 0 {
			for range ph.Steps {
				if !r.e.Step() {
					r.tr.Add(r.e.Now(), "idle")
				}
			}
		} else {
			var err error
			if ph.Until {
				err = r.e.RunUntil(r.e.Now() + ph.For)
			} else {
				err = r.e.RunFor(ph.For)
			}
			r.tr.Add(r.e.Now(), "run", sim.S("err", errClass(err)))
		}
		at, ok := r.e.Peek()
		r.tr.Add(r.e.Now(), "phase", sim.I("n", int64(i)), sim.I("pending", int64(r.e.Pending())),
			sim.I("peek", int64(at)), sim.I("peekOK", boolInt(ok)))
		r.check()
	}
	return r.tr
}

func (r *engineRun) check() {
	r.t.Helper()
	if err := sim.CheckQueue(r.e); err != nil {
		r.t.Fatalf("queue invariant: %v", err)
	}
}

func (r *engineRun) fire(name string, stamp int64) {
	now := r.e.Now()
	if now < r.last {
		r.t.Fatalf("time went backwards: %s fired at %v after %v", name, now, r.last)
	}
	r.last = now
	r.fires++
	r.tr.Add(now, "fire", sim.S("ev", name), sim.I("stamp", stamp))
}

func (r *engineRun) script(i int) {
	if r.fires > r.p.MaxFires {
		return
	}
	for _, o := range r.p.Scripts[i] {
		r.do(o)
	}
	r.check()
}

func (r *engineRun) do(o op) {
	e, now := r.e, r.e.Now()
	switch o.Kind {
	case opAt:
		if len(r.shots) >= r.p.Budget {
			return
		}
		i := len(r.shots)
		script := o.Script
		h, err := e.At(now+o.D, func() {
			r.fire(fmt.Sprintf("s%d", i), r.shotTag[i])
			r.script(script)
		})
		var tag int64
		if err == nil {
			r.stamp++
			tag = r.stamp
		}
		r.shots = append(r.shots, h)
		r.shotTag = append(r.shotTag, tag)
		r.tr.Add(now, "at", sim.I("id", int64(i)), sim.S("err", errClass(err)))
	case opCancel:
		if len(r.shots) == 0 {
			return
		}
		i := o.Target % len(r.shots)
		r.tr.Add(now, "cancel", sim.I("id", int64(i)), sim.I("ok", boolInt(r.shots[i].Cancel())))
	case opMove:
		if len(r.shots) == 0 {
			return
		}
		i := o.Target % len(r.shots)
		err := r.shots[i].Move(now + o.D)
		if err == nil {
			r.stamp++
			r.shotTag[i] = r.stamp
		}
		h := r.shots[i]
		r.tr.Add(now, "move", sim.I("id", int64(i)), sim.S("err", errClass(err)),
			sim.I("pending", boolInt(h.Pending())), sim.I("when", int64(h.When())))
	case opSchedule:
		if len(r.timers) == 0 {
			return
		}
		i := o.Target % len(r.timers)
		err := r.timers[i].Schedule(now + o.D)
		if err == nil {
			r.stamp++
			r.timerTg[i] = r.stamp
		}
		r.tr.Add(now, "schedule", sim.I("id", int64(i)), sim.S("err", errClass(err)),
			sim.I("pending", boolInt(r.timers[i].Pending())))
	case opStop:
		if len(r.timers) == 0 {
			return
		}
		i := o.Target % len(r.timers)
		r.tr.Add(now, "stop", sim.I("id", int64(i)), sim.I("ok", boolInt(r.timers[i].Stop())))
	case opLoopStart:
		if len(r.loops) == 0 {
			return
		}
		i := o.Target % len(r.loops)
		r.loops[i].Start()
		r.stopped[i] = false
		r.stamp++
		r.loopTag[i] = r.stamp
		r.tr.Add(now, "loop-start", sim.I("id", int64(i)), sim.I("next", int64(r.loops[i].Next())))
	case opLoopStartAt:
		if len(r.loops) == 0 {
			return
		}
		i := o.Target % len(r.loops)
		err := r.loops[i].StartAt(now + o.D)
		if err == nil {
			r.stopped[i] = false
			r.stamp++
			r.loopTag[i] = r.stamp
		}
		r.tr.Add(now, "loop-start-at", sim.I("id", int64(i)), sim.S("err", errClass(err)))
	case opLoopStop:
		if len(r.loops) == 0 {
			return
		}
		i := o.Target % len(r.loops)
		r.stopped[i] = true
		r.tr.Add(now, "loop-stop", sim.I("id", int64(i)), sim.I("ok", boolInt(r.loops[i].Stop())),
			sim.I("runs", int64(r.loops[i].Runs())))
	case opHalt:
		e.Halt()
		r.tr.Add(now, "halt")
	}
}

// ---------------------------------------------------------------------------
// The reference model.

// thing is anything that can be pending: a one-shot, a timer or a loop.
type thing struct {
	name    string
	pending bool
	at      time.Duration
	seq     int64 // when it was last scheduled, counting every successful schedule
	fire    func()
}

type model struct {
	p      *program
	now    time.Duration
	seq    int64
	things []*thing // every thing ever created; pending ones are candidates
	shots  []*thing
	timers []*thing
	loops  []*mloop
	fires  int
	halt   bool
	out    []sim.Record
}

type mloop struct {
	thing
	spec   loopSpec
	halted bool
	runs   int
	rand   *sim.Rand
}

func (m *model) add(t time.Duration, kind string, attrs ...sim.Attr) {
	m.out = append(m.out, sim.NewRecord(t, kind, false, attrs...))
}

func (m *model) schedule(th *thing, at time.Duration) {
	m.seq++
	th.pending, th.at, th.seq = true, at, m.seq
}

// next is the pending thing due first: the earliest, and among those due at the same
// instant the one scheduled first.
func (m *model) next() *thing {
	var best *thing
	for _, th := range m.things {
		if th.pending && (best == nil || th.at < best.at || th.at == best.at && th.seq < best.seq) {
			best = th
		}
	}
	return best
}

func (m *model) pendingCount() int {
	n := 0
	for _, th := range m.things {
		if th.pending {
			n++
		}
	}
	return n
}

func (m *model) step() bool {
	th := m.next()
	if th == nil {
		return false
	}
	th.pending = false
	m.now = th.at
	m.fires++
	m.add(m.now, "fire", sim.S("ev", th.name), sim.I("stamp", th.seq))
	th.fire()
	return true
}

func (m *model) script(i int) {
	if m.fires > m.p.MaxFires {
		return
	}
	for _, o := range m.p.Scripts[i] {
		m.do(o)
	}
}

func runModel(p *program) []sim.Record {
	m := &model{p: p}
	for i, script := range p.Timers {
		script := script
		th := &thing{name: fmt.Sprintf("t%d", i)}
		th.fire = func() { m.script(script) }
		m.timers = append(m.timers, th)
		m.things = append(m.things, th)
	}
	for i, spec := range p.Loops {
		l := &mloop{thing: thing{name: fmt.Sprintf("l%d", i)}, spec: spec}
		if spec.Jitter > 0 {
			l.rand = sim.NewRand(p.Seed, fmt.Sprintf("loop%d", i))
		}
		l.fire = func() { m.runLoop(l) }
		m.loops = append(m.loops, l)
		m.things = append(m.things, &l.thing)
	}
	for i, ph := range p.Phases {
		for _, o := range ph.Ops {
			m.do(o)
		}
		if ph.Steps > 0 {
			for range ph.Steps {
				if !m.step() {
					m.add(m.now, "idle")
				}
			}
		} else if ph.For < 0 {
			m.add(m.now, "run", sim.S("err", "past"))
		} else {
			until := m.now + ph.For
			m.halt = false
			for {
				th := m.next()
				if th == nil || th.at > until {
					m.now = until
					break
				}
				m.step()
				if m.halt {
					break
				}
			}
			m.add(m.now, "run", sim.S("err", "ok"))
		}
		var peek time.Duration
		th := m.next()
		if th != nil {
			peek = th.at
		}
		m.add(m.now, "phase", sim.I("n", int64(i)), sim.I("pending", int64(m.pendingCount())),
			sim.I("peek", int64(peek)), sim.I("peekOK", boolInt(th != nil)))
	}
	return m.out
}

// runLoop is wait.JitterUntil's body: draw the wait, run, and unless the run stopped
// or restarted the loop, wait from the start (not sliding: at least the run's
// duration) or from the end of the run (sliding).
func (m *model) runLoop(l *mloop) {
	start := m.now
	wait := l.spec.Period
	if l.spec.Jitter > 0 {
		wait += time.Duration(l.rand.Float64() * l.spec.Jitter * float64(l.spec.Period))
	}
	l.runs++
	took := l.spec.Took[(l.runs-1)%len(l.spec.Took)]
	m.script(l.spec.Script)
	if l.pending || l.halted {
		return
	}
	next := start + max(wait, took)
	if l.spec.Sliding {
		next = start + took + wait
	}
	m.schedule(&l.thing, next)
}

func (m *model) do(o op) {
	now := m.now
	switch o.Kind {
	case opAt:
		if len(m.shots) >= m.p.Budget {
			return
		}
		i := len(m.shots)
		script := o.Script
		th := &thing{name: fmt.Sprintf("s%d", i)}
		th.fire = func() { m.script(script) }
		m.shots = append(m.shots, th)
		m.things = append(m.things, th)
		res := "past"
		if o.D >= 0 {
			m.schedule(th, now+o.D)
			res = "ok"
		}
		m.add(now, "at", sim.I("id", int64(i)), sim.S("err", res))
	case opCancel:
		if len(m.shots) == 0 {
			return
		}
		i := o.Target % len(m.shots)
		th := m.shots[i]
		ok := th.pending
		th.pending = false
		m.add(now, "cancel", sim.I("id", int64(i)), sim.I("ok", boolInt(ok)))
	case opMove:
		if len(m.shots) == 0 {
			return
		}
		i := o.Target % len(m.shots)
		th := m.shots[i]
		res := "stale"
		if th.pending {
			res = "past"
			if o.D >= 0 {
				m.schedule(th, now+o.D)
				res = "ok"
			}
		}
		var when time.Duration
		if th.pending {
			when = th.at
		}
		m.add(now, "move", sim.I("id", int64(i)), sim.S("err", res),
			sim.I("pending", boolInt(th.pending)), sim.I("when", int64(when)))
	case opSchedule:
		if len(m.timers) == 0 {
			return
		}
		i := o.Target % len(m.timers)
		th := m.timers[i]
		res := "past"
		if o.D >= 0 {
			m.schedule(th, now+o.D)
			res = "ok"
		}
		m.add(now, "schedule", sim.I("id", int64(i)), sim.S("err", res), sim.I("pending", boolInt(th.pending)))
	case opStop:
		if len(m.timers) == 0 {
			return
		}
		i := o.Target % len(m.timers)
		th := m.timers[i]
		ok := th.pending
		th.pending = false
		m.add(now, "stop", sim.I("id", int64(i)), sim.I("ok", boolInt(ok)))
	case opLoopStart:
		if len(m.loops) == 0 {
			return
		}
		i := o.Target % len(m.loops)
		l := m.loops[i]
		l.halted = false
		m.schedule(&l.thing, now)
		m.add(now, "loop-start", sim.I("id", int64(i)), sim.I("next", int64(now)))
	case opLoopStartAt:
		if len(m.loops) == 0 {
			return
		}
		i := o.Target % len(m.loops)
		l := m.loops[i]
		res := "past"
		if o.D >= 0 {
			l.halted = false
			m.schedule(&l.thing, now+o.D)
			res = "ok"
		}
		m.add(now, "loop-start-at", sim.I("id", int64(i)), sim.S("err", res))
	case opLoopStop:
		if len(m.loops) == 0 {
			return
		}
		i := o.Target % len(m.loops)
		l := m.loops[i]
		ok := l.pending
		l.pending, l.halted = false, true
		m.add(now, "loop-stop", sim.I("id", int64(i)), sim.I("ok", boolInt(ok)), sim.I("runs", int64(l.runs)))
	case opHalt:
		m.halt = true
		m.add(now, "halt")
	}
}

// ---------------------------------------------------------------------------

func textOf(recs []sim.Record) []string {
	out := make([]string, len(recs))
	for i := range recs {
		out[i] = string(recs[i].AppendText(nil))
	}
	return out
}

// checkFireOrder checks, on a trace, that time never goes backwards and that events
// due at the same instant fire in the order they were scheduled.
func checkFireOrder(t tb, recs []sim.Record) {
	t.Helper()
	var prev *sim.Record
	for i := range recs {
		r := &recs[i]
		if r.Kind != "fire" {
			continue
		}
		if prev != nil {
			if r.T < prev.T {
				t.Fatalf("time went backwards: %s after %s", r.AppendText(nil), prev.AppendText(nil))
			}
			if r.T == prev.T && stampOf(r) <= stampOf(prev) {
				t.Fatalf("tie out of scheduling order: %s after %s", r.AppendText(nil), prev.AppendText(nil))
			}
		}
		prev = r
	}
}

func stampOf(r *sim.Record) int64 {
	var n int64
	_, _ = fmt.Sscan(r.Str("stamp"), &n)
	return n
}

func TestPropertyDeterminism(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := genProgram(rt)
		first := runEngine(rt, &p).Records()
		second := runEngine(rt, &p).Records()

		// (a) the same program and seed give the same trace.
		if d1, d2 := sim.Digest(first), sim.Digest(second); d1 != d2 {
			rt.Fatalf("two runs differ: %s != %s\n%s", d1, d2, cmp.Diff(textOf(first), textOf(second)))
		}
		// (b) ties run in scheduling order, and (c) time never goes backwards.
		checkFireOrder(rt, first)
		// (d) the engine agrees with the reference model, record for record.
		want := runModel(&p)
		if diff := cmp.Diff(textOf(want), textOf(first)); diff != "" {
			rt.Fatalf("engine differs from the model (-model +engine):\n%s", diff)
		}
		if sim.Digest(want) != sim.Digest(first) {
			rt.Fatalf("digests differ though the text forms agree")
		}
	})
}

// TestPropertyTies schedules many events on a handful of instants, from the top level
// and from callbacks, with cancellations and moves, and checks each instant's events
// fire exactly in the order they were (last) scheduled.
func TestPropertyTies(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		e := sim.New()
		type ev struct {
			h     sim.Handle
			stamp int
		}
		var (
			evs   []*ev
			stamp int
			got   []string
		)
		instants := rapid.IntRange(1, 4).Draw(rt, "instants")
		var schedule func(at time.Duration, nested int)
		schedule = func(at time.Duration, nested int) {
			x := &ev{}
			h, err := e.At(at, func() {
				got = append(got, fmt.Sprintf("%v/%d", e.Now(), x.stamp))
				if nested > 0 {
					schedule(e.Now()+time.Duration(rapid.IntRange(0, 1).Draw(rt, "nested-later"))*unit, nested-1)
				}
			})
			if err != nil {
				rt.Fatalf("At(%v) at %v: %v", at, e.Now(), err)
			}
			stamp++
			x.h, x.stamp = h, stamp
			evs = append(evs, x)
		}
		n := rapid.IntRange(1, 60).Draw(rt, "n")
		for i := range n {
			at := time.Duration(rapid.IntRange(0, instants-1).Draw(rt, fmt.Sprintf("at%d", i))) * unit
			schedule(at, rapid.IntRange(0, 2).Draw(rt, fmt.Sprintf("nested%d", i)))
			if len(evs) > 1 && rapid.IntRange(0, 3).Draw(rt, fmt.Sprintf("churn%d", i)) == 0 {
				x := evs[rapid.IntRange(0, len(evs)-1).Draw(rt, fmt.Sprintf("victim%d", i))]
				if rapid.Bool().Draw(rt, fmt.Sprintf("cancel%d", i)) {
					x.h.Cancel()
				} else if x.h.Move(time.Duration(rapid.IntRange(0, instants-1).Draw(rt, fmt.Sprintf("to%d", i)))*unit) == nil {
					stamp++
					x.stamp = stamp
				}
			}
		}
		e.Run()
		// Within an instant, stamps must increase.
		prevAt, prevStamp := time.Duration(-1), 0
		for _, g := range got {
			var at time.Duration
			var s int
			parts := strings.Split(g, "/")
			d, err := time.ParseDuration(parts[0])
			if err != nil {
				rt.Fatal(err)
			}
			at = d
			_, _ = fmt.Sscan(parts[1], &s)
			if at < prevAt || at == prevAt && s <= prevStamp {
				rt.Fatalf("order broken: %v", got)
			}
			prevAt, prevStamp = at, s
		}
		if e.Pending() != 0 {
			rt.Fatalf("Run left %d pending", e.Pending())
		}
		if err := sim.CheckQueue(e); err != nil {
			rt.Fatal(err)
		}
	})
}
