// Package apiserver is the simulated kube-apiserver: the only way nodesim's
// components talk to each other, as in a real cluster.
//
// # Model
//
// Objects (Node, Lease, Pod, ReplicaSet, Deployment, DaemonSet, PodDisruptionBudget)
// are lean structs of this package, not k8s.io/api types. Each kind is a Kind[T]: a
// store keyed by "namespace/name" with a global resourceVersion counter (etcd's
// revision), create / get / list / update (with the resourceVersion precondition, so a
// stale update gets Conflict) / patch (no precondition, like a strategic-merge patch of
// status) / delete, and watches. Errors carry upstream's reasons and messages
// (NotFound, AlreadyExists, Conflict, TooManyRequests).
//
// Stored objects are immutable: a write stores a new copy. Watch notifications are
// delivered as engine events after the watcher's latency, in change order (a watch
// keeps one timer for its oldest notification, each in the place it reserved in the
// engine's order when it was sent: sim.Engine.Reserve; the notifications wait in
// chunks that the kind's watches share, so that a burst of 100k writes is neither
// copied nor reallocated as it queues); an Informer
// is a client-side cache fed by a watch, which is what controllers read, and so it can
// lag the server exactly as a real informer lags behind a slow watch.
//
// What costs memory per object is kept once: an informer over a whole kind holds no
// copy of the store but the versions it has not been delivered yet (the store tells its
// informers of each change before making it, and each such entry counts the changes
// still in flight, so that a delivery knows without a lookup when the informer has
// caught up; the entries live in a table of their own, in the order made, which is
// nearly the order delivered); a pod's status write (PATCH, UPDATE)
// stores a copy sharing the previous version's labels, owner references and spec
// (Pod.StatusCopy; a ReplicaSet's, Deployment's or DaemonSet's write shares all its
// maps, slices and template with the previous version: ReplicaSet.StatusCopy; a Node's
// status write through PatchStatus or UpdateStatusFrom, as the kubelet's and the node
// lifecycle controller's are, shares its labels, annotations and owner references), and
// the pods stamped from one template share one PodSpec and the template's labels. Callers
// must therefore never write into a map or slice of an object they were given, nor set
// a pod's spec field (it writes through the shared *PodSpec): Pod.EditSpec copies it.
// A condition's type and status (NodeConditionType, PodConditionType, ConditionStatus)
// are two-byte enums that print and encode as upstream spells them: a node's four
// conditions take 224 bytes and a pod's status copy with its four 416, not 320 and 512.
//
// Labels are not a map but an immutable Labels, which every copy of an object and every
// replica of a template share: a sorted base, itself shared, and at most one value that
// replaces the base's (32 bytes). A fleet of 100k nodes differs only in
// kubernetes.io/hostname; the kubelet interns its Node's labels with the server
// (Server.InternLabels: one base per distinct set of the other labels, held by the
// Server, so that worlds run in parallel share nothing mutable), and a node's labels
// cost 32 bytes where a map of seven cost ≈ 336. Reads (Get, Lookup, Has, All in key
// order) allocate nothing; With and Without return a new set.
//
// The store indexes its objects by key in its own open-addressing table (8-byte slots
// holding a 32-bit hash and an index into a dense slice of objects: ≈ 19 bytes per
// object where a Go map took ≈ 40–47); walks of it follow the dense slice, whose order
// is fixed by the sequence of writes and never by the hash seed. Work nobody may ask
// for is deferred: an informer's index is built at its first query, and a watch index
// (a field selector) lists its values' keys only when a selected informer first lists.
// An informer index named like a watch index (IndexNodeName) is built from that
// index's lists: 300k pods are walked once for the kubelets and the controllers.
// Informer.Range and Kind.Range walk in the store's memory order for passes whose result
// cannot depend on the order; walks in key order try the next object in memory before
// probing, so that objects stored in key order (a running start lays out large
// ReplicaSets so) are read in sequence. Restored objects' keys are cut from a per-kind
// arena.
//
// Kind.Restore stores an object that existed before time zero (a cluster that starts
// out running): no admission, no trace. Server.RestoreNodeLease restores a steady
// kubelet's Lease deferred: while nothing watches the Leases (a running start restores
// them before any component starts), the Leases' table holds the zero *Lease at the
// Lease's place, a pending bit, and a 40-byte record (steadyLease: renew time, the
// Node's UID, the UID and resourceVersion taken at the restore, the duration, and the
// key, already in the key arena, whence namespace, name and holder), where a built
// Lease and its owner reference take 224 bytes. The table builds the Lease at its first
// read and stores it as any object, so it is the same pointer ever after: every read
// of a stored object — Peek, Get, List, Each, Range, an informer's reads and its
// lists, the reads of the old version behind Update, Patch and Delete — goes through
// objTable.obj, and every comparison of a slot's key through objTable.keyOf, which
// reads the record's key without building; a presence check (has) builds nothing. A
// write over the slot, or a delete, clears the bit; the records go when the last bit
// does. The node lifecycle controller's initial list reads the records without building
// (EachLeaseSummary: a Lease's name, resourceVersion, renew time and Steady, from the
// record or the object, as the informer's view holds it), and a process that exits
// discards its informers (Informers.Discard) where Stop would copy, and build, them
// all: a healthy run builds no Lease and holds the records throughout
// (TestHealthyRunningStartBuildsNoLease in package scenario); a run builds the Leases
// of the nodes something concerns (a kubelet built for a fault, a cordon or a pod, a
// stale node's circuit-breaker GET, a deleted Node's garbage collection). Building
// writes nothing the store orders by (no resourceVersion, no UID, no trace record),
// so it may happen at any read without changing a trace. The garbage collector of a deleted Node reads the
// records' owner UIDs and builds only the Lease it deletes. Code that reads the
// table's objs slice directly must go through obj instead: a deferred slot holds nil.
// Exact mode's Leases are never steady and are stored built. Kind.SelectMiss lets the owner of a selected
// watch (a kubelet's own Node and pods) be created on demand when a change for it is
// delivered; Informer.Rewind puts its initial list back to before that change.
//
// # Admission and server-side behaviour
//
//   - TaintNodesByCondition (plugin/pkg/admission/nodetaint): every new Node gets
//     node.kubernetes.io/not-ready:NoSchedule.
//   - DefaultTolerationSeconds (plugin/pkg/admission/defaulttolerationseconds): pods get
//     the not-ready and unreachable NoExecute tolerations for 300 s unless they already
//     tolerate those taints (Config sets the seconds).
//   - Priority: system-node-critical and system-cluster-critical resolve to their
//     fixed priorities.
//   - Graceful deletion (pkg/registry/core/pod/strategy.go): deleting a scheduled,
//     non-terminal pod with a positive grace period only sets its deletion timestamp;
//     the kubelet's final delete removes it. A grace period of 0 (force) removes it.
//   - Garbage collection of a deleted Node's dependents: Leases whose owner reference
//     names the Node's UID are deleted right after it (the kube-node-lease cleanup).
//     Upstream's garbage collector is a kube-controller-manager controller: it runs
//     only while an instance leads, once its caches have synced. nodesim's collects at
//     once whatever the control plane's state, so during an outage of the leader a
//     deleted Node's Lease goes earlier than upstream's.
//   - The eviction subresource (Server.Evict) with PodDisruptionBudgets
//     (pkg/registry/core/pod/storage/eviction.go EvictionREST.Create, v1.31.0 and
//     v1.37.2 alike). A pod that is not Ready goes without using a disruption under
//     the budget's unhealthyPodEvictionPolicy: AlwaysAllow always, IfHealthyBudget (the
//     default) while CurrentHealthy ≥ DesiredHealthy > 0; only then does
//     checkAndDecrement look at DisruptionsAllowed (negative: 403, zero: 429). Every
//     path that deletes, terminating and terminal pods included, first sets
//     DisruptionTarget=True reason EvictionByEvictionAPI (addConditionAndDeletePod).
//
// Deleting a pod already terminating follows rest.BeforeDelete: only a shorter grace
// period changes anything, and it counts from the first request (the deadline moves back
// by the old period and forward by the new one; from 1.32 not into the past, but to now
// with 1 s, Config.ClampPastDeletion); a DELETE without one is pending and changes
// nothing, even for a pod that has turned terminal meanwhile (it stays until a DELETE
// with grace 0); a negative grace period counts as 1 s; a grace period of 0 deletes at
// once. Not modelled: such a delete, and every one that resolves to grace 0, is one
// DELETED event, where upstream first writes the deletion timestamp (a MODIFIED event)
// and then removes the object; a write through a Node's status keeps whatever the
// caller changed of its spec (upstream's status strategy keeps the stored spec; no
// caller changes it); an Update without a resourceVersion is a Conflict (pods and nodes
// allow an unconditional update upstream; no caller sends one); priority admission's rejections (an unknown PriorityClass, a spec.priority that
// disagrees with its class: nodesim has no PriorityClass objects); and, for a watch
// held by a partition longer than the HTTP/2 health check (≈ 45 s), upstream's relist,
// which delivers final states only — nodesim replays every held change at the heal —
// and comes when client-go's reflector next tries, after its backoff (0.8 s doubling
// to 30 s, jittered up to twice that) and a dial that may time out (30 s): a kubelet
// cut off for minutes may see the controller's Unknown, and post Ready=True, tens of
// seconds after the heal (its Lease renews at once, but the unreachable taints stay
// until Ready is True), where nodesim's watches resume at the heal. Not checked on a
// real cluster; a review of the kubelet raised it (session 15).
//
// # Faults
//
// Every request goes through a Client, and faults attach there: SetPartitioned makes
// the client's requests fail with a timeout after its Timeout (the caller learns how
// long it waited from the error, see Took) and holds its watch notifications until it
// heals; Server.SetOutage makes every request fail at once with "connection refused";
// Client.Latency is added time per request. Requests take effect at the instant they
// are made; the caller places its next step after Took. A client asked to
// (TrackPartitions) remembers its partitions, so that a component rebuilding what its
// watches delivered can tell when a change made at some instant reached them
// (Released).
//
// # Trace
//
// The server writes the trace records that describe changes: NodeRegistered,
// NodeDeleted, NodeCondition, TaintAdded, TaintRemoved, PodCreated, PodScheduled,
// PodReady, PodDeleted, and the quiet LeaseRenewed and RequestFailed. Components add
// the records only they can know (PodEvicted with its reason, ZoneState, Leader, …).
package apiserver
