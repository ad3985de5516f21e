package workload

import "github.com/nodesim/nodesim/apiserver"

// A running start and required inter-pod anti-affinity: the round-robin of
// settle.go does not follow it, so the replicas of a template with required
// anti-affinity terms, and those that a term of a pod bound before the start (a
// bare pod) matches, are not placed: they are restored Pending, and the scheduler
// places them when the run starts, one at a time against the pods bound so far, as
// it would have. DaemonSet pods are placed on every node they should run on,
// terms or not (the DaemonSet controller's nodeShouldRunDaemonPod does not read
// them).

// leavesAnti reports whether the replicas of proto are left Pending.
func (st *settler) leavesAnti(proto *apiserver.Pod) bool {
	if hasPodAnti(proto) {
		return true
	}
	nsl := nsLabelsOf(proto.Namespace)
	for _, q := range st.prior {
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
