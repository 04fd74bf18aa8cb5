//go:build !linux

package families

import (
	"context"
	"net"
)

// PathMTU is not supported on this system.
func PathMTU(family int, peer net.Addr) (int, error) { return 0, ErrUnsupported }

// IPOverhead is the IP and UDP header bytes of a datagram of family.
func IPOverhead(family int) int {
	if family == AF_INET6 {
		return 48
	}
	return 28
}

// ProbePathMTU is not supported on this system.
func ProbePathMTU(ctx context.Context, def *Definition, peer *net.UDPAddr, cfg PMTUConfig) (PMTUResult, error) {
	return PMTUResult{}, ErrUnsupported
}
