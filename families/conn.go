package families

import (
	"net"
	"os"
)

// Conn is a datagram endpoint of any family: a net.PacketConn that also says
// what socket it is and reports truncated datagrams.
//
// A connected socket of a connection-oriented family (a StreamConn) is a
// Conn too, so that socket options and deadlines work the same on it:
// ReadFrom and ReadMsg read from its one peer, and WriteTo sends to it.
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

// Msg is what one recvmsg(2) returned.
type Msg struct {
	N     int      // bytes read into the buffer
	Size  int      // the datagram's full length (MSG_TRUNC); > N when truncated
	OOBN  int      // bytes of ancillary data written to oob
	Flags int      // the msg_flags the kernel set: MSG_TRUNC, MSG_CTRUNC, MSG_ERRQUEUE
	Addr  net.Addr // the sender; nil when it has no address
}

// MsgConn is implemented by every Conn this package returns: one recvmsg
// with ancillary data, for families that read control messages (the TTL
// of ICMP replies, the error queue).
type MsgConn interface {
	Conn
	// RecvMsg reads one datagram into b and its control messages into
	// oob, with recvmsg(2) flags MSG_TRUNC|flags. With MSG_DONTWAIT in
	// flags it returns EAGAIN at once when nothing is queued; otherwise
	// it waits until the read deadline.
	RecvMsg(b, oob []byte, flags int) (Msg, error)
	// RecvMsgBuffers is RecvMsg into several buffers in turn (a raw
	// socket's IP header into one, its payload into the next, say); Msg.N
	// counts the bytes in all of them.
	RecvMsgBuffers(bufs [][]byte, oob []byte, flags int) (Msg, error)
	// WriteMsg is WriteTo with control messages (sendmsg(2)), such as
	// ReplyControl's.
	WriteMsg(b, oob []byte, addr net.Addr) (int, error)
}

// CredReader is implemented by the Conns of this package: ReadMsgCred is
// ReadMsg that also returns a unix sender's credentials while SO_PASSCRED
// is on (see PassCred), zero otherwise. The PID tells apart senders that
// have no address.
type CredReader interface {
	ReadMsgCred(b []byte) (n, size int, addr net.Addr, cred Cred, err error)
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
	// Destination, on a UDP socket bound to a wildcard address, attaches
	// each datagram's destination to it from the first one on (see
	// RecvDestination), for a server that replies from it.
	Destination bool
	// ReusePort sets SO_REUSEPORT before a UDP socket binds, so that
	// several sockets can share the address (see OpenReusePort).
	ReusePort bool
	// Type, when not 0, is the socket type to create, for a family that
	// serves several (icmp4: SOCK_DGRAM or SOCK_RAW); 0 leaves the choice
	// to the family. Registry.Resolve's Definitions set it.
	Type int
	// Notify, when set, receives notices about what Open did beyond the
	// obvious, such as removing a stale socket file.
	Notify func(msg string)
	// Backlog is the length of a listening socket's queue of connections
	// the kernel completed and nobody accepted yet (listen(2)); 0 takes
	// net.core.somaxconn, the most the kernel allows.
	Backlog int
	// NoReuseAddr leaves SO_REUSEADDR off on a TCP listening socket. With
	// it on (the default, as in Go and most servers) a server can bind a
	// port that its predecessor's connections still hold in TIME_WAIT.
	NoReuseAddr bool
}
