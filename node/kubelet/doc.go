// Package kubelet is nodesim's kubelet: one per node, built with New from the API server,
// the node name and a KubeletConfiguration-shaped Config. It talks to the cluster only
// through its own client (Client; partition it to cut the node off) and informers.
//
// # Model
//
// Start is a new kubelet process (kubelet Run): the status loop, fastStatusUpdateOnce,
// the node-lease controller (package lease) and the first container runtime check start
// at that instant. Stop and Crash end the process (no more requests; containers keep
// running); Restart is Stop then Start; PowerOff also stops the containers; PowerOn
// starts everything again. Start on a machine that is powered off does nothing. A
// restarted process has forgotten everything: it registers
// again, its first status sync always PATCHes, and its lease controller has no cached
// Lease.
//
// Registration (registerWithAPIServer) runs inside the first status sync and blocks it:
// sleep 100 ms, attempt, doubling the sleep up to 7 s, forever. An attempt POSTs the
// initial Node (default labels hostname/os/arch and their beta twins, topology labels from
// Zone/Region, --node-labels, the attach/detach annotation, RegisterWithTaints, the
// unschedulable taint if RegisterSchedulable is false, and a full status). AlreadyExists
// means GET and reconcile the default labels and the annotation only (taints,
// unschedulable and custom labels of an existing Node are left alone). Once registered, a
// process never registers again: a Node deleted under a running kubelet stays deleted.
//
// The status loop is wait.JitterUntil(syncNodeStatus, nodeStatusUpdateFrequency, 0.04,
// sliding): waits of 10–10.4 s drawn at the start of each sync from the node's own
// stream. Each sync makes up to nodeStatusUpdateRetry (5) tries, back to back: try 0
// reads the Node from the kubelet's Node informer, later tries GET it. The status is
// computed by the setters (MemoryPressure, DiskPressure, PIDPressure, Ready, and
// NetworkUnavailable only once set): heartbeat = now, transition time kept while the
// status is unchanged, upstream's reasons and messages (KubeletReady "kubelet is posting
// ready status", KubeletNotReady with the aggregated errors, KubeletHasSufficientMemory,
// …). It is PATCHed if anything but the heartbeat changed, on the process's first sync,
// or when nodeStatusReportFrequency (5 m) has passed since the last report. A failed try
// logs "Error updating node status, will retry" (tries ≥ 1 also call
// onRepeatedHeartbeatFailure); after five, "Unable to update node status". Each request
// takes the client's latency, or its 10 s timeout when partitioned (min of
// nodeStatusUpdateFrequency and the lease duration, as the heartbeat client), and the
// next step is placed after it.
//
// fastStatusUpdateOnce polls every 100 ms from start: as soon as the locally computed
// status turns Ready while the Node it sees is not, it PATCHes at once ("Fast updating
// node status as it just became ready"); it gives up after nodeReadyGracePeriod (120 s).
//
// Pods: a field-selected informer on spec.nodeName. A pod seen by a running kubelet runs
// PodStartDelay (1 s) later (PATCH phase Running, Initialized, ContainersReady and Ready —
// False until pod.ReadinessDelay has passed, then True). A pod with a deletion timestamp
// is killed when the kubelet learns of it, with the pod's deletionGracePeriodSeconds
// (the pod worker's kill; running containers take all of it in this model, a pod whose
// containers do not run — after a power-off, or not started yet — has nothing to stop),
// and the kubelet then sends the final DELETE (grace 0) — only while it runs and
// reaches the API server, so on a dead or partitioned node the pod stays Terminating,
// and a kubelet cut off or stopped when the pod was deleted kills it a grace period
// after the heal or its start, not at the deletion timestamp. A second DELETE with a
// shorter grace period shortens the kill (calculateEffectiveGracePeriod). The status manager puts the API in line with the running
// containers: pods the node lifecycle controller marked Ready=False become Ready again.
// When the kubelet's process already holds the pod's status in its cache (it generated
// one, even if its write failed, or adopted it in a running start), seeing the changed
// pod changes nothing there, so nothing is sent then: the status manager's periodic
// batch, every 10 s (syncPeriod) from the kubelet's start, finds the API disagreeing
// and patches it
// (pkg/kubelet/status/status_manager.go: updateStatusInternal ignores a status equal to
// the cached one; syncBatch(all) reconciles on its ticker). So after a partition heals,
// the pods are Ready again 0–10 s after the held watch events arrive, at the kubelet's
// tick. A restarted kubelet has an empty cache and writes at its first sync of each pod
// (the informer's initial list). Whatever the kubelet generates goes into its cache,
// even when the write fails (upstream caches before it writes); a failed write is
// retried at the next tick (upstream also retries when another pod's status changes on
// the node, which is not modelled). After PowerOn the containers start again; until
// they run (PodStartDelay), the first sync of each pod the API still shows Ready from
// before the power-off writes ContainersReady and Ready False (no container runs, and
// the status manager's cache died with the process), as upstream's first
// generateAPIPodStatus after a reboot does. A kubelet restart leaves the containers
// running, and their pods' status alone.
//
// Readiness probes: a pod turns Ready its first probe's initial delay after its
// containers start (ReadinessDelay). Across a kubelet restart, up to 1.34 the new
// process has no probe result: its first status for a probed pod says not Ready, and
// each probe worker first waits a random part of its period (prober/worker.go run;
// prober_manager.go UpdatePodStatus), so the pod is Ready again U[0, periodSeconds)
// after the restart, drawn from the node's own stream (the longest period of the
// pod's probes, one draw per pod). From 1.35 (ChangeContainerStatusOnKubeletRestart
// off by default) a running container stays Ready (setReadyStateOnKubeletRestart) if
// it started at least 10 s before the restart and the API holds its pod Ready; a pod
// the node lifecycle controller marked NotReady while the kubelet was down, or one
// started within those 10 s, waits for its first probe as up to 1.34. Probe failures
// and periodic probing are not modelled.
//
// Admission: the kubelet admits a pod once, when it first sees it; the only admit
// handler modelled is the shutdown manager's (below). Not modelled: the predicate
// admit handler (lifecycle/predicate.go generalFilter), which rejects a pod bound
// with spec.nodeName that does not fit the node (OutOfcpu, OutOfmemory, OutOfpods),
// whose node selector or affinity does not match, or that does not tolerate a
// NoExecute taint: in nodesim such a pod runs. Pods the scheduler binds fit.
//
// Not modelled: a kubelet started while its node is partitioned gets its informers'
// initial lists at once, where upstream's reflector LIST fails until the heal and then
// returns only the current objects; the model delivers the held intermediate versions.
// Since the kubelet's cache holds its statuses by then, it writes only what the
// current version needs at its tick; the difference shows in its failing requests.
//
// Injected causes (SetCondition) stand for what the kubelet itself would detect: runtime
// down (Ready False, "container runtime is down"), network not ready, pressure
// conditions. They are posted at the next status sync.
//
// Graceful node shutdown (Shutdown, §8 of the reference): the "node is shutting down"
// error turns Ready False and a status sync runs at once; admission rejects pods new to
// the kubelet (phase Failed, reason NodeShutdown, message "Pod was rejected: Pod was
// rejected as the node is shutting down."); the pods admitted before are killed by
// priority group, lowest first, each with min(group period, terminationGracePeriodSeconds)
// — a pod already terminating too, if that is sooner than its deletion's end
// (calculateEffectiveGracePeriod) — the legacy settings make
// two groups, non-critical pods with shutdownGracePeriod − shutdownGracePeriodCriticalPods
// and pods at or above system-cluster-critical with shutdownGracePeriodCriticalPods. Each
// pod is recorded PodEvicted (reason NodeShutdown) when its kill starts and ends phase
// Failed, reason Terminated, with DisruptionTarget (TerminationByKubelet). In this model a
// pod takes its whole grace period to stop, so a group lasts its longest pod grace. Then
// the machine goes down (PowerOff). With no grace period configured the shutdown is
// immediate: PowerOff at once. So it is when the kubelet is not running (no process
// holds systemd-logind's inhibitor lock), and a kubelet stopped or restarted during a
// shutdown releases the lock: the machine goes down then, with the pods not yet
// killed as they are in the API (nodeshutdown_manager_linux.go, v1.31.0–v1.37.2).
//
// # Log lines
//
// The kubelet's log lines are quiet KubeletLog records (node, line) in klog's text
// format, for example:
//
//	I1102 09:04:12.877102     214 kubelet_node_status.go:72] "Attempting to register node" node="test-worker"
//
// The date and time come from the engine's wall clock (Engine.Wall), the thread id is a
// fixed number per node drawn from its stream, and file:line name the upstream log call.
// Line numbers follow release v1.34 as far as they could be checked
// (kubelet_node_status.go:72 and :75 for the registration pair); the others are close
// approximations and are kept in one table (klog.go) so they can be corrected in one place.
//
// # Lazy steady mode
//
// As docs/ARCHITECTURE.md specifies: unless Exact is set (or the trace is verbose), a
// kubelet that runs, is registered, reachable, past its start-up work, whose last status
// sync succeeded, whose computed status equals the stored one and whose pods have no
// work pending, writes its next Lease renewal with Steady = true and then schedules
// nothing: its renewals and status syncs continue virtually on the schedule exact mode
// would follow. Unsteady walks both schedules to now, taking the same jitter as exact
// mode would (both loops' waits come from a sim.JitterCycle, repeating every 64 runs, so
// whole cycles of renewals and of status reports are skipped: a kubelet steady for 30
// days costs no more to wake than one steady for an hour), writes the Node status with the last virtual report's
// lastHeartbeatTime (if newer) and the Lease with the last virtual renewTime and Steady =
// false, and resumes both loops. Virtual runs due exactly now are left to the resumed
// loops, so they follow whatever fault the caller applies next, as in exact mode, where
// the fault event was scheduled before the loop's timer. Stop, Crash, PowerOff,
// SetCondition and Shutdown call Unsteady themselves; the scenario calls it before a
// partition, an outage, a Node deletion or an operator's write to the Node (cordon,
// uncordon, drain, taint: one that may put its NoSchedule taints out of line). A write
// by someone else that changes the Node's conditions (or capacity) away from what the
// kubelet would report, as the node lifecycle controller's Unknown does when it lands
// after the kubelet came back and went steady, brings the kubelet out of steady mode
// when its informer delivers it (onNode, re-checking what canBeSteady checked): exact
// mode's next status sync sees the difference and PATCHes, and Unsteady resumes the
// status loop at that sync's instant, the syncs before it (which read the older copy)
// walked virtually. Writes that change no condition (taints, labels) leave it steady:
// a status sync does not look at them. Pods do
// not prevent steady mode: pod work is event-driven and needs no loop. A kubelet whose
// status reports come less than two renew intervals apart never takes the shortcut (see
// lazy in steady.go). With jitter
// off (a test setting), the steady status loop keeps its timer and runs each virtual
// sync as an event that writes nothing: the syncs of nodes in phase then fall on the
// same instants, where the engine's order is the order in which they were scheduled,
// inherited from sync to sync, and only a timer that was never rescheduled keeps
// exact mode's place among them (see ticks in steady.go).
//
// With TaintNodesByCondition (a cluster: the scenario sets it), the node lifecycle
// controller's NoSchedule worker brings every updated Node's NoSchedule taints in line
// with its conditions and spec, and retries a failed swap only at the next Node update,
// which may be this kubelet's own status report. A kubelet may go steady while its
// Node's taints are out of line (a fleet booting at once: the worker, its client rate
// limited, removes the not-ready taints at two requests a node, 20 a second), as its
// reports change nothing the worker does until a swap fails. The controller calls
// SwapFailed then (nodelifecycle.Kubelets, wired by the scenario): the kubelet leaves
// steady mode, tells the controller when it last reported virtually (a report made while
// the worker held the node queues it again), and stays out of steady mode until its
// taints are in line, so that its next report queues the node as exact mode's does.
//
// # Behind a partition or an outage
//
// A kubelet cut off from the API server, in lazy mode (jitter on), stops scheduling its
// status loop once a sync has ended behind the fault, either sending nothing (no
// report due yet) or after its five tries failed: later syncs would do the same until
// what the client meets changes, and show nothing. Whether each later sync's try 0
// finds a change (and so draws a report delay and PATCHes at once) is fixed when the
// loop goes behind, from the Node its informer holds, which cannot change while the
// watch is held with nothing in flight (or, in an outage, while nobody can write). The
// client's BeforeChange hook and Unsteady replay the syncs (behind.go) and the lease
// controller's backoff (lease.Controller.CatchUp), so a heal, an outage, a stop or an
// injected condition finds both loops where exact mode has them. Unless the syncs draw
// report delays, the replay walks the status jitter cycle (walkBehind) and costs the
// same for a fault of days as for one of minutes.
//
// # Starting out running
//
// For a cluster that starts out running (scenario spec.start: running), RestoreNode
// puts in the store the Node (Ready since creation, no not-ready taint, last report
// within nodeStatusReportFrequency) and the Lease (last renewal within the renew
// interval) that a kubelet running for a while leaves, with phases drawn from the
// node's stream "kubelet/NODE/running", and returns the Resume point. Adopt starts a
// kubelet there, now or later: steady from the start in lazy mode, loops due at their
// phases in exact mode; the traces agree (TestExactLazyEquivalenceRunningStart). A
// world may build the kubelet only when something first concerns its node: Adopt then
// rewinds its informers to before the change that caused it, so the change arrives
// through its own watch as it would have.
//
// The Lease goes in through apiserver.Server.RestoreNodeLease. In lazy mode it is
// steady, so its renewals are virtual and nobody needs the object until something reads
// it: the store keeps a 40-byte record in its place (the Lease and its owner reference
// took 224 bytes per node of a 100k-node start) and builds it at the first read —
// Adopt's Peek, a GET, a write, the garbage collector of a deleted Node — with the UID
// and resourceVersion it took at the restore, so nothing else can tell. The node
// lifecycle controller's initial list reads the record without building
// (apiserver.EachLeaseSummary), so a run builds only the Leases of the nodes something
// concerns: a kubelet built (Adopt: a fault, a cordon or drain, a pod bound to its
// node), a stale node's circuit-breaker GET, a deleted Node's garbage collection. Exact mode's Lease (not steady) is stored built,
// which is what the lazy = exact tests and trace comparisons check the built Lease
// against (TestRestoredLeaseLazyEqualsExact).
//
// # Decisions where upstream was open or not modelled
//
//   - Q1 (1.34+ report offset): after a status change, and after the first sync of a
//     process, delayAfterNodeStatusChange is drawn uniformly in [−0.5, 0.5) ×
//     nodeStatusReportFrequency; the next no-change PATCH is due at lastReport +
//     frequency + delay; a no-change report resets the delay to 0 before its PATCH is
//     sent (so a report that fails behind a partition uses the offset up too), and a
//     sync at any try that finds nothing changed and no report due sends nothing
//     (v1.37.2 tryUpdateNodeStatus), so later reports are plain 5 m apart. Version < 34
//     draws nothing. The reference's version table (§0a, read from released modules)
//     puts the first release with the offset at 1.34, as do CHANGELOG-1.34 (PR #130919)
//     and v1.33.0's tryUpdateNodeStatus, which has none; its §0 table and §2.3 say 1.33,
//     which a review (session 15) found wrong.
//   - "Error updating node status, will retry" once after a restart that re-registers: the
//     first try of the first status sync reads the kubelet's Node informer, which has not
//     yet seen the Node the kubelet created a moment before (its watch event is delivered
//     as a later event), so try 0 fails NotFound and try 1 (a GET) succeeds. A fresh
//     kubelet shows the same line, as real ones do. A restart with the Node still present
//     finds it in the informer's initial list and logs nothing.
//   - Runtime check: on a machine that has just started (the first Start, PowerOn),
//     the container runtime is not up yet, and the first runtime status check succeeds
//     RuntimeCheckDelay (default 1 s) after start. Registration at 0.1 s therefore
//     creates the Node with Ready=False "[container runtime status check may not have
//     completed yet, network state unknown]" (the runtime state's initial network
//     error stays until that check), and fastStatusUpdateOnce posts Ready=True at about 1 s: a fresh
//     node is NotReady for its first second, as a real one is until its runtime (and
//     network plugin) report ready. A new kubelet process on a machine whose runtime
//     runs (a restart, a start after a stop) finds it up at once: upstream's Run calls
//     updateRuntimeUp before it starts the status loop, so that a restarted kubelet
//     does not report its node NotReady in its first report (pkg/kubelet/kubelet.go
//     Run, v1.31.0–v1.37.2). Until session 12 every start waited RuntimeCheckDelay,
//     and a restart reported Ready=False for about 10 s, which could taint the node
//     not-ready:NoExecute and evict pods (TestKubeletRestartKeepsNodeReady).
//     docs/upstream-semantics.md §2.5 and §4.9 say a just-started kubelet "often" posts
//     Ready=False first, "e.g. runtime not yet synced after restart"; the code shows
//     that this needs a runtime that is not up yet, which here is a machine's start.
//     The oracle's kubelet posts Ready=True at a restart, and nodesim now agrees with
//     it there (a restart no longer evicts a pod that tolerates not-ready for 0 s).
//   - Pod start: PodStartDelay (default 1 s) stands for sandbox and container start.
//   - The main sync loop (kubelet.go syncLoop, v1.31.0–v1.37.2) skips pod
//     synchronization until the container runtime's first status check succeeds,
//     checking at once and then after sleeps of 100 ms doubling to 5 s. After a cold
//     start (a boot, PowerOn), with the runtime up at RuntimeCheckDelay (1 s), pods
//     are first synced at 1.5 s: started, written not Ready (PowerOn) or, when
//     Terminating, deleted then. A restarted kubelet finds the runtime up and syncs at
//     once. Until session 13 pods were synced at the kubelet's start, 1.5 s early
//     (found by a review of the scenario actions).
//   - onRepeatedHeartbeatFailure closes connections upstream; there are none to close here.
//   - A failed fast status PATCH (fastStatusUpdateOnce) logs "will retry with
//     syncNodeStatus", but the retry is the loop's next sync; upstream calls
//     syncNodeStatus at once (fastNodeStatusUpdate, v1.31.0–v1.37.2). Likewise the
//     shutdown manager's immediate sync is skipped when a sync is under way, where
//     upstream's waits for it and then runs. Both differ only while requests fail or
//     take time (a partition, an outage).
//   - Requests take effect at the instant they are made; a partitioned request fails after
//     the client timeout and the kubelet's next step follows then.
//   - The shutdown manager's Event (reason NodeShutdown, "Shutdown manager detected
//     shutdown event") is not traced; its log line is (kubelet/<node> log records).
//
// # Upstream files followed
//
//   - pkg/kubelet/kubelet_node_status.go (registerWithAPIServer, tryRegisterWithAPIServer,
//     reconcile of default labels, syncNodeStatus, updateNodeStatus, tryUpdateNodeStatus,
//     fastStatusUpdateOnce / fastNodeStatusUpdate)
//   - pkg/kubelet/nodestatus/setters.go (ReadyCondition, MemoryPressureCondition,
//     DiskPressureCondition, PIDPressureCondition)
//   - pkg/kubelet/kubelet.go (Run: the loops; nodeStatusUpdateRetry, nodeReadyGracePeriod,
//     the heartbeat client and the node lease controller)
//   - pkg/kubelet/runtime.go (runtime and network errors)
//   - pkg/kubelet/apis/config/v1beta1/defaults.go (defaults)
//   - pkg/kubelet/nodeshutdown/nodeshutdown_manager_linux.go (graceful shutdown)
//   - pkg/kubelet/status/status_manager.go (pod status sync, final delete)
//   - staging/src/k8s.io/component-helpers/apimachinery/lease/controller.go, through
//     package lease
package kubelet
