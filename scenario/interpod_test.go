package scenario_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
)

// A required anti-affinity term as written in a manifest reaches the scheduler with
// its defaults intact: an absent labelSelector matches no pod, {} every pod of the
// term's namespaces; no namespaces and no namespaceSelector is the pod's own
// namespace, namespaceSelector {} every namespace, one on kubernetes.io/metadata.name
// the namespace of that name, and one on another label none (namespaces carry only
// that label). One node runs a pod app=x in namespace other; the pod p of default
// with the term is bound to it or kept Pending by InterPodAffinity.
func TestAntiAffinityTermDefaultsFromYAML(t *testing.T) {
	const file = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: anti-terms}
spec:
  duration: 30s
  nodes:
    - {name: n1}
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: x, namespace: other, labels: {app: x}}
      spec:
        nodeName: n1
        containers: [{name: c, image: nginx}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default}
      spec:
        containers: [{name: c, image: nginx}]
        affinity:
          podAntiAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              - topologyKey: kubernetes.io/hostname
%s
`
	for _, tc := range []struct {
		term  string
		bound bool
	}{
		{"", true},                  // no labelSelector: matches no pod
		{"labelSelector: {}", true}, // every pod, of default only
		{"labelSelector: {matchLabels: {app: x}}", true},
		{"labelSelector: {}\nnamespaces: [other]", false},
		{"labelSelector: {matchLabels: {app: x}}\nnamespaces: [default, other]", false},
		{"labelSelector: {matchLabels: {app: y}}\nnamespaces: [other]", true},
		{"labelSelector: {}\nnamespaceSelector: {}", false},
		{"namespaceSelector: {}", true}, // still no labelSelector
		{"labelSelector: {}\nnamespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}", false},
		{"labelSelector: {matchExpressions: [{key: app, operator: In, values: [x]}]}\nnamespaceSelector: {matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [default]}]}", false},
		{"labelSelector: {}\nnamespaceSelector: {matchLabels: {team: a}}", true},
	} {
		t.Run(tc.term, func(t *testing.T) {
			var lines string
			if tc.term != "" {
				for _, l := range strings.Split(tc.term, "\n") {
					lines += "                " + l + "\n"
				}
			}
			bound, msg := podOutcome(t, fmt.Sprintf(file, lines))
			require.Equal(t, tc.bound, bound, "last FailedScheduling: %q", msg)
			if !tc.bound {
				require.Equal(t, "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules.", msg)
			}
		})
	}
}

// podOutcome runs a scenario file and reports whether its pod default/p was bound,
// and the message of its last FailedScheduling record.
func podOutcome(t *testing.T, text string) (bound bool, msg string) {
	sc, err := scenario.Parse("terms.yaml", []byte(text))
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	for _, r := range res.Records() {
		if r.Str("pod") != "default/p" {
			continue
		}
		switch r.Kind {
		case "PodScheduled":
			bound = true
		case "FailedScheduling":
			msg = r.Str("message")
		}
	}
	return bound, msg
}

// A required affinity term as written in a manifest reaches the scheduler with its
// defaults intact, as TestAntiAffinityTermDefaultsFromYAML for anti-affinity: one
// node runs a pod app=x in namespace other; the pod p of default (labels app=p)
// with the term binds when the term matches x, and when nothing matches anywhere
// but p matches its own term (the self-match exception); otherwise it stays Pending.
func TestAffinityTermDefaultsFromYAML(t *testing.T) {
	const file = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: affinity-terms}
spec:
  duration: 30s
  nodes:
    - {name: n1}
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: x, namespace: other, labels: {app: x}}
      spec:
        nodeName: n1
        containers: [{name: c, image: nginx}]
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default, labels: {app: p}}
      spec:
        containers: [{name: c, image: nginx}]
        affinity:
          podAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              - topologyKey: kubernetes.io/hostname
%s
`
	for _, tc := range []struct {
		term  string
		bound bool
	}{
		{"", false},                 // no labelSelector: matches no pod, p included
		{"labelSelector: {}", true}, // every pod of default: none bound, p itself
		{"labelSelector: {matchLabels: {app: x}}", false},
		{"labelSelector: {matchLabels: {app: x}}\nnamespaces: [other]", true},
		{"labelSelector: {matchLabels: {app: p}}\nnamespaces: [other]", false}, // p is not in other
		{"labelSelector: {matchLabels: {app: p}}", true},                       // self-match
		{"labelSelector: {}\nnamespaceSelector: {}", true},
		{"labelSelector: {matchLabels: {app: x}}\nnamespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}", true},
		{"labelSelector: {}\nnamespaceSelector: {matchLabels: {team: a}}", false},
		{"labelSelector: {}\ntopologyKey: topology.kubernetes.io/zone", false}, // n1 has no zone
	} {
		t.Run(tc.term, func(t *testing.T) {
			var lines string
			if tc.term != "" {
				for _, l := range strings.Split(tc.term, "\n") {
					lines += "                " + l + "\n"
				}
			}
			text := fmt.Sprintf(file, lines)
			if strings.Contains(tc.term, "topologyKey") {
				text = strings.Replace(text, "              - topologyKey: kubernetes.io/hostname\n", "              -\n", 1)
			}
			bound, msg := podOutcome(t, text)
			require.Equal(t, tc.bound, bound, "last FailedScheduling: %q", msg)
			if !tc.bound {
				require.Equal(t, "0/1 nodes are available: 1 node(s) didn't match pod affinity rules.", msg)
			}
		})
	}
}

// Preferred inter-pod terms reach the scheduler through the loader: a-0 and b-0
// each run a pod requesting half their CPU, so LeastAllocated prefers c-0, where
// the cache runs. web-anti's preferred anti-affinity to the cache's zone keeps it
// off c-0; web-plain has no terms, but the magnet pod on b-0 prefers pods labelled
// app=web-plain in its zone (symmetry), which draws web-plain to b-0; web-near
// prefers the cache's zone, and goes to c-0.
func TestPreferredPodAffinityLoaded(t *testing.T) {
	res := run(t, "preferred-pod", `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
spec:
  duration: 1m
  start: running
  nodes: [{name: a-0, zone: a}, {name: b-0, zone: b}, {name: c-0, zone: c}]
  objects:
    - {apiVersion: v1, kind: Pod, metadata: {name: fill-a}, spec: {nodeName: a-0, containers: [{name: app, image: nginx, resources: {requests: {cpu: "2"}}}]}}
    - {apiVersion: v1, kind: Pod, metadata: {name: fill-b}, spec: {nodeName: b-0, containers: [{name: app, image: nginx, resources: {requests: {cpu: "2"}}}]}}
    - {apiVersion: v1, kind: Pod, metadata: {name: cache, labels: {app: cache}}, spec: {nodeName: c-0, containers: [{name: app, image: nginx}]}}
    - apiVersion: v1
      kind: Pod
      metadata: {name: magnet}
      spec:
        nodeName: b-0
        containers: [{name: app, image: nginx}]
        affinity:
          podAffinity:
            preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 1, podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: web-plain}}}}
    - apiVersion: v1
      kind: Pod
      metadata: {name: web-anti, labels: {app: web-anti}}
      spec:
        containers: [{name: app, image: nginx}]
        affinity:
          podAntiAffinity:
            preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 100, podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: cache}}}}
    - {apiVersion: v1, kind: Pod, metadata: {name: web-plain, labels: {app: web-plain}}, spec: {containers: [{name: app, image: nginx}]}}
    - apiVersion: v1
      kind: Pod
      metadata: {name: web-near, labels: {app: web-near}}
      spec:
        containers: [{name: app, image: nginx}]
        affinity:
          podAffinity:
            preferredDuringSchedulingIgnoredDuringExecution:
              - {weight: 5, podAffinityTerm: {topologyKey: topology.kubernetes.io/zone, labelSelector: {matchLabels: {app: cache}}}}
`, scenario.RunOptions{})
	for pod, node := range map[string]string{"web-plain": "b-0", "web-near": "c-0"} {
		_, ok := first(res.Records(), "PodScheduled", "pod", "default/"+pod, "node", node)
		require.True(t, ok, "%s runs on %s", pod, node)
	}
	_, ok := first(res.Records(), "PodScheduled", "pod", "default/web-anti", "node", "c-0")
	require.False(t, ok, "web-anti keeps out of the cache's zone")
	_, okA := first(res.Records(), "PodScheduled", "pod", "default/web-anti", "node", "a-0")
	_, okB := first(res.Records(), "PodScheduled", "pod", "default/web-anti", "node", "b-0")
	require.True(t, okA || okB, "web-anti is scheduled")
}
