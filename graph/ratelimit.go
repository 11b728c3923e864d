package graph

import (
	"sync"
	"time"
)

// rateLimiter is a token bucket per identity: each holds up to burst cost
// units and refills at rate units per second. Buckets that have refilled
// completely are forgotten.
type rateLimiter struct {
	rate, burst float64
	now         func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	if now == nil {
		now = time.Now
	}
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*bucket{}}
}

// take charges cost to key's bucket. When the bucket holds less than cost
// nothing is charged and take returns how long until it will hold enough.
func (l *rateLimiter) take(key string, cost float64) (wait time.Duration, ok bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.rate)
	}
	b.at = now
	if cost > l.burst {
		cost = l.burst // an admissible query is never refused forever
	}
	if b.tokens >= cost {
		b.tokens -= cost
		return 0, true
	}
	return time.Duration((cost - b.tokens) / l.rate * float64(time.Second)), false
}

// sweep forgets the buckets that are full again.
func (l *rateLimiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// size returns the number of buckets held (tests).
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
