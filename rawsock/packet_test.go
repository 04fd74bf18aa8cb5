package rawsock

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

func TestRawUDPPacketFields(t *testing.T) {
	p := IPv4Packet{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), TTL: 7, TOS: 0x2e, ID: 0x1234, DF: true,
		Proto: ProtoUDP, SrcPort: 4000, DstPort: 53, Payload: []byte("hello")}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 20+8+5 {
		t.Fatalf("len %d", len(b))
	}
	if Checksum(b[:20], 0) != 0 {
		t.Errorf("IPv4 header checksum does not verify: %x", b[:20])
	}
	// The UDP checksum verifies when summed with the pseudo-header.
	if c := Checksum(b[20:], PseudoHeaderSum(p.Src, p.Dst, ProtoUDP, len(b)-20)); c != 0 {
		t.Errorf("UDP checksum does not verify: residue %#x", c)
	}
	d, err := ParseIPv4(b)
	if err != nil {
		t.Fatal(err)
	}
	h := d.Header
	if h.TTL != 7 || h.TOS != 0x2e || h.ID != 0x1234 || h.Flags != ipv4.DontFragment || h.Protocol != 17 || h.TotalLen != 33 {
		t.Errorf("header read back as %v", h)
	}
	if d.UDP == nil || d.UDP.SrcPort != 4000 || d.UDP.DstPort != 53 || d.UDP.Length != 13 {
		t.Errorf("udp %+v", d.UDP)
	}
	// A well-known vector: RFC 1071's example words sum to 0xddf2.
	if c := Checksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}, 0); c != ^uint16(0xddf2) {
		t.Errorf("RFC 1071 example: %#x", c)
	}
}

func TestRawPacketValidate(t *testing.T) {
	base := IPv4Packet{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: 253}
	for _, tc := range []struct {
		mod  func(*IPv4Packet)
		want string
	}{
		{func(p *IPv4Packet) { p.TTL = 256 }, "ttl 256 out of range"},
		{func(p *IPv4Packet) { p.FragOffset = 8192 }, "fragment offset 8192 out of range: it is a 13-bit field"},
		{func(p *IPv4Packet) { p.Payload = make([]byte, 65516) }, "packet of 65536 bytes is longer than IPv4 allows (65535): send at most 65515 payload bytes"},
		{func(p *IPv4Packet) { p.Dst = netip.MustParseAddr("::1") }, "not an IPv4 address"},
		{func(p *IPv4Packet) { p.Proto = 17; p.DstPort = 70000 }, "destination port 70000 out of range"},
	} {
		p := base
		tc.mod(&p)
		_, err := p.Marshal()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
	p := base
	p.Payload = make([]byte, 65515)
	if _, err := p.Marshal(); err != nil {
		t.Errorf("a 65535-byte packet must build: %v", err)
	}
}

func TestRawDumpMarksKernelOverrides(t *testing.T) {
	p := IPv4Packet{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: 253, Payload: []byte("x")}
	b, _ := p.Marshal()
	out := Dump(b)
	for _, want := range []string{KernelChecksum, KernelTotalLen, KernelID, KernelSrc, "destination             127.0.0.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
	p.ID, p.DF, p.Src = 0, true, netip.MustParseAddr("127.0.0.2")
	b, _ = p.Marshal()
	out = Dump(b)
	if strings.Contains(out, KernelID) || strings.Contains(out, KernelSrc) {
		t.Errorf("ID 0 with DF set and a real source are kept by the kernel:\n%s", out)
	}
}

func TestICMPErrorText(t *testing.T) {
	for _, tc := range []struct {
		v, typ, code, info int
		want               string
	}{
		{4, 11, 0, 0, "Time to live exceeded"},
		{4, 3, 1, 0, "Destination Host Unreachable"},
		{4, 3, 4, 1400, "Frag needed and DF set (mtu = 1400)"},
		{6, 3, 0, 0, "Time exceeded: Hop limit"},
		{6, 1, 3, 0, "Destination unreachable: Address unreachable"},
	} {
		if got := ErrorText(tc.v, tc.typ, tc.code, tc.info); got != tc.want {
			t.Errorf("ErrorText(%d, %d, %d) = %q, want %q", tc.v, tc.typ, tc.code, got, tc.want)
		}
	}
}

// timeExceededMsg builds the error a router sends for packet.
func timeExceededMsg(t testing.TB, v int, quoted []byte) []byte {
	var typ icmp.Type = ipv4.ICMPTypeTimeExceeded
	if v == 6 {
		typ = ipv6.ICMPTypeTimeExceeded
	}
	m := icmp.Message{Type: typ, Body: &icmp.TimeExceeded{Data: quoted}}
	b, err := m.Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestICMPDecodeQuotedEcho(t *testing.T) {
	p := IPv4Packet{Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.2.2"), TTL: 1, ID: 9, Proto: ProtoICMP, EchoID: 777, EchoSeq: 5, Payload: []byte("tokenXYZ")}
	pkt, _ := p.Marshal()
	m, err := DecodeICMP(4, timeExceededMsg(t, 4, pkt))
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsError() || m.Quoted == nil || m.Quoted.ID != 777 || m.Quoted.Seq != 5 || !m.Quoted.Dst.Equal(p.Dst.AsSlice()) || !bytes.HasPrefix(m.Quoted.Data, []byte("token")) {
		t.Fatalf("quoted echo %+v", m.Quoted)
	}
	// IPv6: a 40-byte header, then the echo request.
	h6 := make([]byte, 40)
	h6[0] = 0x60
	h6[6] = ProtoICMPv6
	h6[7] = 1
	copy(h6[24:], netip.MustParseAddr("2001:db8::2").AsSlice())
	echo := icmp.Message{Type: ipv6.ICMPTypeEchoRequest, Body: &icmp.Echo{ID: 42, Seq: 9, Data: []byte("abc")}}
	eb, _ := echo.Marshal(nil)
	binary.BigEndian.PutUint16(h6[4:], uint16(len(eb)))
	m, err = DecodeICMP(6, timeExceededMsg(t, 6, append(h6, eb...)))
	if err != nil || m.Quoted == nil || m.Quoted.ID != 42 || m.Quoted.Seq != 9 {
		t.Fatalf("v6 quoted: %v %+v", err, m)
	}
}

func echoSeeds(t testing.TB, v int) [][]byte {
	var req, rep icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	if v == 6 {
		req, rep = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	var seeds [][]byte
	for _, typ := range []icmp.Type{req, rep} {
		m := icmp.Message{Type: typ, Body: &icmp.Echo{ID: 1, Seq: 2, Data: []byte("0123456789abcdef")}}
		b, _ := m.Marshal(nil)
		seeds = append(seeds, b)
	}
	p := IPv4Packet{Dst: netip.MustParseAddr("10.0.0.2"), TTL: 1, Proto: ProtoICMP, EchoID: 1, EchoSeq: 2, Payload: []byte("x")}
	pkt, _ := p.Marshal()
	seeds = append(seeds, timeExceededMsg(t, v, pkt), []byte{3, 4, 0, 0, 0, 0, 5, 0xdc}, []byte{})
	return seeds
}

func FuzzDecodeICMP4(f *testing.F) {
	for _, s := range echoSeeds(f, 4) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzPacket {
			return
		}
		m, err := DecodeICMP(4, b)
		if err == nil && m.Message == nil {
			t.Fatal("nil message without error")
		}
		if err == nil && m.IsError() {
			ErrorText(4, m.Type, m.Code, m.Info)
		}
	})
}

func FuzzDecodeICMP6(f *testing.F) {
	for _, s := range echoSeeds(f, 6) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzPacket {
			return
		}
		m, err := DecodeICMP(6, b)
		if err == nil && m.Message == nil {
			t.Fatal("nil message without error")
		}
	})
}

func FuzzParseIPv4(f *testing.F) {
	for _, p := range []IPv4Packet{
		{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: ProtoUDP, SrcPort: 1, DstPort: 2, Payload: []byte("hi")},
		{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 64, Proto: ProtoICMP, EchoID: 1, EchoSeq: 1},
		{Dst: netip.MustParseAddr("127.0.0.1"), TTL: 1, Proto: 253, MF: true, FragOffset: 3, Payload: []byte("frag")},
	} {
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > maxFuzzPacket {
			return // see maxFuzzPacket: this target stalled at 0 execs/s
		}
		d, err := ParseIPv4(b)
		if err != nil {
			return
		}
		if d.Header.Len < 20 || d.Header.Len > len(b) || len(d.Payload) > len(b)-d.Header.Len {
			t.Fatalf("header length %d, payload %d of %d bytes", d.Header.Len, len(d.Payload), len(b))
		}
		_ = d.String()
		_ = Dump(b)
	})
}
