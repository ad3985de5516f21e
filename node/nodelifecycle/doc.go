// Package nodelifecycle is the node lifecycle controller of kube-controller-manager
// (pkg/controller/nodelifecycle): it notices nodes whose kubelet stopped heartbeating, marks
// them Unknown, taints them, and slows or stops NoExecute tainting when a zone, or the
// whole cluster, looks disrupted.
//
// # Model
//
// A Controller reads Nodes, Leases (kube-node-lease) and Pods through informers on its own
// client and writes through that client. Start lists the cluster and runs:
//
//   - the monitor pass (monitorNodeHealth) every NodeMonitorPeriod, as a sliding loop whose
//     modelled pass takes PassDuration, first pass at Start;
//   - the NoExecute tainting tick (doNoExecuteTaintingPass) on a 100 ms grid from Start;
//   - the NoSchedule condition taints (doNoScheduleTaintingPass), event-driven from the node
//     informer.
//
// A pass classifies nodes (Event RegisteredNode / RemovingNode; a newly seen node has its
// NoExecute taints removed), then per node runs tryUpdateNodeHealth: the controller keeps its
// own probe timestamp, refreshed at the first pass that sees a changed Ready
// lastHeartbeatTime or a Lease renewTime strictly later than the one it recorded. A node is
// stale when now > probe + grace, grace being NodeMonitorGracePeriod, or
// NodeStartupGracePeriod while the Node has no Ready condition. A stale node gets Ready,
// MemoryPressure, DiskPressure and PIDPressure set to Unknown (NodeStatusUnknown "Kubelet
// stopped posting node status.", or NodeStatusNeverUpdated "Kubelet never posted node
// status." for a missing condition); the controller never writes True or False. When it
// flips Ready from True it records Event NodeNotReady and sets its pods' Ready to False
// (MarkPodsNotReady; only Ready, not ContainersReady, in v1.31.0, v1.33.0 and v1.37.2
// alike, which settles docs/upstream-semantics.md §11 Q6). The Ready status then decides NoExecute tainting
// (processTaintBaseEviction): False or Unknown swaps an existing opposite taint at once or
// queues the node in its zone's rate-limited queue; True removes the NoExecute taints.
// Up to 1.33 that decision uses the Ready condition read at the start of the pass
// (observed), from 1.34 the one after the controller's own write (current): the
// unreachable:NoExecute taint lands one pass (≈5 s) after Unknown up to 1.33 and on the
// next 100 ms tick from 1.34.
//
// Each zone (topology labels, beta labels first; "" when unlabelled) has a queue and a
// token bucket of burst 1 that starts full; QPS is a float32 as upstream, so 0.01 QPS on
// the 100 ms grid taints every 100.1 s. Zone states (ZoneState records) are computed after
// every pass from the current Ready of the nodes visited: FullDisruption when none is
// ready, PartialDisruption when more than 2 and at least UnhealthyZoneThreshold are not,
// else Normal; nodes labelled node.kubernetes.io/exclude-disruption do not count. Normal
// and FullDisruption use NodeEvictionRate; PartialDisruption uses
// SecondaryNodeEvictionRate in zones larger than LargeClusterSizeThreshold, else stops
// tainting. When every zone is FullDisruption the controller removes every NoExecute taint
// and stops tainting; when that ends every node gets a fresh grace period. A zone with no
// counted node (all excluded) is left out of that decision. After each pass upstream
// forgets it (deletes its state) only if its walk of the zone states, in Go's random
// map order, meets it before a zone that is not FullDisruption (forgetUncountedZones);
// a forgotten zone gets a new queue with a full bucket at the next pass (upstream's
// newZoneRepresentatives), a kept one keeps its queue, with the state "" (no record).
// The model keeps the zones' slots in the map's group and draws the walk's start from
// Config.Rand at each pass that has such a zone (the scenario gives one; without it,
// the first slot).
//
// With LeaseCircuitBreaker (1.37), before writing Unknown the controller GETs the live
// Lease; if its resourceVersion differs from the one it recorded, the lease cache is
// stale and every node is skipped (not counted in its zone either) until the lease
// informer has caught up with that resourceVersion. With WatchLatency > 0 this happens
// when a renewal lands within the latency before the pass.
//
// # Cost
//
// In lazy mode (Exact false) a pass visits only nodes that may need work: those whose
// Node or Lease changed since their last visit, whose Lease is not Steady, that are not
// Ready, carry a NoExecute taint, are queued or await a retry. A node whose Lease is
// Steady is treated as heartbeating continuously; when a Steady=false write arrives the
// controller sets its probe to the value exact mode would hold: the first pass after the
// written renewTime reached it (WatchLatency later, or later still when a partition of the
// controller's client held it: see Held deliveries), or, when the materialised status
// heartbeat reached it after that renewal, the pass after the pass that saw the heartbeat
// (see below). Zone
// counts are kept incrementally. Tainting ticks are scheduled only for the grid instants
// at which some zone with queued nodes has a token (a tick without a token changes
// nothing), placed one period early and moved from there as an always-running tick would
// be. Exact mode visits every node every pass. A rapid property test runs random clusters
// (≤ 30 nodes, ≤ 3 zones, random kubelet stop/start/Ready=False schedules) three ways —
// a straightforward per-pass reference transcription of upstream kept in the tests (exact
// kubelets), this controller in exact mode, and lazy mode with steady kubelets — and
// requires identical traces. A pass over 100k steady nodes costs about a microsecond and
// allocates nothing (BenchmarkMonitorPassHealthy).
//
// A visit looks nothing up by name: the informer handlers keep on each node's record the
// node version and what a visit reads of the Lease, and what a visit needs of a node
// version (its Ready condition, NoExecute taints, whether the four conditions are
// Unknown) is read once per version. A node that goes Unknown is re-queued at every
// pass while it waits in the tainting queue, as upstream does (the re-queueing decides
// the queue's order), at a cost of a few hundred nanoseconds per visit
// (BenchmarkMonitorPassPartitioned). Lazy passes skip such a node too once nothing new
// comes from its kubelet (waitingUnknown in monitor.go), when re-queueing the skipped
// nodes would change only their timestamps: the queue's live entries are exactly its
// skipped nodes, in name order (prepareWaiting checks it at each pass, and visits them
// otherwise). Where a visited node is queued among them, the nodes before it are
// re-queued first, and the rest after the pass's visits (readdWaiting, finishWaiting),
// as exact mode's visits in name order would. A zone of 3,333 nodes waiting hours at
// 0.1 node/s was 55 million visits over a day. The circuit breaker's GET of its Lease reads the
// lease informer when the pass finds nothing on its way to it and a client that gets
// answers: the API server would return that very version. Once it is
// tainted unreachable:NoExecute, counted NotReady and in its zone's tainting set with
// nothing new from its kubelet, a visit changes nothing, and lazy passes skip it
// (stuckUnknown in monitor.go) until its Node or Lease changes or it leaves the
// tainting set; under the circuit breaker they visit every such node while a Lease
// change is on its way to the cache or the client fails, when its GET would trip the
// breaker. A zone whose kubelets stay down for a day then costs its passes nothing
// once its nodes are tainted. A node whose kubelet reports NotReady with a steady Lease
// is skipped likewise once tainted not-ready:NoExecute and in its tainting set: as for
// a Ready node, a visit would only record the renewal, which leaveSteady rebuilds; and while it
// waits in the queue for that taint, as a waiting Unknown node is. Tests: TestStuckNodeTripsBreaker,
// TestStuckNodeThroughMasterDisruption and the property above, whose stopped kubelets
// leave such nodes.
//
// When a Steady=false write arrives, the record is brought to what exact mode would hold
// after the last pass L: the renewal R was recorded by the first pass that saw it (pR, if
// pR ≤ L), the status heartbeat H by ph (if ph ≤ L), and a pass that saw a new heartbeat
// but no new renewal forgot the Lease (upstream's quirk, below) so the pass after it
// recorded the Lease again. What falls after L is left to the coming passes.
//
// # Held deliveries
//
// A partition of the controller's own client (Client.SetPartitioned on it: a library
// use, which no scenario file can express) holds its watch notifications until it
// heals, so exact mode's passes see a renewal or a status heartbeat written during it
// only after the heal. The client keeps its partition history for the controller
// (Client.TrackPartitions), and leaveSteady dates each value by its delivery: the
// watch latency after its write, or after the heal of the partition the write fell in
// (Client.Released). A value the kubelet wrote for real reached the controller's
// informers when exact mode's did, and the handlers note that instant (leaseGot,
// hbGot); one a steady kubelet materialised later cannot have arrived earlier than
// exact mode's write, so the earlier of the two instants is exact mode's. That also
// orders a real write made at the very instant a partition starts, which the history
// cannot; a virtual one there counts as held, as if the fault had been scheduled
// first. Tests: TestLazyEqualsExactControllerPartitioned, and TestLazyEqualsExactWaiting,
// whose kubelets change during and right after partitions.
//
// What lazy mode cannot follow on its own is a partition during which exact mode finds
// a steady node stale because no renewal reached the controller for the grace period,
// which takes a partition longer than the grace period less the kubelet's renew
// interval (30 s with 1.31's 40 s grace period and 10 s renewals). Exact mode's passes
// then count from the node's last renewal before the partition, which a steady kubelet
// made only virtually, and fail to write Unknown, leaving the node out of its zone's
// counts; lazy mode keeps the steady node fresh and counted. A caller that partitions
// the controller's client that long first makes the steady kubelets leave steady mode
// (kubelet.Kubelet.Unsteady), as the scenario does for the kubelets a fault touches:
// their last renewals are then written before the partition, and lazy mode follows
// exact mode (tested with the package's fake kubelets).
//
// A Start after Stop is a new process, as kube-controller-manager always is (it exits
// when it loses its leader lease): the controller drops every node record, zone state
// and tainting queue, and lists afresh. A node deleted while it was stopped is one it
// never saw. Both modes start from the same empty memory, so they agree across a
// restart too (TestLazyEqualsExactControllerRestarted).
//
// # Decisions where upstream leaves room
//
//   - Order: upstream runs 8 workers over the nodes; here nodes are processed in name
//     order, as the oracle does, so which node gets which rate-limited slot is
//     reproducible. Zones are handled in key order, queue ties in insertion order.
//   - "Strictly after": a change delivered at the instant of a pass is seen by the next
//     pass, because the pass was scheduled first.
//   - A status heartbeat seen in a pass that sees no Lease renewal makes upstream forget its
//     recorded Lease (a new nodeHealthData without it), so the next pass records the Lease
//     again and refreshes the probe. This is kept.
//   - Zones with no counted node are forgotten as upstream forgets them, in a model of
//     Go's small-map order: slots filled lowest first; zones entering together enter
//     re-entering ones first (monitorNodeHealth adds the zones of known nodes before
//     those of new nodes), each group in the order of its first node by name; a walk
//     starts at a random slot. docs/upstream-semantics.md §4.8 says such zones are
//     deleted; upstream's loop stops deleting at the first zone that is not
//     FullDisruption (node_lifecycle_controller.go handleDisruption, v1.31–v1.37). Until
//     session 11 they were forgotten at every pass, which starved such a zone in a
//     cluster with other zones: its fresh queue's first entry, the node already
//     tainted, spent the token at every pass, and its other nodes were never tainted
//     (found against the oracle; TestExcludedZoneTaintsEveryNode).
//   - Events are trace records "Event" with object "node/NAME"; the per-pod NodeNotReady
//     event of MarkPodsNotReady is not recorded (PodReady records show the change).
//   - The NoSchedule pass runs synchronously in the informer handler (upstream: a work
//     queue with 8 workers, milliseconds later).
//   - Retries of a failed health update happen at once (upstream polls every 20 ms for up
//     to 100 ms).
//   - The tainting loop's first tick (at Start) precedes the first monitor pass and finds
//     every queue empty, so a node queued by the first pass is tainted at Start + 100 ms
//     (the oracle agrees). A tick due at the instant of a monitor pass runs right after the
//     pass and before the pass's own writes reach the informer (an always-running tick was
//     scheduled before them): if the pass just wrote Unknown, the tick still reads Ready
//     True, drops the entry and spends the token, and the next pass queues the node again.
//   - Before a Start a pass has never run; writes made before Start are in the informers'
//     initial list and seen by the first pass whatever WatchLatency is.
//
// # Not modelled: the client's rate limit
//
// The controller's writes take effect at once. Upstream they go through the
// node-controller clientset, limited to --kube-api-qps (20) after a burst of
// --kube-api-burst (30), and its Events through the same clientset (package
// flowcontrol models both, and the taint eviction controller uses them). For each
// node a pass marks Unknown upstream spends a token on UpdateStatus (and in 1.37 one
// on the circuit breaker's Lease GET, at every pass that finds a node stale, Unknown
// already or not), one on the NodeNotReady Event
// (RecordNodeStatusChange), and for each of the node's pods two, its UpdateStatus and
// its NodeNotReady Event (MarkPodsNotReady, pkg/controller/util/node/controller_utils.go,
// v1.31.0–v1.37.2); the NoSchedule taint that follows is a GET and a PATCH
// (SwapNodeControllerTaint → AddOrUpdateTaintOnNode, pkg/controller/controller_utils.go),
// as is each NoExecute taint and untaint. A zone of 300 nodes with 10 pods each is
// about 7,200 requests, some 6 minutes at 20 a second; the pass's 8 workers wait for
// them (workqueue.ParallelizeUntil), and the next pass starts NodeMonitorPeriod after
// the slow one ends. nodesim marks such a zone within one grace period. Within the
// burst the two agree. Modelling it needs passes that run over time (each node
// visited when a worker is free, the Lease and the clock read then), which lazy mode
// must follow exactly; docs/proposals/node-controller-rate-limit.md says how.
//
// # Upstream files followed
//
//   - pkg/controller/nodelifecycle/node_lifecycle_controller.go (monitorNodeHealth,
//     tryUpdateNodeHealth, processTaintBaseEviction, handleDisruption,
//     doNoScheduleTaintingPass, doNoExecuteTaintingPass, processPod, ComputeZoneState)
//   - pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go
//   - pkg/controller/util/node/controller_utils.go (MarkPodsNotReady,
//     SwapNodeControllerTaint, RecordNodeStatusChange)
//   - pkg/controller/controller_utils.go (AddOrUpdateTaintOnNode, RemoveTaintOffNode)
//   - staging/src/k8s.io/client-go/util/flowcontrol/throttle.go and golang.org/x/time/rate
//   - staging/src/k8s.io/component-helpers/node/topology/helpers.go (GetZoneKey)
//   - pkg/controller/nodelifecycle/config/v1alpha1/defaults.go (defaults per version)
package nodelifecycle
