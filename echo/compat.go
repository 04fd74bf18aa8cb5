package echo

import "github.com/socklab/socklab/families"

// MaxDatagram is families.MaxDatagram.
//
// Deprecated: use families.MaxDatagram.
func MaxDatagram(c families.Conn) int { return families.MaxDatagram(c) }

// SetBuffers is families.SetBuffers.
//
// Deprecated: use families.SetBuffers.
func SetBuffers(c families.Conn, rcv, snd int) error { return families.SetBuffers(c, rcv, snd) }

// Buffers is families.Buffers.
//
// Deprecated: use families.Buffers.
func Buffers(c families.Conn) (rcv, snd int, err error) { return families.Buffers(c) }
