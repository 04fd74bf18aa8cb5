//go:build !linux

package echo

import "github.com/socklab/socklab/families"

// MaxDatagram is the IP limit for UDP; unix sockets are not supported here.
func MaxDatagram(c families.Conn) int {
	if c.Spec().Family == families.AF_INET6 {
		return 65535 - 8
	}
	return 65535 - 20 - 8
}
