package kubelet

import (
	"errors"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/lease"
	"github.com/nodesim/nodesim/sim"
)

// A cluster can start out running instead of booting (scenario spec.start: running).
// Its kubelets have been up since before time zero; what they left in the API is
// restored directly, untraced, and each kubelet continues from a phase drawn from its
// own stream "kubelet/NODE/running":
//
//   - the status loop's next sync at U[0, nodeStatusUpdateFrequency);
//   - the last status report (which carries lastHeartbeatTime) U[0,
//     nodeStatusReportFrequency) before time zero, so reports are spread as on a
//     cluster that has run for a while; the 1.34+ one-time offset is used up;
//   - the Lease's next renewal at U[0, renew interval), the last one a renew interval
//     earlier (jitter is not replayed for the past).
//
// Conditions have been in their state since the node was created (since). In lazy
// mode the kubelet is steady from the start; in exact mode its loops run from those
// phases, and both modes give the same trace, as for a booting cluster.
//
// Because a steady kubelet does nothing observable, it need not exist until something
// concerns its node: RestoreNode restores the objects and returns the Resume point
// without building a Kubelet; Adopt, called on a kubelet built later (when an action
// targets the node or a change of its Node or of a pod bound to it is delivered), puts
// it exactly where it would be had it been adopted at time zero.

// Resume is where a kubelet running since before time zero continues from.
type Resume struct {
	Since      time.Duration // when the node was created
	Status     time.Duration // the status loop's next sync
	LastReport time.Duration // the last status report
	Lease      time.Duration // the Lease's next renewal
	// Steady: the kubelet continues in lazy steady mode, so it does nothing observable
	// until something concerns its node (otherwise its loops run from time zero).
	Steady   bool
	restored bool // the Node and Lease were restored (registerNode)
}

// RestoreNode puts in the store the Node and the Lease that a kubelet of nodeName with
// configuration cfg, running since since (< now), would have left, and returns where
// that kubelet continues from (see Adopt). A kubelet with registerNode false has
// nothing to restore.
func RestoreNode(s *apiserver.Server, nodeName string, cfg Config, since time.Duration) (Resume, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return Resume{}, err
	}
	k := &Kubelet{s: s, name: nodeName, cfg: c, exact: c.Exact || (s.Trace != nil && s.Trace.Verbose)}
	return k.restoreObjects(since)
}

func (k *Kubelet) restoreObjects(since time.Duration) (Resume, error) {
	now := k.s.Now()
	if since >= now {
		return Resume{}, errors.New("kubelet: a running start needs a start time before now")
	}
	period := lease.DefaultRenewInterval(k.cfg.NodeLeaseDurationSeconds)
	ph := k.runningPhases()
	res := Resume{Since: since}
	res.Status = now + ph.status
	res.LastReport = now - ph.sinceReport
	res.Lease = now + ph.lease
	if !*k.cfg.RegisterNode {
		return res, nil
	}
	k.runtimeReady, k.runtimeUp = true, true
	n := k.initialNode()
	n.CreationTimestamp = since
	for i := range n.Conditions {
		c := &n.Conditions[i]
		c.LastTransitionTime = since
		c.LastHeartbeatTime = res.LastReport
	}
	n, err := k.s.Nodes.Restore(n)
	if err != nil {
		return Resume{}, err
	}
	err = k.s.RestoreNodeLease(apiserver.NodeLease{Namespace: lease.NodeLeaseNamespace, Node: k.name, NodeUID: n.UID,
		Created: since, LeaseDurationSeconds: k.cfg.NodeLeaseDurationSeconds, RenewTime: res.Lease - period,
		Steady: k.lazy()})
	res.restored = err == nil
	res.Steady = res.restored && k.lazy()
	return res, err
}

// phases are where the loops of a kubelet running since before now stand: how long
// until the status loop's next sync, since its last report and until the Lease's
// next renewal, and the phase of the pod status manager's ticker.
type phases struct {
	status, sinceReport, lease, podSync time.Duration
}

// runningPhases draws the phases from the node's own stream, always in the same
// order: restoreObjects takes the first three and Adopt the last, drawing them all
// again, so that the Resume a world keeps per node need not hold it.
func (k *Kubelet) runningPhases() phases {
	var r sim.Rand
	r.Reseed(k.s.Engine.Seed(), "kubelet/"+k.name+"/running")
	var ph phases
	ph.status = r.Uniform(0, k.cfg.NodeStatusUpdateFrequency)
	ph.sinceReport = r.Uniform(0, k.cfg.NodeStatusReportFrequency)
	ph.lease = r.Uniform(0, lease.DefaultRenewInterval(k.cfg.NodeLeaseDurationSeconds))
	ph.podSync = r.Uniform(0, PodStatusSyncPeriod)
	return ph
}

// Restore is RestoreNode for this kubelet: it restores the objects and keeps the
// Resume point for StartRunning.
func (k *Kubelet) Restore(since time.Duration) error {
	if k.running {
		return errors.New("kubelet: Restore of a running kubelet")
	}
	res, err := k.restoreObjects(since)
	k.condBuf = nil // a steady kubelet need not keep its status buffer
	k.resume = res
	return err
}

// StartRunning starts the kubelet restored by Restore (Adopt of its Resume point).
func (k *Kubelet) StartRunning() { k.Adopt(k.resume, nil, nil) }

// Adopt starts this kubelet as the process of Resume point r, now or later: registered,
// its runtime checked, its last status sync successful, the containers of its pods
// running (pods stored Running are adopted; others are synced as at a start), its loops
// steady (lazy) or due at their phases (exact). When it is built because a change of
// its Node (nodeEv) or of one of its pods (podEv) is being delivered, that change is
// rewound from its informers' initial lists and then arrives through its watch.
func (k *Kubelet) Adopt(r Resume, nodeEv *apiserver.Event[*apiserver.Node], podEv *apiserver.Event[*apiserver.Pod]) {
	if k.running {
		return
	}
	l, ok := k.s.Leases.Peek(lease.NodeLeaseNamespace + "/" + k.name)
	if !r.restored || !ok {
		k.Start()
		return
	}
	k.running = true
	k.poweredOff = false
	k.registered = true
	k.runtimeReady, k.runtimeUp = true, true
	k.fastDone = true
	k.reported = true
	k.lastReport = r.LastReport
	k.delay = 0
	k.lastSyncOK = true
	k.sphase = phaseIdle
	k.startedAt = r.Since
	k.podSyncBase = k.runningPhases().podSync
	k.startInformers()
	if nodeEv != nil {
		k.nodeInf.Rewind(*nodeEv)
	}
	if podEv != nil {
		k.podInf.Rewind(*podEv)
	}
	pods := k.podInf.List()
	if len(k.pods) == 0 {
		k.pods = make(map[string]*podState, len(pods)) // a node's pods arrive at once
	}
	// the running pods' states in one allocation: a zone's kubelets adopt a zone's pods
	adopted := make([]podState, 0, len(pods))
	for _, p := range pods {
		if p.Phase == apiserver.PodRunning && !p.Deleting {
			adopted = append(adopted, podState{uid: p.UID, running: true, readyAt: p.CreationTimestamp, cached: true})
			k.pods[p.Key()] = &adopted[len(adopted)-1]
			continue
		}
		k.syncPod(p)
	}
	if !k.lazy() {
		_ = k.statusTimer.Schedule(r.Status)
		k.lease.Resume(l, r.Lease, false)
		return
	}
	k.steady = true
	k.statusVirtual = r.Status
	k.vReported = false
	if k.ticks() {
		_ = k.statusTimer.Schedule(r.Status)
	}
	k.lease.Resume(l, r.Lease, true)
}
