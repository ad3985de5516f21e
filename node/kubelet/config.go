package kubelet

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/lease"
	"github.com/nodesim/nodesim/taint"
)

// Upstream defaults and constants (pkg/kubelet/apis/config/v1beta1/defaults.go,
// pkg/kubelet/kubelet.go, pkg/kubelet/kubelet_node_status.go).
const (
	// DefaultNodeStatusUpdateFrequency is nodeStatusUpdateFrequency's default.
	DefaultNodeStatusUpdateFrequency = 10 * time.Second
	// DefaultNodeStatusReportFrequency is nodeStatusReportFrequency's default.
	DefaultNodeStatusReportFrequency = 5 * time.Minute
	// DefaultNodeLeaseDurationSeconds is nodeLeaseDurationSeconds' default.
	DefaultNodeLeaseDurationSeconds = lease.DefaultLeaseDurationSeconds
	// DefaultMaxPods is maxPods' default.
	DefaultMaxPods = 110
	// NodeStatusUpdateRetry is nodeStatusUpdateRetry: tries per status sync.
	NodeStatusUpdateRetry = 5
	// StatusJitterFactor is the status loop's jitter (wait.JitterUntil(syncNodeStatus,
	// nodeStatusUpdateFrequency, 0.04, true), pkg/kubelet/kubelet.go, PR #105272).
	StatusJitterFactor = 0.04
	// RegisterInitialStep and RegisterMaxStep bound registerWithAPIServer's sleeps:
	// 100 ms, doubled after each attempt, capped at 7 s.
	RegisterInitialStep = 100 * time.Millisecond
	RegisterMaxStep     = 7 * time.Second
	// FastStatusUpdatePeriod is fastStatusUpdateOnce's poll period.
	FastStatusUpdatePeriod = 100 * time.Millisecond
	// NodeReadyGracePeriod is nodeReadyGracePeriod: fastStatusUpdateOnce gives up after it.
	NodeReadyGracePeriod = 120 * time.Second
	// MaxWaitForContainerRuntime is maxWaitForContainerRuntime (documentation: the
	// "container runtime is down" cause is injected with SetCondition).
	MaxWaitForContainerRuntime = 30 * time.Second
	// PodStatusSyncPeriod is the status manager's resync period (syncPeriod in
	// pkg/kubelet/status/status_manager.go): failed pod status writes are retried then.
	PodStatusSyncPeriod = 10 * time.Second
	// DefaultRuntimeCheckDelay is how long after the kubelet starts its first container
	// runtime status check succeeds (see the package doc).
	DefaultRuntimeCheckDelay = time.Second
	// DefaultPodStartDelay is how long after the kubelet sees a pod its containers run.
	DefaultPodStartDelay = time.Second
	// DefaultVersion is the Kubernetes minor version modelled by default (1.34).
	DefaultVersion = 34
	// SystemCriticalPriority is scheduling.SystemCriticalPriority: the boundary between
	// the two legacy graceful-shutdown groups.
	SystemCriticalPriority = 2000000000
)

// ShutdownGracePeriodByPodPriority is one entry of shutdownGracePeriodByPodPriority:
// pods whose priority is at least Priority (and below the next entry's) get
// ShutdownGracePeriodSeconds.
type ShutdownGracePeriodByPodPriority struct {
	Priority                   int32 `json:"priority"`
	ShutdownGracePeriodSeconds int64 `json:"shutdownGracePeriodSeconds"`
}

// Config is the kubelet's configuration: the fields of KubeletConfiguration the model
// uses (same names, same defaults), the facts about the node, and the simulator's own
// switches. Zero values take the defaults.
type Config struct {
	// RegisterNode (default true): register the Node with the API server.
	RegisterNode *bool
	// RegisterWithTaints are added to the Node at creation only.
	RegisterWithTaints []taint.Taint
	// RegisterSchedulable (default true); false creates the Node unschedulable, with the
	// node.kubernetes.io/unschedulable:NoSchedule taint.
	RegisterSchedulable *bool
	// NodeStatusUpdateFrequency (default 10 s): how often status is computed.
	NodeStatusUpdateFrequency time.Duration
	// NodeStatusReportFrequency (default 5 m, or NodeStatusUpdateFrequency when only
	// that was set): how often an unchanged status is still posted.
	NodeStatusReportFrequency time.Duration
	// NodeLeaseDurationSeconds (default 40): the Lease's duration; renewals every 25 %.
	NodeLeaseDurationSeconds int32
	// ShutdownGracePeriod and ShutdownGracePeriodCriticalPods (default 0: graceful node
	// shutdown off) are the legacy two-group graceful shutdown settings.
	ShutdownGracePeriod             time.Duration
	ShutdownGracePeriodCriticalPods time.Duration
	// ShutdownGracePeriodByPodPriority, if set, replaces the two legacy settings.
	ShutdownGracePeriodByPodPriority []ShutdownGracePeriodByPodPriority
	// MaxPods (default 110) is the pods capacity when Capacity.Pods is zero.
	MaxPods int32

	// Labels are the kubelet's --node-labels. The kubelet keeps the map: do not change
	// it afterwards. The Node's labels are these and the defaults, interned with the
	// API server (Server.InternLabels): the nodes of one configuration share them all
	// but kubernetes.io/hostname.
	Labels map[string]string
	// Zone and Region become the topology.kubernetes.io (and beta failure-domain) labels.
	Zone   string
	Region string
	// Capacity and Allocatable of the node (Allocatable defaults to Capacity).
	Capacity    apiserver.Resources
	Allocatable apiserver.Resources

	// Version is the Kubernetes minor version (default 34). From 34 on, the first
	// no-change report after a status change is offset by U[-0.5, 0.5) × report frequency.
	Version int
	// Exact keeps every renewal and status report an actual write (no lazy steady mode).
	// A verbose trace forces it.
	Exact bool
	// NoJitter turns off the loops' 4 % jitter (arithmetic schedules).
	NoJitter bool
	// TaintNodesByCondition: a node lifecycle controller keeps the Node's NoSchedule
	// taints in line with its conditions and spec.unschedulable, as in every cluster.
	// Lazy mode then keeps the kubelet out of steady mode while they are not and its
	// Node was not written since the last outage ended (see canBeSteady). The scenario sets it; a kubelet on its own, whose Node keeps the
	// not-ready taint of its registration, leaves it off.
	TaintNodesByCondition bool
	// RuntimeCheckDelay (default 1 s) is when, after start, the first container runtime
	// status check succeeds; until then Ready is False with "container runtime status
	// check may not have completed yet".
	RuntimeCheckDelay time.Duration
	// PodStartDelay (default 1 s) is how long after the kubelet sees a pod it runs.
	PodStartDelay time.Duration
}

// withDefaults returns the effective configuration or an error naming the bad field.
func (c Config) withDefaults() (Config, error) {
	t := true
	if c.RegisterNode == nil {
		c.RegisterNode = &t
	}
	if c.RegisterSchedulable == nil {
		c.RegisterSchedulable = &t
	}
	if c.NodeStatusUpdateFrequency < 0 {
		return c, fmt.Errorf("kubelet: nodeStatusUpdateFrequency must be positive, got %v", c.NodeStatusUpdateFrequency)
	}
	if c.NodeStatusReportFrequency < 0 {
		return c, fmt.Errorf("kubelet: nodeStatusReportFrequency must be positive, got %v", c.NodeStatusReportFrequency)
	}
	switch {
	case c.NodeStatusUpdateFrequency == 0 && c.NodeStatusReportFrequency == 0:
		c.NodeStatusUpdateFrequency = DefaultNodeStatusUpdateFrequency
		c.NodeStatusReportFrequency = DefaultNodeStatusReportFrequency
	case c.NodeStatusUpdateFrequency == 0:
		c.NodeStatusUpdateFrequency = DefaultNodeStatusUpdateFrequency
	case c.NodeStatusReportFrequency == 0:
		// backward compatibility: an explicit update frequency alone sets both.
		c.NodeStatusReportFrequency = c.NodeStatusUpdateFrequency
	}
	if c.NodeLeaseDurationSeconds < 0 {
		return c, fmt.Errorf("kubelet: nodeLeaseDurationSeconds must be positive, got %d", c.NodeLeaseDurationSeconds)
	}
	if c.NodeLeaseDurationSeconds == 0 {
		c.NodeLeaseDurationSeconds = DefaultNodeLeaseDurationSeconds
	}
	if c.ShutdownGracePeriod < 0 || c.ShutdownGracePeriodCriticalPods < 0 {
		return c, fmt.Errorf("kubelet: shutdownGracePeriod and shutdownGracePeriodCriticalPods must not be negative, got %v and %v",
			c.ShutdownGracePeriod, c.ShutdownGracePeriodCriticalPods)
	}
	if c.ShutdownGracePeriodCriticalPods > c.ShutdownGracePeriod {
		return c, fmt.Errorf("kubelet: shutdownGracePeriodCriticalPods (%v) must not exceed shutdownGracePeriod (%v)",
			c.ShutdownGracePeriodCriticalPods, c.ShutdownGracePeriod)
	}
	if len(c.ShutdownGracePeriodByPodPriority) > 0 && (c.ShutdownGracePeriod > 0 || c.ShutdownGracePeriodCriticalPods > 0) {
		return c, fmt.Errorf("kubelet: shutdownGracePeriodByPodPriority cannot be combined with shutdownGracePeriod or shutdownGracePeriodCriticalPods")
	}
	for i, g := range c.ShutdownGracePeriodByPodPriority {
		if g.ShutdownGracePeriodSeconds < 0 {
			return c, fmt.Errorf("kubelet: shutdownGracePeriodByPodPriority[%d].shutdownGracePeriodSeconds must not be negative, got %d", i, g.ShutdownGracePeriodSeconds)
		}
	}
	if c.MaxPods < 0 {
		return c, fmt.Errorf("kubelet: maxPods must not be negative, got %d", c.MaxPods)
	}
	if c.MaxPods == 0 {
		c.MaxPods = DefaultMaxPods
	}
	if c.Capacity.Pods == 0 {
		c.Capacity.Pods = int64(c.MaxPods)
	}
	if c.Allocatable == (apiserver.Resources{}) {
		c.Allocatable = c.Capacity
	}
	if c.Version == 0 {
		c.Version = DefaultVersion
	}
	if c.Version < 0 {
		return c, fmt.Errorf("kubelet: version must be a positive minor version (e.g. 34), got %d", c.Version)
	}
	if c.RuntimeCheckDelay < 0 || c.PodStartDelay < 0 {
		return c, fmt.Errorf("kubelet: runtimeCheckDelay and podStartDelay must not be negative, got %v and %v", c.RuntimeCheckDelay, c.PodStartDelay)
	}
	if c.RuntimeCheckDelay == 0 {
		c.RuntimeCheckDelay = DefaultRuntimeCheckDelay
	}
	if c.PodStartDelay == 0 {
		c.PodStartDelay = DefaultPodStartDelay
	}
	c.RegisterWithTaints = slices.Clone(c.RegisterWithTaints)
	c.ShutdownGracePeriodByPodPriority = slices.Clone(c.ShutdownGracePeriodByPodPriority)
	return c, nil
}

// shutdownGroups is the effective per-priority graceful shutdown, lowest priority
// first (the legacy settings become two groups, as the shutdown manager converts them).
func (c *Config) shutdownGroups() []ShutdownGracePeriodByPodPriority {
	if len(c.ShutdownGracePeriodByPodPriority) > 0 {
		g := slices.Clone(c.ShutdownGracePeriodByPodPriority)
		slices.SortStableFunc(g, func(a, b ShutdownGracePeriodByPodPriority) int { return int(int64(a.Priority) - int64(b.Priority)) })
		return g
	}
	if c.ShutdownGracePeriod <= 0 {
		return nil
	}
	return []ShutdownGracePeriodByPodPriority{
		{Priority: 0, ShutdownGracePeriodSeconds: int64((c.ShutdownGracePeriod - c.ShutdownGracePeriodCriticalPods) / time.Second)},
		{Priority: SystemCriticalPriority, ShutdownGracePeriodSeconds: int64(c.ShutdownGracePeriodCriticalPods / time.Second)},
	}
}

// duration renders like metav1.Duration ("10s", "5m0s").
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

type configz struct {
	Kubeletconfig kubeletConfiguration `json:"kubeletconfig"`
}

type configzTaint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

type kubeletConfiguration struct {
	Kind                             string                             `json:"kind"`
	APIVersion                       string                             `json:"apiVersion"`
	RegisterNode                     bool                               `json:"registerNode"`
	RegisterWithTaints               []configzTaint                     `json:"registerWithTaints,omitempty"`
	NodeStatusUpdateFrequency        duration                           `json:"nodeStatusUpdateFrequency"`
	NodeStatusReportFrequency        duration                           `json:"nodeStatusReportFrequency"`
	NodeLeaseDurationSeconds         int32                              `json:"nodeLeaseDurationSeconds"`
	ShutdownGracePeriod              duration                           `json:"shutdownGracePeriod"`
	ShutdownGracePeriodCriticalPods  duration                           `json:"shutdownGracePeriodCriticalPods"`
	ShutdownGracePeriodByPodPriority []ShutdownGracePeriodByPodPriority `json:"shutdownGracePeriodByPodPriority,omitempty"`
	MaxPods                          int32                              `json:"maxPods"`
}

func (c *Config) configz() []byte {
	kc := kubeletConfiguration{
		Kind: "KubeletConfiguration", APIVersion: "kubelet.config.k8s.io/v1beta1",
		RegisterNode:                     *c.RegisterNode,
		NodeStatusUpdateFrequency:        duration(c.NodeStatusUpdateFrequency),
		NodeStatusReportFrequency:        duration(c.NodeStatusReportFrequency),
		NodeLeaseDurationSeconds:         c.NodeLeaseDurationSeconds,
		ShutdownGracePeriod:              duration(c.ShutdownGracePeriod),
		ShutdownGracePeriodCriticalPods:  duration(c.ShutdownGracePeriodCriticalPods),
		ShutdownGracePeriodByPodPriority: c.ShutdownGracePeriodByPodPriority,
		MaxPods:                          c.MaxPods,
	}
	for _, t := range c.RegisterWithTaints {
		kc.RegisterWithTaints = append(kc.RegisterWithTaints, configzTaint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)})
	}
	b, _ := json.Marshal(configz{Kubeletconfig: kc})
	return b
}
