// Package scenario runs what-if scenarios: it builds a simulated cluster from a
// scenario file (or the Go Builder), schedules the scenario's actions, runs the
// engine, and judges the expectations against the trace.
//
// # The contract
//
// The file format, the actions, the expectations, the JSONL trace and the CLI follow
// the project's public contract (docs/SCENARIOS.md): loading is strict (scenario/spec), and
// nothing runs on a file that does not validate. Load and Parse read files; New
// builds the same thing in Go (Builder writes the YAML and loads it with the same
// validation, so a built scenario can be saved and rerun with `nodesim run`).
//
// # The world
//
// Build makes one World: a sim.Engine seeded from spec.seed, the API server
// (apiserver), one kubelet per node (node/kubelet), kube-controller-manager as
// leader-elected instances (lease/leaderelection) that run, on each acquisition and
// with empty memory, the node lifecycle controller (node/nodelifecycle), the taint
// eviction controller and pod GC (eviction), and the ReplicaSet, Deployment,
// DaemonSet and disruption controllers (workload); kube-scheduler (workload); and an
// observer that records workload availability (WorkloadReady records).
//
// Virtual time zero is when the objects of spec.objects are applied and the machines
// boot: each kubelet starts at a random instant in its first status period (its own
// seeded stream), so heartbeat phases are spread as on a real cluster; nodes register
// in the first seconds. An action on the kubelet process or the machine (stopKubelet,
// startKubelet, restartKubelet, powerOff, powerOn, shutdown) that comes before a
// node's boot instant decides its state: the boot no longer starts that kubelet.
// Actions at an instant run in file order after everything already due at that
// instant.
//
// # Starting out running
//
// With spec.start: running (an extension of the contract; default booting) the
// cluster at time zero is one that has been running for an hour: every Node exists,
// Ready, without the not-ready taint, its Lease renewed within the last renew
// interval and its last status report within nodeStatusReportFrequency (phases drawn
// per node, see node/kubelet); the workloads' ReplicaSets and pods exist as their
// controllers and the scheduler leave them, running and Ready (workload.Settle); bare
// pods bound to a node run there; PodDisruptionBudgets are computed by the
// disruption controller at its start. Nothing of that past is traced, and pods
// without a node are applied at time zero as in a booting cluster. The controllers
// start with empty memory, as after a kube-controller-manager restart: the node
// lifecycle controller registers every node in its first pass ("Registered Node …
// in Controller") and, seeing a current Ready condition, applies the monitor grace
// period rather than the startup one. This is the starting point of upstream's own
// controller tests and of the oracle (nodes created an hour earlier), and it costs a
// fraction of a simulated boot: use it for large fleets and for questions that are not
// about the boot.
//
// Actions map to the components' own fault points: stopKubelet stops the kubelet
// process (containers keep running); powerOff also stops the containers; partition
// makes the kubelet's requests time out after its 10 s client timeout and freezes
// its watches; apiServerOutage makes every request fail at once (kube-controller-manager
// then loses its lease after renewDeadline, exits and restarts); deleteNode, cordon,
// uncordon, taint, untaint and scale are kubectl's requests; drain is kubectl drain
// through the eviction API; failoverControllerManager kills the leader without
// releasing its lease.
//
// # Cost grows with change
//
// By default healthy kubelets run in the lazy steady state (docs/ARCHITECTURE.md):
// their renewals and status reports continue virtually, and the node lifecycle
// controller does not visit them, until an action touches them. RunOptions.Exact
// materialises every renewal and pass; the trace is the same (tested), and Verbose
// implies Exact because renewals must exist to be traced. A kubelet whose renewals
// can come further apart than the controller's grace period allows (nodes that flap
// between Ready and Unknown, as upstream's do with such settings) never goes steady.
//
// # Results
//
// Run returns a Result: the trace (Result.Trace; All walks its records in order,
// Records joins them into one slice, which for a long run copies them all), the
// expectations' verdicts, and the
// world at the end for kubectl-style tables (WriteNodes, WritePods), the effective
// KubeletConfiguration (Configz), the HTML report (WriteHTML), and a digest for
// determinism checks. ExpandSweep, RunSweepOne and Measure implement `nodesim sweep`.
package scenario
