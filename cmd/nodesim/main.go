// Command nodesim runs node-lifecycle scenarios: see `nodesim help`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"time"

	"github.com/nodesim/nodesim/scenario"
)

// The commands' synopses, as `nodesim help` and each command's -h print them.
const (
	runSynopsis      = "nodesim run FILE [-o text|jsonl|json] [--report report.html] [--verbose] [--seed N] [--exact] [--check-determinism]"
	getSynopsis      = "nodesim get nodes|pods FILE [--at DURATION]\n  nodesim get configz FILE --node NAME [--at DURATION]"
	sweepSynopsis    = "nodesim sweep FILE [-j N] [--shard I/N] [-o csv|jsonl]"
	validateSynopsis = "nodesim validate FILE"
)

const exitStatus = `Exit status: 0 ran and every expectation held; 1 an expectation failed (or the run
failed); 2 the file or flags are invalid.
`

const usage = `nodesim simulates the Kubernetes node lifecycle on a virtual clock.

Usage:
  ` + runSynopsis + `
  ` + getSynopsis + `
  ` + sweepSynopsis + `
  ` + validateSynopsis + `
  nodesim help

nodesim COMMAND -h describes a command and its flags.

` + exitStatus

// Each command's -h text, before its flags.
const (
	runHelp = `Usage:
  ` + runSynopsis + `

Runs the scenario in FILE for spec.duration, judges its expectations and prints the run:
  -o text   a readable timeline, the expectations' verdicts, then kubectl-style node and
            pod tables at the end (the default)
  -o jsonl  the trace, one JSON record a line
  -o json   one indented JSON document: scenario, kubernetesVersion, seed, end (seconds),
            digest (the trace's SHA-256), expectations (each with its line, ok and, when
            it failed, detail) and trace (the jsonl records as an array)

` + exitStatus
	getHelp = `Usage:
  ` + getSynopsis + `

Runs the scenario in FILE up to --at and prints its nodes (as kubectl get nodes), its pods
(as kubectl get pods -A -o wide) or a node's effective kubelet configuration (its /configz).
--at is a virtual time from 0 to spec.duration: the state once every event due at or before
it has run. --at 0s is time zero after the events due then (a booting cluster's objects are
applied, its nodes have not registered yet). Without --at: the end of the scenario.
`
	sweepHelp = `Usage:
  ` + sweepSynopsis + `

Runs the scenario in FILE once per cell of spec.sweep's grid and seed and prints one row
per run (csv with a header, or jsonl) on stdout; the summary per cell and the progress
bar go to stderr.
Without --shard, the shard is taken from an Indexed Job's JOB_COMPLETION_INDEX (I) and
JOB_COMPLETIONS (N) when JOB_COMPLETION_INDEX is set.
`
	validateHelp = `Usage:
  ` + validateSynopsis + `

Loads and checks the scenario in FILE without running it: exit status 0 valid, 2 invalid
(with the file, line, field and what is allowed).
`
)

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
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(args[1:], stdout, stderr)
	case "get":
		err = cmdGet(args[1:], stdout, stderr)
	case "sweep":
		err = cmdSweep(args[1:], stdout, stderr)
	case "validate":
		err = cmdValidate(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return invalid("unknown command %q; allowed: run, get, sweep, validate, help", args[0])
	}
	if errors.Is(err, errHelp) {
		return nil
	}
	return err
}

// errHelp reports that a command printed its usage for -h (run turns it into success).
var errHelp = errors.New("help requested")

// parseFlags parses flags that may come before or after the positional arguments. For
// -h (-help, --help) it prints help and the flags to stdout and returns errHelp.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer, help string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printHelp(stdout, fs, help)
				return nil, errHelp
			}
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

// printHelp prints a command's help, then its flags if it has any.
func printHelp(w io.Writer, fs *flag.FlagSet, help string) {
	fmt.Fprint(w, help)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
}

// isSet reports whether the command line set the flag (even to its default).
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// cannot describes why a file named by a flag cannot be written.
func cannot(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
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
	pos, err := parseFlags(fs, args, stdout, validateHelp)
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

// openReport opens --report's file before the run, so that a path that cannot be
// written is a flag error rather than a failure after the run. An existing file is not
// truncated until there is a report to write (writeReport); created says that the file
// is new, for cmdRun to remove if the run ends without a report.
func openReport(path string) (f *os.File, created bool, err error) {
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err == nil {
		return f, true, nil
	}
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(path, os.O_WRONLY, 0)
	}
	if err != nil {
		return nil, false, invalid("--report %q: cannot write it (%s); want a file path that can be created or written", path, cannot(err))
	}
	return f, false, nil
}

// writeReport writes the run's HTML report to f (truncating a regular file first) and
// closes it.
func writeReport(f *os.File, res *scenario.Result) error {
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if err := f.Truncate(0); err != nil {
			f.Close()
			return err
		}
	}
	if err := res.WriteHTML(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	out := fs.String("o", "text", "output: text, jsonl or json (see above)")
	report := fs.String("report", "", "write a self-contained HTML report to this `file`")
	verbose := fs.Bool("verbose", false, "include lease renewals, status patches and kubelet log lines")
	seed := fs.String("seed", "", "override spec.seed with `N`, an integer from 0 to 18446744073709551615")
	exact := fs.Bool("exact", false, "materialise every renewal and monitor pass (slower; same trace)")
	det := fs.Bool("check-determinism", false, "run twice and compare trace digests")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this `file`")
	pos, err := parseFlags(fs, args, stdout, runHelp)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return invalid("run takes one FILE")
	}
	switch *out {
	case "text", "jsonl", "json":
	default:
		return invalid("-o %q: allowed: text, jsonl, json", *out)
	}
	opts := scenario.RunOptions{Verbose: *verbose, Exact: *exact}
	if isSet(fs, "seed") {
		s, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return invalid("--seed %q: allowed: an integer from 0 to %d, as spec.seed", *seed, uint64(math.MaxUint64))
		}
		opts.Seed = &s
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return invalid("--cpuprofile %q: cannot write it (%s); want a file path that can be created or written", *cpuprofile, cannot(err))
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	sc, err := load(pos[0])
	if err != nil {
		return err
	}
	var reportTo *os.File
	if *report != "" {
		f, created, err := openReport(*report)
		if err != nil {
			return err
		}
		reportTo = f
		defer func() { // unless the report was written
			if reportTo != nil {
				reportTo.Close()
				if created {
					os.Remove(*report)
				}
			}
		}()
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
	if reportTo != nil {
		f := reportTo
		reportTo = nil
		if err := writeReport(f, res); err != nil {
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
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	at := fs.String("at", "", "virtual time to show: a `DURATION` from 0s to spec.duration, such as 0s, 90s or 3m; default the end")
	node := fs.String("node", "", "node `NAME` (configz)")
	pos, err := parseFlags(fs, args, stdout, getHelp)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return invalid("get takes nodes, pods or configz")
	}
	what := pos[0]
	switch what {
	case "nodes", "pods":
	case "configz":
		if *node == "" {
			return invalid("get configz needs --node NAME")
		}
	default:
		return invalid("get %q: allowed: nodes, pods, configz", what)
	}
	if len(pos) != 2 {
		return invalid("get %s takes one FILE", what)
	}
	var d time.Duration
	atSet := isSet(fs, "at")
	if atSet {
		if d, err = time.ParseDuration(*at); err != nil || d < 0 {
			return invalid("--at %q: allowed: a duration from 0s to spec.duration, such as 90s or 5m", *at)
		}
	}
	sc, err := load(pos[1])
	if err != nil {
		return err
	}
	opts := scenario.RunOptions{}
	if atSet {
		if d > sc.Spec.Duration {
			return invalid("--at %q: allowed: 0s … %s (spec.duration of %s)", *at, sc.Spec.Duration, pos[1])
		}
		// RunOptions.Until 0 means the whole run: time zero has its own option.
		opts.Until, opts.StopAtZero = d, d == 0
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
