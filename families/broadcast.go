package families

import (
	"encoding/binary"
	"net"
	"net/netip"
)

// Broadcast is the IPv4 broadcast address of the network of ipn, an
// interface's address and mask: the address with every host bit set. A
// prefix of 31 or 32 bits has none (a /31 holds the two ends of a
// point-to-point link, RFC 3021), and neither has IPv6.
func Broadcast(ipn *net.IPNet) (netip.Addr, bool) {
	ip, ok := netip.AddrFromSlice(ipn.IP)
	ones, bits := ipn.Mask.Size()
	if bits == 128 {
		ones -= 96 // an IPv4 mask written as an IPv6 one
	}
	ip = ip.Unmap()
	if !ok || !ip.Is4() || bits == 0 || ones < 0 || ones > 30 {
		return netip.Addr{}, false
	}
	b := ip.As4()
	v := binary.BigEndian.Uint32(b[:]) | (1<<(32-ones) - 1)
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b), true
}
