package workload

import (
	"sort"
	"strconv"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Owner kinds written into controller references.
const (
	KindReplicaSet = "ReplicaSet"
	KindDeployment = "Deployment"
	KindDaemonSet  = "DaemonSet"
)

// indexOwner indexes pods (and ReplicaSets) by the UID of their controller.
const indexOwner = "controllerUID"

// uidStrings renders controller UIDs as indexOwner values, one string per UID: the
// informer calls an index function for the old and the new version of every object it
// applies, and formatting the UID each time allocated on every pod write. A controller
// owns its table (simulations may run in parallel); entries are never dropped, which
// costs one string per owner ever seen.
// The last answer is kept besides: an index asks for the old and the new version of
// the same object in turn.
type uidStrings struct {
	m       map[uint64]string
	lastUID uint64
	last    string // "" while nothing was asked
}

func (u *uidStrings) of(uid uint64) string {
	if uid == u.lastUID && u.last != "" {
		return u.last
	}
	s, ok := u.m[uid]
	if !ok {
		if u.m == nil {
			u.m = map[uint64]string{}
		}
		s = strconv.FormatUint(uid, 10)
		u.m[uid] = s
	}
	u.lastUID, u.last = uid, s
	return s
}

// ownerIndexValue is the indexOwner value of an object: its controller's UID.
func (u *uidStrings) ownerIndexValue(m *apiserver.ObjectMeta) string {
	if r, ok := m.ControllerRef(); ok {
		return u.of(r.UID)
	}
	return ""
}

// IsPodActive is upstream's controller.IsPodActive: a pod counts towards a
// controller's replicas while it is neither Succeeded nor Failed and has no
// deletion timestamp. A terminating pod therefore no longer counts, and its
// replacement is created as soon as the deletion is requested.
func IsPodActive(p *apiserver.Pod) bool {
	return p.Phase != apiserver.PodSucceeded && p.Phase != apiserver.PodFailed && !p.Deleting
}

// nameAlphabet is apimachinery's util/rand alphabet (no vowels, no 0, 1, 3), which
// GenerateName suffixes are drawn from.
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// maxGeneratedNameLength is 63 - 5: a base name is truncated so that the suffix fits
// (apiserver's names.SimpleNameGenerator).
const maxGeneratedNameLength = 58

// generateName is metadata.generateName + 5 random characters, drawn from r.
func generateName(base string, r *sim.Rand) string {
	return string(appendGeneratedName(make([]byte, 0, min(len(base), maxGeneratedNameLength)+5), base, r))
}

// appendGeneratedName appends generateName(base, r) to dst.
func appendGeneratedName(dst []byte, base string, r *sim.Rand) []byte {
	if len(base) > maxGeneratedNameLength {
		base = base[:maxGeneratedNameLength]
	}
	dst = append(dst, base...)
	for range 5 {
		dst = append(dst, nameAlphabet[r.Int64N(int64(len(nameAlphabet)))])
	}
	return dst
}

// controllerRef is the Controller=true owner reference a controller sets on what it
// creates.
func controllerRef(kind string, m *apiserver.ObjectMeta) apiserver.OwnerReference {
	return apiserver.OwnerReference{Kind: kind, Name: m.Name, UID: m.UID, Controller: true}
}

// podFromTemplate stamps a pod from a template, owned by the given controller.
func podFromTemplate(t *apiserver.PodTemplate, ns, name string, owner apiserver.OwnerReference) *apiserver.Pod {
	p := t.Spec.DeepCopy()
	p.ObjectMeta = apiserver.ObjectMeta{Namespace: ns, Name: name, Labels: t.Labels,
		OwnerReferences: []apiserver.OwnerReference{owner}}
	p.Phase = ""
	p.Reason, p.Message = "", ""
	p.Conditions = nil
	return p
}

func copyLabels(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// podReadyTime is the last transition time of a True Ready condition.
func podReadyTime(p *apiserver.Pod) (time.Duration, bool) {
	if c := p.Condition(apiserver.PodReady); c != nil && c.Status == apiserver.ConditionTrue {
		return c.LastTransitionTime, true
	}
	return 0, false
}

func phaseOrdinal(p apiserver.PodPhase) int {
	// upstream's podPhaseToOrdinal: Pending 0, Unknown 1, Running 2; phases missing
	// from its map read as 0. nodesim has no Unknown phase.
	if p == apiserver.PodRunning {
		return 2
	}
	return 0
}

// rankPodsForDeletion sorts pods so that the ones upstream prefers to delete on
// scale-down come first (controller_utils.go ActivePodsWithRanks with the ranks of
// replica_set.go getPodsRankedByRelatedPodsOnSameNode, LogarithmicScaleDown on):
//  1. unassigned before assigned;
//  2. Pending before Unknown before Running;
//  3. not ready before ready;
//  4. more active pods of the same controller on the same node before fewer
//     ("doubled up" first);
//  5. both ready: ready more recently first, compared in log2 buckets of the time
//     since (ties broken by UID);
//  6. (restart counts are not modelled);
//  7. created more recently first, in log2 buckets (ties by UID).
//
// Upstream's UIDs are random UUIDs, so its ties by UID fall at random; nodesim's are
// a counter, and ordering them as numbers would always delete the oldest-created pods
// of a bucket. Ties compare uidOrder(uid, salt) instead: a fixed permutation of the
// UIDs drawn from the run's seed (salt), the same for the same seed.
//
// Times compare as the controller sees them, in whole seconds (metav1.Time; see
// apiserver.ObjectMeta.CreationSecond): two pods Ready in the same second are equally
// recent, and fall through to their creation times.
func rankPodsForDeletion(pods []*apiserver.Pod, related []*apiserver.Pod, now time.Duration, salt uint64) {
	onNode := map[string]int{}
	for _, p := range related {
		if IsPodActive(p) {
			onNode[p.NodeName]++
		}
	}
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		if a.NodeName != b.NodeName && (a.NodeName == "" || b.NodeName == "") {
			return a.NodeName == ""
		}
		if oa, ob := phaseOrdinal(a.Phase), phaseOrdinal(b.Phase); oa != ob {
			return oa < ob
		}
		if ra, rb := a.IsReady(), b.IsReady(); ra != rb {
			return !ra
		}
		if ka, kb := onNode[a.NodeName], onNode[b.NodeName]; ka != kb {
			return ka > kb
		}
		if a.IsReady() && b.IsReady() {
			ta, _ := podReadyTime(a)
			tb, _ := podReadyTime(b)
			if ta, tb = wholeSecond(ta), wholeSecond(tb); ta != tb {
				if d := logRankDiff(ta, tb, now); d != 0 {
					return d < 0
				}
				return uidOrder(a.UID, salt) < uidOrder(b.UID, salt)
			}
		}
		if ca, cb := wholeSecond(a.CreationTimestamp), wholeSecond(b.CreationTimestamp); ca != cb {
			if d := logRankDiff(ca, cb, now); d != 0 {
				return d < 0
			}
			return uidOrder(a.UID, salt) < uidOrder(b.UID, salt)
		}
		return false
	})
}

// uidOrder is uid's place in the order that stands for comparing random UUIDs: the
// splitmix64 finaliser of uid ^ salt, a bijection, so no two UIDs tie.
func uidOrder(uid, salt uint64) uint64 {
	z := uid ^ salt
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// logRankDiff compares how long ago t1 and t2 were in whole powers of two of
// nanoseconds (upstream logarithmicRankDiff); a negative result means t1 is more
// recent.
func logRankDiff(t1, t2, now time.Duration) int {
	return log2Bucket(now-t1) - log2Bucket(now-t2)
}

func log2Bucket(d time.Duration) int {
	if d <= 0 {
		return -1
	}
	n := -1
	for v := uint64(d); v > 0; v >>= 1 {
		n++
	}
	return n
}

// wholeSecond is t as a client sees a metav1.Time: rounded down to the second.
func wholeSecond(t time.Duration) time.Duration {
	r := t - t%time.Second
	if t%time.Second < 0 {
		r -= time.Second
	}
	return r
}
