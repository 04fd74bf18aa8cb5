package families

import (
	"net"
	"syscall"
	"time"
)

// Connection-oriented sockets: SOCK_STREAM (TCP, unix stream) and
// SOCK_SEQPACKET (unix seqpacket). A server listens (Definition.Listen) and
// accepts one StreamConn per client; a client connects one (Definition.Dial).
// Each StreamConn is the same descriptor-backed conn as the datagram
// families' Conn, its system calls (accept4, connect, recvfrom, sendmsg,
// shutdown) made in this package, waiting in Go's netpoller.
//
// The two types differ in what a read returns. A stream is bytes: a read
// returns whatever has arrived, however it was written (two writes may come
// back in one read, one write in several), and what does not fit in the
// buffer waits for the next read. A seqpacket socket keeps each write whole
// as one message, as a datagram socket does, and delivers them reliably and
// in order: a read returns one message, and the part of it beyond the buffer
// is discarded (ReadMsg reports the message's full length, MSG_TRUNC).

// StreamConn is one end of an established connection: a net.Conn that is
// also a Conn (see Conn), so socket options, deadlines and Spec work on it as
// on a datagram socket.
//
// Writes use MSG_NOSIGNAL: writing to a connection whose peer has gone
// returns EPIPE (syscall.EPIPE under the *net.OpError) instead of raising
// SIGPIPE. A read returns io.EOF once the peer has closed or shut down its
// side and everything it sent has been read; a peer that closed with data
// of ours unread, or aborted, makes reads fail with ECONNRESET.
type StreamConn interface {
	Conn
	net.Conn
	// SyscallConn exposes the descriptor, for socket options.
	syscall.Conn
	// WriteBuffers writes bufs in order with one sendmsg (writev) where
	// the send buffer has room, waiting for room until the write deadline.
	// On SOCK_SEQPACKET they make one message.
	WriteBuffers(bufs ...[]byte) (int, error)
	// ReadPooled reads like ReadMsg into buf, but holds no buffer while it
	// waits: when nothing is there to read it gives buf back to pool, and
	// once data arrives it reads into a buffer from pool. It returns the
	// buffer read into, which the caller owns (nil only when it had none
	// to give back), the bytes read, n, and the message's full length,
	// size (n for a stream). A server of many idle connections thus keeps
	// no read buffer per connection.
	ReadPooled(buf []byte, pool BufferPool) (b []byte, n, size int, err error)
	// CloseWrite shuts down the sending side (shutdown(SHUT_WR)): the
	// peer reads EOF after what was sent, and can still answer.
	CloseWrite() error
	// CloseRead shuts down the receiving side (shutdown(SHUT_RD)).
	CloseRead() error
}

// BufferPool lends read buffers to StreamConn.ReadPooled. Get returns a
// buffer of the length reads should fill; Put takes one back.
type BufferPool interface {
	Get() []byte
	Put([]byte)
}

// Listener is a listening socket of a connection-oriented family. It is a
// net.Listener whose Accept returns StreamConns, and Close removes the unix
// socket file it created, as a Conn's does.
type Listener interface {
	net.Listener
	// SyscallConn exposes the descriptor, for socket options.
	syscall.Conn
	// AcceptStream waits until the deadline for the next connection the
	// kernel completed, and returns it. A connection that was reset
	// before it could be accepted (ECONNABORTED) is skipped. Errors are
	// *net.OpError with Op "accept"; EMFILE and ENFILE (no descriptor
	// left) leave the connection queued, for a later call.
	AcceptStream() (StreamConn, error)
	// Spec is the listening socket's triple, Fileno set when adopted.
	Spec() Spec
	// SetDeadline sets the deadline of Accept and AcceptStream.
	SetDeadline(t time.Time) error
}

// Sock is any socket of this package: a Conn, a StreamConn or a Listener.
// The socket options of connection-oriented sockets (PeerCred, SetNoDelay,
// SetSockBuffers) take one.
type Sock interface {
	Spec() Spec
	syscall.Conn
}
