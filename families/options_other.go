//go:build !linux

package families

import (
	"net"
	"syscall"
)

// ReportICMPErrors is not supported on this system.
func ReportICMPErrors(c Conn) error { return ErrUnsupported }

// ConnectUnix is not supported on this system.
func ConnectUnix(c Conn, peer net.Addr) error { return ErrUnsupported }

// Control is not supported on this system.
func Control(c Conn, fn func(fd int) error) error { return ErrUnsupported }

// RawConn is not supported on this system.
func RawConn(c Conn) (syscall.RawConn, error) { return nil, ErrUnsupported }
