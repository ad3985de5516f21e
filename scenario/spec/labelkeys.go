package spec

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validate/content"
)

// podLabels are the labels a manifest's pods are created with: a bare pod's own, or
// a pod template's plus those its controller adds. The API server merges a pod's
// values of its inter-pod (anti-)affinity terms' matchLabelKeys and
// mismatchLabelKeys into their labelSelector when the pod is created, and validates
// the merged selector, so what the loader accepts depends on them.
type podLabels struct {
	labels map[string]string
	// owner is the kind of the workload whose template this is, "" for a bare pod.
	owner string
}

// The labels upstream's DaemonSet controller puts on its pods
// (pkg/controller/daemon/util CreatePodTemplate); nodesim's DaemonSet pods carry
// only the template's labels.
var daemonSetPodLabels = []string{"controller-revision-hash", "pod-template-generation"}

// templateLabels are the labels of the pods a workload of kind stamps from a
// template with labels: the template's, and for a Deployment the
// pod-template-hash its ReplicaSet adds (its value does not matter here).
func templateLabels(labels map[string]string, kind string) podLabels {
	if kind != "Deployment" {
		return podLabels{labels: labels, owner: kind}
	}
	l := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		l[k] = v
	}
	l["pod-template-hash"] = ""
	return podLabels{labels: l, owner: kind}
}

// labelKeys validates a term's matchLabelKeys and mismatchLabelKeys as the API
// server does (pkg/apis/core/validation validateMatchLabelKeysAndMismatchLabelKeys,
// v1.31.0 to v1.37.2 alike), on the labelSelector as merged for pods with pl's
// labels:
//   - each key a label key, and neither list without a labelSelector;
//   - no key in both lists;
//   - no key of matchLabelKeys that the merged selector's matchExpressions hold
//     after matchLabels or an earlier expression already did: a key the selector
//     names is refused only when the pod has that label (the merge adds it once
//     more), and a key of mismatchLabelKeys may appear in the selector.
//
// Upstream validates a workload's template unmerged and accepts it; each pod stamped
// from it is merged and then refused, so its controller fails to create any. The
// loader refuses such a template instead, saying why. It also refuses, in a
// DaemonSet's template, the keys of labels that upstream's DaemonSet controller adds
// and nodesim's does not (daemonSetPodLabels): the merge would differ.
func (c *objCheck) labelKeys(t *corev1.PodAffinityTerm, ta string, pl podLabels) {
	lists := []struct {
		field string
		keys  []string
	}{{"matchLabelKeys", t.MatchLabelKeys}, {"mismatchLabelKeys", t.MismatchLabelKeys}}
	for _, l := range lists {
		if len(l.keys) == 0 {
			continue
		}
		if t.LabelSelector == nil {
			c.fail(ta+"."+l.field, "a labelSelector with "+l.field, "must not be specified when labelSelector is not set")
			continue
		}
		for j, k := range l.keys {
			ka := index(ta+"."+l.field, j)
			if msgs := content.IsLabelKey(k); len(msgs) > 0 {
				c.fail(ka, "a label key such as pod-template-hash", "invalid label key %q: %s", k, strings.Join(msgs, "; "))
			} else if pl.owner == "DaemonSet" && slices.Contains(daemonSetPodLabels, k) {
				c.fail(ka, "a key of the template's labels", "not modelled: upstream's DaemonSet controller labels its pods %s, nodesim's DaemonSet pods carry only the template's labels", k)
			}
		}
	}
	reported := make([]bool, len(t.MatchLabelKeys))
	for j, k := range t.MatchLabelKeys {
		if slices.Contains(t.MismatchLabelKeys, k) {
			c.fail(index(ta+".matchLabelKeys", j), "a key in one of matchLabelKeys and mismatchLabelKeys", "%q exists in both matchLabelKeys and mismatchLabelKeys", k)
			reported[j] = true
		}
	}
	if t.LabelSelector == nil || c.isBroken(ta+".labelSelector") {
		return
	}
	// The merged selector's keys in upstream's order: matchLabels, the written
	// matchExpressions, then an expression per key of matchLabelKeys and of
	// mismatchLabelKeys the pod has. A key of matchLabelKeys (its last index, as
	// upstream's map of them keeps) met again is refused once.
	last := map[string]int{}
	for j, k := range t.MatchLabelKeys {
		last[k] = j
	}
	seen := map[string]bool{}
	for k := range t.LabelSelector.MatchLabels {
		seen[k] = true
	}
	meet := func(k string, merged bool) {
		if j, ok := last[k]; ok && seen[k] && !reported[j] {
			reported[j] = true
			ka := index(ta+".matchLabelKeys", j)
			const allow = "a key the labelSelector does not use"
			switch {
			case merged && pl.owner != "":
				c.fail(ka, allow, "%q exists in both matchLabelKeys and labelSelector: the %s's pods have label %q, and the API server would refuse each of them (it accepts the template)", k, pl.owner, k)
			default:
				c.fail(ka, allow, "%q exists in both matchLabelKeys and labelSelector", k)
			}
		}
		seen[k] = true
	}
	for _, r := range t.LabelSelector.MatchExpressions {
		meet(r.Key, false)
	}
	for _, keys := range [][]string{t.MatchLabelKeys, t.MismatchLabelKeys} {
		for _, k := range keys {
			if _, ok := pl.labels[k]; ok {
				meet(k, true)
			}
		}
	}
}
