package workload

import (
	"fmt"
	"testing"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// BenchmarkScheduler places 10k pods on 1k nodes in 3 zones; ns/pod and allocs/pod
// are the figures (allocations include the API server's copy of each bound pod and
// the informer deliveries). The pods are bare, or the replicas of one ReplicaSet,
// which PodTopologySpread scores as well; own-spread-* give them a zone constraint,
// own-anti ten groups of replicas, each kept to one pod per node by required
// anti-affinity on the hostname, so that the last pods of a group fit on few nodes.
func BenchmarkScheduler(b *testing.B) {
	for _, owned := range []bool{false, true} {
		b.Run(map[bool]string{false: "bare", true: "replicaset"}[owned], func(b *testing.B) { benchScheduler(b, owned, nil, "") })
	}
	// pods with a zone constraint of their own, ScheduleAnyway and DoNotSchedule: each
	// cycle counts the pods in the cache again (podspread.go), as upstream's PreScore
	// and PreFilter do
	zone := apiserver.TopologySpreadConstraint{MaxSkew: 1, TopologyKey: apiserver.LabelZone,
		Selector: &apiserver.PodSelector{MatchLabels: map[string]string{"app": "web"}}, MinDomains: 1}
	for _, when := range []string{apiserver.ScheduleAnyway, apiserver.DoNotSchedule} {
		c := zone
		c.WhenUnsatisfiable = when
		b.Run("own-spread-"+when, func(b *testing.B) { benchScheduler(b, true, []apiserver.TopologySpreadConstraint{c}, "") })
	}
	// ten groups of pods, each with a hostname anti-affinity term against its own
	// group (own-anti: one per node each) or a zone affinity term to it
	// (own-affinity: the first of a group goes anywhere, the rest follow it)
	b.Run("own-anti", func(b *testing.B) { benchScheduler(b, true, nil, "anti") })
	b.Run("own-affinity", func(b *testing.B) { benchScheduler(b, true, nil, "affinity") })
}

// benchScheduler schedules 10,000 pods on 1,000 nodes; inter is "", "anti" or
// "affinity" (see BenchmarkScheduler).
func benchScheduler(b *testing.B, owned bool, spread []apiserver.TopologySpreadConstraint, inter string) {
	const nodes, pods = 1000, 10000
	b.ReportAllocs()
	var total time.Duration
	for range b.N {
		b.StopTimer()
		e := sim.New()
		s := apiserver.New(e, nil, apiserver.DefaultConfig())
		c := s.NewClient("bench", 30*time.Second)
		for i := range nodes {
			name := fmt.Sprintf("node-%04d", i)
			_, _ = s.Nodes.Create(c, &apiserver.Node{ObjectMeta: apiserver.ObjectMeta{Name: name,
				Labels: apiserver.NewLabels(map[string]string{apiserver.LabelHostname: name, apiserver.LabelZone: fmt.Sprint("zone-", i%3)})},
				Allocatable: apiserver.Resources{MilliCPU: 32000, Memory: 128 << 30, Pods: 110}})
		}
		s.Nodes.Each(func(n *apiserver.Node) {
			_, _ = s.Nodes.Patch(c, n.Name, func(n *apiserver.Node) error { n.Taints = nil; return nil })
		})
		var refs []apiserver.OwnerReference
		if owned {
			rs, err := s.ReplicaSets.Create(c, &apiserver.ReplicaSet{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: "web"},
				Replicas: pods, Selector: apiserver.LabelSelector{"app": "web"}})
			if err != nil {
				b.Fatal(err)
			}
			refs = []apiserver.OwnerReference{{Kind: KindReplicaSet, Name: rs.Name, UID: rs.UID, Controller: true}}
		}
		sc, err := NewScheduler(s, s.NewClient("kube-scheduler", 30*time.Second), DefaultSchedulerConfig())
		if err != nil {
			b.Fatal(err)
		}
		sc.Start()
		for i := range pods {
			labels := map[string]string{"app": "web"}
			var terms, affinity []apiserver.PodAffinityTerm
			if inter != "" {
				group := fmt.Sprint(i % (pods / nodes))
				labels["group"] = group
				sel := &apiserver.PodSelector{MatchLabels: map[string]string{"group": group}}
				if inter == "anti" {
					terms = []apiserver.PodAffinityTerm{{TopologyKey: apiserver.LabelHostname, Selector: sel}}
				} else {
					affinity = []apiserver.PodAffinityTerm{{TopologyKey: apiserver.LabelZone, Selector: sel}}
				}
			}
			_, _ = s.Pods.Create(c, &apiserver.Pod{ObjectMeta: apiserver.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("p-%05d", i),
				Labels: apiserver.NewLabels(labels), OwnerReferences: refs},
				PodSpec: &apiserver.PodSpec{Requests: apiserver.Resources{MilliCPU: 100, Memory: 128 << 20},
					TopologySpreadConstraints: spread, RequiredPodAntiAffinity: terms, RequiredPodAffinity: affinity}})
		}
		b.StartTimer()
		start := time.Now()
		e.Run()
		total += time.Since(start)
		if sc.Bound != pods {
			b.Fatalf("bound %d of %d", sc.Bound, pods)
		}
		sc.Stop()
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N*pods), "ns/pod")
}
