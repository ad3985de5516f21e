package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// dsOutcome is what a run shows of the DaemonSet controller: the whole trace, the
// pods at the end and the DaemonSet status, with resourceVersions (one more or one
// fewer write anywhere shifts them).
type dsOutcome struct {
	Trace  []sim.Record
	Pods   []string
	Status [3]uint64
}

func (w *world) dsOutcome() dsOutcome {
	var o dsOutcome
	o.Trace = w.tr.Records()
	w.s.Pods.Each(func(p *apiserver.Pod) {
		o.Pods = append(o.Pods, fmt.Sprintf("%s rv=%d node=%s phase=%s deleting=%v ready=%v",
			p.Key(), p.ResourceVersion, p.NodeName, p.Phase, p.Deleting, p.IsReady()))
	})
	if ds, ok := w.s.DaemonSets.Peek("kube-system/agent"); ok {
		o.Status = [3]uint64{uint64(ds.DesiredNumberScheduled), uint64(ds.NumberReady), ds.ResourceVersion}
	}
	return o
}

// After one node changes, a sync of the DaemonSet (its status write brings one)
// visits that node only, not the whole fleet; forced to visit every node it does
// the same.
func TestDaemonSetSyncVisitsChangedNodes(t *testing.T) {
	const nodes = 60
	run := func(full bool) (dsOutcome, int) {
		w := newWorld(t, 1)
		w.ds.fullSync = full
		for i := range nodes {
			w.addNode(fmt.Sprintf("n%02d", i), map[string]string{"agent": "yes"})
		}
		_, err := w.s.DaemonSets.Create(w.c, agentDaemonSet())
		require.NoError(t, err)
		w.run(30 * time.Second)
		ds, _ := w.s.DaemonSets.Peek("kube-system/agent")
		require.Equal(t, [2]int32{nodes, nodes}, [2]int32{ds.DesiredNumberScheduled, ds.NumberReady})

		// n17 loses its label: its pod is deleted and the status drops to 59, a
		// change of the DaemonSet that queues a sync of the whole DaemonSet.
		w.ds.nodeSyncs = 0
		w.at(40*time.Second, func() {
			_, err := w.s.Nodes.Patch(w.c, "n17", func(n *apiserver.Node) error { n.Labels = n.Labels.Without("agent"); return nil })
			require.NoError(t, err)
		})
		w.run(60 * time.Second)
		ds, _ = w.s.DaemonSets.Peek("kube-system/agent")
		require.Equal(t, [2]int32{nodes - 1, nodes - 1}, [2]int32{ds.DesiredNumberScheduled, ds.NumberReady})
		require.Empty(t, w.podsOn("n17"))
		visits := w.ds.nodeSyncs
		w.stop()
		return w.dsOutcome(), visits
	}
	inc, incVisits := run(false)
	full, fullVisits := run(true)
	t.Logf("syncNode calls after the change: %d incremental, %d visiting every node", incVisits, fullVisits)
	require.Equal(t, full, inc, "the trace does not depend on which nodes a sync visits")
	require.GreaterOrEqual(t, fullVisits, nodes, "a sync of the whole DaemonSet did happen")
	require.LessOrEqual(t, incVisits, 6, "only n17 is visited (by its pair syncs and the DaemonSet syncs)")
}

// dsEvent is one change a property run applies at a time.
type dsEvent struct {
	At   time.Duration
	Op   int
	Node int
}

var untoleratedNoSchedule = taint.Taint{Key: "example.com/x", Effect: taint.NoSchedule}
var untoleratedNoExecute = taint.Taint{Key: "example.com/y", Effect: taint.NoExecute}

func (w *world) applyDSEvent(ev dsEvent, names *[]string) {
	t := w.t
	node := ""
	if len(*names) > 0 {
		node = (*names)[ev.Node%len(*names)]
	}
	patchNode := func(fn func(n *apiserver.Node)) {
		if node == "" {
			return
		}
		_, err := w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error { fn(n); return nil })
		if err != nil && !apiserver.IsNotFound(err) {
			require.NoError(t, err)
		}
	}
	patchPods := func(fn func(p *apiserver.Pod)) {
		for _, p := range w.podsOn(node) {
			if ref, ok := p.ControllerRef(); !ok || ref.Kind != KindDaemonSet {
				continue
			}
			_, err := w.s.Pods.Patch(w.c, p.Key(), func(x *apiserver.Pod) error { fn(x); return nil })
			require.NoError(t, err)
		}
	}
	switch ev.Op {
	case 0: // a new node, with or without the label
		name := fmt.Sprintf("m%02d", ev.Node)
		if _, ok := w.s.Nodes.Peek(name); ok {
			return
		}
		var l map[string]string
		if ev.Node%3 != 0 {
			l = map[string]string{"agent": "yes"}
		}
		w.addNode(name, l)
		*names = append(*names, name)
	case 1:
		if node != "" {
			err := w.s.Nodes.Delete(w.c, node, apiserver.DeleteOptions{})
			if err != nil && !apiserver.IsNotFound(err) {
				require.NoError(t, err)
			}
		}
	case 2:
		patchNode(func(n *apiserver.Node) {
			if n.Labels.Get("agent") == "yes" {
				n.Labels = n.Labels.Without("agent")
			} else {
				n.Labels = n.Labels.With("agent", "yes")
			}
		})
	case 3:
		patchNode(func(n *apiserver.Node) {
			n.Taints = append(removeTaint(n.Taints, untoleratedNoSchedule), untoleratedNoSchedule)
		})
	case 4:
		patchNode(func(n *apiserver.Node) {
			n.Taints = append(removeTaint(n.Taints, untoleratedNoExecute), untoleratedNoExecute)
		})
	case 5:
		patchNode(func(n *apiserver.Node) {
			n.Taints = removeTaint(removeTaint(n.Taints, untoleratedNoSchedule), untoleratedNoExecute)
		})
	case 6: // its daemon pod fails (a kubelet rejecting it)
		patchPods(func(p *apiserver.Pod) {
			if !p.Deleting {
				p.Phase = apiserver.PodFailed
			}
		})
	case 7:
		if node != "" && !w.kub.dead[node] {
			if _, ok := w.s.Nodes.Peek(node); ok {
				w.nodeDies(node)
			}
		}
	case 8: // someone deletes its daemon pod
		for _, p := range w.podsOn(node) {
			if ref, ok := p.ControllerRef(); ok && ref.Kind == KindDaemonSet && !p.Deleting {
				require.NoError(t, w.s.Pods.Delete(w.c, p.Key(), apiserver.DeleteOptions{}))
			}
		}
	case 9: // the DaemonSet's template changes: with or without its nodeSelector
		_, err := w.s.DaemonSets.Patch(w.c, "kube-system/agent", func(d *apiserver.DaemonSet) error {
			if d.Template.Spec.NodeSelector != nil {
				d.Template.Spec.EditSpec().NodeSelector = nil
			} else {
				d.Template.Spec.EditSpec().NodeSelector = map[string]string{"agent": "yes"}
			}
			return nil
		})
		require.NoError(t, err)
	case 10: // its daemon pod goes unready
		now := w.s.Now()
		patchPods(func(p *apiserver.Pod) {
			p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: apiserver.ConditionFalse}, now)
		})
	case 11: // cordon or uncordon
		patchNode(func(n *apiserver.Node) { n.Unschedulable = !n.Unschedulable })
	default: // the DaemonSet changes, not its template (as its status writes do)
		_, err := w.s.DaemonSets.Patch(w.c, "kube-system/agent", func(d *apiserver.DaemonSet) error {
			d.Labels = apiserver.NewLabels(map[string]string{"touched": fmt.Sprint(ev.At)})
			return nil
		})
		require.NoError(t, err)
	}
}

// A DaemonSet synced incrementally (only the dirty nodes) behaves exactly as one
// whose every sync visits every node, whatever happens to nodes and pods: same
// trace, same pods, same status.
func TestPropertyDaemonSetIncrementalSync(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(rt, "nodes")
		labelled := rapid.SliceOfN(rapid.Bool(), n, n).Draw(rt, "labelled")
		// Changes often meet in one instant or one batch of syncs (1 ms apart).
		gaps := []time.Duration{0, 0, time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 10 * time.Second}
		events := rapid.SliceOfN(rapid.Custom(func(rt *rapid.T) dsEvent {
			return dsEvent{
				At:   rapid.SampledFrom(gaps).Draw(rt, "gap"),
				Op:   rapid.IntRange(0, 14).Draw(rt, "op"),
				Node: rapid.IntRange(0, 9).Draw(rt, "node"),
			}
		}), 1, 40).Draw(rt, "events")
		at := time.Second
		for i := range events {
			at += events[i].At
			events[i].At = at
		}
		seed := rapid.Uint64().Draw(rt, "seed")
		// node events queue a DaemonSet per version (onNode)
		version := rapid.SampledFrom([]int{31, 33, 37}).Draw(rt, "version")

		run := func(full bool) dsOutcome {
			w := newWorld(t, seed)
			w.ds.Stop()
			var err error
			w.ds, err = NewDaemonSetController(w.s, w.c, DaemonSetConfig{Version: version})
			require.NoError(t, err)
			w.ds.Start()
			w.ds.fullSync = full
			var names []string
			for i := range n {
				var l map[string]string
				if labelled[i] {
					l = map[string]string{"agent": "yes"}
				}
				names = append(names, fmt.Sprintf("n%02d", i))
				w.addNode(names[i], l)
			}
			_, err = w.s.DaemonSets.Create(w.c, agentDaemonSet())
			require.NoError(t, err)
			for _, ev := range events {
				w.at(ev.At, func() { w.applyDSEvent(ev, &names) })
			}
			w.run(180 * time.Second)
			w.stop()
			return w.dsOutcome()
		}
		full := run(true)
		inc := run(false)
		require.Equal(rt, full, inc)
	})
}

// A sync over every node of a settled DaemonSet allocates nothing per node.
func TestDaemonSetSyncNodeAllocs(t *testing.T) {
	w := newWorld(t, 1)
	for i := range 20 {
		w.addNode(fmt.Sprintf("n%02d", i), map[string]string{"agent": "yes"})
	}
	_, err := w.s.DaemonSets.Create(w.c, agentDaemonSet())
	require.NoError(t, err)
	w.run(30 * time.Second)
	const key = "kube-system/agent"
	ds, _ := w.ds.dsInf.Get(key)
	st := w.ds.state[key]
	require.Equal(t, int32(20), st.count.ready)
	w.ds.fullSync = true
	allocs := testing.AllocsPerRun(10, func() {
		require.NoError(t, w.ds.syncNodes(ds, st, key))
	})
	require.Zero(t, allocs)
	require.Equal(t, int32(20), st.count.ready)
	w.stop()
}
