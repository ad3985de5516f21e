package workload

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/taint"
)

// Scheduler filter failure reasons, upstream's messages.
const (
	// ErrReasonUnschedulable is the NodeUnschedulable plugin's reason.
	ErrReasonUnschedulable = "node(s) were unschedulable"
	// ErrReasonUntoleratedTaints is TaintToleration's reason with GenericTaintMessage.
	ErrReasonUntoleratedTaints = "node(s) had untolerated taint(s)"
	// ErrReasonAffinity is the NodeAffinity plugin's reason (selector or required affinity).
	ErrReasonAffinity = "node(s) didn't match Pod's node affinity/selector"
	// ErrReasonPreFilterNodeAffinity is the status of the nodes outside NodeAffinity's
	// PreFilterResult (a pod pinned to nodes by matchFields metadata.name), from 1.33.
	ErrReasonPreFilterNodeAffinity = "node(s) didn't satisfy plugin(s) [NodeAffinity]"
	// ErrReasonTooManyPods is NodeResourcesFit's reason when the pod count is at allocatable.
	ErrReasonTooManyPods = "Too many pods"
	// ErrReasonNoNodes is the error when the cluster has no nodes at all.
	ErrReasonNoNodes = "no nodes available to schedule pods"
)

// Default requests the scheduler assumes for scoring a pod that requests nothing
// (pkg/scheduler/util DefaultMilliCPURequest / DefaultMemoryRequest).
const (
	DefaultMilliCPURequest int64 = 100
	DefaultMemoryRequest   int64 = 200 * 1024 * 1024
)

// MaxNodeScore is the framework's highest node score.
const MaxNodeScore = 100

type failCode uint8

const (
	fitOK failCode = iota
	failUnschedulable
	failTaint
	failAffinity
	failResources
	failSpread       // PodTopologySpread: the skew would exceed maxSkew
	failSpreadLabel  // PodTopologySpread: the node lacks a constraint's topology key
	failPodAffinity  // InterPodAffinity: the pod's own required affinity
	failAntiAffinity // InterPodAffinity: the pod's own anti-affinity
	failExistingAnti // InterPodAffinity: a bound pod's anti-affinity
)

// insufficient resources bits
const (
	insPods = 1 << iota
	insCPU
	insMemory
)

// filterResult is why one node does not fit a pod: the first failing plugin in the
// default profile's order (NodeUnschedulable, TaintToleration, NodeAffinity,
// NodeResourcesFit) with its details.
type filterResult struct {
	code  failCode
	taint taint.Taint
	ins   uint8
}

var unschedulableTaint = taint.Taint{Key: taint.Unschedulable, Effect: taint.NoSchedule}

func noScheduleOrExecute(t taint.Taint) bool {
	return t.Effect == taint.NoSchedule || t.Effect == taint.NoExecute
}

// filterNode runs the filters of one pod against one node; requested is the sum of
// the requests of the pods already on it and pods their number. It does not allocate.
func filterNode(p *apiserver.Pod, n *apiserver.Node, requested apiserver.Resources, podCount int64, cmpOps bool) filterResult {
	// NodeUnschedulable: spec.unschedulable unless the pod tolerates the
	// unschedulable:NoSchedule taint.
	if n.Unschedulable && !taint.TolerationsTolerateTaint(p.Tolerations, unschedulableTaint, cmpOps) {
		return filterResult{code: failUnschedulable}
	}
	// TaintToleration: NoSchedule and NoExecute taints must be tolerated.
	if t, bad := taint.FindUntoleratedTaint(n.Taints, p.Tolerations, noScheduleOrExecute, cmpOps); bad {
		return filterResult{code: failTaint, taint: t}
	}
	// NodeAffinity: nodeSelector and required node affinity.
	if !MatchesNodeSelector(p.NodeSelector, n.Labels) || !MatchesNodeSelectorTerms(p.RequiredNodeAffinity, n) {
		return filterResult{code: failAffinity}
	}
	// NodeResourcesFit.
	if ins := insufficientResources(p, n.Allocatable, requested, podCount); ins != 0 {
		return filterResult{code: failResources, ins: ins}
	}
	return filterResult{}
}

// sameFilterInputs reports whether filterNode reads the same of pods a and b: their
// tolerations, node selector, required node affinity and requests (the replicas of
// one template, typically).
func sameFilterInputs(a, b *apiserver.Pod) bool {
	if a == b || a.PodSpec == b.PodSpec {
		return true // the replicas of one template share their admitted spec
	}
	return a.Requests == b.Requests && maps.Equal(a.NodeSelector, b.NodeSelector) &&
		slices.EqualFunc(a.Tolerations, b.Tolerations, sameToleration) &&
		slices.EqualFunc(a.RequiredNodeAffinity, b.RequiredNodeAffinity, sameTerm)
}

func sameTerm(x, y apiserver.NodeSelectorTerm) bool {
	return slices.EqualFunc(x.MatchExpressions, y.MatchExpressions, sameRequirement) &&
		slices.EqualFunc(x.MatchFields, y.MatchFields, sameRequirement)
}

func sameRequirement(r, q apiserver.NodeSelectorRequirement) bool {
	return r.Key == q.Key && r.Operator == q.Operator && slices.Equal(r.Values, q.Values)
}

func sameToleration(x, y taint.Toleration) bool {
	if x.Key != y.Key || x.Operator != y.Operator || x.Value != y.Value || x.Effect != y.Effect {
		return false
	}
	if x.TolerationSeconds == nil || y.TolerationSeconds == nil {
		return x.TolerationSeconds == y.TolerationSeconds
	}
	return *x.TolerationSeconds == *y.TolerationSeconds
}

// insufficientResources is NodeResourcesFit's check: the ins* bits of what is short
// on a node with allocatable a, requested already requested by podCount pods (0: the
// pod fits).
func insufficientResources(p *apiserver.Pod, a, requested apiserver.Resources, podCount int64) uint8 {
	var ins uint8
	if podCount+1 > a.Pods {
		ins |= insPods
	}
	if r := p.Requests.MilliCPU; r > 0 && r > a.MilliCPU-requested.MilliCPU {
		ins |= insCPU
	}
	if r := p.Requests.Memory; r > 0 && r > a.Memory-requested.Memory {
		ins |= insMemory
	}
	return ins
}

// MatchesNodeSelector reports whether labels have every key/value of a pod's
// spec.nodeSelector.
func MatchesNodeSelector(sel map[string]string, labels apiserver.Labels) bool {
	if len(sel) == 0 {
		return true
	}
	for k, v := range sel {
		if got, ok := labels.Lookup(k); !ok || got != v {
			return false
		}
	}
	return true
}

// MatchesNodeSelectorTerms reports whether node n satisfies required node affinity
// (component-helpers scheduling/corev1/nodeaffinity): terms are ORed, a term's
// expressions (on the labels) and fields (metadata.name) ANDed, an empty list of
// terms does not constrain, and a term with neither matches nothing.
func MatchesNodeSelectorTerms(terms []apiserver.NodeSelectorTerm, n *apiserver.Node) bool {
	if len(terms) == 0 {
		return true
	}
	for i := range terms {
		if matchTerm(&terms[i], n) {
			return true
		}
	}
	return false
}

func matchTerm(t *apiserver.NodeSelectorTerm, n *apiserver.Node) bool {
	if len(t.MatchExpressions) == 0 && len(t.MatchFields) == 0 {
		return false
	}
	for i := range t.MatchExpressions {
		if !MatchesRequirement(&t.MatchExpressions[i], n.Labels) {
			return false
		}
	}
	for i := range t.MatchFields {
		if !matchesField(&t.MatchFields[i], n.Name) {
			return false
		}
	}
	return true
}

// PreferredAffinityScore is NodeAffinity's raw score of node n for a pod's preferred
// terms (component-helpers nodeaffinity PreferredSchedulingTerms.Score): the sum of
// the weights of the terms n matches; a term of weight 0 or with no requirement
// counts for nothing.
func PreferredAffinityScore(terms []apiserver.PreferredSchedulingTerm, n *apiserver.Node) int64 {
	var score int64
	for i := range terms {
		if t := &terms[i]; t.Weight != 0 && matchTerm(&t.Preference, n) {
			score += int64(t.Weight)
		}
	}
	return score
}

// matchesField evaluates a field selector requirement on metadata.name, the only key
// the API server accepts, with In or NotIn (fields.Selector's In and NotIn on the
// node's name).
func matchesField(r *apiserver.NodeSelectorRequirement, name string) bool {
	if r.Key != "metadata.name" {
		return false
	}
	in := slices.Contains(r.Values, name)
	switch r.Operator {
	case "In":
		return in
	case "NotIn":
		return !in
	}
	return false
}

// MatchesRequirement evaluates one node selector requirement as apimachinery's
// labels.Requirement does: In and NotIn compare the label value with the values
// (NotIn also matches when the label is absent), Exists and DoesNotExist look only
// at the key, Gt and Lt parse the single value and the label value as integers
// and match only when both parse. An unknown operator matches nothing.
func MatchesRequirement(r *apiserver.NodeSelectorRequirement, labels apiserver.Labels) bool {
	v, has := labels.Lookup(r.Key)
	switch r.Operator {
	case "In":
		if !has {
			return false
		}
		for _, x := range r.Values {
			if x == v {
				return true
			}
		}
		return false
	case "NotIn":
		if !has {
			return true
		}
		for _, x := range r.Values {
			if x == v {
				return false
			}
		}
		return true
	case "Exists":
		return has
	case "DoesNotExist":
		return !has
	case "Gt", "Lt":
		if !has || len(r.Values) != 1 {
			return false
		}
		lv, err1 := strconv.ParseInt(v, 10, 64)
		rv, err2 := strconv.ParseInt(r.Values[0], 10, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		if r.Operator == "Gt" {
			return lv > rv
		}
		return lv < rv
	}
	return false
}

// leastAllocatedScore is NodeResourcesFit's LeastAllocated strategy with the default
// cpu and memory weights of 1: per resource (allocatable - requested) * 100 /
// allocatable, where requested counts default requests for pods that set none and
// includes the pod itself; 0 when allocatable is 0 or exceeded.
func leastAllocatedScore(alloc apiserver.Resources, nzCPU, nzMem int64) int64 {
	return (leastAllocated(nzCPU, alloc.MilliCPU) + leastAllocated(nzMem, alloc.Memory)) / 2
}

func leastAllocated(requested, capacity int64) int64 {
	if capacity == 0 || requested > capacity {
		return 0
	}
	return (capacity - requested) * MaxNodeScore / capacity
}

// balancedScore is NodeResourcesBalancedAllocation's score of a node with
// allocatable alloc whose pods request requested (their requests as written, not
// the non-zero defaults) for a pod requesting pod (noderesources/balanced_allocation.go):
// the balance of the cpu and memory fractions with the pod on the node, 100·(1 −
// |fcpu − fmem|/2) truncated, each fraction capped at 1 and a resource with no
// allocatable left out; from 1.36 (BalancedImprovement) the change the pod makes to
// that balance, 50 + (50 + with − without)/2.
func balancedScore(mode BalancedMode, alloc, requested, pod apiserver.Resources) int64 {
	with := balance(alloc, requested.MilliCPU+pod.MilliCPU, requested.Memory+pod.Memory)
	if mode != BalancedImprovement {
		return with
	}
	without := balance(alloc, requested.MilliCPU, requested.Memory)
	return MaxNodeScore/2 + (MaxNodeScore/2+with-without)/2
}

// balance is balancedResourceScore for cpu and memory requests.
func balance(alloc apiserver.Resources, cpu, mem int64) int64 {
	if alloc.MilliCPU == 0 || alloc.Memory == 0 {
		return MaxNodeScore // one fraction or none: no deviation
	}
	fc := min(float64(cpu)/float64(alloc.MilliCPU), 1)
	fm := min(float64(mem)/float64(alloc.Memory), 1)
	return int64((1 - math.Abs((fc-fm)/2)) * float64(MaxNodeScore))
}

func nonZero(r apiserver.Resources) (cpu, mem int64) {
	cpu, mem = r.MilliCPU, r.Memory
	if cpu == 0 {
		cpu = DefaultMilliCPURequest
	}
	if mem == 0 {
		mem = DefaultMemoryRequest
	}
	return cpu, mem
}

// fitErrorMessage renders upstream's FitError: "0/N nodes are available: " and the
// sorted histogram of reasons, "C reason", joined by ", ", and a final ".".
func fitErrorMessage(total int, results []filterResult) string {
	var c fitCounts
	for _, r := range results {
		c.add(r, 1)
	}
	return c.message(total, false)
}

// fitCounts is the histogram of a FitError's reasons, counted per reason without
// building each node's reason text: a pod that fits nowhere on 10k nodes is explained
// again after every change of the cluster. The scheduler's no-fit cache keeps one up
// to date node by node.
type fitCounts struct {
	unschedulable, affinity, tooManyPods, cpu, memory int
	taints                                            []taintCount // distinct untolerated taints are few
	// absent: nodes outside NodeAffinity's PreFilterResult, counted from 1.33
	absent int
	// spread, spreadLabel: PodTopologySpread's two reasons
	spread, spreadLabel int
	// podAffinity, anti, existingAnti: InterPodAffinity's three modelled reasons
	podAffinity, anti, existingAnti int
}

type taintCount struct {
	key, value string
	n          int
}

// add counts r's reasons d times (d = -1 takes them off).
func (c *fitCounts) add(r filterResult, d int) {
	switch r.code {
	case failUnschedulable:
		c.unschedulable += d
	case failTaint:
		i := slices.IndexFunc(c.taints, func(t taintCount) bool { return t.key == r.taint.Key && t.value == r.taint.Value })
		if i < 0 {
			i = len(c.taints)
			c.taints = append(c.taints, taintCount{key: r.taint.Key, value: r.taint.Value})
		}
		c.taints[i].n += d
	case failAffinity:
		c.affinity += d
	case failSpread:
		c.spread += d
	case failSpreadLabel:
		c.spreadLabel += d
	case failPodAffinity:
		c.podAffinity += d
	case failAntiAffinity:
		c.anti += d
	case failExistingAnti:
		c.existingAnti += d
	case failResources:
		if r.ins&insPods != 0 {
			c.tooManyPods += d
		}
		if r.ins&insCPU != 0 {
			c.cpu += d
		}
		if r.ins&insMemory != 0 {
			c.memory += d
		}
	}
}

// rejectors are the plugins with a reason counted (rej* bits): the FitError's
// Diagnosis.UnschedulablePlugins, each node's first failing filter.
func (c *fitCounts) rejectors() uint8 {
	var r uint8
	if c.unschedulable > 0 {
		r |= rejUnschedulable
	}
	if slices.ContainsFunc(c.taints, func(t taintCount) bool { return t.n > 0 }) {
		r |= rejTaint
	}
	if c.affinity > 0 || c.absent > 0 {
		r |= rejAffinity
	}
	if c.tooManyPods > 0 || c.cpu > 0 || c.memory > 0 {
		r |= rejFit
	}
	if c.spread > 0 || c.spreadLabel > 0 {
		r |= rejSpread
	}
	if c.podAffinity > 0 || c.anti > 0 || c.existingAnti > 0 {
		r |= rejInterPod
	}
	return r
}

// reset empties the histogram, keeping its storage.
func (c *fitCounts) reset() { *c = fitCounts{taints: c.taints[:0]} }

// message is the FitError of total nodes with these reasons; genericTaint counts every
// untolerated taint under one reason (SchedulerConfig.GenericTaintMessage).
func (c *fitCounts) message(total int, genericTaint bool) string {
	if total == 0 {
		return ErrReasonNoNodes
	}
	parts := make([]string, 0, 10+len(c.taints))
	add := func(n int, reason string) {
		if n > 0 {
			parts = append(parts, strconv.Itoa(n)+" "+reason)
		}
	}
	add(c.unschedulable, ErrReasonUnschedulable)
	if genericTaint {
		n := 0
		for _, t := range c.taints {
			n += t.n
		}
		add(n, ErrReasonUntoleratedTaints)
	} else {
		for _, t := range c.taints {
			add(t.n, "node(s) had untolerated taint {"+t.key+": "+t.value+"}")
		}
	}
	add(c.affinity, ErrReasonAffinity)
	add(c.absent, ErrReasonPreFilterNodeAffinity)
	add(c.tooManyPods, ErrReasonTooManyPods)
	add(c.cpu, "Insufficient cpu")
	add(c.memory, "Insufficient memory")
	add(c.spread, ErrReasonConstraintsNotMatch)
	add(c.spreadLabel, ErrReasonNodeLabelNotMatch)
	add(c.podAffinity, ErrReasonAffinityRulesNotMatch)
	add(c.anti, ErrReasonAntiAffinityRulesNotMatch)
	add(c.existingAnti, ErrReasonExistingAntiAffinityRulesNotMatch)
	sort.Strings(parts)
	return "0/" + strconv.Itoa(total) + " nodes are available: " + strings.Join(parts, ", ") + "."
}

// pinnedNames is NodeAffinity's PreFilterResult: when every term of the pod's required
// node affinity names nodes (matchFields metadata.name In), the union over the terms of
// each term's intersection, sorted; ok is false when some term does not (every node is
// a candidate). A result with no name (the terms conflict) is not modelled: ok false.
func pinnedNames(p *apiserver.Pod) (names []string, ok bool) {
	if len(p.RequiredNodeAffinity) == 0 {
		return nil, false
	}
	for _, t := range p.RequiredNodeAffinity {
		var term []string
		found := false
		for _, r := range t.MatchFields {
			if r.Key != "metadata.name" || r.Operator != "In" {
				continue
			}
			if !found {
				term, found = slices.Clone(r.Values), true
				continue
			}
			term = slices.DeleteFunc(term, func(v string) bool { return !slices.Contains(r.Values, v) })
		}
		if !found {
			return nil, false
		}
		names = append(names, term...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	return names, len(names) > 0
}
