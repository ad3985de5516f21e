package main

import (
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/nodesim/nodesim/scenario"
)

// parseShard reads "I/N" (I counts from 0, like JOB_COMPLETION_INDEX).
func parseShard(s string) (int, int, error) {
	i, n, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0, fmt.Errorf("--shard %q: want I/N, e.g. 0/4", s)
	}
	ii, err1 := strconv.Atoi(i)
	nn, err2 := strconv.Atoi(n)
	if err1 != nil || err2 != nil || nn < 1 || ii < 0 || ii >= nn {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 0 ≤ I < N", s)
	}
	return ii, nn, nil
}

// shardFromEnv reads the shard of an Indexed Job's pod: I from JOB_COMPLETION_INDEX
// (idx, set), N from JOB_COMPLETIONS. Its errors name the variables, not --shard.
func shardFromEnv(idx string) (int, int, error) {
	const hint = "; set both (0 ≤ JOB_COMPLETION_INDEX < JOB_COMPLETIONS) or pass --shard I/N"
	n, ok := os.LookupEnv("JOB_COMPLETIONS")
	if !ok {
		return 0, 0, fmt.Errorf("environment: JOB_COMPLETION_INDEX=%q is set but JOB_COMPLETIONS is not%s", idx, hint)
	}
	nn, err := strconv.Atoi(n)
	if err != nil || nn < 1 {
		return 0, 0, fmt.Errorf("environment: JOB_COMPLETIONS=%q: want a whole number ≥ 1 (the Job's completions)%s", n, hint)
	}
	ii, err := strconv.Atoi(idx)
	if err != nil || ii < 0 || ii >= nn {
		return 0, 0, fmt.Errorf("environment: JOB_COMPLETION_INDEX=%q: want a whole number from 0 to %d (below JOB_COMPLETIONS=%d)%s", idx, nn-1, nn, hint)
	}
	return ii, nn, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func cmdSweep(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sweep", flag.ContinueOnError)
	jobs := fs.Int("j", runtime.NumCPU(), "`N` parallel runs")
	shard := fs.String("shard", "", "run only share I of N, given as `I/N` with I from 0; default from JOB_COMPLETION_INDEX/JOB_COMPLETIONS")
	out := fs.String("o", "csv", "output: csv or jsonl")
	pos, err := parseFlags(fs, args, stdout, sweepHelp)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return invalid("sweep takes one FILE")
	}
	if *out != "csv" && *out != "jsonl" {
		return invalid("-o %q: allowed: csv, jsonl", *out)
	}
	if *jobs < 1 {
		return invalid("-j %d: want at least 1", *jobs)
	}
	si, sn := 0, 1
	if *shard != "" {
		if si, sn, err = parseShard(*shard); err != nil {
			return invalid("%v", err)
		}
	} else if idx, ok := os.LookupEnv("JOB_COMPLETION_INDEX"); ok {
		if si, sn, err = shardFromEnv(idx); err != nil {
			return invalid("%v", err)
		}
	}
	sc, err := load(pos[0])
	if err != nil {
		return err
	}
	runs, err := scenario.ExpandSweep(sc)
	if err != nil {
		return invalid("%v", err)
	}
	var mine []scenario.SweepRun
	for _, r := range runs {
		if r.Index%sn == si {
			mine = append(mine, r)
		}
	}
	rows := make([]scenario.SweepRow, len(mine))
	errs := make([]error, len(mine))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
		next = make(chan int)
	)
	progress := isTerminal(os.Stderr) && stderr == os.Stderr
	for w := 0; w < *jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rows[i], errs[i] = scenario.RunSweepOne(mine[i])
				mu.Lock()
				done++
				if progress {
					bar := strings.Repeat("#", done*30/len(mine))
					fmt.Fprintf(stderr, "\r[%-30s] %d/%d runs", bar, done, len(mine))
				}
				mu.Unlock()
			}
		}()
	}
	for i := range mine {
		next <- i
	}
	close(next)
	wg.Wait()
	if progress {
		fmt.Fprintln(stderr)
	}
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("run %d (seed %d): %w", mine[i].Index, mine[i].Seed, err)
		}
	}
	if err := writeRows(stdout, *out, runs, rows); err != nil {
		return err
	}
	scenario.WriteSweepSummary(stderr, rows)
	return nil
}

func writeRows(w io.Writer, format string, all []scenario.SweepRun, rows []scenario.SweepRow) error {
	header := scenario.SweepHeader(all)
	if format == "jsonl" {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			m := make(map[string]string, len(header))
			for i, h := range header {
				m[h] = r.Values[i]
			}
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		return nil
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write(r.Values); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
