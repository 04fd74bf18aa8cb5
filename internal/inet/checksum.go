// Package inet holds the Internet checksum (RFC 1071) and the
// pseudo-header sums that UDP, TCP and ICMPv6 checksums cover, for the
// packages that build or check packets (rawsock, pcap).
package inet

import (
	"encoding/binary"
	"net/netip"
)

// Sum adds b's 16-bit big-endian words to s, a trailing odd byte padded
// with zero: the ones' complement sum before folding.
func Sum(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// Fold reduces s to 16 bits, carries added back in.
func Fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return uint16(s)
}

// Checksum is the Internet checksum of b, folding in s, a partial sum
// such as PseudoSum4's: the ones' complement of the ones' complement sum.
// Over a packet whose checksum field is right, it is 0.
func Checksum(b []byte, s uint32) uint16 { return ^Fold(Sum(b, s)) }

// PseudoSum4 is the sum of the IPv4 pseudo-header (RFC 768) of an
// upper-layer packet of n bytes of protocol proto, from src to dst.
func PseudoSum4(src, dst netip.Addr, proto uint8, n int) uint32 {
	s4, d4 := src.As4(), dst.As4()
	return Sum(d4[:], Sum(s4[:], 0)) + uint32(proto) + uint32(n)
}

// PseudoSum6 is the sum of the IPv6 pseudo-header (RFC 8200 8.1) of an
// upper-layer packet of n bytes of protocol next, from src to dst.
func PseudoSum6(src, dst netip.Addr, next uint8, n int) uint32 {
	s16, d16 := src.As16(), dst.As16()
	return Sum(d16[:], Sum(s16[:], 0)) + uint32(n>>16) + uint32(n&0xffff) + uint32(next)
}
