package eviction

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/nodesim/nodesim/taint"
)

// For random taint/toleration/time schedules: no eviction happens before the
// toleration time has passed since the taint was processed, and pods tolerating
// forever are never evicted.
//
// Precisely: an eviction of pod p at E inside a tainted episode that began at S (the
// instant the node last went from no NoExecute taint to some) is either justified by a
// taint p does not tolerate that was present during [S, E], or E ≥ S + the smallest
// tolerationSeconds of the taints present during [S, E] (the timer was created at some
// C ≥ S with the minimum over the taints present at C, and never moved).
func TestPropertyNoEarlyEviction(t *testing.T) {
	keys := []string{"k0", "k1", "k2"}
	rapid.Check(t, func(rt *rapid.T) {
		w := newWorld(t)
		w.addNode("a", false)
		// kind per (pod, key): 0 untolerated, 1 forever, 2 seconds
		type tol struct {
			kind    int
			seconds int64
		}
		nPods := rapid.IntRange(1, 4).Draw(rt, "pods")
		pods := make([][]tol, nPods)
		for i := range pods {
			pods[i] = make([]tol, len(keys))
			var opts []podOpt
			for k, key := range keys {
				tl := tol{kind: rapid.IntRange(0, 2).Draw(rt, fmt.Sprintf("kind%d_%d", i, k))}
				switch tl.kind {
				case 1:
					opts = append(opts, tolerate(key, nil))
				case 2:
					tl.seconds = rapid.Int64Range(-1, 100).Draw(rt, fmt.Sprintf("sec%d_%d", i, k))
					opts = append(opts, tolerate(key, taint.Seconds(tl.seconds)))
				}
				pods[i][k] = tl
			}
			w.addPod(fmt.Sprintf("default/p%d", i), "a", opts...)
		}
		startTEC(t, w, DefaultTaintEvictionConfig())

		// A schedule of toggles at strictly increasing whole seconds.
		type change struct {
			at  time.Duration
			key int
		}
		var sched []change
		at := time.Duration(0)
		for i, n := 0, rapid.IntRange(1, 12).Draw(rt, "changes"); i < n; i++ {
			at += time.Duration(rapid.IntRange(1, 80).Draw(rt, fmt.Sprintf("gap%d", i))) * time.Second
			sched = append(sched, change{at: at, key: rapid.IntRange(0, len(keys)-1).Draw(rt, fmt.Sprintf("key%d", i))})
		}
		// present[k] over time: replay the toggles.
		type interval struct{ from, to time.Duration }
		present := make([][]interval, len(keys))
		on := make([]bool, len(keys))
		start := make([]time.Duration, len(keys))
		for _, ch := range sched {
			k := ch.key
			tn := taint.Taint{Key: keys[k], Effect: taint.NoExecute}
			if on[k] {
				present[k] = append(present[k], interval{start[k], ch.at})
				w.at(ch.at, func() { w.untaintNode("a", tn) })
			} else {
				start[k] = ch.at
				w.at(ch.at, func() { w.taintNode("a", tn) })
			}
			on[k] = !on[k]
		}
		end := at + 200*time.Second
		for k := range keys {
			if on[k] {
				present[k] = append(present[k], interval{start[k], end + time.Second})
			}
		}
		w.runUntil(end)

		anyPresent := func(t time.Duration) bool {
			for k := range keys {
				for _, iv := range present[k] {
					if iv.from <= t && t < iv.to {
						return true
					}
				}
			}
			return false
		}
		// episodeStart is the latest change instant ≤ e at which the node went from no
		// NoExecute taint to some.
		episodeStart := func(e time.Duration) time.Duration {
			s := time.Duration(-1)
			for _, ch := range sched {
				if ch.at > e {
					break
				}
				if anyPresent(ch.at) && (ch.at == 0 || !anyPresent(ch.at-time.Nanosecond)) {
					s = ch.at
				}
			}
			return s
		}
		presentDuring := func(k int, from, to time.Duration) bool {
			for _, iv := range present[k] {
				if iv.from <= to && from < iv.to {
					return true
				}
			}
			return false
		}
		for i := range pods {
			key := fmt.Sprintf("default/p%d", i)
			forever := true
			for k := range keys {
				forever = forever && pods[i][k].kind == 1
			}
			evs := w.evictions(ReasonTaintManagerEviction)[key]
			if forever && len(evs) > 0 {
				rt.Fatalf("%s tolerates every key forever but was evicted at %v", key, evs)
			}
			for _, e := range evs {
				s := episodeStart(e)
				if s < 0 {
					rt.Fatalf("%s evicted at %v outside any tainted episode", key, e)
				}
				untolerated := false
				minSec := int64(-1)
				for k := range keys {
					if !presentDuring(k, s, e) {
						continue
					}
					switch tl := pods[i][k]; tl.kind {
					case 0:
						untolerated = true
					case 2:
						if minSec < 0 || tl.seconds < minSec {
							minSec = max(tl.seconds, 0)
						}
					}
				}
				if untolerated {
					continue
				}
				if minSec < 0 {
					rt.Fatalf("%s evicted at %v though every present taint is tolerated forever", key, e)
				}
				if e < s+time.Duration(minSec)*time.Second {
					rt.Fatalf("%s evicted at %v, before episode start %v + %ds", key, e, s, minSec)
				}
			}
		}
	})
}
