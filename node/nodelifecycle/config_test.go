package nodelifecycle

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
)

// Every default, with the upstream value it comes from.
func TestDefaults(t *testing.T) {
	for v := MinVersion; v <= MaxVersion; v++ {
		c := DefaultConfig(v)
		require.Equal(t, 5*time.Second, c.NodeMonitorPeriod, "--node-monitor-period 5s")
		if v == 31 {
			require.Equal(t, 40*time.Second, c.NodeMonitorGracePeriod, "--node-monitor-grace-period 40s in 1.31")
		} else {
			require.Equal(t, 50*time.Second, c.NodeMonitorGracePeriod, "--node-monitor-grace-period 50s from 1.32 (PR #126287)")
		}
		require.Equal(t, 60*time.Second, c.NodeStartupGracePeriod, "--node-startup-grace-period 60s")
		require.Equal(t, float32(0.1), c.NodeEvictionRate, "--node-eviction-rate 0.1")
		require.Equal(t, float32(0.01), c.SecondaryNodeEvictionRate, "--secondary-node-eviction-rate 0.01")
		require.Equal(t, int32(50), c.LargeClusterSizeThreshold, "--large-cluster-size-threshold 50")
		require.Equal(t, float32(0.55), c.UnhealthyZoneThreshold, "--unhealthy-zone-threshold 0.55")
		require.Equal(t, v >= 37, c.LeaseCircuitBreaker, "NodeControllerLeaseCircuitBreaker beta, on by default in 1.37")
		require.Equal(t, 5*time.Millisecond, c.PassDuration)
		require.Zero(t, c.WatchLatency)
		require.False(t, c.Exact)
		require.NoError(t, c.Validate())
	}
	require.Equal(t, 100*time.Millisecond, NodeEvictionPeriod, "scheduler.NodeEvictionPeriod")
	require.Equal(t, 1, EvictionRateLimiterBurst, "scheduler.EvictionRateLimiterBurst")
	require.Equal(t, 5, NodeHealthUpdateRetry, "scheduler.NodeHealthUpdateRetry")
	require.Equal(t, 34, CurrentReadyVersion, "current Ready decides NoExecute from 1.34")
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"version too old", func(c *Config) { c.Version = 30 }, "Version: got 30, must be a minor version from 31 to 37"},
		{"version too new", func(c *Config) { c.Version = 38 }, "Version"},
		{"period", func(c *Config) { c.NodeMonitorPeriod = 0 }, "NodeMonitorPeriod: got 0s, must be positive"},
		{"grace", func(c *Config) { c.NodeMonitorGracePeriod = -time.Second }, "NodeMonitorGracePeriod"},
		{"startup", func(c *Config) { c.NodeStartupGracePeriod = 0 }, "NodeStartupGracePeriod"},
		{"rate", func(c *Config) { c.NodeEvictionRate = -1 }, "NodeEvictionRate"},
		{"rate NaN", func(c *Config) { c.NodeEvictionRate = float32(math.NaN()) }, "NodeEvictionRate"},
		{"secondary", func(c *Config) { c.SecondaryNodeEvictionRate = float32(math.Inf(1)) }, "SecondaryNodeEvictionRate"},
		{"threshold", func(c *Config) { c.LargeClusterSizeThreshold = -1 }, "LargeClusterSizeThreshold"},
		{"unhealthy", func(c *Config) { c.UnhealthyZoneThreshold = 1.5 }, "UnhealthyZoneThreshold: got 1.5, must be between 0 and 1"},
		{"pass", func(c *Config) { c.PassDuration = 5 * time.Second }, "PassDuration"},
		{"latency", func(c *Config) { c.WatchLatency = -1 }, "WatchLatency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig(37)
			tt.mut(&c)
			require.EqualError(t, c.Validate(), "nodelifecycle: "+tt.want+tailOf(c.Validate(), tt.want))
			s := apiserver.New(sim.New(), nil, apiserver.DefaultConfig())
			_, err := New(s, s.NewClient("kcm", time.Second), c)
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := New(nil, nil, DefaultConfig(37))
	require.Error(t, err)
}

// tailOf returns what follows want in err's message, so tests can pin the start of it.
func tailOf(err error, want string) string {
	msg := err.Error()
	i := len("nodelifecycle: ")
	if len(msg) >= i+len(want) && msg[i:i+len(want)] == want {
		return msg[i+len(want):]
	}
	return ""
}

// The token bucket: full at start, float32 QPS (0.01 ⇒ 100.1 s on the 100 ms grid), a
// drained bucket when swapped from one without a token.
func TestTokenBucket(t *testing.T) {
	grid := NodeEvictionPeriod
	tests := []struct {
		qps  float32
		want time.Duration // first accepting tick after a take at 0
	}{
		{0.1, 10 * time.Second},           // float32(0.1) > 0.1: 9.99999985 s ⇒ the 10 s tick
		{0.01, 100100 * time.Millisecond}, // float32(0.01) < 0.01: 100.0000022 s ⇒ 100.1 s
		{1, time.Second},
	}
	for _, tt := range tests {
		b := newTokenBucket(tt.qps)
		require.True(t, b.tryAccept(0), "starts full (burst 1)")
		require.False(t, b.tryAccept(grid))
		at, ok := b.firstAcceptTick(grid, 0, grid)
		require.True(t, ok)
		require.Equal(t, tt.want, at, "qps %v", tt.qps)
		require.False(t, b.tryAccept(at-grid))
		require.True(t, b.tryAccept(at))
	}
	never := newTokenBucket(0)
	require.False(t, never.tryAccept(time.Hour))
	_, ok := never.firstAcceptTick(0, 0, grid)
	require.False(t, ok)

	q := newRateLimitedTimedQueue(0.1)
	require.True(t, q.limiter.tryAccept(0))
	q.swapLimiter(0.01, time.Second)
	require.False(t, q.limiter.tryAccept(time.Second), "swapped from an empty bucket: starts drained")
	q2 := newRateLimitedTimedQueue(0.1)
	q2.swapLimiter(0.01, time.Second)
	require.True(t, q2.limiter.tryAccept(time.Second), "swapped from a bucket with a token: starts full")
}
