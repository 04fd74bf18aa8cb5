package echo

import (
	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// MaxDatagram is the largest payload c can send in one datagram: 65507 for
// UDP over IPv4, 65527 over IPv6, and for a unix socket what its send buffer
// allows (SO_SNDBUF less the kernel's overhead).
func MaxDatagram(c families.Conn) int {
	s := c.Spec()
	switch s.Family {
	case families.AF_INET:
		return 65535 - 20 - 8
	case families.AF_INET6:
		return 65535 - 8
	}
	max := 0
	families.Control(c, func(fd int) error {
		v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
		if err == nil {
			// Measured on Linux 6.18: the largest datagram is SO_SNDBUF
			// less 32 bytes (212960 with the default 212992).
			max = v - 32
		}
		return err
	})
	return max
}
