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

// The writer takes one token at a time: after the burst, a request another goroutine
// makes gets the token after the writer's next one, not after all its queued events.
func TestEventWriterSharesTheBucket(t *testing.T) {
	e, _, lim, w := newWriter(t, ControllerManagerQPS, ControllerManagerBurst)
	for range 40 {
		w.Emit()
	}
	assert.Equal(t, uint64(30), w.Stats().Written, "the burst is written at once")
	assert.Equal(t, 10, w.Queued())
	assert.Equal(t, 100*time.Millisecond, lim.Wait(0), "the writer reserved only its 31st token")
	var sent []time.Duration
	for e.Step() {
		sent = append(sent, e.Now())
	}
	assert.Equal(t, uint64(40), w.Stats().Written)
	assert.Equal(t, 0, w.Queued())
	// the 31st at 50 ms; each later one reserved when the previous is sent, behind the
	// request above
	assert.Equal(t, 50*time.Millisecond, sent[0])
	assert.Equal(t, 150*time.Millisecond, sent[1])
	assert.Equal(t, 550*time.Millisecond, sent[len(sent)-1])
}

func TestEventWriterDropsWhenFull(t *testing.T) {
	_, _, _, w := newWriter(t, 0.001, 1)
	for range 2 + MaxQueuedEvents + 5 {
		w.Emit()
	}
	assert.Equal(t, EventStats{Written: 1, Dropped: 5}, w.Stats())
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
