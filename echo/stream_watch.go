package echo

import (
	"context"
	"math"
	"time"
)

// watch starts the watchdog: at every tick it sets the server's clock,
// closes the connections idle for IdleTimeout and those whose reply has
// waited WriteTimeout for room, until ctx is done or the returned function
// is called, which waits for it to stop. One goroutine and one pass over
// the connections a tick replace a timer per connection, which every read
// and write would move.
func (s *streamServer) watch(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	tick := watchTick(s.cfg)
	go func() {
		defer close(done)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s.clock.Store(now.UnixNano())
				s.expire(now.UnixNano())
			}
		}
	}()
	return func() { cancel(); <-done }
}

// watchTick is how often the watchdog looks: a quarter of the shortest
// timeout (eviction's included), between 10ms and a second. The clock it keeps is that coarse,
// and timeouts are that late at most.
func watchTick(cfg StreamConfig) time.Duration {
	d := time.Second
	for _, t := range []time.Duration{cfg.IdleTimeout, cfg.WriteTimeout, cfg.EvictIdle} {
		if t > 0 {
			d = min(d, t/4)
		}
	}
	return max(d, 10*time.Millisecond)
}

// expire closes the connections past a timeout at now.
func (s *streamServer) expire(now int64) {
	idle, write := int64(s.cfg.IdleTimeout), int64(s.cfg.WriteTimeout)
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.conns {
		w := p.writing.Load()
		switch {
		case write > 0 && w != 0 && now-w >= write:
			p.closeFor(ReasonWriteTimeout)
		case idle > 0 && w == 0 && now-p.lastActive.Load() >= idle:
			p.closeFor(ReasonIdle)
		}
	}
}

// evictIdlest closes the connection idle longest, if it has been idle
// EvictIdle or more, to make room for a new one, and reports whether it
// did. A connection writing a reply is not idle. When none qualifies it
// notes when the first could, and does not look again before: a flood of
// connections to a full server costs a pass over the connections only so
// often. s.mu is held.
func (s *streamServer) evictIdlest() bool {
	now := s.clock.Load()
	if s.cfg.EvictIdle < 0 || now < s.evictAt {
		return false
	}
	var idlest *streamPeer
	oldest := int64(math.MaxInt64)
	for p := range s.conns {
		if a := p.lastActive.Load(); a < oldest && p.writing.Load() == 0 && p.reason.Load() == nil {
			idlest, oldest = p, a
		}
	}
	if idlest == nil || now-oldest < int64(s.cfg.EvictIdle) {
		s.evictAt = min(oldest, now) + int64(s.cfg.EvictIdle)
		return false
	}
	idlest.closeFor(ReasonEvicted)
	return true
}
