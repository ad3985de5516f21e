package spec

import (
	"fmt"
	"math"
	"time"

	"go.yaml.in/yaml/v3"
)

// Field names of the three component configurations, in the order docs/SCENARIOS.md
// writes them. They are also the With/sweep paths under each prefix.
var (
	controllerManagerFields = []string{"nodeMonitorPeriod", "nodeMonitorGracePeriod", "nodeStartupGracePeriod", "nodeEvictionRate", "secondaryNodeEvictionRate", "largeClusterSizeThreshold", "unhealthyZoneThreshold", "terminatedPodGCThreshold", "kubeAPIQPS", "kubeAPIBurst", "instances", "leaderElection"}
	leaderElectionFields    = []string{"leaseDuration", "renewDeadline", "retryPeriod"}
	apiServerFields         = []string{"defaultNotReadyTolerationSeconds", "defaultUnreachableTolerationSeconds"}
	featureGateFields       = []string{"TaintTolerationComparisonOperators"}
	kubeletFields           = []string{"registerNode", "registerWithTaints", "nodeStatusUpdateFrequency", "nodeStatusReportFrequency", "nodeLeaseDurationSeconds", "shutdownGracePeriod", "shutdownGracePeriodCriticalPods", "shutdownGracePeriodByPodPriority", "maxPods"}
)

const (
	allowInt32     = "an integer (int32)"
	allowInt64     = "an integer (int64)"
	allowRate      = "a number such as 0.1 (≤ 0 never evicts)"
	allowFraction  = "a number such as 0.55"
	allowInstances = "an integer ≥ 1"
	allowQPS       = "a number of requests per second, such as 20 (0: the default 20; negative: no limit)"
	allowBurst     = "an integer ≥ 0 (0: the default 30)"
	// allowLeaseDuration: the Lease keeps leaseDuration in whole seconds (an int32).
	allowLeaseDuration = "a duration from 1s to 2147483647s; a fraction of a second is dropped, as client-go drops it"
	// leaderElectionJitter is client-go's leaderelection.JitterFactor.
	leaderElectionJitter = 1.2
)

// controllerManager applies spec.controllerManager over the version's defaults and
// validates it as upstream does (leader election: k8s.io/client-go leaderelection
// NewLeaderElector and component-base ValidateLeaderElectionConfiguration), and a
// leaseDuration the Lease can hold (from 1s to 2147483647s) besides.
func (p *parser) controllerManager(n *yaml.Node, cm *ControllerManager) {
	const path = "spec.controllerManager"
	f, ok := p.object(n, path, controllerManagerFields...)
	if !ok {
		return
	}
	for _, k := range f.keys {
		v, at := f.get(k), f.at(k)
		switch k {
		case "nodeMonitorPeriod":
			if d, ok := p.positiveDuration(v, at); ok {
				cm.NodeMonitorPeriod = d
			}
		case "nodeMonitorGracePeriod":
			if d, ok := p.duration(v, at); ok {
				cm.NodeMonitorGracePeriod = d
			}
		case "nodeStartupGracePeriod":
			if d, ok := p.duration(v, at); ok {
				cm.NodeStartupGracePeriod = d
			}
		case "nodeEvictionRate":
			if x, ok := p.float32(v, at, allowRate); ok {
				cm.NodeEvictionRate = x
			}
		case "secondaryNodeEvictionRate":
			if x, ok := p.float32(v, at, allowRate); ok {
				cm.SecondaryNodeEvictionRate = x
			}
		case "largeClusterSizeThreshold":
			if i, ok := p.integer(v, at, math.MinInt32, math.MaxInt32, allowInt32); ok {
				cm.LargeClusterSizeThreshold = int(i)
			}
		case "unhealthyZoneThreshold":
			if x, ok := p.float32(v, at, allowFraction); ok {
				cm.UnhealthyZoneThreshold = x
			}
		case "terminatedPodGCThreshold":
			if i, ok := p.integer(v, at, math.MinInt32, math.MaxInt32, allowInt32); ok {
				cm.TerminatedPodGCThreshold = int(i)
			}
		case "kubeAPIQPS":
			if x, ok := p.float32(v, at, allowQPS); ok {
				if float32(x) == 0 {
					// kube-controller-manager's defaulting, on the float32 flag: a
					// value too small for a float32 is 0 there too
					x = DefaultKubeAPIQPS
				}
				cm.KubeAPIQPS = x
			}
		case "kubeAPIBurst":
			if i, ok := p.integer(v, at, 0, math.MaxInt32, allowBurst); ok {
				if i == 0 {
					i = DefaultKubeAPIBurst
				}
				cm.KubeAPIBurst = int(i)
			}
		case "instances":
			if i, ok := p.integer(v, at, 1, 1000, allowInstances+" (at most 1000)"); ok {
				cm.Instances = int(i)
			}
		case "leaderElection":
			p.leaderElection(v, at, &cm.LeaderElection)
		}
	}
}

// float32 reads a number that upstream keeps in a float32 flag.
func (p *parser) float32(n *yaml.Node, path, allowed string) (float64, bool) {
	x, ok := p.number(n, path, allowed)
	if ok && math.Abs(x) > math.MaxFloat32 {
		p.fail(resolve(n), path, allowed, "%v is out of float32 range", x)
		return 0, false
	}
	return x, ok
}

func (p *parser) leaderElection(n *yaml.Node, path string, le *LeaderElection) {
	f, ok := p.object(n, path, leaderElectionFields...)
	if !ok {
		return
	}
	for _, k := range f.keys {
		d, ok := p.positiveDuration(f.get(k), f.at(k))
		if !ok {
			continue
		}
		switch k {
		case "leaseDuration":
			le.LeaseDuration = d
		case "renewDeadline":
			le.RenewDeadline = d
		case "retryPeriod":
			le.RetryPeriod = d
		}
	}
	blame := func(key string) (*yaml.Node, string) {
		if f.has(key) {
			return resolve(f.get(key)), f.at(key)
		}
		return f.node, path
	}
	if le.LeaseDuration <= le.RenewDeadline {
		node, at := blame("leaseDuration")
		if !f.has("leaseDuration") {
			node, at = blame("renewDeadline")
		}
		p.fail(node, at, "leaseDuration > renewDeadline, as client-go requires", "leaseDuration %s must be greater than renewDeadline %s", le.LeaseDuration, le.RenewDeadline)
	}
	if d := le.LeaseDuration; d > 0 && (d < time.Second || d/time.Second > math.MaxInt32) {
		// client-go's tryAcquireOrRenew writes int(LeaseDuration / time.Second) into the
		// Lease's spec.leaseDurationSeconds (an int32), and every candidate, the leader
		// included, times the lock by that number: a fraction of a second is dropped
		// (15.5s runs as 15s, as upstream). Under 1s it is 0, which the API server
		// rejects (spec.leaseDurationSeconds: must be greater than 0): no instance could
		// ever take the lock, which nodesim does not model.
		node, at := blame("leaseDuration")
		if d < time.Second {
			p.fail(node, at, allowLeaseDuration, "leaseDuration %s is under 1s: kube-controller-manager would write the Lease with spec.leaseDurationSeconds 0 (client-go keeps whole seconds), which the API server rejects, so no instance could ever lead", d)
		} else {
			p.fail(node, at, allowLeaseDuration, "leaseDuration %s does not fit the Lease's spec.leaseDurationSeconds (an int32 of seconds)", d)
		}
	}
	if limit := time.Duration(leaderElectionJitter * float64(le.RetryPeriod)); le.RenewDeadline <= limit {
		node, at := blame("renewDeadline")
		if !f.has("renewDeadline") {
			node, at = blame("retryPeriod")
		}
		p.fail(node, at, "renewDeadline > retryPeriod × 1.2 (client-go's JitterFactor)", "renewDeadline %s must be greater than retryPeriod × 1.2 = %s", le.RenewDeadline, limit)
	}
}

// featureGates reads spec.featureGates: the feature gates the simulation models, set
// on every component as --feature-gates would be. Only
// TaintTolerationComparisonOperators is modelled (alpha from 1.35, off by default,
// as upstream): on, tolerations may use Lt and Gt.
func (p *parser) featureGates(n *yaml.Node, version string, g *FeatureGates) {
	const path = "spec.featureGates"
	f, ok := p.object(n, path, featureGateFields...)
	if !ok {
		return
	}
	for _, k := range f.keys {
		v, ok := p.boolean(f.get(k), f.at(k))
		if !ok {
			continue
		}
		switch k {
		case "TaintTolerationComparisonOperators":
			if v && !comparisonOperators(version) {
				p.fail(f.get(k), f.at(k), "false, or kubernetesVersion 1.35 or later",
					"the TaintTolerationComparisonOperators feature gate exists from Kubernetes 1.35 (alpha); kubernetesVersion is %s", version)
				continue
			}
			g.TaintTolerationComparisonOperators = v
		}
	}
}

// apiServer applies spec.apiServer over the defaults. Upstream does not validate
// the toleration seconds; a value ≤ 0 evicts at once.
func (p *parser) apiServer(n *yaml.Node, api *APIServer) {
	f, ok := p.object(n, "spec.apiServer", apiServerFields...)
	if !ok {
		return
	}
	for _, k := range f.keys {
		i, ok := p.integer(f.get(k), f.at(k), math.MinInt64, math.MaxInt64, allowInt64+" of seconds")
		if !ok {
			continue
		}
		switch k {
		case "defaultNotReadyTolerationSeconds":
			api.DefaultNotReadyTolerationSeconds = i
		case "defaultUnreachableTolerationSeconds":
			api.DefaultUnreachableTolerationSeconds = i
		}
	}
}

// source is where a kubelet field was set, to blame it in cross-field errors.
type source struct {
	node *yaml.Node
	path string
}

// kubeletLayer is one KubeletConfiguration layer as written: nil pointers are
// fields the layer does not set. Layers merge field by field (spec.kubelet, then a
// node's kubelet:), then upstream defaulting turns the result into a Kubelet.
type kubeletLayer struct {
	RegisterNode                     *bool
	RegisterWithTaints               *[]Taint
	NodeStatusUpdateFrequency        *time.Duration
	NodeStatusReportFrequency        *time.Duration
	NodeLeaseDurationSeconds         *int32
	ShutdownGracePeriod              *time.Duration
	ShutdownGracePeriodCriticalPods  *time.Duration
	ShutdownGracePeriodByPodPriority *[]PriorityGracePeriod
	MaxPods                          *int32

	src  map[string]source // field name → where it was set
	node *yaml.Node        // the kubelet: mapping, blamed when no field is
	path string
}

// kubeletLayer reads one kubelet: mapping.
func (p *parser) kubeletLayer(n *yaml.Node, path string) *kubeletLayer {
	l := &kubeletLayer{src: map[string]source{}, node: resolve(n), path: path}
	f, ok := p.object(n, path, kubeletFields...)
	if !ok {
		return l
	}
	for _, k := range f.keys {
		v, at := f.get(k), f.at(k)
		set := true
		switch k {
		case "registerNode":
			b, ok := p.boolean(v, at)
			set = ok
			l.RegisterNode = &b
		case "registerWithTaints":
			ts, ok := p.registerWithTaints(v, at)
			set = ok
			l.RegisterWithTaints = &ts
		case "nodeStatusUpdateFrequency", "nodeStatusReportFrequency", "shutdownGracePeriod", "shutdownGracePeriodCriticalPods":
			d, ok := p.duration(v, at)
			set = ok
			switch k {
			case "nodeStatusUpdateFrequency":
				l.NodeStatusUpdateFrequency = &d
			case "nodeStatusReportFrequency":
				l.NodeStatusReportFrequency = &d
			case "shutdownGracePeriod":
				l.ShutdownGracePeriod = &d
			case "shutdownGracePeriodCriticalPods":
				l.ShutdownGracePeriodCriticalPods = &d
			}
		case "nodeLeaseDurationSeconds":
			i, ok := p.integer(v, at, math.MinInt32, math.MaxInt32, allowInt32+" > 0 (0 means the default, 40)")
			set = ok
			x := int32(i)
			l.NodeLeaseDurationSeconds = &x
		case "maxPods":
			i, ok := p.integer(v, at, math.MinInt32, math.MaxInt32, allowInt32+" ≥ 0 (0 means the default, 110)")
			set = ok
			x := int32(i)
			l.MaxPods = &x
		case "shutdownGracePeriodByPodPriority":
			g, ok := p.priorityGracePeriods(v, at)
			set = ok
			l.ShutdownGracePeriodByPodPriority = &g
		}
		if set {
			l.src[k] = source{resolve(v), at}
		} else {
			l.clear(k)
		}
	}
	return l
}

// clear unsets a field whose value was invalid, so that it neither merges nor
// produces a second error.
func (l *kubeletLayer) clear(k string) {
	switch k {
	case "registerNode":
		l.RegisterNode = nil
	case "registerWithTaints":
		l.RegisterWithTaints = nil
	case "nodeStatusUpdateFrequency":
		l.NodeStatusUpdateFrequency = nil
	case "nodeStatusReportFrequency":
		l.NodeStatusReportFrequency = nil
	case "shutdownGracePeriod":
		l.ShutdownGracePeriod = nil
	case "shutdownGracePeriodCriticalPods":
		l.ShutdownGracePeriodCriticalPods = nil
	case "nodeLeaseDurationSeconds":
		l.NodeLeaseDurationSeconds = nil
	case "maxPods":
		l.MaxPods = nil
	case "shutdownGracePeriodByPodPriority":
		l.ShutdownGracePeriodByPodPriority = nil
	}
}

func (p *parser) registerWithTaints(n *yaml.Node, path string) ([]Taint, bool) {
	items, ok := p.items(n, path, "a list of taints, each "+allowTaint)
	if !ok {
		return nil, false
	}
	ts := make([]Taint, 0, len(items))
	seen := map[[2]string]bool{}
	for i, item := range items {
		t, tok := p.taint(item, index(path, i), taintRegister, true)
		if !tok {
			ok = false
			continue
		}
		if seen[[2]string{t.Key, t.Effect}] {
			p.fail(resolve(item), index(path, i), "one taint per key and effect", "duplicate taint %s (the API server rejects the Node)", t)
			ok = false
			continue
		}
		seen[[2]string{t.Key, t.Effect}] = true
		ts = append(ts, t)
	}
	return ts, ok
}

func (p *parser) priorityGracePeriods(n *yaml.Node, path string) ([]PriorityGracePeriod, bool) {
	items, ok := p.items(n, path, "a list of {priority, shutdownGracePeriodSeconds}")
	if !ok {
		return nil, false
	}
	out := make([]PriorityGracePeriod, 0, len(items))
	for i, item := range items {
		at := index(path, i)
		f, fok := p.object(item, at, "priority", "shutdownGracePeriodSeconds")
		if !fok {
			ok = false
			continue
		}
		var g PriorityGracePeriod
		if v := f.get("priority"); f.has("priority") {
			x, xok := p.integer(v, f.at("priority"), math.MinInt32, math.MaxInt32, allowInt32)
			ok = ok && xok
			g.Priority = int32(x)
		}
		if v := f.get("shutdownGracePeriodSeconds"); f.has("shutdownGracePeriodSeconds") {
			x, xok := p.integer(v, f.at("shutdownGracePeriodSeconds"), 0, math.MaxInt64/int64(time.Second), "an integer ≥ 0 of seconds")
			ok = ok && xok
			g.ShutdownGracePeriodSeconds = x
		}
		out = append(out, g)
	}
	return out, ok
}

// merge returns base with every field over sets replaced by over's.
func (base *kubeletLayer) merge(over *kubeletLayer) *kubeletLayer {
	m := *base
	m.src = make(map[string]source, len(base.src)+len(over.src))
	for k, s := range base.src {
		m.src[k] = s
	}
	for k, s := range over.src {
		m.src[k] = s
	}
	m.node, m.path = over.node, over.path
	if over.RegisterNode != nil {
		m.RegisterNode = over.RegisterNode
	}
	if over.RegisterWithTaints != nil {
		m.RegisterWithTaints = over.RegisterWithTaints
	}
	if over.NodeStatusUpdateFrequency != nil {
		m.NodeStatusUpdateFrequency = over.NodeStatusUpdateFrequency
	}
	if over.NodeStatusReportFrequency != nil {
		m.NodeStatusReportFrequency = over.NodeStatusReportFrequency
	}
	if over.NodeLeaseDurationSeconds != nil {
		m.NodeLeaseDurationSeconds = over.NodeLeaseDurationSeconds
	}
	if over.ShutdownGracePeriod != nil {
		m.ShutdownGracePeriod = over.ShutdownGracePeriod
	}
	if over.ShutdownGracePeriodCriticalPods != nil {
		m.ShutdownGracePeriodCriticalPods = over.ShutdownGracePeriodCriticalPods
	}
	if over.ShutdownGracePeriodByPodPriority != nil {
		m.ShutdownGracePeriodByPodPriority = over.ShutdownGracePeriodByPodPriority
	}
	if over.MaxPods != nil {
		m.MaxPods = over.MaxPods
	}
	return &m
}

// kubelet turns a merged layer into the effective configuration: the version's
// defaults for unset fields, then the kubelet's own defaulting and validation
// (pkg/kubelet/apis/config/v1beta1/defaults.go, .../validation/validation.go).
func (p *parser) kubelet(l *kubeletLayer, def Kubelet) Kubelet {
	k := def
	blame := func(field string) (*yaml.Node, string) {
		if s, ok := l.src[field]; ok {
			return s.node, s.path
		}
		return l.node, l.path
	}
	if l.RegisterNode != nil {
		k.RegisterNode = *l.RegisterNode
	}
	if l.RegisterWithTaints != nil {
		k.RegisterWithTaints = *l.RegisterWithTaints
	}
	// An unset (or zero) report frequency follows an explicitly set update frequency.
	var update, report time.Duration
	if l.NodeStatusUpdateFrequency != nil {
		update = *l.NodeStatusUpdateFrequency
	}
	if l.NodeStatusReportFrequency != nil {
		report = *l.NodeStatusReportFrequency
	}
	if report == 0 {
		report = def.NodeStatusReportFrequency
		if update != 0 {
			report = update
		}
	}
	if update == 0 {
		update = def.NodeStatusUpdateFrequency
	}
	k.NodeStatusUpdateFrequency, k.NodeStatusReportFrequency = update, report
	if l.NodeLeaseDurationSeconds != nil && *l.NodeLeaseDurationSeconds != 0 {
		k.NodeLeaseDurationSeconds = *l.NodeLeaseDurationSeconds
		if k.NodeLeaseDurationSeconds < 0 {
			n, at := blame("nodeLeaseDurationSeconds")
			p.fail(n, at, allowInt32+" > 0 (0 means the default, 40)", "nodeLeaseDurationSeconds must be greater than 0")
		}
	}
	if l.MaxPods != nil && *l.MaxPods != 0 {
		k.MaxPods = int(*l.MaxPods)
		if k.MaxPods < 0 {
			n, at := blame("maxPods")
			p.fail(n, at, allowInt32+" ≥ 0 (0 means the default, 110)", "maxPods must not be negative")
		}
	}
	if l.ShutdownGracePeriod != nil {
		k.ShutdownGracePeriod = *l.ShutdownGracePeriod
	}
	if l.ShutdownGracePeriodCriticalPods != nil {
		k.ShutdownGracePeriodCriticalPods = *l.ShutdownGracePeriodCriticalPods
	}
	if l.ShutdownGracePeriodByPodPriority != nil {
		k.ShutdownGracePeriodByPodPriority = *l.ShutdownGracePeriodByPodPriority
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"shutdownGracePeriod", k.ShutdownGracePeriod}, {"shutdownGracePeriodCriticalPods", k.ShutdownGracePeriodCriticalPods}} {
		if f.d > 0 && f.d < time.Second {
			n, at := blame(f.name)
			p.fail(n, at, "0s, or a duration ≥ 1s", "%s %s must be either zero or otherwise >= 1 sec", f.name, f.d)
		}
	}
	if k.ShutdownGracePeriodCriticalPods > k.ShutdownGracePeriod {
		n, at := blame("shutdownGracePeriodCriticalPods")
		p.fail(n, at, fmt.Sprintf("a duration ≤ shutdownGracePeriod (%s)", k.ShutdownGracePeriod), "shutdownGracePeriodCriticalPods %s must be <= shutdownGracePeriod %s", k.ShutdownGracePeriodCriticalPods, k.ShutdownGracePeriod)
	}
	if len(k.ShutdownGracePeriodByPodPriority) > 0 && (k.ShutdownGracePeriod > 0 || k.ShutdownGracePeriodCriticalPods > 0) {
		n, at := blame("shutdownGracePeriodByPodPriority")
		p.fail(n, at, "either shutdownGracePeriodByPodPriority or shutdownGracePeriod/shutdownGracePeriodCriticalPods", "cannot specify both shutdownGracePeriodByPodPriority and shutdownGracePeriod at the same time")
	}
	return k
}
