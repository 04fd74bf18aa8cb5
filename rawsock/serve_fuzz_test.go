package rawsock

import (
	"bytes"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// Fuzz targets for the raw servers: whatever a raw socket reads, from
// whatever address, to whatever address, a server answers only what it
// may, and only as it should. Both run on testHost.

// FuzzICMPServe: icmp serve --reply replies to at most one message, an
// echo request sent to a unicast address of this host from an address a
// reply can go to, with a valid checksum; the reply is the echo reply with
// the request's ID, sequence and data, sent to its source. The counts add
// up, and a refusal says why.
func FuzzICMPServe(f *testing.F) {
	f.Add(echoRequest(f, 4, 1, 2, "data"), []byte(net.IPv4(10, 9, 9, 9).To4()), []byte(net.IPv4(127, 0, 0, 1).To4()), false)
	f.Add(echoRequest(f, 4, 1, 2, "data"), []byte(net.IPv4(10, 9, 9, 9).To4()), []byte(net.IPv4(10, 1, 2, 255).To4()), false)
	f.Add(echoRequest(f, 6, 1, 2, "data"), []byte(net.ParseIP("fd00::9")), []byte(net.ParseIP("ff02::1")), true)
	f.Add(echoRequest(f, 6, 1, 2, "data"), []byte(net.ParseIP("fd00::9")), []byte(net.ParseIP("fd00::3")), true)
	f.Add([]byte("hello, raw socket"), []byte(net.IPv4(127, 0, 0, 1).To4()), []byte(net.IPv4(127, 0, 0, 1).To4()), false)
	f.Fuzz(func(t *testing.T, wire, from, dst []byte, v6 bool) {
		if len(wire) > maxFuzzPacket {
			return
		}
		v := map[bool]int{false: 4, true: 6}[v6]
		c := newFakeICMP(v)
		s := &icmpServer{c: c, o: ICMPServeOptions{IPVersion: v, Reply: true}, host: testHost()}
		m, err := DecodeICMP(v, wire)
		if err != nil {
			m = &ICMPMessage{IPVersion: v, Err: err}
		}
		m.From, m.Dst, m.Size, m.Time = ipOrNil(from), ipOrNil(dst), len(wire), time.Now()
		ev := s.handle(m, wire)
		st := s.st
		if st.Messages != 1 || st.Requests > 1 || st.Replied+st.SendErrors+st.Dropped.Total() != st.Requests || len(c.out) != int(st.Replied) {
			t.Fatalf("stats %+v with %d replies sent", st, len(c.out))
		}
		if ev.NotAnswered != "" && (ev.Replied || dropReasons[ev.NotAnswered] == false) {
			t.Fatalf("event %+v", ev)
		}
		if len(c.out) == 1 {
			checkICMPReply(t, s.host, m, wire, c.out[0], c.to[0])
		}
	})
}

var dropReasons = map[string]bool{"broadcast": true, "not_local": true, "bad_checksum": true, "bad_source": true}

func ipOrNil(b []byte) net.IP {
	if len(b) == net.IPv4len || len(b) == net.IPv6len {
		return net.IP(b)
	}
	return nil
}

// checkICMPReply checks a reply sent to to for m, whose bytes are wire.
func checkICMPReply(t *testing.T, h *families.HostAddrs, m *ICMPMessage, wire, reply []byte, to net.IP) {
	t.Helper()
	now := time.Now()
	src, _ := netip.AddrFromSlice(m.From)
	dst, _ := netip.AddrFromSlice(m.Dst)
	if !m.isEchoRequest() || h.Kind(dst, now) != families.AddrLocal || h.BadSource(src, now) || m.IPVersion == 4 && Checksum(wire, 0) != 0 {
		t.Fatalf("answered a message it must not: %+v from %v to %v", m, m.From, m.Dst)
	}
	r, err := DecodeICMP(m.IPVersion, reply)
	if err != nil || !r.isEchoReply() || r.Echo.ID != m.Echo.ID || r.Echo.Seq != m.Echo.Seq || !bytes.Equal(r.Echo.Data, m.Echo.Data) || !to.Equal(m.From) {
		t.Fatalf("reply %x to %v for %+v", reply, to, m.Echo)
	}
}

// FuzzIP4Serve: ip4 serve echoes at most one packet per packet read: one
// that parses, is no echo, went to a unicast address of this host from an
// address an echo can go to. The echo swaps the addresses, keeps the
// protocol and payload, and carries the mark, so that neither this server
// (which skips it as its own) nor another one echoes it again.
func FuzzIP4Serve(f *testing.F) {
	for _, p := range []IPv4Packet{
		ip4Packet("10.0.0.1", "10.1.2.3", 7, "echo me"),
		ip4Packet("10.0.0.1", "10.1.2.255", 7, "broadcast"),
		ip4Packet("127.255.255.255", "127.0.0.1", 7, "bad source"),
		{Src: netip.MustParseAddr("127.0.0.1"), Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: ProtoUDP, SrcPort: 1, DstPort: 2, Payload: []byte("udp")},
	} {
		f.Add(mustMarshal(f, p))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzPacket {
			return
		}
		var out []sentPacket
		s := testIP4Server(&out)
		ev, ok := s.handle(b, time.Now())
		if !ok || len(out) > 1 || ev.Echoed != (len(out) == 1) || s.st.Echoed != uint64(len(out)) ||
			s.st.Echoed+s.st.Dropped.Total()+s.st.Malformed+s.st.SendErrors != s.st.Packets {
			t.Fatalf("event %+v, %d sent, stats %+v", ev, len(out), s.st)
		}
		if len(out) == 1 {
			checkIP4Echo(t, s, b, out[0])
		}
	})
}

// checkIP4Echo checks e, what s sent for packet b.
func checkIP4Echo(t *testing.T, s *ip4Server, b []byte, e sentPacket) {
	t.Helper()
	now := time.Now()
	in, err := ParseIPv4(b)
	if err != nil || hasEchoMark(in) || s.host.Kind(addrOf(in.Header.Dst), now) != families.AddrLocal || s.host.BadSource(addrOf(in.Header.Src), now) {
		t.Fatalf("echoed what it must not: %v", in)
	}
	d, err := ParseIPv4(e.b)
	if err != nil || !hasEchoMark(d) || addrOf(d.Header.Src) != addrOf(in.Header.Dst) || e.to != addrOf(in.Header.Src) || addrOf(d.Header.Dst) != e.to ||
		d.Header.Protocol != in.Header.Protocol || !bytes.Equal(d.Payload, in.Payload) {
		t.Fatalf("echo %v for %v", d, in)
	}
	if _, ok := s.handle(e.b, now); ok {
		t.Fatal("the server took its own echo for a packet")
	}
	var out []sentPacket
	if ev, _ := testIP4Server(&out).handle(e.b, now); ev.Echoed || ev.NotEchoed != "echo" {
		t.Fatalf("another server echoes the echo: %+v", ev)
	}
}

// FuzzParseMode: --mode takes auto, dgram (or datagram) and raw, and
// what it accepts reads back from its name; anything else is refused with
// the value and the valid ones, on one line.
func FuzzParseMode(f *testing.F) {
	for _, s := range []string{"auto", "dgram", "datagram", "raw", "", "RAW", "udp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMode(s)
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "valid are auto, dgram, raw") {
				t.Fatalf("ParseMode(%q): %q", s, msg)
			}
			return
		}
		if back, err := ParseMode(m.String()); err != nil || back != m {
			t.Fatalf("ParseMode(%q) = %v, which reads back as %v, %v", s, m, back, err)
		}
	})
}
