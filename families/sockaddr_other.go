//go:build !linux

package families

import "net"

// Bind is not supported on this system.
func Bind(fd, family int, addr net.Addr) error { return ErrUnsupported }

// Connect is not supported on this system.
func Connect(fd, family int, addr net.Addr) error { return ErrUnsupported }
