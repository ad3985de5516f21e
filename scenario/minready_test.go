package scenario_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/scenario"
)

// A Deployment's minReadySeconds, written in the file, reaches its ReplicaSet, and the
// ReplicaSet controller of the file's version counts availability with it. A running
// cluster's two replicas have been Ready for an hour: available from the start. The
// third, scaled in at 30 s, turns Ready at some instant r (its kubelet's); under
// minReadySeconds 5 it is available from whole-second(r) + 5 s. 1.37's sync at r
// queues that very instant; 1.31's, every replica ready and not every one available,
// queues r + 5 s (the pod handler's r + 6 s loses to it).
func TestDeploymentMinReadySecondsFromYAML(t *testing.T) {
	for _, v := range []string{"1.31", "1.37"} {
		t.Run(v, func(t *testing.T) {
			file := fmt.Sprintf(`apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: min-ready}
spec:
  kubernetesVersion: "%s"
  start: running
  duration: 2m
  nodes:
    - {name: n1}
    - {name: n2}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web}
      spec:
        replicas: 2
        minReadySeconds: 5
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: web, image: nginx}]}
  events:
    - at: 30s
      scale: {deployment: web, replicas: 3}
`, v)
			sc, err := scenario.Parse("min-ready.yaml", []byte(file))
			require.NoError(t, err)
			w, err := scenario.Build(sc, scenario.RunOptions{})
			require.NoError(t, err)
			var changes []time.Duration
			var rsKey string
			w.Server.ReplicaSets.Each(func(rs *apiserver.ReplicaSet) {
				rsKey = rs.Key()
				require.EqualValues(t, 5, rs.MinReadySeconds, "the ReplicaSet gets the Deployment's minReadySeconds")
				require.EqualValues(t, 2, rs.AvailableReplicas, "Ready for an hour: available from the start")
			})
			w.Server.ReplicaSets.Watch(w.Server.NewClient("test", time.Second), 0, func(ev apiserver.Event[*apiserver.ReplicaSet]) {
				if ev.Type == apiserver.Modified && ev.Old.AvailableReplicas != ev.New.AvailableReplicas {
					changes = append(changes, w.Server.Now())
				}
			})
			require.NoError(t, w.Engine.RunUntil(sc.Spec.Duration))
			var readyAt []time.Duration
			w.Server.Pods.Each(func(p *apiserver.Pod) {
				if c := p.Condition(apiserver.PodReady); c != nil && c.Status == apiserver.ConditionTrue && c.LastTransitionTime > 0 {
					readyAt = append(readyAt, c.LastTransitionTime)
				}
			})
			require.Len(t, readyAt, 1, "the scaled-in pod")
			r := readyAt[0]
			want := r.Truncate(time.Second) + 5*time.Second
			if v == "1.31" {
				want = r + 5*time.Second
			}
			t.Logf("%s: the third pod Ready at %v, available at %v", v, r, changes)
			require.Equal(t, []time.Duration{want}, changes, "ready at %v", r)
			rs, _ := w.Server.ReplicaSets.Peek(rsKey)
			require.EqualValues(t, 3, rs.AvailableReplicas)
			d, _ := w.Server.Deployments.Peek("default/web")
			require.Equal(t, [2]int32{3, 3}, [2]int32{d.ReadyReplicas, d.AvailableReplicas})
		})
	}
}
