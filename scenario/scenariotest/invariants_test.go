package scenariotest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/scenario/scenariotest"
	"github.com/nodesim/nodesim/scenario/spec"
	"github.com/nodesim/nodesim/sim"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"pgregory.net/rapid"
)

const base = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: broken}
spec:
  duration: 10m
  kubernetesVersion: "1.37"
  nodes:
    - {name: a, zone: z1}
    - {name: b, zone: z1}
  objects:
    - apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default}
      spec:
        nodeName: a
        containers: [{name: c, image: nginx}]
        tolerations:
          - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 60}
    - apiVersion: v1
      kind: Pod
      metadata: {name: forever, namespace: default}
      spec:
        nodeName: a
        containers: [{name: c, image: nginx}]
        tolerations: [{operator: Exists}]
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec: {containers: [{name: c, image: nginx}]}
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: web, namespace: default}
      spec:
        minAvailable: 2
        selector: {matchLabels: {app: web}}
`

func result(t *testing.T, recs ...sim.Record) *scenario.Result {
	t.Helper()
	sc, err := scenario.Parse("broken.yaml", []byte(base))
	require.NoError(t, err)
	return &scenario.Result{Scenario: sc, Trace: sim.TraceOf(recs)}
}

func rec(sec float64, kind string, kv ...string) sim.Record {
	var attrs []sim.Attr
	for i := 0; i+1 < len(kv); i += 2 {
		attrs = append(attrs, sim.S(kv[i], kv[i+1]))
	}
	quiet := kind == "LeaseRenewed" || kind == "NodeStatusPatched"
	return sim.NewRecord(time.Duration(sec*float64(time.Second)), kind, quiet, attrs...)
}

func TestInvariantsFailOnBrokenTraces(t *testing.T) {
	cases := []struct {
		name string
		inv  scenariotest.Invariant
		good []sim.Record
		bad  []sim.Record
	}{
		{"TimeMonotonic", scenariotest.TimeMonotonic,
			[]sim.Record{rec(1, "Leader", "holder", "x"), rec(2, "Leader", "holder", "y")},
			[]sim.Record{rec(2, "Leader", "holder", "x"), rec(1, "Leader", "holder", "y")}},
		{"NoUnknownWithinGrace", scenariotest.NoUnknownWithinGrace,
			[]sim.Record{rec(10, "LeaseRenewed", "node", "a"), rec(60.5, "NodeCondition", "node", "a", "type", "Ready", "from", "True", "to", "Unknown", "reason", "NodeStatusUnknown")},
			[]sim.Record{rec(10, "LeaseRenewed", "node", "a"), rec(30, "NodeStatusPatched", "node", "a"), rec(60.5, "NodeCondition", "node", "a", "type", "Ready", "from", "True", "to", "Unknown", "reason", "NodeStatusUnknown")}},
		{"ControllerNeverWritesReadyTrueFalse", scenariotest.ControllerNeverWritesReadyTrueFalse,
			[]sim.Record{rec(1, "NodeCondition", "node", "a", "type", "Ready", "from", "", "to", "False", "reason", "KubeletNotReady")},
			[]sim.Record{rec(1, "NodeCondition", "node", "a", "type", "Ready", "from", "Unknown", "to", "False", "reason", "NodeStatusUnknown")}},
		{"NoEarlyTaintEviction", scenariotest.NoEarlyTaintEviction,
			[]sim.Record{rec(100, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(160, "PodEvicted", "pod", "default/p", "node", "a", "reason", "TaintManagerEviction")},
			[]sim.Record{rec(100, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(159, "PodEvicted", "pod", "default/p", "node", "a", "reason", "TaintManagerEviction")}},
		{"ForeverTolerantNeverEvicted", scenariotest.ForeverTolerantNeverEvicted,
			[]sim.Record{rec(100, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(160, "PodEvicted", "pod", "default/p", "node", "a", "reason", "TaintManagerEviction")},
			[]sim.Record{rec(100, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(160, "PodEvicted", "pod", "default/forever", "node", "a", "reason", "TaintManagerEviction")}},
		{"NoNoExecuteWhileAllZonesFullyDisrupted", scenariotest.NoNoExecuteWhileAllZonesFullyDisrupted,
			// (zones are weighed by the nodes the controller registered: its Events)
			[]sim.Record{rec(1, "NodeRegistered", "node", "a"), rec(5, "Event", "object", "node/a", "reason", "RegisteredNode"), rec(5, "ZoneState", "zone", "z1", "from", "Initial", "to", "PartialDisruption"), rec(6, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute")},
			// (the client is limited: one swap in flight may land after the mode starts)
			[]sim.Record{rec(1, "NodeRegistered", "node", "a"), rec(1, "NodeRegistered", "node", "b"), rec(5, "Event", "object", "node/a", "reason", "RegisteredNode"), rec(5, "Event", "object", "node/b", "reason", "RegisteredNode"),
				rec(5, "ZoneState", "zone", "z1", "from", "Initial", "to", "FullDisruption"), rec(6, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(7, "TaintAdded", "node", "b", "taint", "node.kubernetes.io/unreachable:NoExecute")}},
		{"NoExecuteRateLimited", scenariotest.NoExecuteRateLimited,
			[]sim.Record{rec(1, "NodeRegistered", "node", "a"), rec(1, "NodeRegistered", "node", "b"), rec(6, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(15.95, "TaintAdded", "node", "b", "taint", "node.kubernetes.io/unreachable:NoExecute")},
			// the node lifecycle controller's client is limited (kubeAPIQPS 20 by default):
			// the first two taints after the zone's first node may land together, the third
			// not before one zone period after it
			[]sim.Record{rec(1, "NodeRegistered", "node", "a"), rec(1, "NodeRegistered", "node", "b"), rec(6, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(7, "TaintAdded", "node", "b", "taint", "node.kubernetes.io/unreachable:NoExecute"),
				rec(7.5, "TaintRemoved", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute"), rec(8, "TaintAdded", "node", "a", "taint", "node.kubernetes.io/unreachable:NoExecute")}},
		{"NoReRegistrationWithoutRestart", scenariotest.NoReRegistrationWithoutRestart,
			[]sim.Record{rec(1, "NodeRegistered", "node", "a"), rec(5, "NodeDeleted", "node", "a"), rec(6, "Action", "action", "restartKubelet", "target", "a"), rec(7, "NodeRegistered", "node", "a")},
			[]sim.Record{rec(12, "NodeRegistered", "node", "a"), rec(15, "NodeDeleted", "node", "a"), rec(17, "NodeRegistered", "node", "a")}},
		{"DrainsRespectPDB", scenariotest.DrainsRespectPDB,
			[]sim.Record{rec(1, "PodReady", "pod", "default/web-1", "to", "True"), rec(1, "PodReady", "pod", "default/web-2", "to", "True"), rec(2, "PodReady", "pod", "default/web-3", "to", "True"), rec(3, "PodEvicted", "pod", "default/web-1", "node", "a", "reason", "Drain")},
			[]sim.Record{rec(1, "PodReady", "pod", "default/web-1", "to", "True"), rec(1, "PodReady", "pod", "default/web-2", "to", "True"), rec(3, "PodEvicted", "pod", "default/web-1", "node", "a", "reason", "Drain")}},
		{"PodGCDeletionJustified", scenariotest.PodGCDeletionJustified,
			[]sim.Record{rec(1, "NodeRegistered", "node", "a"), rec(2, "PodReady", "pod", "default/p", "to", "True"), rec(3, "NodeDeleted", "node", "a"), rec(60, "PodEvicted", "pod", "default/p", "node", "a", "reason", "PodGC")},
			[]sim.Record{rec(1, "NodeRegistered", "node", "a"), rec(1, "NodeCondition", "node", "a", "type", "Ready", "to", "True", "reason", "KubeletReady"), rec(2, "PodReady", "pod", "default/p", "to", "True"), rec(60, "PodEvicted", "pod", "default/p", "node", "a", "reason", "PodGC")}},
	}
	require.Len(t, cases, len(scenariotest.All()), "every invariant has a broken-trace case")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.NoError(t, c.inv(result(t, c.good...)), "the well-formed trace holds")
			require.Error(t, c.inv(result(t, c.bad...)), "the hand-broken trace must fail")
		})
	}
}

// TestNoExecuteRateLimitedSwapAfterReachable: a new controller process's first pass
// removes node a's not-ready:NoExecute (markNodeAsReachable on every node it sees for
// the first time), then its visit of a swaps in unreachable:NoExecute from the listed
// copy, which still carries not-ready: no zone token. Under the client limit the two
// writes land seconds apart, so the add is not at the removal's instant. b's taint is
// then the new tainter's first (its bucket starts full), and may come at any time; a
// second taint of the queue within one zone period of the start fails.
func TestNoExecuteRateLimitedSwapAfterReachable(t *testing.T) {
	const (
		notReady = "node.kubernetes.io/not-ready:NoExecute"
		unreach  = "node.kubernetes.io/unreachable:NoExecute"
	)
	before := []sim.Record{
		rec(0, "Leader", "holder", "x"),
		rec(1, "NodeRegistered", "node", "a"), rec(1, "NodeRegistered", "node", "b"),
		rec(10, "TaintAdded", "node", "a", "taint", notReady),
		rec(60, "Leader", "holder", "x"),
		rec(63, "TaintRemoved", "node", "a", "taint", notReady), // the added nodes' markNodeAsReachable
	}
	good := append(append([]sim.Record{}, before...),
		rec(68, "TaintAdded", "node", "a", "taint", unreach), // the visit's swap
		rec(69, "TaintAdded", "node", "b", "taint", unreach), // the new tainter's first token
	)
	require.NoError(t, scenariotest.NoExecuteRateLimited(result(t, good...)))

	bad := append(append([]sim.Record{}, before...),
		rec(61, "TaintAdded", "node", "b", "taint", unreach), // the new tainter's first token
		rec(68, "TaintAdded", "node", "a", "taint", unreach), // the visit's swap
		rec(68.5, "TaintRemoved", "node", "b", "taint", unreach),
		rec(69, "TaintAdded", "node", "b", "taint", unreach), // a second token before 60 + 9.9 s
	)
	require.ErrorContains(t, scenariotest.NoExecuteRateLimited(result(t, bad...)), "NoExecute taint on b at 69s is taint 2 since 60s")

	// The process's start bounds what its listed copies can carry: a not-ready taint
	// removed before the new leader makes a's add a queue taint, counted.
	old := []sim.Record{
		rec(0, "Leader", "holder", "x"),
		rec(1, "NodeRegistered", "node", "a"), rec(1, "NodeRegistered", "node", "b"),
		rec(10, "TaintAdded", "node", "a", "taint", notReady),
		rec(50, "TaintRemoved", "node", "a", "taint", notReady),
		rec(60, "Leader", "holder", "x"),
		rec(68, "TaintAdded", "node", "a", "taint", unreach),
		rec(69, "TaintAdded", "node", "b", "taint", unreach),
	}
	require.ErrorContains(t, scenariotest.NoExecuteRateLimited(result(t, old...)), "NoExecute taint on b at 69s is taint 2 since 60s")
}

func TestGeneratorProducesValidScenarios(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := scenariotest.Scenario(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 10}).Draw(t, "scenario")
		if sc.Spec.Duration <= 0 || len(sc.Spec.Nodes) == 0 {
			t.Fatalf("bad scenario %+v", sc.Spec)
		}
	})
}

// TestCheckRunsSmallScenarios checks every invariant on small random scenarios.
func TestCheckRunsSmallScenarios(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		scenariotest.Check(t, scenariotest.GenOptions{MaxNodes: 4, MaxEvents: 3, MaxObjects: 2})
	})
}

// TestGeneratorSpreadConstraints: files drawn with SpreadConstraints load at every
// version (the loader validates the constraints as the API server does), their
// constraints reach the loaded objects, and WithoutSpreadConstraints leaves a file
// that loads and has none.
func TestGeneratorSpreadConstraints(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := scenariotest.ScenarioYAML(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 10, SpreadConstraints: true}).Draw(t, "scenario")
		count := func(text string) int {
			n := 0
			for _, o := range mustParse(t, text).Spec.Objects {
				switch {
				case o.Pod != nil:
					n += len(o.Pod.Spec.TopologySpreadConstraints)
				case o.Deployment != nil:
					n += len(o.Deployment.Spec.Template.Spec.TopologySpreadConstraints)
				}
			}
			return n
		}
		if want, got := strings.Count(text, "maxSkew:"), count(text); got != want {
			t.Fatalf("%d constraints in the file, %d loaded\n%s", want, got, text)
		}
		if n := count(scenariotest.WithoutSpreadConstraints(text)); n != 0 {
			t.Fatalf("%d constraints left", n)
		}
	})
}

// TestGeneratorPodAntiAffinity: files drawn with PodAntiAffinity (with and without
// SpreadConstraints) load at every version (the loader validates the terms as the API
// server does), their terms reach the loaded objects, and WithoutPodAntiAffinity
// leaves a file that loads and has none.
func TestGeneratorPodAntiAffinity(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spread := rapid.Bool().Draw(t, "spread")
		text := scenariotest.ScenarioYAML(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 10, PodAntiAffinity: true, SpreadConstraints: spread}).Draw(t, "scenario")
		count := func(text string) int {
			n := 0
			for _, o := range mustParse(t, text).Spec.Objects {
				a := affinityOf(o)
				if a != nil && a.PodAntiAffinity != nil {
					n += len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution)
				}
			}
			return n
		}
		if want, got := strings.Count(text, "topologyKey:")-strings.Count(text, "maxSkew:"), count(text); got != want {
			t.Fatalf("%d terms in the file, %d loaded\n%s", want, got, text)
		}
		plain := scenariotest.WithoutPodAntiAffinity(text)
		if n := count(plain); n != 0 {
			t.Fatalf("%d terms left", n)
		}
		if strings.Count(plain, "maxSkew:") != strings.Count(text, "maxSkew:") {
			t.Fatalf("spread constraints removed with the terms")
		}
	})
}

// affinityOf is the affinity of a generated bare Pod's or Deployment's pod spec
// (nil for the other kinds).
func affinityOf(o spec.Object) *corev1.Affinity {
	switch {
	case o.Pod != nil:
		return o.Pod.Spec.Affinity
	case o.Deployment != nil:
		return o.Deployment.Spec.Template.Spec.Affinity
	}
	return nil
}

// TestGeneratorPreferredPodAffinity: files drawn with PreferredPodAffinity (with
// and without the required terms) load at every version, every preferred term
// reaches the loaded objects, and some of them are anti-affinity terms and some
// affinity terms, beside required terms of the same kind.
func TestGeneratorPreferredPodAffinity(t *testing.T) {
	var affinity, anti, beside int
	rapid.Check(t, func(t *rapid.T) {
		required := rapid.Bool().Draw(t, "required")
		text := scenariotest.ScenarioYAML(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 10, PreferredPodAffinity: true,
			PodAntiAffinity: required, PodAffinity: required}).Draw(t, "scenario")
		n := 0
		for _, o := range mustParse(t, text).Spec.Objects {
			a := affinityOf(o)
			if a != nil && a.PodAntiAffinity != nil {
				n += len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
				anti += len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
				if len(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution) > 0 && len(a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) > 0 {
					beside++
				}
			}
			if a != nil && a.PodAffinity != nil {
				n += len(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
				affinity += len(a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution)
			}
		}
		if want := strings.Count(text, "podAffinityTerm:"); n != want {
			t.Fatalf("%d preferred terms in the file, %d loaded\n%s", want, n, text)
		}
	})
	if affinity == 0 || anti == 0 || beside == 0 {
		t.Fatalf("preferred affinity terms %d, anti-affinity terms %d, beside required ones %d: some kind is never drawn", affinity, anti, beside)
	}
}

// A running start restores the replicas of a template with required anti-affinity
// Pending, for the scheduler: bound at 0.01 s and not yet started, such a replica is
// Pending, so a drain at 1 s evicts it without consulting its budget (eviction.go
// canIgnorePDB), as the API server does. DrainsRespectPDB counted every restored pod
// as Ready and reported the budget broken (found by TestPropertyInvariantsAnti); a
// pod the scheduler binds is not Ready until its PodReady record.
func TestDrainsRespectPDBRestoredPending(t *testing.T) {
	const text = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: restored-pending}
spec:
  duration: 60s
  kubernetesVersion: "1.31"
  start: running
  nodes:
    - {name: node-0, zone: zone-a}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web-1, namespace: default}
      spec:
        replicas: 1
        selector: {matchLabels: {app: web-1}}
        template:
          metadata: {labels: {app: web-1}}
          spec:
            containers: [{name: app, image: nginx}]
            affinity:
              podAntiAffinity:
                requiredDuringSchedulingIgnoredDuringExecution:
                  - {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: web-1}}}
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: web-1, namespace: default}
      spec:
        minAvailable: 1
        selector: {matchLabels: {app: web-1}}
  events:
    - at: 1s
      drain: {node: node-0, timeout: 0s}
`
	sc, err := scenario.Parse("restored-pending.yaml", []byte(text))
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	evicted := 0
	for _, r := range res.Records() {
		if r.Kind == "PodEvicted" && r.Str("reason") == "Drain" {
			evicted++
		}
	}
	require.Equal(t, 1, evicted, "the Pending replica is evicted")
	require.NoError(t, scenariotest.DrainsRespectPDB(res))
}

// A Deployment of 2 scaled to 0 at once, its ReplicaSet controller's client at 0.5
// requests a second with a burst of 1: the sync under way creates the second pod at
// 4 s, after the scale-down, and the next sync deletes it (terminating from 8 s, gone
// at 38 s). The drain's retry at 11 s evicts it without consulting the budget, as the
// API server does for a pod with a deletionTimestamp (eviction.go canIgnorePDB).
// DrainsRespectPDB exempted only the pods that existed at the scale-down and reported
// the budget broken (found by TestPropertyInvariantsRateLimited). The pods tolerate
// not-ready:NoSchedule so that the node lifecycle controller, whose client has the same
// limit, does not delay their binding by removing the taint late.
func TestDrainsRespectPDBPodCreatedAfterScaleDown(t *testing.T) {
	const text = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: created-after-scale-down}
spec:
  duration: 60s
  kubernetesVersion: "1.31"
  controllerManager: {kubeAPIQPS: 0.5, kubeAPIBurst: 1}
  nodes:
    - {name: node-0}
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web-0, namespace: default}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web-0}}
        template:
          metadata: {labels: {app: web-0}}
          spec:
            containers: [{name: app, image: nginx}]
            tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoSchedule}]
    - apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata: {name: web-0, namespace: default}
      spec:
        minAvailable: 1
        selector: {matchLabels: {app: web-0}}
  events:
    - at: 0s
      scale: {deployment: default/web-0, replicas: 0}
    - at: 6s
      drain: {node: node-0, timeout: 0s}
`
	sc, err := scenario.Parse("created-after-scale-down.yaml", []byte(text))
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	var created, evicted []string
	for _, r := range res.Records() {
		switch {
		case r.Kind == "PodCreated":
			created = append(created, fmt.Sprintf("%s@%s", r.Str("pod"), r.T))
		case r.Kind == "PodEvicted" && r.Str("reason") == "Drain":
			evicted = append(evicted, fmt.Sprintf("%s@%s", r.Str("pod"), r.T))
		}
	}
	require.Len(t, created, 2, "both pods are created, the second after the scale-down")
	require.Len(t, evicted, 2, "the drain evicts both: the unstarted one at once, the terminating one on a retry")
	require.NoError(t, scenariotest.DrainsRespectPDB(res))
}

// mustParse parses a generated file, failing t with the file if it does not load.
func mustParse(t *rapid.T, text string) *scenario.Scenario {
	sc, err := scenario.Parse("generated.yaml", []byte(text))
	if err != nil {
		t.Fatalf("invalid scenario: %v\n%s", err, text)
	}
	return sc
}

// TestGeneratorPodAffinityLabelKeys: files drawn with PodAffinityLabelKeys load at
// every version (the loader validates the keys as the API server does), the keys
// reach the loaded terms, both lists are drawn, and WithoutLabelKeys leaves the
// same terms without them.
func TestGeneratorPodAffinityLabelKeys(t *testing.T) {
	var match, mismatch int
	rapid.Check(t, func(t *rapid.T) {
		text := scenariotest.ScenarioYAML(scenariotest.GenOptions{MaxNodes: 30, MaxEvents: 10, PodAffinityLabelKeys: true,
			PodAntiAffinity: rapid.Bool().Draw(t, "anti"), PodAffinity: rapid.Bool().Draw(t, "affinity"), PreferredPodAffinity: true}).Draw(t, "scenario")
		keys := func(text string) (m, mm, terms int) {
			for _, o := range mustParse(t, text).Spec.Objects {
				a := affinityOf(o)
				if a == nil {
					continue
				}
				var ts []corev1.PodAffinityTerm
				if a.PodAffinity != nil {
					ts = append(ts, a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution...)
					for _, w := range a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
						ts = append(ts, w.PodAffinityTerm)
					}
				}
				if a.PodAntiAffinity != nil {
					ts = append(ts, a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution...)
					for _, w := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
						ts = append(ts, w.PodAffinityTerm)
					}
				}
				for _, x := range ts {
					m, mm, terms = m+len(x.MatchLabelKeys), mm+len(x.MismatchLabelKeys), terms+1
				}
			}
			return m, mm, terms
		}
		m, mm, terms := keys(text)
		if m != strings.Count(text, "matchLabelKeys: [pod-template-hash]") || mm != strings.Count(text, "mismatchLabelKeys: [app]") {
			t.Fatalf("%d matchLabelKeys and %d mismatchLabelKeys loaded\n%s", m, mm, text)
		}
		match, mismatch = match+m, mismatch+mm
		pm, pmm, pterms := keys(scenariotest.WithoutLabelKeys(text))
		if pm+pmm != 0 || pterms != terms {
			t.Fatalf("without label keys: %d and %d keys left, %d terms of %d", pm, pmm, pterms, terms)
		}
	})
	if match == 0 || mismatch == 0 {
		t.Fatalf("matchLabelKeys %d, mismatchLabelKeys %d: a list is never drawn", match, mismatch)
	}
}
