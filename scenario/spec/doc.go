// Package spec turns a nodesim scenario file into a validated, defaulted Go value.
//
// It is the pure "file → [Scenario]" layer of nodesim: it knows the file format
// (docs/SCENARIOS.md, the project's public contract, "A scenario file"), the Kubernetes defaults of every
// supported version, and the validation rules of the components it models, and
// nothing of the simulation engine but what the engine would refuse: the condition
// types and statuses a setCondition may inject are node/kubelet's
// (SettableConditionTypes, SettableConditionStatuses), so that a file the run would
// refuse does not validate. A later step turns a [Spec] into a running world.
//
//	s, err := spec.Load("kubelet-stops.yaml")
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // every problem, one per line, sorted by line
//		os.Exit(2)
//	}
//	run(s.Spec)
//
// # What a Spec holds
//
// Every value a run needs, with nothing left to default: the seed and duration, the
// kube-controller-manager, kube-apiserver and kubelet settings of the chosen
// kubernetesVersion ([Profile] gives the upstream defaults of 1.31 … 1.37) overlaid
// with the file's, the nodes (count forms expanded, each with its effective
// KubeletConfiguration: spec.kubelet merged field by field with the entry's own
// kubelet:, then defaulted as the kubelet defaults it), the objects as k8s.io/api
// values, the events (one [Event] struct for every [Action]; each action uses the
// fields its constant names), the expectations and the sweep. One field extends the
// contract: spec.start, "booting" (default: the machines boot at time zero) or "running"
// (the cluster has been up for a while; see [StartRunning]).
//
// # Strictness
//
// Loading never stops at the first problem: it reports all of them as an
// [ErrorList] of [FieldError], each rendered as
//
//	FILE:LINE: FIELD.PATH: what is wrong; allowed: what would be accepted
//
// and returns no Scenario. Rejected: malformed YAML, more than one document, duplicate
// keys, alias cycles and alias bombs; unknown fields anywhere, Kubernetes manifests
// included (decoded like `kubectl apply --validate=strict`: case-sensitive field
// names, no coercion of numbers to strings, every unknown field reported at its line
// with the fields the type has); wrong types; negative durations and durations
// beyond Go's (about 292 years), a missing or zero duration, events and expectations
// after its end (a sweep cell whose varied value puts one there is reported at that
// value); negative counts; unknown or
// duplicate nodes, zones, objects; zero or two actions in one event; zero or two
// subjects, modes or predicates in one expectation; unsupported kubernetesVersion;
// malformed taints and tolerations; a setCondition type or status the kubelet does
// not report (Unknown is the node lifecycle controller's); unsupported kinds and
// fields (below).
//
// Values upstream accepts are accepted, with upstream's meaning: a zero
// nodeLeaseDurationSeconds or maxPods means the default, negative toleration seconds
// evict at once, a non-positive eviction rate never evicts, a leaseDuration with a
// fraction of a second runs as its whole seconds (client-go writes
// int(LeaseDuration / time.Second) into the Lease, and every candidate times the
// lock by that), Lt/Gt tolerations are
// valid from 1.35 with the TaintTolerationComparisonOperators feature gate on
// (spec.featureGates; alpha, off by default, as upstream) when their value is a
// canonical integer. The cross-field rules of
// the kubelet (pkg/kubelet/apis/config/validation), of leader election (client-go's
// NewLeaderElector) and of the API server (pkg/apis/core/validation: names, labels,
// tolerations, selectors matching templates, PodDisruptionBudget values) are applied
// as upstream applies them. Where a stricter rule exists it is the format's own:
// no negative duration anywhere (upstream leaves some unchecked), a positive
// nodeMonitorPeriod (a zero period would never let time advance), a leaseDuration
// from 1s (kube-controller-manager takes less, but writes a Lease of 0 seconds, which
// the API server rejects, so that no instance ever leads: not modelled), at most
// 1,000,000 nodes, seed counts up to 1,000,000, 1000 values per varied path,
// aliases expanding to at most 100,000 more nodes.
//
// # Objects
//
// spec.objects takes Pod (v1), Deployment, ReplicaSet, DaemonSet (apps/v1) and
// PodDisruptionBudget (policy/v1). Metadata is defaulted (namespace "default",
// replicas 1) and server-set fields (uid, creationTimestamp, status, …) are dropped.
// Enum-valued fields take the values the API server accepts (restartPolicy,
// dnsPolicy, with None a dnsConfig with a nameserver, preemptionPolicy, os.name,
// hostPath type, a container's imagePullPolicy, terminationMessagePolicy, port
// protocol and httpGet scheme, a Deployment's strategy and a DaemonSet's
// updateStrategy with their rollingUpdate values, a PodDisruptionBudget's
// unhealthyPodEvictionPolicy); an empty one is what upstream's defaulting fills in.
// Fields behind a feature gate are not checked (with the gate off the API server
// drops them unchecked).
//
// A Pod or pod template without containers is accepted, and requests nothing; it is
// created, scheduled, started, Ready and evicted like any other (the engine does not
// model containers one by one). Upstream's API server requires at least one
// (pkg/apis/core/validation validateContainers: spec.containers: Required value);
// nodesim accepts none because the contract's own example scenario (the first of
// docs/SCENARIOS.md) has a Deployment whose pod template has none, and the contract
// must load. A container still needs a name and an image.
//
// A manifest is checked as far as it decodes: a value that does not decode (a wrong
// type, a malformed quantity; an unknown or duplicate field puts its whole mapping in
// doubt) is reported, and every check that involves it (the field, what contains it,
// what it contains, and cross-field checks such as a selector against the template's
// labels) is left out, since its zero stand-in would only make up problems; the
// other checks report the rest.
//
// Fields that would change what happens to pods in ways nodesim does not model are
// rejected rather than silently ignored: matchExpressions in a workload's or budget's
// selector, in a DaemonSet's template the keys controller-revision-hash and
// pod-template-generation in a pod (anti-)affinity term's matchLabelKeys or
// mismatchLabelKeys (upstream's DaemonSet controller adds those labels, nodesim's
// does not), schedulingGates, readinessGates,
// resourceClaims, overhead, runtimeClassName, activeDeadlineSeconds,
// ephemeralContainers, pod-level resources, a schedulerName other than
// default-scheduler, persistentVolumeClaim and ephemeral volumes, a
// priorityClassName other than the built-in system ones, ownerReferences,
// finalizers, generateName, and a bare Pod (or ReplicaSet) that a ReplicaSet or
// DaemonSet (or Deployment) would adopt. Everything else is accepted and left to
// the engine: nodeName, nodeSelector, required and preferred node affinity,
// topologySpreadConstraints (validated as the API server does: maxSkew > 0, a
// topologyKey, whenUnsatisfiable, minDomains with DoNotSchedule only, the inclusion
// policies, matchLabelKeys against the labelSelector, one constraint per key and
// whenUnsatisfiable), required pod affinity and anti-affinity (validated as the API server's
// validatePodAffinityTerm: the selectors, namespace names, a topologyKey that is a
// label key, matchLabelKeys and mismatchLabelKeys on the selector as merged with the
// labels of the pods, labelkeys.go), preferred pod affinity and anti-affinity (validateWeightedPodAffinityTerms:
// a weight from 1 to 100, the podAffinityTerm as a required term), tolerations,
// priority, terminationGracePeriodSeconds, hostNetwork, container resources; and
// cosmetic fields (images, ports, env, probes, volumes without storage, Deployment
// strategy and progressDeadlineSeconds, a DaemonSet's minReadySeconds, annotations);
// minReadySeconds of a Deployment or ReplicaSet is modelled (validated ≥ 0, and a
// Deployment's below its progressDeadlineSeconds, 600 when unset). Default tolerations are not added here:
// that is the simulated API server's DefaultTolerationSeconds admission.
//
// # References
//
// Nodes are named by events, expectations and pods' nodeName; any node declared in
// spec.nodes or by an addNodes event anywhere in the file may be named (the engine
// decides what naming a node that does not exist yet does). A zone must be the zone
// of a declared node. A pod expectation names a bare Pod of spec.objects exactly, or
// a pod a Deployment, ReplicaSet or DaemonSet creates: its name must then start with
// the workload's name and "-" (pod names come from the trace, as in
// default/web-5d4f8b7c9-x7k2p). Deployments and scale targets must exist.
//
// # Sweeps and With
//
// [Scenario.With] returns a copy of the scenario with one field set by its path
// ([Paths]: seed, duration, kubernetesVersion, start, featureGates.*, and every field
// of controllerManager, apiServer and kubelet), validated as if the file had said
// so: it re-reads the file with the value put in place, so a changed
// kubernetesVersion re-picks the defaults the file leaves unset, and a changed
// kubelet field reaches every node that does not override it. sweep.vary lists such
// paths in file order, each with a list of values; each item is one setting, a
// scalar (50s, 300, true) or a list or mapping (registerWithTaints: [[],
// [a=b:NoSchedule]]), kept as flow-style YAML. Every value is checked when the file
// loads, and a bad one is reported at its own line. The entries of nodes, objects,
// events and expect have no paths.
package spec
