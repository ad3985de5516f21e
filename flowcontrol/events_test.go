package flowcontrol

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

func newWriter(t *testing.T, qps float32, burst int) (*sim.Engine, *apiserver.Client, *Limiter, *EventWriter) {
	t.Helper()
	e := sim.New()
	s := apiserver.New(e, nil, apiserver.DefaultConfig())
	c := s.NewClient("kube-controller-manager", 30*time.Second)
	lim, err := NewLimiter(qps, burst)
	require.NoError(t, err)
	w, err := NewEventWriter(e, c, lim, nil)
	require.NoError(t, err)
	return e, c, lim, w
}

// The writer takes one token per round trip: the event it sends at once is answered
// after what else happens at that instant, so a request another goroutine makes right
// after the events were emitted gets the second token, and the writer the rest of the
// burst, one by one, then one each 50 ms.
func TestEventWriterSharesTheBucket(t *testing.T) {
	e, _, lim, w := newWriter(t, ControllerManagerQPS, ControllerManagerBurst)
	for range 40 {
		w.Emit()
	}
	assert.Equal(t, uint64(0), w.Stats().Written, "the first is sent, not yet answered")
	assert.Equal(t, 40, w.Queued())
	assert.Equal(t, time.Duration(0), lim.Wait(0), "the second token is there")
	require.NoError(t, e.RunUntil(0))
	assert.Equal(t, uint64(29), w.Stats().Written, "28 more tokens at once")
	e.Run()
	assert.Equal(t, uint64(40), w.Stats().Written)
	assert.Equal(t, 0, w.Queued())
	assert.Equal(t, 550*time.Millisecond, e.Now(), "the 30th at 50 ms, the 40th at 550 ms")
}

func TestEventWriterDropsWhenFull(t *testing.T) {
	_, _, _, w := newWriter(t, 0.001, 1)
	for range 1 + MaxQueuedEvents + 6 {
		w.Emit()
	}
	assert.Equal(t, EventStats{Dropped: 6}, w.Stats(), "one in flight, 1000 queued")
	assert.Equal(t, MaxQueuedEvents+1, w.Queued())
	w.Stop()
	assert.Equal(t, 0, w.Queued())
}

func TestEventWriterRetriesBehindAPartition(t *testing.T) {
	e, c, _, w := newWriter(t, -1, 0)
	c.SetPartitioned(true)
	w.Emit()
	w.Emit()
	// each try times out after 30 s; the first sleep is 5 s (no Rand), then 10 s
	require.NoError(t, e.RunUntil(35*time.Second+40*time.Second-1))
	assert.Equal(t, EventStats{}, w.Stats())
	c.SetPartitioned(false)
	require.NoError(t, e.RunUntil(75*time.Second))
	assert.Equal(t, EventStats{Written: 2}, w.Stats(), "the third try and the queued event go out")

	c.SetPartitioned(true)
	w.Emit()
	e.Run()
	assert.Equal(t, EventStats{Written: 2, Failed: 1}, w.Stats())
	assert.Equal(t, 75*time.Second+12*30*time.Second+5*time.Second+10*10*time.Second, e.Now(),
		"12 tries, 11 sleeps")
}

// The correlator's spam filter lets 25 events about one object and type through, then
// one each 5 minutes; the others are skipped and spend no token. Another object, or
// the same object's Warning events, have buckets of their own.
func TestSpamFilter(t *testing.T) {
	e, _, lim, w := newWriter(t, ControllerManagerQPS, 100)
	rs := SpamKey{UID: 7}
	assert.Equal(t, 25, w.Admits(rs, 40))
	for range 40 {
		w.EmitAbout(rs)
	}
	require.NoError(t, e.RunUntil(0)) // each answered a round after it is sent
	assert.Equal(t, EventStats{Written: 25, Filtered: 15}, w.Stats())
	assert.Equal(t, 0, w.Admits(rs, 1))
	assert.Equal(t, 75.0, lim.Available(0), "a skipped event spends no token")
	w.EmitAbout(SpamKey{UID: 7, Warning: true})
	w.EmitAbout(SpamKey{UID: 8})
	w.Emit()
	require.NoError(t, e.RunUntil(0))
	assert.Equal(t, EventStats{Written: 28, Filtered: 15}, w.Stats())
	_, err := e.At(300*time.Second, func() {
		assert.Equal(t, 1, w.Admits(rs, 2))
		w.EmitAbout(rs)
		w.EmitAbout(rs)
	})
	require.NoError(t, err)
	for e.Step() {
	}
	assert.Equal(t, EventStats{Written: 29, Filtered: 16}, w.Stats())
}
