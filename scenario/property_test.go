package scenario_test

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
	"github.com/nodesim/nodesim/sim"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// The project's property suite (issue #8). With the default -rapid.checks=100 each
// property below checks 100 random scenarios; raise it for a longer hunt:
//
//	go test ./scenario -run Property -rapid.checks=2000

// propertyOptions keep the default run quick: fleets up to 12 nodes, 6 events.
var propertyOptions = scenariotest.GenOptions{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4}

func reproDir(t *testing.T) {
	old := scenariotest.ReproDir
	scenariotest.ReproDir = t.TempDir()
	t.Cleanup(func() { scenariotest.ReproDir = old })
	if d := os.Getenv("NODESIM_REPRO_DIR"); d != "" {
		scenariotest.ReproDir = d
	}
}

// TestPropertyInvariants runs random scenarios and checks every invariant of the
// library on the (non-verbose) trace.
func TestPropertyInvariants(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) { scenariotest.Check(rt, propertyOptions) })
}

// TestPropertyNoExecuteRateLimited checks the zone limiter alone.
func TestPropertyNoExecuteRateLimited(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		scenariotest.Check(rt, propertyOptions, scenariotest.Named{Name: "NoExecuteRateLimited", Check: scenariotest.NoExecuteRateLimited})
	})
}

// TestPropertyInvariantsVerbose runs smaller random scenarios with the quiet records,
// which NoUnknownWithinGrace needs.
func TestPropertyInvariantsVerbose(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		scenariotest.Check(rt, scenariotest.GenOptions{MaxNodes: 5, MaxEvents: 4, MaxObjects: 2, Verbose: true})
	})
}

// TestPropertyStateMachine drives a cluster through random faults on one node and
// checks the invariants after each.
func TestPropertyStateMachine(t *testing.T) {
	reproDir(t)
	rapid.Check(t, func(rt *rapid.T) {
		m := &scenariotest.Machine{Base: `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: machine}
spec:
  duration: 15m
  nodes:
    - {name: node-0, zone: a}
    - {name: node-1, zone: a}
    - {name: node-2, zone: b}
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default}
      spec:
        nodeName: node-0
        containers: [{name: c, image: nginx}]
        tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 20}]
`}
		rt.Repeat(m.Actions(rt))
	})
}

// TestPropertyDeterminism: a random scenario run twice gives the same trace, byte for
// byte, and so does a run with GOMAXPROCS 1 against one with 2.
func TestPropertyDeterminism(t *testing.T) {
	rapid.Check(t, deterministic(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3}))
}

// deterministic is the property that a scenario drawn with opts gives the same trace
// under GOMAXPROCS 1 and 2, and in two runs.
func deterministic(opts scenariotest.GenOptions) func(*rapid.T) {
	return func(rt *rapid.T) {
		sc := scenariotest.Scenario(opts).Draw(rt, "scenario")
		run := func(procs int) string {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			res, err := scenario.Run(sc, scenario.RunOptions{})
			if err != nil {
				rt.Fatalf("run: %v", err)
			}
			return res.Digest()
		}
		a, b := run(1), run(2)
		if a != b {
			rt.Fatalf("GOMAXPROCS 1 gives %s, 2 gives %s", a, b)
		}
		if c := run(2); c != b {
			rt.Fatalf("two runs give %s and %s", b, c)
		}
	}
}

// shiftUnknownEarlier is a deliberately injected bug kept in test code: it moves every
// NodeCondition →Unknown record one monitor pass earlier, as a controller that
// misread its grace period by one pass would write it.
func shiftUnknownEarlier(res *scenario.Result) *scenario.Result {
	period := res.Scenario.Spec.ControllerManager.NodeMonitorPeriod
	out := *res
	recs := make([]sim.Record, 0, len(res.Records()))
	for _, r := range res.Records() {
		if r.Kind == "NodeCondition" && r.Str("to") == "Unknown" {
			r = sim.NewRecord(r.T-period, r.Kind, r.Quiet, r.Attrs()...)
		}
		recs = append(recs, r)
	}
	out.Trace = sim.TraceOf(recs)
	return &out
}

// recorder is a rapid.TB that keeps the failure instead of failing the test, so that a
// test can look at what rapid found.
type recorder struct {
	*testing.T
	failed bool
	msgs   []string
}

func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }
func (r *recorder) Fatal(args ...any)                 { r.fail(fmt.Sprint(args...)) }
func (r *recorder) FailNow()                          { r.failed = true }
func (r *recorder) Fail()                             { r.failed = true }
func (r *recorder) Failed() bool                      { return r.failed }
func (r *recorder) fail(msg string)                   { r.failed, r.msgs = true, append(r.msgs, msg) }

// TestPropertyFindsInjectedBug shows that the suite finds the injected bug and shrinks
// it to a small scenario, written as a file that reproduces it.
func TestPropertyFindsInjectedBug(t *testing.T) {
	reproDir(t)
	// No fail file; time to shrink fully even on a loaded machine (rapid's default
	// budget is 30 s, which a busy CI machine can use up before the minimum); and a fixed
	// seed: shrinking is a search that, from about one random start in seven, stops at a
	// local minimum (three nodes, or four events on one node) where every single step
	// loses the failure, so that the size bounds below would fail at random. The other
	// properties keep drawing new cases on each run.
	for name, v := range map[string]string{"rapid.nofailfile": "true", "rapid.shrinktime": "5m", "rapid.seed": "1"} {
		if f := flag.Lookup(name); f != nil {
			old := f.Value.String()
			require.NoError(t, f.Value.Set(v))
			t.Cleanup(func() { _ = f.Value.Set(old) })
		}
	}
	buggy := scenariotest.Named{Name: "NoUnknownWithinGrace(shifted)", Check: func(res *scenario.Result) error {
		return scenariotest.NoUnknownWithinGrace(shiftUnknownEarlier(res))
	}}
	rec := &recorder{T: t}
	rapid.Check(rec, func(rt *rapid.T) {
		scenariotest.Check(rt, scenariotest.GenOptions{MaxNodes: 4, MaxEvents: 4, MaxObjects: 1, Verbose: true}, buggy)
	})
	require.True(t, rec.failed, "the injected bug must be found")
	report := strings.Join(rec.msgs, "\n")
	require.Contains(t, report, "NoUnknownWithinGrace(shifted)")
	require.Contains(t, report, "nodesim run ")

	// The last file written is the minimal scenario: it loads, it is small, and
	// running it reproduces the failure.
	sc, err := scenario.Load(scenariotest.ReproDir + "/failing.yaml")
	require.NoError(t, err)
	if !raceEnabled { // under -race rapid's shrink time budget may run out first
		require.LessOrEqual(t, len(sc.Spec.Nodes), 2, "shrunk to at most two nodes")
		// One stopKubelet after the boot is enough, but rapid shrinks times towards 0,
		// where a stop before the boot instant replaces the boot; it may then keep a
		// startKubelet and a stop instead (three events on one node).
		require.LessOrEqual(t, len(sc.Spec.Events), 3, "shrunk to at most three events")
	}
	res, err := scenario.Run(sc, scenario.RunOptions{Verbose: true})
	require.NoError(t, err)
	require.Error(t, buggy.Check(res), "the written scenario reproduces the bug")
	require.NoError(t, scenariotest.NoUnknownWithinGrace(res), "the real trace is fine")
	t.Logf("minimal scenario (%d nodes, %d events):\n%s", len(sc.Spec.Nodes), len(sc.Spec.Events), mustRead(t, scenariotest.ReproDir+"/failing.yaml"))
}

func mustRead(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// TestPropertyLazyEqualsExact: the steady-state shortcuts (lazy kubelets and leader
// lease, lazy monitor passes, and in a running start kubelets built only when something
// concerns their node) give the same trace as exact mode, on random scenarios.
func TestPropertyLazyEqualsExact(t *testing.T) {
	rapid.Check(t, lazyEqualsExact(scenariotest.GenOptions{MaxNodes: 8, MaxEvents: 5, MaxObjects: 3}))
}

// lazyEqualsExact is the property that a scenario drawn with opts gives the same trace
// in lazy and in exact mode.
func lazyEqualsExact(opts scenariotest.GenOptions) func(*rapid.T) {
	return func(rt *rapid.T) {
		sc := scenariotest.Scenario(opts).Draw(rt, "scenario")
		lazy, err := scenario.Run(sc, scenario.RunOptions{})
		if err != nil {
			rt.Fatalf("run: %v", err)
		}
		exact, err := scenario.Run(sc, scenario.RunOptions{Exact: true})
		if err != nil {
			rt.Fatalf("run: %v", err)
		}
		if lazy.Digest() != exact.Digest() {
			var a, b strings.Builder
			_ = lazy.WriteText(&a)
			_ = exact.WriteText(&b)
			rt.Fatalf("lazy and exact traces differ:\nlazy:\n%s\nexact:\n%s", a.String(), b.String())
		}
	}
}
