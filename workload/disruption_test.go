package workload

import (
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func num(v int32) apiserver.IntOrPercent { return apiserver.IntOrPercent{Set: true, Value: v} }
func pct(v int32) apiserver.IntOrPercent {
	return apiserver.IntOrPercent{Set: true, Value: v, IsPercent: true}
}

// Upstream: pkg/controller/disruption/disruption.go getExpectedPodCount and
// updatePdbStatus; percentages via intstr.GetScaledValueFromIntOrPercent(…, true),
// i.e. rounded up for minAvailable and maxUnavailable alike.
func TestComputeBudget(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   BudgetInput
		want BudgetStatus
	}{
		{"minAvailable int: expected = matched pods",
			BudgetInput{MinAvailable: num(2), MatchedPods: 3, ControllersScale: 5, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 2, CurrentHealthy: 3, DisruptionsAllowed: 1}},
		{"minAvailable int: not enough healthy gives 0, never negative",
			BudgetInput{MinAvailable: num(2), MatchedPods: 3, CurrentHealthy: 1},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 2, CurrentHealthy: 1, DisruptionsAllowed: 0}},
		{"minAvailable 50% of 3 rounds up to 2",
			BudgetInput{MinAvailable: pct(50), MatchedPods: 3, ControllersScale: 3, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 2, CurrentHealthy: 3, DisruptionsAllowed: 1}},
		{"minAvailable 34% of 3 rounds up to 2 (1.02)",
			BudgetInput{MinAvailable: pct(34), ControllersScale: 3, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 2, CurrentHealthy: 3, DisruptionsAllowed: 1}},
		{"minAvailable percent uses the controllers' scale, not matched pods",
			BudgetInput{MinAvailable: pct(100), MatchedPods: 2, ControllersScale: 4, CurrentHealthy: 2},
			BudgetStatus{ExpectedPods: 4, DesiredHealthy: 4, CurrentHealthy: 2, DisruptionsAllowed: 0}},
		{"maxUnavailable int",
			BudgetInput{MaxUnavailable: num(1), MatchedPods: 3, ControllersScale: 3, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 2, CurrentHealthy: 3, DisruptionsAllowed: 1}},
		{"maxUnavailable 50% of 3 rounds up to 2 unavailable",
			BudgetInput{MaxUnavailable: pct(50), ControllersScale: 3, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 1, CurrentHealthy: 3, DisruptionsAllowed: 2}},
		{"maxUnavailable 10% of 5 rounds up to 1",
			BudgetInput{MaxUnavailable: pct(10), ControllersScale: 5, CurrentHealthy: 5},
			BudgetStatus{ExpectedPods: 5, DesiredHealthy: 4, CurrentHealthy: 5, DisruptionsAllowed: 1}},
		{"maxUnavailable above scale: desiredHealthy clamps at 0",
			BudgetInput{MaxUnavailable: num(5), ControllersScale: 3, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 0, CurrentHealthy: 3, DisruptionsAllowed: 3}},
		{"maxUnavailable 0",
			BudgetInput{MaxUnavailable: num(0), ControllersScale: 3, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 3, CurrentHealthy: 3, DisruptionsAllowed: 0}},
		{"no expected pods allows nothing",
			BudgetInput{MinAvailable: num(0), MatchedPods: 0, CurrentHealthy: 0},
			BudgetStatus{}},
		{"maxUnavailable wins when both are set",
			BudgetInput{MinAvailable: num(3), MaxUnavailable: num(2), MatchedPods: 3, ControllersScale: 3, CurrentHealthy: 3},
			BudgetStatus{ExpectedPods: 3, DesiredHealthy: 1, CurrentHealthy: 3, DisruptionsAllowed: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ComputeBudget(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := ComputeBudget(BudgetInput{MinAvailable: num(-1)})
	require.ErrorContains(t, err, "minAvailable")
	_, err = ComputeBudget(BudgetInput{MaxUnavailable: pct(-5)})
	require.ErrorContains(t, err, "maxUnavailable")
}

func TestScaledValue(t *testing.T) {
	for _, tc := range []struct {
		v       apiserver.IntOrPercent
		total   int32
		roundUp bool
		want    int32
	}{
		{num(3), 10, true, 3},
		{pct(25), 10, true, 3},
		{pct(25), 10, false, 2},
		{pct(100), 7, true, 7},
		{pct(0), 7, true, 0},
	} {
		got, err := ScaledValue(tc.v, tc.total, tc.roundUp)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "%+v of %d", tc.v, tc.total)
	}
}

// budgetWorld is three nodes, the web Deployment of 3 replicas and a budget over it
// with maxUnavailable, run for 10 s.
func budgetWorld(t *testing.T, maxUnavailable apiserver.IntOrPercent) *world {
	w := newWorld(t, 1)
	for _, n := range []string{"n1", "n2", "n3"} {
		w.addNode(n, nil)
	}
	_, err := w.s.Deployments.Create(w.c, webDeployment(3))
	require.NoError(t, err)
	_, err = w.s.PDBs.Create(w.c, &apiserver.PodDisruptionBudget{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
		Selector: apiserver.LabelSelector{"app": "web"}, MaxUnavailable: maxUnavailable})
	require.NoError(t, err)
	w.run(10 * time.Second)
	return w
}

func TestDisruptionControllerStatus(t *testing.T) {
	w := budgetWorld(t, pct(50))
	b, _ := w.s.PDBs.Peek("default/web")
	require.Equal(t, BudgetStatus{ExpectedPods: 3, DesiredHealthy: 1, CurrentHealthy: 3, DisruptionsAllowed: 2},
		BudgetStatus{b.ExpectedPods, b.DesiredHealthy, b.CurrentHealthy, b.DisruptionsAllowed})

	// An eviction: the pod counts as gone at once (DisruptedPods), then terminates.
	victim := w.podsOn("n1")[0]
	w.at(20*time.Second, func() { require.NoError(t, w.s.Evict(w.c, victim.Key(), nil)) })
	w.run(20*time.Second + time.Millisecond)
	b, _ = w.s.PDBs.Peek("default/web")
	require.Equal(t, int32(2), b.CurrentHealthy)
	require.Empty(t, b.DisruptedPods, "the pod is terminating, so its entry is dropped")
	w.run(40 * time.Second)
	b, _ = w.s.PDBs.Peek("default/web")
	require.Equal(t, int32(3), b.CurrentHealthy, "replacement Ready")
	require.Equal(t, int32(2), b.DisruptionsAllowed)
	w.stop()
	require.Equal(t, 0, w.e.Pending())
}

// The disruption controller reads ReplicaSets and Deployments but has no handler on
// them (NewDisruptionControllerInternal registers pods and budgets only): a scale
// shows in a budget only with a pod change. With the ReplicaSet controller stopped,
// scaling the Deployment to 6 leaves the budget at 3 expected pods until a pod
// changes.
func TestDisruptionControllerIgnoresScaleUntilAPodChanges(t *testing.T) {
	w := budgetWorld(t, num(1))
	w.rs.Stop()
	_, err := w.s.Deployments.Patch(w.c, "default/web", func(d *apiserver.Deployment) error { d.Replicas = 6; return nil })
	require.NoError(t, err)
	w.run(20 * time.Second)
	b, _ := w.s.PDBs.Peek("default/web")
	require.Equal(t, int32(3), b.ExpectedPods, "no pod changed since the scale")
	require.Equal(t, int32(1), b.DisruptionsAllowed)
	victim := w.podsOn("n1")[0]
	_, err = w.s.Pods.Patch(w.c, victim.Key(), func(p *apiserver.Pod) error {
		p.Labels = apiserver.NewLabels(map[string]string{"app": "web", "x": "y"})
		return nil
	})
	require.NoError(t, err)
	w.run(21 * time.Second)
	b, _ = w.s.PDBs.Peek("default/web")
	require.Equal(t, int32(6), b.ExpectedPods, "a pod change syncs the budget, which reads the scale")
	require.Equal(t, int32(0), b.DisruptionsAllowed)
	w.stop()
}

func TestDisruptionControllerDaemonSetPercentFailsSafe(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("n1", map[string]string{"agent": "yes"})
	_, err := w.s.DaemonSets.Create(w.c, agentDaemonSet())
	require.NoError(t, err)
	_, err = w.s.PDBs.Create(w.c, &apiserver.PodDisruptionBudget{ObjectMeta: apiserver.ObjectMeta{Namespace: "kube-system", Name: "agent"},
		Selector: apiserver.LabelSelector{"app": "agent"}, MaxUnavailable: num(1)})
	require.NoError(t, err)
	w.run(10 * time.Second)
	b, _ := w.s.PDBs.Peek("kube-system/agent")
	require.Equal(t, int32(0), b.DisruptionsAllowed, "a DaemonSet has no scale: failSafe")
	w.stop()
}

// The pod sets the controller keeps per budget follow every pod change: creations,
// label changes in and out of the selector, readiness, graceful and forced deletion,
// evictions, and budgets created, re-selected and deleted. The world's controller
// checks its sets against a walk of the namespace at every sync (verify), and at the
// end a fresh controller, which lists everything, must write the same statuses.
func TestPropertyDisruptionPodSets(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := newWorld(t, 1)
		w.addNode("n1", nil)
		apps := []string{"a", "b"}
		names := []string{"p0", "p1", "p2", "p3", "p4"}
		pdbSel := func() apiserver.LabelSelector {
			return apiserver.LabelSelector{"app": rapid.SampledFrom(apps).Draw(rt, "sel")}
		}
		for range rapid.IntRange(1, 40).Draw(rt, "steps") {
			name := rapid.SampledFrom(names).Draw(rt, "pod")
			key := "default/" + name
			switch rapid.IntRange(0, 8).Draw(rt, "op") {
			case 0:
				_, _ = w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name,
					Labels: apiserver.NewLabels(map[string]string{"app": rapid.SampledFrom(apps).Draw(rt, "app")})}, NodeName: "n1"})
			case 1:
				app := rapid.SampledFrom(apps).Draw(rt, "relabel")
				_, _ = w.s.Pods.Patch(w.c, key, func(p *apiserver.Pod) error {
					p.Labels = apiserver.NewLabels(map[string]string{"app": app})
					return nil
				})
			case 2:
				st := apiserver.ConditionFalse
				if rapid.Bool().Draw(rt, "ready") {
					st = apiserver.ConditionTrue
				}
				_, _ = w.s.Pods.Patch(w.c, key, func(p *apiserver.Pod) error {
					p.SetCondition(apiserver.PodCondition{Type: apiserver.PodReady, Status: st}, w.s.Now())
					return nil
				})
			case 3:
				grace := int64(rapid.SampledFrom([]int{0, 30}).Draw(rt, "grace"))
				_ = w.s.Pods.Delete(w.c, key, apiserver.DeleteOptions{GracePeriodSeconds: &grace})
			case 4:
				_ = w.s.Evict(w.c, key, nil)
			case 5:
				_, _ = w.s.PDBs.Create(w.c, &apiserver.PodDisruptionBudget{ObjectMeta: apiserver.ObjectMeta{Namespace: "default",
					Name: rapid.SampledFrom([]string{"x", "y"}).Draw(rt, "pdb")}, Selector: pdbSel(), MinAvailable: apiserver.IntOrPercent{Set: true, Value: 1}})
			case 6:
				sel := pdbSel()
				_, _ = w.s.PDBs.Patch(w.c, "default/"+rapid.SampledFrom([]string{"x", "y"}).Draw(rt, "pdb"), func(b *apiserver.PodDisruptionBudget) error {
					b.Selector = sel
					return nil
				})
			case 7:
				_ = w.s.PDBs.Delete(w.c, "default/"+rapid.SampledFrom([]string{"x", "y"}).Draw(rt, "pdb"), apiserver.DeleteOptions{})
			case 8:
				w.run(w.e.Now() + time.Duration(rapid.IntRange(0, 3000).Draw(rt, "waitMs"))*time.Millisecond)
			}
		}
		w.run(w.e.Now() + 5*time.Second) // the fake kubelet's final deletes (1 s) and their syncs are over
		got := map[string]apiserver.PodDisruptionBudget{}
		w.s.PDBs.Each(func(b *apiserver.PodDisruptionBudget) { got[b.Key()] = *b })
		// a fresh controller lists every budget's pods and must agree
		w.dis.Stop()
		fresh, err := NewDisruptionController(w.s, w.c, DisruptionConfig{})
		require.NoError(rt, err)
		fresh.Start()
		w.run(w.e.Now()) // its syncs at this instant, before anything else changes
		w.s.PDBs.Each(func(b *apiserver.PodDisruptionBudget) {
			g := got[b.Key()]
			require.Equal(rt, BudgetStatus{g.ExpectedPods, g.DesiredHealthy, g.CurrentHealthy, g.DisruptionsAllowed},
				BudgetStatus{b.ExpectedPods, b.DesiredHealthy, b.CurrentHealthy, b.DisruptionsAllowed}, "budget %s", b.Key())
		})
	})
}
