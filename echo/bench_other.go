//go:build !linux

package echo

import (
	"net"

	"github.com/socklab/socklab/families"
)

// newBatchIO returns nil: sendmmsg/recvmmsg are Linux's, so other systems
// take the plain path.
func newBatchIO(c families.Conn, peer net.Addr, batch, rxsize int, connect bool) benchIO { return nil }

// benchCPUTime is not measured on systems other than Linux.
func benchCPUTime() benchCPU { return benchCPU{} }
