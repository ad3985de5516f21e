package workload

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/apiserver"
)

// A literal transcription of kube-scheduler's InterPodAffinity PreFilter and Filter
// for required pod affinity and anti-affinity (pkg/scheduler/framework/plugins/interpodaffinity/
// filtering.go and plugin.go's mergeAffinityTermNamespacesIfNotEmpty and
// GetNamespaceLabelsSnapshot, v1.33.0; AffinityTerm.Matches, newAffinityTerm and
// getNamespacesFromPodAffinityTerm of pkg/scheduler/framework/types.go), on plain
// data: nodes (name, labels), the pods of the scheduler's snapshot (namespace,
// labels, node, terminating, required affinity and anti-affinity terms), the
// namespaces that exist with their labels, the pod to schedule. The selectors are
// apimachinery's own (metav1.LabelSelectorAsSelector, labels).
//
// v1.31.0 is the same code but for merging per-node maps instead of lists. v1.37.2
// is the same with its InterPodAffinityHostnameFastPath gate at its default (alpha,
// off): its Filter calls nodeTopologyMatchesAffinity, whose body is 1.33's
// satisfyPodAffinity (satisfiesSelfAffinityCheck reduces to
// podMatchesAllAffinityTerms with the gate off); the fast path is not transcribed.

// upAntiTerm is a v1.PodAffinityTerm (without matchLabelKeys and
// mismatchLabelKeys, which the loader rejects).
type upAntiTerm struct {
	LabelSelector     *metav1.LabelSelector
	Namespaces        []string
	TopologyKey       string
	NamespaceSelector *metav1.LabelSelector
	MatchLabelKeys    []string
	MismatchLabelKeys []string
}

// upMergeLabelKeys is what the API server does to a pod's terms when it creates the
// pod (pkg/registry/core/pod/strategy.go, the MatchLabelKeysInPodAffinity merge):
// for each term with a labelSelector, "key in (value)" appended to its
// matchExpressions per matchLabelKeys key the pod's labels have, then "key notin
// (value)" per mismatchLabelKeys key. The terms given are not written.
func upMergeLabelKeys(labels map[string]string, ts []upAntiTerm) []upAntiTerm {
	out := slices.Clone(ts)
	for i := range out {
		t := &out[i]
		if t.LabelSelector == nil || len(t.MatchLabelKeys)+len(t.MismatchLabelKeys) == 0 {
			continue
		}
		sel := t.LabelSelector.DeepCopy()
		for _, l := range []struct {
			keys []string
			op   metav1.LabelSelectorOperator
		}{{t.MatchLabelKeys, metav1.LabelSelectorOpIn}, {t.MismatchLabelKeys, metav1.LabelSelectorOpNotIn}} {
			for _, k := range l.keys {
				if v, ok := labels[k]; ok {
					sel.MatchExpressions = append(sel.MatchExpressions, metav1.LabelSelectorRequirement{Key: k, Operator: l.op, Values: []string{v}})
				}
			}
		}
		t.LabelSelector = sel
	}
	return out
}

// merged reports whether upMergeLabelKeys added to one of terms (ms, from ts).
func merged(ts, ms []upAntiTerm) bool {
	for i := range ts {
		if ts[i].LabelSelector != nil && len(ms[i].LabelSelector.MatchExpressions) > len(ts[i].LabelSelector.MatchExpressions) {
			return true
		}
	}
	return false
}

// weightedTerms is the terms of ws without their weights.
func weightedTerms(ws []upWeightedTerm) []upAntiTerm {
	out := make([]upAntiTerm, len(ws))
	for i := range ws {
		out[i] = ws[i].PodAffinityTerm
	}
	return out
}

// upMergeWeighted is upMergeLabelKeys for preferred terms.
func upMergeWeighted(labels map[string]string, ws []upWeightedTerm) []upWeightedTerm {
	out := slices.Clone(ws)
	for i := range out {
		out[i].PodAffinityTerm = upMergeLabelKeys(labels, []upAntiTerm{out[i].PodAffinityTerm})[0]
	}
	return out
}

// upAPod is a pod: of the snapshot when Node is set, else the pod to schedule.
type upAPod struct {
	Namespace   string
	Labels      map[string]string
	Node        string
	Terminating bool
	AntiTerms   []upAntiTerm // affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution
	AffTerms    []upAntiTerm // affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution
	// affinity.podAffinity and podAntiAffinity .preferredDuringSchedulingIgnoredDuringExecution
	PrefAffTerms, PrefAntiTerms []upWeightedTerm
}

// upWeightedTerm is a v1.WeightedPodAffinityTerm.
type upWeightedTerm struct {
	Weight          int32
	PodAffinityTerm upAntiTerm
}

type upNamespace struct {
	Name   string
	Labels map[string]string
}

// upANodeInfo is a NodeInfo of the snapshot: a node, its pods, and those of them
// with required anti-affinity terms (PodsWithRequiredAntiAffinity), each pod with
// its terms parsed (PodInfo.RequiredAntiAffinityTerms).
type upANodeInfo struct {
	node                         *upNode
	pods                         []upPodInfo
	podsWithRequiredAntiAffinity []upPodInfo
}

type upPodInfo struct {
	Pod                        *upAPod
	RequiredAffinityTerms      []upAffinityTerm
	RequiredAntiAffinityTerms  []upAffinityTerm
	PreferredAffinityTerms     []upWeightedAffinityTerm
	PreferredAntiAffinityTerms []upWeightedAffinityTerm
}

type upWeightedAffinityTerm struct {
	upAffinityTerm
	Weight int32
}

// getWeightedAffinityTerms returns the list of processed affinity terms.
func upGetWeightedAffinityTerms(pod *upAPod, v1Terms []upWeightedTerm) ([]upWeightedAffinityTerm, error) {
	if v1Terms == nil {
		return nil, nil
	}

	var terms []upWeightedAffinityTerm
	for i := range v1Terms {
		t, err := upNewAffinityTerm(pod, &v1Terms[i].PodAffinityTerm)
		if err != nil {
			// We get here if the label selector failed to process
			return nil, err
		}
		terms = append(terms, upWeightedAffinityTerm{upAffinityTerm: *t, Weight: v1Terms[i].Weight})
	}
	return terms, nil
}

// --- pkg/scheduler/framework/types.go ---

type upAffinityTerm struct {
	Namespaces        sets.Set[string]
	Selector          labels.Selector
	TopologyKey       string
	NamespaceSelector labels.Selector
}

// Matches returns true if the pod matches the label selector and namespaces or namespace selector.
func (at *upAffinityTerm) Matches(pod *upAPod, nsLabels labels.Set) bool {
	if at.Namespaces.Has(pod.Namespace) || at.NamespaceSelector.Matches(nsLabels) {
		return at.Selector.Matches(labels.Set(pod.Labels))
	}
	return false
}

func upNewAffinityTerm(pod *upAPod, term *upAntiTerm) (*upAffinityTerm, error) {
	selector, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
	if err != nil {
		return nil, err
	}

	namespaces := upGetNamespacesFromPodAffinityTerm(pod, term)
	nsSelector, err := metav1.LabelSelectorAsSelector(term.NamespaceSelector)
	if err != nil {
		return nil, err
	}

	return &upAffinityTerm{Namespaces: namespaces, Selector: selector, TopologyKey: term.TopologyKey, NamespaceSelector: nsSelector}, nil
}

func upGetAffinityTerms(pod *upAPod, v1Terms []upAntiTerm) ([]upAffinityTerm, error) {
	if v1Terms == nil {
		return nil, nil
	}

	var terms []upAffinityTerm
	for i := range v1Terms {
		t, err := upNewAffinityTerm(pod, &v1Terms[i])
		if err != nil {
			// We get here if the label selector failed to process
			return nil, err
		}
		terms = append(terms, *t)
	}
	return terms, nil
}

// returns a set of names according to the namespaces indicated in podAffinityTerm.
// If namespaces is empty it considers the given pod's namespace.
func upGetNamespacesFromPodAffinityTerm(pod *upAPod, podAffinityTerm *upAntiTerm) sets.Set[string] {
	names := sets.Set[string]{}
	if len(podAffinityTerm.Namespaces) == 0 && podAffinityTerm.NamespaceSelector == nil {
		names.Insert(pod.Namespace)
	} else {
		names.Insert(podAffinityTerm.Namespaces...)
	}
	return names
}

// NewPodInfo's share: the pod's required affinity and anti-affinity terms (a parse
// error leaves them out, as NewPodInfo aggregates it; valid terms have none).
func upNewPodInfo(pod *upAPod) upPodInfo {
	affTerms, _ := upGetAffinityTerms(pod, pod.AffTerms)
	terms, _ := upGetAffinityTerms(pod, pod.AntiTerms)
	prefAff, _ := upGetWeightedAffinityTerms(pod, pod.PrefAffTerms)
	prefAnti, _ := upGetWeightedAffinityTerms(pod, pod.PrefAntiTerms)
	return upPodInfo{Pod: pod, RequiredAffinityTerms: affTerms, RequiredAntiAffinityTerms: terms,
		PreferredAffinityTerms: prefAff, PreferredAntiAffinityTerms: prefAnti}
}

// --- plugin.go ---

func upMergeAffinityTermNamespacesIfNotEmpty(at *upAffinityTerm, nsLister []upNamespace) error {
	if at.NamespaceSelector.Empty() {
		return nil
	}
	for _, n := range nsLister {
		if at.NamespaceSelector.Matches(labels.Set(n.Labels)) {
			at.Namespaces.Insert(n.Name)
		}
	}
	at.NamespaceSelector = labels.Nothing()
	return nil
}

func upGetNamespaceLabelsSnapshot(ns string, nsLister []upNamespace) (nsLabels labels.Set) {
	for _, n := range nsLister {
		if n.Name == ns {
			// Create and return snapshot of the labels.
			return labels.Merge(n.Labels, nil)
		}
	}
	return
}

// --- filtering.go ---

const (
	upErrReasonAffinityRulesNotMatch             = "node(s) didn't match pod affinity rules"
	upErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules"
	upErrReasonAntiAffinityRulesNotMatch         = "node(s) didn't match pod anti-affinity rules"
)

type upAntiPreFilterState struct {
	// A map of topology pairs to the number of existing pods that has anti-affinity terms that match the "pod".
	existingAntiAffinityCounts upTopologyToMatchedTermCount
	// A map of topology pairs to the number of existing pods that match the affinity terms of the "pod".
	affinityCounts upTopologyToMatchedTermCount
	// A map of topology pairs to the number of existing pods that match the anti-affinity terms of the "pod".
	antiAffinityCounts upTopologyToMatchedTermCount
	// podInfo of the incoming pod.
	podInfo upPodInfo
	// A copy of the incoming pod's namespace labels.
	namespaceLabels labels.Set
}

type upTopologyPair struct {
	key   string
	value string
}
type upTopologyToMatchedTermCount map[upTopologyPair]int64

func (m upTopologyToMatchedTermCount) update(node *upNode, tk string, value int64) {
	if tv, ok := node.Labels[tk]; ok {
		pair := upTopologyPair{key: tk, value: tv}
		m[pair] += value
		// value could be negative, hence we delete the entry if it is down to zero.
		if m[pair] == 0 {
			delete(m, pair)
		}
	}
}

// updates the topologyToMatchedTermCount map with the specified value
// for each affinity term if "targetPod" matches ALL terms.
func (m upTopologyToMatchedTermCount) updateWithAffinityTerms(
	terms []upAffinityTerm, pod *upAPod, node *upNode, value int64) {
	if upPodMatchesAllAffinityTerms(terms, pod) {
		for _, t := range terms {
			m.update(node, t.TopologyKey, value)
		}
	}
}

// returns true IFF the given pod matches all the given terms.
func upPodMatchesAllAffinityTerms(terms []upAffinityTerm, pod *upAPod) bool {
	if len(terms) == 0 {
		return false
	}
	for _, t := range terms {
		// The incoming pod NamespaceSelector was merged into the Namespaces set, and so
		// we are not explicitly passing in namespace labels.
		if !t.Matches(pod, nil) {
			return false
		}
	}
	return true
}

// updates the topologyToMatchedTermCount map with the specified value
// for each anti-affinity term matched the target pod.
func (m upTopologyToMatchedTermCount) updateWithAntiAffinityTerms(terms []upAffinityTerm, pod *upAPod, nsLabels labels.Set, node *upNode, value int64) {
	// Check anti-affinity terms.
	for _, t := range terms {
		if t.Matches(pod, nsLabels) {
			m.update(node, t.TopologyKey, value)
		}
	}
}

// calculates the following for each existing pod on each node:
//  1. Whether it has PodAntiAffinity
//  2. Whether any AntiAffinityTerm matches the incoming pod
func upGetExistingAntiAffinityCounts(pod *upAPod, nsLabels labels.Set, nodes []upANodeInfo) upTopologyToMatchedTermCount {
	result := make(upTopologyToMatchedTermCount)
	for _, nodeInfo := range nodes {
		node := nodeInfo.node
		for _, existingPod := range nodeInfo.podsWithRequiredAntiAffinity {
			result.updateWithAntiAffinityTerms(existingPod.RequiredAntiAffinityTerms, pod, nsLabels, node, 1)
		}
	}
	return result
}

// finds existing Pods that match affinity terms of the incoming pod's (anti)affinity terms.
// It returns a topologyToMatchedTermCount that are checked later by the affinity
// predicate. With this topologyToMatchedTermCount available, the affinity predicate does not
// need to check all the pods in the cluster.
func upGetIncomingAffinityAntiAffinityCounts(podInfo upPodInfo, allNodes []upANodeInfo) (upTopologyToMatchedTermCount, upTopologyToMatchedTermCount) {
	affinityCounts := make(upTopologyToMatchedTermCount)
	antiAffinityCounts := make(upTopologyToMatchedTermCount)
	if len(podInfo.RequiredAffinityTerms) == 0 && len(podInfo.RequiredAntiAffinityTerms) == 0 {
		return affinityCounts, antiAffinityCounts
	}
	for _, nodeInfo := range allNodes {
		node := nodeInfo.node
		for _, existingPod := range nodeInfo.pods {
			// Check affinity terms.
			affinityCounts.updateWithAffinityTerms(podInfo.RequiredAffinityTerms, existingPod.Pod, node, 1)

			// The incoming pod's terms have the namespaceSelector merged into the namespaces, and so
			// here we don't lookup the existing pod's namespace labels, hence passing nil for nsLabels.
			antiAffinityCounts.updateWithAntiAffinityTerms(podInfo.RequiredAntiAffinityTerms, existingPod.Pod, nil, node, 1)
		}
	}
	return affinityCounts, antiAffinityCounts
}

// upAntiPreFilter returns the state, or nil for Skip.
func upAntiPreFilter(pod *upAPod, allNodes []upANodeInfo, nsLister []upNamespace) *upAntiPreFilterState {
	var nodesWithRequiredAntiAffinityPods []upANodeInfo
	for _, ni := range allNodes { // HavePodsWithRequiredAntiAffinityList
		if len(ni.podsWithRequiredAntiAffinity) > 0 {
			nodesWithRequiredAntiAffinityPods = append(nodesWithRequiredAntiAffinityPods, ni)
		}
	}

	s := &upAntiPreFilterState{}
	s.podInfo = upNewPodInfo(pod)

	for i := range s.podInfo.RequiredAffinityTerms {
		if err := upMergeAffinityTermNamespacesIfNotEmpty(&s.podInfo.RequiredAffinityTerms[i], nsLister); err != nil {
			panic(err)
		}
	}
	for i := range s.podInfo.RequiredAntiAffinityTerms {
		if err := upMergeAffinityTermNamespacesIfNotEmpty(&s.podInfo.RequiredAntiAffinityTerms[i], nsLister); err != nil {
			panic(err)
		}
	}
	s.namespaceLabels = upGetNamespaceLabelsSnapshot(pod.Namespace, nsLister)

	s.existingAntiAffinityCounts = upGetExistingAntiAffinityCounts(pod, s.namespaceLabels, nodesWithRequiredAntiAffinityPods)
	s.affinityCounts, s.antiAffinityCounts = upGetIncomingAffinityAntiAffinityCounts(s.podInfo, allNodes)

	if len(s.existingAntiAffinityCounts) == 0 && len(s.podInfo.RequiredAffinityTerms) == 0 && len(s.podInfo.RequiredAntiAffinityTerms) == 0 {
		return nil // Skip
	}
	return s
}

// Checks if scheduling the pod onto this node would break any anti-affinity
// terms indicated by the existing pods.
func upSatisfyExistingPodsAntiAffinity(state *upAntiPreFilterState, node *upNode) bool {
	if len(state.existingAntiAffinityCounts) > 0 {
		// Iterate over topology pairs to get any of the pods being affected by
		// the scheduled pod anti-affinity terms
		for topologyKey, topologyValue := range node.Labels {
			tp := upTopologyPair{key: topologyKey, value: topologyValue}
			if state.existingAntiAffinityCounts[tp] > 0 {
				return false
			}
		}
	}
	return true
}

// Checks if the node satisfies the incoming pod's anti-affinity rules.
func upSatisfyPodAntiAffinity(state *upAntiPreFilterState, node *upNode) bool {
	if len(state.antiAffinityCounts) > 0 {
		for _, term := range state.podInfo.RequiredAntiAffinityTerms {
			if topologyValue, ok := node.Labels[term.TopologyKey]; ok {
				tp := upTopologyPair{key: term.TopologyKey, value: topologyValue}
				if state.antiAffinityCounts[tp] > 0 {
					return false
				}
			}
		}
	}
	return true
}

// Checks if the node satisfies the incoming pod's affinity rules.
func upSatisfyPodAffinity(state *upAntiPreFilterState, node *upNode) bool {
	podsExist := true
	for _, term := range state.podInfo.RequiredAffinityTerms {
		if topologyValue, ok := node.Labels[term.TopologyKey]; ok {
			tp := upTopologyPair{key: term.TopologyKey, value: topologyValue}
			if state.affinityCounts[tp] <= 0 {
				podsExist = false
			}
		} else {
			// All topology labels must exist on the node.
			return false
		}
	}

	if !podsExist {
		// This pod may be the first pod in a series that have affinity to themselves. In order
		// to not leave such pods in pending state forever, we check that if no other pod
		// in the cluster matches the namespace and selector of this pod, the pod matches
		// its own terms, and the node has all the requested topologies, then we allow the pod
		// to pass the affinity check.
		if len(state.affinityCounts) == 0 && upPodMatchesAllAffinityTerms(state.podInfo.RequiredAffinityTerms, state.podInfo.Pod) {
			return true
		}
		return false
	}
	return true
}

// upAntiFilter is Filter (nil state: PreFilter's Skip, the plugin does not run).
func upAntiFilter(state *upAntiPreFilterState, node *upNode) upStatus {
	if state == nil {
		return upStatus{}
	}
	if !upSatisfyPodAffinity(state, node) {
		return upStatus{Code: upUnschedulableAndUnresolvable, Reason: upErrReasonAffinityRulesNotMatch}
	}
	if !upSatisfyPodAntiAffinity(state, node) {
		return upStatus{Code: upUnschedulable, Reason: upErrReasonAntiAffinityRulesNotMatch}
	}
	if !upSatisfyExistingPodsAntiAffinity(state, node) {
		return upStatus{Code: upUnschedulable, Reason: upErrReasonExistingAntiAffinityRulesNotMatch}
	}
	return upStatus{}
}

// --- scoring.go (v1.33.0; 1.31's PreScore also skips when there are no nodes,
// and its Score looks the node up by name; 1.37's reads PodInfo through getters;
// the same otherwise). IgnorePreferredTermsOfExistingPods at its default (false),
// hardPodAffinityWeight at its default (1). ---

type upScoreMap map[string]map[string]int64

func (m upScoreMap) processTerm(term *upAffinityTerm, weight int32, pod *upAPod, nsLabels labels.Set, node *upNode, multiplier int32) {
	if term.Matches(pod, nsLabels) {
		if tpValue, tpValueExist := node.Labels[term.TopologyKey]; tpValueExist {
			if m[term.TopologyKey] == nil {
				m[term.TopologyKey] = make(map[string]int64)
			}
			m[term.TopologyKey][tpValue] += int64(weight * multiplier)
		}
	}
}

func (m upScoreMap) processTerms(terms []upWeightedAffinityTerm, pod *upAPod, nsLabels labels.Set, node *upNode, multiplier int32) {
	for _, term := range terms {
		m.processTerm(&term.upAffinityTerm, term.Weight, pod, nsLabels, node, multiplier)
	}
}

func (m upScoreMap) append(other upScoreMap) {
	for topology, oScores := range other {
		scores := m[topology]
		if scores == nil {
			m[topology] = oScores
			continue
		}
		for k, v := range oScores {
			scores[k] += v
		}
	}
}

const (
	upHardPodAffinityWeight              = 1
	upIgnorePreferredTermsOfExistingPods = false
)

func upProcessExistingPod(podInfo upPodInfo, existingPod upPodInfo, existingPodNode *upNode, incomingPod *upAPod, nsLabels labels.Set, topoScore upScoreMap) {
	if len(existingPodNode.Labels) == 0 {
		return
	}

	// For every soft pod affinity term of <pod>, if <existingPod> matches the term,
	// increment <p.counts> for every node in the cluster with the same <term.TopologyKey>
	// value as that of <existingPods>`s node by the term`s weight.
	topoScore.processTerms(podInfo.PreferredAffinityTerms, existingPod.Pod, nil, existingPodNode, 1)

	// For every soft pod anti-affinity term of <pod>, if <existingPod> matches the term,
	// decrement <p.counts> for every node in the cluster with the same <term.TopologyKey>
	// value as that of <existingPod>`s node by the term`s weight.
	topoScore.processTerms(podInfo.PreferredAntiAffinityTerms, existingPod.Pod, nil, existingPodNode, -1)

	// For every hard pod affinity term of <existingPod>, if <pod> matches the term,
	// increment <p.counts> for every node in the cluster with the same <term.TopologyKey>
	// value as that of <existingPod>'s node by the constant <args.hardPodAffinityWeight>
	if upHardPodAffinityWeight > 0 && len(existingPodNode.Labels) != 0 {
		for _, t := range existingPod.RequiredAffinityTerms {
			topoScore.processTerm(&t, upHardPodAffinityWeight, incomingPod, nsLabels, existingPodNode, 1)
		}
	}

	// For every soft pod affinity term of <existingPod>, if <pod> matches the term,
	// increment <p.counts> for every node in the cluster with the same <term.TopologyKey>
	// value as that of <existingPod>'s node by the term's weight.
	topoScore.processTerms(existingPod.PreferredAffinityTerms, incomingPod, nsLabels, existingPodNode, 1)

	// For every soft pod anti-affinity term of <existingPod>, if <pod> matches the term,
	// decrement <pm.counts> for every node in the cluster with the same <term.TopologyKey>
	// value as that of <existingPod>'s node by the term's weight.
	topoScore.processTerms(existingPod.PreferredAntiAffinityTerms, incomingPod, nsLabels, existingPodNode, -1)
}

// upPodWithAffinity is NodeInfo's test for PodsWithAffinity: affinity.podAffinity or
// podAntiAffinity set (a pod converted without terms has neither).
func upPodWithAffinity(p *upAPod) bool {
	return len(p.AffTerms) > 0 || len(p.AntiTerms) > 0 || len(p.PrefAffTerms) > 0 || len(p.PrefAntiTerms) > 0
}

// upInterPodAffinityScores is PreScore, Score over nodes (the scored nodes), and
// NormalizeScore, times the plugin's weight 2; all 0 when PreScore skips.
func upInterPodAffinityScores(pod *upAPod, allNodesList []upANodeInfo, nodes []*upNode, nsLister []upNamespace) []int64 {
	out, topologyScore := upInterPodAffinityRaw(pod, allNodesList, nodes, nsLister)
	// NormalizeScore
	if len(topologyScore) == 0 {
		return out
	}
	var minCount int64 = math.MaxInt64
	var maxCount int64 = math.MinInt64
	for i := range out {
		score := out[i]
		if score > maxCount {
			maxCount = score
		}
		if score < minCount {
			minCount = score
		}
	}
	maxMinDiff := maxCount - minCount
	for i := range out {
		fScore := float64(0)
		if maxMinDiff > 0 {
			fScore = float64(MaxNodeScore) * (float64(out[i]-minCount) / float64(maxMinDiff))
		}
		out[i] = 2 * int64(fScore)
	}
	return out
}

// upRawMin is the lowest of the nodes' scores before NormalizeScore.
func upRawMin(pod *upAPod, allNodesList []upANodeInfo, nodes []*upNode, nsLister []upNamespace) int64 {
	raw, _ := upInterPodAffinityRaw(pod, allNodesList, nodes, nsLister)
	return slices.Min(raw)
}

// upInterPodAffinityRaw is PreScore and Score over nodes: the nodes' scores and the
// PreScore state's topologyScore (nil when PreScore skips).
func upInterPodAffinityRaw(pod *upAPod, allNodesList []upANodeInfo, nodes []*upNode, nsLister []upNamespace) ([]int64, upScoreMap) {
	out := make([]int64, len(nodes))
	hasPreferredAffinityConstraints := len(pod.PrefAffTerms) > 0
	hasPreferredAntiAffinityConstraints := len(pod.PrefAntiTerms) > 0
	hasConstraints := hasPreferredAffinityConstraints || hasPreferredAntiAffinityConstraints

	// Optionally ignore calculating preferences of existing pods' affinity rules
	// if the incoming pod has no inter-pod affinities.
	if upIgnorePreferredTermsOfExistingPods && !hasConstraints {
		return out, nil // Skip
	}

	// Unless the pod being scheduled has preferred affinity terms, we only
	// need to process nodes hosting pods with affinity.
	var allNodes []upANodeInfo
	if hasConstraints {
		allNodes = allNodesList
	} else {
		for _, ni := range allNodesList { // HavePodsWithAffinityList
			if slices.ContainsFunc(ni.pods, func(pi upPodInfo) bool { return upPodWithAffinity(pi.Pod) }) {
				allNodes = append(allNodes, ni)
			}
		}
	}

	podInfo := upNewPodInfo(pod)
	for i := range podInfo.PreferredAffinityTerms {
		if err := upMergeAffinityTermNamespacesIfNotEmpty(&podInfo.PreferredAffinityTerms[i].upAffinityTerm, nsLister); err != nil {
			panic(err)
		}
	}
	for i := range podInfo.PreferredAntiAffinityTerms {
		if err := upMergeAffinityTermNamespacesIfNotEmpty(&podInfo.PreferredAntiAffinityTerms[i].upAffinityTerm, nsLister); err != nil {
			panic(err)
		}
	}
	nsLabels := upGetNamespaceLabelsSnapshot(pod.Namespace, nsLister)

	topologyScore := make(upScoreMap)
	index := -1
	for _, nodeInfo := range allNodes {
		// Unless the pod being scheduled has preferred affinity terms, we only
		// need to process pods with affinity in the node.
		var podsToProcess []upPodInfo
		for _, pi := range nodeInfo.pods {
			if hasConstraints || upPodWithAffinity(pi.Pod) {
				podsToProcess = append(podsToProcess, pi)
			}
		}
		topoScore := make(upScoreMap)
		for _, existingPod := range podsToProcess {
			upProcessExistingPod(podInfo, existingPod, nodeInfo.node, pod, nsLabels, topoScore)
		}
		if len(topoScore) > 0 {
			index++
			topologyScore.append(topoScore)
		}
	}
	if index == -1 {
		return out, nil // Skip
	}
	for i, node := range nodes {
		var score int64
		for tpKey, tpValues := range topologyScore {
			if v, exist := node.Labels[tpKey]; exist {
				score += tpValues[v]
			}
		}
		out[i] = score
	}
	return out, topologyScore
}

// --- the property ---

// upAntiStatusFrom is nodesim's verdict as a Filter status, the reason taken from
// the FailedScheduling message nodesim writes for it.
func upAntiStatusFrom(t require.TestingT, code failCode) upStatus {
	switch code {
	case fitOK:
		return upStatus{}
	case failPodAffinity, failAntiAffinity, failExistingAnti:
	default:
		return upStatus{Code: fmt.Sprintf("unexpected failCode %d", code)}
	}
	var c fitCounts
	c.add(filterResult{code: code}, 1)
	msg := c.message(1, false)
	const prefix, suffix = "0/1 nodes are available: 1 ", "."
	require.True(t, len(msg) > len(prefix)+len(suffix) && msg[:len(prefix)] == prefix && msg[len(msg)-1:] == suffix, "message %q", msg)
	st := upStatus{Code: upUnschedulable, Reason: msg[len(prefix) : len(msg)-len(suffix)]}
	if code == failPodAffinity {
		// nodesim has no preemption, for which alone the codes differ
		st.Code = upUnschedulableAndUnresolvable
	}
	return st
}

// upAntiSnapshot is upstream's snapshot as the API server's store has it: every node
// with the pods bound to it, terminal pods left out, pods bound to a node that does
// not exist in no node's list.
func upAntiSnapshot(s *apiserver.Server, terms, affTerms map[string][]upAntiTerm, prefAff, prefAnti map[string][]upWeightedTerm) []upANodeInfo {
	infos := map[string]*upANodeInfo{}
	var names []string
	s.Nodes.Each(func(n *apiserver.Node) {
		infos[n.Name] = &upANodeInfo{node: &upNode{Name: n.Name, Labels: n.Labels.Map()}}
		names = append(names, n.Name)
	})
	s.Pods.Each(func(p *apiserver.Pod) {
		ni, ok := infos[p.NodeName]
		if p.NodeName == "" || p.Phase == apiserver.PodSucceeded || p.Phase == apiserver.PodFailed || !ok {
			return
		}
		pi := upNewPodInfo(&upAPod{Namespace: p.Namespace, Labels: p.Labels.Map(), Node: p.NodeName, Terminating: p.Deleting,
			AntiTerms: terms[p.Key()], AffTerms: affTerms[p.Key()], PrefAffTerms: prefAff[p.Key()], PrefAntiTerms: prefAnti[p.Key()]})
		ni.pods = append(ni.pods, pi)
		if len(pi.Pod.AntiTerms) > 0 {
			ni.podsWithRequiredAntiAffinity = append(ni.podsWithRequiredAntiAffinity, pi)
		}
	})
	slices.Sort(names)
	out := make([]upANodeInfo, 0, len(names))
	for _, n := range names {
		out = append(out, *infos[n])
	}
	return out
}

// convertAntiTerms is the loader's conversion of required anti-affinity terms.
func convertAntiTerms(ts []upAntiTerm) []apiserver.PodAffinityTerm {
	sel := func(s *metav1.LabelSelector) *apiserver.PodSelector {
		if s == nil {
			return nil
		}
		out := &apiserver.PodSelector{MatchLabels: maps.Clone(s.MatchLabels)}
		for _, r := range s.MatchExpressions {
			out.MatchExpressions = append(out.MatchExpressions, apiserver.NodeSelectorRequirement{Key: r.Key, Operator: string(r.Operator), Values: slices.Clone(r.Values)})
		}
		return out
	}
	var out []apiserver.PodAffinityTerm
	for _, t := range ts {
		out = append(out, apiserver.PodAffinityTerm{Selector: sel(t.LabelSelector), Namespaces: slices.Clone(t.Namespaces),
			NamespaceSelector: sel(t.NamespaceSelector), TopologyKey: t.TopologyKey,
			MatchLabelKeys: slices.Clone(t.MatchLabelKeys), MismatchLabelKeys: slices.Clone(t.MismatchLabelKeys)})
	}
	return out
}

// convertWeightedTerms is the loader's conversion of preferred terms.
func convertWeightedTerms(ts []upWeightedTerm) []apiserver.WeightedPodAffinityTerm {
	var out []apiserver.WeightedPodAffinityTerm
	for _, t := range ts {
		out = append(out, apiserver.WeightedPodAffinityTerm{Weight: t.Weight, PodAffinityTerm: convertAntiTerms([]upAntiTerm{t.PodAffinityTerm})[0]})
	}
	return out
}

type antiTally struct {
	cases, checks, filtered, own, existing, mixed, terminatingMatched, nsSelector, assumed int
	// labelKeys: checks where a term of the pending pod or of a bound pod had a value
	// of its matchLabelKeys or mismatchLabelKeys merged in
	labelKeys int
	// plain: checks of a pending pod without affinity terms, to which filtered, own,
	// existing and mixed refer (affinity failures would hide the others); affinity:
	// the pending pod has affinity terms; some node fails them; the self-match
	// exception lets some node pass; a bound pod's affinity terms match the pending pod
	plain, affinity, affFail, affSelf, boundAffMatches int
	// checks where InterPodAffinity's score tells some nodes apart; of them, where
	// the pending pod has preferred terms, where a bound pod's preferred term
	// matches it, where some node's raw score is negative
	scored, scoredOwnPref, scoredBoundPref, negative int
}

// interPreFilter(p).verdict equals a literal transcription of upstream's
// InterPodAffinity PreFilter and Filter for required anti-affinity, on random
// clusters built through the API server: 2–10 nodes in 1–3 zones, some without the
// zone label (or with an empty value), most with a rack label, some without
// kubernetes.io/hostname or sharing one value; 0–20 bound pods in three namespaces
// labelled app/tier, a third of them with 1–2 required anti-affinity terms, some
// terminating, some terminal, some on a node that does not exist; a pending pod with
// 0–3 terms of its own. A term's key is zone, hostname or rack; its labelSelector
// nil, {}, matchLabels or matchExpressions; its namespaces none or listed; its
// namespaceSelector nil, {}, by kubernetes.io/metadata.name (matchLabels or
// matchExpressions) or by a label no namespace has. Checked once the cluster is built
// and after each of up to 4 rounds of changes (pods bound, left to the scheduler,
// deleted, made terminating or terminal; nodes relabelled, deleted, re-added, added;
// the pending pod moved to another namespace or its terms redrawn; the scheduler
// restarted), with the bindings the scheduler made meanwhile not yet delivered
// (assumed pods), under 1.31's, 1.33's and 1.37's configurations. Each check
// compares every node's verdict (code and reason) for the pod and sometimes a copy
// of it, and every node's InterPodAffinity score against a transcription of
// scoring.go, with preferred affinity and anti-affinity terms (0–2 of each, weights
// 1 to 100) on the pending pod and on a third of the bound pods. 16 hand-made
// mutants of interpod.go's filter (terminating pods dropped, reasons swapped, a node
// without the key failing, namespace and selector defaults, tracker sharing,
// assumed pods) all fail it at -rapid.checks=1000, and so do 10 of its score
// (either anti-affinity sign, symmetry dropped, either weight ignored, normalizing
// by the maximum, rounding, the skip ignoring the pod's own terms, groups that
// ignore weights, plugin weight 1).
func TestPropertyAntiVsUpstream(t *testing.T) {
	var tally antiTally
	defer func() {
		t.Logf("tally: %+v", tally)
		if t.Failed() || tally.cases < 100 {
			return
		}
		share := func(what string, n, of, pct int) {
			if n*100 < of*pct {
				t.Errorf("%s: %d of %d, under %d%%: the property checks little", what, n, of, pct)
			}
		}
		share("checks where the plugin filters", tally.filtered, tally.plain, 50)
		share("filtered checks with an own-terms failure", tally.own, tally.filtered, 20)
		share("filtered checks with an existing-pods failure", tally.existing, tally.filtered, 10)
		share("filtered checks with nodes passing and failing", tally.mixed, tally.filtered, 20)
		share("checks with a terminating pod a term matches", tally.terminatingMatched, tally.checks, 2)
		share("checks with a namespaceSelector", tally.nsSelector, tally.checks, 10)
		share("checks with label keys merged into a term", tally.labelKeys, tally.checks, 20)
		share("checks with affinity terms", tally.affinity, tally.checks, 30)
		share("affinity checks with a node failing them", tally.affFail, tally.affinity, 30)
		share("affinity checks passed by the self-match exception", tally.affSelf, tally.affinity, 5)
		share("checks where a bound pod's affinity terms match the pod", tally.boundAffMatches, tally.checks, 5)
		share("checks where the score tells nodes apart", tally.scored, tally.checks, 20)
		share("scored checks with preferred terms of the pending pod", tally.scoredOwnPref, tally.scored, 20)
		share("scored checks with a bound pod's preferred term matching", tally.scoredBoundPref, tally.scored, 10)
		share("scored checks with a negative raw score", tally.negative, tally.scored, 10)
	}()
	rapid.Check(t, func(rt *rapid.T) {
		tally.cases++
		minor := rapid.SampledFrom([]int{31, 33, 37}).Draw(rt, "minor")
		cfg := SchedulerConfigFor(minor)
		latency := time.Duration(rapid.SampledFrom([]int{0, 5, 150}).Draw(rt, "latencyMs")) * time.Millisecond
		cfg.WatchLatency = latency
		w := newWorldWith(t, 1, cfg)
		defer w.stop()
		w.rs.Stop()
		w.dep.Stop()

		nsList := []upNamespace{{"default", nil}, {"other", nil}, {"team-x", nil}}
		for i := range nsList {
			nsList[i].Labels = map[string]string{apiserver.LabelMetadataName: nsList[i].Name}
		}
		nsNames := []string{"default", "other", "team-x"}

		zones := []string{"a", "b", "c"}[:3-rapid.IntRange(0, 2).Draw(rt, "fewerZones")]
		nodeLabels := func(name string) map[string]string { return drawNodeLabels(rt, zones, name, false) }
		addNode := func(name string) { w.createReadyNode(rt, name, nodeLabels(name), nil, defaultAllocatable) }
		var names []string
		newNode := func() {
			name := fmt.Sprintf("n%d", len(names))
			names = append(names, name)
			w.kub.dead[name] = true // no kubelet: terminating pods stay
			addNode(name)
		}
		for range rapid.IntRange(2, 10).Draw(rt, "nodes") {
			newNode()
		}
		w.kub.dead["gone"] = true

		values := map[string][]string{"app": {"a", "b"}, "tier": {"x", "y"}}
		keys := []string{"app", "tier"}
		podLabels := func(label string) map[string]string {
			l := map[string]string{}
			for _, k := range keys {
				if v := rapid.IntRange(0, 4).Draw(rt, label+k); v < 4 {
					l[k] = values[k][v%2]
				}
			}
			return l
		}
		drawSelector := func(label string) *metav1.LabelSelector {
			switch rapid.IntRange(0, 9).Draw(rt, label) {
			case 0: // nil: matches nothing
				return nil
			case 1:
				return &metav1.LabelSelector{}
			case 2, 3, 4, 5:
				s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
				for range rapid.IntRange(1, 2).Draw(rt, label+"ml") {
					k := rapid.SampledFrom(keys).Draw(rt, label+"mlKey")
					s.MatchLabels[k] = rapid.SampledFrom(values[k]).Draw(rt, label+"mlValue")
				}
				return s
			default:
				s := &metav1.LabelSelector{}
				for range rapid.IntRange(1, 2).Draw(rt, label+"me") {
					k := rapid.SampledFrom(keys).Draw(rt, label+"meKey")
					r := metav1.LabelSelectorRequirement{Key: k, Operator: rapid.SampledFrom([]metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn,
						metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}).Draw(rt, label+"meOp")}
					if r.Operator == metav1.LabelSelectorOpIn || r.Operator == metav1.LabelSelectorOpNotIn {
						r.Values = rapid.SliceOfNDistinct(rapid.SampledFrom(values[k]), 1, 2, rapid.ID).Draw(rt, label+"meValues")
					}
					s.MatchExpressions = append(s.MatchExpressions, r)
				}
				return s
			}
		}
		drawTerms := func(label string, lo, hi int) []upAntiTerm {
			var ts []upAntiTerm
			for range rapid.IntRange(lo, hi).Draw(rt, label) {
				t := upAntiTerm{TopologyKey: rapid.SampledFrom([]string{apiserver.LabelZone, apiserver.LabelHostname, "rack"}).Draw(rt, "key"),
					LabelSelector: drawSelector("sel")}
				if rapid.IntRange(0, 3).Draw(rt, "listNs") == 3 {
					t.Namespaces = rapid.SliceOfNDistinct(rapid.SampledFrom(nsNames), 1, 2, rapid.ID).Draw(rt, "namespaces")
				}
				switch rapid.IntRange(0, 7).Draw(rt, "nsSel") {
				case 4:
					t.NamespaceSelector = &metav1.LabelSelector{}
				case 5:
					t.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{apiserver.LabelMetadataName: rapid.SampledFrom(nsNames).Draw(rt, "nsName")}}
				case 6:
					t.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: apiserver.LabelMetadataName,
						Operator: rapid.SampledFrom([]metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn}).Draw(rt, "nsOp"),
						Values:   rapid.SliceOfNDistinct(rapid.SampledFrom(nsNames), 1, 2, rapid.ID).Draw(rt, "nsValues")}}}
				case 7:
					t.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}}
				}
				// matchLabelKeys and mismatchLabelKeys, which need a labelSelector and
				// a key in one list only (the API server validates both)
				if t.LabelSelector != nil && rapid.IntRange(0, 2).Draw(rt, "labelKeys") == 2 {
					for _, k := range keys {
						switch rapid.IntRange(0, 2).Draw(rt, "labelKey"+k) {
						case 1:
							t.MatchLabelKeys = append(t.MatchLabelKeys, k)
						case 2:
							t.MismatchLabelKeys = append(t.MismatchLabelKeys, k)
						}
					}
				}
				ts = append(ts, t)
			}
			return ts
		}

		terms := map[string][]upAntiTerm{}    // by pod key
		affTerms := map[string][]upAntiTerm{} // by pod key
		prefAff := map[string][]upWeightedTerm{}
		prefAnti := map[string][]upWeightedTerm{}
		// preferred terms: weights from 1 to 100, small ones often so that sums tie
		drawPref := func(label string, hi int) []upWeightedTerm {
			var ws []upWeightedTerm
			for _, t := range drawTerms(label, 0, hi) {
				wt := int32(rapid.SampledFrom([]int{1, 2, 3, 5, 50, 100}).Draw(rt, label+"Weight"))
				ws = append(ws, upWeightedTerm{Weight: wt, PodAffinityTerm: t})
			}
			return ws
		}
		var podKeys []string
		keyed := map[string]bool{} // pods whose terms had label keys merged in
		boundMerged := func() bool {
			for key := range keyed { // map order: any will do
				if p, ok := w.s.Pods.Peek(key); ok && p.NodeName != "" {
					return true
				}
			}
			return false
		}
		createPod := func(bound bool) {
			ns, l := rapid.SampledFrom(nsNames[:2]).Draw(rt, "ns"), podLabels("pod")
			var ts []upAntiTerm
			if rapid.IntRange(0, 2).Draw(rt, "hasTerms") == 2 {
				ts = drawTerms("terms", 1, 2)
			}
			var as []upAntiTerm
			if rapid.IntRange(0, 2).Draw(rt, "hasAffTerms") == 2 {
				as = drawTerms("affTerms", 1, 2)
			}
			var pa, pn []upWeightedTerm
			if rapid.IntRange(0, 2).Draw(rt, "hasPref") == 2 {
				pa, pn = drawPref("prefAff", 1), drawPref("prefAnti", 1)
			}
			node := ""
			if bound {
				node = rapid.SampledFrom(names).Draw(rt, "on")
				if rapid.IntRange(0, 19).Draw(rt, "ghost") == 10 {
					node = "gone"
				}
			}
			name := fmt.Sprint("p", len(podKeys))
			_, err := w.s.Pods.Create(w.c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: ns, Name: name, Labels: apiserver.NewLabels(l)},
				NodeName: node, PodSpec: &apiserver.PodSpec{RequiredPodAntiAffinity: convertAntiTerms(ts), RequiredPodAffinity: convertAntiTerms(as),
					PreferredPodAffinity: convertWeightedTerms(pa), PreferredPodAntiAffinity: convertWeightedTerms(pn)}})
			require.NoError(rt, err)
			key := ns + "/" + name
			podKeys = append(podKeys, key)
			// the reference sees the terms as the API server stored them
			terms[key], affTerms[key] = upMergeLabelKeys(l, ts), upMergeLabelKeys(l, as)
			prefAff[key], prefAnti[key] = upMergeWeighted(l, pa), upMergeWeighted(l, pn)
			keyed[key] = merged(ts, terms[key]) || merged(as, affTerms[key]) ||
				merged(weightedTerms(pa), weightedTerms(prefAff[key])) || merged(weightedTerms(pn), weightedTerms(prefAnti[key]))
		}
		for range rapid.IntRange(0, 20).Draw(rt, "pods") {
			createPod(true)
			switch key := podKeys[len(podKeys)-1]; rapid.IntRange(0, 9).Draw(rt, "state") {
			case 4:
				w.terminating(key)
			case 5:
				w.terminal(key)
			}
		}

		// affinity terms in about half the cases; a label selector drawn from the
		// pod's own labels now and then, so that the self-match exception is met
		drawAff := func(label string, l map[string]string) []upAntiTerm {
			if rapid.Bool().Draw(rt, label) {
				return nil
			}
			ts := drawTerms(label+"Terms", 1, 2)
			for i := range ts {
				if len(l) > 0 && rapid.IntRange(0, 2).Draw(rt, label+"Self") > 0 {
					ts[i].LabelSelector = &metav1.LabelSelector{MatchLabels: maps.Clone(l)}
				}
			}
			return ts
		}
		// raw is the pending pod as written; pend, as the API server stores it (its
		// label keys merged), is what the reference schedules
		var raw upAPod
		pend := &upAPod{}
		drawPending := func() {
			raw = upAPod{Namespace: pend.Namespace, Labels: podLabels("pending"), AntiTerms: drawTerms("ownTerms", 0, 3)}
			raw.AffTerms = drawAff("ownAff", raw.Labels)
			raw.PrefAffTerms, raw.PrefAntiTerms = drawPref("ownPrefAff", 2), drawPref("ownPrefAnti", 2)
			*pend = upAPod{Namespace: raw.Namespace, Labels: raw.Labels, AntiTerms: upMergeLabelKeys(raw.Labels, raw.AntiTerms),
				AffTerms: upMergeLabelKeys(raw.Labels, raw.AffTerms), PrefAffTerms: upMergeWeighted(raw.Labels, raw.PrefAffTerms),
				PrefAntiTerms: upMergeWeighted(raw.Labels, raw.PrefAntiTerms)}
		}
		pend.Namespace = rapid.SampledFrom(nsNames).Draw(rt, "pendingNs")
		drawPending()
		// pendingPod is the pending pod as written, admitted by the API server as on
		// its creation (which merges its label keys), without storing it
		pendingPod := func() *apiserver.Pod {
			q := &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: pend.Namespace, Name: "pending", Labels: apiserver.NewLabels(maps.Clone(raw.Labels))},
				PodSpec: &apiserver.PodSpec{RequiredPodAntiAffinity: convertAntiTerms(raw.AntiTerms), RequiredPodAffinity: convertAntiTerms(raw.AffTerms),
					PreferredPodAffinity: convertWeightedTerms(raw.PrefAffTerms), PreferredPodAntiAffinity: convertWeightedTerms(raw.PrefAntiTerms)}}
			require.NoError(rt, w.s.Pods.Hooks.Admit(q))
			return q
		}
		p := pendingPod()

		check := func(when string) {
			tally.checks++
			sc := w.sched
			infos := upAntiSnapshot(w.s, terms, affTerms, prefAff, prefAnti)
			byName := map[string]*upNode{}
			for _, ni := range infos {
				byName[ni.node.Name] = ni.node
			}
			requireCacheNodes(rt, sc, slices.Collect(maps.Keys(byName)), when)
			if len(sc.assumed) > 0 {
				tally.assumed++
			}
			q := p
			if rapid.IntRange(0, 3).Draw(rt, "copy") == 3 {
				q = p.DeepCopy()
			}
			state := upAntiPreFilter(pend, infos, nsList)
			f := sc.interPreFilter(q)
			// InterPodAffinity's score, every node scored
			upNodes := make([]*upNode, len(sc.nodes))
			for i, ni := range sc.nodes {
				upNodes[i] = byName[ni.name]
			}
			wantScores := upInterPodAffinityScores(pend, infos, upNodes, nsList)
			gotScores := make([]int64, len(sc.nodes))
			if sc.interScored(q) {
				sc.interScores(q, sc.nodes, gotScores)
			} else {
				require.Equal(rt, make([]int64, len(sc.nodes)), wantScores, "no term anywhere, yet upstream scores %s", when)
			}
			require.Equal(rt, wantScores, gotScores, "InterPodAffinity scores %s", when)
			if slices.ContainsFunc(wantScores, func(v int64) bool { return v > 0 }) {
				tally.scored++
				if len(pend.PrefAffTerms)+len(pend.PrefAntiTerms) > 0 {
					tally.scoredOwnPref++
				}
				nsl := labels.Set(nsLabelsOf(pend.Namespace).Map())
				for _, ni := range infos {
					for _, pi := range ni.pods {
						for _, t := range slices.Concat(pi.PreferredAffinityTerms, pi.PreferredAntiAffinityTerms) {
							if t.Matches(pend, nsl) {
								tally.scoredBoundPref++
								goto counted
							}
						}
					}
				}
			counted:
				// a negative raw score: some node's share from anti-affinity terms alone
				// is not known here; count checks where the pending pod or a bound pod
				// has anti-affinity preferences and the lowest node is not 0 raw
				if upRawMin(pend, infos, upNodes, nsList) < 0 {
					tally.negative++
				}
			}
			pass, own, existing, aff := 0, 0, 0, 0
			for _, ni := range sc.nodes {
				want := upAntiFilter(state, byName[ni.name])
				got := upStatus{}
				if f != nil {
					got = upAntiStatusFrom(rt, f.verdict(ni))
				}
				require.Equal(rt, want, got, "Filter on %s %s", ni.name, when)
				switch want.Reason {
				case "":
					pass++
				case upErrReasonAntiAffinityRulesNotMatch:
					own++
				case upErrReasonAffinityRulesNotMatch:
					aff++
				default:
					existing++
				}
			}
			if len(pend.AffTerms) == 0 {
				tally.plain++
			}
			if state != nil && len(pend.AffTerms) == 0 {
				tally.filtered++
				if own > 0 {
					tally.own++
				}
				if existing > 0 {
					tally.existing++
				}
				if pass > 0 && own+existing+aff > 0 {
					tally.mixed++
				}
			}
			if len(pend.AffTerms) > 0 {
				tally.affinity++
				if aff > 0 {
					tally.affFail++
				}
				if pass > 0 && len(state.affinityCounts) == 0 {
					tally.affSelf++
				}
			}
			// what the terms exercised
			nsl := upGetNamespaceLabelsSnapshot(pend.Namespace, nsList)
			var ownTerms []upAffinityTerm
			if state != nil {
				ownTerms = state.podInfo.RequiredAntiAffinityTerms
			}
			term, nsSel := false, false
			for _, t := range pend.AntiTerms {
				nsSel = nsSel || t.NamespaceSelector != nil
			}
			for _, ni := range infos {
				for _, x := range ni.pods {
					for _, t := range x.Pod.AntiTerms {
						nsSel = nsSel || t.NamespaceSelector != nil
					}
					bt, _ := upGetAffinityTerms(x.Pod, x.Pod.AffTerms)
					if upPodMatchesAllAffinityTerms(bt, pend) {
						tally.boundAffMatches++
					}
					if !x.Pod.Terminating {
						continue
					}
					for _, t := range ownTerms {
						term = term || t.Matches(x.Pod, nil)
					}
					for _, t := range x.RequiredAntiAffinityTerms {
						term = term || t.Matches(pend, nsl)
					}
				}
			}
			if term {
				tally.terminatingMatched++
			}
			if nsSel {
				tally.nsSelector++
			}
			if merged(raw.AntiTerms, pend.AntiTerms) || merged(raw.AffTerms, pend.AffTerms) ||
				merged(weightedTerms(raw.PrefAffTerms), weightedTerms(pend.PrefAffTerms)) ||
				merged(weightedTerms(raw.PrefAntiTerms), weightedTerms(pend.PrefAntiTerms)) || boundMerged() {
				tally.labelKeys++
			}
		}

		w.changeRounds(rt, latency, &podKeys, func() []string { return names }, createPod, check, func(kind int, key, node string) {
			switch kind {
			case 6: // relabel a node
				l := nodeLabels(node)
				_, _ = w.s.Nodes.Patch(w.c, node, func(n *apiserver.Node) error { n.Labels = apiserver.NewLabels(l); return nil })
			case 7: // delete or re-add a node
				w.deleteOrReAddNode(rt, node, addNode)
			case 8: // a new node
				newNode()
			case 9: // the pending pod moved to another namespace with its terms, or its
				// labels and terms redrawn (trackers are kept by term and owner)
				if rapid.Bool().Draw(rt, "moveNs") {
					pend.Namespace = rapid.SampledFrom(nsNames).Draw(rt, "pendingNs")
				} else {
					drawPending()
				}
				p = pendingPod()
			case 10:
				w.sched.Stop()
				w.sched.Start()
			}
		})
	})
}
