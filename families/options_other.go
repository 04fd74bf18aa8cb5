//go:build !linux

package families

import (
	"net"
	"syscall"
	"time"
)

// RawConn is not supported on this system.
func RawConn(c Conn) (syscall.RawConn, error) { return nil, ErrUnsupported }

// Control is not supported on this system.
func Control(c Conn, fn func(fd int) error) error { return ErrUnsupported }

// ReportICMPErrors is not supported on this system.
func ReportICMPErrors(c Conn) error { return ErrUnsupported }

// ConnectUnix is not supported on this system.
func ConnectUnix(c Conn, peer net.Addr) error { return ErrUnsupported }

// PassCred is not supported on this system.
func PassCred(c Conn, on bool) error { return ErrUnsupported }

// Drops is not counted on this system.
func Drops(c Conn) (uint32, bool) { return 0, false }

// SetBuffers is not supported on this system.
func SetBuffers(c Conn, rcv, snd int) error { return ErrUnsupported }

// Buffers is not supported on this system.
func Buffers(c Conn) (rcv, snd int, err error) { return 0, 0, ErrUnsupported }

// MaxDatagram is the IP limit; unix sockets are not supported here.
func MaxDatagram(c Conn) int { return maxIPDatagram(c.Spec()) }

// RecvDestination is not supported on this system.
func RecvDestination(c Conn) error { return ErrUnsupported }

// ReplyControl returns dst unchanged on this system.
func ReplyControl(dst, rx []byte) []byte { return dst }

// SetSpin is not supported on this system.
func SetSpin(c Conn, d time.Duration) error { return ErrUnsupported }

// Readable is false on this system.
func Readable(c Conn) bool { return false }

// SendNow is not supported on this system.
func SendNow(c Conn, b, oob []byte, addr net.Addr) (int, error) { return 0, ErrUnsupported }
