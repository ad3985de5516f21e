// Package lease is the kubelet's node-lease controller: it creates the node's Lease in
// kube-node-lease and renews it, the 10 s heartbeat the node lifecycle controller
// watches. (Leader election over a Lease lives in lease/leaderelection.)
//
// # Model
//
// A Controller is driven by the engine, one step per event. Its loop has
// wait.JitterUntil's semantics, as sim.Loop does: the first sync runs at Start, each
// wait is renewInterval·(1+U[0,1)·0.04) taken at the start of a sync from the
// controller's own sim.JitterCycle (keyed by one draw of the sim.Rand given to New; the
// waits repeat every sim.CycleLen = 64 renewals, about 11 minutes, which only a verbose
// trace's LeaseRenewed records show and which lets lazy mode skip whole cycles), and the
// loop is
// sliding (the wait starts when the sync ends). The loop is stepped by hand rather than with sim.Loop because one sync
// spans virtual time: a partitioned request fails only after the client's timeout
// (apiserver.Took), and backoffEnsureLease sleeps between attempts while blocking the
// loop.
//
// One sync, as upstream:
//
//   - Fast path, when a lease is cached: UPDATE the cached copy with renewTime = now,
//     up to MaxUpdateRetries (5) attempts back to back (each after the previous one's
//     request time). A Conflict re-fetches through backoffEnsureLease and goes on with
//     the next attempt; any other failure on attempts 1–4 calls
//     OnRepeatedHeartbeatFailure. After five failures: "failed to update lease using
//     latest lease, fallback to ensure lease".
//   - Slow path (backoffEnsureLease): GET; if NotFound build a new Lease and CREATE it.
//     Any error sleeps 200 ms, 400 ms, … doubling up to MaxBackoff (7 s) and tries
//     again, forever: the loop is blocked, so after an API-server outage the Lease is
//     renewed within 7 s (plus the request time) of the server coming back. A just
//     created Lease is not updated again; an existing one gets one retryUpdateLease.
//   - Owner reference (pkg/kubelet/util/nodelease.go SetNodeOwnerFunc): a Lease with
//     no owner reference gets one to its Node (Kind Node, the Node's UID from a GET).
//     If that GET fails while creating, the create is skipped for this sync (no error,
//     no backoff); while updating, the attempt is skipped (the newer upstream
//     behaviour, "Failed to prepare lease").
//
// The API server emits the quiet LeaseRenewed record on each write; the controller
// reports its log lines through Config.Log (the kubelet renders them in klog format).
//
// # Decisions where upstream was open (docs/upstream-semantics.md §11 Q3)
//
// When the Node is deleted while the kubelet runs, the API server's garbage collector
// deletes the Lease (its owner reference names the Node's UID). The controller's next
// UPDATE fails NotFound five times, ensure-lease finds no Lease, and the owner-reference
// GET of the Node fails, so the create is skipped. (Upstream's PUT carries the cached
// Lease's UID as a precondition, which a missing Lease fails with 409 Conflict, not
// NotFound, so retryUpdateLease goes back to ensure-lease at once and its later
// attempts log "Failed to prepare lease" without an UPDATE: the requests and log lines
// differ, not the outcome. Not modelled; a review found it in session 15.) No Lease exists until a Node of that
// name exists again (in practice: until the kubelet restarts and re-registers). This
// follows the code of controller.go and nodelease.go; upstream issue #116485 reports a
// kubelet that kept renewing, which the code read does not allow — a Lease is only
// created with an owner reference, so it cannot outlive its Node's GC. After a
// re-registration the new Lease carries the new Node's UID.
//
// Every renewal writes spec.leaseDurationSeconds. component-helpers v0.37.2 does so;
// v0.31.0 and v0.33.0 set it only when they create the Lease
// (docs/upstream-semantics.md §3.1). The two differ only if the duration changes while
// the kubelet runs, which no scenario can make happen.
//
// # Lazy mode
//
// With Config.WantSteady returning true, a fast-path renewal is written with
// Steady = true; once it succeeds the controller schedules nothing and renews
// virtually on the schedule exact mode would follow. Unsteady walks that schedule to
// now (taking the same waits, in the same order, as the exact loop; whole cycles of 64
// are skipped by their sum, so a lease steady for 30 days costs no more than one steady
// for an hour), writes the Lease with the last virtual renewTime strictly before now
// and Steady = false, and
// resumes the loop at the next renewal. A virtual renewal due exactly now is left to the
// resumed loop, so it runs after whatever the caller does next (as a fault event
// scheduled before the loop's timer would, in exact mode).
//
// # Behind a partition or an outage
//
// With Config.LazyFailures (lazy mode) and jitter on, a loop stuck in
// backoffEnsureLease whose GET failed behind a partition or in an outage (nothing
// logged) schedules nothing more: every later GET fails too, until what the client
// meets changes. CatchUp, called by the client's BeforeChange hook (a partition starts
// or heals, an outage starts or ends) and by the kubelet before any fault, replays the
// attempts exact mode made before now (an answer after the client's timeout, or at
// once in an outage, then the doubled sleep; whole rounds at the 7 s cap are skipped
// by arithmetic) and schedules the step exact mode has pending: the next GET, or the
// answer of one sent before now, which still fails.
//
// # Upstream files followed
//
//   - staging/src/k8s.io/component-helpers/apimachinery/lease/controller.go
//     (sync, backoffEnsureLease, ensureLease, retryUpdateLease, newLease)
//   - pkg/kubelet/util/nodelease.go (SetNodeOwnerFunc)
//   - pkg/kubelet/kubelet.go (nodeLeaseRenewIntervalFraction, the heartbeat client)
//   - pkg/kubelet/apis/config/v1beta1/defaults.go (nodeLeaseDurationSeconds = 40)
package lease
