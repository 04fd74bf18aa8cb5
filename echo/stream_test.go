package echo_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// streamFamilies are the connection-oriented families, each with a
// server address for a test.
func streamFamilies(t *testing.T) []struct {
	d    *families.Definition
	addr string
} {
	dir := t.TempDir()
	return []struct {
		d    *families.Definition
		addr string
	}{
		{families.TCP4(), "127.0.0.1:0"},
		{families.UnixStream(), filepath.Join(dir, "s.sock")},
		{families.Seqpacket(), filepath.Join(dir, "p.sock")},
	}
}

var seedReplyRE = regexp.MustCompile(`^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hello$`)

// TestStreamServeSeed: each connection is told, each read answered with
// the seed's reply, and the end of the connection told with what it
// carried.
func TestStreamServeSeed(t *testing.T) {
	for _, f := range streamFamilies(t) {
		t.Run(f.d.Name, func(t *testing.T) {
			var evs echotest.StreamEvents
			s := echotest.StartStream(t, f.d, f.addr, echo.StreamConfig{OnEvent: evs.Record})
			c := echotest.Dial(t, f.d, s.Addr())
			r, err := echo.NewStreamClient(c, echo.StreamClientConfig{}).Exchange(context.Background(), []byte("hello"))
			if err != nil || !seedReplyRE.Match(r.Data) || r.Reads != 1 {
				t.Fatalf("Exchange = %q in %d reads, %v; want [ctime] hello in one", r.Data, r.Reads, err)
			}
			c.Close()
			closed := evs.Wait(t, 1, echotest.Kind(echo.StreamClosed))[0]
			if closed.Reason != echo.ReasonEOF || closed.Reads != 1 || closed.Bytes != 5 || closed.Conn != 1 || closed.Open != 0 {
				t.Errorf("closed event %+v, want eof after 1 read of 5 bytes, 0 open", closed)
			}
			all := evs.All()
			if len(all) != 3 || all[0].Kind != echo.StreamAccepted || all[1].Kind != echo.StreamData || string(all[1].Data) != "hello" {
				t.Errorf("events %+v, want connection, message hello, closed", all)
			}
			if f.d.Spec.Family == families.AF_UNIX && all[0].Cred.PID == 0 {
				t.Errorf("a unix connection's event has no SO_PEERCRED: %+v", all[0])
			}
			st := s.Stop()
			if st.Connections != 1 || st.Reads != 1 || st.Bytes != 5 || st.Closed.EOF != 1 || st.PeakOpen != 1 {
				t.Errorf("stats %+v, want 1 connection, 1 read of 5 bytes, closed by EOF", st)
			}
		})
	}
}

// TestStreamNoBoundaries: a stream server reads a 40-byte message with a
// 16-byte buffer in three reads and answers each; a seqpacket server reads
// it once, truncated, as a datagram.
func TestStreamNoBoundaries(t *testing.T) {
	msg := []byte(strings.Repeat("0123456789", 4))
	for _, f := range streamFamilies(t) {
		t.Run(f.d.Name, func(t *testing.T) {
			var evs echotest.StreamEvents
			s := echotest.StartStream(t, f.d, f.addr, echo.StreamConfig{Bufsize: 16, OnEvent: evs.Record})
			c := echotest.Dial(t, f.d, s.Addr())
			r, err := echo.NewStreamClient(c, echo.StreamClientConfig{}).Exchange(context.Background(), msg)
			if err != nil {
				t.Fatal(err)
			}
			if f.d.Spec.Type == families.SOCK_SEQPACKET {
				tr := evs.Wait(t, 1, echotest.Kind(echo.StreamTruncated))[0]
				if tr.Size != 40 || len(tr.Data) != 16 || !bytes.HasSuffix(r.Data, msg[:16]) || r.Reads != 1 {
					t.Errorf("seqpacket: truncated %d of %d, reply %q: want the first 16 bytes answered, the rest lost", len(tr.Data), tr.Size, r.Data)
				}
				return
			}
			reads := evs.Wait(t, 3, echotest.Kind(echo.StreamData))
			var got []byte
			for _, ev := range reads {
				got = append(got, ev.Data...)
			}
			if len(reads) != 3 || !bytes.Equal(got, msg) {
				t.Errorf("server reads %d: %q, want 3 reads of 16, 16 and 8 bytes making the message", len(reads), got)
			}
			if n := strings.Count(string(r.Data), "] "); n != 3 || !strings.HasSuffix(string(r.Data), "89") {
				t.Errorf("reply %q: want three prefixed parts, one per read", r.Data)
			}
		})
	}
}

// TestStreamMaxConns: past the limit, a new connection is reset at once
// while the others are fresh, and takes the place of the one idle
// longest once that one has been idle EvictIdle.
func TestStreamMaxConns(t *testing.T) {
	var evs echotest.StreamEvents
	d := families.TCP4()
	s := echotest.StartStream(t, d, "127.0.0.1:0", echo.StreamConfig{MaxConns: 2, EvictIdle: time.Hour, OnEvent: evs.Record})
	echotest.Dial(t, d, s.Addr())
	echotest.Dial(t, d, s.Addr())
	evs.Wait(t, 2, echotest.Kind(echo.StreamAccepted))
	// The reset may come before connect has seen its handshake through,
	// or after.
	third, err := d.Dial(context.Background(), s.Addr(), families.Options{})
	if err == nil {
		third.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = third.Read(make([]byte, 1))
		third.Close()
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("a connection past the limit: %v, want ECONNRESET (refused)", err)
	}
	if ev := evs.Wait(t, 1, echotest.Kind(echo.StreamRefused))[0]; ev.Open != 2 {
		t.Errorf("refused event %+v, want 2 open", ev)
	}
	if st := s.Stop(); st.Refused != 1 || st.Connections != 2 {
		t.Errorf("stats %+v, want 2 connections, 1 refused", st)
	}

	var evs2 echotest.StreamEvents
	s = echotest.StartStream(t, d, "127.0.0.1:0", echo.StreamConfig{MaxConns: 1, EvictIdle: 20 * time.Millisecond, OnEvent: evs2.Record})
	idle := echotest.Dial(t, d, s.Addr())
	evs2.Wait(t, 1, echotest.Kind(echo.StreamAccepted))
	time.Sleep(50 * time.Millisecond) // the first connection's idleness, which eviction measures
	fresh := echotest.Dial(t, d, s.Addr())
	ev := evs2.Wait(t, 1, echotest.Kind(echo.StreamClosed))[0]
	if ev.Reason != echo.ReasonEvicted || ev.Conn != 1 || ev.Idle < 20*time.Millisecond {
		t.Errorf("closed event %+v, want the first connection evicted after 20ms idle", ev)
	}
	if _, err := idle.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the evicted connection reads %v, want EOF", err)
	}
	if r, err := echo.NewStreamClient(fresh, echo.StreamClientConfig{}).Exchange(context.Background(), []byte("hello")); err != nil || !seedReplyRE.Match(r.Data) {
		t.Errorf("the new connection: %q, %v; want it served", r.Data, err)
	}
}

// TestStreamIdleTimeout: a client that connects and never sends (the
// first half of slowloris) is closed after IdleTimeout.
func TestStreamIdleTimeout(t *testing.T) {
	var evs echotest.StreamEvents
	d := families.UnixStream()
	s := echotest.StartStream(t, d, filepath.Join(t.TempDir(), "s"), echo.StreamConfig{IdleTimeout: 100 * time.Millisecond, OnEvent: evs.Record})
	c := echotest.Dial(t, d, s.Addr())
	ev := evs.Wait(t, 1, echotest.Kind(echo.StreamClosed))[0]
	if ev.Reason != echo.ReasonIdle || ev.Idle < 100*time.Millisecond {
		t.Errorf("closed event %+v, want idle after at least 100ms", ev)
	}
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("client reads %v after the idle timeout, want EOF", err)
	}
}

// TestStreamPeerNeverReads: a client that sends and never reads its
// replies blocks only its own connection, which is closed after
// WriteTimeout; another client is served meanwhile.
func TestStreamPeerNeverReads(t *testing.T) {
	var evs echotest.StreamEvents
	d := families.TCP4()
	s := echotest.StartStream(t, d, "127.0.0.1:0", echo.StreamConfig{Reply: echo.ReplyEcho, WriteTimeout: 500 * time.Millisecond, OnEvent: evs.Record, Quiet: true})
	hog := echotest.Dial(t, d, s.Addr())
	flooded := make(chan error, 1)
	go func() {
		chunk := make([]byte, 1<<20)
		for {
			if _, err := hog.Write(chunk); err != nil {
				flooded <- err
				return
			}
		}
	}()
	other := echotest.Dial(t, d, s.Addr())
	if _, err := echo.NewStreamClient(other, echo.StreamClientConfig{}).Exchange(context.Background(), []byte("hello")); err != nil {
		t.Fatalf("another client while one does not read: %v", err)
	}
	ev := evs.Wait(t, 1, func(ev echo.StreamEvent) bool { return ev.Kind == echo.StreamClosed && ev.Conn == 1 })[0]
	if ev.Reason != echo.ReasonWriteTimeout {
		t.Errorf("the non-reading client's connection ended %+v, want write-timeout", ev)
	}
	if err := <-flooded; !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Errorf("the flooding client's write: %v, want the connection reset", err)
	}
}

// TestStreamShutdown: stopping the server closes every connection.
func TestStreamShutdown(t *testing.T) {
	var evs echotest.StreamEvents
	d := families.Seqpacket()
	s := echotest.StartStream(t, d, filepath.Join(t.TempDir(), "s"), echo.StreamConfig{OnEvent: evs.Record})
	cs := []families.StreamConn{echotest.Dial(t, d, s.Addr()), echotest.Dial(t, d, s.Addr())}
	evs.Wait(t, 2, echotest.Kind(echo.StreamAccepted))
	if st := s.Stop(); st.Closed.Shutdown != 2 {
		t.Errorf("stats %+v, want 2 closed by the shutdown", st)
	}
	for _, c := range cs {
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("client reads %v after the server stopped, want EOF", err)
		}
	}
}

// TestStreamIdleHoldsNoBuffer: 200 connections that each exchanged a
// message and wait hold no read buffer: the server allocated a handful in
// all, though each is 1 MiB.
func TestStreamIdleHoldsNoBuffer(t *testing.T) {
	var evs echotest.StreamEvents
	d := families.TCP4()
	s := echotest.StartStream(t, d, "127.0.0.1:0", echo.StreamConfig{Bufsize: 1 << 20, OnEvent: evs.Record, Quiet: true})
	for range 200 {
		c := echotest.Dial(t, d, s.Addr())
		if _, err := echo.NewStreamClient(c, echo.StreamClientConfig{}).Exchange(context.Background(), []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stop()
	if st.PeakOpen != 200 || st.ReadBuffers > 8 {
		t.Errorf("%d connections open at once made %d read buffers of 1 MiB; want 200 open and at most a few buffers", st.PeakOpen, st.ReadBuffers)
	}
}

// accepted listens with d on addr, connects a client to it and accepts the
// connection: the client's end and the server's, both closed when the test
// ends.
func accepted(t *testing.T, d *families.Definition, addr string) (client, server families.StreamConn) {
	t.Helper()
	l, err := d.Listen(families.Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := echotest.Dial(t, d, l.Addr())
	sc, err := l.AcceptStream()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return c, sc
}

// TestServeStreamConn serves one inherited connection until it ends.
func TestServeStreamConn(t *testing.T) {
	c, sc := accepted(t, families.UnixStream(), filepath.Join(t.TempDir(), "s"))
	done := make(chan echo.StreamStats, 1)
	go func() {
		st, _ := echo.ServeStreamConn(context.Background(), sc, echo.StreamConfig{Reply: echo.ReplyEcho})
		done <- st
	}()
	r, err := echo.NewStreamClient(c, echo.StreamClientConfig{}).Exchange(context.Background(), []byte("one"))
	if err != nil || string(r.Data) != "one" {
		t.Fatalf("Exchange: %q, %v", r.Data, err)
	}
	c.CloseWrite()
	if st := <-done; st.Connections != 1 || st.Closed.EOF != 1 || st.Reads != 1 {
		t.Errorf("stats %+v, want the one connection, ended by EOF", st)
	}
}

// TestStreamClientErrors: what a client sees of a server that goes away.
func TestStreamClientErrors(t *testing.T) {
	c, sc := accepted(t, families.TCP4(), "127.0.0.1:0")
	sc.Close() // orderly: FIN
	_, err := echo.NewStreamClient(c, echo.StreamClientConfig{}).Exchange(context.Background(), []byte("x"))
	if !errors.Is(err, echo.ErrStreamClosed) {
		t.Errorf("Exchange with a server that closed: %v, want ErrStreamClosed", err)
	}
	c2, _ := accepted(t, families.TCP4(), "127.0.0.1:0")
	_, err = echo.NewStreamClient(c2, echo.StreamClientConfig{Timeout: 50 * time.Millisecond}).Exchange(context.Background(), []byte("x"))
	if !errors.Is(err, echo.ErrNoReply) {
		t.Errorf("Exchange with a server that does not answer: %v, want ErrNoReply", err)
	}
}
