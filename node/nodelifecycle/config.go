package nodelifecycle

import (
	"fmt"
	"math"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
	"github.com/nodesim/nodesim/sim"
)

// Supported Kubernetes minor versions.
const (
	MinVersion = 31
	MaxVersion = 37
)

// Upstream defaults (kube-controller-manager flags; pkg/controller/nodelifecycle/config/v1alpha1
// and cloud-provider config defaults).
const (
	// DefaultNodeMonitorPeriod is --node-monitor-period.
	DefaultNodeMonitorPeriod = 5 * time.Second
	// DefaultNodeMonitorGracePeriod is --node-monitor-grace-period from 1.32 on (PR #126287).
	DefaultNodeMonitorGracePeriod = 50 * time.Second
	// DefaultNodeMonitorGracePeriod131 is --node-monitor-grace-period in 1.31.
	DefaultNodeMonitorGracePeriod131 = 40 * time.Second
	// DefaultNodeStartupGracePeriod is --node-startup-grace-period.
	DefaultNodeStartupGracePeriod = 60 * time.Second
	// DefaultNodeEvictionRate is --node-eviction-rate (nodes per second per zone).
	DefaultNodeEvictionRate float32 = 0.1
	// DefaultSecondaryNodeEvictionRate is --secondary-node-eviction-rate.
	DefaultSecondaryNodeEvictionRate float32 = 0.01
	// DefaultLargeClusterSizeThreshold is --large-cluster-size-threshold.
	DefaultLargeClusterSizeThreshold int32 = 50
	// DefaultUnhealthyZoneThreshold is --unhealthy-zone-threshold.
	DefaultUnhealthyZoneThreshold float32 = 0.55
	// DefaultPassDuration is the modelled duration of one monitorNodeHealth pass. Real
	// passes take a few milliseconds and the loop is sliding (wait.UntilWithContext), which
	// is why Ready goes Unknown at the 10th pass after the probe, not the 11th.
	DefaultPassDuration = 5 * time.Millisecond

	// NodeEvictionPeriod is the period of doNoExecuteTaintingPass (scheduler.NodeEvictionPeriod).
	NodeEvictionPeriod = 100 * time.Millisecond
	// EvictionRateLimiterBurst is the burst of every zone's token bucket.
	EvictionRateLimiterBurst = 1
	// DefaultMonitorWorkers is the number of the monitor pass's workers under a rate
	// limit: monitorNodeHealth's workqueue.ParallelizeUntil(ctx, 8, …), v1.31 to v1.37.
	DefaultMonitorWorkers = 8
	// MaxMonitorWorkers bounds Config.MonitorWorkers.
	MaxMonitorWorkers = 64
	// DefaultNoScheduleWorkers is the number of the NoSchedule workers under a rate
	// limit: nodeUpdateWorkerSize, the doNodeProcessingPassWorker goroutines, v1.31 to
	// v1.37.
	DefaultNoScheduleWorkers = 8
	// MaxNoScheduleWorkers bounds Config.NoScheduleWorkers.
	MaxNoScheduleWorkers = 64
	// NodeHealthUpdateRetry is how often a failed node health update is retried in a pass.
	NodeHealthUpdateRetry = 5
	// LeaseCircuitBreakerVersion is the first minor version in which the
	// NodeControllerLeaseCircuitBreaker feature gate is on by default (beta).
	LeaseCircuitBreakerVersion = 37
	// CurrentReadyVersion is the first minor version whose monitor pass decides NoExecute
	// tainting on the Ready condition after its own write (current) rather than the one it
	// read (observed).
	CurrentReadyVersion = 34
)

// Config is the node lifecycle controller's configuration, with kube-controller-manager's
// names. Build one with DefaultConfig and change what you need.
type Config struct {
	// Version is the Kubernetes minor version (31…37). It picks the NoExecute decision rule
	// (observed Ready up to 33, current Ready from 34) and the lease circuit breaker (37).
	Version int
	// NodeMonitorPeriod is --node-monitor-period: the monitor pass period.
	NodeMonitorPeriod time.Duration
	// NodeMonitorGracePeriod is --node-monitor-grace-period.
	NodeMonitorGracePeriod time.Duration
	// NodeStartupGracePeriod is --node-startup-grace-period (nodes without a Ready condition).
	NodeStartupGracePeriod time.Duration
	// NodeEvictionRate is --node-eviction-rate: NoExecute taints per second per healthy zone.
	NodeEvictionRate float32
	// SecondaryNodeEvictionRate is --secondary-node-eviction-rate (large partially disrupted zone).
	SecondaryNodeEvictionRate float32
	// LargeClusterSizeThreshold is --large-cluster-size-threshold.
	LargeClusterSizeThreshold int32
	// UnhealthyZoneThreshold is --unhealthy-zone-threshold.
	UnhealthyZoneThreshold float32
	// LeaseCircuitBreaker is the NodeControllerLeaseCircuitBreaker feature gate. DefaultConfig
	// turns it on for 1.37.
	LeaseCircuitBreaker bool
	// PassDuration is the modelled duration of one monitor pass (see DefaultPassDuration).
	PassDuration time.Duration
	// WatchLatency is the latency of the controller's informers.
	WatchLatency time.Duration
	// Informers, when set and serving the controller's client and WatchLatency, is the
	// shared informer factory of the controller's process: the controller takes its
	// informers from it and does not stop them (nil: informers of its own).
	Informers *apiserver.Informers
	// Exact makes every monitor pass visit every node (no lazy skipping of steady nodes).
	Exact bool
	// RateLimit is the client-side rate limit of the controller's own clientset
	// (--kube-api-qps, --kube-api-burst: 20 and 30 in kube-controller-manager): every
	// request of the monitor pass, the NoSchedule workers, the tainting tick and the pod
	// worker, and every Event, waits for a token (package flowcontrol). The zero value,
	// DefaultConfig's, is no limit, as the controller was before it had one.
	RateLimit flowcontrol.RateLimit
	// MonitorWorkers is the number of the monitor pass's workers, which visit the nodes
	// in parallel and wait for the client's tokens each on its own (upstream's
	// workqueue.ParallelizeUntil with 8 workers in monitorNodeHealth, v1.31 to v1.37).
	// 0 is 8 with a RateLimit and 1 without: without a limit no visit waits, and any
	// number of workers visits as one does.
	MonitorWorkers int
	// NoScheduleWorkers is the number of the NoSchedule workers, which take the nodes
	// the node informer's events queue and bring their NoSchedule taints in line, each
	// waiting for the client's tokens on its own (upstream's nodeUpdateWorkerSize, 8,
	// on nodeUpdateQueue). 0 is 8 with a RateLimit and 1 without: without a limit no
	// swap waits, and one worker does what eight would, in the same order.
	NoScheduleWorkers int
	// EventsRand draws the event writer's first retry sleep after a failed write (nil:
	// half of flowcontrol.EventRetrySleep).
	EventsRand *sim.Rand
	// Kubelets, when set, reaches the kubelets whose status reports lazy mode makes
	// only virtually: when a swap of a NoSchedule worker fails, the controller brings
	// that node's kubelet out of steady mode and asks when it last reported virtually
	// (see Kubelets); and when the UpdateStatus of a stale node is sent, its kubelet
	// leaves steady mode, so that a report made since the visit's decision meets the
	// write as exact mode's does. The scenario sets it; nil is right when no kubelet is
	// ever steady while its Node's NoSchedule taints are out of line with its
	// conditions, nor between a monitor visit and its write.
	Kubelets Kubelets
	// Rand stands in for Go's random map order where upstream walks a map whose order
	// matters: which zones with no counted node a pass forgets (see
	// forgetUncountedZones). It is drawn from only at passes that have such a zone. nil:
	// the walk starts at the first slot (with nine zones or more, key order).
	Rand *sim.Rand
}

// DefaultConfig returns kube-controller-manager's defaults for the minor version
// (31…37; other values are kept and rejected by New).
func DefaultConfig(version int) Config {
	grace := DefaultNodeMonitorGracePeriod
	if version <= 31 {
		grace = DefaultNodeMonitorGracePeriod131
	}
	return Config{
		Version:                   version,
		NodeMonitorPeriod:         DefaultNodeMonitorPeriod,
		NodeMonitorGracePeriod:    grace,
		NodeStartupGracePeriod:    DefaultNodeStartupGracePeriod,
		NodeEvictionRate:          DefaultNodeEvictionRate,
		SecondaryNodeEvictionRate: DefaultSecondaryNodeEvictionRate,
		LargeClusterSizeThreshold: DefaultLargeClusterSizeThreshold,
		UnhealthyZoneThreshold:    DefaultUnhealthyZoneThreshold,
		LeaseCircuitBreaker:       version >= LeaseCircuitBreakerVersion,
		PassDuration:              DefaultPassDuration,
	}
}

// Validate reports the first invalid field, naming it and what is allowed.
func (c Config) Validate() error {
	bad := func(field string, got any, allowed string) error {
		return fmt.Errorf("nodelifecycle: %s: got %v, must be %s", field, got, allowed)
	}
	switch {
	case c.Version < MinVersion || c.Version > MaxVersion:
		return bad("Version", c.Version, fmt.Sprintf("a minor version from %d to %d", MinVersion, MaxVersion))
	case c.NodeMonitorPeriod <= 0:
		return bad("NodeMonitorPeriod", c.NodeMonitorPeriod, "positive")
	case c.NodeMonitorGracePeriod <= 0:
		return bad("NodeMonitorGracePeriod", c.NodeMonitorGracePeriod, "positive")
	case c.NodeStartupGracePeriod <= 0:
		return bad("NodeStartupGracePeriod", c.NodeStartupGracePeriod, "positive")
	case !finite(c.NodeEvictionRate) || c.NodeEvictionRate < 0:
		return bad("NodeEvictionRate", c.NodeEvictionRate, "zero or positive")
	case !finite(c.SecondaryNodeEvictionRate) || c.SecondaryNodeEvictionRate < 0:
		return bad("SecondaryNodeEvictionRate", c.SecondaryNodeEvictionRate, "zero or positive")
	case c.LargeClusterSizeThreshold < 0:
		return bad("LargeClusterSizeThreshold", c.LargeClusterSizeThreshold, "zero or positive")
	case !finite(c.UnhealthyZoneThreshold) || c.UnhealthyZoneThreshold < 0 || c.UnhealthyZoneThreshold > 1:
		return bad("UnhealthyZoneThreshold", c.UnhealthyZoneThreshold, "between 0 and 1")
	case c.PassDuration < 0 || c.PassDuration >= c.NodeMonitorPeriod:
		return bad("PassDuration", c.PassDuration, "zero or positive and shorter than NodeMonitorPeriod")
	case c.WatchLatency < 0:
		return bad("WatchLatency", c.WatchLatency, "zero or positive")
	case c.MonitorWorkers < 0 || c.MonitorWorkers > MaxMonitorWorkers:
		return bad("MonitorWorkers", c.MonitorWorkers, fmt.Sprintf("from 0 (the default) to %d", MaxMonitorWorkers))
	case c.NoScheduleWorkers < 0 || c.NoScheduleWorkers > MaxNoScheduleWorkers:
		return bad("NoScheduleWorkers", c.NoScheduleWorkers, fmt.Sprintf("from 0 (the default) to %d", MaxNoScheduleWorkers))
	}
	if _, err := c.RateLimit.Limiter(); err != nil {
		return bad("RateLimit", c.RateLimit, "a valid client rate limit ("+err.Error()+")")
	}
	return nil
}

// Kubelets is what the controller needs of the node agents in lazy mode. Its NoSchedule
// worker does not retry a swap that failed: the next update of the node queues it
// again, and in exact mode that is often the kubelet's own status report, which a
// steady kubelet makes only virtually. So at a failed swap the controller hands the
// node to SwapFailed, whose kubelet from then on reports for real until its Node's
// NoSchedule taints are in line again, and whose answer tells the controller whether a
// report made virtually while the worker held the node would have queued it again
// (see "The client's rate limit" in the package documentation). The monitor pass's
// UpdateStatus of a stale node is conditional on the node's resourceVersion, and a
// report made since the visit decided (the kubelet came back and went steady while the
// write waited for its token) makes exact mode's meet a conflict: the controller calls
// Unsteady when it sends that write.
type Kubelets interface {
	// Unsteady brings the kubelet of the named node out of steady mode now, writing
	// what it did virtually, and returns the instant of the last status report it
	// made only virtually (written by this call or an earlier one); ok is false when
	// it never made one, or there is no such kubelet.
	Unsteady(node string) (lastVirtualReport time.Duration, ok bool)
	// SwapFailed is Unsteady for a node whose NoSchedule swap failed now; the kubelet
	// stays out of steady mode while its Node's NoSchedule taints are out of line.
	SwapFailed(node string) (lastVirtualReport time.Duration, ok bool)
}

// monitorWorkers is the number of the monitor pass's visitors (see MonitorWorkers).
func (c Config) monitorWorkers() int {
	return c.workers(c.MonitorWorkers, DefaultMonitorWorkers)
}

// noScheduleWorkers is the number of the NoSchedule workers (see
// NoScheduleWorkers).
func (c Config) noScheduleWorkers() int {
	return c.workers(c.NoScheduleWorkers, DefaultNoScheduleWorkers)
}

// workers is a worker count as set, else def under a rate limit and 1 without: with
// no limit nothing waits, and one worker does what def would, in the same order.
func (c Config) workers(set, def int) int {
	switch {
	case set > 0:
		return set
	case c.RateLimit.QPS > 0:
		return def
	}
	return 1
}

func finite(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }
