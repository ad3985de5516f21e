package scenario

import (
	"errors"
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/eviction"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/lease"
	"github.com/nodesim/nodesim/lease/leaderelection"
	"github.com/nodesim/nodesim/node/kubelet"
	"github.com/nodesim/nodesim/node/nodelifecycle"
	"github.com/nodesim/nodesim/scenario/spec"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/nodesim/nodesim/workload"
)

// Kubelet is what the world needs of a node agent.
type Kubelet interface {
	Start()
	Stop()
	Restart()
	PowerOff()
	PowerOn()
	PoweredOff() bool
	SetCondition(t apiserver.NodeConditionType, status apiserver.ConditionStatus, reason, message string) error
	Shutdown() error
	Unsteady()
	SwapFailed()
	LastVirtualReport() (time.Duration, bool)
	Client() *apiserver.Client
	Configz() []byte
}

func newKubelet(w *World, n spec.Node) (Kubelet, error) {
	return kubelet.New(w.Server, n.Name, kubeletConfig(w, n))
}

// kubeletConfig is the node's kubelet configuration.
func kubeletConfig(w *World, n spec.Node) kubelet.Config {
	kc := n.Kubelet
	register := kc.RegisterNode
	cfg := kubelet.Config{
		RegisterNode:                    &register,
		NodeStatusUpdateFrequency:       kc.NodeStatusUpdateFrequency,
		NodeStatusReportFrequency:       kc.NodeStatusReportFrequency,
		NodeLeaseDurationSeconds:        kc.NodeLeaseDurationSeconds,
		ShutdownGracePeriod:             kc.ShutdownGracePeriod,
		ShutdownGracePeriodCriticalPods: kc.ShutdownGracePeriodCriticalPods,
		MaxPods:                         int32(kc.MaxPods),
		Labels:                          n.Labels,
		Zone:                            n.Zone,
		Version:                         w.version,
		Exact:                           w.opts.Exact || !steadyHolds(kc.NodeLeaseDurationSeconds, w.Spec.ControllerManager),
		TaintNodesByCondition:           true, // kube-controller-manager always runs the node lifecycle controller
		Capacity: apiserver.Resources{MilliCPU: n.CPU.MilliValue(), Memory: n.Memory.Value(),
			Pods: int64(kc.MaxPods)},
	}
	for _, t := range kc.RegisterWithTaints {
		cfg.RegisterWithTaints = append(cfg.RegisterWithTaints, taint.Taint{Key: t.Key, Value: t.Value, Effect: taint.Effect(t.Effect)})
	}
	for _, p := range kc.ShutdownGracePeriodByPodPriority {
		cfg.ShutdownGracePeriodByPodPriority = append(cfg.ShutdownGracePeriodByPodPriority,
			kubelet.ShutdownGracePeriodByPodPriority{Priority: p.Priority, ShutdownGracePeriodSeconds: p.ShutdownGracePeriodSeconds})
	}
	return cfg
}

// steadyHolds reports whether a kubelet renewing a Lease of leaseDurationSeconds may go
// steady (lazy mode) under the node lifecycle controller of cm. A steady kubelet's
// renewals are not written, and the controller counts its node as heartbeating
// continuously; that is what exact mode shows only if no monitor pass finds the Lease
// stale between two renewals. A pass records a renewal R as its probe time once R has
// reached its informer (at R plus the watch latency, or later), and a pass that finds
// the next renewal R' there records R' before it checks staleness; so a stale pass
// comes before R' plus the latency, less than R' − R after the probe time, whatever
// the monitor period. R' − R is the renew interval with its jitter and the renewal's
// own duration (milliseconds), so a grace period longer than renew × (1 + jitter) + 1 s
// leaves no pass to find the Lease stale. A shorter one (8 s against 10 s renewals,
// say) makes exact mode's nodes flap between Ready and Unknown, as upstream's do, and
// those kubelets run in exact mode.
func steadyHolds(leaseDurationSeconds int32, cm spec.ControllerManager) bool {
	if leaseDurationSeconds <= 0 {
		leaseDurationSeconds = kubelet.DefaultNodeLeaseDurationSeconds
	}
	renew := lease.DefaultRenewInterval(leaseDurationSeconds)
	gap := renew + time.Duration(lease.JitterFactor*float64(renew)) + time.Second
	return cm.NodeMonitorGracePeriod > gap
}

// worldKubelets is how the node lifecycle controller reaches the scenario's kubelets
// (nodelifecycle.Kubelets): at a failed NoSchedule swap it brings the node's kubelet
// out of steady mode. A node with no machine in the scenario has no kubelet to ask.
type worldKubelets struct{ w *World }

func (wk worldKubelets) Unsteady(node string) (time.Duration, bool) {
	n, ok := wk.w.nodes[node]
	if !ok {
		return 0, false
	}
	k := wk.w.kubelet(n)
	k.Unsteady()
	return k.LastVirtualReport()
}

func (wk worldKubelets) SwapFailed(node string) (time.Duration, bool) {
	n, ok := wk.w.nodes[node]
	if !ok {
		return 0, false
	}
	k := wk.w.kubelet(n)
	k.SwapFailed()
	return k.LastVirtualReport()
}

// controller is what the controller-manager runs.
type controller interface {
	Start()
	Stop()
}

// controlPlane is kube-controller-manager (leader-elected instances running the node
// lifecycle, taint eviction, pod GC, ReplicaSet, Deployment, DaemonSet and disruption
// controllers), kube-scheduler, and an observer that tracks workload availability.
type controlPlane struct {
	w         *World
	kcm       *leaderelection.Process
	scheduler *workload.Scheduler
	tracker   *workload.Tracker
	runs      int
}

func newControlPlane(w *World) (*controlPlane, error) {
	cp := &controlPlane{w: w}
	s := w.Server
	cm := w.Spec.ControllerManager
	var err error
	scfg := workload.SchedulerConfigFor(w.version)
	scfg.Rand = sim.NewRand(w.Engine.Seed(), "scheduler")
	cp.scheduler, err = workload.NewScheduler(s, s.NewClient("kube-scheduler", controllerTimeout), scfg)
	if err != nil {
		return nil, err
	}
	cp.tracker, err = workload.NewTracker(s, s.NewClient("observer", controllerTimeout), workload.TrackerConfig{Trace: true})
	if err != nil {
		return nil, err
	}
	instances := cm.Instances
	if instances < 1 {
		instances = 1
	}
	pc := leaderelection.DefaultProcessConfig(cp.controllers)
	pc.Instances = instances
	pc.ClientTimeout = controllerTimeout
	pc.Exact = w.opts.Exact
	pc.RandomRenewPhase = true
	le := cm.LeaderElection
	pc.Election.LeaseDuration, pc.Election.RenewDeadline, pc.Election.RetryPeriod = le.LeaseDuration, le.RenewDeadline, le.RetryPeriod
	cp.kcm, err = leaderelection.NewProcess(s, pc)
	if err != nil {
		return nil, err
	}
	return cp, nil
}

func (cp *controlPlane) start() {
	cp.tracker.Start()
	cp.scheduler.Start()
	cp.kcm.Start()
}

// controllers builds and starts a new leader's controllers, with empty memory (a new
// process's informers and queues), and returns how to stop them.
func (cp *controlPlane) controllers(instance int, c *apiserver.Client) (func(), error) {
	w := cp.w
	s := w.Server
	cp.runs++
	gen := fmt.Sprintf("kube-controller-manager-%d/%d", instance, cp.runs)
	seed := w.Engine.Seed()
	cm := w.Spec.ControllerManager
	nlcCfg := nodelifecycle.DefaultConfig(w.version)
	nlcCfg.NodeMonitorPeriod = cm.NodeMonitorPeriod
	nlcCfg.NodeMonitorGracePeriod = cm.NodeMonitorGracePeriod
	nlcCfg.NodeStartupGracePeriod = cm.NodeStartupGracePeriod
	nlcCfg.NodeEvictionRate = float32(cm.NodeEvictionRate)
	nlcCfg.SecondaryNodeEvictionRate = float32(cm.SecondaryNodeEvictionRate)
	nlcCfg.LargeClusterSizeThreshold = int32(cm.LargeClusterSizeThreshold)
	nlcCfg.UnhealthyZoneThreshold = float32(cm.UnhealthyZoneThreshold)
	nlcCfg.Exact = w.opts.Exact
	nlcCfg.Kubelets = worldKubelets{w}
	nlcCfg.Rand = sim.NewRand(seed, gen+"/nodelifecycle")
	// One shared informer factory per run, as kube-controller-manager's: one informer
	// per kind, on which every controller registers its handlers. The controllers'
	// watch latency is the default (0).
	inf := apiserver.NewInformers(c, nlcCfg.WatchLatency)
	nlcCfg.Informers = inf
	teCfg := eviction.DefaultTaintEvictionConfig()
	teCfg.Version = w.version
	teCfg.ComparisonOperators = w.Spec.FeatureGates.TaintTolerationComparisonOperators
	teCfg.Informers = inf
	kcmClient := flowcontrol.RateLimit{QPS: float32(cm.KubeAPIQPS), Burst: cm.KubeAPIBurst}
	teCfg.RateLimit = kcmClient
	nlcCfg.RateLimit = kcmClient
	nlcCfg.EventsRand = sim.NewRand(seed, gen+"/nodelifecycle/events")
	teCfg.Rand = sim.NewRand(seed, gen+"/taint-eviction/events")
	rsCfg := workload.DefaultReplicaSetConfig()
	rsCfg.Rand = sim.NewRand(seed, gen+"/replicaset")
	rsCfg.Informers = inf
	rsCfg.RateLimit = teCfg.RateLimit // each controller's own clientset, with the same flags
	rsCfg.EventsRand = sim.NewRand(seed, gen+"/replicaset/events")
	rsCfg.Version = w.version
	dsCfg := workload.DefaultDaemonSetConfig()
	dsCfg.Rand = sim.NewRand(seed, gen+"/daemonset")
	dsCfg.Informers = inf
	dsCfg.RateLimit = kcmClient
	dsCfg.EventsRand = sim.NewRand(seed, gen+"/daemonset/events")
	dsCfg.Version = w.version
	gcCfg := eviction.DefaultPodGCConfig()
	gcCfg.TerminatedPodGCThreshold = cm.TerminatedPodGCThreshold
	gcCfg.Informers = inf
	gcCfg.RateLimit = kcmClient
	var ctrls []controller
	add := func(c controller, err error) error {
		if err != nil {
			return err
		}
		ctrls = append(ctrls, c)
		return nil
	}
	if err := errors.Join(
		add(nodelifecycle.New(s, c, nlcCfg)),
		add(eviction.NewTaintEvictionController(s, c, teCfg)),
		add(eviction.NewPodGC(s, c, gcCfg)),
		add(workload.NewReplicaSetController(s, c, rsCfg)),
		add(workload.NewDeploymentController(s, c, workload.DeploymentConfig{Informers: inf})),
		add(workload.NewDaemonSetController(s, c, dsCfg)),
		add(workload.NewDisruptionController(s, c, workload.DisruptionConfig{Informers: inf})),
	); err != nil {
		return nil, err
	}
	for _, ctl := range ctrls {
		ctl.Start()
	}
	return func() {
		for _, ctl := range ctrls {
			ctl.Stop()
		}
		inf.Discard() // the process exits: nothing reads its caches again
	}, nil
}

// failover kills the leader (no lease release, as kube-controller-manager exits);
// another instance — a standby, or the same one restarted — acquires the lease once
// it has seen the old record unchanged for leaseDuration.
func (cp *controlPlane) failover() { cp.kcm.Failover() }
