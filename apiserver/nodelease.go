package apiserver

import (
	"math"
	"strings"
	"time"
	"unsafe"
)

// NodeLease is the Lease a kubelet running since before time zero left in the store
// (Server.RestoreNodeLease): its namespace (kube-node-lease), named after its Node,
// held by it and owned by it (an owner reference of kind Node with the Node's UID).
type NodeLease struct {
	Namespace string
	Node      string
	NodeUID   uint64
	// Created is the Lease's creation timestamp.
	Created              time.Duration
	LeaseDurationSeconds int32
	RenewTime            time.Duration
	// Steady: the kubelet continues in lazy steady mode (Lease.Steady).
	Steady bool
}

// lease is the Lease nl describes, before the store gives it a key, a UID and a
// resourceVersion.
func (nl *NodeLease) lease() *Lease {
	return &Lease{
		ObjectMeta: ObjectMeta{Namespace: nl.Namespace, Name: nl.Node, CreationTimestamp: nl.Created,
			OwnerReferences: []OwnerReference{{Kind: "Node", Name: nl.Node, UID: nl.NodeUID}}},
		HolderIdentity:       nl.Node,
		LeaseDurationSeconds: nl.LeaseDurationSeconds,
		RenewTime:            nl.RenewTime,
		Steady:               nl.Steady,
	}
}

// RestoreNodeLease is Leases.Restore of nl's Lease. A steady one is stored deferred
// when nothing watches the Leases yet (a running start restores them before any
// component starts): the store keeps a 40-byte record (steadyLease) where the Lease
// and its owner references took 224 bytes, and builds the Lease at its first read,
// with the UID and resourceVersion it took here (see the package doc). A steady
// kubelet's renewals are virtual, so nothing of the kubelet reads it until the kubelet
// is built, and the node lifecycle controller lists the Leases as summaries
// (EachLeaseSummary), so a run builds only the Leases that something reads: a built
// kubelet's, a stale node's (the 1.37 circuit breaker's GET), a deleted Node's. Exact
// mode (never Steady) restores them built.
func (s *Server) RestoreNodeLease(nl NodeLease) error {
	k := s.Leases
	d := &s.steadyLeases
	if !nl.Steady || *k.uids >= math.MaxUint32 || s.rv >= math.MaxUint32 ||
		len(nl.Namespace)+1+len(nl.Node) > math.MaxUint16 || (d.n > 0 && nl.Created != d.created) {
		_, err := k.Restore(nl.lease())
		return err
	}
	key, j, uid, rv, ok, err := k.restoreDeferred(nl.Namespace, nl.Node)
	if err != nil {
		return err
	}
	if !ok {
		l := nl.lease()
		l.key = key
		_, err := k.Restore(l)
		return err
	}
	if j >= len(d.recs) {
		if j >= cap(d.recs) { // sized as the table was reserved (Reserve), else doubled
			recs := make([]steadyLease, j+1, max(cap(k.items.objs), j+1, 2*cap(d.recs)))
			copy(recs, d.recs)
			d.recs = recs
		}
		d.recs = d.recs[:j+1]
	}
	d.recs[j] = steadyLease{key: unsafe.StringData(key), keyLen: uint16(len(key)), renew: nl.RenewTime,
		nodeUID: nl.NodeUID, uid: uint32(uid &^ leaseUIDBase), rv: uint32(rv), duration: nl.LeaseDurationSeconds}
	d.created = nl.Created
	d.n++
	return nil
}

// DeferredLeases is how many of the Leases that RestoreNodeLease deferred are not
// built yet: for tests and memory accounting (a healthy running start's run builds
// none, see EachLeaseSummary).
func (s *Server) DeferredLeases() int { return s.Leases.items.npend }

// steadyLeases are the Leases' deferred objects (objTable.def): a record per dense
// index of the Leases' table, valid where the table's pending bit is set.
type steadyLeases struct {
	recs    []steadyLease
	created time.Duration // every deferred Lease's creation timestamp
	n       int           // how many were deferred (whether created is set)
}

// steadyLease is a deferred steady node Lease: what its Lease holds that differs
// between nodes. Its name, namespace and holder are read from its key, which points
// into the kind's key arena (Kind.restoredKey); the UID's and resourceVersion's
// counts fit 32 bits (RestoreNodeLease restores built those that do not).
type steadyLease struct {
	key      *byte // the key's bytes: "namespace/node"
	renew    time.Duration
	nodeUID  uint64
	uid      uint32 // the UID above leaseUIDBase
	rv       uint32
	duration int32
	keyLen   uint16
}

func (d *steadyLeases) deferredKey(j int) string {
	r := &d.recs[j]
	return unsafe.String(r.key, int(r.keyLen))
}

// build is the Lease deferred at j, as Restore of NodeLease.lease would store it.
func (d *steadyLeases) build(j int) *Lease {
	r := &d.recs[j]
	key := d.deferredKey(j)
	ns := strings.IndexByte(key, '/')
	nl := NodeLease{Namespace: key[:ns], Node: key[ns+1:], NodeUID: r.nodeUID, Created: d.created,
		LeaseDurationSeconds: r.duration, RenewTime: r.renew, Steady: true}
	l := nl.lease()
	l.key = key
	l.UID = leaseUIDBase | uint64(r.uid)
	l.ResourceVersion = uint64(r.rv)
	return l
}

// release forgets the records: every deferred Lease is built or deleted.
func (d *steadyLeases) release() { *d = steadyLeases{} }

// ownedBy reports whether the Lease deferred at j is owned by the Node of UID uid
// (the garbage collector's question), without building it.
func (d *steadyLeases) ownedBy(j int, uid uint64) bool { return d.recs[j].nodeUID == uid }

// LeaseSummary is what the node lifecycle controller keeps of a Lease it lists: its
// name, its resourceVersion, and the renewal it records (see EachLeaseSummary).
type LeaseSummary struct {
	Namespace, Name string
	ResourceVersion uint64
	RenewTime       time.Duration
	Steady          bool
}

// Summary is l's LeaseSummary.
func (l *Lease) Summary() LeaseSummary {
	return LeaseSummary{Namespace: l.Namespace, Name: l.Name, ResourceVersion: l.ResourceVersion,
		RenewTime: l.RenewTime, Steady: l.Steady}
}

// summary is the LeaseSummary of the Lease deferred at j, read from its record.
func (d *steadyLeases) summary(j int) LeaseSummary {
	r := &d.recs[j]
	key := d.deferredKey(j)
	ns := strings.IndexByte(key, '/')
	return LeaseSummary{Namespace: key[:ns], Name: key[ns+1:], ResourceVersion: uint64(r.rv),
		RenewTime: r.renew, Steady: true}
}

// EachLeaseSummary calls fn with the summary of every Lease inf holds, in key order:
// List's Leases, summarised, without building a deferred one (RestoreNodeLease). The
// informer's view decides what it holds, as for any read: a Lease it lags behind on
// (a change not delivered yet) is the version it holds, a built object; one it shows
// as stored and that the store has not built is read from its record. It is the node
// lifecycle controller's initial list, which would otherwise build every steady
// kubelet's Lease when the controller starts. fn must not change the store.
func EachLeaseSummary(inf *Informer[*Lease], fn func(LeaseSummary)) {
	if inf.items != nil { // a private cache: its objects are built
		for _, key := range inf.Keys() {
			fn(inf.items[key].Summary())
		}
		return
	}
	t := &inf.k.items
	d, _ := t.def.(*steadyLeases)
	var next walker
	for _, key := range inf.Keys() {
		if e, lagging := inf.lag.get(key); lagging {
			fn(e.obj.Summary()) // a listed key: the informer has it (e.ok)
			continue
		}
		j := t.walkIndex(key, &next)
		if d != nil && t.pending(j) {
			fn(d.summary(j))
			continue
		}
		fn(t.obj(j).Summary())
	}
}
