package sim_test

import (
	"fmt"
	"os"
	"time"

	"github.com/nodesim/nodesim/sim"
)

// Events run in time order; events due at the same instant run in the order they
// were scheduled. RunUntil fires everything due up to an instant and leaves the clock
// there.
func ExampleEngine_At() {
	e := sim.New()
	say := func(msg string) func() {
		return func() { fmt.Printf("%-4v %s\n", e.Now(), msg) }
	}
	e.At(2*time.Second, say("second"))
	e.At(time.Second, say("first"))
	e.At(2*time.Second, say("second, tie: scheduled later"))
	h, _ := e.At(3*time.Second, say("never: cancelled"))
	e.At(5*time.Second, say("after the RunUntil window"))
	h.Cancel()

	e.RunUntil(4 * time.Second)
	fmt.Println("now", e.Now(), "pending", e.Pending())
	// Output:
	// 1s   first
	// 2s   second
	// 2s   second, tie: scheduled later
	// now 4s pending 1
}

// A Loop has wait.JitterUntil's semantics: the first run is immediate, and each wait
// is drawn from [Period, Period·(1+JitterFactor)). This one is sliding, so the wait
// starts when the run's modelled 100 ms are over.
func ExampleEngine_NewLoop() {
	e := sim.New(sim.WithSeed(1))
	l, _ := e.NewLoop(sim.LoopConfig{
		Period:       10 * time.Second,
		JitterFactor: 0.04,
		Sliding:      true,
		Rand:         e.Rand("node-a/lease"),
	}, func() time.Duration {
		fmt.Printf("renew at %ss\n", sim.Seconds(e.Now()))
		return 100 * time.Millisecond
	})
	l.Start()
	e.RunUntil(35 * time.Second)
	fmt.Println("runs:", l.Runs())
	// Output:
	// renew at 0s
	// renew at 10.266303903s
	// renew at 20.644314999s
	// renew at 30.997684128s
	// runs: 4
}

// A Timer is a reusable event: a component owns one and moves it instead of
// scheduling new events.
func ExampleTimer() {
	e := sim.New()
	var grace *sim.Timer
	grace, _ = e.NewTimer(func() { fmt.Println("grace period expired at", e.Now()) })
	grace.Schedule(40 * time.Second)
	// Heartbeats at 10 s and 20 s push the deadline out.
	for _, hb := range []time.Duration{10 * time.Second, 20 * time.Second} {
		e.At(hb, func() { grace.ScheduleAfter(40 * time.Second) })
	}
	e.Run()
	// Output:
	// grace period expired at 1m0s
}

// A Trace collects records in simulation order; WriteJSONL renders them as the
// scenario contract's JSONL, and Digest fingerprints a run.
func ExampleWriteJSONL() {
	e := sim.New()
	tr := sim.NewTrace(false)
	e.At(50100*time.Millisecond, func() {
		tr.Add(e.Now(), "NodeCondition", sim.S("node", "a"), sim.S("type", "Ready"), sim.S("from", "True"), sim.S("to", "Unknown"))
	})
	e.At(5*time.Minute, func() {
		tr.Add(e.Now(), "PodEvicted", sim.S("pod", "default/web-1"), sim.S("node", "a"), sim.I("tolerationSeconds", 300))
		tr.AddQuiet(e.Now(), "LeaseRenewed", sim.S("node", "b")) // kept only in a verbose trace
	})
	e.Run()
	sim.WriteJSONL(os.Stdout, tr.Records())
	sim.WriteText(os.Stdout, tr.Records())
	fmt.Println(sim.Digest(tr.Records())[:16])
	// Output:
	// {"t":50.1,"kind":"NodeCondition","node":"a","type":"Ready","from":"True","to":"Unknown"}
	// {"t":300,"kind":"PodEvicted","pod":"default/web-1","node":"a","tolerationSeconds":300}
	// 50.1s        NodeCondition node=a type=Ready from=True to=Unknown
	// 300s         PodEvicted pod=default/web-1 node=a tolerationSeconds=300
	// 46594b35199db11c
}

// A JitterCycle gives a jittered loop's waits (10 s + up to 4 %) so that the loop can
// be caught up in one call however long it ran unobserved: Walk lands where a loop of
// Next calls would, and costs the same for 30 days as for an hour.
func ExampleJitterCycle() {
	const d, factor = 10 * time.Second, 0.04
	a := sim.NewJitterCycle(sim.NewRand(1, "kubelet/node-a/lease"))
	b := a // the same cycle, at the same place

	// step by step: the renewals of 30 days
	t, last := time.Duration(0), time.Duration(0)
	for t < 30*24*time.Hour {
		last, t = t, t+b.Next(d, factor)
	}
	// in one walk
	wLast, wNext := a.Walk(0, 30*24*time.Hour, d, factor, 0)
	fmt.Println(wLast == last, wNext == t, a.Pos() == b.Pos())
	fmt.Println(wLast > 30*24*time.Hour-d-time.Duration(factor*float64(d)))
	// Output:
	// true true true
	// true
}
