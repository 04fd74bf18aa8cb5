package families

import (
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// RawConn returns the syscall.RawConn of c, or of the Conn it wraps: the
// one way this module reaches a Conn's descriptor.
func RawConn(c Conn) (syscall.RawConn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("%T has no descriptor: %w", c, ErrUnsupported)
	}
	return sc.SyscallConn()
}

// Control runs fn on c's descriptor (for socket options) and returns the
// error of either.
func Control(c Conn, fn func(fd int) error) error {
	rc, err := RawConn(c)
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// ReportICMPErrors asks the kernel to report ICMP errors (port unreachable,
// host unreachable) on an unconnected UDP socket as errors from the next
// read, with IP_RECVERR or IPV6_RECVERR. Without it only a connected socket
// hears them, and a client waits out its timeout. Other families: no-op.
func ReportICMPErrors(c Conn) error {
	s := c.Spec()
	return Control(c, func(fd int) error {
		switch s.Family {
		case AF_INET:
			return os.NewSyscallError("setsockopt IP_RECVERR", unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1))
		case AF_INET6:
			return os.NewSyscallError("setsockopt IPV6_RECVERR", unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1))
		}
		return nil
	})
}

// ConnectUnix connects a unix datagram Conn to peer, so the kernel delivers
// it only the peer's datagrams, however the peer's name is spelled. The Conn
// can still send to any address. It fails when no socket is bound at peer.
func ConnectUnix(c Conn, peer net.Addr) error {
	ua, ok := peer.(*net.UnixAddr)
	if !ok || c.Spec().Family != AF_UNIX {
		return fmt.Errorf("ConnectUnix: %v is not a unix address", peer)
	}
	return Control(c, func(fd int) error {
		return os.NewSyscallError("connect", unix.Connect(fd, &unix.SockaddrUnix{Name: ua.Name}))
	})
}
