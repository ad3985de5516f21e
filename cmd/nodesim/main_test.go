package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(args, &out, &errb)
	if err != nil {
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), exitCode(err)
}

func TestRunExample(t *testing.T) {
	out, _, code := runCLI(t, "run", "../../examples/kubelet-stops.yaml")
	require.Equal(t, 0, code)
	require.Contains(t, out, "NodeCondition node=kind-worker type=Ready from=True to=Unknown")
	require.Contains(t, out, "kind-worker          NotReady")
	jsonl, _, code := runCLI(t, "run", "-o", "jsonl", "../../examples/kubelet-stops.yaml")
	require.Equal(t, 0, code)
	require.True(t, strings.HasPrefix(jsonl, `{"t":0,"kind":`))
	_, errOut, code := runCLI(t, "run", "--check-determinism", "../../examples/kubelet-stops.yaml")
	require.Equal(t, 0, code)
	require.Contains(t, errOut, "identical traces")
}

func TestFailedExpectationExitsOne(t *testing.T) {
	data, err := os.ReadFile("../../examples/kubelet-stops.yaml")
	require.NoError(t, err)
	bad := strings.Replace(string(data), "- by: 116s", "- by: 61s", 1)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	_, errOut, code := runCLI(t, "run", path)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "expectation failed")
}

// validate rejects each class of bad input with exit status 2 and a message naming
// file, line, field and what is allowed.
func TestValidateRejects(t *testing.T) {
	base := `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: x}
spec:
  duration: 5m
  nodes:
    - name: a
`
	cases := map[string]struct{ yaml, want string }{
		"unknown field":        {base + "  bogus: 1\n", "bogus"},
		"wrong type":           {strings.Replace(base, "duration: 5m", "duration: [1]", 1), "duration"},
		"malformed yaml":       {base + "  events: [\n", ".yaml:"},
		"unknown node":         {base + "  events:\n    - at: 1m\n      stopKubelet: {node: b}\n", "b"},
		"duplicate node":       {base + "    - name: a\n", "duplicate"},
		"negative duration":    {strings.Replace(base, "duration: 5m", "duration: -5m", 1), "duration"},
		"missing duration":     {strings.Replace(base, "  duration: 5m\n", "", 1), "duration"},
		"two actions in entry": {base + "  events:\n    - at: 1m\n      stopKubelet: {node: a}\n      startKubelet: {node: a}\n", "action"},
		"bad version":          {strings.Replace(base, "duration: 5m", "duration: 5m\n  kubernetesVersion: \"1.20\"", 1), "kubernetesVersion"},
		"bad taint":            {base + "  events:\n    - at: 1m\n      taint: {node: a, taint: \"k=v:Sometimes\"}\n", "NoSchedule"},
		"negative count":       {base + "    - {namePrefix: w-, count: -1}\n", "count"},
	}
	names := make([]string, 0, len(cases))
	for n := range cases {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			require.NoError(t, os.WriteFile(path, []byte(c.yaml), 0o644))
			_, errOut, code := runCLI(t, "validate", path)
			require.Equal(t, 2, code, errOut)
			require.Contains(t, errOut, "bad.yaml:")
			require.Contains(t, errOut, c.want)
			_, _, code = runCLI(t, "run", path)
			require.Equal(t, 2, code, "nothing runs on a file that does not validate")
		})
	}
	_, _, code := runCLI(t, "run", "-o", "xml", "../../examples/kubelet-stops.yaml")
	require.Equal(t, 2, code, "bad flags exit 2")
}

func TestGet(t *testing.T) {
	out, _, code := runCLI(t, "get", "nodes", "../../examples/kubelet-stops.yaml", "--at", "30s")
	require.Equal(t, 0, code)
	require.Contains(t, out, "NAME")
	require.Contains(t, out, "kind-worker ")
	require.NotContains(t, out, "NotReady", "every node is Ready at 30s")
	out, _, code = runCLI(t, "get", "pods", "../../examples/kubelet-stops.yaml", "--at", "9m")
	require.Equal(t, 0, code)
	require.Contains(t, out, "Terminating")
	out, _, code = runCLI(t, "get", "configz", "../../examples/kubelet-stops.yaml", "--node", "kind-worker")
	require.Equal(t, 0, code)
	require.Contains(t, out, "nodeStatusUpdateFrequency")
}

// The rows of all shards, merged, equal the unsharded run.
func TestSweepShardsMergeToTheWhole(t *testing.T) {
	whole, _, code := runCLI(t, "sweep", "-j", "2", "testdata/sweep.yaml")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(whole), "\n")
	require.Len(t, lines, 1+2*3, "header + 2 cells × 3 seeds")
	require.True(t, strings.HasPrefix(lines[0], "controllerManager.nodeMonitorGracePeriod,seed,first_unknown_s"))
	var merged []string
	for i := 0; i < 3; i++ {
		part, _, code := runCLI(t, "sweep", "-j", "1", "--shard", string(rune('0'+i))+"/3", "testdata/sweep.yaml")
		require.Equal(t, 0, code)
		pl := strings.Split(strings.TrimSpace(part), "\n")
		require.Equal(t, lines[0], pl[0])
		merged = append(merged, pl[1:]...)
	}
	want := append([]string(nil), lines[1:]...)
	sort.Strings(want)
	sort.Strings(merged)
	require.Equal(t, want, merged)

	t.Setenv("JOB_COMPLETION_INDEX", "1")
	t.Setenv("JOB_COMPLETIONS", "3")
	fromEnv, _, code := runCLI(t, "sweep", "testdata/sweep.yaml")
	require.Equal(t, 0, code)
	explicit, _, _ := runCLI(t, "sweep", "--shard", "1/3", "testdata/sweep.yaml")
	require.Equal(t, explicit, fromEnv, "an Indexed Job's environment picks the shard")
}

// --at 0s is time zero (after the events due then), not the end; --at may not pass
// spec.duration; without --at, the end.
func TestGetAt(t *testing.T) {
	const file = "../../examples/kubelet-stops.yaml" // booting; duration 10m
	out, _, code := runCLI(t, "get", "nodes", file, "--at", "0s")
	require.Equal(t, 0, code)
	require.Contains(t, out, "NAME")
	require.NotContains(t, out, "kind-worker", "no node has registered at time zero")
	out, _, code = runCLI(t, "get", "--at", "0", "pods", file)
	require.Equal(t, 0, code)
	require.Contains(t, out, "Pending", "the pods applied at time zero")
	require.NotContains(t, out, "Terminating")
	out, _, code = runCLI(t, "get", "nodes", "../../examples/partition-heal-readiness.yaml", "--at", "0s")
	require.Equal(t, 0, code)
	require.Contains(t, out, "node-a-0   Ready    <none>   60m", "a running cluster's nodes at time zero")

	end, _, code := runCLI(t, "get", "nodes", file)
	require.Equal(t, 0, code)
	require.Contains(t, end, "kind-worker          NotReady")
	out, _, code = runCLI(t, "get", "nodes", file, "--at", "10m")
	require.Equal(t, 0, code)
	require.Equal(t, end, out, "--at spec.duration is the end")

	for _, at := range []string{"10m1ns", "11m", "-1s", "soon", ""} {
		out, errOut, code := runCLI(t, "get", "nodes", file, "--at", at)
		require.Equal(t, 2, code, "--at %q", at)
		require.Empty(t, out)
		require.Contains(t, errOut, "--at")
		require.Contains(t, errOut, "spec.duration")
	}
	_, errOut, _ := runCLI(t, "get", "nodes", file, "--at", "11m")
	require.Contains(t, errOut, "0s … 10m0s")
}

// --seed takes spec.seed's range, 0 … 2^64−1; a negative seed is an error, not "unset".
func TestSeedFlag(t *testing.T) {
	const file = "../../examples/kubelet-stops.yaml"
	for _, seed := range []string{"-5", "-1", "18446744073709551616", "x"} {
		out, errOut, code := runCLI(t, "run", file, "--seed", seed)
		require.Equal(t, 2, code, "--seed %s", seed)
		require.Empty(t, out, "nothing runs")
		require.Contains(t, errOut, "--seed")
		require.Contains(t, errOut, "0 to 18446744073709551615")
	}
	for _, seed := range []string{"0", "7", "18446744073709551615"} {
		out, _, code := runCLI(t, "run", file, "-o", "json", "--seed", seed)
		require.Equal(t, 0, code, "--seed %s", seed)
		require.Contains(t, out, `"seed": `+seed+",")
	}
}

// Each command's -h prints its usage on stdout and exits 0.
func TestCommandHelp(t *testing.T) {
	for _, args := range [][]string{
		{"run", "-h"}, {"run", "--help"}, {"validate", "-h"}, {"sweep", "-h"},
		{"get", "-h"}, {"get", "nodes", "-h"}, {"run", "x.yaml", "-help"},
	} {
		out, errOut, code := runCLI(t, args...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
		require.Empty(t, errOut, "%v", args)
		require.Contains(t, out, "Usage:\n  nodesim "+args[0]+" ", "%v", args)
	}
	out, _, _ := runCLI(t, "run", "-h")
	require.Contains(t, out, "--seed N")
	require.Contains(t, out, "-o json   one indented JSON document", "every -o format is described")
	out, _, _ = runCLI(t, "get", "-h")
	require.Contains(t, out, "--at 0s is time zero")
	_, errOut, code := runCLI(t, "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "allowed: run, get, sweep, validate, help")
}

// Without --shard, a broken Indexed Job environment is blamed on its variables, not on
// a --shard the user never passed.
func TestSweepShardEnvErrors(t *testing.T) {
	t.Setenv("JOB_COMPLETIONS", "")
	require.NoError(t, os.Unsetenv("JOB_COMPLETIONS"))
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	_, errOut, code := runCLI(t, "sweep", "testdata/sweep.yaml")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `JOB_COMPLETION_INDEX="0" is set but JOB_COMPLETIONS is not`)
	require.NotContains(t, errOut, `--shard "`)

	t.Setenv("JOB_COMPLETIONS", "x")
	_, errOut, code = runCLI(t, "sweep", "testdata/sweep.yaml")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `JOB_COMPLETIONS="x": want a whole number ≥ 1`)

	t.Setenv("JOB_COMPLETIONS", "3")
	t.Setenv("JOB_COMPLETION_INDEX", "3")
	_, errOut, code = runCLI(t, "sweep", "testdata/sweep.yaml")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `JOB_COMPLETION_INDEX="3": want a whole number from 0 to 2`)
	require.NotContains(t, errOut, `--shard "`)

	_, _, code = runCLI(t, "sweep", "-j", "1", "--shard", "0/3", "testdata/sweep.yaml")
	require.Equal(t, 0, code, "--shard wins over the environment")
}

// A --report (or --cpuprofile) path that cannot be written is a flag error found before
// the run, not exit status 1 after it.
func TestReportPathCheckedFirst(t *testing.T) {
	const file = "../../examples/kubelet-stops.yaml"
	dir := t.TempDir()
	out, errOut, code := runCLI(t, "run", file, "--report", filepath.Join(dir, "missing", "r.html"))
	require.Equal(t, 2, code)
	require.Empty(t, out, "nothing runs")
	require.Contains(t, errOut, "--report")
	_, errOut, code = runCLI(t, "run", file, "--report", dir)
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--report")
	_, errOut, code = runCLI(t, "run", file, "--cpuprofile", filepath.Join(dir, "missing", "cpu.prof"))
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--cpuprofile")

	// A good path gets the report; an existing file is replaced.
	path := filepath.Join(dir, "r.html")
	require.NoError(t, os.WriteFile(path, bytes.Repeat([]byte("stale "), 10000), 0o644))
	_, _, code = runCLI(t, "run", file, "--report", path)
	require.Equal(t, 0, code)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Contains(t, string(b), "<html")
	require.NotContains(t, string(b), "stale")
}
