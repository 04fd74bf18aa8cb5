package echotest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// StreamServer is echo.ServeStream running on a listening socket for a
// test.
type StreamServer struct {
	Listener families.Listener

	run *running[echo.StreamStats]
}

// Addr is the address the server listens on, for clients.
func (s *StreamServer) Addr() net.Addr { return s.Listener.Addr() }

// StartStream listens with d on addr and serves the connections with
// echo.ServeStream and cfg until Stop or the end of the test; Stop closes
// the listener. It skips the test when d is IPv6 and this host has none.
func StartStream(t testing.TB, d *families.Definition, addr string, cfg echo.StreamConfig) *StreamServer {
	t.Helper()
	l, err := d.Listen(families.Options{Addr: addr})
	if err != nil {
		failOpen(t, d, "listen", addr, err)
	}
	serve := func(ctx context.Context) echo.StreamStats {
		st, err := echo.ServeStream(ctx, l, cfg)
		if err != nil {
			t.Errorf("echo.ServeStream on %v: %v", l.Addr(), err)
		}
		return st
	}
	return &StreamServer{Listener: l, run: start(t, "the stream server", l.Addr(), serve, func() { l.Close() })}
}

// Stop stops the server, waits until it has returned, closes the listener,
// and returns the server's StreamStats. Later calls return the same.
func (s *StreamServer) Stop() echo.StreamStats {
	s.run.t.Helper()
	return s.run.stop()
}

// Dial connects a client of d to addr, closed when the test ends, with
// deadlines of 10s.
func Dial(t testing.TB, d *families.Definition, addr net.Addr) families.StreamConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := d.Dial(ctx, addr, families.Options{})
	if err != nil {
		t.Fatalf("dial %s %v: %v", d.Name, addr, err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// StreamEvents records a stream server's events, with copies of their
// data, and lets a test wait for the ones it expects: set
// StreamConfig.OnEvent to its Record.
type StreamEvents struct {
	mu   sync.Mutex
	evs  []echo.StreamEvent
	more chan struct{} // closed at the next event
}

// Record is an echo.StreamConfig.OnEvent.
func (e *StreamEvents) Record(ev echo.StreamEvent) {
	ev.Data = append([]byte(nil), ev.Data...)
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	if e.more != nil {
		close(e.more)
		e.more = nil
	}
	e.mu.Unlock()
}

// All returns the events recorded so far.
func (e *StreamEvents) All() []echo.StreamEvent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]echo.StreamEvent(nil), e.evs...)
}

// Wait waits until n events satisfy match and returns them; it fails the
// test after 10s. Each new event wakes it: it sleeps on no clock.
func (e *StreamEvents) Wait(t testing.TB, n int, match func(echo.StreamEvent) bool) []echo.StreamEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		e.mu.Lock()
		var got []echo.StreamEvent
		for _, ev := range e.evs {
			if match(ev) {
				got = append(got, ev)
			}
		}
		if len(got) >= n {
			e.mu.Unlock()
			return got
		}
		if e.more == nil {
			e.more = make(chan struct{})
		}
		more := e.more
		e.mu.Unlock()
		select {
		case <-more:
		case <-timeout:
			t.Fatalf("waited 10s for %d matching events, have %d: %+v", n, len(got), e.All())
		}
	}
}

// Kind matches events of kind k, for Wait.
func Kind(k echo.StreamEventKind) func(echo.StreamEvent) bool {
	return func(ev echo.StreamEvent) bool { return ev.Kind == k }
}
