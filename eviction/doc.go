// Package eviction removes pods from nodes the way a cluster does: the taint eviction
// controller (NoExecute taints), the pod garbage collector (pods of deleted nodes,
// terminating pods on out-of-service nodes, terminated pods over a threshold) and
// kubectl drain / cordon / uncordon.
//
// Every component talks to the cluster only through the simulated API server: it
// reads through informers and writes through its own *apiserver.Client, so faults
// attached to that client (partition, latency) and API-server outages apply to it.
// Controllers are built stopped (NewTaintEvictionController, NewPodGC), started with
// Start and stopped with Stop, which cancels every timer they own; a new
// controller-manager leader builds fresh instances, which start with empty memory.
//
// # Taint eviction controller
//
// Followed: pkg/controller/tainteviction/taint_eviction.go and timed_workers.go
// (docs/upstream-semantics.md §5).
//
// The node informer queues a node whenever its list of NoExecute taints changes
// (compared field by field, in order, including value and timeAdded); the pod
// informer queues a pod when it is added or deleted or when its tolerations or node
// name change. Queued items are processed as the next engine event after the informer
// delivered them (in reality the workers take milliseconds), nodes before pods, as
// upstream's workers prefer node updates. That processing instant is the "now" of the
// decision, not the taint's timeAdded.
//
// Decision per pod (processPodOnNode): for each NoExecute taint of the node the first
// toleration, in pod-spec order, that tolerates it (taint.AppendMatchingTolerations,
// with the TaintTolerationComparisonOperators gate from
// TaintEvictionConfig.ComparisonOperators). Some taint untolerated: any scheduled
// eviction is cancelled and the pod is deleted now. Otherwise the minimum
// tolerationSeconds over the tolerations used (taint.MinTolerationTime): nil is
// forever (cancel any scheduled eviction), ≤ 0 is now. A fire time past the last
// representable instant (tolerationSeconds of some 292 years) saturates: the eviction
// stays scheduled but never fires, as upstream's timer would fire only after 292
// years, and it holds back no other eviction. A pod that already has a
// scheduled eviction keeps it unchanged: a running timer is never moved, earlier or
// later, only cancelled (taints gone, pod gone, tolerated forever) or replaced by an
// immediate deletion (an untolerated taint).
//
// Upstream replaces an existing timer only when it was created at the very instant of
// the new decision (it compares createdAt+min with now+min), which a real nanosecond
// clock never repeats across two decisions. In virtual time two decisions can share
// an instant; nodesim keeps the existing timer then too, which is what a real cluster
// shows.
//
// What happens to a pod's key once its eviction ran depends on the version
// (TaintEvictionConfig.Version; timed_workers.go getWrappedWorkerFunc). Up to 1.32
// (v1.31.0) a successful eviction stays recorded (the TimedWorkerQueue keeps the key
// with a nil worker, even when the work was cancelled while it ran), so a tolerated
// update does not delete the pod twice; cancelling drops it silently, and an
// untolerated taint cancels and deletes again. From 1.33 (v1.33.0, v1.37.2) the key is
// deleted once the worker returns, so a pod still Terminating (its kubelet is dead)
// gets a fresh timer at the next tolerated NoExecute change of its node (the
// unreachable ↔ not-ready swap, say) and is evicted, with its event, again. Failure
// drops the key in every version. One difference is kept: upstream's finished worker
// writes the key whatever it holds then, so an older work item finishing after a newer
// one was added for the same pod (both at one instant) overwrites it; nodesim's leaves
// the newer one.
//
// Work due at once (an untolerated taint, tolerationSeconds ≤ 0) is, upstream, a
// goroutine started by createWorker with a nil worker in the queue: CancelWork can
// neither stop it nor report it (it returns false for a nil worker), so cancelling
// such work records no event and the eviction goes ahead (timed_workers.go createWorker
// and CancelWork, v1.31.0–v1.37.2).
//
// An eviction (deletePodHandler) records the Kubernetes event TaintManagerEviction
// "Marking for deletion Pod ns/name", then tries up to DeletionRetries (5) times,
// DeletionRetryInterval (10 ms) apart (after the failed request's own duration): GET
// the pod, PATCH its status with DisruptionTarget=True reason DeletionByTaintManager
// "Taint manager: deleting due to NoExecute taint" (only if not already so), then a
// DELETE with empty options, so the pod's terminationGracePeriodSeconds applies: the
// pod becomes Terminating and stays so until a kubelet confirms, PodGC force-deletes
// it, or forever. On success it records PodEvicted (reason TaintManagerEviction),
// after the API server's record of the DELETE. Cancelling a scheduled eviction that
// has a timer records the event "Cancelling deletion of Pod ns/name". A deleted Node only drops the controller's record of its taints; its pods'
// timers keep running (§1.4). Pending evictions are kept in one heap behind one engine
// timer, so scheduling and cancelling cost O(log n) and no engine event per pod.
//
// The controller has its own clientset (kube-controller-manager builds one per
// controller; this one with the node-controller's credentials), limited to
// TaintEvictionConfig.RateLimit: --kube-api-qps 20 after a burst of --kube-api-burst
// 30 by default (package flowcontrol). Each request of an eviction (the GET, the
// status PATCH when the condition is missing, the DELETE, each retry's too) waits for
// a token, and so does each Event the controller writes ("Marking for deletion",
// "Cancelling deletion"), through the event recorder's writer, which sends one Event
// per round trip. When the bucket holds four tokens for every eviction due at an instant,
// each runs to its end at once, one after the other, as without a limiter. When it
// does not, the evictions go as upstream's goroutines do, whose requests take
// milliseconds while starting them takes microseconds: every request is sent by an
// engine event at its token's instant and answered after the requests the other
// evictions made at that instant, so all the GETs reserve their tokens first, then
// the PATCHes, then the DELETEs, in the order the evictions fired. 30 pods of a node,
// 120 tokens, are evicted from 1.7 s to 3.15 s after they fall due, about one each
// 50 ms (TestEvictionsPacedByClientRateLimit; a model of upstream's goroutines with
// millisecond round trips gives 1.65–3.15 s), and the "Cancelling deletion" Events of
// a node that recovers hold back the evictions due while they are written
// (TestCancelEventsShareTheBucket). A scheduled eviction's pod is read by the GET
// when its token comes, not when it fired; its status PATCH carries that GET's uid as
// a precondition (PatchPodStatus), so a pod recreated under the name meanwhile fails
// it and the next attempt deletes the new pod, as upstream's retry does
// (TestWaitingPatchHasUIDPrecondition); a cancellation while its requests wait stops
// nothing (upstream's goroutine has started), as before. The event correlator's spam
// filter counts a pod's Events by namespace/name (the controller's reference carries
// no UID): 25, then one per 5 minutes, so a node whose NoExecute taint flaps writes
// fewer "Cancelling deletion" Events than the trace records
// (TestTaintEvictionEventsSpamFiltered). Not modelled: the correlator's PATCH of a
// repeated Event (one request, two when the first Event has expired after the API
// server's --event-ttl of 1 h). Informers read
// through kube-controller-manager's shared-informer client, which is not limited
// here. A controller that stays within its burst behaves exactly as it did without
// a limiter: nothing is scheduled for a request that finds its token.
//
// # Pod garbage collector
//
// Followed: pkg/controller/podgc/gc_controller.go and config/v1alpha1/defaults.go
// (docs/upstream-semantics.md §7).
//
// A sliding loop of GCCheckPeriod (20 s) whose first pass runs at Start; a pass's
// modelled duration is the time its requests took (zero unless the client is slow or
// cut off): the terminated and out-of-service parts as long as their slowest request
// (a goroutine per pod), the orphan and unscheduled parts the sum of theirs (one
// after the other). Each pass, in upstream's order:
//
//   - terminated pods (phase Succeeded or Failed) above TerminatedPodGCThreshold
//     (12500; ≤ 0 disables) are force-deleted, evicted ones (Failed, reason Evicted)
//     first, then the oldest, then by name (and namespace, so the order is total).
//     "Oldest" compares whole seconds of creation, as upstream's
//     byEvictionAndCreationTimestamp does in every version: it compares metav1.Time
//     values, which reach a controller without nanoseconds (apimachinery meta/v1
//     time_proto.go ProtoTime; the JSON form is RFC 3339 seconds). Scenario time 0 is
//     taken to be a whole second, so pods created at 1.2 s and 1.7 s tie and go by
//     name. The same order sorts the out-of-service and unscheduled passes;
//   - pods with a deletion timestamp on a node that is not Ready and carries any taint
//     with key node.kubernetes.io/out-of-service are marked Failed and force-deleted;
//   - orphans: a node name that pods refer to but the node cache lacks enters a
//     delaying queue for QuarantineTime (40 s; adding it again does not extend the
//     wait). In the first pass after the wait, if the cache still lacks it, a live GET
//     decides: NotFound ⇒ every pod of that node is PATCHed to phase Failed with
//     DisruptionTarget=True DeletionByPodGC "PodGC: node no longer exists" (if not
//     terminal) and force-deleted (grace 0); any other error ⇒ the name is dropped and
//     re-queued for a fresh quarantine, as upstream's queue does. So a Node deleted at
//     D loses its pods 40–60 s later;
//   - terminating pods with no node are force-deleted.
//
// Every deletion is recorded as PodEvicted with reason PodGC, after the API server's
// PodDeleted record of the same instant: the record is written only once the DELETE
// succeeded, as the taint eviction controller's and drain's are, so a pass whose
// requests fail (API server down) records nothing. A pass costs what there is to collect, not the number of pods: the
// informers' handlers keep the sets of terminating pods (and of those bound to no
// node), terminal pods and node names missing from the cache, and the number of nodes
// with the out-of-service taint, and a pass visits only those. Pods stuck terminating
// on nodes that are down (their kubelet never confirms) are visited only while some
// node carries the out-of-service taint: a zone down for a day, 10k such pods, no
// longer costs a walk of all of them every 20 s.
//
// Pod GC has its own clientset too, limited to PodGCConfig.RateLimit (20 and 30 by
// default). A pass whose requests all find a token runs as above, at its start. One
// that may need more (a PATCH and a DELETE per pod it may collect, a GET per node
// whose quarantine is over) runs over time, each request at its token's instant and
// each next step after its answer: its four parts one after the other, as gc() calls
// them; terminated and out-of-service pods a goroutine each, so all their PATCHes
// reserve tokens before the DELETEs; orphans and unscheduled pods one by one, after
// every GET. The next pass starts GCCheckPeriod after its last answer (the loop is
// sliding). A node group of 100 pods deleted: 201 requests, 14 pods at once and the
// last 8.55 s later (TestPodGCOrphansPacedByClientRateLimit); 40 pods on an
// out-of-service node: 0.55–2.5 s (TestPodGCOutOfServicePacedInRounds). Pod GC writes
// no Events. Such a pass lists pods and nodes at its start, as gc() does: the
// out-of-service part reads each pod's node when it starts (gcTerminating's lister
// Get, after gcTerminated's goroutines are done), and the orphan part moves the
// quarantine on when it starts, with the nodes missing from the pass's list (a node
// deleted meanwhile waits for the next pass), and takes the pods of a node its GET
// finds gone at that answer, where upstream takes those of its list: they differ only
// for a pod bound to a missing node's name meanwhile. A QuarantineTime of 0 or less
// makes a missing node's GET come in the pass that finds it (AddAfter adds at once).
//
// # Drain, cordon, uncordon
//
// Followed: staging/src/k8s.io/kubectl/pkg/drain/drain.go and cordon.go,
// staging/src/k8s.io/kubectl/pkg/cmd/drain/drain.go.
//
// Not modelled: kubectl starts its timeout after cordon, list and discovery and
// notices it only at its 1 s poll, so its DrainFinished can come up to a second
// later than nodesim's, which ends the drain exactly at the deadline; and with
// DisableEviction one failed DELETE ends kubectl's drain, where nodesim fails that
// pod only. (Pod GC, likewise, adds up its requests' latencies into the pass, where
// upstream's deletes run in parallel: this shows only with slow clients.)
//
// Cordon and Uncordon set spec.unschedulable (no write if it already has that value).
// Drain drains one node; kubectl drain of several nodes (the scenario action with a
// set of nodes) cordons them all, then runs one Drain after the other (RunDrain).
// Drain behaves like kubectl drain --ignore-daemonsets --delete-emptydir-data
// --force: it records DrainStarted, cordons, LISTs the node's pods and runs
// kubectl's filters in kubectl's order (staging/src/k8s.io/kubectl/pkg/drain/filters.go
// makeFilters). daemonSetFilter: a pod controlled by a DaemonSet that has finished
// (Succeeded or Failed) is deleted whatever its owner; otherwise the DaemonSet is
// read (a GET): gone (NotFound) makes the pod an orphan that --force deletes; there,
// the pod is skipped (--ignore-daemonsets); any other error is the pod's error, and
// pods in error end the drain (Error, "cannot delete <error>: ns/name") before any
// eviction, as GetPodsForDeletion's errors do. mirrorPodFilter then skips mirror
// pods (annotation kubernetes.io/config.mirror). For every other pod, all at once
// as kubectl's goroutines do, it runs kubectl's
// loop: evict through the eviction API (Server.Evict, or a DELETE with
// DisableEviction) with --grace-period (DrainOptions.GracePeriodSeconds); success
// records PodEvicted (reason Drain) and starts polling every second (GET: gone when
// NotFound or another UID); 429 records EvictionRefused (pod, node, message) and
// retries after 5 s; NotFound counts as done; any other error fails that pod. Pods
// already terminating are evicted too (the eviction API deletes them without asking
// budgets) and waited for. With a Timeout, a pod waiting for its deletion fails at
// the deadline, and a pod sleeping after a 429 fails when it wakes (kubectl's 5 s sleep
// is not interruptible), so a drain blocked by a budget ends at the first retry at or
// after the deadline. When every pod has finished, DrainFinished records the outcome:
// Drained, Timeout (the error wraps ErrDrainTimeout) or Error (with the error text),
// and onDone is called with the joined errors.
//
// Trace kinds written by this package: PodEvicted (pod, node, reason), Event (object,
// reason, message), DrainStarted (node), EvictionRefused (pod, node, message),
// DrainFinished (node, outcome[, error]).
package eviction
