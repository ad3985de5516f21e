package apiserver

import (
	"sort"
	"time"
)

// partitionLog is a client's partitions since it began tracking them, in order: each
// starts at starts[i] and heals at heals[i]; the last has no heal while it lasts.
type partitionLog struct {
	starts, heals []time.Duration
}

// TrackPartitions makes the client remember its partitions from now on, for Released.
// A component that rebuilds what it would have seen (lazy mode) asks for it; other
// clients keep no history. A client partitioned at this instant counts as cut off from
// now.
func (c *Client) TrackPartitions() {
	if c.partitions != nil {
		return
	}
	c.partitions = &partitionLog{}
	if c.partitioned {
		c.partitions.starts = append(c.partitions.starts, c.s.Now())
	}
}

// notePartition records a partition starting (p) or healing now, if the client tracks them.
func (c *Client) notePartition(p bool) {
	l := c.partitions
	if l == nil {
		return
	}
	if p {
		l.starts = append(l.starts, c.s.Now())
	} else {
		l.heals = append(l.heals, c.s.Now())
	}
}

// Released reports when the client's watches were handed the notifications of a change
// made at t: at t, or, if the client was partitioned at t, when that partition healed
// (flushHeld); ok is false while that partition lasts. A change made at the very
// instant a partition starts counts as held: the history keeps instants, not the order
// of the events within one, and a fault scheduled in advance runs before a change
// scheduled later at its instant. A client that does not track its partitions
// (TrackPartitions) answers as if it had never been partitioned.
func (c *Client) Released(t time.Duration) (at time.Duration, ok bool) {
	l := c.partitions
	if l == nil {
		return t, true
	}
	// the last partition that started at or before t
	i := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > t }) - 1
	switch {
	case i < 0:
		return t, true
	case i >= len(l.heals):
		return 0, false // it lasts
	case t < l.heals[i]:
		return l.heals[i], true
	}
	return t, true
}
