package workload

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
	"pgregory.net/rapid"
)

// TestPropertyNoFitShortcut with more to vary (written by a review): more nodes (optionally more than 100, where
// the start index matters), several taint keys, values and effects, nodes deleted and
// re-created under the same name with other labels and sizes, cordons, allocatable
// changes, pods that fill nodes, bulk deletions and additions.
func checkNoFitShortcut(t *testing.T, big bool) {
	rapid.Check(t, func(rt *rapid.T) {
		keys := []string{"dedicated", "gpu", "maint"}
		vals := []string{"", "a", "b"}
		effects := []taint.Effect{taint.NoSchedule, taint.NoExecute, taint.PreferNoSchedule}
		type template struct {
			sel  map[string]string
			tols []taint.Toleration
			cpu  int64
			mem  int64
		}
		var tmpls []template
		for i := range rapid.IntRange(1, 4).Draw(rt, "templates") {
			tm := template{cpu: int64(rapid.IntRange(0, 4).Draw(rt, fmt.Sprint("cpu", i))) * 700,
				mem: int64(rapid.IntRange(0, 2).Draw(rt, fmt.Sprint("mem", i))) << 30}
			if rapid.Bool().Draw(rt, fmt.Sprint("sel", i)) {
				tm.sel = map[string]string{"disk": rapid.SampledFrom([]string{"ssd", "hdd", "none"}).Draw(rt, fmt.Sprint("disk", i))}
			}
			for j := range rapid.IntRange(0, 2).Draw(rt, fmt.Sprint("ntol", i)) {
				tol := taint.Toleration{Key: rapid.SampledFrom(keys).Draw(rt, fmt.Sprint("tolkey", i, j))}
				if rapid.Bool().Draw(rt, fmt.Sprint("tolexists", i, j)) {
					tol.Operator = taint.OpExists
				} else {
					tol.Operator = taint.OpEqual
					tol.Value = rapid.SampledFrom(vals).Draw(rt, fmt.Sprint("tolval", i, j))
				}
				tm.tols = append(tm.tols, tol)
			}
			tmpls = append(tmpls, tm)
		}
		// the queue of each version: 1.31 (pre-check), 1.32 (hints), 1.33+ (pop from backoff)
		minor := rapid.SampledFrom([]int{31, 32, 33}).Draw(rt, "minor")
		nodes := rapid.IntRange(1, 8).Draw(rt, "nodes")
		if big {
			nodes = rapid.IntRange(100, 140).Draw(rt, "nodes")
		}
		type step struct {
			op, node, tmpl, x int
			wait              time.Duration
		}
		var steps []step
		for i := range rapid.IntRange(1, 40).Draw(rt, "steps") {
			steps = append(steps, step{
				op:   rapid.IntRange(0, 13).Draw(rt, fmt.Sprint("op", i)),
				node: rapid.IntRange(0, nodes+1).Draw(rt, fmt.Sprint("node", i)),
				tmpl: rapid.IntRange(0, len(tmpls)-1).Draw(rt, fmt.Sprint("tmpl", i)),
				x:    rapid.IntRange(0, 1000).Draw(rt, fmt.Sprint("x", i)),
				wait: time.Duration(rapid.IntRange(0, 30).Draw(rt, fmt.Sprint("wait", i))) * time.Second,
			})
		}
		run := func(off bool) string {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.sched.noFit.off = off
			add := func(name string, x int) {
				disk := []string{"hdd", "ssd"}[x%2]
				w.addNode(name, map[string]string{"disk": disk})
				if x%3 != 0 && !big {
					_, _ = w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error {
						n.Allocatable = apiserver.Resources{MilliCPU: int64(1000 * (x%4 + 1)), Memory: int64(x%3+1) << 30, Pods: int64(x%5 + 1)}
						return nil
					})
				}
			}
			for i := range nodes {
				add(fmt.Sprintf("n%03d", i), i)
			}
			pods := 0
			for _, st := range steps {
				node := fmt.Sprintf("n%03d", st.node)
				switch st.op {
				case 0, 1, 2: // pods of a template
					tm := tmpls[st.tmpl]
					for range 1 + st.x%3 {
						pods++
						_, _ = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("p%03d", pods)},
							PodSpec: &apiserver.PodSpec{NodeSelector: tm.sel, Tolerations: tm.tols, Requests: apiserver.Resources{MilliCPU: tm.cpu, Memory: tm.mem}}})
					}
				case 3: // relabel
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						l := n.Labels.Map()
						l["disk"] = map[string]string{"ssd": "hdd", "hdd": "ssd"}[l["disk"]]
						n.Labels = apiserver.NewLabels(l)
						return nil
					})
				case 4, 5: // add or replace a taint
					nt := taint.Taint{Key: keys[st.x%3], Value: vals[(st.x/3)%3], Effect: effects[(st.x/9)%3]}
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						ts := slices.Clone(n.Taints)
						for i := range ts {
							if ts[i].MatchTaint(nt) {
								ts[i] = nt
								n.Taints = ts
								return nil
							}
						}
						n.Taints = append(ts, nt)
						return nil
					})
				case 6: // remove a taint
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						if len(n.Taints) > 0 {
							ts := slices.Clone(n.Taints)
							n.Taints = slices.Delete(ts, st.x%len(ts), st.x%len(ts)+1)
						}
						return nil
					})
				case 7: // delete or re-create the node
					if _, ok := w.s.Nodes.Peek(node); ok {
						_ = w.s.Nodes.Delete(w.c, node, apiserver.DeleteOptions{})
					} else {
						add(node, st.x)
					}
				case 8: // cordon / uncordon
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						n.Unschedulable = !n.Unschedulable
						return nil
					})
				case 9: // delete a pod
					if pods > 0 {
						_ = w.s.Pods.Delete(w.c, fmt.Sprintf("default/p%03d", 1+st.x%pods), apiserver.DeleteOptions{GracePeriodSeconds: new(int64)})
					}
				case 10: // a status report
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						n.Conditions = slices.Clone(n.Conditions)
						if len(n.Conditions) > 0 {
							n.Conditions[0].LastHeartbeatTime = w.s.Now()
						}
						return nil
					})
				case 13: // a condition's status flips (an event for 1.31's queue only)
					_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error {
						n.Conditions = slices.Clone(n.Conditions)
						if len(n.Conditions) > 0 {
							c := &n.Conditions[st.x%len(n.Conditions)]
							c.Status = map[apiserver.ConditionStatus]apiserver.ConditionStatus{apiserver.ConditionTrue: apiserver.ConditionFalse}[c.Status]
							if c.Status == apiserver.ConditionStatusNone {
								c.Status = apiserver.ConditionTrue
							}
						}
						return nil
					})
				case 11: // bulk delete from a node on
					for i := st.node; i < st.node+1+st.x%60; i++ {
						_ = w.s.Nodes.Delete(w.c, fmt.Sprintf("n%03d", i), apiserver.DeleteOptions{})
					}
				case 12: // bulk re-create
					for i := st.node; i < st.node+1+st.x%60; i++ {
						name := fmt.Sprintf("n%03d", i)
						if _, ok := w.s.Nodes.Peek(name); !ok {
							add(name, st.x+i)
						}
					}
				}
				w.run(w.s.Now() + st.wait)
			}
			// a last pod of each template, then all settle
			for i, tm := range tmpls {
				_, _ = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("last%d", i)},
					PodSpec: &apiserver.PodSpec{NodeSelector: tm.sel, Tolerations: tm.tols, Requests: apiserver.Resources{MilliCPU: tm.cpu, Memory: tm.mem}}})
			}
			w.run(w.s.Now() + 5*time.Minute)
			b := schedulingTrace(w)
			w.stop()
			return b.String()
		}
		if on, off := run(false), run(true); on != off {
			a, b := strings.Split(on, "\n"), strings.Split(off, "\n")
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					rt.Fatalf("first difference at line %d:\non:  %s\noff: %s", i, a[i], b[i])
				}
			}
			rt.Fatalf("lengths differ: %d vs %d", len(a), len(b))
		}
	})
}

func TestPropertyNoFitShortcutSmallClusters(t *testing.T) { checkNoFitShortcut(t, false) }
func TestPropertyNoFitShortcutLargeClusters(t *testing.T) { checkNoFitShortcut(t, true) }
