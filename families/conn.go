package families

import (
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
)

// Conn is a datagram endpoint of any family: a net.PacketConn that also says
// what socket it is and reports truncated datagrams.
//
// The Conns this package returns also implement syscall.Conn, so callers can
// reach the descriptor for socket options or batch I/O; callers must keep a
// plain path that needs nothing but Conn.
type Conn interface {
	net.PacketConn
	// Spec is the socket() triple the Conn was opened as, with Fileno set
	// when it adopted an inherited descriptor.
	Spec() Spec
	// ReadMsg reads one datagram into b and returns the bytes read, n, and
	// the datagram's full length, size. A datagram socket delivers one
	// datagram per call: when size > n the kernel discarded the last size-n
	// bytes (MSG_TRUNC) and no later read returns them. addr is nil when the
	// sender has no address (an unbound unix socket).
	ReadMsg(b []byte) (n, size int, addr net.Addr, err error)
}

// CredReader is implemented by unix Conns: ReadMsgCred is ReadMsg that also
// returns the sender's process ID (0 when unknown), which tells apart senders
// that have no address.
type CredReader interface {
	ReadMsgCred(b []byte) (n, size int, addr net.Addr, pid int, err error)
}

// Options says how to open a Conn.
type Options struct {
	// Addr is the local address to bind: "127.0.0.1:8020", "[::1]:0", a
	// unix path or "@abstract". Empty binds an ephemeral port, or autobinds
	// a unix socket to a kernel-chosen abstract name.
	Addr string
	// File, when set, is an open socket to adopt instead of creating one,
	// like the fileno argument of Python's socket(). Its triple must be one
	// the family serves. Open duplicates it; the caller still owns File.
	File *os.File
	// Mode, when non-zero, is set as the permission bits of a unix socket file.
	Mode os.FileMode
	// Notify, when set, receives notices about what Open did beyond the
	// obvious, such as removing a stale socket file.
	Notify func(msg string)
}

// Error is a failure to open or use a socket: what was tried, on which
// socket and address, the cause, and the fix a user can apply.
type Error struct {
	Op   string // "socket", "bind", "adopt", "send", "read"
	Spec Spec
	Addr string // the address involved, if any
	Err  error  // the cause, often an *os.SyscallError
	Hint string // what to do about it, if known
}

// Error formats e on one line:
// "bind socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) 127.0.0.1:80: permission denied: HINT".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(" ")
	if e.Spec.Family == 0 && e.Spec.Type == 0 {
		// Nothing is known of the socket but its descriptor.
		b.WriteString("fd " + strconv.Itoa(e.Spec.Fileno))
	} else {
		b.WriteString(e.Spec.String())
	}
	if e.Addr != "" {
		b.WriteString(" ")
		b.WriteString(e.Addr)
	}
	if e.Err != nil {
		b.WriteString(": ")
		var se *os.SyscallError
		if errors.As(e.Err, &se) {
			b.WriteString(se.Err.Error())
		} else {
			b.WriteString(e.Err.Error())
		}
	}
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, os.ErrPermission) and
// errors.Is(err, syscall.EADDRINUSE) see through Error.
func (e *Error) Unwrap() error { return e.Err }

// ErrUnsupported is returned by Open on systems other than Linux.
var ErrUnsupported = errors.New("socklab sockets are implemented for Linux only")
