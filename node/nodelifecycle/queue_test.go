package nodelifecycle

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// modelQueue is RateLimitedTimedQueue written plainly: a set and a list kept sorted by
// (processAt, insertion), with eager removal.
type modelQueue struct {
	set  map[string]bool
	list []timedValue
	seq  uint64
}

func (m *modelQueue) push(v timedValue) {
	m.seq++
	v.seq = m.seq
	m.list = append(m.list, v)
	slices.SortStableFunc(m.list, func(a, b timedValue) int {
		switch {
		case a.processAt != b.processAt:
			return cmp.Compare(a.processAt, b.processAt)
		case a.seq < b.seq:
			return -1
		case a.seq > b.seq:
			return 1
		}
		return 0
	})
}

func (m *modelQueue) drop(name string) {
	m.list = slices.DeleteFunc(m.list, func(v timedValue) bool { return v.name == name })
}

func (m *modelQueue) add(name string, now time.Duration) bool {
	if m.set[name] {
		return false
	}
	m.set[name] = true
	m.push(timedValue{name: name, addedAt: now, processAt: now})
	return true
}

func (m *modelQueue) remove(name string) bool {
	if !m.set[name] {
		return false
	}
	delete(m.set, name)
	m.drop(name)
	return true
}

// The lazily compacted queue (items, dead heap entries, readd) behaves as the plain one:
// same membership, and the same entries taken in the same order by try.
func TestQueueMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := newRateLimitedTimedQueue(1000) // refilled between tries: order is what is compared
		m := &modelQueue{set: map[string]bool{}}
		names := []string{"a", "b", "c", "d", "e"}
		now := time.Duration(0)
		n := rapid.IntRange(1, 300).Draw(t, "ops")
		for i := range n {
			name := rapid.SampledFrom(names).Draw(t, fmt.Sprint("name", i))
			switch op := rapid.IntRange(0, 4).Draw(t, fmt.Sprint("op", i)); op {
			case 0:
				require.Equal(t, m.add(name, now), q.add(name, 0, now))
			case 1:
				require.Equal(t, m.remove(name), q.remove(name))
			case 2:
				m.remove(name)
				m.add(name, now)
				q.readd(q.item(name), name, 0, now)
			case 3:
				now += time.Duration(rapid.IntRange(0, 3).Draw(t, fmt.Sprint("dt", i))) * time.Second
			case 4:
				// try with the bucket's one token (burst 1): the head is processed if due;
				// on failure it is retried a second later.
				now += 2 * time.Millisecond
				fail := rapid.Bool().Draw(t, fmt.Sprint("fail", i))
				var got []string
				q.try(now, func(v timedValue) (bool, time.Duration) {
					got = append(got, v.name)
					if fail {
						return false, time.Second
					}
					return true, 0
				})
				var want []string
				if len(m.list) > 0 && m.list[0].processAt <= now {
					v := m.list[0]
					m.list = m.list[1:]
					want = append(want, v.name)
					if fail {
						v.processAt = now + time.Second + 1
						m.push(v)
					}
				}
				require.Equal(t, want, got)
			}
			for _, nm := range names {
				require.Equal(t, m.set[nm], q.has(nm), nm)
			}
			require.Equal(t, len(m.list) > 0, q.waiting())
		}
	})
}
