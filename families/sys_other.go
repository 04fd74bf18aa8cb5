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

// Interfaces is net.Interfaces on this system.
func Interfaces() ([]net.Interface, error) { return net.Interfaces() }

// InterfaceByIndex is net.InterfaceByIndex on this system.
func InterfaceByIndex(index int) (*net.Interface, error) { return net.InterfaceByIndex(index) }

// InterfaceByName is net.InterfaceByName on this system.
func InterfaceByName(name string) (*net.Interface, error) { return net.InterfaceByName(name) }

// InterfaceAddrsOf is the addresses of interface index on this system.
func InterfaceAddrsOf(index int) ([]net.Addr, error) {
	ifi, err := net.InterfaceByIndex(index)
	if err != nil {
		return nil, err
	}
	return ifi.Addrs()
}
