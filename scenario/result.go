package scenario

import (
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Result is what a run produced: the trace, the expectations' verdicts, and the world
// as it stood at the end (for tables and reports).
type Result struct {
	Scenario *Scenario
	// Seed is the seed the run used.
	Seed uint64
	// End is the virtual time the run stopped at.
	End time.Duration
	// Trace holds the records, in simulation order (see Records and All).
	Trace *sim.Trace
	// Expectations are the verdicts, in file order.
	Expectations []ExpectationResult
	// World is the simulated cluster at End.
	World *World

	digest string
}

// Records returns the records in one slice. For a long trace the first call joins
// the trace's chunks into one copy; All does not copy.
func (r *Result) Records() []sim.Record {
	if r.Trace == nil {
		return nil
	}
	return r.Trace.Records()
}

// All yields the records in order.
func (r *Result) All() iter.Seq[*sim.Record] {
	if r.Trace == nil {
		return sim.Each(nil)
	}
	return r.Trace.All()
}

// OK reports whether every expectation held.
func (r *Result) OK() bool {
	for _, x := range r.Expectations {
		if !x.OK {
			return false
		}
	}
	return true
}

// Failed returns descriptions of the expectations that did not hold.
func (r *Result) Failed() []string {
	var out []string
	for _, x := range r.Expectations {
		if !x.OK {
			where := ""
			if x.Line > 0 {
				where = fmt.Sprintf("%s:%d: ", r.Scenario.File, x.Line)
			}
			out = append(out, fmt.Sprintf("%s%s — %s", where, describe(&x.Expectation), x.Detail))
		}
	}
	return out
}

// Digest is the SHA-256 of the trace's JSONL form.
func (r *Result) Digest() string {
	if r.digest == "" {
		r.digest = sim.DigestOf(r.All())
	}
	return r.digest
}

// WriteJSONL writes the trace as JSON lines (the scenario contract's trace format).
func (r *Result) WriteJSONL(w io.Writer) error { return sim.WriteJSONLOf(w, r.All()) }

// WriteJSON writes one JSON document: scenario, seed, expectations and the trace.
func (r *Result) WriteJSON(w io.Writer) error {
	var b strings.Builder
	if err := sim.WriteJSONLOf(&b, r.All()); err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	trace := make([]json.RawMessage, 0, len(lines))
	for _, l := range lines {
		if l != "" {
			trace = append(trace, json.RawMessage(l))
		}
	}
	type verdict struct {
		Expectation string `json:"expectation"`
		Line        int    `json:"line,omitempty"`
		OK          bool   `json:"ok"`
		Detail      string `json:"detail,omitempty"`
	}
	doc := struct {
		Scenario          string            `json:"scenario"`
		KubernetesVersion string            `json:"kubernetesVersion"`
		Seed              uint64            `json:"seed"`
		End               float64           `json:"end"`
		Digest            string            `json:"digest"`
		Expectations      []verdict         `json:"expectations"`
		Trace             []json.RawMessage `json:"trace"`
	}{r.Scenario.Name, r.Scenario.Spec.KubernetesVersion, r.Seed, r.End.Seconds(), r.Digest(), []verdict{}, trace}
	for _, x := range r.Expectations {
		doc.Expectations = append(doc.Expectations, verdict{describe(&x.Expectation), x.Line, x.OK, x.Detail})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// WriteTimeline writes the trace's readable text form, one record per line.
func (r *Result) WriteTimeline(w io.Writer) error { return sim.WriteTextOf(w, r.All()) }

// WriteText writes what `nodesim run` prints by default: a header, the timeline, the
// expectations' verdicts, then kubectl-style node and pod tables at the end.
func (r *Result) WriteText(w io.Writer) error {
	sp := &r.Scenario.Spec
	fmt.Fprintf(w, "scenario %s  kubernetes %s  seed %d  duration %s\n\n", r.Scenario.Name, sp.KubernetesVersion, r.Seed, HumanDuration(r.End))
	if err := r.WriteTimeline(w); err != nil {
		return err
	}
	if len(r.Expectations) > 0 {
		fmt.Fprintln(w, "\nexpectations:")
		for _, x := range r.Expectations {
			mark := "ok  "
			if !x.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(w, "  %s %s", mark, describe(&x.Expectation))
			if !x.OK {
				fmt.Fprintf(w, " — %s", x.Detail)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "\n$ kubectl get nodes   # at %s\n", HumanDuration(r.End))
	if err := r.WriteNodes(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n$ kubectl get pods -A -o wide   # at %s\n", HumanDuration(r.End))
	return r.WritePods(w)
}

// WriteNodes prints the final nodes as kubectl get nodes.
func (r *Result) WriteNodes(w io.Writer) error {
	return WriteNodes(w, r.World.Server, r.End, kubeletVersion(r.Scenario.Spec.KubernetesVersion))
}

// WritePods prints the final pods as kubectl get pods -A -o wide.
func (r *Result) WritePods(w io.Writer) error { return WritePods(w, r.World.Server, r.End) }

// Configz returns a node's effective KubeletConfiguration as JSON (the kubelet's
// /configz view).
func (r *Result) Configz(node string) ([]byte, error) { return r.World.Configz(node) }

// kubeletVersion is the VERSION column for a profile: the release's first patch.
func kubeletVersion(v string) string { return "v" + v + ".0" }

// Server returns the API server at the end of the run.
func (r *Result) Server() *apiserver.Server { return r.World.Server }
