package rawsock

import (
	"net"
	"net/netip"
	"syscall"

	"github.com/socklab/socklab/families"
)

// IP4Conn is a raw IPv4 socket whose reads and writes are whole packets,
// IPv4 header included: the IP_HDRINCL socket ip4 sends on,
// socket(AF_INET, SOCK_RAW, IPPROTO_RAW), to which the kernel delivers
// nothing, or socket(AF_INET, SOCK_RAW, proto), which receives every packet
// of proto. ReadFrom keeps the header, as ReadMsg does; package net's
// IPConn.ReadFrom would drop it.
type IP4Conn struct {
	families.Conn
}

// OpenIP4 opens the IP_HDRINCL socket, socket(AF_INET, SOCK_RAW,
// IPPROTO_RAW): send only, every packet carries the header we built.
func OpenIP4() (*IP4Conn, error) { return openIP4(IP4Spec) }

// openRawProto opens socket(AF_INET, SOCK_RAW, proto), which receives every
// IPv4 packet of proto, header included.
func openRawProto(proto int) (*IP4Conn, error) {
	return openIP4(families.NewSpec(families.AF_INET, families.SOCK_RAW, proto))
}

func openIP4(spec families.Spec) (*IP4Conn, error) {
	fd, err := families.Socket(spec)
	if err != nil {
		return nil, err
	}
	c, err := families.NewConn(fd, spec)
	if err != nil {
		return nil, err
	}
	return &IP4Conn{c}, nil
}

// ReadFrom reads one packet, header included, as ReadMsg does.
func (c *IP4Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, addr, err := c.ReadMsg(b)
	return n, addr, err
}

// SyscallConn exposes the descriptor, as every families Conn does.
func (c *IP4Conn) SyscallConn() (syscall.RawConn, error) { return families.RawConn(c.Conn) }

// WritePacket sends b, a whole IPv4 packet such as IPv4Packet.Marshal
// builds, to dst. The error says why the kernel refused the header, and
// what to do.
func (c *IP4Conn) WritePacket(b []byte, dst netip.Addr) error {
	if _, err := c.WriteTo(b, &net.IPAddr{IP: net.IP(dst.AsSlice())}); err != nil {
		return sendIP4Error(c.Spec(), dst.String(), len(b), err)
	}
	return nil
}

// RouteSource is the source address the kernel picks for dst: it connects
// a UDP socket, which sends nothing, and reads its address.
func RouteSource(dst netip.Addr) (netip.Addr, error) { return families.RouteSource(dst) }
