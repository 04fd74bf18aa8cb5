package rawsock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// UDPHeader is a decoded UDP header.
type UDPHeader struct {
	SrcPort, DstPort, Length, Checksum int
}

// DecodedIPv4 is an IPv4 packet decoded by ParseIPv4: its header, and the
// UDP header or ICMP message after it when it carries one.
type DecodedIPv4 struct {
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
func ParseIPv4(b []byte) (*DecodedIPv4, error) {
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
	d := &DecodedIPv4{Header: h, Payload: b[h.Len:end]}
	if h.FragOff == 0 { // a later fragment has no transport header
		d.decodeTransport()
	}
	return d, nil
}

func (d *DecodedIPv4) decodeTransport() {
	switch d.Header.Protocol {
	case ProtoUDP:
		if u := d.Payload; len(u) >= 8 {
			d.UDP = &UDPHeader{SrcPort: int(binary.BigEndian.Uint16(u)), DstPort: int(binary.BigEndian.Uint16(u[2:])),
				Length: int(binary.BigEndian.Uint16(u[4:])), Checksum: int(binary.BigEndian.Uint16(u[6:]))}
		}
	case ProtoICMP:
		if m, err := icmp.ParseMessage(ProtoICMP, d.Payload); err == nil {
			d.ICMP = m
		}
	}
}

// String describes d on one line, like tcpdump -v.
func (d *DecodedIPv4) String() string {
	var b strings.Builder
	writeIPv4Header(&b, d.Header)
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

func writeIPv4Header(b *strings.Builder, h *ipv4.Header) {
	fmt.Fprintf(b, "%v > %v proto %s ttl %d tos %#02x id %d", h.Src, h.Dst, IPProtoName(h.Protocol), h.TTL, h.TOS, h.ID)
	if h.Flags&ipv4.DontFragment != 0 {
		b.WriteString(" DF")
	}
	if h.Flags&ipv4.MoreFragments != 0 {
		b.WriteString(" MF")
	}
	if h.FragOff != 0 {
		fmt.Fprintf(b, " frag-offset %d (byte %d)", h.FragOff, h.FragOff*8)
	}
	fmt.Fprintf(b, " len %d cksum %#04x", h.TotalLen, h.Checksum)
	if len(h.Options) > 0 {
		fmt.Fprintf(b, " options %x", h.Options)
	}
}
