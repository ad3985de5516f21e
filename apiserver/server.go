package apiserver

import (
	"fmt"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// Server is the simulated API server: typed collections of objects with
// resourceVersions, watches delivered as engine events, admission on create, and the
// fault points every client goes through.
type Server struct {
	Engine *sim.Engine
	Trace  *sim.Trace
	Config Config

	admitted   admittedSpec   // see admitSpec
	labelKeys  labelKeysCache // see admitWithLabelKeys
	labelBases labelBases     // see InternLabels

	Nodes  *Kind[*Node]
	Leases *Kind[*Lease]
	Pods   *Kind[*Pod]

	ReplicaSets *Kind[*ReplicaSet]
	Deployments *Kind[*Deployment]
	DaemonSets  *Kind[*DaemonSet]
	PDBs        *Kind[*PodDisruptionBudget]

	rv       uint64
	uid      uint64
	leaseUID uint64 // see leaseUIDBase
	// the node Leases restored deferred (RestoreNodeLease)
	steadyLeases steadyLeases
	outage       bool
	clients      []*Client
	beforeFault  []func(c *Client)
}

// Config holds the kube-apiserver settings the model uses.
type Config struct {
	// DefaultNotReadyTolerationSeconds and DefaultUnreachableTolerationSeconds are the
	// DefaultTolerationSeconds admission plugin's values (kube-apiserver flags
	// --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds).
	DefaultNotReadyTolerationSeconds    int64
	DefaultUnreachableTolerationSeconds int64
	// ComparisonOperators is the TaintTolerationComparisonOperators feature gate.
	ComparisonOperators bool
	// ClampPastDeletion: a DELETE that shortens a terminating pod's grace period does
	// not move its deadline into the past: it becomes now, with 1 s (apiserver
	// rest.BeforeDelete, read in v0.33.0 and v0.37.2, absent from v0.31.0; 1.32 taken
	// as 1.33).
	ClampPastDeletion bool
}

// DefaultConfig is kube-apiserver's default: 300 s for both default tolerations.
func DefaultConfig() Config {
	return Config{DefaultNotReadyTolerationSeconds: 300, DefaultUnreachableTolerationSeconds: 300}
}

// New returns an empty API server on engine e, recording into tr (which may be nil).
func New(e *sim.Engine, tr *sim.Trace, cfg Config) *Server {
	s := &Server{Engine: e, Trace: tr, Config: cfg}
	s.Nodes = NewKind[*Node](s, "nodes", false)
	s.Leases = NewKind[*Lease](s, "leases", true)
	s.Leases.uids, s.Leases.uidBase = &s.leaseUID, leaseUIDBase
	s.Leases.items.def = &s.steadyLeases
	s.Pods = NewKind[*Pod](s, "pods", true)
	s.ReplicaSets = NewKind[*ReplicaSet](s, "replicasets", true)
	s.Deployments = NewKind[*Deployment](s, "deployments", true)
	s.DaemonSets = NewKind[*DaemonSet](s, "daemonsets", true)
	s.PDBs = NewKind[*PodDisruptionBudget](s, "poddisruptionbudgets", true)
	s.Pods.AddWatchIndex(IndexNodeName, func(p *Pod) string { return p.NodeName })
	s.Nodes.AddKeyWatchIndex(IndexName)
	s.Leases.AddKeyWatchIndex(IndexName)
	s.installNodeHooks()
	s.installLeaseHooks()
	s.installPodHooks()
	return s
}

// Index names for selective watches (field selectors).
const (
	// IndexNodeName selects pods by spec.nodeName.
	IndexNodeName = "spec.nodeName"
	// IndexName selects nodes by name and leases by "namespace/name".
	IndexName = "metadata.name"
)

// Now is the engine's current time.
func (s *Server) Now() time.Duration { return s.Engine.Now() }

func (s *Server) nextRV() uint64 { s.rv++; return s.rv }

// leaseUIDBase sets Lease UIDs apart: they count on their own, above 2^62, and every
// other kind's UIDs on one shared counter below it, so UIDs stay unique across kinds
// (owner maps and event spam keys mix kinds). Upstream's UIDs are random UUIDs, which
// no other object's creation moves; nodesim's stand-ins are counters, and a pod's UID
// orders it where upstream compares UUIDs (the ReplicaSet controller's tie-break
// between pods to delete). A kubelet's lease controller behind a partition or an
// outage runs its backoffEnsureLease virtually in lazy mode (lease.Controller.CatchUp):
// its materialised step is due at exact mode's instant but scheduled when the loop
// catches up, so among the events due at that same instant it fires after everything
// scheduled since exact mode's step was. Its Lease CREATE then took a UID after a pod
// created at that instant where exact mode's took one before, and a scale-down deleted
// another pod (regressions/lease-create-at-outage-end-keeps-pod-uids.yaml,
// TestLeaseCreateKeepsPodUIDs). With their own counter, no Lease CREATE moves another
// object's UID; no object refers to a Lease by UID. The two CREATEs' resourceVersions
// still come in either order between the modes (not seen in any trace so far).
const leaseUIDBase = 1 << 62

// ResourceVersion is the latest resourceVersion handed out (etcd's revision).
func (s *Server) ResourceVersion() uint64 { return s.rv }

// SetOutage takes the whole API server down (every request fails at once with
// "connection refused") or brings it back.
func (s *Server) SetOutage(down bool) {
	if down == s.outage {
		return
	}
	for _, c := range s.clients {
		c.changes()
	}
	if down {
		s.faultStarts(nil)
	}
	s.outage = down
}

// BeforeFault registers fn to run just before a fault starts: an outage (c is nil) or the
// partition of client c. Components that skip requests while nothing changes (lazy mode,
// docs/ARCHITECTURE.md) materialise them there, while the server still answers.
func (s *Server) BeforeFault(fn func(c *Client)) { s.beforeFault = append(s.beforeFault, fn) }

func (s *Server) faultStarts(c *Client) {
	for _, fn := range s.beforeFault {
		fn(c)
	}
}

// Down reports whether the API server is in an outage.
func (s *Server) Down() bool { return s.outage }

// Client is one API client (a kubelet, a controller-manager instance, an operator's
// kubectl). Faults attach to clients: a partitioned client's requests time out after
// its Timeout; a client with Latency takes that long per request. Requests take effect
// at the instant they are made; Took tells the caller how long the call lasted so the
// caller can place its next step.
type Client struct {
	s           *Server
	Name        string
	Timeout     time.Duration
	Latency     time.Duration
	partitioned bool
	watchers    []watchState
	lastTook    time.Duration
	timeouts    []resourceErr // see check
	onChange    []func()
	partitions  *partitionLog // see TrackPartitions
}

// NewClient registers a client. timeout bounds each request (the kubelet's heartbeat
// client uses 10 s; client-go's default is no timeout, modelled here as 30 s).
func (s *Server) NewClient(name string, timeout time.Duration) *Client {
	c := &Client{s: s, Name: name, Timeout: timeout}
	s.clients = append(s.clients, c)
	return c
}

// Server returns the API server this client talks to.
func (c *Client) Server() *Server { return c.s }

// SetPartitioned cuts the client off from the API server or heals it. On heal, the
// watch notifications it missed are delivered (as an informer's resumed watch would).
func (c *Client) SetPartitioned(p bool) {
	if c.partitioned == p {
		return
	}
	c.changes()
	if p {
		c.s.faultStarts(c)
	}
	c.partitioned = p
	c.notePartition(p)
	if !p {
		for _, w := range c.watchers {
			w.flushHeld()
		}
	}
}

// BeforeChange registers fn to run just before what this client's requests meet
// changes: its partition starts or heals, or an API-server outage starts or ends. A
// component whose retries behind a partition cannot succeed and show nothing may run
// them virtually (lazy mode, docs/ARCHITECTURE.md); fn replays them up to the change,
// while their outcome is still the one exact mode saw.
func (c *Client) BeforeChange(fn func()) { c.onChange = append(c.onChange, fn) }

func (c *Client) changes() {
	for _, fn := range c.onChange {
		fn()
	}
}

// Failing reports whether every request of this client fails until what it meets
// changes (BeforeChange), and how long each takes to fail: at once during an API-server
// outage (connection refused), the client's Timeout behind a partition.
func (c *Client) Failing() (took time.Duration, failing bool) {
	switch {
	case c.s.outage:
		return 0, true
	case c.partitioned:
		return c.Timeout, true
	}
	return 0, false
}

// TimeoutError is the error this client's requests to resource meet while it is
// partitioned; its Took is the client's Timeout.
func (c *Client) TimeoutError(resource string) error { return c.timeout(resource) }

// Partitioned reports whether the client is cut off.
func (c *Client) Partitioned() bool { return c.partitioned }

// Took is how long the client's last request took.
func (c *Client) Took() time.Duration { return c.lastTook }

// check applies the fault points to one request.
func (c *Client) check(verb, resource string) error {
	s := c.s
	switch {
	case s.outage:
		c.lastTook = 0
		err := &StatusError{Reason: ReasonServiceUnavailable, Code: 503,
			Message: fmt.Sprintf("Get \"https://kube-apiserver:6443/api/v1/%s\": dial tcp 10.96.0.1:6443: connect: connection refused", resource)}
		c.traceFailure(verb, resource, err)
		return err
	case c.partitioned:
		c.lastTook = c.Timeout
		// a partitioned kubelet retries every few seconds for as long as the partition
		// lasts: its timeouts are built once per resource (errors are never changed)
		err := c.timeout(resource)
		c.traceFailure(verb, resource, err)
		return err
	}
	c.lastTook = c.Latency
	return nil
}

// resourceErr is a client's timeout error for one resource: a client uses two or
// three resources, so a slice beats a map.
type resourceErr struct {
	resource string
	err      *StatusError
}

// timeout is the error of a request to resource that timed out.
func (c *Client) timeout(resource string) *StatusError {
	for i := range c.timeouts {
		if t := &c.timeouts[i]; t.resource == resource {
			if t.err.Took != c.Timeout {
				t.err = newTimeout(resource, c.Timeout)
			}
			return t.err
		}
	}
	err := newTimeout(resource, c.Timeout)
	c.timeouts = append(c.timeouts, resourceErr{resource, err})
	return err
}

func newTimeout(resource string, took time.Duration) *StatusError {
	return &StatusError{Reason: ReasonTimeout, Code: 504, Took: took,
		Message: fmt.Sprintf("Get \"https://kube-apiserver:6443/api/v1/%s\": net/http: request canceled (Client.Timeout exceeded while awaiting headers)", resource)}
}

func (c *Client) traceFailure(verb, resource string, err error) {
	tr := c.s.Trace
	if tr.Wants(true) {
		tr.AddQuiet(c.s.Now(), "RequestFailed", sim.S("client", c.Name), sim.S("verb", verb),
			sim.S("resource", resource), sim.S("error", err.Error()))
	}
}

// TraceError records a failed request that the caller saw (NotFound, Conflict, …) as a
// quiet RequestFailed record. Fault errors are recorded by the server itself.
func (c *Client) TraceError(verb, resource string, err error) {
	if err == nil || IsTimeout(err) || IsUnavailable(err) {
		return
	}
	c.traceFailure(verb, resource, err)
}
