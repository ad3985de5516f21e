package flowcontrol

import (
	"math"
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

// Every try of an event spends a token of its own (each is a request that waits in
// client-go's Request.tryThrottle): behind a partition, the fourth try of one event
// finds the bucket of 3 empty.
func TestEventWriterRetriesSpendTokens(t *testing.T) {
	e, c, lim, w := newWriter(t, 0.001, 3)
	c.SetPartitioned(true)
	w.Emit()
	require.NoError(t, e.RunUntil(200*time.Second)) // tries at 0, 35 s, 75 s; the 4th reserved at 115 s
	assert.Less(t, lim.Available(200*time.Second), 0.0, "four tokens taken from three")
	assert.Equal(t, 1, w.Queued())
}

// The writer takes its next event once the last is answered: with a request latency
// of 2 s, three events are answered at 2, 4 and 6 s.
func TestEventWriterWaitsForTheAnswer(t *testing.T) {
	e, c, _, w := newWriter(t, -1, 0)
	c.Latency = 2 * time.Second
	for range 3 {
		w.Emit()
	}
	var answered []time.Duration
	for e.Step() {
		if n := w.Stats().Written; n > uint64(len(answered)) {
			answered = append(answered, e.Now())
		}
	}
	assert.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second}, answered)
}

// An API server that is down refuses at once: the writer still gives up after 12
// tries (sleeps of 5 s, then 10 s), and counts the event failed; the next queued event
// starts its own tries from one.
func TestEventWriterGivesUpOnRefusal(t *testing.T) {
	e, c, _, w := newWriter(t, -1, 0)
	c.Server().SetOutage(true)
	w.Emit()
	w.Emit()
	require.NoError(t, e.RunUntil(5*time.Second+10*10*time.Second))
	assert.Equal(t, EventStats{Failed: 1}, w.Stats(), "12 tries over 105 s")
	assert.Equal(t, 1, w.Queued())
	require.NoError(t, e.RunUntil(2*105*time.Second))
	assert.Equal(t, EventStats{Failed: 2}, w.Stats())
}

func TestLimiterRejectsInfiniteQPS(t *testing.T) {
	_, err := NewLimiter(float32(math.Inf(1)), 1)
	assert.ErrorContains(t, err, "must be a finite number")
}

// The writer forgets the spam-filter buckets that are full again once it holds more
// than twice the correlator's cache (a full bucket is the same as none), so a run
// that emits about many objects does not keep a bucket for each.
func TestSpamBucketsForgotten(t *testing.T) {
	e, _, _, w := newWriter(t, -1, 0)
	for i := range 2*spamCache + 10 {
		w.EmitAbout(SpamKey{UID: uint64(i)})
		require.NoError(t, e.RunUntil(0)) // written before the next: no queue, no drop
	}
	assert.Equal(t, 2*spamCache+10, len(w.spam), "none full yet: kept")
	_, err := e.At(301*time.Second, func() { w.EmitAbout(SpamKey{UID: 1 << 40}) })
	require.NoError(t, err)
	e.Run()
	assert.Equal(t, 1, len(w.spam), "the others refilled after 300 s and were forgotten")
	assert.Equal(t, uint64(2*spamCache+11), w.Stats().Written)
}
