package apiserver

import "slices"

// matchLabelKeys and mismatchLabelKeys of inter-pod (anti-)affinity terms
// (MatchLabelKeysInPodAffinity: beta and on by default in 1.31 and 1.32, GA and
// locked on from 1.33). When a pod is created the API server reads the pod's own
// value of each key and appends to the term's labelSelector "key In (value)" for
// matchLabelKeys and "key NotIn (value)" for mismatchLabelKeys, skipping keys the
// pod lacks and terms without a labelSelector; the lists stay as written, and an
// update merges nothing (pkg/registry/core/pod/strategy.go PrepareForCreate:
// mutatePodAffinity, applyMatchLabelKeysAndMismatchLabelKeys; v1.31.0 through
// v1.37.2 alike). The scheduler reads the merged labelSelector only.
//
// Upstream merges in the registry's PrepareForCreate, after mutating admission;
// the merge touches only the terms' selectors and admission only priority and
// tolerations, so the order does not show, and here the merge comes first so that
// the result of both can be remembered together.
//
// The replicas of a template arrive with one spec and the same labels, so the
// merged spec is remembered per (spec, the pod's values of the keys) and they share
// it: a ReplicaSet's thousand pods cost one merge, not a thousand. Several templates
// create pods in turn (the DaemonSet controller makes one pod per DaemonSet for a
// new node), hence a small set of remembered results rather than the last one.

// labelKeysCacheSize bounds the remembered merges; the oldest is replaced.
const labelKeysCacheSize = 64

// mergedSpec is one remembered merge: in, admitted for a pod whose value of
// keys[i] is vals[i] (has[i] false: no such label), gave out.
type mergedSpec struct {
	in                    *PodSpec
	notReady, unreachable int64
	keys, vals            []string
	has                   []bool
	out                   *PodSpec
}

// labelKeysCache is the remembered merges, replaced round-robin.
type labelKeysCache struct {
	entries []mergedSpec
	next    int
}

// matches reports whether a pod with labels gives the same merge as e's.
func (e *mergedSpec) matches(labels Labels) bool {
	for i, k := range e.keys {
		v, ok := labels.Lookup(k)
		if ok != e.has[i] || v != e.vals[i] {
			return false
		}
	}
	return true
}

// hasLabelKeys reports whether one of s's inter-pod (anti-)affinity terms has
// matchLabelKeys or mismatchLabelKeys.
func hasLabelKeys(s *PodSpec) bool {
	return termsHaveKeys(s.RequiredPodAffinity) || termsHaveKeys(s.RequiredPodAntiAffinity) ||
		weightedHaveKeys(s.PreferredPodAffinity) || weightedHaveKeys(s.PreferredPodAntiAffinity)
}

func termsHaveKeys(terms []PodAffinityTerm) bool {
	for i := range terms {
		if len(terms[i].MatchLabelKeys) > 0 || len(terms[i].MismatchLabelKeys) > 0 {
			return true
		}
	}
	return false
}

func weightedHaveKeys(terms []WeightedPodAffinityTerm) bool {
	for i := range terms {
		if len(terms[i].MatchLabelKeys) > 0 || len(terms[i].MismatchLabelKeys) > 0 {
			return true
		}
	}
	return false
}

// admitWithLabelKeys is admitSpec on create for a spec with label keys: the merge
// for the pod's labels, then admission, remembered.
func (s *Server) admitWithLabelKeys(in *PodSpec, labels Labels, nr, ur int64) *PodSpec {
	c := &s.labelKeys
	for i := range c.entries {
		e := &c.entries[i]
		if e.in == in && e.notReady == nr && e.unreachable == ur && e.matches(labels) {
			return e.out
		}
	}
	e := mergedSpec{in: in, notReady: nr, unreachable: ur}
	eachLabelKey(in, func(k string) {
		v, ok := labels.Lookup(k)
		e.keys, e.vals, e.has = append(e.keys, k), append(e.vals, v), append(e.has, ok)
	})
	e.out = s.admitDefaults(mergeLabelKeys(in, labels), true)
	if len(c.entries) < labelKeysCacheSize {
		c.entries = append(c.entries, e)
	} else {
		c.entries[c.next] = e
		c.next = (c.next + 1) % labelKeysCacheSize
	}
	return e.out
}

// eachLabelKey calls fn with every key of s's terms' matchLabelKeys and
// mismatchLabelKeys, in a fixed order.
func eachLabelKey(s *PodSpec, fn func(string)) {
	term := func(t *PodAffinityTerm) {
		for _, k := range t.MatchLabelKeys {
			fn(k)
		}
		for _, k := range t.MismatchLabelKeys {
			fn(k)
		}
	}
	for _, terms := range [][]PodAffinityTerm{s.RequiredPodAffinity, s.RequiredPodAntiAffinity} {
		for i := range terms {
			term(&terms[i])
		}
	}
	for _, terms := range [][]WeightedPodAffinityTerm{s.PreferredPodAffinity, s.PreferredPodAntiAffinity} {
		for i := range terms {
			term(&terms[i].PodAffinityTerm)
		}
	}
}

// mergeLabelKeys returns a copy of in whose terms' selectors have the pod's values
// of their label keys merged in; the rest is shared with in (a spec is never
// changed in place, see PodSpec).
func mergeLabelKeys(in *PodSpec, labels Labels) *PodSpec {
	c := *in
	c.RequiredPodAffinity = mergeTerms(in.RequiredPodAffinity, labels)
	c.RequiredPodAntiAffinity = mergeTerms(in.RequiredPodAntiAffinity, labels)
	c.PreferredPodAffinity = mergeWeighted(in.PreferredPodAffinity, labels)
	c.PreferredPodAntiAffinity = mergeWeighted(in.PreferredPodAntiAffinity, labels)
	return &c
}

func mergeTerms(terms []PodAffinityTerm, labels Labels) []PodAffinityTerm {
	if !termsHaveKeys(terms) {
		return terms
	}
	out := slices.Clone(terms)
	for i := range out {
		out[i].Selector = mergeSelector(&out[i], labels)
	}
	return out
}

func mergeWeighted(terms []WeightedPodAffinityTerm, labels Labels) []WeightedPodAffinityTerm {
	if !weightedHaveKeys(terms) {
		return terms
	}
	out := slices.Clone(terms)
	for i := range out {
		out[i].Selector = mergeSelector(&out[i].PodAffinityTerm, labels)
	}
	return out
}

// mergeSelector returns t's selector with "key In (value)" appended for each of its
// matchLabelKeys the pod has, then "key NotIn (value)" for each of its
// mismatchLabelKeys; the selector itself when that adds nothing (nil included: it
// matches no pod, and stays so).
func mergeSelector(t *PodAffinityTerm, labels Labels) *PodSelector {
	if t.Selector == nil {
		return nil
	}
	exprs := slices.Clip(t.Selector.MatchExpressions) // appending copies, never writes the shared array
	for _, k := range t.MatchLabelKeys {
		if v, ok := labels.Lookup(k); ok {
			exprs = append(exprs, NodeSelectorRequirement{Key: k, Operator: "In", Values: []string{v}})
		}
	}
	for _, k := range t.MismatchLabelKeys {
		if v, ok := labels.Lookup(k); ok {
			exprs = append(exprs, NodeSelectorRequirement{Key: k, Operator: "NotIn", Values: []string{v}})
		}
	}
	if len(exprs) == len(t.Selector.MatchExpressions) {
		return t.Selector
	}
	return &PodSelector{MatchLabels: t.Selector.MatchLabels, MatchExpressions: exprs}
}
