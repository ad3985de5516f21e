package apiserver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Released names the instant at which the watches of a tracking client were handed
// each change: a change delivered at d with latency lat was released at d − lat.
func TestReleasedMatchesDelivery(t *testing.T) {
	s, e, _ := newTestServer(t)
	w := s.NewClient("writer", 10*time.Second)
	r := s.NewClient("reader", 30*time.Second)
	r.TrackPartitions()
	const lat = 3 * time.Millisecond
	delivered := map[time.Duration]time.Duration{} // renewTime → delivery
	s.Leases.Watch(r, lat, func(ev Event[*Lease]) { delivered[ev.New.RenewTime] = e.Now() })
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	// partitions [10, 20) and [30, 40), and [50, ...) still open at the end
	for _, p := range [][2]float64{{10, 20}, {30, 40}, {50, 0}} {
		_, err := e.At(sec(p[0]), func() { r.SetPartitioned(true) })
		require.NoError(t, err)
		if p[1] > 0 {
			_, err = e.At(sec(p[1]), func() { r.SetPartitioned(false) })
			require.NoError(t, err)
		}
	}
	writes := []float64{1, 10, 15, 19.999, 20, 25, 30, 39, 40, 45, 50, 55}
	_, err := s.Leases.Create(w, &Lease{ObjectMeta: ObjectMeta{Namespace: "ns", Name: "l"}, RenewTime: 0})
	require.NoError(t, err)
	for _, at := range writes {
		_, err := e.At(sec(at), func() { // after the partition scheduled at the same instant
			_, err := s.Leases.Patch(w, "ns/l", func(l *Lease) error { l.RenewTime = e.Now(); return nil })
			require.NoError(t, err)
		})
		require.NoError(t, err)
	}
	require.NoError(t, e.RunUntil(sec(60)))
	for _, at := range writes {
		rel, ok := r.Released(sec(at))
		d, got := delivered[sec(at)]
		require.Equal(t, got, ok, "write at %vs", at)
		if ok {
			require.Equal(t, d, rel+lat, "write at %vs", at)
		}
	}
	rel, ok := r.Released(sec(15))
	require.Equal(t, sec(20), rel)
	require.True(t, ok)

	// a client that does not track its partitions answers as if never partitioned
	rel, ok = w.Released(sec(15))
	require.Equal(t, sec(15), rel)
	require.True(t, ok)
}

// A client partitioned when it begins tracking counts as cut off from then.
func TestTrackPartitionsWhilePartitioned(t *testing.T) {
	s, e, _ := newTestServer(t)
	c := s.NewClient("c", time.Second)
	c.SetPartitioned(true)
	require.NoError(t, e.RunUntil(5*time.Second))
	c.TrackPartitions()
	rel, ok := c.Released(4 * time.Second)
	require.Equal(t, 4*time.Second, rel)
	require.True(t, ok)
	_, ok = c.Released(5 * time.Second)
	require.False(t, ok)
	_, err := e.At(8*time.Second, func() { c.SetPartitioned(false) })
	require.NoError(t, err)
	require.NoError(t, e.RunUntil(10*time.Second))
	rel, ok = c.Released(6 * time.Second)
	require.Equal(t, 8*time.Second, rel)
	require.True(t, ok)
}
