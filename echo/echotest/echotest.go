// Package echotest serves a socket for the length of a test: with socklab's
// echo server (Start, Serve) or with a scripted one that answers each
// datagram as the test says (ServeFunc). Each stops when the test ends, or
// earlier with Stop, and Stop waits until the server has returned.
//
// It is the one helper for the echo, cmd/socklab and other tests. echo's
// internal tests (package echo) cannot import it, as it imports echo: they
// belong in package echo_test when they need a server.
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

// stopTimeout bounds the wait for a server to return once it is told to
// stop; past it the test fails instead of hanging.
const stopTimeout = 10 * time.Second

// Server is a server running on one socket for a test.
type Server struct {
	// Conn is the socket served.
	Conn families.Conn

	run   *running[echo.Stats]
	close bool // Stop closes Conn (Start opened it)
}

// Addr is the address the server is bound to, for clients.
func (s *Server) Addr() net.Addr { return s.Conn.LocalAddr() }

// Open opens a socket of d bound to addr for a server, closed when the
// test ends: bound to a wildcard address, its datagrams carry their
// destinations from the first on, for replies from them. It skips the test
// when d is IPv6 and this host has no IPv6 loopback.
func Open(t testing.TB, d *families.Definition, addr string) families.Conn {
	t.Helper()
	c, err := d.Open(families.Options{Addr: addr, Destination: true})
	if err != nil {
		failOpen(t, d, "open", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Start opens a socket of d bound to addr and serves it with echo.Serve
// and cfg until Stop or the end of the test; Stop closes the socket.
func Start(t testing.TB, d *families.Definition, addr string, cfg echo.ServerConfig) *Server {
	t.Helper()
	s := Serve(t, Open(t, d, addr), cfg)
	s.close = true
	return s
}

// Serve serves c, which the caller opened and closes, with echo.Serve and
// cfg until Stop or the end of the test. An error from echo.Serve fails
// the test.
func Serve(t testing.TB, c families.Conn, cfg echo.ServerConfig) *Server {
	t.Helper()
	return run(t, c, func(ctx context.Context) echo.Stats {
		st, err := echo.Serve(ctx, c, cfg)
		if err != nil {
			t.Errorf("echo.Serve on %v: %v", c.LocalAddr(), err)
		}
		return st
	})
}

// ServeFunc runs a scripted server on c, which the caller opened and
// closes: it answers datagram i (counting from 0) with the datagrams answer
// returns, sent back to its sender: none to drop it, two to duplicate it,
// held ones to reorder. It stops at Stop, at the end of the test, or when
// c is closed. Its Stop returns zero Stats.
func ServeFunc(t testing.TB, c families.Conn, answer func(i int, data []byte) [][]byte) *Server {
	t.Helper()
	return run(t, c, func(ctx context.Context) echo.Stats {
		// A deadline in the past wakes the read below when ctx ends.
		stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
		defer stop()
		buf := make([]byte, 70000)
		for i := 0; ; i++ {
			n, _, from, err := c.ReadMsg(buf)
			if err != nil {
				return echo.Stats{}
			}
			for _, r := range answer(i, append([]byte(nil), buf[:n]...)) {
				c.WriteTo(r, from)
			}
		}
	})
}

func run(t testing.TB, c families.Conn, serve func(context.Context) echo.Stats) *Server {
	s := &Server{Conn: c}
	s.run = start(t, "the server", c.LocalAddr(), serve, func() {
		if s.close {
			c.Close()
		}
	})
	return s
}

// Stop stops the server, waits until it has returned, closes the socket if
// Start opened it, and returns the server's Stats. Later calls return the
// same Stats.
func (s *Server) Stop() echo.Stats {
	s.run.t.Helper()
	return s.run.stop()
}

// failOpen fails the test on err, from op (open, listen) with d on addr,
// or skips it when d is IPv6: this host has no IPv6 loopback.
func failOpen(t testing.TB, d *families.Definition, op, addr string, err error) {
	t.Helper()
	if d.Spec.Family == families.AF_INET6 {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	t.Fatalf("%s %s on %q: %v", op, d.Name, addr, err)
}

// running is a server's goroutine for a test: serve runs until its context
// is cancelled and returns the server's stats, S.
type running[S any] struct {
	t       testing.TB
	what    string   // "the server", for the failure
	addr    net.Addr // where it serves, for the failure
	release func()   // what stop closes once the server has returned
	cancel  context.CancelFunc
	done    chan S
	once    sync.Once
	stats   S
}

// start runs serve in a goroutine until stop, or the end of the test.
func start[S any](t testing.TB, what string, addr net.Addr, serve func(context.Context) S, release func()) *running[S] {
	ctx, cancel := context.WithCancel(context.Background())
	r := &running[S]{t: t, what: what, addr: addr, release: release, cancel: cancel, done: make(chan S, 1)}
	go func() { r.done <- serve(ctx) }()
	// Registered after Open's Close, so it runs before it.
	t.Cleanup(func() { r.stop() })
	return r
}

// stop stops the server, waits until it has returned (failing the test
// after stopTimeout), calls release, and returns the server's stats. Later
// calls return the same stats.
func (r *running[S]) stop() S {
	r.t.Helper()
	r.once.Do(func() {
		r.cancel()
		select {
		case r.stats = <-r.done:
		case <-time.After(stopTimeout):
			r.t.Errorf("%s on %v did not return %v after it was told to stop", r.what, r.addr, stopTimeout)
		}
		r.release()
	})
	return r.stats
}

// Events records a server's events, with copies of their data and facts, for a test
// to read: set ServerConfig.OnEvent to its Record. (A server with OnEvent
// and without Quiet takes echo's plain path, one datagram per call.)
type Events struct {
	mu  sync.Mutex
	evs []echo.Event
}

// Record is an echo.ServerConfig.OnEvent.
func (e *Events) Record(ev echo.Event) {
	ev.Data = append([]byte(nil), ev.Data...)
	if ev.Info != nil {
		info := *ev.Info
		ev.Info = &info
	}
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

// All returns the events recorded so far.
func (e *Events) All() []echo.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]echo.Event(nil), e.evs...)
}
