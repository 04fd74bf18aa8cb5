package rawsock

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"

	"golang.org/x/net/ipv4"
)

// MaxIPv4Packet is the largest IPv4 packet: the total length field has 16 bits.
const MaxIPv4Packet = 65535

// IPv4Packet is a whole IPv4 packet described field by field, for a raw
// socket with IP_HDRINCL. For Proto 17 it also builds the UDP header, for
// Proto 1 an ICMP echo request; for any other protocol Payload follows the
// IP header as it is.
type IPv4Packet struct {
	Src        netip.Addr // zero or 0.0.0.0: the kernel fills in the route's source
	Dst        netip.Addr
	TTL        int  // 0 to 255
	TOS        int  // 0 to 255: DSCP << 2 | ECN
	ID         int  // 0 to 65535; 0 with DF clear: the kernel picks one; Random: FillDefaults does
	DF, MF     bool // don't fragment, more fragments
	FragOffset int  // in units of 8 bytes, 0 to 8191 (13 bits)
	Proto      int  // 0 to 255

	SrcPort, DstPort int // UDP ports, when Proto is 17
	EchoID, EchoSeq  int // ICMP echo identifier (Random: FillDefaults picks one) and sequence, when Proto is 1

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
		b = append(b, p.udpSegment()...)
	case ProtoICMP:
		mb, err := marshalEcho(ipv4.ICMPTypeEcho, p.EchoID, p.EchoSeq, p.Payload)
		if err != nil {
			return nil, err
		}
		b = append(b, mb...)
	default:
		b = append(b, p.Payload...)
	}
	return b, nil
}

// udpSegment is the UDP header, with its pseudo-header checksum, and the
// payload.
func (p *IPv4Packet) udpSegment() []byte {
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
	return seg
}

// Random, as the ID or EchoID of an IPv4Packet, asks FillDefaults for a
// random one.
const Random = -1

// FillDefaults fills in what p leaves to socklab: an ID or EchoID of
// Random becomes a random non-zero one (RandomID), and an empty Payload
// becomes size bytes of ping's pattern when size > 0 (at most
// MaxIPv4Packet, so that Validate reports the limit).
func (p *IPv4Packet) FillDefaults(size int) {
	if p.ID == Random {
		p.ID = RandomID()
	}
	if p.EchoID == Random {
		p.EchoID = RandomID()
	}
	if len(p.Payload) == 0 && size > 0 {
		p.Payload = Pattern(min(size, MaxIPv4Packet))
	}
}

// Pattern returns n bytes of ping's payload pattern: 0, 1, 2 ... 255, 0 ...
func Pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// RandomID returns a random non-zero 16-bit identifier, for IP IDs and echo
// identifiers the kernel must not replace.
func RandomID() int {
	var b [2]byte
	for {
		rand.Read(b[:])
		if id := int(binary.BigEndian.Uint16(b[:])); id != 0 {
			return id
		}
	}
}
