// Package sim is nodesim's discrete-event kernel: a virtual clock, an event queue,
// reusable timers, periodic loops with upstream's jitter semantics, seeded random
// streams and the trace. It knows nothing of Kubernetes.
//
// # Time and order
//
// Virtual time is a time.Duration since the scenario start. It renders as wall-clock
// time only through Engine.Wall, from a configurable start instant. Events are fired
// in a total order: by time, then by the sequence number taken when the event was
// scheduled (or last moved). Events due at the same instant therefore run in the order
// they were scheduled, and a callback that schedules an event "now" runs it after the
// events already due now.
//
// # Events and timers
//
// Engine.At and Engine.After schedule one-shot callbacks and return a Handle that can
// cancel or move the event. Components that wake repeatedly own a Timer (NewTimer)
// and move it with Schedule; one-shot events come from a pool. Both keep the steady
// state free of allocations. The queue is a radix heap (see engine.go).
//
// A component that queues its own events in order (an API server watch queues a
// notification per change and delivers them in change order) takes each one's place
// in the order when it queues it (Engine.Reserve) and keeps one Timer for the first,
// scheduled with that place (Timer.ScheduleReserved): every event fires exactly where
// one scheduled at the reservation would, and a burst of 100k of them costs the queue
// one entry.
//
// Run controls follow SimPy: Step fires one event, Peek tells when the next is due,
// RunUntil and RunFor advance to an instant, Run fires until the queue is empty, and
// Halt stops a run from inside a callback.
//
// # Loops
//
// Loop reproduces k8s.io/apimachinery/pkg/util/wait.JitterUntil, on which the kubelet,
// the lease controller and the controller-manager build their loops: the first run is
// immediate, each wait is Period·(1+U[0,1)·JitterFactor), and a sliding loop starts its
// wait after the run's (modelled) duration.
//
// # Randomness
//
// Randomness comes only from Rand streams derived from the engine seed and a name
// (NewRand, Engine.Rand). Streams are independent: a new node's stream never shifts
// another node's draws.
//
// A JitterCycle gives the waits of a loop that lazy mode must be able to replay over
// days: each wait is jittered as Rand.Jitter would, but the waits repeat every
// CycleLen (64) draws, so a replay skips whole cycles by their sum and costs the same
// after an hour or a month (see JitterCycle).
//
// # Trace
//
// Trace collects typed Records (time, kind, ordered attributes) in simulation order.
// A record has a stable text form (AppendText) and a JSON form (AppendJSON) with "t"
// in seconds and "kind" first, as the scenario contract's JSONL trace requires. Digest
// hashes a trace so that two runs can be compared byte for byte. A long trace is
// mostly records of a few kinds, so a retained record keeps only its values (in the
// trace's chunks, which are never reused: a copy of a record stays valid) and shares
// its attribute names with the records like it; compare records with reflect.DeepEqual
// or go-cmp, not ==.
//
// # Determinism
//
// Nothing in this package reads the wall clock, starts a goroutine or uses a global
// random source, and nothing iterates over a map. The same seed and the same calls give
// the same trace on every machine.
package sim
