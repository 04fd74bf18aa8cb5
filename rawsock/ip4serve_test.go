package rawsock

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/net/ipv4"
)

// Tests of ip4 serve's echo and of the checks before it, as any user, on
// the fake host of testHost.

// sentPacket is one packet a test server sent.
type sentPacket struct {
	b  []byte
	to netip.Addr
}

// testIP4Server is an ip4Server on testHost that records what it sends.
func testIP4Server(out *[]sentPacket) *ip4Server {
	s := newIP4Server(IP4ServeOptions{Proto: ProtoExperimental, TTL: 33})
	s.host = testHost()
	s.send = func(b []byte, dst netip.Addr) error {
		*out = append(*out, sentPacket{append([]byte(nil), b...), dst})
		return nil
	}
	return s
}

func ip4Packet(src, dst string, id int, payload string) IPv4Packet {
	return IPv4Packet{Src: netip.MustParseAddr(src), Dst: netip.MustParseAddr(dst), TTL: 17, TOS: 8, ID: id, DF: true,
		Proto: ProtoExperimental, Payload: []byte(payload)}
}

// TestIP4ServerEcho: ip4 serve answers a packet with addresses swapped,
// its mark as ID, its own TTL and the packet's TOS, DF and payload, and
// skips that echo when loopback hands it back.
func TestIP4ServerEcho(t *testing.T) {
	var out []sentPacket
	s := testIP4Server(&out)
	in := ip4Packet("10.0.0.1", "10.1.2.3", 777, "echo me")
	now := time.Now()
	ev, ok := s.handle(mustMarshal(t, in), now)
	if !ok || !ev.Echoed || ev.Event != EventPacket || ev.ID != 777 || ev.TTL != 17 || ev.TOS != 8 || !ev.DF || ev.Src != "10.0.0.1" || ev.Payload != 7 {
		t.Fatalf("event %+v", ev)
	}
	if len(out) != 1 || out[0].to != in.Src {
		t.Fatalf("sent %+v", out)
	}
	d, err := ParseIPv4(out[0].b)
	if err != nil {
		t.Fatal(err)
	}
	h := d.Header
	if h.Src.String() != "10.1.2.3" || h.Dst.String() != "10.0.0.1" || h.TTL != 33 || h.TOS != 8 || h.Flags&ipv4.DontFragment == 0 ||
		h.ID != echoMark(in.Dst, in.Src, in.Proto, in.Payload) || h.ID != ev.ReplyID || !hasEchoMark(d) || !bytes.Equal(d.Payload, in.Payload) || Checksum(out[0].b[:20], 0) != 0 {
		t.Errorf("echo %v payload %q", h, d.Payload)
	}
	if _, ok := s.handle(out[0].b, now); ok {
		t.Error("ip4 serve reported (and would echo) its own echo")
	}
	ev, ok = s.handle([]byte{0x45, 0}, now)
	if !ok || ev.Err == "" || ev.Len != 2 || ev.Echoed || len(out) != 1 {
		t.Errorf("a short packet: %+v", ev)
	}
	st := s.stats(now)
	if st.Packets != 2 || st.Echoed != 1 || st.OwnEchoes != 1 || st.Malformed != 1 || st.Event != EventSummary {
		t.Errorf("stats %+v", st)
	}
}

// TestIP4ServerChecks: no echo for a packet sent to a broadcast, multicast
// or another host's address, from an address no echo can go to, for
// another server's echo, or for the 17th same packet within a second.
func TestIP4ServerChecks(t *testing.T) {
	marked := ip4Packet("10.0.0.1", "10.1.2.3", 0, "an echo")
	marked.ID = echoMark(marked.Src, marked.Dst, marked.Proto, marked.Payload)
	for _, tc := range []struct {
		name string
		p    IPv4Packet
		want string
	}{
		{"subnet broadcast", ip4Packet("10.1.2.9", "10.1.2.255", 1, "x"), "broadcast"},
		{"limited broadcast", ip4Packet("10.1.2.9", "255.255.255.255", 1, "x"), "broadcast"},
		{"multicast", ip4Packet("10.1.2.9", "224.0.0.1", 1, "x"), "broadcast"},
		{"another host's", ip4Packet("10.1.2.9", "10.1.2.4", 1, "x"), "not_local"},
		{"from a broadcast address", ip4Packet("127.255.255.255", "127.0.0.1", 1, "x"), "bad_source"},
		{"from multicast", ip4Packet("224.0.0.5", "127.0.0.1", 1, "x"), "bad_source"},
		{"from 0.0.0.0", ip4Packet("0.0.0.0", "127.0.0.1", 1, "x"), "bad_source"},
		{"another server's echo", marked, "echo"},
	} {
		var out []sentPacket
		s := testIP4Server(&out)
		ev, ok := s.handle(mustMarshal(t, tc.p), time.Now())
		if !ok || ev.Echoed || ev.NotEchoed != tc.want || len(out) != 0 || s.st.Dropped.Total() != 1 {
			t.Errorf("%s: event %+v, sent %d, dropped %+v: want not echoed, %q", tc.name, ev, len(out), s.st.Dropped, tc.want)
		}
	}
	var out []sentPacket
	s := testIP4Server(&out)
	now := time.Now()
	b := mustMarshal(t, ip4Packet("10.0.0.1", "10.1.2.3", 5, "same"))
	for range repeatLimit {
		s.handle(b, now)
	}
	if ev, _ := s.handle(b, now); ev.NotEchoed != "loop" || len(out) != repeatLimit {
		t.Errorf("packet %d: %+v after %d echoes", repeatLimit+1, ev, len(out))
	}
	if ev, _ := s.handle(b, now.Add(repeatWindow+time.Millisecond)); !ev.Echoed {
		t.Errorf("a second later the same packet is echoed again: %+v", ev)
	}
}

// TestIP4ServersDoNotLoop: two servers on one host each read every packet
// of the protocol, the other's echoes and their own included. One packet
// gets one echo from each, and nothing more, however the reads interleave;
// so does a burst of more packets than a server remembers echoes of.
func TestIP4ServersDoNotLoop(t *testing.T) {
	for _, burst := range []int{1, 200} {
		var out [2][]sentPacket
		servers := [2]*ip4Server{testIP4Server(&out[0]), testIP4Server(&out[1])}
		var queue [][]byte // loopback: what every raw socket of the protocol reads
		for i := range burst {
			queue = append(queue, mustMarshal(t, ip4Packet("127.0.0.1", "127.0.0.1", 1000+i, string(rune('a'+i%26))+string(rune(i)))))
		}
		sentBy := [2]int{}
		for n := 0; len(queue) > 0; n++ {
			if n > 100*burst {
				t.Fatalf("burst %d: still %d packets in flight after %d reads: a loop", burst, len(queue), n)
			}
			b := queue[0]
			queue = queue[1:]
			for i, s := range servers {
				s.handle(b, time.Now())
				for ; sentBy[i] < len(out[i]); sentBy[i]++ {
					queue = append(queue, out[i][sentBy[i]].b)
				}
			}
		}
		for i, s := range servers {
			if s.st.Echoed != uint64(burst) || s.st.Dropped.Echo+s.st.OwnEchoes != uint64(2*burst) {
				t.Errorf("burst %d, server %d: %+v", burst, i, s.st)
			}
		}
	}
}

// TestIP4ServerEchoesTransportVerbatim: with --proto udp or icmp the
// bytes after the IP header go back as they came; the echo used to wrap
// them in a second UDP header or ICMP echo request.
func TestIP4ServerEchoesTransportVerbatim(t *testing.T) {
	for _, p := range []IPv4Packet{
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.1.2.3"), TTL: 64, Proto: ProtoUDP, SrcPort: 4000, DstPort: 53, Payload: []byte("udp")},
		{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.1.2.3"), TTL: 64, Proto: ProtoICMP, EchoID: 9, EchoSeq: 1, Payload: []byte("icmp")},
	} {
		var out []sentPacket
		in := mustMarshal(t, p)
		if ev, _ := testIP4Server(&out).handle(in, time.Now()); !ev.Echoed {
			t.Fatalf("proto %d not echoed: %+v", p.Proto, ev)
		}
		if e := out[0].b; len(e) != len(in) || !bytes.Equal(e[20:], in[20:]) || e[9] != byte(p.Proto) || Checksum(e[:20], 0) != 0 {
			t.Errorf("proto %d: echo %x for %x", p.Proto, e, in)
		}
	}
}
