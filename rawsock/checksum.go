package rawsock

import (
	"net/netip"

	"github.com/socklab/socklab/internal/inet"
)

// Checksum returns the Internet checksum (RFC 1071) of b, folding in sum, a
// partial sum such as PseudoHeaderSum's. It is the one's complement of the
// one's complement sum of b's 16-bit words, b padded with a zero byte if odd.
func Checksum(b []byte, sum uint32) uint16 { return inet.Checksum(b, sum) }

// PseudoHeaderSum is the partial sum of the IPv4 pseudo-header that UDP and
// TCP checksums cover (RFC 768): source, destination, protocol and the
// upper-layer length. Pass it to Checksum with the upper-layer bytes.
func PseudoHeaderSum(src, dst netip.Addr, proto, length int) uint32 {
	return inet.PseudoSum4(src, dst, uint8(proto), length)
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
