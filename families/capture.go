package families

import (
	"net"
	"sync/atomic"
	"time"
)

// Capture: beside the Tracer, which sees every socket call, a Capture sees
// every datagram the Conns of this package send and receive, with the
// addresses at both ends, as the calls that moved them returned: one
// recvmsg or sendmsg, or each datagram of a recvmmsg or sendmmsg batch.
// With no Capture set a call costs one atomic load more (one per batch);
// nothing is built or allocated. Error queue reads (MSG_ERRQUEUE) are not
// datagrams and are left out.

// Datagram is one datagram a Conn of this package sent or received. It
// and its slices are valid only during the Capture's call, which is made
// while the socket is held open (so Settings may read it then).
type Datagram struct {
	Time time.Time
	// Call is the system call that moved it: "recvmsg", "sendmsg",
	// "recvmmsg" or "sendmmsg"; Index is its place in that call's batch.
	Call  string
	Index int
	Fd    int
	Spec  Spec
	Sent  bool
	// Data is the bytes sent, or read: on a raw IPv4 socket from the IP
	// header on. Size is the datagram's full length, more than len(Data)
	// when it was truncated.
	Data []byte
	Size int
	// Local is this end: the address the socket is bound to, or for a
	// socket bound to a wildcard address the datagram's own destination
	// (or source) when it carries one (IP_PKTINFO, see RecvDestination).
	// Peer is the other end: the sender, or where it was sent; nil for an
	// unbound unix sender.
	Local, Peer net.Addr
	// Control is the control messages read or sent with it.
	Control []byte
	// Conn is the Conn that moved it: a key for what a Capture keeps per
	// socket. Calling its methods from the Capture may deadlock.
	Conn Conn
}

// Capture receives each datagram, from the goroutine that moved it, one
// call at a time, in the order the datagrams went. It must not send or
// receive on a Conn of this package.
type Capture func(*Datagram)

var capture atomic.Pointer[Capture]

// SetCapture sets the Capture every datagram is reported to; nil stops
// capturing.
func SetCapture(c Capture) {
	if c == nil {
		capture.Store(nil)
		return
	}
	capture.Store(&c)
}

// Setting is one socket option, or address, in force on a socket.
type Setting struct {
	Name  string // "SO_RCVBUF", "IP_TTL", "local", "peer"
	Value string
}
