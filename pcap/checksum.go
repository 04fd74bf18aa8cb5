package pcap

import (
	"encoding/binary"
	"net/netip"
)

// The Internet checksum (RFC 1071): the ones' complement of the ones'
// complement sum of 16-bit words.

// sum adds b's 16-bit big-endian words to s, a trailing odd byte padded
// with zero.
func sum(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// fold reduces s to 16 bits, carries added back in.
func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// pseudoSum6 is the sum of the IPv6 pseudo-header (RFC 8200 8.1) of an
// upper-layer packet of n bytes of protocol next, from src to dst.
func pseudoSum6(src, dst netip.Addr, n int, next uint8) uint32 {
	s16, d16 := src.As16(), dst.As16()
	s := sum(s16[:], 0)
	s = sum(d16[:], s)
	return s + uint32(n>>16) + uint32(n&0xffff) + uint32(next)
}
