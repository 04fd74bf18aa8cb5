//go:build !linux

package families

import (
	"net"
	"net/netip"
	"syscall"
)

func errnoName(e syscall.Errno) string { return e.Error() }

// SetsockoptInt is not supported on this system.
func SetsockoptInt(fd, level, opt, v int) error { return ErrUnsupported }

// GetsockoptInt is not supported on this system.
func GetsockoptInt(fd, level, opt int) (int, error) { return 0, ErrUnsupported }

// InterfaceAddrs is net.InterfaceAddrs on this system.
func InterfaceAddrs() ([]net.Addr, error) { return net.InterfaceAddrs() }

// RouteSource is not supported on this system.
func RouteSource(dst netip.Addr) (netip.Addr, error) { return netip.Addr{}, ErrUnsupported }

// Resolver is Go's default resolver on this system.
func Resolver() *net.Resolver { return net.DefaultResolver }

// Settings reads nothing on this system.
func Settings(c Conn) []Setting { return nil }

// Settings reads nothing on this system.
func (d *Datagram) Settings() []Setting { return nil }
