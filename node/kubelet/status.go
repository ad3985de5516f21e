package kubelet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

// Labels and annotations the kubelet puts on its Node.
const (
	LabelOSBeta                       = "beta.kubernetes.io/os"
	LabelArchBeta                     = "beta.kubernetes.io/arch"
	AnnotationControllerManagedAttach = "volumes.kubernetes.io/controller-managed-attach-detach"
)

// statusStep runs whatever the status loop has due.
func (k *Kubelet) statusStep() {
	if !k.running {
		return
	}
	if k.steady {
		k.statusTick()
		return
	}
	switch k.sphase {
	case phaseIdle:
		k.syncNodeStatus()
	case phaseRegister:
		k.tryRegister()
	case phaseUpdate:
		k.tryUpdateNodeStatus()
	case phaseUpdateFailed:
		k.statusTryFailed(k.failErr, 0)
	case phaseRegisterFailed:
		k.registerFailed(0)
	}
}

func (k *Kubelet) drawStatusWait() time.Duration {
	if k.cfg.NoJitter {
		return k.cfg.NodeStatusUpdateFrequency
	}
	return k.statusJitter.Next(k.cfg.NodeStatusUpdateFrequency, StatusJitterFactor)
}

// syncNodeStatus is one run of the status loop: register first if needed, then
// updateNodeStatus with up to NodeStatusUpdateRetry tries.
func (k *Kubelet) syncNodeStatus() {
	// the wait is drawn at the start of the run, as sim.Loop does.
	k.sWait = k.drawStatusWait()
	k.sTook = 0
	k.sTry = 0
	if *k.cfg.RegisterNode && !k.registered {
		k.sphase = phaseRegister
		k.regStep = RegisterInitialStep
		// registerWithAPIServer sleeps before each attempt.
		_ = k.statusTimer.Schedule(k.s.Now() + k.regStep)
		return
	}
	k.sphase = phaseUpdate
	k.tryUpdateNodeStatus()
}

// initialNode is the Node the kubelet creates: default labels, --node-labels, the
// registration taints and a full status.
func (k *Kubelet) initialNode() *apiserver.Node {
	n := &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: k.name}}
	n.Labels = k.s.InternLabels(k.defaultLabels(), apiserver.LabelHostname)
	n.Annotations = initialAnnotations // shared: stored objects are never changed in place
	n.Unschedulable = !*k.cfg.RegisterSchedulable
	n.Taints = append(n.Taints, k.cfg.RegisterWithTaints...)
	us := taint.Taint{Key: taint.Unschedulable, Effect: taint.NoSchedule}
	if n.Unschedulable && !n.HasTaint(us) {
		n.Taints = append(n.Taints, us)
	}
	// computed into a slice of their own that the Node keeps, not into the kubelet's
	// reusable buffer (which a stored Node must not share): no copy, and a restored
	// kubelet, which drops its buffer, leaves none behind
	size := 4 // Ready and the three pressures
	if k.netUnavail != nil {
		size++
	}
	k.condBuf = make([]apiserver.NodeCondition, 0, size)
	n.Conditions, _ = k.computeConditions(nil)
	k.condBuf = nil
	n.Capacity, n.Allocatable = k.cfg.Capacity, k.cfg.Allocatable
	return n
}

// initialAnnotations are the annotations of a registered Node (read only).
var initialAnnotations = map[string]string{AnnotationControllerManagedAttach: "true"}

// defaultLabels are the Node's labels as a map: the defaults, then the --node-labels
// over them. initialNode interns them with the server, so that the Nodes of one
// configuration share all but their hostnames (a map is only built here, and dropped).
func (k *Kubelet) defaultLabels() map[string]string {
	n := 5 + len(k.cfg.Labels) // the --node-labels join them; an exact size keeps a small map small
	if k.cfg.Zone != "" {
		n += 2
	}
	if k.cfg.Region != "" {
		n += 2
	}
	l := make(map[string]string, n)
	l[apiserver.LabelHostname] = k.name
	l[apiserver.LabelOS], l[apiserver.LabelArch] = "linux", "amd64"
	l[LabelOSBeta], l[LabelArchBeta] = "linux", "amd64"
	if k.cfg.Zone != "" {
		l[apiserver.LabelZone] = k.cfg.Zone
		l[apiserver.LabelZoneBeta] = k.cfg.Zone
	}
	if k.cfg.Region != "" {
		l[apiserver.LabelRegion] = k.cfg.Region
		l[apiserver.LabelRegionBeta] = k.cfg.Region
	}
	for key, v := range k.cfg.Labels { // builds a map: the order cannot show
		l[key] = v
	}
	return l
}

var defaultLabelKeys = []string{
	apiserver.LabelHostname, apiserver.LabelZone, apiserver.LabelRegion, apiserver.LabelZoneBeta,
	apiserver.LabelRegionBeta, apiserver.LabelOS, apiserver.LabelArch, LabelOSBeta, LabelArchBeta,
}

// tryRegister is one attempt of registerWithAPIServer.
func (k *Kubelet) tryRegister() {
	now := k.s.Now()
	n := k.initialNode()
	k.logLine('I', posAttemptRegister, "Attempting to register node", "", k.nodeKV()...)
	took, ok := k.tryRegisterWithAPIServer(n)
	k.sTook += took
	if ok {
		k.logLine('I', posRegistered, "Successfully registered node", "", k.nodeKV()...)
		k.registered = true
		k.sphase = phaseUpdate
		if took > 0 {
			_ = k.statusTimer.Schedule(now + took)
			return
		}
		k.tryUpdateNodeStatus()
		return
	}
	if took > 0 {
		k.sphase = phaseRegisterFailed
		_ = k.statusTimer.Schedule(now + took)
		return
	}
	k.registerFailed(0)
}

// registerFailed logs a failed attempt when its answer arrived and sleeps before the next.
func (k *Kubelet) registerFailed(took time.Duration) {
	if k.failMsg != "" {
		k.logLine('E', posUnableRegister, k.failMsg, k.failErr.Error(), k.nodeKV()...)
	}
	k.failMsg, k.failErr = "", nil
	k.sphase = phaseRegister
	k.regStep = min(2*k.regStep, RegisterMaxStep)
	_ = k.statusTimer.Schedule(k.s.Now() + took + k.regStep)
}

func (k *Kubelet) tryRegisterWithAPIServer(n *apiserver.Node) (time.Duration, bool) {
	_, err := k.s.Nodes.Create(k.client, n)
	took := k.took(err)
	if err == nil {
		return took, true
	}
	if !apiserver.IsAlreadyExists(err) {
		k.client.TraceError("create", "nodes", err)
		k.failMsg, k.failErr = "Unable to register node with API server", err
		return took, false
	}
	existing, err := k.s.Nodes.Get(k.client, k.name)
	took += k.took(err)
	if err != nil {
		k.client.TraceError("get", "nodes", err)
		k.failMsg, k.failErr = "Unable to register node with API server, error getting existing node", err
		return took, false
	}
	k.logLine('I', posPreviouslyReg, "Node was previously registered", "", k.nodeKV()...)
	if !k.reconcileNeeded(n, existing) {
		return took, true
	}
	_, err = k.s.Nodes.Patch(k.client, k.name, func(e *apiserver.Node) error {
		k.reconcile(n, e)
		return nil
	})
	took += k.took(err)
	if err != nil {
		k.client.TraceError("patch", "nodes", err)
		k.failMsg, k.failErr = "Unable to reconcile node with API server,error updating node", err
		return took, false
	}
	return took, true
}

func (k *Kubelet) reconcileNeeded(n, existing *apiserver.Node) bool {
	return k.reconcile(n, existing.DeepCopy())
}

// reconcile applies the re-registration reconcile (the attach/detach annotation and the
// default labels) to e and reports whether anything changed. Taints, unschedulable and
// custom labels of an existing Node are left alone, as upstream.
func (k *Kubelet) reconcile(n, e *apiserver.Node) bool {
	changed := false
	if e.Annotations[AnnotationControllerManagedAttach] != n.Annotations[AnnotationControllerManagedAttach] {
		if e.Annotations == nil {
			e.Annotations = map[string]string{}
		}
		e.Annotations[AnnotationControllerManagedAttach] = n.Annotations[AnnotationControllerManagedAttach]
		changed = true
	}
	for _, key := range defaultLabelKeys {
		v, ok := n.Labels.Lookup(key)
		if !ok {
			continue
		}
		if e.Labels.Get(key) != v {
			e.Labels = e.Labels.With(key, v)
			changed = true
		}
		if e.Labels.Get(key) == "" {
			e.Labels = e.Labels.Without(key)
		}
	}
	return changed
}

// tryUpdateNodeStatus is try number k.sTry of updateNodeStatus.
func (k *Kubelet) tryUpdateNodeStatus() {
	now := k.s.Now()
	var took time.Duration
	err := k.tryUpdate(&took)
	k.sTook += took
	if err == nil {
		k.lastSyncOK = true
		if took == 0 && k.goBehind(now+k.sWait) {
			return // nothing to report yet, so nothing sent
		}
		k.finishStatus(now + took)
		return
	}
	k.lastSyncOK = false
	if took > 0 {
		// the failure is known (and logged) when the request returns.
		k.failErr = err
		k.sphase = phaseUpdateFailed
		_ = k.statusTimer.Schedule(now + took)
		return
	}
	k.statusTryFailed(err, 0)
}

// statusTryFailed handles a failed try at the instant its answer arrived.
func (k *Kubelet) statusTryFailed(err error, took time.Duration) {
	k.failErr = nil
	k.sphase = phaseUpdate
	if k.sTry > 0 {
		k.onRepeatedHeartbeatFailure()
	}
	if k.s.Trace.Wants(true) { // a partitioned kubelet fails here every few seconds
		k.logLine('E', posErrorUpdating, "Error updating node status, will retry", err.Error())
	}
	k.sTry++
	if k.sTry < NodeStatusUpdateRetry {
		_ = k.statusTimer.Schedule(k.s.Now() + took)
		return
	}
	k.logLine('E', posUnableUpdate, "Unable to update node status", "update node status exceeds retry count")
	if took == 0 && k.goBehind(k.s.Now()+k.sWait) {
		return
	}
	k.finishStatus(k.s.Now() + took)
}

// onRepeatedHeartbeatFailure closes the heartbeat client's connections upstream; the
// model has no connections to close.
func (k *Kubelet) onRepeatedHeartbeatFailure() {}

// finishStatus ends a status sync at end; the next one is a drawn wait later (sliding).
func (k *Kubelet) finishStatus(end time.Duration) {
	k.sphase = phaseIdle
	if k.oob {
		k.oob = false
		_ = k.statusTimer.Schedule(max(k.oobNext, end))
		return
	}
	_ = k.statusTimer.Schedule(end + k.sWait)
}

// tryUpdate reads the Node (try 0: the informer's copy; later tries: a GET), computes
// the status and PATCHes it when it changed, on the first sync, or when a report is due.
func (k *Kubelet) tryUpdate(took *time.Duration) error {
	now := k.s.Now()
	var orig *apiserver.Node
	if k.sTry == 0 {
		n, ok := k.nodeInf.Get(k.name)
		if !ok {
			return fmt.Errorf("error getting node %q: node %q not found", k.name, k.name)
		}
		orig = n
	} else {
		n, err := k.s.Nodes.Get(k.client, k.name)
		*took += k.took(err)
		if err != nil {
			k.client.TraceError("get", "nodes", err)
			return &getNodeError{name: k.name, err: err}
		}
		orig = n
	}
	conds, changed := k.computeConditions(orig)
	if k.capacityChanged(orig) {
		changed = true
	}
	first := !k.reported
	if !changed && !first && now-k.lastReport < k.cfg.NodeStatusReportFrequency+k.delay {
		// nothing changed and no report due, at any try (tryUpdateNodeStatus
		// checks no try number): the sync ends without a PATCH
		return nil
	}
	// The report offset is drawn for a change or a process's first report; a report
	// due by time uses it up before its PATCH goes, so it stays used up if the PATCH
	// fails (v1.37.2 tryUpdateNodeStatus).
	if changed || first {
		k.delay = k.drawDelay()
	} else {
		k.delay = 0
	}
	return k.patchStatus(conds, took)
}

// getNodeError is updateNodeStatus's "error getting node" error. Its text is built only
// when read: a partitioned kubelet fails such a GET on every retry, and with a quiet
// trace nothing reads it.
type getNodeError struct {
	name string
	err  error
}

func (e *getNodeError) Error() string { return fmt.Sprintf("error getting node %q: %v", e.name, e.err) }

// drawDelay is delayAfterNodeStatusChange: from 1.34, U[-0.5, 0.5) × report frequency.
func (k *Kubelet) drawDelay() time.Duration {
	if k.cfg.Version < 34 {
		return 0
	}
	f := k.reportRand.Float64() - 0.5
	return time.Duration(f * float64(k.cfg.NodeStatusReportFrequency))
}

func (k *Kubelet) capacityChanged(n *apiserver.Node) bool {
	return n.Capacity != k.cfg.Capacity || n.Allocatable != k.cfg.Allocatable
}

// patchStatus PATCHes the kubelet-owned conditions and the capacity.
func (k *Kubelet) patchStatus(conds []apiserver.NodeCondition, took *time.Duration) error {
	_, err := k.s.Nodes.PatchStatus(k.client, k.name, func(n *apiserver.Node) error {
		mergeConditions(n, conds)
		n.Capacity, n.Allocatable = k.cfg.Capacity, k.cfg.Allocatable
		return nil
	})
	*took += k.took(err)
	if err != nil {
		k.client.TraceError("patch", "nodes", err)
		return err
	}
	k.lastReport = k.s.Now()
	k.reported = true
	if k.s.Trace.Wants(true) {
		k.s.Trace.AddQuiet(k.s.Now(), "NodeStatusPatched", sim.S("node", k.name))
	}
	return nil
}

// mergeConditions replaces the conditions of the types in conds and appends new ones.
func mergeConditions(n *apiserver.Node, conds []apiserver.NodeCondition) {
	for _, c := range conds {
		if ex := n.Condition(c.Type); ex != nil {
			*ex = c
			continue
		}
		n.Conditions = append(n.Conditions, c)
	}
}

// readyErrors aggregates the Ready setter's errors: runtime, network, shutdown.
func (k *Kubelet) readyErrors() []string {
	var errs []string
	switch {
	case !k.runtimeReady:
		errs = append(errs, MsgRuntimeNotChecked)
	case k.readyCause != "" && k.readyCause != MsgNetworkNotReady:
		errs = append(errs, k.readyCause)
	}
	switch {
	case !k.runtimeReady:
		// the runtime state's initial network error, until the first runtime check
		// sets the network state (runtime.go newRuntimeState, updateRuntimeUp)
		errs = append(errs, MsgNetworkUnknown)
	case k.readyCause == MsgNetworkNotReady:
		errs = append(errs, MsgNetworkNotReady)
	}
	if k.shuttingDown {
		errs = append(errs, MsgShuttingDown)
	}
	return errs
}

// desiredConditions is what the setters compute now (heartbeat and transition times
// are filled by computeConditions).
func (k *Kubelet) desiredConditions(buf []apiserver.NodeCondition) []apiserver.NodeCondition {
	if k.nothingToReport() {
		return append(buf, healthyConditions[:]...)
	}
	return k.runSetters(buf)
}

// runSetters is desiredConditions computed by the setters.
func (k *Kubelet) runSetters(buf []apiserver.NodeCondition) []apiserver.NodeCondition {
	if k.netUnavail != nil {
		o := k.netUnavail
		buf = append(buf, apiserver.NodeCondition{Type: apiserver.NodeNetworkUnavailable, Status: o.status, Reason: o.reason, Message: o.message})
	}
	type pr struct {
		t                 apiserver.NodeConditionType
		okReason, okMsg   string
		badReason, badMsg string
	}
	prs := [3]pr{
		{apiserver.NodeMemoryPressure, "KubeletHasSufficientMemory", "kubelet has sufficient memory available", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"},
		{apiserver.NodeDiskPressure, "KubeletHasNoDiskPressure", "kubelet has no disk pressure", "KubeletHasDiskPressure", "kubelet has disk pressure"},
		{apiserver.NodePIDPressure, "KubeletHasSufficientPID", "kubelet has sufficient PID available", "KubeletHasInsufficientPID", "kubelet has insufficient PID available"},
	}
	for i, p := range prs {
		c := apiserver.NodeCondition{Type: p.t, Status: apiserver.ConditionFalse, Reason: p.okReason, Message: p.okMsg}
		if o := k.pressure[i]; o.set && o.status == apiserver.ConditionTrue {
			c.Status, c.Reason, c.Message = apiserver.ConditionTrue, p.badReason, p.badMsg
		}
		if o := k.pressure[i]; o.set {
			if o.reason != "" {
				c.Reason = o.reason
			}
			if o.message != "" {
				c.Message = o.message
			}
		}
		buf = append(buf, c)
	}
	ready := apiserver.NodeCondition{Type: apiserver.NodeReady, Status: apiserver.ConditionTrue, Reason: ReasonKubeletReady, Message: MsgKubeletReady}
	if errs := k.readyErrors(); len(errs) > 0 {
		ready.Status, ready.Reason = apiserver.ConditionFalse, ReasonKubeletNotRdy
		if len(errs) == 1 {
			ready.Message = errs[0]
		} else {
			ready.Message = "[" + strings.Join(errs, ", ") + "]"
		}
	}
	return append(buf, ready)
}

// nothingToReport: no injected cause and the runtime checked, so the setters compute
// healthyConditions.
func (k *Kubelet) nothingToReport() bool {
	return k.runtimeReady && k.readyCause == "" && !k.shuttingDown && k.netUnavail == nil &&
		!k.pressure[0].set && !k.pressure[1].set && !k.pressure[2].set
}

// healthyConditions are the conditions of a kubelet with nothing to report, as the
// setters compute them (times unset). Every status sync of a healthy node computes
// them, and a partitioned node syncs every few seconds.
var healthyConditions = func() (c [4]apiserver.NodeCondition) {
	k := &Kubelet{runtimeReady: true}
	copy(c[:], k.runSetters(nil))
	return c
}()

// computeConditions fills heartbeat (now) and transition times against the node's
// current conditions and reports whether anything but the heartbeat differs.
func (k *Kubelet) computeConditions(orig *apiserver.Node) ([]apiserver.NodeCondition, bool) {
	now := k.s.Now()
	// the buffer is reused: callers use the result before the next call (a PATCH copies it).
	if k.condBuf == nil {
		k.condBuf = make([]apiserver.NodeCondition, 0, 5)
	}
	conds := k.desiredConditions(k.condBuf[:0])
	k.condBuf = conds
	changed := false
	for i := range conds {
		c := &conds[i]
		c.LastHeartbeatTime = now
		c.LastTransitionTime = now
		var ex *apiserver.NodeCondition
		switch {
		case orig == nil:
		case i < len(orig.Conditions) && orig.Conditions[i].Type == c.Type:
			ex = &orig.Conditions[i] // the kubelet's own order, as it registered them
		default:
			ex = orig.Condition(c.Type)
		}
		if ex != nil && ex.Status == c.Status {
			c.LastTransitionTime = ex.LastTransitionTime
		}
		if ex == nil || ex.Status != c.Status || ex.Reason != c.Reason || ex.Message != c.Message || ex.LastTransitionTime != c.LastTransitionTime {
			changed = true
		}
	}
	return conds, changed
}

// fastStep is one poll of fastStatusUpdateOnce: every 100 ms after start, until the
// Node the kubelet sees is Ready or the locally computed status turns Ready (then it
// PATCHes at once), giving up after nodeReadyGracePeriod.
func (k *Kubelet) fastStep() {
	if !k.running || k.fastDone {
		return
	}
	now := k.s.Now()
	if now-k.startedAt >= NodeReadyGracePeriod {
		k.logLine('E', posNotReadyInTime, "Node not becoming ready in time after startup", "")
		k.fastDone = true
		return
	}
	if k.fastNodeStatusUpdate() {
		k.fastDone = true
		return
	}
	_ = k.fastTimer.Schedule(now + FastStatusUpdatePeriod)
}

func (k *Kubelet) fastNodeStatusUpdate() bool {
	// Until the runtime is checked the computed status is not Ready (the Ready setter
	// reports it), so a poll can only succeed on the node the informer shows: polls
	// between two of its deliveries give the same answer, and cost a boot of 100k
	// nodes a few seconds of cache misses (ten polls each).
	if k.fastQuiet && !k.runtimeReady {
		return false
	}
	orig, ok := k.nodeInf.Get(k.name)
	if !ok {
		k.fastQuiet = !k.runtimeReady
		return false
	}
	if orig.ReadyStatus() == apiserver.ConditionTrue {
		return true
	}
	if !k.runtimeReady {
		k.fastQuiet = true
		return false
	}
	conds, changed := k.computeConditions(orig)
	if !changed || conds[len(conds)-1].Status != apiserver.ConditionTrue {
		return false
	}
	k.logLine('I', posFastUpdate, "Fast updating node status as it just became ready", "")
	var took time.Duration
	if err := k.patchStatus(conds, &took); err != nil {
		k.logLine('E', posFastUpdateErr, "Error updating node status, will retry with syncNodeStatus", err.Error())
	}
	return true
}

// syncNow runs a status sync at once, outside the loop's schedule (the shutdown
// manager's immediate sync); the loop keeps its next run.
func (k *Kubelet) syncNow() {
	if !k.running || k.sphase != phaseIdle {
		return
	}
	if *k.cfg.RegisterNode && !k.registered {
		return
	}
	k.oob = true
	k.oobNext = k.statusTimer.When()
	k.sTook, k.sTry = 0, 0
	k.sphase = phaseUpdate
	k.tryUpdateNodeStatus()
}

func (k *Kubelet) took(err error) time.Duration {
	if err != nil {
		return apiserver.Took(err)
	}
	return k.client.Took()
}

// quote is klog's quoting of a string value.
func quote(s string) string { return strconv.Quote(s) }
