// Package workload runs the workloads on nodesim's nodes: the ReplicaSet,
// Deployment and DaemonSet controllers, a small kube-scheduler, the disruption
// controller that keeps PodDisruptionBudget status current, and an availability
// Tracker that records how many replicas of each workload are ready over time.
//
// # Model
//
// Every component is built with the API server, its own client and a config
// (New…(s, c, cfg)), reads the cluster through informers and writes through its
// client (the Tracker follows pods and workloads with a plain watch and an initial
// list: it needs each change and the version it replaces, not a cache of a million
// pods; the Scheduler's pod informer views the store, so its cache costs only what is
// in flight); Start lists and watches, Stop ends the watches and cancels every
// timer the component owns. Every config has a WatchLatency (default 0: an informer sees a
// change as the next event at the same instant); the scenario sets the cluster-wide
// figure. Controllers process their work queue as upstream workers do: a
// key queued by an informer event is synced at that instant (keys queued together
// are synced together, in key order), and a failed sync is retried with the default
// controller rate limiter's per-item backoff (5 ms doubling to 1000 s).
//
//   - ReplicaSetController (pkg/controller/replicaset/replica_set.go): counts the
//     active pods it controls (IsPodActive), creates the missing ones from the
//     template with a Controller=true owner reference and a generated name
//     "<rs>-<5 chars>" (apimachinery's rand alphabet, drawn from the controller's own
//     sim.Rand stream), deletes the surplus in upstream's ActivePods order
//     (controller_utils.go), at most BurstReplicas per sync, and writes
//     replicas/readyReplicas/availableReplicas (availability under minReadySeconds:
//     below). Expectations (controller_utils.go
//     ControllerExpectations) stop it from acting again before its informer has
//     shown its own creations and deletions. Its requests are rate limited (below,
//     "The ReplicaSet controller's client").
//   - DeploymentController (pkg/controller/deployment, replica control only): owns
//     one ReplicaSet "<deployment>-<pod-template-hash>" with the Deployment's replicas,
//     minReadySeconds and the pod-template-hash label; a scale propagates, and so does
//     a change of minReadySeconds (getNewReplicaSet: an update of the ReplicaSet of
//     its own, before any scaling); readyReplicas and availableReplicas are the sums
//     of its ReplicaSets' (sync.go calculateStatus). Rollouts are not modelled: a
//     ReplicaSet of an older template is scaled to zero; nor are the Deployment's
//     conditions (Available, Progressing) or its progress deadline.
//   - DaemonSetController (pkg/controller/daemon): one pod per eligible node, per
//     NodeShouldRunDaemonPod: the template's nodeName, nodeSelector and required node
//     affinity must match, and every NoSchedule/NoExecute taint must be tolerated by
//     the template's tolerations plus taint.DaemonSetTolerations (not-ready and
//     unreachable NoExecute forever, the pressure and unschedulable NoSchedule
//     taints). A node whose only untolerated taints are NoSchedule keeps its pod;
//     an untolerated NoExecute taint or a selector mismatch removes it. A new node
//     gets its pod when it becomes eligible (new nodes carry
//     node.kubernetes.io/not-ready:NoSchedule until the node lifecycle controller
//     removes it, and the DaemonSet tolerations do not cover that taint, as upstream).
//     A deleted node's pods are left to pod GC. A node's pods are handled as
//     podsShouldBeOnNode handles them: a terminating pod counts as present (no
//     replacement yet) unless it is already Succeeded or Failed; a Failed pod is
//     deleted unless the node's failed-pod backoff holds it (1 s doubling to 15 min,
//     stepped at each deletion and started afresh after 30 min untouched, as
//     flowcontrol.Backoff; a held node is looked at again after the whole current
//     delay; several failed pods are looked at in turn, so the first steps it and
//     the next wait), and its replacement comes at a later sync, once it is gone; a
//     Succeeded pod is deleted; of several running pods the oldest stays (by creation
//     time in whole seconds, then name, as controllers see metav1.Time); a node that
//     no longer qualifies loses every pod at once, whatever the backoff. Work is per
//     (DaemonSet, node), so a node change costs one node's worth of work per
//     DaemonSet; which node changes queue a DaemonSet depends on the version (below,
//     "Node events"). Its requests are rate limited (below, "The DaemonSet controller's
//     client").
//   - Scheduler (pkg/scheduler, default profile, reduced): pods with no nodeName
//     that are not terminating are queued by priority, then arrival
//     (PrioritySort). One cycle takes SchedulingLatency and handles one pod.
//     Filters in the default profile's order, the first failing one deciding a
//     node's reason: NodeUnschedulable (spec.unschedulable unless the pod tolerates
//     node.kubernetes.io/unschedulable:NoSchedule), TaintToleration (every
//     NoSchedule/NoExecute taint tolerated, taint.FindUntoleratedTaint),
//     NodeAffinity (nodeSelector and required node affinity with In, NotIn, Exists,
//     DoesNotExist, Gt, Lt on labels, and matchFields on metadata.name), NodeResourcesFit (pods < allocatable.pods; cpu and
//     memory requests, when non-zero, within allocatable minus the requests of the
//     pods already on the node, terminating ones included), PodTopologySpread for a
//     pod with DoNotSchedule constraints of its own (below), InterPodAffinity's
//     required affinity and anti-affinity (below). As schedule_one.go,
//     nodes are filtered in the scheduler cache's order (node_tree.go: one node of
//     each zone in turn, zones in order of first appearance, a zone's nodes in order
//     of arrival; a zone emptied leaves the order and a node whose zone changes goes
//     to the end of its new zone), and filtering starts at the node where the previous
//     cycle stopped (a pod whose every required-affinity term names nodes by
//     matchFields metadata.name is filtered on those alone, NodeAffinity's
//     PreFilterResult, and the FitError counts the others, from 1.32, as "node(s)
//     didn't satisfy plugin(s) [NodeAffinity]"; terms that name no node in common are
//     not modelled) and ends once
//     enough nodes fit (the adaptive percentageOfNodesToScore: every node below 100,
//     else 50 % − nodes/125 of them, at least 5 % and 100 nodes); only those are
//     scored. Scores:
//     NodeResourcesFit LeastAllocated (cpu and memory, weight 1, with the default
//     100m / 200Mi for pods that request nothing), NodeResourcesBalancedAllocation
//     (weight 1, on the requests as written: 100·(1 − |fcpu − fmem|/2) with the pod
//     on the node; from 1.33 not for pods that request nothing, kubernetes#130260;
//     from 1.36 the change the pod makes, 50 + (50 + with − without)/2,
//     kubernetes#135573; 1.31, 1.33 and 1.37 read, 1.32 and 1.34–1.36 dated by
//     those PRs), TaintToleration's PreferNoSchedule score (weight 3),
//     NodeAffinity's for a pod with preferred terms (weight 2: the weights of the
//     terms a node matches, normalized to the best node's, DefaultNormalizeScore;
//     nodeaffinity Score, the same in 1.31–1.37) and PodTopologySpread with the
//     pod's own ScheduleAnyway constraints, or the system default constraints for a
//     pod that has none (weight 2; below), InterPodAffinity's for the pod's own
//     preferred terms and bound pods' required and preferred terms that match it
//     (weight 2; below); the
//     highest total wins, and among equal totals the scheduler draws one, each
//     equally likely (SchedulerConfig.Rand; the scenario's stream "scheduler";
//     without a Rand, the first by name). In 1.31 and
//     1.33 upstream's selectHost does exactly that (reservoir sampling). In 1.37
//     (since kubernetes#135231) a heap picks the best, ties broken by a Randomizer
//     set only for nodes an extender scored (schedule_one.go prioritizeNodes; an
//     omission, says the open kubernetes#141024): without extenders the tie goes to
//     the first of the feasible nodes in the order parallel filtering found them,
//     which no run repeats; a uniform draw is the model. Binding patches
//     spec.nodeName and PodScheduled=True
//     (the API server traces PodScheduled). A pod that fits nowhere gets a
//     FailedScheduling trace record (pod, reason Unschedulable, message in
//     upstream's form "0/3 nodes are available: 1 node(s) had untolerated taint
//     {node.kubernetes.io/unreachable: }, 2 node(s) were unschedulable."; from 1.34
//     "1 node(s) had untolerated taint(s)", which names no taint: kubernetes#134740,
//     in 1.35 and 1.34's patch releases) and the
//     PodScheduled=False condition, and waits in the unschedulable pool until an
//     event moves it (see "The scheduling queue" below), then in the backoff queue
//     until its backoff ends (1 s doubling to 10 s per attempt, kube-scheduler's
//     podInitialBackoffSeconds and podMaxBackoffSeconds). A pod no event moves is
//     retried after 5 minutes in the pool (podMaxInUnschedulablePodsDuration).
//   - DisruptionController (pkg/controller/disruption/disruption.go): on every change
//     of a budget or of a pod it selects (ReplicaSets and Deployments are only read:
//     upstream has no handler on them, so a scale shows in a budget with the pod
//     changes it causes), recomputes ExpectedPods, CurrentHealthy, DesiredHealthy and
//     DisruptionsAllowed (ComputeBudget), keeps DisruptedPods entries written by
//     the eviction API for DeletionTimeout (2 min) and rechecks when the first one
//     expires. The status is written with the resourceVersion it was computed from,
//     so an eviction in between makes it retry. Upstream's sync lists the budget's
//     pods (terminal ones included) at every pod event; nodesim keeps each budget's
//     pod set and its count of Ready pods from the pod informer's events, listing
//     them only at a budget's first sync and after its selector changes, so a sync
//     costs the budget's disrupted pods and its pods' controllers. (A shutdown storm
//     leaves thousands of Failed pods under one budget: a walk per pod event made a
//     5-minute run of three nodes take 50 s; BenchmarkShutdownStormWithBudget.)
//     Not modelled: with budgets that overlap (two select one pod), upstream's pod
//     handler syncs only one of them, the first its lister returns (getPdbForPod,
//     with a MultiplePodDisruptionBudgets warning), leaving the other stale until
//     another event; nodesim syncs both. The eviction API refuses such a pod
//     anyway (more than one budget: a 500).
//   - Tracker: per workload, the step series (t, ready, desired) and a Summary:
//     minimum ready, time below desired and each disruption (maximal interval
//     below desired) with its recovery time. Ready and desired are a Deployment's
//     or ReplicaSet's ready pods as they change, against its replicas, and a
//     DaemonSet's status numberReady against desiredNumberScheduled (a node's oldest
//     pod, on nodes that should run one; counting its pods instead showed more ready
//     than desired whenever a pod stayed on a node that an untolerated NoSchedule
//     taint took out of the desired count). The initial rollout, before the
//     workload is first fully ready, is not counted as a disruption. With
//     TrackerConfig.Trace it adds a WorkloadReady record (workload, ready, desired)
//     per instant at which the counts changed, after that instant's changes (a
//     monitor pass that marks 3,000 pods NotReady gives one record, not 3,000).
//     A Start after Stop counts afresh from its initial lists. A deleted
//     DaemonSet's series keeps its last counts (no scenario action deletes a
//     workload).
//
// # What upstream does that was checked, and choices where it leaves room
//
// The ReplicaSet controller's client. kube-controller-manager builds it its own
// clientset (ClientBuilder per controller name, "replicaset-controller":
// cmd/kube-controller-manager/app/apps.go, v1.31.0:92, v1.37.2:103), so its own token
// bucket, at --kube-api-qps 20 after a burst of --kube-api-burst 30
// (ReplicaSetConfig.RateLimit; the scenario's kubeAPIQPS and kubeAPIBurst), and its
// event broadcaster writes through that clientset (replica_set.go Run:
// StartRecordingToSink, v1.31.0:210, v1.37.2:280). What spends its tokens
// (replica_set.go manageReplicas, controller_utils.go RealPodControl, lines of
// v1.37.2 with v1.31.0 in brackets; v1.33.0 the same):
//
//   - a creation: one POST and then one Event, SuccessfulCreate, or FailedCreate
//     when it fails (createPods 592–617 [578–600]). Creations go in
//     slowStartBatch's batches of 1, 2, 4, … (SlowStartInitialBatchSize 1), each
//     batch's goroutines at once, the next batch only once all of them have returned,
//     none after a batch with an error (slowStartBatch 887–911 [771–795]); at most
//     BurstReplicas (500) per sync (74 [68]). A sync that creates 100 pods makes 29
//     of them with the burst (batches 1 to 8 and 14 of the 16; the event writer
//     takes one token per round trip) and the rest at 20 requests a second, the
//     last 3.65 s later (TestScaleUpPacedByClientRateLimit);
//   - a deletion: one DELETE and then one Event, SuccessfulDelete or FailedDelete
//     (none when the pod is already gone; DeletePod 619–637 [602–620]), all the
//     sync's deletions in goroutines started at once (700–747 [620–667]);
//   - the status write at the end of the sync: an UpdateStatus only when the status
//     changed, carrying the resourceVersion the sync read; on a conflict a GET and
//     one more UpdateStatus (replica_set_utils.go updateReplicaSetStatus 41–94
//     [37–84], statusUpdateRetries 1). It was a PATCH before: the same result, but
//     a ReplicaSet changed while its sync waited for a token now costs two more
//     requests (TestStatusConflictRetriedAfterGet).
//
// An Event spends a token only if the event correlator's spam filter lets it through
// (client-go tools/record/events_cache.go: 25 Events per object and type, then one
// each 5 minutes; getSpamKey has the type from v0.33.0, kubernetes#124747, not in
// v0.31.0, and nodesim keys by type in every version): the controller's Events are
// all about the ReplicaSet, so of its first 100 creations 25 write their Event and
// the other 75 spend only their POST's token. Adoption (claimPods' GET) is not
// modelled, so spends nothing. As in the taint eviction controller (flowcontrol
// package doc, "Order within an instant"), a batch (or the deletions) that the bucket
// covers, a token for each request and for each Event the spam filter would let
// through, runs at once, inline, as without a limiter, and schedules nothing
// (TestWithinBurstAsWithoutLimit); otherwise each of its requests is sent by an
// engine event at its token's instant, all of them reserving theirs before their
// Events, which the event writer sends one per round trip (TestBatchReservesBeforeItsEvents). The sync goes on from there: the next batch
// starts when the last request of this one is answered, and the status it writes is
// computed, as calculateStatus does, from the pods it listed when it started, at the
// instant it gets there. Expectations stay per pod and are recorded as each POST
// succeeds: upstream's ExpectCreations of the whole count first (manageReplicas
// 667 [587]), less the skipped creations after a failed batch (692–697 [612–617]),
// differs from that only while the sync runs, and no other sync of the ReplicaSet
// runs then. Deletions are all expected first (ExpectDeletions 718 [638]).
//
// A sync in flight holds its key as a worker does between the workqueue's Get and
// Done (processNextWorkItem 627–644 [547–564]; client-go workqueue queue.go Add
// 227–250 and Done 289–300, v0.37.2: an Add of a key being processed only marks it
// dirty, and Done queues it again): the informer's events for its own creations
// queue the ReplicaSet, which is synced once more after the sync, not during it. The
// worker limit is modelled: kube-controller-manager runs --concurrent-replicaset-syncs
// workers (ConcurrentRSSyncs 5, config/v1alpha1/defaults.go 33–34), and while five
// syncs wait for tokens no other ReplicaSet's sync starts, even one that would need
// none (ReplicaSetConfig.ConcurrentSyncs; TestOtherReplicaSetsSyncOnOtherWorkers). A
// sync that waits for nothing takes no time here, so holds no worker. Stop (a lost
// leadership) drops the syncs in flight and the Events queued, and a Start is a new
// process: a full bucket, a new event writer, no expectations (TestStopMidSync).
// Not modelled: a request's own duration (a failed request fails at once, as before),
// the Events' content (nodesim's trace has no record of the ReplicaSet controller's
// Events: the writer only spends tokens and time), the namespace-terminating case
// that skips FailedCreate, the ReplicaFailure condition a failed sync writes, the
// status writes upstream makes for observedGeneration alone (each scale of the
// Deployment changes the spec, so upstream writes the status even when the counts do
// not change: one token more per scale step) and, from 1.35, for terminatingReplicas,
// a status write retried after any error (here after a conflict only), and, in 1.31,
// the spam filter's key without the event's type (client-go v0.31.0: Normal and
// Warning events share one bucket; nodesim keys by type in every version).
//
// The DaemonSet controller's client. Its own clientset too (ClientBuilder
// "daemon-set-controller": cmd/kube-controller-manager/app/apps.go, v1.31.0:50,
// v1.37.2:44), so its own bucket (DaemonSetConfig.RateLimit; the scenario's
// kubeAPIQPS and kubeAPIBurst), and its event broadcaster writes through it
// (daemon_controller.go Run: StartRecordingToSink, v1.31.0:288, v1.37.2:360). Lines of
// daemon_controller.go v1.37.2 with v1.31.0 in brackets (v1.33.0 as v1.31.0 where
// checked: BurstReplicas 59, UpdateStatus 1139, where v1.31.0 has it at 1115). What
// spends its tokens:
//
//   - a creation: one POST (upstream's pod has a node affinity term on the node's
//     name; nodesim's has spec.nodeName, one request either way) and its Event,
//     SuccessfulCreate or FailedCreate (controller_utils.go createPods 592–617
//     [578–600]). syncNodes (1037 [966]) expects them all first (SetExpectations
//     1055 [984]), at most BurstReplicas, 250 for DaemonSets (66 [59]), and creates
//     them in slow-start batches of 1, 2, 4, … written in place (1077–1120
//     [1006–1049]), none after a batch with an error;
//   - then, once every creation has returned, the deletions, all at once, each a
//     DELETE and its Event (DeletePod 619–637 [602–620]; 1122–1141 [1051–1067]),
//     at most 250;
//   - an Event for each failed pod the backoff lets go, FailedDaemonPod, and each
//     succeeded pod, SucceededDaemonPod (podsShouldBeOnNode 891, 897 [824, 830]);
//   - the status write at the end of every sync (updateDaemonSetStatus 1208
//     [1133]): an UpdateStatus only when the status changed, with the version the
//     sync read; after a failure a GET and one more UpdateStatus
//     (storeDaemonSetStatus 1152–1206 [1078–1131], StatusUpdateRetries 1). nodesim
//     retries after a conflict only, as for ReplicaSets.
//
// The history: constructHistory and cleanupHistory (update.go 298, 355 [293, 350])
// write only when a DaemonSet's template has no ControllerRevision yet (a POST), a
// revision needs relabelling, renumbering or deduplicating, or more than
// revisionHistoryLimit old ones are unused: a steady sync writes nothing. nodesim
// keeps no ControllerRevisions and spends nothing on them (a new DaemonSet's first
// sync would spend one token more). Adoption (the GET of canAdoptFunc) is not
// modelled either. Events are about the DaemonSet, so its first 25 of each type
// spend a token and later ones only each 5 minutes (the spam filter, as above).
//
// nodesim syncs a DaemonSet's nodes by keys of their own ("<ds> <node>") beside the
// DaemonSet's key; upstream's key is the DaemonSet (1.37's node-update queue,
// syncNodeUpdate 1531–1588, only queues DaemonSets). The keys of one DaemonSet in a
// batch of the queue (those queued at one instant) are taken as upstream's one
// sync: if the bucket holds a token for every request they may make (creations and
// deletions with their Events, counted per node without the spam filter, and one
// status write), they run one by one as without a limit, and the status writes of
// the batch's keys, one per key that changes it, spend one token between them
// (TestDaemonSetWithinBurstAsWithoutLimit, TestDaemonSetInlineStatusOneToken).
// Otherwise the first of them visits all their nodes once, in name order, and makes
// the requests as syncNodes does: creations in slow-start batches, then deletions,
// then the status, computed from the nodes' results as its visits found them at its
// start. Upstream's updateDaemonSetStatus lists the daemon pods again when it gets
// there (getNodesToDaemonPods, v1.37.2:1211), so pods that turned Ready while the
// sync waited count in its write; here they count in the next sync's, one more
// UpdateStatus (not modelled: a difference of the status's timing only). Each batch the bucket covers runs
// inline; otherwise its requests go at their tokens' instants, all reserving theirs
// before their Events (TestDaemonSetBatchReservesBeforeItsEvents). 100 nodes joining
// at once get 29 pods at once and the last 3.65 s later, and the status 0.1 s after
// that (TestDaemonSetNodesAddedPacedByClientRateLimit). Such a sync holds its
// DaemonSet's keys: they are queued again when it is done, as the workqueue's dirty
// set does; and one of --concurrent-daemonset-syncs workers (ConcurrentDaemonSetSyncs
// 2, config/v1alpha1/defaults.go 33–34, v1.31.0 and v1.37.2;
// TestDaemonSetSyncInFlightHoldsWorker); the batch's keys it took are never queued
// again, not even when no worker is left for the rest of the batch
// (TestDaemonSetFullWorkerPoolKeepsTakenKeys). A sync that fails retries the
// DaemonSet's own key, as upstream retries its one key, so the nodes it took and
// could not finish are visited again (TestDaemonSetSyncErrorRetriesTheDaemonSet), and
// a status write that failed is not remembered as written
// (TestDaemonSetStatusWriteRetriedAfterOutage). Stop drops it and the queued Events; Start
// is a new process with a full bucket and a new writer (TestDaemonSetStopMidSync).
// Nodesim's per-node expectations stay: upstream's are a count per DaemonSet, and
// while any is pending its sync only writes the status, where nodesim's acts on the
// nodes with none pending. With no limit at all, nodesim creates every pod at once,
// not 250 per sync. Not modelled: the 1.36+ StaleControllerConsistencyDaemonSet
// wait for the informer to catch up with the controller's own writes, observedGeneration,
// and the other status fields (updatedNumberScheduled, numberAvailable,
// numberUnavailable; the ones modelled are under "Node events" below).
//
// FilterActivePods and replacement timing (docs/upstream-semantics.md §11 Q8). upstream's
// IsPodActive is phase not Succeeded/Failed and no deletion timestamp, and the
// ReplicaSet controller's pod update handler treats a pod that gets a deletion
// timestamp as deleted (it records the deletion expectation and queues the
// ReplicaSet at once, with no delay). So a pod that starts terminating stops
// counting the moment the controller's informer sees the deletion timestamp and
// its replacement is created in that same sync: on an unreachable node the
// replacement runs beside the Terminating pod for as long as the latter stays. This
// package does the same; the replacement's delay is the informer's watch latency.
// (The Deployment feature that reports terminating replicas, KEP-3973, does not
// change when ReplicaSets replace pods.)
//
// Ownership: a pod or ReplicaSet belongs to the controller its Controller=true owner
// reference names (by UID). Adoption of orphans that match a selector and release
// of pods whose labels stop matching (ClaimPods) are not modelled.
//
// Scale-down order follows ActivePodsWithRanks.Less with the LogarithmicScaleDown
// comparison (on by default since 1.22): unassigned, then Pending before Running,
// not ready before ready, more co-located active pods of the same controller first
// (the pods of the ReplicaSets with the same controller, getIndirectlyRelatedPods: a
// ReplicaSet no Deployment owns has none, so the rank never applies to it), more
// recently ready first (log2 buckets), more recently created first (log2 buckets),
// ties by UID; times in whole seconds, as metav1.Time reaches the controller, so two
// pods Ready in one second fall through to their creation times. Upstream's UIDs are
// random UUIDs, which makes that tie a random pick; nodesim's count up, so the tie
// compares a permutation of them drawn from the run's seed (uidOrder) rather than
// deleting the oldest-created pods of the bucket every time. Restart counts and
// pod-deletion-cost are not modelled. Also not modelled (a review, session 15):
// expectations do not expire after 5 minutes; and 1.36's stale-cache check
// (StaleControllerConsistencyReplicaSet) is not modelled, which shows only with a
// watch latency.
//
// Availability under minReadySeconds, per version (ReplicaSetConfig.Version; read in
// the k8s.io/kubernetes module: v1.31.0 replica_set.go 427–497 updatePod and 675–741
// syncReplicaSet, replica_set_utils.go 86–128 calculateStatus, pkg/api/v1/pod/util.go
// 288–304 IsPodAvailable; v1.33.0 the same at 429–499, 677–748, 95–143, 301–317;
// v1.37.2 506–577, 755–857, 96–144, 278–294 and pkg/controller/controller_utils.go
// 1031–1083 FindMinNextPodAvailabilityCheck). A Ready pod is available once its Ready
// condition's lastTransitionTime plus minReadySeconds is reached. The controller
// reads that time from its informer, as the API server serialised it: metav1.Time in
// whole seconds (RFC 3339; apimachinery meta/v1 time.go), so a pod Ready at 10.4 s
// counts from 10 s and, under minReadySeconds 5, is available from 15 s.
// IsPodAvailable compares with the controller's clock, strictly before 1.37 (Before)
// and inclusively in 1.37 (<=); the simulator counts the pod available at 15 s itself
// in every version, as a real controller whose clock reads a few milliseconds after
// the instant of its sync does (see reached). What differs per version is when the
// controller looks again, which is when availableReplicas changes:
//
//   - 1.31 and 1.33: the pod handler queues the ReplicaSet minReadySeconds + 1 s
//     after it sees a pod turn Ready (updatePod; not for a pod it lists already
//     Ready, nor one being deleted), and a sync that wrote its status without error,
//     every replica ready and not every one available, queues it minReadySeconds
//     later; nothing else. The pod Ready at 10.4 s alone shows available at 15.4 s
//     (the sync at 10.4 s queues 15.4 s); one of two replicas at 16.4 s (only the
//     handler's); a settled ReplicaSet whose pods are not yet available when the
//     controller starts waits minReadySeconds from its first sync, whatever the
//     pods' times.
//   - 1.34 and later (ReplicaSetAvailabilityCheckVersion; PR #132121, taken to be in
//     1.34.0): the handler queues minReadySeconds after the change, and a sync that
//     wrote its status without error and left a ready pod unavailable queues the
//     ReplicaSet at the availability instant of the earliest such pod
//     (FindMinNextPodAvailabilityCheck): available at 15 s.
//
// A delaying queue keeps one instant per key, the earliest, so a later queueing of
// the same ReplicaSet is dropped (TestReplicaSetAvailabilityTimingPerVersion works
// the cases out by hand). The Deployment's minReadySeconds reaches its ReplicaSet
// (pkg/controller/deployment/sync.go getNewReplicaSet: v1.31.0 138–206, v1.33.0
// 140–208, v1.37.2 146–214). Nothing else nodesim reports depends on availability:
// WorkloadReady, the readyReplicas expectations and the disruption controller
// (countHealthyPods: IsPodReady) count Ready pods.
//
// DaemonSet pods and the scheduler: since 1.12 upstream creates DaemonSet pods with
// a node affinity term matching metadata.name of the target node and lets the
// default scheduler bind them. nodesim's node selector terms have no matchFields, so
// the DaemonSet controller sets spec.nodeName directly, which has the same outcome
// for an eligible node with room; what is lost is the scheduler's resource check for
// DaemonSet pods and the scheduling latency: a full node still gets the pod, which
// runs and counts Ready (upstream's stays Pending: counted scheduled, not ready), and
// a daemon pod always takes freed room first. The pod's PodCreated record therefore
// names the node and there is no PodScheduled.
//
// Node events, per version (DaemonSetConfig.Version; read in daemon_controller.go of
// the k8s.io/kubernetes module at v1.31.0 645–684, v1.33.0 662–690 and 1429–1476,
// v1.37.2 727–755 and 1531–1588). In every version the node informer has an add and
// an update handler and no delete handler: a deleted node changes a DaemonSet's
// status only when pod GC deletes its daemon pod (that deletion queues the
// DaemonSet). An update whose labels and taints are unchanged is ignored
// (shouldIgnoreNodeUpdate): a cordon shows through its unschedulable taint, and
// allocatable is the scheduler's business. Otherwise a DaemonSet is queued:
//
//   - 1.31 (and 1.32): on an addition when the node should run its pod
//     (NodeShouldRunDaemonPod's shouldRun); on an update when the node's
//     (shouldRun, shouldContinueRunning) changed;
//   - 1.33 and 1.34 (DaemonSetNodeUpdateQueueVersion; PR #130514): both handlers
//     queue the node's name and a node worker (syncNodeUpdate) queues each
//     DaemonSet whose node should run a pod it has none of (shouldRun and not
//     scheduled), or has a pod it should no longer run (scheduled and not
//     shouldContinueRunning), where scheduled is any pod on the node whose controller
//     is the DaemonSet, terminating or finished ones included;
//   - 1.35 to 1.37 (DaemonSetMisscheduledRequeueVersion; PR #132477, issue
//     #132459): also when it has a pod there and the DaemonSet's status, as the
//     informer has it, counts pods misscheduled. The fix went back to 1.34 and 1.33
//     patch releases after their .0; nodesim's 1.33 is 1.33.0.
//
// So in 1.33 and 1.37 a NoSchedule taint the pods do not tolerate, on a node that
// keeps its pod, queues nothing: desiredNumberScheduled and numberMisscheduled move at
// the next sync, whatever queues it; in 1.33.0 the taint's removal queues nothing
// either, and numberMisscheduled stays until then
// (TestDaemonSetNodeTaintStatusTimingPerVersion, TestDaemonSetNodeDeletionWaitsForPodGC).
// nodesim keeps its keys per (DaemonSet, node): a node event the version would queue
// the DaemonSet for queues the pair's key; one it would not leaves the node dirty and
// stale, and every sync of the DaemonSet, one of any node key too, visits the stale
// nodes first in name order, as upstream's sync recomputes every node
// (TestDaemonSetNodeKeySyncVisitsStaleNodes). The status a sync writes is
// updateDaemonSetStatus's desiredNumberScheduled, currentNumberScheduled (should run
// and has a pod: the pods getNodesToDaemonPods keeps, so not one both deleted and
// finished), numberMisscheduled (has one and should not run it) and numberReady (the
// oldest pod Ready); it is written when any of them changed. The failed-pod
// backoff is keyed by DaemonSet and node, not by UID and observedGeneration.
//
// Disruption budgets: percentages round up for minAvailable and for maxUnavailable
// alike (both call intstr.GetScaledValueFromIntOrPercent with roundUp = true); for
// maxUnavailable and for a percentage minAvailable the expected count is the sum of
// the controllers' replicas (a Deployment, not its ReplicaSet); for an integer
// minAvailable it is the number of selected pods. CurrentHealthy counts selected
// pods that are Ready, not terminating and not in DisruptedPods within the
// timeout. DisruptionsAllowed is 0 when negative or when no pod is expected.
// Pods without a controller are skipped; a pod whose controller has no scale
// (a DaemonSet) makes the sync fail and, as upstream's failSafe does, leaves
// DisruptionsAllowed at 0. An empty selector matches every pod in the namespace, and
// a budget without one none (policy/v1).
//
// The scheduling queue, per version (SchedulerConfig.QueueingHints and
// PopFromBackoffQ, set from the scenario's version by SchedulerConfigFor). In every
// version a failed cycle records the plugins that rejected the pod (each node's
// first failing filter: the FitError's UnschedulablePlugins), and the pod goes to
// the unschedulable pool, or, when none rejected it (no node at all, a failed
// binding: an Error status), to the backoff queue. Backoff is min(1 s·2^(n-1), 10 s)
// after the n-th attempt, from the failure. Events:
//
//   - 1.31 (SchedulerQueueingHints off): every filter plugin registers Node/Add and
//     all Node updates, so a node added, or updated with any event of
//     NodeSchedulingPropertiesChange (spec.unschedulable turned false, allocatable,
//     labels, taints, condition statuses, annotations), moves the pods that pass
//     preCheckForNode against that node: NodeResourcesFit with the pods on it, node
//     affinity, and its NoSchedule taints (not NoExecute, not spec.unschedulable).
//     A cordon alone, a node deleted, a heartbeat move nothing. Pods leave the
//     backoff queue at the first tick of flushBackoffQCompleted (every second from
//     the scheduler's start) after their backoff ends.
//   - 1.32 (hints on by default): a pod moves only if a plugin that rejected it
//     registered the event and its QueueingHintFn says Queue: NodeUnschedulable
//     (node added schedulable, or uncordoned), TaintToleration (the node had an
//     untolerated NoSchedule/NoExecute taint, or is new, and has none now),
//     NodeAffinity (labels that now match and did not), NodeResourcesFit (node
//     added, or allowed pods or the requested resources' allocatable grown, where
//     the pod fits the empty node). Any other event leaves it in the pool, with its
//     attempts and backoff as they were. Backoff and flush ticks as in 1.31.
//   - 1.33 to 1.37 (SchedulerPopFromBackoffQ too): expiries are truncated to whole
//     seconds and the flush runs on whole seconds, so a pod leaves the backoff queue
//     at the second after its truncated expiry; and when the active queue is empty
//     the scheduler takes the head of the backoff queue at once (by expiry, then
//     priority), before its backoff ends: that attempt counts, and doubles the next
//     backoff. Pods of the error backoff queue are not taken early.
//
// A binding that fails (the API down, a partition) is handleBindingCycleError's: the
// assumed pod is forgotten, an AssignedPodDelete for the others (the pods
// NodeResourcesFit rejected move), and the pod backs off with an Error status. The
// scheduler counts a pod it bound on its node (assumed) until its watch shows the
// binding; an update of it from before the binding, delivered late, is ignored
// (updatePodInSchedulingQueue ignores updates of an assumed pod).
// In all versions a bound pod deleted or finished concerns NodeResourcesFit only
// (the pods it rejected move), and flushUnschedulablePodsLeftover, every 30 s from
// the scheduler's start, moves the pods in the pool for more than 5 minutes. A
// change to a pending pod's own tolerations, selector, affinity or requests moves
// it in 1.31; with hints, only a toleration change (TaintToleration, and
// NodeUnschedulable if it now tolerates the unschedulable taint) or lower requests
// (NodeResourcesFit) do. Pods moved by one event go in key order (upstream walks a
// map). 1.32's plugin hints are taken to be 1.33's (the 1.32 sources were not
// checked; in 1.32 NodeResourcesFit does not register a pod's scale-down, as
// InPlacePodVerticalScaling is off, which no scenario action reaches); 1.37 counts
// backoff from unschedulable failures and errors apart (UnschedulableCount,
// ConsecutiveErrorsCount), which nodesim does not: it counts attempts, as 1.33 does.
// Before 1.33 a pod whose backoff ends at the instant of a flush tick or of an event
// is released then (boTime.After(now)); a zero backoff (a library setting) waits for
// the next tick instead, so that retries leave the instant. Ties in the backoff queue
// (same expiry and priority, common with 1.33's whole-second windows) go by when the
// pods entered it, not by the time of their last failure as upstream's podBackoffQ
// orders them.
//
// PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread, the same in
// 1.31–1.37): a pod without spread constraints of its own gets kube-scheduler's
// system defaults, kubernetes.io/hostname with maxSkew 3 and
// topology.kubernetes.io/zone with maxSkew 5, both ScheduleAnyway, with the
// selector of the ReplicaSet that controls it (DefaultSelector; nodesim has no
// Services or StatefulSets, so other pods get no constraint and no score). Each
// feasible node scores, per constraint whose label it has, cnt·ln(domains + 2) +
// maxSkew − 1, cnt being the ReplicaSet's pods on the node (hostname) or in its zone
// over all nodes matching the pod's required node affinity (zone: taints ignored,
// nodeInclusionPolicy defaults), domains the feasible nodes or their zone values;
// the sum is rounded and normalized to 100·(max + min − s)/max. Weighted 2 against
// LeastAllocated's 1, it outweighs small differences in load: a Deployment goes one
// replica per node and evenly over zones before any node gets a second, unless a
// node is much busier (a node 75 % requested loses to one that already has a
// replica, as upstream's scores have it).
// Counts are of the pods the ReplicaSet controls (bound or assumed, not terminal,
// not terminating), which are the pods its selector matches unless selectors
// overlap (a bare ReplicaSet whose selector also matches another workload's pods,
// two Deployments with one selector and one template); a Service's selector would
// only narrow a ReplicaSet pod's, but a bare pod that only a Service selects gets no
// spreading here, as nodesim has no Services. The raw score's float arithmetic is
// written so that the compiler cannot fuse a multiply and an add (FMA on arm64):
// the rounding is amd64's on every platform. The scheduler keeps none until it first scores a ReplicaSet's pod (a
// running start's steady day never does); then one pass over its pod cache counts
// every ReplicaSet's pods, and each change the cache applies keeps the counts: per
// node, and per zone over the nodes that exist, moved when a node's zone label
// changes or the node goes.
//
// A pod's own spec.topologySpreadConstraints (podspread.go; filtering.go, scoring.go
// and common.go of v1.31.0, v1.33.0 and v1.37.2 read, the same for what is modelled)
// replace the system defaults. The DoNotSchedule ones filter, after the other
// filters: a node without every such constraint's topology key fails ("node(s)
// didn't match pod topology spread constraints (missing required label)"), and a
// node fails ("node(s) didn't match pod topology spread constraints") when, for a
// constraint, the matching pods in its domain, plus one if the selector matches the
// pod itself, less the lowest count over the domains (0 while there are fewer
// domains than minDomains) exceed maxSkew. The ScheduleAnyway ones score as above,
// except that a feasible node lacking a constraint's key scores 0 and is left out of
// the normalization, and the zone-like keys may be any label. Counting is upstream's:
// over the nodes that carry every constraint's key (of that kind) and pass each
// constraint's inclusion policies (nodeAffinityPolicy, default Honor: the pod's node
// selector and required affinity; nodeTaintsPolicy, default Ignore; Honor: its
// NoSchedule and NoExecute taints tolerated, so a tainted zone drops out as a domain),
// the bound pods of the pod's namespace that the selector matches (labelSelector
// with matchLabels and matchExpressions, the pod's own values of matchLabelKeys
// added; a nil selector matches nothing, and an empty one counts no pod but matches
// the pod itself, as upstream's countPodsMatchSelector does), terminating pods left
// out. Upstream's PreFilter and PreScore walk every node's pods at each cycle; here
// each selector (the replicas of a template share theirs) has a tracker of its
// matching pods per node, made by one walk of the scheduler's pod cache when a pod
// first needs it and kept by every change the cache applies, and each key a
// constraint names has its nodes' values interned, rebuilt when nodes come, go or
// change labels: a cycle of such a pod costs a pass over the nodes, not the pods
// (BenchmarkScheduler/own-spread-*: about twice a cycle without constraints at 1,000
// nodes). Pods without constraints pay nothing, and a pod with DoNotSchedule
// constraints bypasses the no-fit cache (its verdicts depend on the other pods). The queue moves
// a pod PodTopologySpread rejected (with hints, from 1.32, isSchedulableAfter…
// of plugin.go): when a bound pod of its namespace that a DoNotSchedule selector
// matches is added or deleted (also a failed binding's assumed pod), when the pod's
// own tolerations change and a DoNotSchedule constraint honors taints, when a node is
// added with every key, gains or loses them, or keeps them with a key's value or its
// taints changed, and, from 1.33, when such a node is deleted (1.31's handler moves
// nothing on a node delete; 1.32 is dated with the hints). Without hints (1.31):
// every such pod on an assigned pod's delete, those of its namespace on an assigned
// pod's add (getUnschedulablePodsWithCrossTopologyTerm), and on node events those
// that pass the pre-check when the event is an add or a label, taint or
// unschedulable-to-schedulable change (the events the plugin registers). A bound
// pod's labels never change in nodesim, so the label-update events are not modelled;
// nor is 1.34's merge of matchLabelKeys into the selector at the pod's creation
// (MatchLabelKeysInPodTopologySpreadSelectorMerge), which differs from merging at each
// cycle only for a pending pod whose label changes (1.37 then selects nothing), and
// nodesim never changes a pending pod's labels. A differential property test
// (TestPropertyOwnSpreadVsUpstream) checks the verdicts and scores against a literal
// transcription of upstream's PreFilter, Filter, PreScore, Score and NormalizeScore
// on random clusters, through changes of pods and nodes and scheduler restarts.
// Settle (a running start) places the replicas of a template with DoNotSchedule
// constraints one at a time, each on the first node of its round that has room and
// passes the filter above given the pods placed so far (settle_spread.go); one that
// no node passes is left Pending, as the scheduler would leave it. Their
// ScheduleAnyway constraints are not scored there: the round-robin spreads them as
// it spreads every ReplicaSet.
//
// Required inter-pod affinity and anti-affinity (interpod.go;
// pkg/scheduler/framework/plugins/interpodaffinity/filtering.go and plugin.go,
// AffinityTerm.Matches and GetNamespacesFromPodAffinityTerm of
// pkg/scheduler/framework/types.go, in 1.37 k8s.io/kube-scheduler/framework, and
// the 1.31 queue's getUnschedulablePodsWithCrossTopologyTerm, of v1.31.0, v1.33.0
// and v1.37.2): affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution
// and affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution filter
// last, after PodTopologySpread, in upstream's order. A node fails "node(s) didn't
// match pod affinity rules" (UnschedulableAndUnresolvable upstream, which only
// preemption reads) when it lacks the topology key of one of the pod's affinity
// terms, or when, for one of them, no pod that matches every affinity term of the
// pod runs on a node with the node's value of that key (a pod counts only when it
// matches all the terms, as upstream's affinity counts); except that while no such
// pod runs on any node that has one of the terms' keys, a pod that itself matches
// all its terms passes every node with all the keys (the first replica of a group
// with affinity to itself). Else it fails "node(s) didn't match pod
// anti-affinity rules" when it has one of the pod's terms' topology key and a pod
// the term matches runs on a node with the same value (a node without the key
// ignores the term), else "node(s) didn't satisfy existing pods anti-affinity
// rules" when a bound pod with a term that matches the pod runs on a node whose
// value of that term's key the node shares: anti-affinity holds both ways, so a pod
// without terms is kept off too. A bound pod's affinity terms filter no other pod:
// upstream reads them only in InterPodAffinity's score, which is modelled for them
// (below). Pods count as upstream's NodeInfo holds them, every
// pod bound to a node of the cache and not terminal, terminating ones included
// (unlike the spread constraints). A term matches a pod when its labelSelector does
// (nil: no pod; {}: every pod) and the pod's namespace is the owner's (no namespaces
// and no namespaceSelector) or listed or matched by namespaceSelector (nil: none;
// {}: every namespace). nodesim has no Namespace objects: a namespace's labels are
// kubernetes.io/metadata.name=<name> only, which the API server sets on every
// namespace, and every namespace of a pod exists, which is what resolving the
// incoming pod's namespaceSelector against the namespace lister
// (mergeAffinityTermNamespacesIfNotEmpty) gives for the pods it can match. The
// counts are kept as pods come and go (a tracker per anti-affinity term, and per
// list of affinity terms, of the pods it matches, per node; a registry of the bound pods with terms, upstream's
// PodsWithRequiredAntiAffinity), so a cycle walks the nodes and those pods, not
// every pod. Pods without terms pay nothing while no bound pod has anti-affinity
// terms; while one has, and for a pod with terms of either kind, the no-fit cache
// is bypassed. The queue (no
// label change of a bound pod happens in nodesim, so the label-update events are
// not modelled): without hints (1.31), every pod InterPodAffinity rejected moves on
// an assigned pod's delete; on an assigned pod's add, the queue's cross-topology
// pre-filter (getUnschedulablePodsWithCrossTopologyTerm) picks the pods with an
// affinity term that matches the added pod (read with its namespace's labels), and
// those PodTopologySpread rejected in its namespace, and moves those of them either
// plugin rejected; on node events, those that pass the pre-check when the event is
// an add or a label, taint or unschedulable-to-schedulable change. With hints (from
// 1.32): an assigned pod's add queues a pod whose every affinity term matches it
// (none for a pod without affinity terms); its delete queues a pod whose every
// anti-affinity term matches the deleted pod (1.33: a pod without such terms is
// never queued, and waits for the 5-minute flush), and from 1.36 a pod one of whose
// anti-affinity terms matches it or that one of its terms matches
// (SchedulerConfig.AntiAffinityDeleteHint; kubernetes#135325 dated by its merge, 1.34
// to 1.36 not read); a node added queues a pod with anti-affinity terms, or with an
// affinity term whose key the node has; a node updated, a pod one of whose
// anti-affinity terms' key the node lost or changed the value of, or one of whose
// affinity terms' key the node gained or changed the value of; the hints match
// terms with no namespace labels, so a non-empty namespaceSelector there reads none.
// A term's matchLabelKeys and mismatchLabelKeys (MatchLabelKeysInPodAffinity, on
// in every modelled version: beta in 1.31 and 1.32, GA and locked from 1.33) are
// merged into its labelSelector by the API server when the pod is created, "key In
// (value)" and "key NotIn (value)" with the pod's own values (apiserver's pod
// admission; pkg/registry/core/pod/strategy.go mutatePodAffinity, v1.31.0 to
// v1.37.2 alike); the scheduler, as upstream's (framework/types.go newAffinityTerm
// reads labelSelector alone), sees only the merged selector, in its filter, score,
// groups of bound pods and queueing hints alike. The replicas of a ReplicaSet share
// one merged spec (the API server remembers its merges), so they still form one
// group, and replicas of another template (another pod-template-hash) another.
// InterPodAffinity's score (scoring.go, weight 2; 1.31, 1.33 and 1.37 alike but
// for 1.31's PreScore skipping an empty node list, which a scored cycle never has)
// is modelled whole, with the plugin's defaults (hardPodAffinityWeight 1,
// IgnorePreferredTermsOfExistingPods false, neither configurable here). Every
// bound pod (terminating ones included) adds to every node with its own node's
// value of a term's key: the weight of each of the pending pod's preferred
// affinity terms that match it (read with its own namespace), minus that of each
// preferred anti-affinity term; hardPodAffinityWeight (1) for each of its required
// affinity terms that matches the pending pod (read with the pending pod's
// namespace labels), and the weight of each of its preferred affinity terms that
// match the pending pod, minus that of each preferred anti-affinity term (a new
// cache pod is drawn to the zone of the web replicas that need it). The scored
// nodes' sums, negative ones included, are mapped onto 0–100 between the lowest
// and the highest, truncated (NormalizeScore; all 0 when they are equal). Nothing
// is scored for a pod without preferred terms while no bound pod has required
// affinity or preferred terms (PreScore's skip; a pod then pays nothing), and a
// cycle matches the bound pods' terms per group of pods with the same namespace
// and terms (prefAffPods, prefAntiPods), the pending pod's own terms through the
// trackers the filter uses (interScores). Settle's round-robin does not score:
// replicas of a template with preferred terms are left Pending for the scheduler
// as those with required ones (settle_anti.go); bound pods' terms that match a
// template's pods do not hold its replicas back. Deliberately not
// modelled: 1.37's InterPodAffinityHostnameFastPath (alpha, off by default), which
// checks a kubernetes.io/hostname term against the pods of the node itself rather
// than of every node with the same hostname label value (the two differ only when
// nodes share a value); 1.37's InPlacePodVerticalScalingSchedulerPreemption skip
// (alpha, off); the PreFilter extensions preemption uses (AddPod, RemovePod) and
// nominated pods; the hints' NominatedNodeName clause; a pending pod's own label
// change (1.37's TargetPod/UpdatePodLabel hint) and a bound pod's label change,
// which nothing in nodesim makes; Namespace objects (see above). DaemonSet pods are
// bound by nodesim's DaemonSet controller itself, so InterPodAffinity never filters
// them (upstream's scheduler binds them, and would keep one whose terms a node
// breaks Pending); their anti-affinity terms do keep other pods off. Settle (a
// running start) does not place replicas of a template with required affinity or
// anti-affinity terms, nor those an anti-affinity term of a pod bound
// before the start or of a DaemonSet's pods matches: they are restored Pending and
// the scheduler places them as the run starts (settle_anti.go); DaemonSet pods are
// placed on every node they should run on, terms or not. The delete hint's change
// (AntiAffinityDeleteHint) is dated by its merge: 1.34 and 1.35 were not read. A
// differential property test (TestPropertyAntiVsUpstream) checks the verdicts,
// affinity and anti-affinity, and the score, preferred terms of both kinds on the
// pending pod and on bound pods included, against a literal transcription of
// upstream's PreFilter, Filter, PreScore, Score and NormalizeScore on random
// clusters through changes.
//
// Scheduler simplifications: no preemption (upstream appends "preemption: …" to
// the FailedScheduling message; this package does not), and only the scores named
// above run. Left out: ImageLocality, which
// upstream scores by the images a node already has (nodesim's nodes report none: at
// most ≈17 for a 190 MB image every node has). A cycle happens at one instant at the
// end of its SchedulingLatency, so no event arrives while a pod
// is in flight (upstream requeues a pod whose in-flight events a hint accepts, and
// in 1.31 one whose cycle saw any move request). The active queue orders pods by
// priority, then by when they entered it, not by upstream's timestamp of their last
// failure. The tickers' phase is the scheduler's start (1.31, 1.32) or the
// scenario's start taken as a whole second (1.33+); a real cluster's is arbitrary,
// so a real pod may leave the backoff queue up to a second apart from nodesim's.
// A FailedScheduling record is written when the message for a pod changes, not on
// every retry (Kubernetes events aggregate repeated messages the same way), and a
// pod with no node at all reports "no nodes available to schedule pods" as
// Unschedulable (upstream's reason is SchedulerError).
//
// Cost: a cluster event looks at every pod in the unschedulable pool whose
// rejecting plugins registered it (none at all when no pod in the pool was
// rejected by such a plugin: a count per plugin is kept), with a hint (or 1.31's
// pre-check) of a few comparisons each, and sorts only the pods it moves; a pod
// moved is tried again, and a pod that fits nowhere is filtered against every
// node, twice (the cycle and its message). The 5-minute flush retries each waiting
// pod about every 5 minutes whatever happens, as upstream does. The
// scheduler keeps the verdict of the last cycle that found no node, with a version
// that counts every change to what the filters read of the nodes (a node added,
// changed or deleted, a pod counted on one): a pod with the same filter inputs
// (tolerations, node selector, required affinity, requests: the replicas of one
// template) at the same version fits nowhere for the same reasons, and its cycle
// reuses the message. Each node keeps its verdict, and the verdicts' histogram of
// reasons is kept up to date: after a change, such a pod is filtered against the
// nodes changed since, not all of them. If one of those fits, the cycle runs in
// full; if none does, the verdict is the full cycle's, which with no feasible node
// filters every node, leaves its next start index where it was, and counts reasons
// whatever the nodes' order. A thousand replicas that fit nowhere for a day on 10k
// nodes then cost a node's filter per cluster change, not 20k
// (TestPropertyNoFitShortcut checks the trace is the same without the cache).
//
// SchedulingLatency defaults to 10 ms, nodesim's figure for a cycle plus the
// binding call on a small cluster (kube-scheduler's own latency metrics are in
// the milliseconds); it is not an upstream setting.
//
// # Starting out running
//
// A scenario may start from a cluster that has been running for a while instead of
// booting it. The Nodes, Leases and the user's objects are then restored straight
// into the store (apiserver Kind.Restore: no admission, no trace), and Settle adds
// what the ReplicaSet, Deployment and DaemonSet controllers and the scheduler would
// have left behind, created at SettleConfig.Since (before time zero), so that their
// first syncs after Start find nothing to create, delete or write:
//
//   - each Deployment's current ReplicaSet, as the Deployment controller creates it
//     (newReplicaSet: "<deployment>-<pod-template-hash>", the label, the selector,
//     the template, the owner reference, the replicas), unless one of that name
//     exists;
//   - one pod per node of each DaemonSet where NodeShouldRunDaemonPod says it
//     should run, built as the DaemonSet controller builds it (DaemonSet
//     tolerations, spec.nodeName);
//   - each ReplicaSet's replicas, stamped by podFromTemplate with generated names
//     (drawn from SettleConfig.Rand, checked against the names in use) and admitted
//     as the API server admits them (the pod Admit hook, run once per template);
//   - pods Running, with the conditions the scheduler's bind and the kubelet write
//     (PodScheduled, Initialized, ContainersReady, Ready; a DaemonSet pod has no bind
//     and gets PodScheduled last, as from the kubelet), all True since Since;
//   - statuses as the controllers write them: ReplicaSet replicas, readyReplicas and
//     availableReplicas (available when Since in whole seconds plus minReadySeconds
//     is reached, as availableAt and reached decide; otherwise the ReplicaSet
//     controller writes it when it looks again, per version), Deployment
//     readyReplicas and availableReplicas (the sums over its ReplicaSets),
//     DaemonSet desiredNumberScheduled and numberReady. ObservedGeneration is not
//     written by these controllers and stays as restored.
//
// Placement is the state the scheduler converges to (LeastAllocated and the default
// topology spread both even a ReplicaSet's pods out over nodes and zones), computed in
// O(pods + nodes) rather than by running it: a ReplicaSet's pods go round-robin over
// the nodes in the order upstream's scheduler cache lists them (node_tree.go: one
// node of each zone in turn, zones in order of first appearance, nodes of a zone in
// name order), each to the next node that passes filterNode: unschedulable,
// taints and tolerations, nodeSelector and required node affinity, then
// NodeResourcesFit against the DaemonSet pods, bound bare pods and pods already
// placed there, and allocatable pods. Nodes are taken in tiers of their static
// score, highest first: TaintToleration's (weight 3; nodes with untolerated
// PreferNoSchedule taints come last, fewest first) plus, for a pod with preferred
// node affinity, NodeAffinity's (weight 2). Those outweigh LeastAllocated's, so the
// scheduler turns to a lower tier only when the higher ones are full.
// The static filters are evaluated once per distinct set of scheduling
// constraints; ReplicaSets with the same constraints continue from where the
// previous one stopped, so while no node is full their pods per node differ by at
// most one, and a small Deployment lands one pod per zone.
// Within a ReplicaSet a node that does not fit one pod fits none of the later ones
// (same requests, nodes only fill up), so it is dropped from that ReplicaSet's
// round. A pod that fits nowhere is stored Pending and unbound, as a booted
// cluster leaves it; the scheduler reports FailedScheduling at its first cycle.
// Bare pods that are already bound count against their node; unbound bare pods are
// left to the scheduler, which binds them in its first cycles (with the usual
// PodScheduled trace records). What this does not reproduce of a scheduled history:
// per-node scores (a node's share follows from the round-robin, not from its
// capacity or from the requests of what already runs there), and the scheduler's
// tie-breaking. Pods of one template share their labels, tolerations,
// selector, affinity, owner references and conditions, and are allocated in slabs
// (settleSlab: 256 pods, the whole pages they fill; a ReplicaSet of at least that many
// replicas gets a block of its own): stored objects are never mutated, so sharing is
// safe, and a slab is freed when its last pod is.
//
// # Upstream files followed
//
//   - pkg/controller/replicaset/replica_set.go
//   - pkg/controller/controller_utils.go (IsPodActive, FilterActivePods,
//     ActivePodsWithRanks, ControllerExpectations)
//   - pkg/controller/deployment/sync.go, util/deployment_util.go (replica control,
//     pod-template-hash)
//   - pkg/controller/daemon/daemon_controller.go, util/daemonset_util.go
//   - pkg/controller/disruption/disruption.go
//   - pkg/scheduler/framework/plugins/podtopologyspread (scoring.go, common.go,
//     plugin.go: systemDefaultConstraints), plugins/helper/spread.go
//     (DefaultSelector), schedule_one.go (selectHost, prioritizeNodes)
//   - pkg/scheduler/framework/plugins/{nodeunschedulable,tainttoleration,
//     nodeaffinity,noderesources} (Filter, EventsToRegister, the
//     isSchedulableAfter… QueueingHintFns), pkg/scheduler/framework/types.go
//     (FitError), framework/events.go (NodeSchedulingPropertiesChange,
//     PodSchedulingPropertiesChange)
//   - the scheduling queue: pkg/scheduler/internal/queue/scheduling_queue.go (1.31:
//     Run, isPodWorthRequeuing, addUnschedulableWithoutQueueingHint,
//     flushBackoffQCompleted, flushUnschedulablePodsLeftover,
//     movePodsToActiveOrBackoffQueue), pkg/scheduler/backend/queue/
//     {scheduling_queue,active_queue,backoff_queue}.go (1.33, 1.37:
//     AddUnschedulableIfNotPresent, requeuePodViaQueueingHint, Update,
//     activeQueue.unlockedPop, backoffQueue.alignToWindow, getBackoffTime,
//     waitUntilAlignedWithOrderingWindow); pkg/scheduler/eventhandlers.go
//     (addNodeToCache, updateNodeInCache, deletePodFromCache, preCheckForNode);
//     pkg/scheduler/scheduler.go (buildQueueingHintMap); feature gates in
//     pkg/features/kube_features.go (SchedulerQueueingHints, SchedulerPopFromBackoffQ)
//   - staging/src/k8s.io/apimachinery/pkg/util/intstr (GetScaledValueFromIntOrPercent)
package workload
