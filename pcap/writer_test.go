package pcap

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/internal/inet"
)

var (
	udp4  = families.NewSpec(families.AF_INET, families.SOCK_DGRAM, families.IPPROTO_UDP)
	udp6  = families.NewSpec(families.AF_INET6, families.SOCK_DGRAM, families.IPPROTO_UDP)
	unixs = families.NewSpec(families.AF_UNIX, families.SOCK_DGRAM, 0)
	icmp4 = families.NewSpec(families.AF_INET, families.SOCK_DGRAM, families.IPPROTO_ICMP)
	icmp6 = families.NewSpec(families.AF_INET6, families.SOCK_RAW, families.IPPROTO_ICMPV6)
	hdrin = families.NewSpec(families.AF_INET, families.SOCK_RAW, families.IPPROTO_RAW)
)

func udpAddr(s string) *net.UDPAddr { return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
func ipAddr(s string) *net.IPAddr   { return &net.IPAddr{IP: net.IP(netip.MustParseAddr(s).AsSlice())} }

// record is one record of a file, read back with pcapgo.
type record struct {
	ci   gopacket.CaptureInfo
	data []byte
	link layers.LinkType
}

// readBack reads every record of the pcapng file at path.
func readBack(t *testing.T, path string) []record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewNgReader(f, pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	var out []record
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		intf, _ := r.Interface(ci.InterfaceIndex)
		out = append(out, record{ci, data, intf.LinkType})
	}
}

// write writes ds to a new file with o and returns its records.
func write(t *testing.T, o Options, ds ...*families.Datagram) []record {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.pcapng")
	w, err := Create(path, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Time.IsZero() {
			d.Time = time.Now()
		}
		w.Capture(d)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return readBack(t, path)
}

// checksumOK reports whether the Internet checksum over b (with the
// pseudo-header sum s) is valid.
func checksumOK(b []byte, s uint32) bool { return inet.Checksum(b, s) == 0 }

func pseudo4(src, dst []byte, n int, proto byte) uint32 {
	return inet.PseudoSum4(netip.AddrFrom4([4]byte(src)), netip.AddrFrom4([4]byte(dst)), proto, n)
}

// TestUDP4Frame: a UDP datagram is a real IPv4 packet: the addresses and
// ports of both ends, the lengths, the payload, valid checksums.
func TestUDP4Frame(t *testing.T) {
	recs := write(t, Options{}, &families.Datagram{Call: "sendmsg", Fd: 3, Spec: udp4, Sent: true, Data: []byte("hello"), Size: 5,
		Local: udpAddr("127.0.0.1:41000"), Peer: udpAddr("127.0.0.2:8020")})
	if len(recs) != 1 || recs[0].link != layers.LinkTypeRaw {
		t.Fatalf("records %+v, want one of LINKTYPE_RAW", recs)
	}
	p := gopacket.NewPacket(recs[0].data, layers.LayerTypeIPv4, gopacket.Default)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	u, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
	if ip == nil || u == nil {
		t.Fatalf("not IPv4/UDP: %v", p)
	}
	if ip.SrcIP.String() != "127.0.0.1" || ip.DstIP.String() != "127.0.0.2" || u.SrcPort != 41000 || u.DstPort != 8020 {
		t.Errorf("ends %v:%d > %v:%d, want 127.0.0.1:41000 > 127.0.0.2:8020", ip.SrcIP, u.SrcPort, ip.DstIP, u.DstPort)
	}
	if ip.Length != 33 || u.Length != 13 || string(u.Payload) != "hello" {
		t.Errorf("lengths %d/%d payload %q, want 33/13 hello", ip.Length, u.Length, u.Payload)
	}
	b := recs[0].data
	if !checksumOK(b[:20], 0) || !checksumOK(b[20:], pseudo4(b[12:16], b[16:20], len(b)-20, 17)) {
		t.Errorf("bad checksum in % x", b)
	}
}

// TestUDP6Truncated: a datagram the reader cut short keeps its full length
// in the headers and the record, and only what was read is captured.
func TestUDP6Truncated(t *testing.T) {
	recs := write(t, Options{}, &families.Datagram{Call: "recvmmsg", Fd: 3, Spec: udp6, Data: []byte("hel"), Size: 5,
		Local: udpAddr("[::1]:8020"), Peer: udpAddr("[::1]:41000")})
	b := recs[0].data
	if recs[0].ci.Length != 40+8+5 || len(b) != 40+8+3 {
		t.Fatalf("record lengths %d captured of %d, want 51 of 53", len(b), recs[0].ci.Length)
	}
	if pl, ul := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[44:]); pl != 13 || ul != 13 {
		t.Errorf("payload length %d, UDP length %d, want 13 and 13", pl, ul)
	}
	if src := netip.AddrFrom16([16]byte(b[8:24])); src != netip.IPv6Loopback() || binary.BigEndian.Uint16(b[40:]) != 41000 {
		t.Errorf("source %v port %d, want ::1 41000", src, binary.BigEndian.Uint16(b[40:]))
	}
}

// TestWildcardSource: a socket bound to a wildcard address is given the
// source the route to its peer has, asked once per peer.
func TestWildcardSource(t *testing.T) {
	asked := 0
	o := Options{Source: func(dst netip.Addr) (netip.Addr, error) { asked++; return netip.MustParseAddr("10.1.2.3"), nil }}
	d := func() *families.Datagram {
		return &families.Datagram{Call: "sendmsg", Spec: udp4, Sent: true, Data: []byte("x"), Size: 1,
			Local: udpAddr("0.0.0.0:41000"), Peer: udpAddr("10.9.9.9:8020")}
	}
	recs := write(t, o, d(), d())
	for _, r := range recs {
		if src := netip.AddrFrom4([4]byte(r.data[12:16])); src != netip.MustParseAddr("10.1.2.3") {
			t.Errorf("source %v, want the route's 10.1.2.3", src)
		}
	}
	if asked != 1 {
		t.Errorf("Source asked %d times for one peer, want once", asked)
	}
}

// TestICMPChecksums: an ICMPv6 echo socklab sends with a zero checksum
// (the kernel fills it in) is captured with the checksum the wire has; an
// ICMPv4 message from a datagram socket gets an IPv4 header.
func TestICMPChecksums(t *testing.T) {
	echo := []byte{128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'}
	recs := write(t, Options{},
		&families.Datagram{Call: "sendmsg", Spec: icmp6, Sent: true, Data: echo, Size: len(echo), Local: ipAddr("::1"), Peer: ipAddr("::1")},
		&families.Datagram{Call: "recvmsg", Spec: icmp4, Data: []byte{0, 0, 0xed, 0xcb, 0x12, 0x34, 0, 1}, Size: 8, Local: ipAddr("127.0.0.1"), Peer: ipAddr("127.0.0.1")})
	b := recs[0].data
	if b[6] != 58 || !checksumOK(b[40:], inet.PseudoSum6(netip.IPv6Loopback(), netip.IPv6Loopback(), 58, len(b)-40)) {
		t.Errorf("ICMPv6 record % x: not ICMPv6 with a valid checksum", b)
	}
	if !bytes.Equal(b[44:], echo[4:]) {
		t.Errorf("ICMPv6 body % x, want % x", b[44:], echo[4:])
	}
	b = recs[1].data
	if b[0]>>4 != 4 || b[9] != 1 || !checksumOK(b[:20], 0) || !bytes.Equal(b[20:], []byte{0, 0, 0xed, 0xcb, 0x12, 0x34, 0, 1}) {
		t.Errorf("ICMPv4 record % x: want an IPv4 header with a valid checksum, then the message as read", b)
	}
}

// TestHdrincl: a packet sent with IP_HDRINCL is written as the kernel
// sends it: total length, header checksum and a zero source filled in.
func TestHdrincl(t *testing.T) {
	pkt := []byte{0x45, 0, 0, 0, 0, 7, 0x40, 0, 64, 253, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1, 'x', 'y'}
	o := Options{Source: func(netip.Addr) (netip.Addr, error) { return netip.MustParseAddr("127.0.0.1"), nil }}
	b := write(t, o, &families.Datagram{Call: "sendmsg", Spec: hdrin, Sent: true, Data: pkt, Size: len(pkt), Peer: ipAddr("127.0.0.1")})[0].data
	if binary.BigEndian.Uint16(b[2:]) != 22 || !checksumOK(b[:20], 0) || !bytes.Equal(b[12:16], []byte{127, 0, 0, 1}) {
		t.Errorf("sent header % x: want length 22, a valid checksum, source 127.0.0.1", b[:20])
	}
}

// TestUnixFrame: a unix datagram is the upper-PDU tags, then the datagram;
// the names of both ends are in the comment.
func TestUnixFrame(t *testing.T) {
	d := &families.Datagram{Call: "recvmsg", Fd: 4, Spec: unixs, Data: []byte("hi"), Size: 2,
		Local: &net.UnixAddr{Name: "@socklab"}, Peer: &net.UnixAddr{Name: "/tmp/c.sock"}}
	fr := unixFrame(d)
	if !bytes.HasSuffix(fr.data, []byte("hi")) || fr.comment != "unix /tmp/c.sock > @socklab" || fr.kind != KindUnix {
		t.Errorf("frame %+v", fr)
	}
	tags := fr.data[:len(fr.data)-2]
	if binary.BigEndian.Uint16(tags) != tagProtoName || !bytes.Contains(tags, []byte("data\x00")) || !bytes.HasSuffix(tags, []byte{0, 0, 0, 0}) {
		t.Errorf("tags % x: want the protocol name first, the end tag last", tags)
	}
	recs := write(t, Options{Kind: KindUnix}, d)
	if len(recs) != 1 || recs[0].link != LinkTypeUpperPDU {
		t.Errorf("records %+v, want one of LINKTYPE_WIRESHARK_UPPER_PDU", recs)
	}
}

// TestLimits: past MaxFrames datagrams are counted and not written, and
// OnLimit is told once.
func TestLimits(t *testing.T) {
	told := 0
	var ds []*families.Datagram
	for range 5 {
		ds = append(ds, &families.Datagram{Call: "sendmsg", Spec: udp4, Sent: true, Data: []byte("x"), Size: 1, Local: udpAddr("127.0.0.1:1"), Peer: udpAddr("127.0.0.1:2")})
	}
	path := filepath.Join(t.TempDir(), "c.pcapng")
	w, err := Create(path, Options{MaxFrames: 2, OnLimit: func() { told++ }})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		d.Time = time.Now()
		w.Capture(d)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.Frames != 2 || st.OverLimit != 3 || st.Overflow != 0 || told != 1 || len(readBack(t, path)) != 2 {
		t.Errorf("stats %+v, told %d times; want 2 written, 3 over the limit, told once", st, told)
	}
}

// TestParseLimit: sizes take a unit, counts are bare numbers.
func TestParseLimit(t *testing.T) {
	for _, c := range []struct {
		in            string
		bytes, frames int64
	}{{"64MiB", 64 << 20, 0}, {"10MB", 10e6, 0}, {"500k", 500e3, 0}, {"1.5GiB", 3 << 29, 0}, {"4096B", 4096, 0}, {"1000", 0, 1000}, {"0", 0, 0}} {
		b, f, err := ParseLimit(c.in)
		if err != nil || b != c.bytes || f != c.frames {
			t.Errorf("ParseLimit(%q) = %d, %d, %v; want %d, %d", c.in, b, f, err, c.bytes, c.frames)
		}
	}
	for _, bad := range []string{"", "-1", "MB", "10 parsecs", "1e30GB"} {
		if _, _, err := ParseLimit(bad); err == nil || !strings.Contains(err.Error(), "64MiB") {
			t.Errorf("ParseLimit(%q): error %v, want one showing the form", bad, err)
		}
	}
}
