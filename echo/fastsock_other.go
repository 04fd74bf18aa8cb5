//go:build !linux

package echo

import "github.com/socklab/socklab/families"

func socketDrops(c families.Conn) (uint32, bool) { return 0, false }

// SetBuffers is not supported on this system.
func SetBuffers(c families.Conn, rcv, snd int) error { return families.ErrUnsupported }

// Buffers is not supported on this system.
func Buffers(c families.Conn) (rcv, snd int, err error) { return 0, 0, families.ErrUnsupported }
