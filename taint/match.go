package taint

import "time"

// TolerationsTolerateTaint reports whether some toleration in tols tolerates
// t (upstream component-helpers scheduling/corev1 TolerationsTolerateTaint).
// It does not allocate.
func TolerationsTolerateTaint(tols []Toleration, t Taint, comparisonOperators bool) bool {
	for i := range tols {
		if tols[i].ToleratesTaint(t, comparisonOperators) {
			return true
		}
	}
	return false
}

// FindUntoleratedTaint returns the first taint, in node order, that passes
// filter and that no toleration in tols tolerates (upstream component-helpers
// scheduling/corev1 FindMatchingUntoleratedTaint, used by the scheduler's
// TaintToleration filter with a NoSchedule-or-NoExecute filter). A nil filter
// includes every taint. It does not allocate.
func FindUntoleratedTaint(taints []Taint, tols []Toleration, filter func(Taint) bool, comparisonOperators bool) (Taint, bool) {
	for _, t := range taints {
		if filter != nil && !filter(t) {
			continue
		}
		if !TolerationsTolerateTaint(tols, t, comparisonOperators) {
			return t, true
		}
	}
	return Taint{}, false
}

// GetMatchingTolerations pairs each taint with the first toleration, in
// pod-spec order, that tolerates it (upstream pkg/apis/core/v1/helper
// GetMatchingTolerations, used by the taint eviction controller).
//
// When every taint is tolerated it returns ok = true and used[i] is the
// toleration chosen for taints[i] (so the same toleration may appear more
// than once). When some taint is not tolerated it returns false and nil. No
// taints gives true and an empty used.
func GetMatchingTolerations(taints []Taint, tols []Toleration, comparisonOperators bool) (ok bool, used []Toleration) {
	return AppendMatchingTolerations(nil, taints, tols, comparisonOperators)
}

// AppendMatchingTolerations is GetMatchingTolerations appending to dst, so a
// caller that keeps a buffer can match without allocating. On failure it
// returns false and dst[:len(dst)] (anything appended is dropped).
func AppendMatchingTolerations(dst []Toleration, taints []Taint, tols []Toleration, comparisonOperators bool) (bool, []Toleration) {
	n := len(dst)
	if len(taints) > 0 && cap(dst)-n < len(taints) {
		grown := make([]Toleration, n, n+len(taints))
		copy(grown, dst)
		dst = grown
	}
	for _, t := range taints {
		found := false
		for j := range tols {
			if tols[j].ToleratesTaint(t, comparisonOperators) {
				dst = append(dst, tols[j])
				found = true
				break
			}
		}
		if !found {
			return false, dst[:n]
		}
	}
	return true, dst
}

// MinTolerationTime is how long the taint eviction controller waits before
// evicting a pod, given the tolerations GetMatchingTolerations chose for the
// node's NoExecute taints (upstream pkg/controller/tainteviction
// getMinTolerationTime):
//
//   - tolerations with nil TolerationSeconds are skipped (they tolerate
//     forever);
//   - any TolerationSeconds <= 0 gives 0 (evict at once);
//   - if every toleration has nil seconds, forever is true (never evict);
//   - otherwise d is the smallest TolerationSeconds, in seconds.
//
// Two upstream details are kept on purpose. An empty used gives (0, false),
// "evict at once", not forever; the controller never asks, because it
// handles "no NoExecute taints" before matching. And the seconds are turned
// into a duration with int64 arithmetic that wraps, as upstream's
// time.Duration(s)*time.Second does: a minimum above about 292 years wraps,
// and when the result is negative upstream treats it as forever, so this
// returns forever too.
func MinTolerationTime(used []Toleration) (d time.Duration, forever bool) {
	if len(used) == 0 {
		return 0, false
	}
	minSeconds := int64(-1)
	for i := range used {
		s := used[i].TolerationSeconds
		if s == nil {
			continue
		}
		if *s <= 0 {
			return 0, false
		}
		if minSeconds == -1 || *s < minSeconds {
			minSeconds = *s
		}
	}
	if minSeconds == -1 {
		return 0, true
	}
	d = time.Duration(minSeconds) * time.Second // wraps like upstream
	if d < 0 {
		return 0, true
	}
	return d, false
}
