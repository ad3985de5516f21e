package workload

import (
	"fmt"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// What the differential properties against upstream's plugins
// (TestPropertyOwnSpreadVsUpstream, TestPropertyAntiVsUpstream) share: the changes
// they put a cluster through between checks.

// terminating deletes a pod gracefully: a bound pod stays, Deleting (no kubelet of
// the properties' nodes finishes it).
func (w *world) terminating(key string) {
	grace := int64(30)
	_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: &grace})
}

// terminal makes a pod Failed.
func (w *world) terminal(key string) {
	_, _ = w.s.Pods.Patch(w.c, key, func(p *apiserver.Pod) error { p.Phase = apiserver.PodFailed; return nil })
}

// deleteOrReAddNode deletes node, unless it is the last one, or adds it back with
// add if it is gone.
func (w *world) deleteOrReAddNode(t require.TestingT, node string, add func(string)) {
	if _, ok := w.s.Nodes.Peek(node); !ok {
		add(node)
		return
	}
	left := 0
	w.s.Nodes.Each(func(*apiserver.Node) { left++ })
	if left > 1 {
		require.NoError(t, w.s.Nodes.Delete(w.c, node, apiserver.DeleteOptions{}))
	}
}

// changeRounds checks the cluster once built, then after each of up to 4 rounds of
// 1 to 4 changes. A change is drawn as a kind from 0 to 10, a pod (of podKeys, ""
// when there is none) and a node (of names): kinds 0 to 5 are a pod's (0, 1: one
// created bound, by createPod; 2: one left to the scheduler; 3: a pod deleted at once;
// 4: made terminating; 5: terminal), the others change's. After a round the changes
// are delivered and the bindings the scheduler made since are not (with a watch
// latency over 50 ms): their pods count as assumed.
func (w *world) changeRounds(rt *rapid.T, latency time.Duration, podKeys *[]string, names func() []string,
	createPod func(bound bool), check func(when string), change func(kind int, key, node string)) {
	w.run(w.s.Now() + time.Second)
	check("once built")
	for round := range rapid.IntRange(0, 4).Draw(rt, "rounds") {
		for range rapid.IntRange(1, 4).Draw(rt, "changes") {
			key := ""
			if len(*podKeys) > 0 {
				key = rapid.SampledFrom(*podKeys).Draw(rt, "pod")
			}
			node := rapid.SampledFrom(names()).Draw(rt, "node")
			switch kind := rapid.IntRange(0, 10).Draw(rt, "change"); kind {
			case 0, 1:
				createPod(true)
			case 2:
				createPod(false)
			case 3:
				_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: new(int64)})
			case 4:
				w.terminating(key)
			case 5:
				w.terminal(key)
			default:
				change(kind, key, node)
			}
		}
		w.run(w.s.Now() + latency + 50*time.Millisecond)
		check(fmt.Sprintf("after round %d", round))
	}
}

// createReadyNode creates a Ready node with n's name, labels, taints and
// allocatable (also its capacity), then takes off the not-ready:NoSchedule taint
// admission added, as the node lifecycle controller would once it sees the node
// Ready (without this no node ever fits).
func (w *world) createReadyNode(t require.TestingT, name string, labels map[string]string, taints []taint.Taint, alloc apiserver.Resources) {
	_, err := w.s.Nodes.Create(w.c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name, Labels: apiserver.NewLabels(labels)},
		Capacity: alloc, Allocatable: alloc, Taints: taints,
		Conditions: []apiserver.NodeCondition{{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue}}})
	require.NoError(t, err)
	_, err = w.s.Nodes.Patch(w.c, name, func(n *apiserver.Node) error {
		n.Taints = removeTaint(n.Taints, taint.NotReadyNoSchedule)
		return nil
	})
	require.NoError(t, err)
}

// drawNodeLabels draws a node's labels for the differential properties: a zone of
// zones (one time in twelve none, one time in twelve an empty value), most often a
// rack (r1, r2), most often kubernetes.io/hostname its name (one time in twelve none,
// one time in twelve the value "shared"), and with disk, disk=ssd half the time.
// rapid draws the ends of a range more often: the rare cases are in the middle.
func drawNodeLabels(rt *rapid.T, zones []string, name string, disk bool) map[string]string {
	l := map[string]string{}
	switch z := rapid.IntRange(0, 11).Draw(rt, "zone"); z {
	default:
		l[apiserver.LabelZone] = zones[z%len(zones)]
	case 5: // no zone label
	case 6:
		l[apiserver.LabelZone] = ""
	}
	if r := rapid.IntRange(0, 2).Draw(rt, "rack"); r < 2 {
		l["rack"] = fmt.Sprint("r", r+1)
	}
	switch rapid.IntRange(0, 11).Draw(rt, "hostname") {
	default:
		l[apiserver.LabelHostname] = name
	case 5: // none
	case 6:
		l[apiserver.LabelHostname] = "shared"
	}
	if disk && rapid.Bool().Draw(rt, "ssd") {
		l["disk"] = "ssd"
	}
	return l
}

// requireCacheNodes requires the scheduler's nodes to be those named (the nodes of
// the API server's store, which the reference reads).
func requireCacheNodes(t require.TestingT, sc *Scheduler, names []string, when string) {
	var cacheNames []string
	for _, ni := range sc.nodes {
		cacheNames = append(cacheNames, ni.name)
	}
	require.ElementsMatch(t, names, cacheNames, "the scheduler's nodes %s", when)
}
