//go:build !linux

package families

import (
	"net"
	"net/netip"
)

// RecvBatch is the arena of one recvmmsg, which this system lacks: no Conn
// here is a BatchConn, so its methods are never reached.
type RecvBatch struct{}

// NewRecvBatch returns an empty RecvBatch on this system.
func NewRecvBatch(slots, bufsize, ctrl int) *RecvBatch { return &RecvBatch{} }

// Slots is 0 on this system.
func (b *RecvBatch) Slots() int { return 0 }

// Len is 0 on this system.
func (b *RecvBatch) Len() int { return 0 }

// Size is 0 on this system.
func (b *RecvBatch) Size(i int) int { return 0 }

// Data is nil on this system.
func (b *RecvBatch) Data(i int) []byte { return nil }

// Truncated is false on this system.
func (b *RecvBatch) Truncated(i int) bool { return false }

// Named is false on this system.
func (b *RecvBatch) Named(i int) bool { return false }

// Name is nil on this system.
func (b *RecvBatch) Name(i int) []byte { return nil }

// AddrPort is not known on this system.
func (b *RecvBatch) AddrPort(i int) (netip.AddrPort, bool) { return netip.AddrPort{}, false }

// Addr is nil on this system.
func (b *RecvBatch) Addr(i int) net.Addr { return nil }

// Control is nil on this system.
func (b *RecvBatch) Control(i int) []byte { return nil }

// SendBatch is the arena of one sendmmsg, which this system lacks.
type SendBatch struct{}

// NewSendBatch returns an empty SendBatch on this system.
func NewSendBatch(slots int) *SendBatch { return &SendBatch{} }

// SetPeer is not supported on this system.
func (b *SendBatch) SetPeer(family int, addr net.Addr) error { return ErrUnsupported }

// Reset does nothing on this system.
func (b *SendBatch) Reset() {}

// Len is 0 on this system.
func (b *SendBatch) Len() int { return 0 }

// Full is true on this system.
func (b *SendBatch) Full() bool { return true }

// Sent is 0 on this system.
func (b *SendBatch) Sent() int { return 0 }

// Skip does nothing on this system.
func (b *SendBatch) Skip() {}

// Add does nothing on this system.
func (b *SendBatch) Add(prefix, data []byte) {}

// AddReply does nothing on this system.
func (b *SendBatch) AddReply(rx *RecvBatch, i int, prefix, data []byte) {}

// SetConnected does nothing on this system.
func (b *RecvBatch) SetConnected(family int, peer net.Addr) error { return nil }

// SetWakeOnRoom does nothing on this system.
func (b *RecvBatch) SetWakeOnRoom(on bool) {}

// Room is false on this system.
func (b *RecvBatch) Room() bool { return false }
