package families

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// control runs fn on c's descriptor.
func control(c Conn, fn func(fd int) error) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return ErrUnsupported
	}
	rc, err := sc.SyscallConn()
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
	return control(c, func(fd int) error {
		switch s.Family {
		case AF_INET:
			return os.NewSyscallError("setsockopt IP_RECVERR", unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1))
		case AF_INET6:
			return os.NewSyscallError("setsockopt IPV6_RECVERR", unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1))
		}
		return nil
	})
}
