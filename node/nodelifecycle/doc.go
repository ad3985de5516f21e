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
// Every request goes through the controller's own client, limited by Config.RateLimit
// (kube-controller-manager's --kube-api-qps and --kube-api-burst), and its Events through
// an event writer on that client: see "The client's rate limit" below.
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
// node version and what a visit reads of the Lease (its resourceVersion, renewTime and
// Steady, not the object: Start's list takes them from apiserver.EachLeaseSummary, so
// that the Leases a running start restored deferred stay unbuilt through a healthy run,
// and the circuit breaker compares its GET's resourceVersion, which names a version
// since stored versions never change; TestBreakerWithDeferredLeases), and what a
// visit needs of a node version (its Ready condition, NoExecute taints, whether the
// four conditions are Unknown) is read once per version. A node that goes Unknown is re-queued at every
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
//   - Order: upstream's 8 workers take the listed nodes in list order; here the list is
//     in name order (the oracle's too), and workers that ask for tokens at the same
//     instant ask in index order, so which node gets which rate-limited slot is
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
//   - Events are trace records "Event" with object "node/NAME", recorded when emitted;
//     the per-pod NodeNotReady event of MarkPodsNotReady is not recorded (PodReady records
//     show the change). All of them spend the writer's tokens.
//   - The NoSchedule pass runs in the informer handler while one of its workers is
//     idle (upstream: a work queue with 8 workers, milliseconds later).
//   - Retries of a failed health update happen at once, each after its tokens (upstream
//     polls every 20 ms for up to 100 ms of wall clock; with a limit, see below).
//   - The tainting loop's first tick (at Start) precedes the first monitor pass and finds
//     every queue empty, so a node queued by the first pass is tainted at Start + 100 ms
//     (the oracle agrees). A tick due at the instant of a monitor pass runs right after the
//     pass and before the pass's own writes reach the informer (an always-running tick was
//     scheduled before them): if the pass just wrote Unknown, the tick still reads Ready
//     True, drops the entry and spends the token, and the next pass queues the node again.
//   - Before a Start a pass has never run; writes made before Start are in the informers'
//     initial list and seen by the first pass whatever WatchLatency is.
//
// # The client's rate limit
//
// Config.RateLimit is the node-controller clientset's limit (the scenario's kubeAPIQPS
// and kubeAPIBurst, 20 and 30 by default; the zero value, DefaultConfig's, is none). A
// Start makes a new bucket, full, and a new event writer (flowcontrol.Limiter and
// EventWriter), as a new process has. The requests, checked against
// node_lifecycle_controller.go and controller_utils.go of v1.31.0, v1.33.0 and v1.37.2:
//
//   - a node the pass marks Unknown: its UpdateStatus (1; on a failure a GET and the
//     whole decision again, as upstream's retry, which polls every 20 ms where nodesim
//     retries at once); in 1.37 first the circuit breaker's GET of the Lease, at every
//     visit that finds a node stale, Unknown already or not (the
//     NodeControllerLeaseCircuitBreaker gate, beta and on from 1.37, absent before);
//   - its NodeNotReady Event (the writer), and for each pod whose Ready is not False
//     its UpdateStatus and a NodeNotReady Event (MarkPodsNotReady; the Event follows
//     the update even when it failed, but not when the pod is gone); a pod bound later
//     to a node that is not ready costs the same (processPod);
//   - RegisteredNode and RemovingNode Events (the writer);
//   - a taint added (AddOrUpdateTaintOnNode): a GET, then a PATCH if it changes the
//     node; a taint removed (RemoveTaintOffNode): nothing when the caller's copy of the
//     node does not carry it, else a GET, then a PATCH if the node has it. A swap
//     (SwapNodeControllerTaint), NoSchedule or NoExecute, is an add then a removal, 1 to
//     4 requests; markNodeAsReachable two removals. Upstream's PATCH carries the GET's
//     resourceVersion and, on a conflict, GETs and PATCHes again; nodesim's PATCH
//     applies to the node as it is when sent (no conflict).
//
// The proposal docs/proposals/node-controller-rate-limit.md counted 2 for the retry of a
// failed UpdateStatus (3 in 1.37, whose retry GETs the Lease again) and left out the
// Registered/RemovingNode Events.
//
// Each of upstream's goroutines that send requests is a worker here (client.go): it
// sends a request at once when its token is there (within the burst nothing changes, and
// nothing is scheduled), else keeps the token reserved and resumes at its instant, an
// engine event. The event writer takes one token per round trip (package flowcontrol).
//
//   - The monitor pass (pass.go) works on the Node objects as listed at its start (a
//     handler that changes a node during a pass keeps the listed version on the record,
//     copy on write); the Lease, the pods and the clock are read at the node's visit.
//     Like upstream (workqueue.ParallelizeUntil with 8 workers, v1.31 to v1.37) it runs
//     Config.MonitorWorkers visitors, 8 under a limit (1 without one, where no visit
//     waits and the number changes nothing). The nodes are handed out one at a time in
//     name order, each to the first visitor free: a visit starts when its visitor takes
//     it, so visit starts never decrease in name order. Each visitor sends one request
//     at a time; when it must wait it keeps its reserved token and its own timer resumes
//     it at the token's instant, and the others go on. Within the burst the first visitor
//     does all the work within the pass's event (the tokens are the same as eight would
//     get, and a healthy pass allocates nothing); at its first wait the next visitor
//     takes the next node, and so on, each reserving in index order within that event.
//     After that each visitor reserves again as soon as its request is sent, at its
//     token's instant: the client's limiter serves reservations first come, first
//     served, so while the event writer, the NoSchedule workers, the tainting tick and the
//     visitors all wait, each gets about one token per round (the writer about 1/9 of the
//     bucket with 8 visitors, TestWorkersShareTheBucket). The order across them is the
//     engine's (time, sequence) order of their reservations. An UpdateStatus of a node
//     changed since the listing meets a conflict (its GET is a token) and the node is
//     decided again. The zone states are computed when the last visitor is done
//     (handleDisruption, whose untainting on entering master disruption is serial, as
//     upstream's, and waits too), and the next pass starts NodeMonitorPeriod after the
//     slow one ends (plus PassDuration; the loop is sliding).
//   - Round trips: a request takes effect at its token's instant and the visitor's next
//     request is asked for at that same instant; the client's Latency (apiserver.Client,
//     zero in every scenario) is not added. Upstream's goroutines start their requests
//     milliseconds apart, which spreads the first round; with 20 tokens a second and
//     nine or more waiting goroutines a round lasts about half a second, so the order
//     within it, not its length, is what a few milliseconds change, and the model fixes
//     that order by visitor index. The Event writer does wait for its answer (an engine
//     event, even with no latency), as flowcontrol.EventWriter always has.
//   - With 8 visitors upstream marks a large zone at about 8/9 of the bucket, and its
//     Events lag: the recorder queues at most 1,000 (client-go's maxQueuedEvents, a
//     broadcaster that drops when full), and the Events emitted beyond that are
//     dropped and spend no token; flowcontrol.EventWriter drops likewise. Fleet-day's
//     zone b (300 nodes of 10 pods, 1.37) is marked in about 3.9 minutes (one monitor
//     worker, before session 18: 6.2; eight and one NoSchedule worker: 3.8), and a zone
//     of 60 nodes of 10 pods (1.31) in 46.7 s (one monitor worker: 70.5 s; eight and
//     one NoSchedule worker: 45.0 s; a review's model of the limiter: 39 s): the eight
//     NoSchedule workers take more of the bucket while the zone is marked. The oracle's fake
//     clientset has no limiter, so it cannot check these paces. With several visitors
//     the next nodes' requests interleave with a node's pod writes, and a node that goes
//     stale after its visit started waits for the next pass (fleet-day's b-0 in some
//     seeds). The wait between a visit's decision and its UpdateStatus is longer with
//     several visitors, and a kubelet may come back, renew its Lease and go steady in
//     it. Exact mode's kubelet then either reports before the write (a report due by
//     time), so that the UpdateStatus meets a conflict, GETs the node and decides
//     again, or sees Ready Unknown at its next status sync and posts Ready. So when the
//     UpdateStatus of a stale node is sent, the controller brings the node's kubelet
//     out of steady mode (Config.Kubelets' Unsteady, beforeWriteUnknown): a report it
//     made virtually is written, and the write meets the same conflict. And a steady
//     kubelet whose Node's conditions stop matching what it would report leaves steady
//     mode when its informer delivers the change, its next sync at exact mode's
//     instant (package kubelet). Tests: TestSteadyKubeletMarkedLate and
//     TestSteadyKubeletReportsBeforeUnknownWrite (package scenario, the regression
//     steady-kubelet-marked-late.yaml, found by TestPropertyLazyEqualsExactSpreadLarge).
//     A node deleted while the pass waits is not
//     visited: upstream visits its listed copy (the status write fails NotFound, but
//     the node counts in its zone for that pass); its Lease is deleted with it, and
//     lazy mode, whose steady kubelet materialised only its last renewal, could not
//     rebuild the probe that exact mode's visit would test.
//   - The NoSchedule workers (doNodeProcessingPassWorker on nodeUpdateQueue,
//     nodeUpdateWorkerSize = 8 upstream; Config.NoScheduleWorkers, 8 under a limit, 1
//     without) take the nodes queued by the node informer's events; within the burst
//     the first does all the work in the handler, as one always did. Each free worker,
//     lowest index first, takes the smallest name queued, not the oldest (upstream's
//     workqueue is first in, first out): a steady kubelet does not write the status
//     heartbeats that queue its node in exact mode, and a node queued for nothing costs
//     nothing but would shift the order of the others. A worker that must wait for a
//     token keeps it and is resumed by its own timer; the next free worker takes the
//     next node meanwhile, so while a zone is marked its NoSchedule taints go out about
//     eight per round of the bucket, not one. A node a worker holds is never handed to
//     another: queued again meanwhile, it is only marked (the workqueue's dirty and
//     processing sets) and added when its worker is done. Taken then, it is skipped
//     until the informer has the worker's own write, whose delivery queues it again
//     (upstream re-reads it a round trip later). An update that only brings a steady kubelet's
//     materialised heartbeats (dated before now) queues nothing: exact mode's kubelet
//     wrote them when dated, and a kubelet is steady with its Node's NoSchedule taints
//     out of line only while the node is queued or being swapped, when a report
//     changes nothing unless the swap fails. A worker does not retry a failed swap
//     (upstream logs it); the next update of the node does, often the kubelet's own
//     status report: one that came while the worker held the node queues it again, one
//     after the failure queues it if nothing else did. So at a failed swap (an
//     API-server outage, the Node deleted, a partition of the controller's client: every
//     cause ends there) the controller calls Config.Kubelets' SwapFailed: the kubelet
//     leaves steady mode, stays out of it until its taints are in line (its reports
//     are real, as exact mode's), and answers with its last report made only
//     virtually. If that came at or after the instant that worker took the node
//     (each worker has its own) and exact mode's report reached the informer at
//     once (no watch latency, no partition of the controller's client holding it; a
//     later delivery carries an older heartbeat and queues nothing: a departure
//     from upstream, whose handler queues every update, reachable only through the
//     library, as scenario files have neither), the node is queued again before the
//     worker takes the next (reportedWhileHeld). A removal that meets NotFound ends
//     the swap as done, with nothing written (upstream's RemoveTaintOffNode returns
//     the NotFound, so markNodeAsReachable stops before its second removal and
//     keeps the node in the zone's NoExecute queue; nodesim goes on, which can
//     spend one GET more on a deleted node carrying both NoExecute taints — not
//     modelled, the node is gone); a report made while the worker held the node
//     queued it again in exact mode, and a worker that takes it before the deletion
//     reaches the informer spends a GET on it, so the controller looks at the
//     reports then too
//     (Unsteady and reportedWhileHeld, TestNoScheduleRemovalMeetsDeletedNode). A
//     partition or an outage starting while workers hold nodes
//     first brings each such node's kubelet out of steady mode (clientChanges), so that
//     a report made before a partition is not hidden behind the held ones by the time
//     the swap fails. Tests: TestBootingKubeletsGoSteadyBeforeTheirTaintIsRemoved,
//     TestSwapFailsWithKubeletSteady, TestSwapFailsInControllerPartitionWithKubeletSteady
//     (package scenario; their cases were picked again for eight workers, and two fail
//     with one take instant for all workers or clientChanges for one worker only),
//     TestTwoNoScheduleWorkersHandWorked. With the workers' requests waiting for tokens a fleet booting
//     at once keeps its nodes queued for minutes, and its kubelets steady meanwhile.
//     reconcileNodeLabels is not modelled.
//   - The NoExecute tainting tick is sliding too: a tick whose swaps wait ends later, and
//     the next is a period after it (its grid moves).
//   - processPod's writes wait in a flowcontrol.Waiting: every pod notification reserves
//     its token at once, so N pods bound to a NotReady node reserve N tokens ahead of
//     the pass. Upstream has 4 pod workers (podUpdateWorkerSize), so at most 4 such
//     requests wait at a time and the rest compete for tokens as they come. Not
//     modelled; it matters only for pods that change while their node is not Ready.
//   - Retries of a failed UpdateStatus: up to NodeHealthUpdateRetry more attempts, each
//     after its tokens (and its GET's). Upstream retries under wait.PollImmediate with
//     a 20 ms interval and a 100 ms wall-clock budget that starts after the first
//     attempt, so when the requests wait for tokens the budget runs out after fewer
//     attempts (about 3 when each waits 50 ms). Not modelled: it changes the count only
//     for repeated failures (an API-server outage in 1.31 and 1.33 costs 11 tokens per
//     stale node per pass here).
//   - Entering master disruption mode untaints the nodes as the pass listed them
//     (handleDisruption is handed the listed slice): a taint that landed during a
//     throttled pass is not on its listed copy, so it stays (RemoveTaintOffNode
//     short-circuits on the caller's copy). The reset of the probes on leaving it covers
//     the nodes the informer holds then.
//   - The tainting tick's swap ends by taking the node's queue entry out (or, on
//     failure, replacing it), whatever entry the node has by then: an entry a pass
//     re-added while the swap waited for tokens goes too, as upstream's Try removes and
//     replaces by name (TestTickSwapRequeuedByPass).
//   - 1.37: the Unknown conditions' LastTransitionTime is the instant the circuit
//     breaker's Lease GET returned, after its token (TestUnknownTransitionAfterLeaseGet).
//   - Node Events count in the writer's spam filter by name and UID, as the event
//     reference carries both.
//
// Lazy mode follows: a steady Ready node still costs nothing (its visit sends nothing).
// leaveSteady dates a renewal by the first visit after its delivery and a status
// heartbeat by the first pass that started after it (the pass's listed Node), each at
// the instant that node's visit started: the monitor loop's history (passEpoch) keeps
// the periodic runs and, per throttled pass, the instants at which nodes were handed out
// to visitors (the visits of the nodes after a given name start at a given instant or
// later; a node lazy mode skips would have been handed out in exact mode when the next
// node was, as its visit sends nothing), for an hour. A steady kubelet's heartbeat
// materialised during a pass but written before it counts as listed. A node that turns
// active during a throttled pass is visited by that pass if it comes after the last node
// handed out, was listed, and nodes are still being handed out; one changed during the
// pass, before its visit (which saw the listed version) or after it (touched), stays
// active for the next pass. A node
// re-added to its tainting queue while the tick sends its swap is not skipped as
// waiting (tickHolds). At a throttled pass's first wait the nodes skipped as waiting in a tainting
// queue (waitingUnknown) are re-added, those before the node being visited, as exact
// mode did at the pass's instant, and the others visited from then on; under the 1.37
// circuit breaker with a limit, stale nodes are never skipped (stuckUnknown,
// waitingUnknown), since each visit is a GET. Tests: TestLazyEqualsExactRateLimited (the
// random clusters of TestLazyEqualsExact with 0–5 pods per node and QPS 1–5, burst
// 1–10), TestRateLimitWithinBurstChangesNothing, TestRateLimitChangesTraces,
// TestRequestsPerNodeMarkedUnknown, TestSuspendedPassHandWorked,
// TestSuspendedPassWritesListedVersion, TestTwoVisitorsHandWorked,
// TestWorkersShareTheBucket, TestVisitorState, TestTaintingTickSlides; the reference
// transcription stays unlimited.
//
// # Upstream files followed
//
//   - pkg/controller/nodelifecycle/node_lifecycle_controller.go (monitorNodeHealth,
//     tryUpdateNodeHealth, processTaintBaseEviction, handleDisruption,
//     doNoScheduleTaintingPass, doNoExecuteTaintingPass, processPod, ComputeZoneState)
//   - pkg/controller/nodelifecycle/scheduler/rate_limited_queue.go
//   - pkg/controller/util/node/controller_utils.go (MarkPodsNotReady,
//     SwapNodeControllerTaint, RecordNodeStatusChange, RecordNodeEvent)
//   - pkg/controller/controller_utils.go (AddOrUpdateTaintOnNode, RemoveTaintOffNode)
//   - staging/src/k8s.io/client-go/util/flowcontrol/throttle.go and golang.org/x/time/rate
//     (the zones' tainting buckets; the client's is package flowcontrol)
//   - cmd/kube-controller-manager/app/core.go (the node-controller client) and
//     pkg/features/kube_features.go (NodeControllerLeaseCircuitBreaker)
//   - staging/src/k8s.io/component-helpers/node/topology/helpers.go (GetZoneKey)
//   - pkg/controller/nodelifecycle/config/v1alpha1/defaults.go (defaults per version)
package nodelifecycle
