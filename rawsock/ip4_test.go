package rawsock

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// Tests of ip4's reply matching and of ip4 serve's echo, as any user: a
// loopback UDP socket stands in for the raw socket the reply arrives on,
// its datagrams carrying what the raw socket would read.

// udpStandIn returns a UDP socket on loopback for a replyWaiter to read,
// and a function that delivers b to it.
func udpStandIn(t *testing.T) (families.Conn, func(b []byte)) {
	t.Helper()
	open := func() families.Conn {
		c, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	rx, tx := open(), open()
	return rx, func(b []byte) {
		if _, err := tx.WriteTo(b, rx.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEchoedBackMatching: ip4 send --expect-reply on a protocol other than
// UDP and ICMP waits for ip4 serve's echo, and skips its own packet (which
// the raw socket reads too), packets from elsewhere and other payloads.
func TestEchoedBackMatching(t *testing.T) {
	lo, far := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("10.1.2.3")
	p := IPv4Packet{Src: lo, Dst: lo, TTL: 64, ID: 777, Proto: ProtoExperimental, Payload: []byte("echo me")}
	conn, deliver := udpStandIn(t)
	w := &replyWaiter{conn: conn, addr: p.Dst.String(), match: echoedBack(p)}
	echoed := p
	echoed.ID, echoed.TTL = 4321, 33
	fromFar := echoed
	fromFar.Src = far
	otherPayload := echoed
	otherPayload.Payload = []byte("something else")
	for _, b := range [][]byte{
		mustMarshal(t, p),            // our own packet, looped back
		mustMarshal(t, fromFar),      // the same payload from another host
		mustMarshal(t, otherPayload), // another payload
		[]byte("not an IPv4 packet"),
		mustMarshal(t, echoed), // the echo
	} {
		deliver(b)
	}
	r, err := w.wait(context.Background(), time.Now(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.From != lo || string(r.Payload) != "echo me" || r.Header == nil || r.Header.Header.ID != 4321 || r.Header.Header.TTL != 33 || r.RTT <= 0 {
		t.Errorf("reply %+v (header %v)", r, r.Header)
	}
}

// TestEchoedBackKernelID: with ID 0 and DF clear the kernel picks the ID,
// so the packet's own copy, which loopback hands back, has an ID socklab
// never saw: only an echo with ip4 serve's mark is the reply.
func TestEchoedBackKernelID(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	p := IPv4Packet{Src: lo, Dst: lo, TTL: 64, ID: 0, Proto: ProtoExperimental, Payload: []byte("id zero")}
	conn, deliver := udpStandIn(t)
	w := &replyWaiter{conn: conn, addr: p.Dst.String(), match: echoedBack(p)}
	own := p
	own.ID = 31337 // the kernel's choice
	echoed := p
	echoed.ID = echoMark(lo, lo, p.Proto, p.Payload)
	deliver(mustMarshal(t, own))
	deliver(mustMarshal(t, echoed))
	r, err := w.wait(context.Background(), time.Now(), 5*time.Second)
	if err != nil || r.Header.Header.ID != echoed.ID {
		t.Fatalf("want the marked echo (id %d), got %+v, %v", echoed.ID, r, err)
	}
	deliver(mustMarshal(t, own))
	if r, err := w.wait(context.Background(), time.Now(), 200*time.Millisecond); err == nil {
		t.Errorf("the packet's own copy taken for the reply: %+v", r.Header)
	}
}

// TestEchoReplyMatching: ip4 send --proto icmp waits for the echo reply
// with its echo ID and sequence.
func TestEchoReplyMatching(t *testing.T) {
	p := IPv4Packet{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: ProtoICMP, EchoID: 4242, EchoSeq: 7, Payload: []byte("ping")}
	conn, deliver := udpStandIn(t)
	w := &replyWaiter{conn: conn, addr: p.Dst.String(), match: echoReplyTo(p)}
	req, rep := echoTypes(4)
	for _, m := range []struct {
		reply   bool
		id, seq int
		data    string
	}{
		{false, 4242, 7, "ping"}, // our request, as a raw socket reads it
		{true, 4243, 7, "ping"},  // another ID
		{true, 4242, 8, "ping"},  // another sequence
		{true, 4242, 7, "pong"},  // ours
	} {
		typ := req
		if m.reply {
			typ = rep
		}
		b, err := marshalEcho(typ, m.id, m.seq, []byte(m.data))
		if err != nil {
			t.Fatal(err)
		}
		deliver(b)
	}
	deliver([]byte{0}) // and nothing after ours is read
	r, err := w.wait(context.Background(), time.Now(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.From != p.Dst || string(r.Payload) != "pong" {
		t.Errorf("reply %+v", r)
	}
}

func TestUDPReplyAndWaitErrors(t *testing.T) {
	conn, deliver := udpStandIn(t)
	w := &replyWaiter{conn: conn, addr: conn.LocalAddr().String(), match: anyDatagram}
	deliver([]byte("answer"))
	r, err := w.wait(context.Background(), time.Now(), 5*time.Second)
	if err != nil || string(r.Payload) != "answer" || r.From != netip.MustParseAddr("127.0.0.1") || r.Port == 0 {
		t.Fatalf("UDP reply %+v, %v", r, err)
	}
	// Nothing comes: the error names the socket, the wait and the fix.
	_, err = w.wait(context.Background(), time.Now(), 100*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "wait for reply socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) 127.0.0.1:") ||
		!strings.Contains(err.Error(), "no reply within 100ms (is a server answering there") {
		t.Errorf("timeout: %v", err)
	}
	// A cancelled context ends the wait long before the timeout.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := w.wait(ctx, start, time.Minute); err == nil || time.Since(start) > 10*time.Second {
		t.Errorf("cancelled wait: %v after %v", err, time.Since(start))
	}
}

func TestRecentIDs(t *testing.T) {
	var r recentIDs
	if r.has(0) {
		t.Fatal("an empty ring holds 0")
	}
	for id := 1; id <= len(r.ids)+1; id++ {
		r.add(id)
	}
	if r.has(1) || !r.has(2) || !r.has(len(r.ids)+1) {
		t.Errorf("after %d adds the first must be forgotten and the rest kept", len(r.ids)+1)
	}
}

func TestFillDefaults(t *testing.T) {
	p := IPv4Packet{ID: Random, EchoID: Random}
	p.FillDefaults(300)
	if p.ID <= 0 || p.ID > 65535 || p.EchoID <= 0 || p.EchoID > 65535 || len(p.Payload) != 300 || p.Payload[257] != 1 {
		t.Errorf("defaults: id %d echo id %d payload %d bytes", p.ID, p.EchoID, len(p.Payload))
	}
	q := IPv4Packet{ID: 0, EchoID: 9, Payload: []byte("given")}
	q.FillDefaults(300)
	if q.ID != 0 || q.EchoID != 9 || string(q.Payload) != "given" {
		t.Errorf("FillDefaults changed what was given: %+v", q)
	}
	q.Payload = nil
	q.FillDefaults(1 << 20)
	if len(q.Payload) != MaxIPv4Packet {
		t.Errorf("a --size beyond IPv4 must stop at %d bytes, for Validate to report: %d", MaxIPv4Packet, len(q.Payload))
	}
}
