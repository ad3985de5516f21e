package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
)

// antiTerm is a required anti-affinity term over key for app=web pods.
func antiTerm(key string) apiserver.PodAffinityTerm {
	return apiserver.PodAffinityTerm{Selector: &apiserver.PodSelector{MatchLabels: map[string]string{"app": "web"}}, TopologyKey: key}
}

// antiPod is a pending pod of ns with labels and terms.
func antiPodOf(ns, name string, labels map[string]string, terms ...apiserver.PodAffinityTerm) *apiserver.Pod {
	return &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: ns, Name: name, Labels: apiserver.NewLabels(labels)},
		PodSpec: &apiserver.PodSpec{RequiredPodAntiAffinity: terms}}
}

var webLabels = map[string]string{"app": "web"}

// bind creates p bound to node.
func (w *world) bind(t *testing.T, p *apiserver.Pod, node string) {
	p.NodeName = node
	_, err := w.s.Pods.Create(w.c, p)
	require.NoError(t, err)
}

// antiVerdicts is InterPodAffinity's verdict per node for p (fitOK for all when the
// plugin skips).
func (w *world) antiVerdicts(p *apiserver.Pod) map[string]failCode {
	f := w.sched.interPreFilter(p)
	out := map[string]failCode{}
	for _, ni := range w.sched.nodes {
		out[ni.name] = fitOK
		if f != nil {
			out[ni.name] = f.verdict(ni)
		}
	}
	return out
}

// The filter worked out by hand from upstream's Filter (filtering.go): zones a, b, c
// of two nodes each, node x without a zone; app=web pods on a-0 and b-1.
func TestAntiFilterAsUpstream(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(2, "a", "b", "c")
	w.addNode("x", nil)
	w.bind(t, antiPodOf("default", "w1", webLabels), "a-0")
	w.bind(t, antiPodOf("default", "w2", webLabels), "b-1")
	w.run(time.Second)
	const (
		ok   = fitOK
		own  = failAntiAffinity
		them = failExistingAnti
	)
	// hostname: one per node; the nodes holding one fail
	require.Equal(t, map[string]failCode{"a-0": own, "a-1": ok, "b-0": ok, "b-1": own, "c-0": ok, "c-1": ok, "x": ok},
		w.antiVerdicts(antiPodOf("default", "p", webLabels, antiTerm(apiserver.LabelHostname))))
	// zone: zones a and b fail; x has no zone label and ignores the term
	require.Equal(t, map[string]failCode{"a-0": own, "a-1": own, "b-0": own, "b-1": own, "c-0": ok, "c-1": ok, "x": ok},
		w.antiVerdicts(antiPodOf("default", "p", webLabels, antiTerm(apiserver.LabelZone))))
	// a nil selector matches no pod; an empty one every pod of the namespace
	none := antiTerm(apiserver.LabelZone)
	none.Selector = nil
	require.Equal(t, ok, w.antiVerdicts(antiPodOf("default", "p", nil, none))["a-0"])
	all := antiTerm(apiserver.LabelZone)
	all.Selector = &apiserver.PodSelector{}
	require.Equal(t, own, w.antiVerdicts(antiPodOf("default", "p", nil, all))["b-0"])

	// Namespaces: the term's are the pod's own unless it names some or has a
	// namespaceSelector. A pod of "other" on c-0.
	w.bind(t, antiPodOf("other", "o1", webLabels), "c-0")
	w.run(2 * time.Second)
	require.Equal(t, ok, w.antiVerdicts(antiPodOf("default", "p", webLabels, antiTerm(apiserver.LabelZone)))["c-1"], "own namespace only")
	listed := antiTerm(apiserver.LabelZone)
	listed.Namespaces = []string{"other"}
	require.Equal(t, map[string]failCode{"a-0": ok, "a-1": ok, "b-0": ok, "b-1": ok, "c-0": own, "c-1": own, "x": ok},
		w.antiVerdicts(antiPodOf("default", "p", webLabels, listed)), "only other's pods")
	everywhere := antiTerm(apiserver.LabelZone)
	everywhere.NamespaceSelector = &apiserver.PodSelector{}
	require.Equal(t, map[string]failCode{"a-0": own, "a-1": own, "b-0": own, "b-1": own, "c-0": own, "c-1": own, "x": ok},
		w.antiVerdicts(antiPodOf("default", "p", webLabels, everywhere)), "namespaceSelector {}: every namespace")
	byName := antiTerm(apiserver.LabelZone)
	byName.NamespaceSelector = &apiserver.PodSelector{MatchLabels: map[string]string{apiserver.LabelMetadataName: "other"}}
	require.Equal(t, own, w.antiVerdicts(antiPodOf("default", "p", webLabels, byName))["c-1"], "a namespace's name label")
	require.Equal(t, ok, w.antiVerdicts(antiPodOf("default", "p", webLabels, byName))["a-1"])
	byTeam := antiTerm(apiserver.LabelZone)
	byTeam.NamespaceSelector = &apiserver.PodSelector{MatchLabels: map[string]string{"team": "x"}}
	require.Equal(t, ok, w.antiVerdicts(antiPodOf("default", "p", webLabels, byTeam))["c-1"], "namespaces have no other label")

	// A terminating pod still counts (NodeInfo holds it until it is deleted).
	_, err := w.s.Pods.Patch(w.c, "other/o1", func(p *apiserver.Pod) error { p.Deleting = true; return nil })
	require.NoError(t, err)
	w.run(3 * time.Second)
	require.Equal(t, own, w.antiVerdicts(antiPodOf("default", "p", webLabels, listed))["c-1"])

	// Existing pods' terms: a bound guard on b-0 whose zone term matches app=web pods
	// keeps any such pod out of zone b, terms of its own or not; a pod it does not
	// match is not kept out. The pod's own terms are checked first.
	w.bind(t, antiPodOf("default", "guard", map[string]string{"app": "guard"}, antiTerm(apiserver.LabelZone)), "b-0")
	w.run(4 * time.Second)
	require.Equal(t, map[string]failCode{"a-0": ok, "a-1": ok, "b-0": them, "b-1": them, "c-0": ok, "c-1": ok, "x": ok},
		w.antiVerdicts(antiPodOf("default", "p", webLabels)))
	require.Equal(t, ok, w.antiVerdicts(antiPodOf("default", "p", map[string]string{"app": "other"}))["b-0"])
	require.Equal(t, ok, w.antiVerdicts(antiPodOf("other", "p", webLabels))["b-0"], "the guard's term is for its namespace")
	require.Equal(t, map[string]failCode{"a-0": own, "a-1": ok, "b-0": them, "b-1": own, "c-0": ok, "c-1": ok, "x": ok},
		w.antiVerdicts(antiPodOf("default", "p", webLabels, antiTerm(apiserver.LabelHostname))))
	// the guard goes: nothing left of it
	require.NoError(t, w.s.Pods.Delete(w.c, "default/guard", apiserver.DeleteOptions{}))
	w.run(5 * time.Second)
	require.Nil(t, w.sched.interPreFilter(antiPodOf("default", "p", webLabels)), "no term anywhere: the plugin skips")
}

// A pod with required hostname anti-affinity on three nodes: three replicas bind one
// per node, the fourth waits with the plugin's reason.
func TestAntiOnePerNode(t *testing.T) {
	w := newWorld(t, 1)
	w.zonedNodes(1, "a", "b", "c")
	w.run(time.Second)
	for i := range 4 {
		_, err := w.s.Pods.Create(w.c, antiPodOf("default", fmt.Sprintf("p%d", i), webLabels, antiTerm(apiserver.LabelHostname)))
		require.NoError(t, err)
	}
	w.run(5 * time.Second)
	used := map[string]bool{}
	pending := ""
	for i := range 4 {
		key := fmt.Sprintf("default/p%d", i)
		if n := w.podNode(key); n != "" {
			require.False(t, used[n], "two replicas on %s", n)
			used[n] = true
		} else {
			pending = key
		}
	}
	require.Len(t, used, 3)
	p, _ := w.s.Pods.Peek(pending)
	c := p.Condition(apiserver.PodScheduled)
	require.NotNil(t, c)
	require.Equal(t, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.", c.Message)

	// a web pod without terms is kept off all three by theirs
	_, err := w.s.Pods.Create(w.c, antiPodOf("default", "plain", webLabels))
	require.NoError(t, err)
	w.run(7 * time.Second)
	p, _ = w.s.Pods.Peek("default/plain")
	require.Equal(t, "0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.", p.Condition(apiserver.PodScheduled).Message)
}

// The queue, per version: a pod kept off the only node by a bound pod's
// anti-affinity (its own terms or the bound pod's) moves when that pod is deleted
// without hints (1.31: every pod InterPodAffinity rejected moves on Pod/Delete) and
// with 1.37's hint; 1.33's hint queues only a pod whose own terms the deleted pod
// matches all of, so a pod without terms waits for the 5-minute flush. A node added
// moves a pod with terms of its own (1.31 preCheck, 1.37 hint) but, with hints, not
// one without.
func TestAntiQueuePerVersion(t *testing.T) {
	for _, tc := range []struct {
		minor int
		own   bool
		fast  bool // the pending pod binds within seconds of the blocker's deletion
	}{
		{31, true, true}, {31, false, true},
		{33, true, true}, {33, false, false},
		{37, true, true}, {37, false, true},
	} {
		t.Run(fmt.Sprintf("1.%d own %v", tc.minor, tc.own), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(tc.minor))
			w.addNode("n1", nil)
			w.run(time.Second)
			p := w.blocked(t, tc.own)
			w.run(2 * time.Second)
			_, err := w.s.Pods.Create(w.c, p)
			require.NoError(t, err)
			w.run(3 * time.Second)
			require.Equal(t, "", w.podNode("default/p"))
			require.Equal(t, rejInterPod, w.sched.queued["default/p"].rej)
			require.NoError(t, w.s.Pods.Delete(w.c, "default/blocker", apiserver.DeleteOptions{}))
			if tc.fast {
				w.run(6 * time.Second)
			} else {
				w.run(4 * time.Minute)
				require.Equal(t, "", w.podNode("default/p"), "waits for the unschedulable pool's flush")
				w.run(6 * time.Minute)
			}
			require.Equal(t, "n1", w.podNode("default/p"))
		})
	}
	for _, minor := range []int{31, 37} {
		for _, own := range []bool{true, false} {
			t.Run(fmt.Sprintf("node added 1.%d own %v", minor, own), func(t *testing.T) {
				w := newWorldWith(t, 1, SchedulerConfigFor(minor))
				w.addNode("n1", nil)
				w.run(time.Second)
				p := w.blocked(t, own)
				w.run(2 * time.Second)
				_, err := w.s.Pods.Create(w.c, p)
				require.NoError(t, err)
				w.run(20 * time.Second)
				if minor < 32 {
					// an update InterPodAffinity did not register (Node/UpdateNodeAllocatable)
					// moves no pod only it rejected
					attempts := w.attempts("default/p")
					_, err := w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Allocatable.Pods++; return nil })
					require.NoError(t, err)
					w.run(21 * time.Second)
					require.Equal(t, attempts, w.attempts("default/p"))
				}
				w.addNode("n2", nil)
				w.run(22 * time.Second)
				if own || minor < 32 {
					require.Equal(t, "n2", w.podNode("default/p"))
				} else {
					require.Equal(t, "", w.podNode("default/p"), "no hint for a pod without terms")
				}
			})
		}
	}
}

// blocked binds to n1 a pod "blocker" and returns a pod "p" that InterPodAffinity
// keeps off n1: by p's own hostname term (own), else by the blocker's.
func (w *world) blocked(t *testing.T, own bool) *apiserver.Pod {
	if own {
		w.bind(t, antiPodOf("default", "blocker", webLabels), "n1")
		return antiPodOf("default", "p", webLabels, antiTerm(apiserver.LabelHostname))
	}
	w.bind(t, antiPodOf("default", "blocker", map[string]string{"app": "guard"}, antiTerm(apiserver.LabelHostname)), "n1")
	return antiPodOf("default", "p", webLabels)
}

// A running start does not place replicas its round-robin would put against
// required anti-affinity: those of a template with terms, and those a bound bare
// pod's term matches, are restored Pending; the scheduler then places the first
// one per node and leaves the fourth Pending. Those of a template with preferred
// terms are left Pending too, and the scheduler's score packs them.
func TestSettleLeavesAntiPending(t *testing.T) {
	bound := func(w *settleWorld) (on map[string]int, pending int) {
		on = map[string]int{}
		w.s.Pods.Each(func(p *apiserver.Pod) {
			if p.Labels.Get("app") != "web" {
				return
			}
			if p.NodeName == "" {
				pending++
			} else {
				on[p.NodeName]++
			}
		})
		return on, pending
	}
	t.Run("own terms", func(t *testing.T) {
		w := newSettleWorld(t, 1)
		for _, n := range []string{"n1", "n2", "n3"} {
			w.node(n, "", defaultAllocatable, nil)
		}
		d := webDeployment(4)
		d.Template.Spec.PodSpec.RequiredPodAntiAffinity = []apiserver.PodAffinityTerm{antiTerm(apiserver.LabelHostname)}
		w.restore(d)
		w.settle()
		on, pending := bound(w)
		require.Empty(t, on)
		require.Equal(t, 4, pending)
		w.start()
		defer w.stop()
		require.NoError(t, w.e.RunUntil(10*time.Second))
		on, pending = bound(w)
		require.Equal(t, map[string]int{"n1": 1, "n2": 1, "n3": 1}, on)
		require.Equal(t, 1, pending)
	})
	t.Run("own preferred terms", func(t *testing.T) {
		// the round-robin would spread them; the score packs them on one node
		w := newSettleWorld(t, 1)
		for _, n := range []string{"n1", "n2", "n3"} {
			w.node(n, "", defaultAllocatable, nil)
		}
		d := webDeployment(4)
		d.Template.Spec.PodSpec.PreferredPodAffinity = []apiserver.WeightedPodAffinityTerm{{Weight: 100, PodAffinityTerm: antiTerm(apiserver.LabelHostname)}}
		w.restore(d)
		w.settle()
		on, pending := bound(w)
		require.Empty(t, on)
		require.Equal(t, 4, pending)
		w.start()
		defer w.stop()
		require.NoError(t, w.e.RunUntil(10*time.Second))
		on, pending = bound(w)
		require.Len(t, on, 1, "all on one node: %v", on)
		require.Equal(t, 0, pending)
	})
	t.Run("a bound pod's terms", func(t *testing.T) {
		w := newSettleWorld(t, 1)
		w.node("n1", "", defaultAllocatable, nil)
		w.node("n2", "", defaultAllocatable, nil)
		guard := antiPodOf("default", "guard", map[string]string{"app": "guard"}, antiTerm(apiserver.LabelHostname))
		guard.NodeName = "n1"
		guard.PodSpec.TerminationGracePeriodSeconds = 30
		w.restore(guard, webDeployment(2))
		w.settle()
		on, pending := bound(w)
		require.Empty(t, on)
		require.Equal(t, 2, pending)
		w.start()
		defer w.stop()
		require.NoError(t, w.e.RunUntil(10*time.Second))
		on, _ = bound(w)
		require.Equal(t, map[string]int{"n2": 2}, on)
	})
}

// A running start and a DaemonSet whose template has required anti-affinity terms:
// its pods are bound on every node (the DaemonSet controller binds them itself), and
// the scheduler then keeps the replicas their terms match off those nodes. Settle
// placed such replicas by its round-robin, beside the DaemonSet pods, where the
// scheduler would never have put them; they are left Pending for it as well.
func TestReviewSettleDaemonSetAnti(t *testing.T) {
	w := newSettleWorld(t, 1)
	w.node("n1", "", defaultAllocatable, nil)
	w.node("n2", "", defaultAllocatable, nil)
	ds := nodeAgentDaemonSet()
	ds.Namespace = "default"
	ds.Template.Spec.PodSpec.RequiredPodAntiAffinity = []apiserver.PodAffinityTerm{antiTerm(apiserver.LabelHostname)}
	w.restore(ds, webDeployment(2))
	w.settle()
	web := func() (bound, pending int) {
		w.s.Pods.Each(func(p *apiserver.Pod) {
			switch {
			case p.Labels.Get("app") != "web":
			case p.NodeName == "":
				pending++
			default:
				bound++
			}
		})
		return bound, pending
	}
	bound, pending := web()
	require.Equal(t, 0, bound, "a web replica restored beside a node-agent pod whose term matches it")
	require.Equal(t, 2, pending)
	w.start()
	defer w.stop()
	require.NoError(t, w.e.RunUntil(10*time.Second))
	bound, _ = web()
	require.Equal(t, 0, bound)
	w.s.Pods.Each(func(p *apiserver.Pod) {
		if p.Labels.Get("app") == "web" {
			require.Equal(t, "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules.", p.Condition(apiserver.PodScheduled).Message)
		}
	})
}

// The hints match terms without namespace labels (AffinityTerm.Matches(pod, nil) in
// isSchedulableAfterPodChange, 1.33, and isSchedulableAfterAssignedPodChange, 1.37):
// a pod whose term reaches another namespace by a namespaceSelector on
// kubernetes.io/metadata.name is not queued by the deletion of the pod that kept it
// off, and waits for the unschedulable pool's 5-minute flush; listed in namespaces,
// or without hints (1.31), it binds at once.
func TestAntiDeleteHintNamespaceSelector(t *testing.T) {
	for _, tc := range []struct {
		minor  int
		listed bool
		fast   bool
	}{{31, false, true}, {33, false, false}, {37, false, false}, {37, true, true}} {
		t.Run(fmt.Sprintf("1.%d listed %v", tc.minor, tc.listed), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(tc.minor))
			w.addNode("n1", nil)
			w.run(time.Second)
			w.bind(t, antiPodOf("other", "blocker", webLabels), "n1")
			term := antiTerm(apiserver.LabelHostname)
			if tc.listed {
				term.Namespaces = []string{"other"}
			} else {
				term.NamespaceSelector = &apiserver.PodSelector{MatchLabels: map[string]string{apiserver.LabelMetadataName: "other"}}
			}
			w.run(2 * time.Second)
			_, err := w.s.Pods.Create(w.c, antiPodOf("default", "p", webLabels, term))
			require.NoError(t, err)
			w.run(3 * time.Second)
			require.Equal(t, "", w.podNode("default/p"))
			require.NoError(t, w.s.Pods.Delete(w.c, "other/blocker", apiserver.DeleteOptions{}))
			w.run(20 * time.Second)
			if tc.fast {
				require.Equal(t, "n1", w.podNode("default/p"))
				return
			}
			require.Equal(t, "", w.podNode("default/p"), "the hint does not see the namespace's labels")
			w.run(6 * time.Minute)
			require.Equal(t, "n1", w.podNode("default/p"))
		})
	}
}

// The delete hint's two forms for a pod with two terms, only one of which the
// deleted blocker matches: 1.33's podMatchesAllAffinityTerms skips it (it waits for
// the unschedulable pool's flush), 1.37's podMatchesAnyAffinityTerms queues it.
func TestAntiDeleteHintAnyTerm(t *testing.T) {
	for _, tc := range []struct {
		minor int
		fast  bool
	}{{31, true}, {33, false}, {37, true}} {
		t.Run(fmt.Sprintf("1.%d", tc.minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(tc.minor))
			w.addNode("n1", nil)
			w.run(time.Second)
			w.bind(t, antiPodOf("default", "blocker", webLabels), "n1")
			other := antiTerm(apiserver.LabelHostname)
			other.Selector = &apiserver.PodSelector{MatchLabels: map[string]string{"app": "db"}}
			w.run(2 * time.Second)
			_, err := w.s.Pods.Create(w.c, antiPodOf("default", "p", webLabels, antiTerm(apiserver.LabelHostname), other))
			require.NoError(t, err)
			w.run(3 * time.Second)
			require.Equal(t, "", w.podNode("default/p"))
			require.NoError(t, w.s.Pods.Delete(w.c, "default/blocker", apiserver.DeleteOptions{}))
			w.run(20 * time.Second)
			if tc.fast {
				require.Equal(t, "n1", w.podNode("default/p"))
				return
			}
			require.Equal(t, "", w.podNode("default/p"), "the blocker matches one term of two")
			w.run(6 * time.Minute)
			require.Equal(t, "n1", w.podNode("default/p"))
		})
	}
}

// InterPodAffinity's node-update hint (1.33, 1.37): a pod kept off n1 by its own
// zone term is queued when n1 loses the zone label (a node without the key ignores
// the term) and binds there; a label change that leaves the term's key alone does
// not queue it. Without hints (1.31) any label change moves it.
func TestAntiNodeUpdateHint(t *testing.T) {
	for _, minor := range []int{31, 37} {
		t.Run(fmt.Sprintf("1.%d", minor), func(t *testing.T) {
			w := newWorldWith(t, 1, SchedulerConfigFor(minor))
			w.addNode("n1", map[string]string{apiserver.LabelZone: "a"})
			w.run(time.Second)
			w.bind(t, antiPodOf("default", "blocker", webLabels), "n1")
			w.run(2 * time.Second)
			_, err := w.s.Pods.Create(w.c, antiPodOf("default", "p", webLabels, antiTerm(apiserver.LabelZone)))
			require.NoError(t, err)
			w.run(30 * time.Second) // past the backoff: in the unschedulable pool
			require.Equal(t, "", w.podNode("default/p"))
			attempts := w.attempts("default/p")
			_, err = w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Labels = n.Labels.With("team", "x"); return nil })
			require.NoError(t, err)
			w.run(31 * time.Second)
			if minor < 32 {
				require.Equal(t, attempts+1, w.attempts("default/p"), "1.31: UpdateNodeLabel moves it")
			} else {
				require.Equal(t, attempts, w.attempts("default/p"), "the term's key is unchanged: not queued")
			}
			_, err = w.s.Nodes.Patch(w.c, "n1", func(n *apiserver.Node) error { n.Labels = n.Labels.Without(apiserver.LabelZone); return nil })
			require.NoError(t, err)
			w.run(45 * time.Second)
			require.Equal(t, "n1", w.podNode("default/p"))
		})
	}
}
