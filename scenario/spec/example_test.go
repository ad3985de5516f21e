package spec_test

import (
	"fmt"

	"github.com/nodesim/nodesim/scenario/spec"
)

func ExampleParse() {
	file := `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: zone-outage}
spec:
  duration: 15m
  kubernetesVersion: "1.31"
  nodes:
    - {namePrefix: worker-a-, count: 2, zone: zone-a}
    - name: standby
      kubelet: {registerNode: false}
  events:
    - at: 100s
      partition: {zone: zone-a, for: 3m}
`
	s, err := spec.Parse("zone-outage.yaml", []byte(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, s.Spec.Duration, "grace", s.Spec.ControllerManager.NodeMonitorGracePeriod)
	for _, n := range s.Spec.Nodes {
		fmt.Println(n.Name, n.Zone, "registers:", n.Kubelet.RegisterNode)
	}
	ev := s.Spec.Events[0]
	fmt.Println(ev.At, ev.Action, ev.Target, "for", ev.For)

	// A sweep would vary a field like this.
	longer, _ := s.With("controllerManager.nodeMonitorGracePeriod", "60s")
	fmt.Println("grace", longer.Spec.ControllerManager.NodeMonitorGracePeriod)
	// Output:
	// zone-outage 15m0s grace 40s
	// worker-a-0 zone-a registers: true
	// worker-a-1 zone-a registers: true
	// standby  registers: false
	// 1m40s partition zone=zone-a for 3m0s
	// grace 1m0s
}

func ExampleParse_errors() {
	file := `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
spec:
  duration: 10m
  nodes: [{name: a}]
  events:
    - at: 1m
      stopKubelet: {node: b}
    - at: 2m
      powerOff: {node: a}
      powerOn: {node: a}
`
	_, err := spec.Parse("bad.yaml", []byte(file))
	fmt.Println(err)
	// Output:
	// bad.yaml:8: spec.events[0].stopKubelet.node: unknown node "b"; allowed: a
	// bad.yaml:11: spec.events[1].powerOn: two actions in one entry (powerOff and powerOn); allowed: exactly one action per entry (write two entries with the same at:)
}
