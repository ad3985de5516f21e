package eviction

import (
	"fmt"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Reasons written in PodEvicted records, one per component of this package.
const (
	// ReasonTaintManagerEviction is the taint eviction controller's reason, as in its
	// Kubernetes events.
	ReasonTaintManagerEviction = "TaintManagerEviction"
	// ReasonPodGC marks deletions by the pod garbage collector.
	ReasonPodGC = "PodGC"
	// ReasonDrain marks evictions requested by a drain.
	ReasonDrain = "Drain"
)

// Pod condition reasons and messages written with DisruptionTarget=True.
const (
	// DeletionByTaintManager is the DisruptionTarget reason the taint eviction
	// controller sets before deleting a pod.
	DeletionByTaintManager = "DeletionByTaintManager"
	// DeletionByTaintManagerMessage is its message.
	DeletionByTaintManagerMessage = "Taint manager: deleting due to NoExecute taint"
	// DeletionByPodGC is the DisruptionTarget reason pod GC sets on pods of a deleted
	// node.
	DeletionByPodGC = "DeletionByPodGC"
	// DeletionByPodGCMessage is its message.
	DeletionByPodGCMessage = "PodGC: node no longer exists"
)

func recordEvicted(tr *sim.Trace, now time.Duration, pod, node, reason string) {
	if tr == nil {
		return
	}
	tr.Add(now, "PodEvicted", sim.S("pod", pod), sim.S("node", node), sim.S("reason", reason))
}

func recordEvent(tr *sim.Trace, now time.Duration, object, reason, message string) {
	if tr == nil {
		return
	}
	tr.Add(now, "Event", sim.S("object", object), sim.S("reason", reason), sim.S("message", message))
}

// errField builds a configuration error that names the field and what is allowed.
func errField(cfg, field string, value any, allowed string) error {
	return fmt.Errorf("eviction: %s.%s: invalid value %v: %s", cfg, field, value, allowed)
}

func checkWiring(s *apiserver.Server, c *apiserver.Client) error {
	if s == nil {
		return fmt.Errorf("eviction: nil *apiserver.Server")
	}
	if c == nil {
		return fmt.Errorf("eviction: nil *apiserver.Client")
	}
	if c.Server() != s {
		return fmt.Errorf("eviction: client %q belongs to another API server", c.Name)
	}
	return nil
}

func traceAdd(tr *sim.Trace, now time.Duration, kind string, attrs ...sim.Attr) {
	if tr != nil {
		tr.Add(now, kind, attrs...)
	}
}
