package apiserver

import (
	"testing"

	"pgregory.net/rapid"
)

// TestPropertyNotificationsAreAFIFO: several watches' queues sharing a kind's chunk
// pool deliver what was pushed, in order, through chunk boundaries and reuse; a
// drained chunk goes back to the pool with no object left in it.
func TestPropertyNotificationsAreAFIFO(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var pool chunkPool[*Pod]
		queues := make([]notifications[*Pod], rapid.IntRange(1, 3).Draw(t, "queues"))
		models := make([][]*Pod, len(queues))
		for i := range queues {
			queues[i].pool = &pool
		}
		for step := range rapid.IntRange(1, 1500).Draw(t, "steps") {
			i := rapid.IntRange(0, len(queues)-1).Draw(t, "queue")
			q := &queues[i]
			if n := rapid.IntRange(0, 300).Draw(t, "push"); n > 0 || q.empty() {
				for k := range n {
					p := &Pod{ObjectMeta: ObjectMeta{ResourceVersion: uint64(step*1000 + k)}}
					q.push(queued[*Pod]{ev: Event[*Pod]{Type: Modified, New: p}, seq: uint64(step)})
					models[i] = append(models[i], p)
				}
				continue
			}
			for range rapid.IntRange(1, 300).Draw(t, "pop") {
				if q.empty() != (len(models[i]) == 0) {
					t.Fatalf("queue %d: empty %v with %d in the model", i, q.empty(), len(models[i]))
				}
				if q.empty() {
					break
				}
				if f := q.first(); f.ev.New != models[i][0] {
					t.Fatalf("queue %d: first is not the oldest", i)
				}
				if ev := q.pop(); ev.New != models[i][0] {
					t.Fatalf("queue %d: popped rv %d, want %d", i, ev.New.ResourceVersion, models[i][0].ResourceVersion)
				}
				models[i] = models[i][1:]
			}
		}
		for size, free := range pool.free {
			for c := free; c != nil; c = c.next {
				if len(c.q) != minChunk<<size || int(c.size) != size {
					t.Fatalf("a chunk of %d places in the pool of size %d", len(c.q), size)
				}
				if c.n != 0 {
					t.Fatalf("a pooled chunk counts %d notifications", c.n)
				}
				for _, x := range c.q {
					if x.ev.New != nil {
						t.Fatalf("a pooled chunk holds a pod")
					}
				}
			}
		}
	})
}
