package rawsock

import (
	"encoding/binary"
	"net/netip"
)

// Checksum returns the Internet checksum (RFC 1071) of b, folding in sum, a
// partial sum such as PseudoHeaderSum's. It is the one's complement of the
// one's complement sum of b's 16-bit words, b padded with a zero byte if odd.
func Checksum(b []byte, sum uint32) uint16 {
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// PseudoHeaderSum is the partial sum of the IPv4 pseudo-header that UDP and
// TCP checksums cover (RFC 768): source, destination, protocol and the
// upper-layer length. Pass it to Checksum with the upper-layer bytes.
func PseudoHeaderSum(src, dst netip.Addr, proto, length int) uint32 {
	s, d := src.As4(), dst.As4()
	var sum uint32
	sum += uint32(s[0])<<8 | uint32(s[1])
	sum += uint32(s[2])<<8 | uint32(s[3])
	sum += uint32(d[0])<<8 | uint32(d[1])
	sum += uint32(d[2])<<8 | uint32(d[3])
	sum += uint32(proto)
	sum += uint32(length)
	return sum
}

// UDPChecksum returns the checksum to put in the UDP header of segment (the
// UDP header, with a zero checksum field, and the payload) sent from src to
// dst. A computed 0 is sent as 0xffff, since 0 means "no checksum".
func UDPChecksum(src, dst netip.Addr, segment []byte) uint16 {
	c := Checksum(segment, PseudoHeaderSum(src, dst, 17, len(segment)))
	if c == 0 {
		c = 0xffff
	}
	return c
}
