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

// Restore puts the node's Node and Lease in the store as this kubelet, running since
// since (< 0), would have left them, and draws the phases its loops continue from. It
// starts nothing: restore the pods bound to the node, then call StartRunning. A kubelet
// with registerNode false has nothing to restore.
func (k *Kubelet) Restore(since time.Duration) error {
	if k.running {
		return errors.New("kubelet: Restore of a running kubelet")
	}
	now := k.s.Now()
	if since >= now {
		return errors.New("kubelet: Restore needs a start time before now")
	}
	r := sim.NewRand(k.s.Engine.Seed(), "kubelet/"+k.name+"/running")
	k.resumeStatus = now + r.Uniform(0, k.cfg.NodeStatusUpdateFrequency)
	k.lastReport = now - r.Uniform(0, k.cfg.NodeStatusReportFrequency)
	period := k.lease.RenewInterval()
	k.resumeLease = now + r.Uniform(0, period)
	k.startedAt = since
	if !*k.cfg.RegisterNode {
		return nil
	}
	k.runtimeReady = true
	n := k.initialNode()
	n.CreationTimestamp = since
	for i := range n.Conditions {
		c := &n.Conditions[i]
		c.LastTransitionTime = since
		c.LastHeartbeatTime = k.lastReport
	}
	k.condBuf = nil // a steady kubelet need not keep its status buffer
	n, err := k.s.Nodes.Restore(n)
	if err != nil {
		return err
	}
	l := &apiserver.Lease{
		ObjectMeta: apiserver.ObjectMeta{Namespace: lease.NodeLeaseNamespace, Name: k.name, CreationTimestamp: since,
			OwnerReferences: []apiserver.OwnerReference{{Kind: "Node", Name: k.name, UID: n.UID}}},
		HolderIdentity:       k.name,
		LeaseDurationSeconds: k.cfg.NodeLeaseDurationSeconds,
		RenewTime:            k.resumeLease - period,
		Steady:               !k.exact,
	}
	k.restoredLease, err = k.s.Leases.Restore(l)
	return err
}

// StartRunning starts the kubelet restored by Restore: registered, its runtime
// checked, its last status sync successful, its pods' containers running (pods
// stored Running are adopted; others are synced as at a start).
func (k *Kubelet) StartRunning() {
	if k.running {
		return
	}
	if !*k.cfg.RegisterNode || k.restoredLease == nil {
		k.Start()
		return
	}
	k.running = true
	k.poweredOff = false
	k.registered = true
	k.runtimeReady = true
	k.fastDone = true
	k.reported = true
	k.delay = 0
	k.lastSyncOK = true
	k.sphase = phaseIdle
	k.startInformers()
	for _, p := range k.podInf.List() {
		if p.Phase == apiserver.PodRunning && !p.Deleting {
			k.pods[p.Key()] = &podState{uid: p.UID, running: true, readyAt: p.CreationTimestamp}
			continue
		}
		k.syncPod(p)
	}
	l := k.restoredLease
	k.restoredLease = nil
	if k.exact {
		_ = k.statusTimer.Schedule(k.resumeStatus)
		k.lease.Resume(l, k.resumeLease, false)
		return
	}
	k.steady = true
	k.statusVirtual = k.resumeStatus
	k.lease.Resume(l, k.resumeLease, true)
}
