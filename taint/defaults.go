package taint

// Defaults of kube-apiserver's --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds, used by the
// DefaultTolerationSeconds admission plugin.
const (
	// DefaultNotReadyTolerationSeconds is the tolerationSeconds given to the
	// added not-ready:NoExecute toleration.
	DefaultNotReadyTolerationSeconds int64 = 300
	// DefaultUnreachableTolerationSeconds is the tolerationSeconds given to
	// the added unreachable:NoExecute toleration.
	DefaultUnreachableTolerationSeconds int64 = 300
)

// AddDefaultTolerationSeconds does what the DefaultTolerationSeconds admission
// plugin does to a pod on create and update
// (plugin/pkg/admission/defaulttolerationseconds/admission.go).
//
// A pod already tolerates not-ready when some toleration has key
// node.kubernetes.io/not-ready or an empty key, and effect NoExecute or an
// empty effect; its operator, value and tolerationSeconds are not looked at.
// The same goes for unreachable. For each of the two that is missing, in that
// order, it appends {key, Exists, NoExecute, seconds}.
//
// When nothing is missing it returns tols itself; otherwise a new slice, so
// the caller's backing array is never written.
func AddDefaultTolerationSeconds(tols []Toleration, notReadySeconds, unreachableSeconds int64) []Toleration {
	hasNotReady, hasUnreachable := false, false
	for i := range tols {
		if tols[i].Effect != NoExecute && tols[i].Effect != "" {
			continue
		}
		switch tols[i].Key {
		case "":
			hasNotReady, hasUnreachable = true, true
		case NotReady:
			hasNotReady = true
		case Unreachable:
			hasUnreachable = true
		}
	}
	if hasNotReady && hasUnreachable {
		return tols
	}
	out := make([]Toleration, len(tols), len(tols)+2)
	copy(out, tols)
	if !hasNotReady {
		out = append(out, Toleration{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(notReadySeconds)})
	}
	if !hasUnreachable {
		out = append(out, Toleration{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(unreachableSeconds)})
	}
	return out
}

// daemonSetTolerations are the tolerations the DaemonSet controller gives
// every pod it creates, in upstream's order; network-unavailable is last and
// only for hostNetwork pods.
var daemonSetTolerations = [...]Toleration{
	{Key: NotReady, Operator: OpExists, Effect: NoExecute},
	{Key: Unreachable, Operator: OpExists, Effect: NoExecute},
	{Key: DiskPressure, Operator: OpExists, Effect: NoSchedule},
	{Key: MemoryPressure, Operator: OpExists, Effect: NoSchedule},
	{Key: PIDPressure, Operator: OpExists, Effect: NoSchedule},
	{Key: Unschedulable, Operator: OpExists, Effect: NoSchedule},
	{Key: NetworkUnavailable, Operator: OpExists, Effect: NoSchedule},
}

// DaemonSetTolerations returns tols with the tolerations the DaemonSet
// controller adds to its pods (pkg/controller/daemon/util
// AddOrUpdateDaemonPodTolerations), all with operator Exists and no
// tolerationSeconds:
//
//   - not-ready and unreachable, NoExecute (so DaemonSet pods are never
//     evicted for node failure);
//   - disk-pressure, memory-pressure, pid-pressure and unschedulable,
//     NoSchedule;
//   - network-unavailable, NoSchedule, only when hostNetwork is true.
//
// Each one goes through upstream's AddOrUpdateTolerationInPodSpec: every
// existing toleration with the same key, operator, value and effect
// (MatchToleration) is replaced in place by the DaemonSet toleration, which
// drops a tolerationSeconds the user set (a user's {not-ready, Exists,
// NoExecute, 60s} becomes tolerate-forever); when none matches it is
// appended. Other tolerations, including broader ones such as an empty-key
// Exists, do not prevent the append. (Upstream's "already identical, return
// early" branch never fires, because it compares a pointer with a value, so
// identical entries are rewritten with equal content; the result is the
// same.)
//
// The result is always a new slice; tols is not modified.
func DaemonSetTolerations(tols []Toleration, hostNetwork bool) []Toleration {
	adds := daemonSetTolerations[:len(daemonSetTolerations)-1]
	if hostNetwork {
		adds = daemonSetTolerations[:]
	}
	out := make([]Toleration, len(tols), len(tols)+len(adds))
	copy(out, tols)
	for _, add := range adds {
		replaced := false
		for i := range out {
			if out[i].MatchToleration(add) {
				out[i] = add
				replaced = true
			}
		}
		if !replaced {
			out = append(out, add)
		}
	}
	return out
}
