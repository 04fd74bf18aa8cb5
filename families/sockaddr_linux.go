package families

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawAddr is a socket address as the kernel reads and writes it (a
// sockaddr_in, sockaddr_in6 or sockaddr_un) with its length: the one
// sockaddr codec of this module. bind, connect, sendto, sendmmsg,
// recvmsg, recvmmsg and getsockname all take it as it is, so a batch can
// answer a sender without building a Go address.
type rawAddr struct {
	sa unix.RawSockaddrAny
	n  uint32
}

func (a *rawAddr) ptr() unsafe.Pointer { return unsafe.Pointer(&a.sa) }

// bytes is the address as the kernel wrote it, for use as a map key.
func (a *rawAddr) bytes() []byte {
	return unsafe.Slice((*byte)(a.ptr()), min(int(a.n), unix.SizeofSockaddrAny))
}

// named reports whether a holds an address to answer: an unbound unix
// sender leaves no more than the family, or nothing at all.
func (a *rawAddr) named() bool { return a.n > 2 && a.sa.Addr.Family != unix.AF_UNSPEC }

// set encodes addr for a socket of family: a *net.UDPAddr, *net.TCPAddr,
// *FlowAddr or *net.IPAddr for AF_INET and AF_INET6 sockets of any type
// (an IPAddr has port 0, as raw and ICMP sockets want), a *net.UnixAddr
// ("@name" is abstract) for AF_UNIX.
func (a *rawAddr) set(family int, addr net.Addr) error {
	*a = rawAddr{}
	switch v := addr.(type) {
	case *net.UDPAddr:
		return a.setIP(family, v.IP, v.Port, v.Zone)
	case *net.TCPAddr:
		return a.setIP(family, v.IP, v.Port, v.Zone)
	case *FlowAddr:
		return a.setFlow(family, v)
	case *net.IPAddr:
		return a.setIP(family, v.IP, 0, v.Zone)
	case *net.UnixAddr:
		if family != AF_UNIX {
			return fmt.Errorf("%v is a unix address, not one for %s", v, FamilyName(family))
		}
		return a.setUnix(v.Name)
	case nil:
		return fmt.Errorf("no address")
	}
	return fmt.Errorf("%T %v is not an address for %s", addr, addr, FamilyName(family))
}

func (a *rawAddr) setIP(family int, ip net.IP, port int, zone string) error {
	if port < 0 || port > 65535 {
		return fmt.Errorf("port %d out of range", port)
	}
	switch family {
	case AF_INET:
		ip4 := ip.To4()
		if ip4 == nil && len(ip) != 0 {
			return fmt.Errorf("%v is not an IPv4 address", ip)
		}
		sa := (*unix.RawSockaddrInet4)(a.ptr())
		sa.Family = unix.AF_INET
		sa.Port = htons(port)
		copy(sa.Addr[:], ip4)
		a.n = unix.SizeofSockaddrInet4
	case AF_INET6:
		sa := (*unix.RawSockaddrInet6)(a.ptr())
		sa.Family = unix.AF_INET6
		sa.Port = htons(port)
		copy(sa.Addr[:], ip.To16())
		if zone != "" {
			index, err := ifIndex(zone)
			if err != nil {
				return fmt.Errorf("zone %q: %w", zone, err)
			}
			sa.Scope_id = uint32(index)
		}
		a.n = unix.SizeofSockaddrInet6
	default:
		return fmt.Errorf("%v is an IP address, not one for %s", ip, FamilyName(family))
	}
	return nil
}

// setFlow encodes a UDP address with its IPv6 flow label in sin6_flowinfo.
func (a *rawAddr) setFlow(family int, v *FlowAddr) error {
	if err := a.setIP(family, v.IP, v.Port, v.Zone); err != nil {
		return err
	}
	if family == AF_INET6 {
		sa := (*unix.RawSockaddrInet6)(a.ptr())
		b := (*[4]byte)(unsafe.Pointer(&sa.Flowinfo))
		b[0], b[1], b[2], b[3] = 0, byte(v.Label>>16&0x0f), byte(v.Label>>8), byte(v.Label)
	}
	return nil
}

func (a *rawAddr) setUnix(name string) error {
	if err := CheckUnixName(name); err != nil {
		return err
	}
	sa := (*unix.RawSockaddrUnix)(a.ptr())
	sa.Family = unix.AF_UNIX
	n := len(name)
	if strings.HasPrefix(name, "@") {
		// Abstract: a NUL, then the name, with no terminator.
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&sa.Path[1])), n-1), name[1:])
	} else {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&sa.Path[0])), n), name)
		n++ // the terminating NUL
	}
	a.n = uint32(2 + n)
	return nil
}

// addr decodes a to the Go address of network: *net.UDPAddr for "udp4"
// and "udp6", *net.TCPAddr for "tcp4" and "tcp6", *net.IPAddr for "ip4..."
// and "ip6...", *net.UnixAddr for unix networks. It returns nil when a holds no address.
func (a *rawAddr) addr(network string) net.Addr {
	if a.n == 0 {
		return nil
	}
	switch a.sa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(a.ptr())
		return ipAddr(network, net.IP(append([]byte(nil), sa.Addr[:]...)), ntohs(sa.Port), "")
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(a.ptr())
		zone := ""
		if sa.Scope_id != 0 {
			if name, err := ifName(int(sa.Scope_id)); err == nil {
				zone = name
			}
		}
		return ipAddr(network, net.IP(append([]byte(nil), sa.Addr[:]...)), ntohs(sa.Port), zone)
	case unix.AF_UNIX:
		return &net.UnixAddr{Name: a.unixName(), Net: network}
	}
	return nil
}

// addrPort decodes an IP sockaddr without allocating (an IPv6 zone is
// left out).
func (a *rawAddr) addrPort() (netip.AddrPort, bool) {
	switch a.sa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(a.ptr())
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(ntohs(sa.Port))), true
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(a.ptr())
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(ntohs(sa.Port))), true
	}
	return netip.AddrPort{}, false
}

func ipAddr(network string, ip net.IP, port int, zone string) net.Addr {
	switch {
	case strings.HasPrefix(network, "ip"):
		return &net.IPAddr{IP: ip, Zone: zone}
	case strings.HasPrefix(network, "tcp"):
		return &net.TCPAddr{IP: ip, Port: port, Zone: zone}
	}
	return &net.UDPAddr{IP: ip, Port: port, Zone: zone}
}

// unixName spells a sockaddr_un as this package does: a path, "@name" for
// an abstract name, "" for an unbound socket.
func (a *rawAddr) unixName() string {
	n := int(a.n) - 2
	if n <= 0 {
		return ""
	}
	sa := (*unix.RawSockaddrUnix)(a.ptr())
	path := unsafe.Slice((*byte)(unsafe.Pointer(&sa.Path[0])), min(n, len(sa.Path)))
	if path[0] == 0 {
		return "@" + string(path[1:])
	}
	for i, c := range path {
		if c == 0 {
			return string(path[:i])
		}
	}
	return string(path)
}

func htons(p int) uint16 {
	var v uint16
	b := (*[2]byte)(unsafe.Pointer(&v))
	b[0], b[1] = byte(p>>8), byte(p)
	return v
}

func ntohs(v uint16) int {
	b := (*[2]byte)(unsafe.Pointer(&v))
	return int(b[0])<<8 | int(b[1])
}

// Bind binds descriptor fd, a socket of family, to addr (see Conn.WriteTo
// for the address types each family takes). The error is the bare errno.
func Bind(fd, family int, addr net.Addr) error {
	var a rawAddr
	if err := a.set(family, addr); err != nil {
		return err
	}
	return sysSockaddr("bind", unix.SYS_BIND, fd, &a)
}

// Connect connects descriptor fd, a socket of family, to addr.
func Connect(fd, family int, addr net.Addr) error {
	var a rawAddr
	if err := a.set(family, addr); err != nil {
		return err
	}
	return sysSockaddr("connect", unix.SYS_CONNECT, fd, &a)
}

// sockname returns the address fd is bound to, as network spells it.
func sockname(fd int, network string) (net.Addr, error) {
	var a rawAddr
	if err := sysGetsockname(fd, &a, network); err != nil {
		return nil, err
	}
	return a.addr(network), nil
}
