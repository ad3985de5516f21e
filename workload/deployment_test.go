package workload

import (
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/stretchr/testify/require"
)

// A 3-replica Deployment on 3 nodes; n2 dies at 60 s (NotReady, unreachable
// taints) and its pod is taint-evicted at 90 s (gracefully: it stays Terminating on
// the dead node). The replacement is created at once (FilterActivePods), scheduled
// on a healthy node after the 10 ms cycle, and Ready 5 s later.
func TestDeploymentNodeDiesReplacement(t *testing.T) {
	w := newWorld(t, 1)
	for _, n := range []string{"n1", "n2", "n3"} {
		w.addNode(n, nil)
	}
	_, err := w.s.Deployments.Create(w.c, webDeployment(3))
	require.NoError(t, err)
	w.run(30 * time.Second)

	d, _ := w.s.Deployments.Peek("default/web")
	require.Equal(t, int32(3), d.ReadyReplicas)
	on := map[string]int{}
	w.s.Pods.Each(func(p *apiserver.Pod) { on[p.NodeName]++ })
	require.Equal(t, map[string]int{"n1": 1, "n2": 1, "n3": 1}, on, "least allocated spreads the replicas")

	victim := w.podsOn("n2")[0].Key()
	w.at(60*time.Second, func() { w.nodeDies("n2") })
	w.at(90*time.Second, func() { w.taintEvict(victim) })
	w.run(120 * time.Second)

	p, ok := w.s.Pods.Peek(victim)
	require.True(t, ok, "the evicted pod stays Terminating on the dead node")
	require.True(t, p.Deleting)
	var replacement *apiserver.Pod
	w.s.Pods.Each(func(p *apiserver.Pod) {
		if p.CreationTimestamp == 90*time.Second {
			replacement = p
		}
	})
	require.NotNil(t, replacement, "replacement created at the eviction instant")
	require.NotEqual(t, "n2", replacement.NodeName)
	require.True(t, replacement.IsReady())
	rt, _ := podReadyTime(replacement)
	require.Equal(t, 90*time.Second+10*time.Millisecond+5*time.Second, rt, "bound after the 10 ms cycle, Ready after ReadinessDelay")

	sum := w.track.Summary("deployment/default/web")
	require.True(t, sum.Settled)
	require.Equal(t, int32(2), sum.MinReady)
	require.Len(t, sum.Disruptions, 1)
	dis := sum.Disruptions[0]
	require.Equal(t, 60*time.Second, dis.Start, "ready drops when the pod is marked not ready")
	require.Equal(t, 95*time.Second+10*time.Millisecond, dis.End)
	require.True(t, dis.Recovered)
	require.Equal(t, 35*time.Second+10*time.Millisecond, sum.BelowDesired)

	w.stop()
	require.Equal(t, 0, w.e.Pending(), "Stop cancels every timer")
	golden(t, "deployment_node_dies", w.tr.Records())
}

// The controller remembers its Deployment's template hash while the stored versions
// share the template (status writes), and computes it again for a new template: a
// changed template gets a ReplicaSet of its own and the old one is scaled to zero.
func TestDeploymentNewTemplateNewReplicaSet(t *testing.T) {
	w := newWorld(t, 1)
	w.addNode("n1", nil)
	_, err := w.s.Deployments.Create(w.c, webDeployment(2))
	require.NoError(t, err)
	w.run(30 * time.Second)
	d, _ := w.s.Deployments.Peek("default/web")
	require.Equal(t, int32(2), d.ReadyReplicas, "status writes went through the remembered hash")
	old := "default/web-" + PodTemplateHash(&d.Template)
	_, ok := w.s.ReplicaSets.Peek(old)
	require.True(t, ok)

	next := d.DeepCopy()
	next.Template.Labels = apiserver.NewLabels(map[string]string{"app": "web", "track": "canary"})
	w.at(31*time.Second, func() {
		_, err := w.s.Deployments.Update(w.c, next)
		require.NoError(t, err)
	})
	w.run(60 * time.Second)
	d, _ = w.s.Deployments.Peek("default/web")
	cur := "default/web-" + PodTemplateHash(&d.Template)
	require.NotEqual(t, old, cur)
	rs, ok := w.s.ReplicaSets.Peek(cur)
	require.True(t, ok, "a ReplicaSet for the new template")
	require.Equal(t, int32(2), rs.Replicas)
	prev, _ := w.s.ReplicaSets.Peek(old)
	require.Equal(t, int32(0), prev.Replicas, "the old template's ReplicaSet is scaled to zero")

	require.Contains(t, w.dep.hashes, "default/web")
	w.at(61*time.Second, func() { require.NoError(t, w.s.Deployments.Delete(w.c, "default/web", apiserver.DeleteOptions{})) })
	w.run(62 * time.Second)
	require.NotContains(t, w.dep.hashes, "default/web", "a deleted Deployment's template is not kept")
}
