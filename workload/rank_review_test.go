package workload

// Tests from a review of the ReplicaSet controller's scale-down ranking against
// kube-controller-manager v1.31.0, v1.33.0 and v1.37.2 (session 15); each failed
// before its fix.

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/stretchr/testify/require"
)

func reviewPod(name, node string, uid uint64, created time.Duration, readyAt time.Duration, ready bool) *apiserver.Pod {
	p := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: name, UID: uid, CreationTimestamp: created},
		NodeName: node, Phase: apiserver.PodRunning}
	if ready {
		p.Conditions = []apiserver.PodCondition{{Type: apiserver.PodReady, Status: apiserver.ConditionTrue, LastTransitionTime: readyAt}}
	}
	return p
}

// Controllers see metav1.Time in whole seconds. Two pods created at 0.9 s and 1.1 s
// are, at now = 3 s, 3 s and 2 s old to upstream's logarithmicRankDiff (buckets 31
// and 30): the one created at 1.1 s is deleted first, whatever the UIDs. nodesim
// compared 2.1 s and 1.9 s (both bucket 30) and fell to the UID tie, so for some
// seeds it deleted the older pod.
func TestRankCreationTimeWholeSeconds(t *testing.T) {
	now := 3 * time.Second
	var bad []uint64
	for salt := uint64(0); salt < 16; salt++ {
		a := reviewPod("a", "n1", 1, 900*time.Millisecond, 0, false)
		b := reviewPod("b", "n2", 2, 1100*time.Millisecond, 0, false)
		pods := []*apiserver.Pod{a, b}
		rankPodsForDeletion(pods, []*apiserver.Pod{a, b}, now, salt)
		if pods[0].Name != "b" {
			bad = append(bad, salt)
		}
	}
	require.Empty(t, bad, "salts for which the pod created at 0.9 s is deleted before the one created at 1.1 s")
}

// Ready at 5.8 s and 5.2 s are the same second to upstream: the ready-time criterion
// ties and creation time decides (created 4 s is newer than created 0 s: delete it).
// nodesim sees 0.2 s vs 0.8 s since ready (buckets 27 and 29) and deletes the pod
// created at 0 s.
func TestRankReadyTimeWholeSeconds(t *testing.T) {
	now := 6 * time.Second
	a := reviewPod("created-0", "n1", 1, 0, 5800*time.Millisecond, true)
	b := reviewPod("created-4s", "n2", 2, 4*time.Second, 5200*time.Millisecond, true)
	pods := []*apiserver.Pod{a, b}
	rankPodsForDeletion(pods, []*apiserver.Pod{a, b}, now, 0)
	require.Equal(t, "created-4s", pods[0].Name, "upstream deletes the newer pod: their ready times are the same second")
}

// A ReplicaSet that no Deployment owns: upstream's getReplicaSetsWithSameController
// returns nil for it (no controllerRef), so getIndirectlyRelatedPods is empty and every
// pod's co-location rank is 0; criterion 5 ("doubled up" first) never applies and
// ready time decides. Two pods on n1 (ready at ~5 s), a third on n2 (ready at ~105 s);
// scaled 3 -> 2 at 110 s, upstream deletes the n2 pod (most recently ready), nodesim
// one of the two doubled-up n1 pods.
func TestBareReplicaSetIgnoresColocation(t *testing.T) {
	w := newWorld(t, 7)
	w.addNode("n1", nil)
	d := webDeployment(0)
	rs := &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "bare"}, Replicas: 2,
		Selector: d.Selector, Template: d.Template}
	_, err := w.s.ReplicaSets.Create(w.c, rs)
	require.NoError(t, err)
	scale := func(n int32) {
		_, err := w.s.ReplicaSets.Patch(w.c, "default/bare", func(x *apiserver.ReplicaSet) error { x.Replicas = n; return nil })
		require.NoError(t, err)
	}
	w.at(100*time.Second, func() { w.addNode("n2", nil); scale(3) })
	var third string
	w.at(109*time.Second, func() {
		for _, p := range w.podsOn("n2") {
			third = p.Name
		}
		require.Len(t, w.podsOn("n1"), 2, "before: two on n1")
	})
	var deleted []string
	w.s.Pods.Watch(w.c, 0, func(ev apiserver.Event[*apiserver.Pod]) {
		if ev.Type == apiserver.Modified && ev.New.Deleting && !ev.Old.Deleting {
			deleted = append(deleted, fmt.Sprintf("%s@%s", ev.New.Name, ev.New.NodeName))
		}
	})
	w.at(110*time.Second, func() { scale(2) })
	w.run(115 * time.Second)
	require.NotEmpty(t, third, "the third pod went to n2")
	sort.Strings(deleted)
	require.Equal(t, []string{third + "@n2"}, deleted)
}
