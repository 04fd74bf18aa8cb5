package familytest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// StreamPair is a listening socket of a connection-oriented family and a
// way to connect to it, for RunStream.
type StreamPair struct {
	Listener families.Listener
	// Dial connects a new client to Listener; it registers its own
	// cleanup with t.
	Dial func(t *testing.T) families.StreamConn
	// Spec is the triple every socket of the pair must report.
	Spec families.Spec
}

// OpenStream returns a new StreamPair; it registers its own cleanup with t.
type OpenStream func(t *testing.T) StreamPair

// The names of RunStream's tests that RunStream does not share with Run,
// for Skip. It also runs TestSpec, TestRoundTrip, TestDeadline,
// TestErrorShape, TestZeroLength (seqpacket only), and TestTruncation
// (seqpacket) or TestRestKept (stream).
const (
	TestRestKept            = "RestKept"
	TestCloseUnblocksAccept = "CloseUnblocksAccept"
	TestHalfClose           = "HalfClose"
	TestPeerReset           = "PeerReset"
	TestManyConns           = "ManyConns"
)

var streamTests = []struct {
	name string
	fn   func(*testing.T, StreamPair)
}{
	{TestSpec, testStreamSpec},
	{TestRoundTrip, testStreamRoundTrip},
	{TestZeroLength, testStreamZeroLength},
	{TestTruncation, testStreamTruncation},
	{TestRestKept, testStreamRestKept},
	{TestDeadline, testStreamDeadline},
	{TestCloseUnblocksAccept, testCloseUnblocksAccept},
	{TestCloseUnblocksRead, testStreamCloseUnblocksRead},
	{TestHalfClose, testHalfClose},
	{TestPeerReset, testPeerReset},
	{TestManyConns, testManyConns},
	{TestErrorShape, testStreamErrorShape},
}

// RunStream runs the conformance tests of connection-oriented families on
// pairs from open, each as a subtest, but those skip names, each skipped
// with its reason. Tests of message boundaries run on SOCK_SEQPACKET
// pairs, and tests of the byte stream on SOCK_STREAM ones.
func RunStream(t *testing.T, open OpenStream, skip ...Skip) {
	t.Helper()
	var names []string
	for _, tc := range streamTests {
		names = append(names, tc.name)
	}
	why := reasonsFor(t, skip, names)
	for _, tc := range streamTests {
		t.Run(tc.name, func(t *testing.T) {
			if r, ok := why[tc.name]; ok {
				t.Skip(r)
			}
			tc.fn(t, open(t))
		})
	}
}

// conns connects a client to p and accepts it: the client's end and the
// server's.
func (p StreamPair) conns(t *testing.T) (client, server families.StreamConn) {
	t.Helper()
	client = p.Dial(t)
	p.Listener.SetDeadline(time.Now().Add(5 * time.Second))
	server, err := p.Listener.AcceptStream()
	if err != nil {
		t.Fatalf("AcceptStream: %v", err)
	}
	t.Cleanup(func() { server.Close() })
	for _, c := range []families.StreamConn{client, server} {
		c.SetDeadline(time.Now().Add(10 * time.Second))
	}
	return client, server
}

func (p StreamPair) seqpacket() bool { return p.Spec.Type == families.SOCK_SEQPACKET }

func testStreamSpec(t *testing.T, p StreamPair) {
	client, server := p.conns(t)
	want := p.Spec
	want.Fileno = -1
	for _, s := range []families.Spec{p.Listener.Spec(), client.Spec(), server.Spec()} {
		s.Fileno = -1
		if s != want {
			t.Errorf("Spec() = %v, want %v", s, want)
		}
	}
	if got, want := client.RemoteAddr().String(), p.Listener.Addr().String(); got != want {
		t.Errorf("client's RemoteAddr %q, want the listener's address %q", got, want)
	}
	if got, want := server.RemoteAddr().String(), client.LocalAddr().String(); got != want {
		t.Errorf("server's RemoteAddr %q, want the client's LocalAddr %q", got, want)
	}
	if server.LocalAddr() == nil || client.LocalAddr() == nil {
		t.Error("LocalAddr() is nil")
	}
}

// echoAll answers everything server reads with the same bytes, until EOF.
func echoAll(server families.StreamConn) <-chan error {
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := server.Read(buf)
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				done <- err
				return
			}
			if _, err := server.Write(buf[:n]); err != nil {
				done <- err
				return
			}
		}
	}()
	return done
}

// readFull reads len(want) bytes from c and checks them.
func readFull(t *testing.T, c families.StreamConn, want []byte) {
	t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading %d bytes back: %v", len(want), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes that differ from what was sent", len(want))
	}
}

func testStreamRoundTrip(t *testing.T, p StreamPair) {
	client, server := p.conns(t)
	done := echoAll(server)
	msgs := [][]byte{[]byte("hello"), {0, 0xff, 0xfe, '\n', 0}, bytes.Repeat([]byte("x"), 1400)}
	if !p.seqpacket() {
		// A stream carries more than any buffer: the writer waits for
		// room while the echo reads.
		msgs = append(msgs, bytes.Repeat([]byte("0123456789abcdef"), 1<<16))
	}
	for _, m := range msgs {
		// Written while the echo comes back: a stream's writer and
		// reader must not wait on each other.
		wrote := make(chan error, 1)
		go func() {
			n, err := client.Write(m)
			if err == nil && n != len(m) {
				err = fmt.Errorf("wrote %d bytes", n)
			}
			wrote <- err
		}()
		readFull(t, client, m)
		if err := <-wrote; err != nil {
			t.Fatalf("Write(%d bytes): %v", len(m), err)
		}
	}
	client.CloseWrite()
	if err := <-done; err != nil {
		t.Errorf("server: %v", err)
	}
}

// testStreamZeroLength: a seqpacket socket carries an empty message, which
// a read returns as 0 bytes and no error; EOF comes only when the peer is
// gone.
func testStreamZeroLength(t *testing.T, p StreamPair) {
	if !p.seqpacket() {
		t.Skip("a stream has no empty message: writing 0 bytes sends nothing")
	}
	client, server := p.conns(t)
	if _, err := client.Write(nil); err != nil {
		t.Fatalf("Write(empty message): %v", err)
	}
	n, size, _, err := server.ReadMsg(make([]byte, 16))
	if n != 0 || size != 0 || err != nil {
		t.Fatalf("ReadMsg of an empty message: n=%d size=%d err=%v, want 0, 0, nil", n, size, err)
	}
	client.Close()
	if _, err := server.Read(make([]byte, 16)); err != io.EOF {
		t.Errorf("Read after the peer closed: %v, want io.EOF", err)
	}
}

// testStreamTruncation: a seqpacket socket keeps boundaries as datagrams
// do, so the part of a message beyond the buffer is discarded and the next
// read returns the next message.
func testStreamTruncation(t *testing.T, p StreamPair) {
	if !p.seqpacket() {
		t.Skip("a stream keeps what does not fit for the next read (RestKept)")
	}
	client, server := p.conns(t)
	big, next := bytes.Repeat([]byte("a"), 2000), []byte("next message")
	client.Write(big)
	client.Write(next)
	buf := make([]byte, 1024)
	if n, size, _, err := server.ReadMsg(buf); err != nil || n != 1024 || size != 2000 {
		t.Fatalf("ReadMsg of a 2000-byte message into 1024 bytes: n=%d size=%d err=%v, want 1024, 2000", n, size, err)
	}
	if n, size, _, err := server.ReadMsg(buf); err != nil || !bytes.Equal(buf[:n], next) || size != len(next) {
		t.Fatalf("second ReadMsg: %q (size %d, %v), want the next message %q", buf[:n], size, err, next)
	}
}

// testStreamRestKept: a stream has no boundaries, so what does not fit in
// one read comes in the next: the seed's claim, true of streams only.
func testStreamRestKept(t *testing.T, p StreamPair) {
	if p.seqpacket() {
		t.Skip("a seqpacket socket discards what does not fit (Truncation)")
	}
	client, server := p.conns(t)
	big := bytes.Repeat([]byte("a"), 2000)
	client.Write(big)
	buf := make([]byte, 1024)
	n, size, _, err := server.ReadMsg(buf)
	if err != nil || n == 0 || n > 1024 || size != n {
		t.Fatalf("ReadMsg of a stream into 1024 bytes: n=%d size=%d err=%v, want 1 to 1024 bytes, size = n", n, size, err)
	}
	readFull(t, server, big[n:])
}

func testStreamDeadline(t *testing.T, p StreamPair) {
	_, server := p.conns(t)
	server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err := server.Read(make([]byte, 16))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("Read past its deadline: %v, want os.ErrDeadlineExceeded, a net.Error with Timeout()", err)
	}
	p.Listener.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := p.Listener.AcceptStream(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("AcceptStream past its deadline: %v, want os.ErrDeadlineExceeded", err)
	}
}

// unblocked runs block in a goroutine, closes c once it has started, and
// checks that block then returns net.ErrClosed at once.
func unblocked(t *testing.T, what string, c io.Closer, block func() error) {
	t.Helper()
	started, done := make(chan struct{}), make(chan error, 1)
	go func() {
		close(started)
		done <- block()
	}()
	<-started
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("%s under way at Close returned %v, want net.ErrClosed", what, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Close did not end a %s under way: it waits for its deadline", what)
	}
	if err := block(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("%s after Close returned %v, want net.ErrClosed", what, err)
	}
}

func testCloseUnblocksAccept(t *testing.T, p StreamPair) {
	p.Listener.SetDeadline(time.Now().Add(time.Minute))
	unblocked(t, "AcceptStream", p.Listener, func() error {
		_, err := p.Listener.AcceptStream()
		return err
	})
}

func testStreamCloseUnblocksRead(t *testing.T, p StreamPair) {
	_, server := p.conns(t)
	server.SetReadDeadline(time.Now().Add(time.Minute))
	unblocked(t, "Read", server, func() error {
		_, err := server.Read(make([]byte, 16))
		return err
	})
}

// testHalfClose: the client shuts down its sending side; the server reads
// the question, then EOF, and still answers on the open side.
func testHalfClose(t *testing.T, p StreamPair) {
	client, server := p.conns(t)
	client.Write([]byte("question"))
	if err := client.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	got, err := io.ReadAll(server)
	if err != nil || string(got) != "question" {
		t.Fatalf("server read %q, %v up to EOF, want \"question\" then EOF", got, err)
	}
	if _, err := server.Write([]byte("answer")); err != nil {
		t.Fatalf("server writes after the client's CloseWrite: %v", err)
	}
	server.Close()
	if got, err := io.ReadAll(client); err != nil || string(got) != "answer" {
		t.Fatalf("client read %q, %v, want \"answer\" then EOF", got, err)
	}
}

func testManyConns(t *testing.T, p StreamPair) {
	const n = 20
	errs := make(chan error, n)
	go func() {
		for range n {
			c, err := p.Listener.AcceptStream()
			if err != nil {
				errs <- err
				return
			}
			go func() { errs <- <-echoAll(c); c.Close() }()
		}
	}()
	clients := make([]families.StreamConn, n)
	for i := range clients {
		clients[i] = p.Dial(t)
		clients[i].SetDeadline(time.Now().Add(10 * time.Second))
	}
	for i, c := range clients {
		msg := []byte{'c', byte('a' + i)}
		c.Write(msg)
		readFull(t, c, msg)
		c.CloseWrite()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("server: %v", err)
		}
	}
}

func testStreamErrorShape(t *testing.T, p StreamPair) {
	client, _ := p.conns(t)
	client.Close()
	var oe *net.OpError
	if _, err := client.Read(make([]byte, 4)); !errors.As(err, &oe) || oe.Op != "read" || !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read on a closed StreamConn: %T %v, want *net.OpError read, net.ErrClosed", err, err)
	}
	if _, err := client.Write([]byte("x")); !errors.As(err, &oe) || oe.Op != "write" || !errors.Is(err, net.ErrClosed) {
		t.Errorf("Write on a closed StreamConn: %T %v, want *net.OpError write, net.ErrClosed", err, err)
	}
	p.Listener.Close()
	if _, err := p.Listener.AcceptStream(); !errors.As(err, &oe) || oe.Op != "accept" || !errors.Is(err, net.ErrClosed) {
		t.Errorf("AcceptStream on a closed Listener: %T %v, want *net.OpError accept, net.ErrClosed", err, err)
	}
}
