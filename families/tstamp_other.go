//go:build !linux

package families

import (
	"net"
	"time"
)

// EnableTimestamps is not supported on this system.
func EnableTimestamps(c Conn) error { return ErrUnsupported }

// ReadErrQueueStamped finds nothing on this system.
func ReadErrQueueStamped(c MsgConn, buf, oob []byte) (data []byte, rep ErrReport, sw, hw time.Time, ok bool) {
	return nil, ErrReport{}, time.Time{}, time.Time{}, false
}

// HardwareStamps are unavailable on this system.
func HardwareStamps(family int, peer net.Addr) string { return "unavailable on this system" }
