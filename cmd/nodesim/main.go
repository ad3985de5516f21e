// Command nodesim runs node-lifecycle scenarios: see `nodesim help`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/nodesim/nodesim/scenario"
)

const usage = `nodesim simulates the Kubernetes node lifecycle on a virtual clock.

Usage:
  nodesim run FILE [-o text|jsonl|json] [--report report.html] [--verbose] [--seed N] [--exact] [--check-determinism]
  nodesim get nodes|pods FILE --at DURATION
  nodesim get configz FILE --node NAME [--at DURATION]
  nodesim sweep FILE [-j N] [--shard I/N] [-o csv|jsonl]
  nodesim validate FILE

Exit status: 0 ran and every expectation held; 1 an expectation failed (or the run
failed); 2 the file or flags are invalid.
`

// exitError carries an exit status.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func invalid(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

func main() {
	deferFirstGC()
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err.Error() != "" {
			fmt.Fprintln(os.Stderr, "nodesim:", ee.err)
		}
		os.Exit(ee.code)
	}
	fmt.Fprintln(os.Stderr, "nodesim:", err)
	os.Exit(1)
}

// firstGCAt is the heap size at which the CLI's first garbage collection runs (see
// deferFirstGC).
const firstGCAt = 64 << 20

// deferFirstGC puts the first garbage collection off until the process has used
// firstGCAt bytes, then restores the default collector (GOGC=100, no memory limit) for
// the rest of the process. A typical scenario allocates a few MB and exits: with Go's
// 4 MB minimum heap goal it paid for several collections (a 60-node, 20-minute run: four
// cycles, about a third of its CPU time), none of which freed memory the process still
// needed. A large run collects once at 64 MB and from then on exactly as before. The
// user's own GOGC or GOMEMLIMIT, if set, wins.
func deferFirstGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(firstGCAt)
	// A finalizer runs after the first cycle that finds its object unreachable, i.e.
	// after the first collection. The object holds a pointer so that it is not a tiny
	// allocation (whose finalizer may never run).
	type sentinel struct{ _ *int }
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
	})
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2, err: errors.New("")}
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "get":
		return cmdGet(args[1:], stdout, stderr)
	case "sweep":
		return cmdSweep(args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return invalid("unknown command %q; allowed: run, get, sweep, validate", args[0])
}

// parseFlags parses flags that may come before or after the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, invalid("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func load(path string) (*scenario.Scenario, error) {
	sc, err := scenario.Load(path)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	return sc, nil
}

func cmdValidate(args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return invalid("validate takes one FILE")
	}
	sc, err := load(pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid (scenario %q, Kubernetes %s, %d nodes, %d events, %d expectations)\n",
		pos[0], sc.Name, sc.Spec.KubernetesVersion, len(sc.Spec.Nodes), len(sc.Spec.Events), len(sc.Spec.Expect))
	return nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	out := fs.String("o", "text", "output: text, jsonl or json")
	report := fs.String("report", "", "write a self-contained HTML report to this file")
	verbose := fs.Bool("verbose", false, "include lease renewals, status patches and kubelet log lines")
	seed := fs.Int64("seed", -1, "override spec.seed")
	exact := fs.Bool("exact", false, "materialise every renewal and monitor pass (slower; same trace)")
	det := fs.Bool("check-determinism", false, "run twice and compare trace digests")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if len(pos) != 1 {
		return invalid("run takes one FILE")
	}
	switch *out {
	case "text", "jsonl", "json":
	default:
		return invalid("-o %q: allowed: text, jsonl, json", *out)
	}
	sc, err := load(pos[0])
	if err != nil {
		return err
	}
	opts := scenario.RunOptions{Verbose: *verbose, Exact: *exact}
	if *seed >= 0 {
		s := uint64(*seed)
		opts.Seed = &s
	}
	res, err := scenario.Run(sc, opts)
	if err != nil {
		return err
	}
	if *det {
		again, err := scenario.Run(sc, opts)
		if err != nil {
			return err
		}
		if res.Digest() != again.Digest() {
			return fmt.Errorf("determinism check failed: trace digests differ (%s vs %s)", res.Digest(), again.Digest())
		}
		fmt.Fprintf(stderr, "determinism: two runs gave identical traces (sha256 %s)\n", res.Digest())
	}
	switch *out {
	case "text":
		err = res.WriteText(stdout)
	case "jsonl":
		err = res.WriteJSONL(stdout)
	case "json":
		err = res.WriteJSON(stdout)
	}
	if err != nil {
		return err
	}
	if *report != "" {
		f, err := os.Create(*report)
		if err != nil {
			return err
		}
		if err := res.WriteHTML(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if !res.OK() {
		for _, x := range res.Failed() {
			fmt.Fprintf(stderr, "expectation failed: %s\n", x)
		}
		return &exitError{code: 1, err: errors.New("")}
	}
	return nil
}

func cmdGet(args []string, stdout, _ io.Writer) error {
	if len(args) == 0 {
		return invalid("get takes nodes, pods or configz")
	}
	what := args[0]
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	at := fs.String("at", "", "virtual time to show (e.g. 3m); default the end of the scenario")
	node := fs.String("node", "", "node name (configz)")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return invalid("get %s takes one FILE", what)
	}
	sc, err := load(pos[0])
	if err != nil {
		return err
	}
	opts := scenario.RunOptions{}
	if *at != "" {
		d, err := time.ParseDuration(*at)
		if err != nil || d < 0 {
			return invalid("--at %q: want a non-negative duration such as 90s or 5m", *at)
		}
		opts.Until = d
	}
	switch what {
	case "nodes", "pods":
	case "configz":
		if *node == "" {
			return invalid("get configz needs --node NAME")
		}
	default:
		return invalid("get %q: allowed: nodes, pods, configz", what)
	}
	res, err := scenario.Run(sc, opts)
	if err != nil {
		return err
	}
	switch what {
	case "nodes":
		return res.WriteNodes(stdout)
	case "pods":
		return res.WritePods(stdout)
	}
	b, err := res.Configz(*node)
	if err != nil {
		return invalid("%v", err)
	}
	_, err = fmt.Fprintf(stdout, "%s\n", b)
	return err
}
