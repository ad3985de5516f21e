package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"pgregory.net/rapid"
)

type reviewAction struct {
	at   time.Duration
	kind int // 0 scale dep, 1 add nodes, 2 delete node, 3 relabel node (leave DS), 4 kill node, 5 delete pod
	a, b int
}

// Within the burst a rate-limited ReplicaSet or DaemonSet controller behaves as an
// unlimited one: for random small clusters, workloads and actions, the verbose traces
// (every request and write) are equal.
func TestPropertyWithinBurstAsUnlimited(t *testing.T) {
	rapid.Check(t, withinBurstAsUnlimited(t, burstDraws{
		maxActions: 8, gaps: []time.Duration{2 * time.Second, 10 * time.Second},
		jitter: true, maxB: 4, nodesAdded: func(b int) int { return b%3 + 1 },
	}))
}

// burstDraws are what a withinBurstAsUnlimited property draws its actions from.
type burstDraws struct {
	maxActions int
	gaps       []time.Duration // the time between two actions, drawn once per case
	jitter     bool            // 0–3 s more between two actions, drawn per action
	maxB       int             // an action's second parameter
	nodesAdded func(b int) int // how many nodes an "add nodes" action adds
}

// withinBurstAsUnlimited is the property: the same random cluster and actions, run
// with the controllers rate limited and without a limit, give equal verbose traces.
func withinBurstAsUnlimited(t *testing.T, d burstDraws) func(*rapid.T) {
	return func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		ndeps := rapid.IntRange(0, 2).Draw(rt, "deps")
		nds := rapid.IntRange(0, 2).Draw(rt, "dss")
		nodes0 := rapid.IntRange(1, 3).Draw(rt, "nodes0")
		nact := rapid.IntRange(1, d.maxActions).Draw(rt, "actions")
		gap := rapid.SampledFrom(d.gaps).Draw(rt, "gap")
		var acts []reviewAction
		at := 5 * time.Second
		for i := range nact {
			at += gap
			if d.jitter {
				at += time.Duration(rapid.IntRange(0, 3).Draw(rt, fmt.Sprint("dt", i))) * time.Second
			}
			acts = append(acts, reviewAction{at, rapid.IntRange(0, 5).Draw(rt, fmt.Sprint("k", i)),
				rapid.IntRange(0, 5).Draw(rt, fmt.Sprint("a", i)), rapid.IntRange(0, d.maxB).Draw(rt, fmt.Sprint("b", i))})
		}
		run := func(limited bool) []sim.Record {
			w := newWorld(t, seed)
			w.tr.Verbose = true
			w.rs.Stop()
			w.ds.Stop()
			rcfg, dcfg := ReplicaSetConfig{}, DaemonSetConfig{}
			if limited {
				rcfg, dcfg = DefaultReplicaSetConfig(), DefaultDaemonSetConfig()
			}
			var err error
			w.rs, err = NewReplicaSetController(w.s, w.c, rcfg)
			if err != nil {
				rt.Fatal(err)
			}
			w.ds, err = NewDaemonSetController(w.s, w.c, dcfg)
			if err != nil {
				rt.Fatal(err)
			}
			w.rs.Start()
			w.ds.Start()
			nodeN := 0
			addNode := func() {
				w.addNode(fmt.Sprintf("n%02d", nodeN), map[string]string{"agent": "yes"})
				nodeN++
			}
			for range nodes0 {
				addNode()
			}
			for i := range ndeps {
				if _, err := w.s.Deployments.Create(w.c, appDeployment(fmt.Sprint("d", i), 1)); err != nil {
					rt.Fatal(err)
				}
			}
			for i := range nds {
				ds := agentDaemonSet()
				ds.Name = fmt.Sprint("agent", i)
				if _, err := w.s.DaemonSets.Create(w.c, ds); err != nil {
					rt.Fatal(err)
				}
			}
			for _, a := range acts {
				a := a
				w.at(a.at, func() {
					switch a.kind {
					case 0:
						if ndeps > 0 {
							w.scaleDeployment(fmt.Sprint("d", a.a%ndeps), int32(a.b))
						}
					case 1:
						for range d.nodesAdded(a.b) {
							addNode()
						}
					case 2:
						n := fmt.Sprintf("n%02d", a.a%max(nodeN, 1))
						_ = w.s.Nodes.Delete(w.c, n, apiserver.DeleteOptions{})
					case 3:
						n := fmt.Sprintf("n%02d", a.a%max(nodeN, 1))
						_, _ = w.s.Nodes.Patch(w.c, n, func(x *apiserver.Node) error {
							x.Labels = apiserver.NewLabels(map[string]string{apiserver.LabelHostname: n})
							return nil
						})
					case 4:
						n := fmt.Sprintf("n%02d", a.a%max(nodeN, 1))
						if _, ok := w.s.Nodes.Peek(n); ok {
							w.nodeDies(n)
						}
					case 5:
						var keys []string
						w.s.Pods.Each(func(p *apiserver.Pod) { keys = append(keys, p.Key()) })
						if len(keys) > 0 {
							_ = w.s.Pods.Delete(w.c, keys[a.a%len(keys)], apiserver.DeleteOptions{})
						}
					}
				})
			}
			w.run(at + time.Minute)
			if w.ds.overdrawn != 0 {
				rt.Fatalf("%d DaemonSet requests sent inline without their token", w.ds.overdrawn)
			}
			w.stop()
			return w.tr.Records()
		}
		lim, unl := run(true), run(false)
		if sim.Digest(lim) != sim.Digest(unl) {
			for i := range min(len(lim), len(unl)) {
				if sim.Digest(lim[i:i+1]) != sim.Digest(unl[i:i+1]) {
					for j := max(0, i-3); j < min(i+4, len(lim), len(unl)); j++ {
						rt.Logf("lim %v %s %v | unl %v %s %v", lim[j].T, lim[j].Kind, recAttrs(lim[j]), unl[j].T, unl[j].Kind, recAttrs(unl[j]))
					}
					break
				}
			}
			rt.Fatalf("traces differ: %d vs %d records", len(lim), len(unl))
		}
	}
}

func recAttrs(r sim.Record) string { return string(r.AppendText(nil)) }
