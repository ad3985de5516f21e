package scenariotest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/nodesim/nodesim/scenario"
	"pgregory.net/rapid"
)

// ReproDir is where Check writes the scenario of a failing case.
var ReproDir = filepath.Join("testdata", "rapid-repro")

// Version is nodesim's module version as the test binary sees it ("(devel)" in a
// work tree).
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/nodesim/nodesim" {
				return d.Version
			}
		}
		return bi.Main.Version
	}
	return "unknown"
}

// Check generates a scenario, runs it and checks the invariants (All when none are
// given). On failure it writes the scenario — rapid shrinks it first, so the last
// file written is the minimal one — to ReproDir, and fails with the seed, the
// version and the `nodesim run` command that reproduces it.
func Check(t *rapid.T, o GenOptions, invs ...Named) {
	if len(invs) == 0 {
		invs = All()
	}
	text := ScenarioYAML(o).Draw(t, "scenario")
	sc, err := scenario.Parse("generated.yaml", []byte(text))
	if err != nil {
		t.Fatalf("generator produced an invalid scenario: %v\n%s", err, text)
	}
	res, err := scenario.Run(sc, scenario.RunOptions{Verbose: o.Verbose})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, text)
	}
	for _, inv := range invs {
		if err := inv.Check(res); err != nil {
			path := WriteRepro(text)
			t.Fatalf("%s: %v\nseed %d, nodesim %s; reproduce with: go run ./cmd/nodesim run %s%s\n%s",
				inv.Name, err, res.Seed, Version(), path, verboseFlag(o.Verbose), text)
		}
	}
}

func verboseFlag(v bool) string {
	if v {
		return " --verbose -o jsonl"
	}
	return " -o jsonl"
}

// WriteRepro writes a scenario's text to ReproDir/failing.yaml and returns the path
// ("" when it cannot be written). Each shrink step overwrites it.
func WriteRepro(text string) string {
	if err := os.MkdirAll(ReproDir, 0o755); err != nil {
		return ""
	}
	path := filepath.Join(ReproDir, "failing.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return ""
	}
	abs, _ := filepath.Abs(path)
	return abs
}

// Machine is a rapid state machine over a scenario: its actions append faults to the
// scenario's events, and its check runs the scenario so far and checks the
// invariants. Use it with rapid.T.Repeat(m.Actions(t)).
type Machine struct {
	// Base is the scenario without events (the YAML up to and including "spec:" content).
	Base string
	// Events are the event entries added so far, as YAML list items.
	Events []string
	// Invariants are checked after each action (All when nil).
	Invariants []Named
	// Verbose runs with the quiet trace kinds.
	Verbose bool
	at      int
}

// Text returns the scenario file as it stands.
func (m *Machine) Text() string {
	if len(m.Events) == 0 {
		return m.Base
	}
	return m.Base + "  events:\n" + strings.Join(m.Events, "")
}

// Actions returns the machine's rapid actions: one per fault kind on node-0, each
// at a later time than the previous, and the "" check that runs the invariants. A
// fault that would come after the end of the run (Base's spec.duration) is not added:
// a scenario may not have events after its end.
func (m *Machine) Actions(rt *rapid.T) map[string]func(*rapid.T) {
	base, err := scenario.Parse("machine.yaml", []byte(m.Base))
	if err != nil {
		rt.Fatalf("machine base scenario invalid: %v", err)
	}
	end := int(base.Spec.Duration / time.Second)
	add := func(action, body string) func(*rapid.T) {
		return func(t *rapid.T) {
			at := m.at + rapid.IntRange(1, 60).Draw(t, "gap")
			if at > end {
				return
			}
			m.at = at
			m.Events = append(m.Events, fmt.Sprintf("    - at: %ds\n      %s: %s\n", m.at, action, body))
		}
	}
	return map[string]func(*rapid.T){
		"stopKubelet":  add("stopKubelet", "{node: node-0}"),
		"startKubelet": add("startKubelet", "{node: node-0}"),
		"partition":    add("partition", "{node: node-0, for: 90s}"),
		"powerOff":     add("powerOff", "{node: node-0}"),
		"powerOn":      add("powerOn", "{node: node-0}"),
		"outOfService": add("taint", `{node: node-0, taint: "node.kubernetes.io/out-of-service=nodeshutdown:NoExecute"}`),
		"deleteNode":   add("deleteNode", "{node: node-0}"),
		"failover":     add("failoverControllerManager", "{}"),
		"": func(t *rapid.T) {
			text := m.Text()
			sc, err := scenario.Parse("machine.yaml", []byte(text))
			if err != nil {
				t.Fatalf("machine scenario invalid: %v\n%s", err, text)
			}
			res, err := scenario.Run(sc, scenario.RunOptions{Verbose: m.Verbose})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			invs := m.Invariants
			if invs == nil {
				invs = All()
			}
			for _, inv := range invs {
				if err := inv.Check(res); err != nil {
					path := WriteRepro(text)
					t.Fatalf("%s: %v\nseed %d, nodesim %s; reproduce with: go run ./cmd/nodesim run %s\n%s", inv.Name, err, res.Seed, Version(), path, text)
				}
			}
		},
	}
}
