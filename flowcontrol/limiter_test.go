package flowcontrol

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
	"pgregory.net/rapid"
)

func TestLimiterBurstThenQPS(t *testing.T) {
	l, err := NewLimiter(ControllerManagerQPS, ControllerManagerBurst)
	require.NoError(t, err)
	at := time.Duration(0)
	for i := range 30 {
		assert.Equal(t, at, l.Wait(at), "token %d is in the full bucket", i+1)
	}
	// 20 a second: the 31st request waits 50 ms, the 32nd 100 ms, in the order made
	assert.Equal(t, 50*time.Millisecond, l.Wait(at))
	assert.Equal(t, 100*time.Millisecond, l.Wait(at))
	// an idle bucket refills to its burst, never beyond
	at = time.Hour
	for range 30 {
		assert.Equal(t, at, l.Wait(at))
	}
	assert.Equal(t, at+50*time.Millisecond, l.Wait(at))
}

func TestLimiterOff(t *testing.T) {
	for _, qps := range []float32{0, -1} {
		l, err := NewLimiter(qps, 0)
		require.NoError(t, err)
		assert.Nil(t, l)
		for range 100 {
			assert.Equal(t, time.Second, l.Wait(time.Second))
		}
	}
	_, err := NewLimiter(20, 0)
	assert.ErrorContains(t, err, "burst 0: must be at least 1")
}

// TestPropertyLimiterAsRate drives golang.org/x/time/rate (the limiter client-go's token
// bucket wraps) and Limiter with the same requests and requires the same instants,
// and the same answers from Allow.
func TestPropertyLimiterAsRate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		qps := rapid.SampledFrom([]float32{0.1, 1, 5, 20, 50, 100, 3.7}).Draw(t, "qps")
		burst := rapid.IntRange(1, 100).Draw(t, "burst")
		l, err := NewLimiter(qps, burst)
		require.NoError(t, err)
		ref := rate.NewLimiter(rate.Limit(qps), burst)
		epoch := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
		now := time.Duration(0)
		for i := range rapid.IntRange(1, 300).Draw(t, "requests") {
			now += time.Duration(rapid.Int64Range(0, int64(3*time.Second)).Draw(t, "gap")) /
				time.Duration(rapid.SampledFrom([]int64{1, 1, 1000, 1 << 20}).Draw(t, "scale"))
			if rapid.Bool().Draw(t, "allow") { // the spam filter's TryAccept
				require.Equal(t, ref.AllowN(epoch.Add(now), 1), l.Allow(now), "allow %d at %v", i, now)
				continue
			}
			r := ref.ReserveN(epoch.Add(now), 1)
			require.True(t, r.OK())
			want := now + r.DelayFrom(epoch.Add(now))
			require.Equal(t, want, l.Wait(now), "request %d at %v", i, now)
		}
	})
}

// A wait past the last representable instant is capped, as rate's durationFromTokens
// caps it at InfDuration: the request never goes (it must not overflow into the past).
func TestLimiterTinyQPS(t *testing.T) {
	l, err := NewLimiter(1e-12, 1)
	require.NoError(t, err)
	assert.Equal(t, time.Duration(0), l.Wait(0))
	assert.Equal(t, time.Duration(math.MaxInt64), l.Wait(time.Second))
}
