package families

import (
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// PathMTU is the path MTU the kernel holds for peer: IP_MTU (IPV6_MTU) of
// a UDP socket connected to it, which is the route's MTU lowered by any
// "fragmentation needed" or "packet too big" the kernel has heard for the
// destination.
func PathMTU(family int, peer net.Addr) (int, error) {
	spec := NewSpec(family, SOCK_DGRAM, IPPROTO_UDP)
	fd, err := sysSocket(spec)
	if err != nil {
		return 0, os.NewSyscallError("socket", err)
	}
	defer sysClose(fd)
	if err := Connect(fd, family, peer); err != nil {
		return 0, os.NewSyscallError("connect", err)
	}
	level, opt, name := unix.IPPROTO_IP, unix.IP_MTU, "getsockopt IP_MTU"
	if family == AF_INET6 {
		level, opt, name = unix.IPPROTO_IPV6, unix.IPV6_MTU, "getsockopt IPV6_MTU"
	}
	mtu, err := GetsockoptInt(fd, level, opt)
	return mtu, os.NewSyscallError(name, err)
}

// IPOverhead is the IP and UDP header bytes of a datagram of family: 28
// over IPv4, 48 over IPv6. An MTU less this is the largest payload.
func IPOverhead(family int) int {
	if family == AF_INET6 {
		return 48
	}
	return 28
}
