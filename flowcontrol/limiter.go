package flowcontrol

import (
	"fmt"
	"math"
	"time"
)

// The kube-controller-manager defaults of its clients' rate limit (--kube-api-qps,
// --kube-api-burst; pkg/controller/apis/config/v1alpha1/defaults.go).
const (
	ControllerManagerQPS   float32 = 20
	ControllerManagerBurst int     = 30
)

// Limiter is a client's token bucket (client-go flowcontrol.NewTokenBucketRateLimiter).
// A nil *Limiter grants every request at once.
type Limiter struct {
	qps    float64
	burst  float64
	tokens float64
	last   time.Duration
	used   bool // the bucket has been drawn on: before that it is full
}

// NewLimiter returns a full bucket of burst tokens refilled at qps a second, or nil
// (no limit) when qps is zero or negative. client-go installs no limiter for a
// negative QPS; for zero it would use its own defaults (5, burst 10), but every
// component here is given its upstream default before (kube-controller-manager's 20),
// so zero is nodesim's "no limit", the zero value of RateLimit. burst must be at least
// 1 when qps is positive: client-go's Wait fails every request of a bucket smaller
// than one token.
func NewLimiter(qps float32, burst int) (*Limiter, error) {
	if qps <= 0 {
		return nil, nil
	}
	if math.IsInf(float64(qps), 0) || math.IsNaN(float64(qps)) {
		return nil, fmt.Errorf("flowcontrol: qps %v: must be a finite number", qps)
	}
	if burst < 1 {
		return nil, fmt.Errorf("flowcontrol: burst %d: must be at least 1 when qps is positive", burst)
	}
	return &Limiter{qps: float64(qps), burst: float64(burst)}, nil
}

// advance is rate.Limiter.advance: the tokens the bucket holds at t.
func (l *Limiter) advance(t time.Duration) float64 {
	if !l.used {
		return l.burst
	}
	last := l.last
	if t < last {
		last = t
	}
	tokens := l.tokens + (t-last).Seconds()*l.qps
	if tokens > l.burst {
		tokens = l.burst
	}
	return tokens
}

// Wait reserves one token for a request made at now and returns the instant the
// request is sent: now when a token is there, else when the reserved token will be
// (rate.Limiter.reserveN with n = 1 and no deadline). Reservations are granted in the
// order Wait is called.
func (l *Limiter) Wait(now time.Duration) time.Duration {
	if l == nil {
		return now
	}
	tokens := l.advance(now) - 1
	l.tokens, l.last, l.used = tokens, now, true
	if tokens >= 0 {
		return now
	}
	// rate's durationFromTokens caps a wait past the last representable instant
	// (InfDuration): such a request never goes
	wait := float64(time.Second) * (-tokens / l.qps)
	if wait >= float64(math.MaxInt64-now) {
		return math.MaxInt64
	}
	return now + time.Duration(wait)
}

// Allow takes a token if the bucket holds one at now and reports whether it did
// (rate.Limiter.AllowN with n = 1: a refusal leaves the bucket as it was).
func (l *Limiter) Allow(now time.Duration) bool {
	if l == nil {
		return true
	}
	tokens := l.advance(now) - 1
	if tokens < 0 {
		return false
	}
	l.tokens, l.last, l.used = tokens, now, true
	return true
}

// Available reports how many tokens the bucket holds at now (negative while
// reservations are outstanding); a nil Limiter reports +Inf.
func (l *Limiter) Available(now time.Duration) float64 {
	if l == nil {
		return math.Inf(1)
	}
	return l.advance(now)
}

// RateLimit is a client's rate limit, rest.Config's QPS and Burst. The zero value, or
// any QPS ≤ 0, is a client without a limiter.
type RateLimit struct {
	QPS   float32
	Burst int
}

// ControllerManager is the rate limit of each kube-controller-manager controller's
// client by default.
var ControllerManager = RateLimit{QPS: ControllerManagerQPS, Burst: ControllerManagerBurst}

// Limiter returns a full bucket for the rate limit (nil when it has no limit), or an
// error naming what is wrong with it.
func (r RateLimit) Limiter() (*Limiter, error) { return NewLimiter(r.QPS, r.Burst) }
