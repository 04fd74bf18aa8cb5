// Package familytest is the conformance suite that every socklab family
// passes: echo round trip, zero-length datagrams, truncation reported,
// deadlines, Close unblocking a read, concurrent use and the shape of errors.
// Connection-oriented families pass RunStream instead: round trip, message
// boundaries (kept by seqpacket, none in a stream), deadlines, Close
// unblocking Accept and Read, half-close, a peer's reset, many connections
// and the shape of errors.
//
// A family's test calls Run with a function that opens a connected pair,
// and names the tests that do not apply to it, with the reason:
//
//	familytest.Run(t, func(t *testing.T) familytest.Pair { ... },
//		familytest.Skip{Test: familytest.TestRoundTrip, Reason: "..."})
//
// A family whose sockets carry messages of a protocol (ICMP echoes, whole
// IPv4 packets) sets Pair.Messages, so the tests' payloads travel inside
// valid messages.
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
	// Server is nil when the peer at ServerAddr is the host itself, as the
	// kernel's echo responder answers an ICMP datagram socket: Client then
	// reads what the tests would have Server read, the host's answers.
	Server, Client families.Conn
	ServerAddr     net.Addr
	// Spec is the triple both must report.
	Spec families.Spec
	// Messages wraps the tests' payloads as messages of the family's
	// protocol; nil sends them as they are.
	Messages Messages
}

// Messages turns the tests' payloads into messages a family's sockets
// carry, and back: ICMP echo requests and replies with an ID of the test,
// whole IPv4 packets.
type Messages interface {
	// Request is the message Client sends to carry payload.
	Request(payload []byte) []byte
	// Reply is the message Server answers with, carrying payload.
	Reply(payload []byte) []byte
	// Payload reads msg back: its payload and whether it is a reply. ok
	// is false for a message the test did not send, such as another
	// program's ping that a raw socket also reads: the test reads on.
	Payload(msg []byte) (payload []byte, reply, ok bool)
}

// Open returns a new Pair; it registers its own cleanup with t.
type Open func(t *testing.T) Pair

// The names of the suite's tests, for Skip.
const (
	TestSpec              = "Spec"
	TestRoundTrip         = "RoundTrip"
	TestZeroLength        = "ZeroLength"
	TestTruncation        = "Truncation"
	TestDeadline          = "Deadline"
	TestCloseUnblocksRead = "CloseUnblocksRead"
	TestConcurrent        = "Concurrent"
	TestErrorShape        = "ErrorShape"
)

// Skip says that a test of the suite does not apply to a family, and why;
// the reason is what go test -v prints for the skipped test.
type Skip struct {
	Test   string // one of the Test* names
	Reason string
}

var tests = []struct {
	name string
	fn   func(*testing.T, Pair)
}{
	{TestSpec, testSpec},
	{TestRoundTrip, testRoundTrip},
	{TestZeroLength, testZeroLength},
	{TestTruncation, testTruncation},
	{TestDeadline, testDeadline},
	{TestCloseUnblocksRead, testCloseUnblocks},
	{TestConcurrent, testConcurrent},
	{TestErrorShape, testErrorShape},
}

// Run runs every conformance test on pairs from open, each as a subtest,
// but those skip names, each skipped with its reason.
func Run(t *testing.T, open Open, skip ...Skip) {
	t.Helper()
	why := reasons(t, skip)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if r, ok := why[tc.name]; ok {
				t.Skip(r)
			}
			tc.fn(t, open(t))
		})
	}
}

// reasons indexes skip by test name; a name the suite does not have, or a
// skip without a reason, fails t.
func reasons(t *testing.T, skip []Skip) map[string]string {
	t.Helper()
	var names []string
	for _, tc := range tests {
		names = append(names, tc.name)
	}
	return reasonsFor(t, skip, names)
}

// reasonsFor is reasons for a suite of the tests names.
func reasonsFor(t *testing.T, skip []Skip, names []string) map[string]string {
	t.Helper()
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	why := map[string]string{}
	for _, s := range skip {
		if !known[s.Test] || s.Reason == "" {
			t.Fatalf("familytest: cannot skip %q for %q: want a test of the suite and a reason", s.Test, s.Reason)
		}
		why[s.Test] = s.Reason
	}
	return why
}

// receiver is the Conn that reads what the client sends: Server, or
// Client when the host answers.
func (p Pair) receiver() families.Conn {
	if p.Server != nil {
		return p.Server
	}
	return p.Client
}

func (p Pair) request(payload []byte) []byte {
	if p.Messages == nil {
		return payload
	}
	return p.Messages.Request(payload)
}

func (p Pair) reply(payload []byte) []byte {
	if p.Messages == nil {
		return payload
	}
	return p.Messages.Reply(payload)
}

// message is one message of the test that a Conn read.
type message struct {
	payload []byte
	n, size int // of the whole message: bytes read, and its length
	from    net.Addr
}

// read reads on c until a message of the test arrives: a request when c
// is Server, a reply otherwise.
func (p Pair) read(c families.Conn, buf []byte) (message, error) {
	wantReply := c != p.Server
	for {
		n, size, from, err := c.ReadMsg(buf)
		if err != nil {
			return message{}, err
		}
		if p.Messages == nil {
			return message{buf[:n], n, size, from}, nil
		}
		if payload, reply, ok := p.Messages.Payload(buf[:n]); ok && reply == wantReply {
			return message{payload, n, size, from}, nil
		}
	}
}

func testSpec(t *testing.T, p Pair) {
	for _, c := range []families.Conn{p.Server, p.Client} {
		if c == nil {
			continue
		}
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

// exchange sends payload from client to server and back, and returns what
// the client read.
func exchange(t *testing.T, p Pair, payload []byte) []byte {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	p.Client.SetReadDeadline(deadline)
	req := p.request(payload)
	if n, err := p.Client.WriteTo(req, p.ServerAddr); err != nil || n != len(req) {
		t.Fatalf("client WriteTo(%d bytes, %v) = %d, %v", len(req), p.ServerAddr, n, err)
	}
	buf := make([]byte, 65536)
	if p.Server != nil {
		p.Server.SetReadDeadline(deadline)
		answer(t, p, buf, req, payload)
	}
	m, err := p.read(p.Client, buf)
	if err != nil {
		t.Fatalf("client ReadMsg: %v", err)
	}
	if m.size != m.n {
		t.Fatalf("client read n=%d of size=%d", m.n, m.size)
	}
	if m.from.String() != p.ServerAddr.String() {
		t.Errorf("reply came from %v, want %v", m.from, p.ServerAddr)
	}
	return m.payload
}

// answer reads req on the server, checks that it arrived whole, and
// answers it.
func answer(t *testing.T, p Pair, buf, req, payload []byte) {
	t.Helper()
	m, err := p.read(p.Server, buf)
	if err != nil {
		t.Fatalf("server ReadMsg: %v", err)
	}
	if m.n != len(req) || m.size != len(req) {
		t.Fatalf("server read n=%d size=%d, want %d", m.n, m.size, len(req))
	}
	if !bytes.Equal(m.payload, payload) {
		t.Fatalf("server read %q, want %q", m.payload, payload)
	}
	if m.from == nil {
		t.Fatal("server ReadMsg: sender address is nil, so no reply can be sent")
	}
	if _, err := p.Server.WriteTo(p.reply(m.payload), m.from); err != nil {
		t.Fatalf("server WriteTo(%v): %v", m.from, err)
	}
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
	big, next := bytes.Repeat([]byte("a"), 2000), []byte("next datagram")
	r := p.receiver()
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	for _, m := range [][]byte{big, next} {
		if _, err := p.Client.WriteTo(p.request(m), p.ServerAddr); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
	}
	buf := make([]byte, 1024)
	m, err := p.read(r, buf)
	if err != nil {
		t.Fatalf("ReadMsg: %v", err)
	}
	if size := len(p.request(big)); m.n != 1024 || m.size != size {
		t.Fatalf("ReadMsg of a %d-byte datagram into 1024 bytes: n=%d size=%d, want n=1024 size=%d", size, m.n, m.size, size)
	}
	m, err = p.read(r, buf)
	if err != nil {
		t.Fatalf("second ReadMsg: %v", err)
	}
	if !bytes.Equal(m.payload, next) || m.size != len(p.request(next)) {
		t.Fatalf("second read returned %q (size %d): want the next datagram %q, since the rest of a truncated datagram is discarded", m.payload, m.size, next)
	}
}

func testDeadline(t *testing.T, p Pair) {
	r := p.receiver()
	r.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, _, _, err := r.ReadMsg(make([]byte, 16))
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
	r.SetReadDeadline(time.Now().Add(-time.Second))
	if _, _, err := r.ReadFrom(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("ReadFrom past deadline: %v", err)
	}
}

// testCloseUnblocks checks that Close ends a read whenever the read began:
// one under way when Close comes (blocked, or about to block) returns
// net.ErrClosed at once, not at its deadline a minute later, and one that
// begins after Close returns it too. Which of the two the goroutine's read
// is depends on the scheduler; both must hold.
func testCloseUnblocks(t *testing.T, p Pair) {
	r := p.receiver()
	r.SetReadDeadline(time.Now().Add(time.Minute))
	unblocked(t, "ReadMsg", r, func() error {
		_, _, _, err := r.ReadMsg(make([]byte, 16))
		return err
	})
}

// testConcurrent reads with two goroutines and writes with four on the
// same sockets at once, until every payload arrived.
func testConcurrent(t *testing.T, p Pair) {
	const writers, each = 4, 50
	r := p.receiver()
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := newPayloads(writers * each)
	readErr := make(chan error, 2)
	for range 2 {
		go func() { readErr <- readAll(p, r, got) }()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			write(t, p, w, each)
		}()
	}
	wg.Wait()
	select {
	case <-got.all:
	case err := <-readErr:
		t.Fatalf("concurrent ReadMsg: %v (got %d of %d)", err, got.count(), writers*each)
	}
	r.Close()
}

// payloads collects the distinct payloads read, and closes all when it
// has want of them.
type payloads struct {
	mu   sync.Mutex
	seen map[string]bool
	want int
	all  chan struct{}
}

func newPayloads(want int) *payloads {
	return &payloads{seen: map[string]bool{}, want: want, all: make(chan struct{})}
}

func (s *payloads) add(payload []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[string(payload)] {
		return
	}
	s.seen[string(payload)] = true
	if len(s.seen) == s.want {
		close(s.all)
	}
}

func (s *payloads) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// readAll reads on r until it fails, noting every payload.
func readAll(p Pair, r families.Conn, got *payloads) error {
	buf := make([]byte, 64)
	for {
		m, err := p.read(r, buf)
		if err != nil {
			return err
		}
		got.add(m.payload)
	}
}

// write sends n payloads of writer w from the client.
func write(t *testing.T, p Pair, w, n int) {
	for i := range n {
		if _, err := p.Client.WriteTo(p.request(fmt.Appendf(nil, "w%d-%d", w, i)), p.ServerAddr); err != nil {
			t.Errorf("WriteTo: %v", err)
			return
		}
		if i%10 == 9 {
			time.Sleep(time.Millisecond) // stay well inside the receive queue
		}
	}
}

func testErrorShape(t *testing.T, p Pair) {
	r := p.receiver()
	r.Close()
	_, _, _, err := r.ReadMsg(make([]byte, 16))
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "read" {
		t.Errorf("ReadMsg on a closed Conn: %T %v, want *net.OpError with Op read", err, err)
	}
	if !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadMsg on a closed Conn: %v, want errors.Is net.ErrClosed", err)
	}
	if _, err := r.WriteTo(p.request([]byte("x")), p.ServerAddr); !errors.As(err, &oe) {
		t.Errorf("WriteTo on a closed Conn: %T %v, want *net.OpError", err, err)
	}
}
