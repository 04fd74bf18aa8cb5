package rawsock

import (
	"net"

	"github.com/socklab/socklab/families"
)

// testHost is a families.HostAddrs with the interfaces of a made-up host:
// 127.0.0.1/8, 10.1.2.3/24 (broadcast 10.1.2.255) and fd00::3/64.
func testHost() *families.HostAddrs {
	return families.HostAddrsOf(func() ([]net.Addr, error) {
		return []net.Addr{
			&net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(8, 32)},
			&net.IPNet{IP: net.IPv4(10, 1, 2, 3), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("fd00::3"), Mask: net.CIDRMask(64, 128)},
		}, nil
	})
}
