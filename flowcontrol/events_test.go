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
