// Package familytest is the conformance suite that every socklab family
// passes: echo round trip, zero-length datagrams, truncation reported,
// deadlines, Close unblocking a read, concurrent use and the shape of errors.
//
// A family's test calls Run with a function that opens a connected pair:
//
//	familytest.Run(t, func(t *testing.T) familytest.Pair { ... })
package familytest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// Pair is two open Conns of one family: Client can reach Server at
// ServerAddr, and Server can answer Client at the address it reads.
type Pair struct {
	Server, Client families.Conn
	ServerAddr     net.Addr
	// Spec is the triple both must report.
	Spec families.Spec
}

// Open returns a new Pair; it registers its own cleanup with t.
type Open func(t *testing.T) Pair

// Run runs every conformance test on pairs from open, each as a subtest.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(*testing.T, Pair)
	}{
		{"Spec", testSpec},
		{"RoundTrip", testRoundTrip},
		{"ZeroLength", testZeroLength},
		{"Truncation", testTruncation},
		{"Deadline", testDeadline},
		{"CloseUnblocksRead", testCloseUnblocks},
		{"Concurrent", testConcurrent},
		{"ErrorShape", testErrorShape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func testSpec(t *testing.T, p Pair) {
	for _, c := range []families.Conn{p.Server, p.Client} {
		got := c.Spec()
		got.Fileno = -1
		want := p.Spec
		want.Fileno = -1
		if got != want {
			t.Errorf("Spec() = %v, want %v", got, want)
		}
		if c.LocalAddr() == nil {
			t.Errorf("%v: LocalAddr() is nil", c.Spec())
		}
	}
}

// exchange sends msg from client to server and back, and returns what the
// client read.
func exchange(t *testing.T, p Pair, msg []byte) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	p.Server.SetReadDeadline(deadline)
	p.Client.SetReadDeadline(deadline)
	if n, err := p.Client.WriteTo(msg, p.ServerAddr); err != nil || n != len(msg) {
		t.Fatalf("client WriteTo(%d bytes, %v) = %d, %v", len(msg), p.ServerAddr, n, err)
	}
	buf := make([]byte, 65536)
	n, size, from, err := p.Server.ReadMsg(buf)
	if err != nil {
		t.Fatalf("server ReadMsg: %v", err)
	}
	if n != len(msg) || size != len(msg) {
		t.Fatalf("server read n=%d size=%d, want %d", n, size, len(msg))
	}
	if !bytes.Equal(buf[:n], msg) {
		t.Fatalf("server read %q, want %q", buf[:n], msg)
	}
	if from == nil {
		t.Fatal("server ReadMsg: sender address is nil, so no reply can be sent")
	}
	if _, err := p.Server.WriteTo(buf[:n], from); err != nil {
		t.Fatalf("server WriteTo(%v): %v", from, err)
	}
	n, size, from, err = p.Client.ReadMsg(buf)
	if err != nil {
		t.Fatalf("client ReadMsg: %v", err)
	}
	if size != n {
		t.Fatalf("client read n=%d of size=%d", n, size)
	}
	if from.String() != p.ServerAddr.String() {
		t.Errorf("reply came from %v, want %v", from, p.ServerAddr)
	}
	return buf[:n]
}

func testRoundTrip(t *testing.T, p Pair) {
	for _, msg := range [][]byte{[]byte("hello"), {0, 0xff, 0xfe, '\n', 0}, bytes.Repeat([]byte("x"), 1400)} {
		if got := exchange(t, p, msg); !bytes.Equal(got, msg) {
			t.Errorf("round trip of %d bytes returned %q", len(msg), got)
		}
	}
}

func testZeroLength(t *testing.T, p Pair) {
	if got := exchange(t, p, nil); len(got) != 0 {
		t.Errorf("zero-length datagram came back as %d bytes", len(got))
	}
}

// testTruncation shows what the seed gets wrong: the part of a datagram
// beyond the buffer is gone, and the next read returns the next datagram.
func testTruncation(t *testing.T, p Pair) {
	big := bytes.Repeat([]byte("a"), 2000)
	next := []byte("next datagram")
	p.Server.SetReadDeadline(time.Now().Add(5 * time.Second))
	for _, m := range [][]byte{big, next} {
		if _, err := p.Client.WriteTo(m, p.ServerAddr); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
	}
	buf := make([]byte, 1024)
	n, size, _, err := p.Server.ReadMsg(buf)
	if err != nil {
		t.Fatalf("ReadMsg: %v", err)
	}
	if n != 1024 || size != 2000 {
		t.Fatalf("ReadMsg of a 2000-byte datagram into 1024 bytes: n=%d size=%d, want n=1024 size=2000", n, size)
	}
	n, size, _, err = p.Server.ReadMsg(buf)
	if err != nil {
		t.Fatalf("second ReadMsg: %v", err)
	}
	if !bytes.Equal(buf[:n], next) || size != len(next) {
		t.Fatalf("second read returned %q (size %d): want the next datagram %q, since the rest of a truncated datagram is discarded", buf[:n], size, next)
	}
}

func testDeadline(t *testing.T, p Pair) {
	p.Server.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, _, _, err := p.Server.ReadMsg(make([]byte, 16))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("ReadMsg past deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("deadline error %v is not a net.Error with Timeout()", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("ReadMsg returned after %v, deadline was 50ms", el)
	}
	// ReadFrom honours deadlines too.
	p.Server.SetReadDeadline(time.Now().Add(-time.Second))
	if _, _, err := p.Server.ReadFrom(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadFrom past deadline: %v", err)
	}
}

func testCloseUnblocks(t *testing.T, p Pair) {
	p.Server.SetReadDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, _, _, err := p.Server.ReadMsg(make([]byte, 16))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := p.Server.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("blocked ReadMsg after Close returned %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not unblock a blocked ReadMsg")
	}
}

func testConcurrent(t *testing.T, p Pair) {
	const writers, each = 4, 50
	p.Server.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make(map[string]bool)
	var mu sync.Mutex
	var wg sync.WaitGroup
	// Two readers and four writers on the same sockets at once.
	readErr := make(chan error, 2)
	var received sync.WaitGroup
	received.Add(writers * each)
	for r := 0; r < 2; r++ {
		go func() {
			buf := make([]byte, 64)
			for {
				n, _, _, err := p.Server.ReadMsg(buf)
				if err != nil {
					readErr <- err
					return
				}
				mu.Lock()
				if !got[string(buf[:n])] {
					got[string(buf[:n])] = true
					received.Done()
				}
				mu.Unlock()
			}
		}()
	}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := p.Client.WriteTo([]byte(fmt.Sprintf("w%d-%d", w, i)), p.ServerAddr); err != nil {
					t.Errorf("WriteTo: %v", err)
					return
				}
				if i%10 == 9 {
					time.Sleep(time.Millisecond) // stay well inside the receive queue
				}
			}
		}()
	}
	wg.Wait()
	waited := make(chan struct{})
	go func() { received.Wait(); close(waited) }()
	select {
	case <-waited:
	case err := <-readErr:
		t.Fatalf("concurrent ReadMsg: %v (got %d of %d)", err, len(got), writers*each)
	}
	p.Server.Close()
}

func testErrorShape(t *testing.T, p Pair) {
	p.Server.Close()
	_, _, _, err := p.Server.ReadMsg(make([]byte, 16))
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "read" {
		t.Errorf("ReadMsg on a closed Conn: %T %v, want *net.OpError with Op read", err, err)
	}
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadMsg on a closed Conn: %v, want errors.Is net.ErrClosed", err)
	}
	if _, err := p.Server.WriteTo([]byte("x"), p.ServerAddr); !errors.As(err, &oe) {
		t.Errorf("WriteTo on a closed Conn: %T %v, want *net.OpError", err, err)
	}
}
