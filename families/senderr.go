package families

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// SendError is the failure of a datagram of size bytes sent from c to peer:
// op "send" when the send itself failed, "read" when the wait for its
// answer did (an ICMP error the kernel reported, a deadline). It says what
// went wrong in the peer's terms (a unix path that is no socket, a port
// nobody listens on, a broadcast address, a smaller path MTU) and the fix.
func SendError(op string, c Conn, peer net.Addr, size int, err error) *Error {
	spec := c.Spec()
	e := &Error{Op: op, Spec: spec, Addr: peer.String(), Err: Cause(err)}
	refused := errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
	switch {
	case spec.Family == AF_UNIX && refused:
		unixPeerError(e, peer.String())
	case refused:
		e.Hint, e.Terms = "nothing listens at that port, the kernel answered port unreachable: start an echo server there", []Term{TermServer}
	case errors.Is(err, syscall.EMSGSIZE) && op == "read":
		e.Err = fmt.Errorf("%w: a link on the path has a smaller MTU than a %d-byte datagram", e.Err, size)
		e.Hint = "a router answered ICMP fragmentation needed and the kernel learned the path MTU: it fragments to it from now on, so sending again works; or send smaller datagrams"
	case errors.Is(err, syscall.EMSGSIZE):
		sizeHint(e, c, peer, size)
	case errors.Is(err, syscall.EACCES) && spec.Family != AF_UNIX:
		e.Hint, e.Terms = "a datagram to a broadcast address needs SO_BROADCAST on the socket, which is off; otherwise a firewall rule (nft list ruleset) refused it", []Term{TermBroadcast}
	case errors.Is(err, syscall.EACCES):
		e.Hint = "no write permission on the server's socket file (its mode) or on a directory of its path"
	case errors.Is(err, syscall.EPERM):
		e.Hint = "a firewall rule refused the datagram (nft list ruleset)"
	case errors.Is(err, os.ErrDeadlineExceeded) && spec.Family == AF_UNIX:
		e.Err = &worded{"the server's receive queue stayed full", err}
		e.Hint, e.Terms = "the server is not reading, or is slower than its senders: a longer timeout waits more", []Term{TermTimeout}
	default:
		e.Hint = Hint(spec, err)
	}
	return e
}

// unixPeerError says why a unix datagram to name was refused, from what
// is at its path: nothing, a file that is not a socket, or a socket file
// that no server holds.
func unixPeerError(e *Error, name string) {
	e.Terms = []Term{TermServer}
	if strings.HasPrefix(name, "@") {
		e.Hint = "no socket holds that abstract name: start an echo server there"
		return
	}
	fi, err := os.Stat(name)
	switch {
	case err != nil:
		e.Hint = "no socket file is there: start an echo server at that path"
	case fi.Mode()&os.ModeSocket == 0:
		e.Err = fmt.Errorf("%s is not a socket (%s)", name, kindOf(fi.Mode()))
		e.Hint, e.Terms = "send to the socket file of a server: choose another peer address", []Term{TermPeer}
	default:
		e.Hint = "a socket file is there but no server holds it (a stale socket): start an echo server there"
	}
}

// kindOf names the kind of file of mode m.
func kindOf(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m.IsRegular():
		return "a regular file"
	}
	return "mode " + m.String()
}

// worded is an error told in other words than its cause's, which it
// unwraps to (errors.Is sees os.ErrDeadlineExceeded through it).
type worded struct {
	text  string
	cause error
}

func (w *worded) Error() string { return w.text }
func (w *worded) Unwrap() error { return w.cause }

// sizeHint explains EMSGSIZE for a datagram of size bytes: larger than
// the socket sends at all, or, with DF set, than the path MTU the kernel
// holds for peer, which it names, with the fixes.
func sizeHint(e *Error, c Conn, peer net.Addr, size int) {
	family := c.Spec().Family
	if size > MaxDatagram(c) || family == AF_UNIX {
		e.Hint, e.Terms = fmt.Sprintf("a datagram of %d bytes is too large for this socket: lower the datagram size to at most %d bytes", size, MaxDatagram(c)), []Term{TermSize}
		return
	}
	mtu, err := PathMTU(family, peer)
	if err != nil {
		e.Hint = "the datagram is larger than the path MTU the kernel holds for the peer, and DF is set: send less, or let the kernel fragment"
		return
	}
	host := peer.String()
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	fit := mtu - IPOverhead(family)
	e.Hint = fmt.Sprintf("the path MTU the kernel holds for %s is %d bytes (IP_MTU), so at most %d bytes of payload fit in a datagram with DF set: lower the datagram size to at most %d, or change the DF setting to want or dont to let the kernel fragment", host, mtu, fit, fit)
	e.Terms = []Term{TermSize, TermDF}
}
