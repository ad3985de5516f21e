package scenario

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Param is one varied field's value in a sweep run.
type Param struct {
	Path  string
	Value string
}

// SweepRun is one run of a sweep: a grid cell (its parameters) and a seed.
type SweepRun struct {
	// Index numbers runs in a fixed order (cells in grid order, seeds within a cell);
	// shards take the runs whose Index % N == I.
	Index    int
	Cell     int
	Params   []Param
	Seed     uint64
	Scenario *Scenario
}

// SweepRow is a run's measured outcomes as CSV cells (see SweepHeader).
type SweepRow struct {
	Run     SweepRun
	Values  []string
	Outcome Outcome
}

// Outcome is what a sweep measures in one run. Times are seconds since the start;
// -1 means "did not happen".
type Outcome struct {
	// FirstUnknown is the first Ready→Unknown transition of any node.
	FirstUnknown float64
	// FirstNoExecute is the first node.kubernetes.io NoExecute taint added by the
	// node lifecycle controller (unreachable or not-ready).
	FirstNoExecute float64
	// FirstEviction is the first PodEvicted record.
	FirstEviction float64
	// PodsEvicted counts the pods with a PodEvicted record (a pod the taint eviction
	// controller evicts and pod GC then force-deletes counts once).
	PodsEvicted int
	// SecondsBelowDesired is, summed over Deployments, how long each had fewer ready
	// replicas than desired after it first had them all (at least one: the initial
	// rollout does not count, and a Deployment never whole counts nothing).
	SecondsBelowDesired float64
	// MinReadyFraction is the lowest ready/desired ratio any Deployment reached after it
	// first had all its replicas ready (1 if none).
	MinReadyFraction float64
	// NodesUnknown counts nodes that went Unknown at least once.
	NodesUnknown int
	// LastEviction is the last PodEvicted record: with FirstEviction, how long a
	// wave of evictions took (the controllers' client rate limits spread it).
	LastEviction float64
}

var outcomeColumns = []string{"first_unknown_s", "first_noexecute_s", "first_eviction_s", "pods_evicted",
	"seconds_below_desired", "min_ready_fraction", "nodes_unknown", "last_eviction_s"}

func (o Outcome) cells() []string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	return []string{f(o.FirstUnknown), f(o.FirstNoExecute), f(o.FirstEviction), strconv.Itoa(o.PodsEvicted),
		f(o.SecondsBelowDesired), f(o.MinReadyFraction), strconv.Itoa(o.NodesUnknown), f(o.LastEviction)}
}

// Measure extracts a run's outcomes from its trace.
func Measure(res *Result) Outcome {
	o := Outcome{FirstUnknown: -1, FirstNoExecute: -1, FirstEviction: -1, MinReadyFraction: 1, LastEviction: -1}
	unknown, evicted := map[string]bool{}, map[string]bool{}
	type wl struct {
		ready, desired int
		since          time.Duration
		below          bool
		wasFull        bool
	}
	work := map[string]*wl{}
	var below time.Duration
	for r := range res.All() {
		sec := r.T.Seconds()
		switch r.Kind {
		case "NodeCondition":
			if r.Str("type") == "Ready" && r.Str("to") == "Unknown" {
				if o.FirstUnknown < 0 {
					o.FirstUnknown = sec
				}
				unknown[r.Str("node")] = true
			}
		case "TaintAdded":
			t := r.Str("taint")
			if o.FirstNoExecute < 0 && (t == "node.kubernetes.io/unreachable:NoExecute" || t == "node.kubernetes.io/not-ready:NoExecute") {
				o.FirstNoExecute = sec
			}
		case "PodEvicted":
			if p := r.Str("pod"); !evicted[p] {
				evicted[p] = true
				o.PodsEvicted++
			}
			if o.FirstEviction < 0 {
				o.FirstEviction = sec
			}
			o.LastEviction = sec
		case "WorkloadReady":
			name := r.Str("workload")
			if !strings.HasPrefix(name, "deployment/") {
				continue
			}
			x := work[name]
			if x == nil {
				x = &wl{}
				work[name] = x
			}
			x.ready, _ = strconv.Atoi(r.Str("ready"))
			x.desired, _ = strconv.Atoi(r.Str("desired"))
			if x.ready >= x.desired {
				if x.below {
					below += r.T - x.since
				}
				x.below = false
				x.wasFull = x.wasFull || x.desired > 0 // 0 of 0 at the start is no rollout done
			} else if x.wasFull && !x.below {
				x.below, x.since = true, r.T
			}
			if x.wasFull && x.desired > 0 {
				o.MinReadyFraction = math.Min(o.MinReadyFraction, float64(x.ready)/float64(x.desired))
			}
		}
	}
	for _, x := range work {
		if x.below {
			below += res.End - x.since
		}
	}
	o.SecondsBelowDesired = below.Seconds()
	o.NodesUnknown = len(unknown)
	return o
}

// ExpandSweep lists the runs of a scenario's sweep: the product of the varied values
// (in file order, the last varying fastest) times the seeds. A scenario without a
// sweep is one cell with its own seed.
func ExpandSweep(sc *Scenario) ([]SweepRun, error) {
	seeds := []uint64{sc.Spec.Seed}
	var vary [][]Param
	if sw := sc.Spec.Sweep; sw != nil {
		if len(sw.Seeds) > 0 {
			seeds = sw.Seeds
		}
		for _, v := range sw.Vary {
			var ps []Param
			for _, val := range v.Values {
				ps = append(ps, Param{Path: v.Path, Value: val})
			}
			vary = append(vary, ps)
		}
	}
	cells := [][]Param{nil}
	for _, ps := range vary {
		var next [][]Param
		for _, c := range cells {
			for _, p := range ps {
				next = append(next, append(append([]Param(nil), c...), p))
			}
		}
		cells = next
	}
	var runs []SweepRun
	for ci, cell := range cells {
		cur := sc
		for _, p := range cell {
			var err error
			if cur, err = cur.With(p.Path, p.Value); err != nil {
				return nil, fmt.Errorf("sweep %s=%s: %w", p.Path, p.Value, err)
			}
		}
		for _, seed := range seeds {
			runs = append(runs, SweepRun{Index: len(runs), Cell: ci, Params: cell, Seed: seed, Scenario: cur})
		}
	}
	return runs, nil
}

// SweepHeader is the CSV header: the varied paths, seed, then the outcome columns.
func SweepHeader(runs []SweepRun) []string {
	var h []string
	if len(runs) > 0 {
		for _, p := range runs[0].Params {
			h = append(h, p.Path)
		}
	}
	h = append(h, "seed")
	return append(h, outcomeColumns...)
}

// RunSweepOne runs one sweep run and measures it. It is safe to call from several
// goroutines at once: each run has its own world.
func RunSweepOne(r SweepRun) (SweepRow, error) {
	seed := r.Seed
	res, err := Run(r.Scenario, RunOptions{Seed: &seed})
	if err != nil {
		return SweepRow{}, err
	}
	o := Measure(res)
	var vals []string
	for _, p := range r.Params {
		vals = append(vals, p.Value)
	}
	vals = append(vals, strconv.FormatUint(r.Seed, 10))
	vals = append(vals, o.cells()...)
	return SweepRow{Run: r, Values: vals, Outcome: o}, nil
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	if i < 0 {
		i = 0
	}
	return s[i]
}

// WriteSweepSummary prints p50/p95/max of each outcome per grid cell.
func WriteSweepSummary(w io.Writer, rows []SweepRow) {
	byCell := map[int][]SweepRow{}
	var cells []int
	for _, r := range rows {
		if _, ok := byCell[r.Run.Cell]; !ok {
			cells = append(cells, r.Run.Cell)
		}
		byCell[r.Run.Cell] = append(byCell[r.Run.Cell], r)
	}
	sort.Ints(cells)
	for _, c := range cells {
		rs := byCell[c]
		var ps []string
		for _, p := range rs[0].Run.Params {
			ps = append(ps, p.Path+"="+p.Value)
		}
		if len(ps) == 0 {
			ps = []string{"(base)"}
		}
		fmt.Fprintf(w, "cell %s: %d runs\n", strings.Join(ps, " "), len(rs))
		for col := range outcomeColumns {
			var xs []float64
			for _, r := range rs {
				if v, err := strconv.ParseFloat(r.Values[len(r.Values)-len(outcomeColumns)+col], 64); err == nil && v >= 0 {
					xs = append(xs, v)
				}
			}
			if len(xs) == 0 {
				fmt.Fprintf(w, "  %-22s never\n", outcomeColumns[col])
				continue
			}
			fmt.Fprintf(w, "  %-22s p50 %10.3f  p95 %10.3f  max %10.3f  (%d/%d runs)\n", outcomeColumns[col],
				quantile(xs, 0.5), quantile(xs, 0.95), quantile(xs, 1), len(xs), len(rs))
		}
	}
}
