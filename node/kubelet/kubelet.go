package kubelet

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/lease"
	"github.com/nodesim/nodesim/sim"
)

// Option adjusts a Kubelet at construction.
type Option func(*Kubelet)

// WithWatchLatency sets the latency of the kubelet's Node and Pod informers (default 0:
// a change reaches the kubelet as the next event at the same instant).
func WithWatchLatency(d time.Duration) Option {
	return func(k *Kubelet) {
		if d > 0 {
			k.watchLatency = d
		}
	}
}

// Kubelet is the node agent of one node: registration, the status loop, the node
// Lease, the pods bound to the node, restart and graceful shutdown (see the package doc).
type Kubelet struct {
	s      *apiserver.Server
	name   string
	cfg    Config
	client *apiserver.Client
	lease  *lease.Controller
	exact  bool

	pid          int
	statusJitter sim.JitterCycle // the status loop's waits
	reportRand   *sim.Rand
	probeRand    *sim.Rand // readiness probes' first run after a restart
	watchLatency time.Duration

	// process and machine state
	running      bool // the kubelet process runs
	poweredOff   bool // the machine is down (containers gone)
	registered   bool // registrationCompleted: never reset until restart
	runtimeReady bool // the first container runtime status check succeeded
	// runtimeUp: the machine's container runtime is up; it outlives the kubelet
	// process (a restart finds it running) and goes with PowerOff
	runtimeUp bool
	fastDone  bool // fastStatusUpdateOnce finished
	// fastQuiet: the last fast poll found the node not Ready with the runtime not
	// checked yet, and the node informer has delivered nothing since (see
	// fastNodeStatusUpdate)
	fastQuiet bool

	nodeInf *apiserver.Informer[*apiserver.Node]
	podInf  *apiserver.Informer[*apiserver.Pod]

	statusTimer  *sim.Timer
	fastTimer    *sim.Timer
	runtimeTimer *sim.Timer
	podTimer     *sim.Timer // status manager resync of failed or disagreeing pod statuses
	// loopOpen is when the main sync loop first runs a pass: until the container
	// runtime's first status check succeeds it skips pod synchronization, backing
	// off (syncLoopOpens); loopTimer syncs the pods seen before then.
	loopOpen    time.Duration
	loopTimer   *sim.Timer
	resyncing   bool // podTimer's resync is running: statuses are written now
	startedAt   time.Duration
	podSyncBase time.Duration // the pod status manager's ticker fires at podSyncBase + k·PodStatusSyncPeriod

	// status loop state
	sphase     statusPhase
	sWait      time.Duration
	sTook      time.Duration
	sTry       int
	regStep    time.Duration
	oobNext    time.Duration // the loop's own next run, kept across an out-of-band sync
	oob        bool
	lastReport time.Duration
	reported   bool          // lastStatusReportTime is set
	delay      time.Duration // delayAfterNodeStatusChange (1.34+)
	lastSyncOK bool
	failErr    error
	failMsg    string

	// injected causes (SetCondition)
	readyCause   string
	pressure     [3]condOverride // MemoryPressure, DiskPressure, PIDPressure
	netUnavail   *condOverride
	shuttingDown bool

	// pods
	pods      map[string]*podState
	shutdownG []shutdownGroupState

	condBuf []apiserver.NodeCondition

	// lazy mode
	steady bool
	// while steady, lastReport and delay follow the virtual syncs; vReported: one of
	// them reported, so the stored lastHeartbeatTime is older than lastReport.
	vReported     bool
	statusVirtual time.Duration // next virtual status sync while steady
	// the last status report made only virtually, as Unsteady wrote it (hasVirtual: one
	// was), and whether the node lifecycle controller's NoSchedule swap of this Node
	// failed since its taints were last seen in line (see canBeSteady)
	lastVirtual time.Duration
	hasVirtual  bool
	swapFailed  bool
	// behind a partition or an outage (behind.go): the status loop runs virtually, its
	// next sync due at behindNext, each request failing after behindTook; behindDraws,
	// each sync's try 0 finds a change (or nothing reported yet), so it draws a report
	// delay and PATCHes.
	behind      bool
	behindNext  time.Duration
	behindTook  time.Duration
	behindDraws bool

	// a running start (Restore, StartRunning)
	resume Resume
}

type statusPhase uint8

const (
	phaseIdle statusPhase = iota
	phaseRegister
	phaseUpdate
	phaseUpdateFailed
	phaseRegisterFailed
)

type condOverride struct {
	set     bool
	status  apiserver.ConditionStatus
	reason  string
	message string
}

// New builds the kubelet of node nodeName on server s; it is stopped until Start.
// cfg is validated and defaulted; errors name the field.
func New(s *apiserver.Server, nodeName string, cfg Config, opts ...Option) (*Kubelet, error) {
	if s == nil {
		return nil, errors.New("kubelet: server is required")
	}
	if nodeName == "" {
		return nil, errors.New("kubelet: nodeName must not be empty")
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	k := &Kubelet{s: s, name: nodeName, cfg: c, pods: map[string]*podState{}}
	k.exact = c.Exact || (s.Trace != nil && s.Trace.Verbose)
	seed := s.Engine.Seed()
	base := sim.NewRand(seed, "kubelet/"+nodeName)
	k.pid = 100 + int(base.Int64N(9900))
	k.statusJitter = sim.NewJitterCycle(sim.NewRand(seed, "kubelet/"+nodeName+"/status"))
	k.reportRand = sim.NewRand(seed, "kubelet/"+nodeName+"/report")
	for _, o := range opts {
		o(k)
	}
	// The heartbeat client's timeout is min(nodeStatusUpdateFrequency, nodeLeaseDuration).
	timeout := min(c.NodeStatusUpdateFrequency, time.Duration(c.NodeLeaseDurationSeconds)*time.Second)
	k.client = s.NewClient("kubelet/"+nodeName, timeout)
	k.lease, err = lease.New(s, k.client, sim.NewRand(seed, "kubelet/"+nodeName+"/lease"), lease.Config{
		HolderIdentity:       nodeName,
		LeaseDurationSeconds: c.NodeLeaseDurationSeconds,
		NoJitter:             c.NoJitter,
		Log:                  k.leaseLog,
		Logging:              func() bool { return s.Trace.Wants(true) },
		WantSteady:           k.canBeSteady,
		OnSteady:             k.enterSteady,
		LazyFailures:         !k.exact,
	})
	if err != nil {
		return nil, err
	}
	e := s.Engine
	k.statusTimer, _ = e.NewTimer(k.statusStep)
	k.fastTimer, _ = e.NewTimer(k.fastStep)
	k.runtimeTimer, _ = e.NewTimer(func() { k.runtimeReady, k.runtimeUp = true, true })
	k.podTimer, _ = e.NewTimer(k.resyncPods)
	k.loopTimer, _ = e.NewTimer(k.openSyncLoop)
	k.client.BeforeChange(k.catchUpBehind)
	return k, nil
}

// Name is the node name.
func (k *Kubelet) Name() string { return k.name }

// Client is the kubelet's API client (the heartbeat client): partition it to cut the
// node off.
func (k *Kubelet) Client() *apiserver.Client { return k.client }

// Lease is the kubelet's node-lease controller.
func (k *Kubelet) Lease() *lease.Controller { return k.lease }

// Running reports whether the kubelet process runs.
func (k *Kubelet) Running() bool { return k.running }

// Registered reports whether this kubelet process has registered its Node.
func (k *Kubelet) Registered() bool { return k.registered }

// Steady reports whether the kubelet is in lazy steady mode.
func (k *Kubelet) Steady() bool { return k.steady }

// Config returns the effective configuration (defaults applied).
func (k *Kubelet) Config() Config { return k.cfg }

// Configz is the effective KubeletConfiguration as the kubelet's /configz endpoint
// serves it: {"kubeletconfig": {...}} with camelCase fields.
func (k *Kubelet) Configz() []byte { return k.cfg.configz() }

// Start starts the kubelet process: a fresh process that has registered nothing,
// reported nothing, and has no cached Lease. On a machine that is powered off it does
// nothing (PowerOn starts the machine and its kubelet).
func (k *Kubelet) Start() {
	if k.running || k.poweredOff {
		return
	}
	now := k.s.Now()
	k.running = true
	k.registered = false
	k.runtimeReady = false
	k.fastDone = false
	k.fastQuiet = false
	k.reported = false
	k.lastReport = 0
	k.delay = 0
	k.lastSyncOK = false
	k.shuttingDown = false
	k.shutdownG = nil
	k.sphase = phaseIdle
	k.oob = false
	k.behind = false
	k.startedAt = now
	k.podSyncBase = now
	if !*k.cfg.RegisterNode {
		k.registered = false
	}
	k.startInformers()
	if k.runtimeUp {
		// A new process on a machine whose runtime runs (a kubelet restart): Run's
		// first updateRuntimeUp, which the status loop waits for so that a restarted
		// kubelet does not report its node NotReady, finds it up at once.
		k.runtimeReady = true
		k.loopOpen = now
	} else {
		_ = k.runtimeTimer.Schedule(now + k.cfg.RuntimeCheckDelay)
		k.loopOpen = now + syncLoopOpens(k.cfg.RuntimeCheckDelay)
	}
	// kubelet Run: the status loop, fastStatusUpdateOnce and the lease controller start together.
	_ = k.statusTimer.Schedule(now)
	_ = k.fastTimer.Schedule(now)
	k.lease.Start()
	// pods already bound to the node (the informer's initial list)
	for _, p := range k.podInf.List() {
		if ps := k.pods[p.Key()]; k.runtimeUp && ps != nil && ps.running && ps.uid == p.UID && p.ReadinessProbePeriod > 0 && k.reprobes(ps, p, now) {
			// A new process's readiness workers have no result: the first status says
			// not Ready, and each worker probes after a random part of its period
			// (prober/worker.go run; prober_manager.go UpdatePodStatus).
			if k.probeRand == nil { // its own stream, drawn only by such restarts
				k.probeRand = sim.NewRand(k.s.Engine.Seed(), "kubelet/"+k.name+"/probe")
			}
			ps.readyAt = max(ps.readyAt, now+k.probeRand.Uniform(0, p.ReadinessProbePeriod))
		}
		k.syncPod(p)
	}
}

// KeepReadyOnRestartVersion is the first minor version whose restarted kubelet keeps
// a running container Ready until its readiness probe says otherwise:
// ChangeContainerStatusOnKubeletRestart is off by default from 1.35
// (prober_manager.go setReadyStateOnKubeletRestart, v1.37.2).
const KeepReadyOnRestartVersion = 35

// kubeletRestartGracePeriod: a container started less than this before a restart is
// not kept Ready (prober_manager.go kubeletRestartGracePeriod).
const kubeletRestartGracePeriod = 10 * time.Second

// reprobes reports whether a kubelet restarting at now reports pod p's probed
// container not Ready until its readiness probe runs: always up to 1.34; from 1.35
// when the container started less than 10 s before, or when the API's pod is not
// Ready (the node lifecycle controller marked it NotReady while the kubelet was
// down), as setReadyStateOnKubeletRestart keeps Ready only a pod the API holds Ready.
func (k *Kubelet) reprobes(ps *podState, p *apiserver.Pod, now time.Duration) bool {
	if k.cfg.Version < KeepReadyOnRestartVersion {
		return true
	}
	started := ps.readyAt - p.ReadinessDelay
	return started >= now-kubeletRestartGracePeriod || !p.IsReady()
}

// startInformers starts the informers of the kubelet's own Node and of its pods.
func (k *Kubelet) startInformers() {
	k.nodeInf = apiserver.NewSelectedInformer(k.s.Nodes, k.client, k.watchLatency, apiserver.IndexName, k.name)
	k.nodeInf.AddHandler(k.onNode)
	k.podInf = apiserver.NewSelectedInformer(k.s.Pods, k.client, k.watchLatency, apiserver.IndexNodeName, k.name)
	k.podInf.AddHandler(k.onPod)
}

// PoweredOff reports whether the machine is down (PowerOff, or a shutdown's end).
func (k *Kubelet) PoweredOff() bool { return k.poweredOff }

// Stop stops the kubelet process: no more requests; the containers keep running.
// During a graceful node shutdown the machine then goes down at once: the process
// held systemd-logind's inhibitor lock (nodeshutdown_manager_linux.go), and with it
// gone the shutdown it delayed goes on.
func (k *Kubelet) Stop() {
	if !k.running {
		return
	}
	k.Unsteady()
	k.running = false
	k.steady = false
	k.lease.Stop()
	k.statusTimer.Stop()
	k.fastTimer.Stop()
	k.runtimeTimer.Stop()
	k.podTimer.Stop()
	k.loopTimer.Stop()
	k.nodeInf.Stop()
	k.podInf.Stop()
	for _, key := range sortedKeys(k.pods) {
		ps := k.pods[key]
		ps.stopTimers()
		ps.cached, ps.dirty = false, false // the status manager's state goes with the process
	}
	for i := range k.shutdownG {
		k.shutdownG[i].timer.Cancel()
	}
	k.shutdownG = nil
	if k.shuttingDown {
		k.shuttingDown = false
		k.powerDown()
	}
}

// Crash is the kubelet process dying: for the API it is the same as Stop.
func (k *Kubelet) Crash() { k.Stop() }

// Restart stops the process and starts a new one at the same instant.
func (k *Kubelet) Restart() {
	k.Stop()
	k.Start()
}

// PowerOff turns the machine off: the kubelet and every container are gone.
func (k *Kubelet) PowerOff() {
	k.Stop()
	k.powerDown()
}

// powerDown is the machine going down once its kubelet is stopped.
func (k *Kubelet) powerDown() {
	k.poweredOff = true
	k.runtimeUp = false
	for _, key := range sortedKeys(k.pods) {
		k.pods[key].stopTimers()
		delete(k.pods, key)
	}
}

// PowerOn turns the machine on; the kubelet starts and the pods' containers start again.
func (k *Kubelet) PowerOn() {
	k.poweredOff = false
	k.Start()
}

// Condition messages the kubelet reports (pkg/kubelet/runtime.go,
// pkg/kubelet/nodestatus/setters.go, pkg/kubelet/nodeshutdown).
const (
	MsgRuntimeNotChecked = "container runtime status check may not have completed yet"
	MsgNetworkUnknown    = "network state unknown"
	MsgRuntimeDown       = "container runtime is down"
	MsgNetworkNotReady   = "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"
	MsgShuttingDown      = "node is shutting down"
	MsgKubeletReady      = "kubelet is posting ready status"
	ReasonKubeletReady   = "KubeletReady"
	ReasonKubeletNotRdy  = "KubeletNotReady"
)

// SettableConditionTypes are the condition types SetCondition accepts, in the order
// the kubelet's status setters write them; SettableConditionStatuses the statuses.
// scenario/spec checks setCondition events against these when the file loads.
func SettableConditionTypes() []apiserver.NodeConditionType {
	return []apiserver.NodeConditionType{apiserver.NodeReady, apiserver.NodeMemoryPressure, apiserver.NodeDiskPressure,
		apiserver.NodePIDPressure, apiserver.NodeNetworkUnavailable}
}

// SettableConditionStatuses are the statuses SetCondition accepts: a kubelet reports
// True or False; Unknown is the node lifecycle controller's, for a silent kubelet.
func SettableConditionStatuses() []apiserver.ConditionStatus {
	return []apiserver.ConditionStatus{apiserver.ConditionTrue, apiserver.ConditionFalse}
}

// SetCondition injects a cause the kubelet itself would report:
//
//   - Ready False with a message such as MsgRuntimeDown (the default) or
//     MsgNetworkNotReady; the reason is not used: the kubelet's ReadyCondition setter
//     (pkg/kubelet/nodestatus/setters.go) always reports KubeletNotReady, with the
//     runtime, network and storage errors as the message. Ready True clears the
//     injected cause (KubeletReady).
//   - MemoryPressure, DiskPressure, PIDPressure True or False; an empty reason or
//     message takes upstream's (KubeletHasInsufficientMemory, …).
//   - NetworkUnavailable True or False: reported from then on (reason default
//     NetworkUnavailable).
//
// The change is posted at the next status sync, as the kubelet would. Another type, or
// a status other than True or False (Unknown is never reported by a kubelet), is
// refused (SettableConditionTypes, SettableConditionStatuses).
func (k *Kubelet) SetCondition(t apiserver.NodeConditionType, status apiserver.ConditionStatus, reason, message string) error {
	if !slices.Contains(SettableConditionStatuses(), status) {
		return fmt.Errorf("kubelet: condition status must be %s, got %q", joinConds(SettableConditionStatuses(), " or "), status)
	}
	if !slices.Contains(SettableConditionTypes(), t) {
		return fmt.Errorf("kubelet: condition type must be %s, got %q", joinConds(SettableConditionTypes(), " or "), t)
	}
	k.Unsteady()
	switch t {
	case apiserver.NodeReady:
		if status == apiserver.ConditionTrue {
			k.readyCause = ""
			return nil
		}
		if message == "" {
			message = MsgRuntimeDown
		}
		k.readyCause = message
	case apiserver.NodeMemoryPressure, apiserver.NodeDiskPressure, apiserver.NodePIDPressure:
		k.pressure[pressureIndex(t)] = condOverride{set: true, status: status, reason: reason, message: message}
	case apiserver.NodeNetworkUnavailable:
		if reason == "" {
			reason = "NetworkUnavailable"
		}
		k.netUnavail = &condOverride{set: true, status: status, reason: reason, message: message}
	}
	return nil
}

// joinConds joins condition types or statuses with sep.
func joinConds[T fmt.Stringer](vs []T, sep string) string {
	ss := make([]string, len(vs))
	for i, v := range vs {
		ss[i] = v.String()
	}
	return strings.Join(ss, sep)
}

func pressureIndex(t apiserver.NodeConditionType) int {
	switch t {
	case apiserver.NodeMemoryPressure:
		return 0
	case apiserver.NodeDiskPressure:
		return 1
	}
	return 2
}

// onNode is the kubelet's Node informer handler.
func (k *Kubelet) onNode(ev apiserver.Event[*apiserver.Node]) {
	k.fastQuiet = false
	if !k.steady {
		return
	}
	if ev.Type == apiserver.Deleted {
		// defensive: the scenario should have called Unsteady before deleting the Node.
		k.Unsteady()
		return
	}
	// Someone else wrote conditions (or capacity) other than those this kubelet
	// reports: the node lifecycle controller's Unknown, decided at a monitor pass and
	// written after its tokens, can land after the kubelet renewed and went steady.
	// Exact mode's next status sync sees the difference in this informer copy and
	// posts its own status; a steady kubelet makes that sync only virtually, so it
	// leaves steady mode here. Unsteady walks the virtual syncs before now (they read
	// the older copy, which matched) and schedules the status loop at the first sync
	// at or after this delivery, so the PATCH is dated as exact mode's.
	if _, changed := k.computeConditions(ev.New); changed || k.capacityChanged(ev.New) {
		k.Unsteady()
	}
}
