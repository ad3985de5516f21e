package spec

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// The manifest decoder must give what kubectl's decoding gives (sigs.k8s.io/yaml,
// strict) for every manifest both accept.
func TestDecodeMatchesSigsYAML(t *testing.T) {
	for _, c := range []struct {
		name string
		src  string
		obj  func() any
	}{
		{"pod", `
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app: web, "version": "1"}
  annotations: {example.com/owner: team-a}
  creationTimestamp: "2025-01-02T03:04:05Z"
spec:
  nodeName: a
  terminationGracePeriodSeconds: 30
  priority: 0
  hostNetwork: true
  tolerations:
    - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
    - {operator: Exists}
  containers:
    - name: app
      image: nginx:1.27
      args: ["--port", "8080"]
      ports: [{containerPort: 8080, name: http}]
      env: [{name: RATIO, value: "0.5"}]
      resources:
        requests: {cpu: 0.5, memory: 128Mi}
        limits: {cpu: "2", memory: 1e9}
      readinessProbe:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 5
`, func() any { return &corev1.Pod{} }},
		{"deployment", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}}
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: In, values: [front]}]
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: topology.kubernetes.io/zone, operator: NotIn, values: [z9]}]}]
      containers: [{name: app, image: nginx}]
`, func() any { return &appsv1.Deployment{} }},
		{"pdb", `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
`, func() any { return &policyv1.PodDisruptionBudget{} }},
		{"daemonset", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: "10%"}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: a, image: busybox, command: [sleep, infinity]}]}
`, func() any { return &appsv1.DaemonSet{} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := c.obj()
			require.NoError(t, sigsyaml.UnmarshalStrict([]byte(c.src), want))
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal([]byte(c.src), &doc))
			got := c.obj()
			p := &parser{file: "t.yaml"}
			p.decodeK8s(doc.Content[0], "", reflect.ValueOf(got).Elem())
			require.Empty(t, p.errs)
			require.Equal(t, want, got)
		})
	}
}

func TestUnsupportedFieldPathsExist(t *testing.T) {
	v := reflect.ValueOf(&corev1.PodSpec{}).Elem()
	for _, u := range unsupportedPodFields {
		require.NotPanics(t, func() { set(v, u.field) }, u.field)
	}
}
