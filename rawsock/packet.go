package rawsock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Protocol numbers socklab builds headers for, and the experimental number
// RFC 3692 sets aside for tests like ours.
const (
	ProtoICMP         = 1
	ProtoUDP          = 17
	ProtoICMPv6       = 58
	ProtoExperimental = 253
)

// MaxIPv4Packet is the largest IPv4 packet: the total length field has 16 bits.
const MaxIPv4Packet = 65535

var protoNames = []struct {
	num   int
	names []string
}{
	{0, []string{"hopopt"}}, {1, []string{"icmp"}}, {2, []string{"igmp"}}, {4, []string{"ipip", "ipencap"}},
	{6, []string{"tcp"}}, {17, []string{"udp"}}, {41, []string{"ipv6"}}, {47, []string{"gre"}},
	{50, []string{"esp"}}, {51, []string{"ah"}}, {58, []string{"icmpv6", "ipv6-icmp"}},
	{89, []string{"ospf"}}, {103, []string{"pim"}}, {112, []string{"vrrp"}}, {132, []string{"sctp"}},
	{136, []string{"udplite"}}, {253, []string{"experimental", "exp1"}}, {254, []string{"exp2"}}, {255, []string{"raw", "reserved"}},
}

// ParseIPProto reads an IP protocol: a number from 0 to 255 or a name such
// as "udp", "icmp", "gre" or "experimental" (253).
func ParseIPProto(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 255 {
			return 0, fmt.Errorf("protocol %d out of range: an IP protocol number is 0 to 255", n)
		}
		return n, nil
	}
	var valid []string
	for _, p := range protoNames {
		for _, name := range p.names {
			if strings.EqualFold(s, name) {
				return p.num, nil
			}
		}
		valid = append(valid, p.names[0])
	}
	return 0, fmt.Errorf("unknown IP protocol %q: use a number 0-255 or one of %s", s, strings.Join(valid, ", "))
}

// IPProtoName is the short name of an IP protocol ("udp"), or its number.
func IPProtoName(n int) string {
	for _, p := range protoNames {
		if p.num == n {
			return p.names[0]
		}
	}
	return strconv.Itoa(n)
}

// IPv4Packet is a whole IPv4 packet described field by field, for a raw
// socket with IP_HDRINCL. For Proto 17 it also builds the UDP header, for
// Proto 1 an ICMP echo request; for any other protocol Payload follows the
// IP header as it is.
type IPv4Packet struct {
	Src        netip.Addr // zero or 0.0.0.0: the kernel fills in the route's source
	Dst        netip.Addr
	TTL        int  // 0 to 255
	TOS        int  // 0 to 255: DSCP << 2 | ECN
	ID         int  // 0 to 65535; 0 with DF clear: the kernel picks one
	DF, MF     bool // don't fragment, more fragments
	FragOffset int  // in units of 8 bytes, 0 to 8191 (13 bits)
	Proto      int  // 0 to 255

	SrcPort, DstPort int // UDP ports, when Proto is 17
	EchoID, EchoSeq  int // ICMP echo identifier and sequence, when Proto is 1

	Payload []byte
}

// transportLen is the size of the header socklab builds after the IP header.
func (p *IPv4Packet) transportLen() int {
	switch p.Proto {
	case ProtoUDP, ProtoICMP:
		return 8
	}
	return 0
}

// Len is the total length of the packet p builds.
func (p *IPv4Packet) Len() int { return ipv4.HeaderLen + p.transportLen() + len(p.Payload) }

// Validate checks every field against its width and the packet against
// IPv4's maximum length; the error names the field and its range.
func (p *IPv4Packet) Validate() error {
	if !p.Dst.Is4() {
		return fmt.Errorf("destination %v is not an IPv4 address: ip4 sends IPv4 only (for IPv6 use icmp6)", p.Dst)
	}
	if p.Src.IsValid() && !p.Src.Is4() {
		return fmt.Errorf("source %v is not an IPv4 address", p.Src)
	}
	for _, f := range []struct {
		name     string
		v, max   int
		whatBits string
	}{
		{"ttl", p.TTL, 255, "an 8-bit field"},
		{"tos", p.TOS, 255, "an 8-bit field"},
		{"id", p.ID, 65535, "a 16-bit field"},
		{"fragment offset", p.FragOffset, 8191, "a 13-bit field in units of 8 bytes"},
		{"protocol", p.Proto, 255, "an 8-bit field"},
		{"source port", p.SrcPort, 65535, "a 16-bit field"},
		{"destination port", p.DstPort, 65535, "a 16-bit field"},
		{"echo id", p.EchoID, 65535, "a 16-bit field"},
		{"echo sequence", p.EchoSeq, 65535, "a 16-bit field"},
	} {
		if f.v < 0 || f.v > f.max {
			return fmt.Errorf("%s %d out of range: it is %s, 0 to %d", f.name, f.v, f.whatBits, f.max)
		}
	}
	if n := p.Len(); n > MaxIPv4Packet {
		return fmt.Errorf("packet of %d bytes is longer than IPv4 allows (%d): send at most %d payload bytes",
			n, MaxIPv4Packet, MaxIPv4Packet-ipv4.HeaderLen-p.transportLen())
	}
	return nil
}

// Header returns the IPv4 header of p with its total length and checksum
// computed.
func (p *IPv4Packet) Header() (*ipv4.Header, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	h := &ipv4.Header{
		Version:  ipv4.Version,
		Len:      ipv4.HeaderLen,
		TOS:      p.TOS,
		TotalLen: p.Len(),
		ID:       p.ID,
		FragOff:  p.FragOffset,
		TTL:      p.TTL,
		Protocol: p.Proto,
		Src:      net.IPv4zero.To4(),
		Dst:      net.IP(p.Dst.AsSlice()),
	}
	if p.Src.IsValid() {
		h.Src = net.IP(p.Src.AsSlice())
	}
	if p.DF {
		h.Flags |= ipv4.DontFragment
	}
	if p.MF {
		h.Flags |= ipv4.MoreFragments
	}
	b, err := h.Marshal()
	if err != nil {
		return nil, err
	}
	h.Checksum = int(Checksum(b, 0))
	return h, nil
}

// Marshal returns the packet's bytes as the kernel gets them with
// IP_HDRINCL: the IP header with its checksum, then the UDP header with the
// pseudo-header checksum or the ICMP echo header, then the payload.
func (p *IPv4Packet) Marshal() ([]byte, error) {
	h, err := p.Header()
	if err != nil {
		return nil, err
	}
	b, err := h.Marshal()
	if err != nil {
		return nil, err
	}
	switch p.Proto {
	case ProtoUDP:
		seg := make([]byte, 8, 8+len(p.Payload))
		binary.BigEndian.PutUint16(seg[0:], uint16(p.SrcPort))
		binary.BigEndian.PutUint16(seg[2:], uint16(p.DstPort))
		binary.BigEndian.PutUint16(seg[4:], uint16(8+len(p.Payload)))
		seg = append(seg, p.Payload...)
		src := p.Src
		if !src.IsValid() {
			src = netip.IPv4Unspecified()
		}
		binary.BigEndian.PutUint16(seg[6:], UDPChecksum(src, p.Dst, seg))
		b = append(b, seg...)
	case ProtoICMP:
		m := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.EchoID, Seq: p.EchoSeq, Data: p.Payload}}
		mb, err := m.Marshal(nil)
		if err != nil {
			return nil, err
		}
		b = append(b, mb...)
	default:
		b = append(b, p.Payload...)
	}
	return b, nil
}

// UDPHeader is a decoded UDP header.
type UDPHeader struct {
	SrcPort, DstPort, Length, Checksum int
}

// Datagram is a received IPv4 packet, decoded.
type Datagram struct {
	Header  *ipv4.Header
	Payload []byte        // the bytes after the IP header, up to its total length
	UDP     *UDPHeader    // set for protocol 17 with 8 bytes or more
	ICMP    *icmp.Message // set for protocol 1 when it parses
}

// ErrNotIPv4 is returned by ParseIPv4 for bytes whose version is not 4.
var ErrNotIPv4 = errors.New("not an IPv4 packet")

// ParseIPv4 decodes b, an IPv4 packet as a raw socket delivers it: the
// header with x/net's ipv4.ParseHeader, then a UDP header or an ICMP
// message when the protocol is one of those. Payload aliases b.
func ParseIPv4(b []byte) (*Datagram, error) {
	h, err := ipv4.ParseHeader(b)
	if err != nil {
		return nil, err
	}
	if h.Version != 4 {
		return nil, fmt.Errorf("%w: version %d", ErrNotIPv4, h.Version)
	}
	end := len(b)
	if h.TotalLen >= h.Len && h.TotalLen < end {
		end = h.TotalLen
	}
	d := &Datagram{Header: h, Payload: b[h.Len:end]}
	if h.FragOff != 0 {
		return d, nil // a later fragment: no transport header here
	}
	switch h.Protocol {
	case ProtoUDP:
		if len(d.Payload) >= 8 {
			u := d.Payload
			d.UDP = &UDPHeader{SrcPort: int(binary.BigEndian.Uint16(u)), DstPort: int(binary.BigEndian.Uint16(u[2:])),
				Length: int(binary.BigEndian.Uint16(u[4:])), Checksum: int(binary.BigEndian.Uint16(u[6:]))}
		}
	case ProtoICMP:
		if m, err := icmp.ParseMessage(ProtoICMP, d.Payload); err == nil {
			d.ICMP = m
		}
	}
	return d, nil
}

// String describes d on one line, like tcpdump -v.
func (d *Datagram) String() string {
	h := d.Header
	var b strings.Builder
	fmt.Fprintf(&b, "%v > %v proto %s ttl %d tos %#02x id %d", h.Src, h.Dst, IPProtoName(h.Protocol), h.TTL, h.TOS, h.ID)
	if h.Flags&ipv4.DontFragment != 0 {
		b.WriteString(" DF")
	}
	if h.Flags&ipv4.MoreFragments != 0 {
		b.WriteString(" MF")
	}
	if h.FragOff != 0 {
		fmt.Fprintf(&b, " frag-offset %d (byte %d)", h.FragOff, h.FragOff*8)
	}
	fmt.Fprintf(&b, " len %d cksum %#04x", h.TotalLen, h.Checksum)
	if len(h.Options) > 0 {
		fmt.Fprintf(&b, " options %x", h.Options)
	}
	switch {
	case d.UDP != nil:
		fmt.Fprintf(&b, " udp %d > %d len %d cksum %#04x", d.UDP.SrcPort, d.UDP.DstPort, d.UDP.Length, d.UDP.Checksum)
	case d.ICMP != nil:
		fmt.Fprintf(&b, " icmp %v code %d", d.ICMP.Type, d.ICMP.Code)
		if e, ok := d.ICMP.Body.(*icmp.Echo); ok {
			fmt.Fprintf(&b, " id %d seq %d", e.ID, e.Seq)
		}
	}
	n := len(d.Payload)
	if d.UDP != nil || d.ICMP != nil {
		n = max(n-8, 0)
	}
	fmt.Fprintf(&b, " payload %d", n)
	return b.String()
}
