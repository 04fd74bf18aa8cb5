//go:build !linux

package families

import (
	"net"
	"time"
)

// EnableTimestamps is not supported on this system.
func EnableTimestamps(c Conn) error { return ErrUnsupported }

// ReadTxTimestamp finds nothing on this system.
func ReadTxTimestamp(c MsgConn, buf, oob []byte) (data []byte, sw, hw time.Time, ok bool) {
	return nil, time.Time{}, time.Time{}, false
}

// HardwareStamps are unavailable on this system.
func HardwareStamps(family int, peer net.Addr) string { return "unavailable on this system" }
