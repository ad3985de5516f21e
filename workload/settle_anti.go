package workload

import (
	"slices"

	"github.com/nodesim/nodesim/apiserver"
)

// A running start and inter-pod (anti-)affinity: the round-robin of settle.go
// follows neither, so the replicas of a template with affinity or anti-affinity
// terms (required, or preferred, which the score reads), and those that a term of a pod bound before the start (a
// bare pod) or of a DaemonSet's pods matches, are not placed: they are restored
// Pending, and the scheduler places them when the run starts, one at a time against
// the pods bound so far, as it would have. DaemonSet pods are placed on every node
// they should run on, terms or not, as nodesim's DaemonSet controller binds them
// itself (nodeShouldRunDaemonPod does not read the terms; upstream's scheduler,
// which binds them there, would run InterPodAffinity's filter on them). A bound
// pod's affinity terms keep no other pod anywhere, so only its anti-affinity terms
// are read here.

// leavesAnti reports whether the replicas of proto are left Pending.
func (st *settler) leavesAnti(proto *apiserver.Pod) bool {
	if hasPodAnti(proto) || hasPodAffinity(proto) || len(proto.PreferredPodAffinity) > 0 || len(proto.PreferredPodAntiAffinity) > 0 {
		return true
	}
	nsl := nsLabelsOf(proto.Namespace)
	for _, q := range slices.Concat(st.prior, st.antiDaemon) {
		if q.NodeName == "" || q.Terminal() {
			continue
		}
		for i := range q.RequiredPodAntiAffinity {
			if termMatches(&q.RequiredPodAntiAffinity[i], q.Namespace, proto.Namespace, proto.Labels, nsl) {
				return true
			}
		}
	}
	return false
}
