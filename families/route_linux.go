package families

import (
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// RouteSource is the source address the kernel picks for packets to dst:
// it connects a UDP socket to dst, which sends nothing, and reads the
// address the socket was given. The calls are this package's, where the
// Tracer sees them.
func RouteSource(dst netip.Addr) (netip.Addr, error) {
	dst = dst.Unmap()
	spec := NewSpec(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
	if dst.Is6() {
		spec.Family = AF_INET6
	}
	fd, err := Socket(spec)
	if err != nil {
		return netip.Addr{}, err
	}
	defer sysClose(fd)
	to := &net.UDPAddr{IP: net.IP(dst.AsSlice()), Port: 9, Zone: dst.Zone()}
	if err := Connect(fd, spec.Family, to); err != nil {
		return netip.Addr{}, &Error{Op: "connect", Spec: spec, Addr: to.String(), Err: os.NewSyscallError("connect", err), Hint: Hint(spec, err)}
	}
	ap, err := Sockname(fd)
	if err != nil {
		return netip.Addr{}, &Error{Op: "getsockname", Spec: spec, Err: os.NewSyscallError("getsockname", err)}
	}
	return ap.Addr().WithZone(""), nil
}

// Sockname is the IP address and port descriptor fd is bound to
// (getsockname); an error for a socket that is not IP.
func Sockname(fd int) (netip.AddrPort, error) {
	var a rawAddr
	if err := sysGetsockname(fd, &a, "udp"); err != nil {
		return netip.AddrPort{}, err
	}
	ap, ok := a.addrPort()
	if !ok {
		return netip.AddrPort{}, unix.EAFNOSUPPORT
	}
	return ap, nil
}
