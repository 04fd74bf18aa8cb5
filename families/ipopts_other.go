//go:build !linux

package families

import (
	"net/netip"
	"time"
)

// SetIPOptions is not supported on this system.
func SetIPOptions(c Conn, o IPOptions) error { return ErrUnsupported }

// ReadIPOptions is not supported on this system.
func ReadIPOptions(c Conn) (IPOptionsRead, error) { return IPOptionsRead{}, ErrUnsupported }

// JoinGroup is not supported on this system.
func JoinGroup(c Conn, g Group, source netip.Addr) error { return ErrUnsupported }

// LeaveGroup is not supported on this system.
func LeaveGroup(c Conn, g Group, source netip.Addr) error { return ErrUnsupported }

// EnableRecvInfo is not supported on this system.
func EnableRecvInfo(c Conn) error { return ErrUnsupported }

// ParseRecvInfo knows nothing on this system.
func ParseRecvInfo(oob []byte) RecvInfo { return RecvInfo{TTL: -1, TOS: -1} }

// ParseTimestamps knows nothing on this system.
func ParseTimestamps(oob []byte) (sw, hw time.Time) { return time.Time{}, time.Time{} }
