package scenario_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nodesim/nodesim/scenario"
)

// The builder and the example file describe the same scenario: same trace.
func TestBuilderEqualsFile(t *testing.T) {
	thirty := int64(30)
	b := scenario.New("kubelet-stops").
		Duration(10*time.Minute).
		Version("1.37").
		Node("kind-control-plane", scenario.Labels(map[string]string{"node-role.kubernetes.io/control-plane": ""})).
		Node("kind-worker").
		Node("kind-worker2").
		Object(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
			Spec: corev1.PodSpec{NodeName: "kind-worker", Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}).
		Object(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "quick", Namespace: "default"},
			Spec: corev1.PodSpec{NodeName: "kind-worker", Containers: []corev1.Container{{Name: "quick", Image: "nginx"}},
				Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists,
					Effect: corev1.TaintEffectNoExecute, TolerationSeconds: &thirty}}}}).
		At(60*time.Second, scenario.StopKubelet(scenario.OnNode("kind-worker"))).
		Expect(scenario.After, 99*time.Second, scenario.NodeReady("kind-worker", "Unknown")).
		Expect(scenario.By, 116*time.Second, scenario.NodeTaint("kind-worker", "node.kubernetes.io/unreachable:NoExecute")).
		Expect(scenario.By, 146*time.Second, scenario.PodEvicted("default/quick"))
	built, err := b.Build()
	require.NoError(t, err)
	fromGo, err := scenario.Run(built, scenario.RunOptions{})
	require.NoError(t, err)
	require.True(t, fromGo.OK(), "%v", fromGo.Failed())

	file, err := scenario.Load("../examples/kubelet-stops.yaml")
	require.NoError(t, err)
	fromFile, err := scenario.Run(file, scenario.RunOptions{})
	require.NoError(t, err)
	require.Equal(t, fromFile.Digest(), fromGo.Digest())

	// The YAML is a scenario file nodesim run accepts.
	y, err := b.YAML()
	require.NoError(t, err)
	path := t.TempDir() + "/built.yaml"
	require.NoError(t, os.WriteFile(path, y, 0o644))
	_, err = scenario.Load(path)
	require.NoError(t, err)
}

func TestBuilderErrorsAreValidationErrors(t *testing.T) {
	_, err := scenario.New("bad").Duration(time.Minute).Node("a").
		At(time.Second, scenario.StopKubelet(scenario.OnNode("nope"))).Build()
	require.Error(t, err)
	require.Contains(t, err.Error(), "nope")
	_, err = scenario.New("bad").Object(42).Build()
	require.ErrorContains(t, err, "unsupported type int")
}

func TestBuilderStartRunning(t *testing.T) {
	sc, err := scenario.New("running").Duration(2 * time.Minute).StartRunning().Node("a").Build()
	require.NoError(t, err)
	require.Equal(t, "running", sc.Spec.Start)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	for _, r := range res.Records() {
		require.NotEqual(t, "NodeRegistered", r.Kind, "a running cluster does not boot")
	}
}
