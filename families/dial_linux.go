package families

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// dialStream connects a new socket of d to peer, or adopts o.File: see
// Definition.Dial.
func dialStream(ctx context.Context, d *Definition, peer net.Addr, o Options) (StreamConn, error) {
	if o.File != nil {
		return adoptDial(ctx, d, peer, o.File)
	}
	fd, err := Socket(d.Spec)
	if err != nil {
		return nil, err
	}
	cleanup, err := bindClient(fd, d, o)
	if err != nil {
		sysClose(fd)
		return nil, err
	}
	c, err := newBoundConn(fd, d.Spec, cleanup)
	if err != nil {
		return nil, err
	}
	return connect(ctx, c, peer)
}

// bindClient binds a client's socket to o.Addr before it connects, when
// o names one: a unix name by bindUnix's rules, or an IP address.
// Otherwise connect(2) binds it: an ephemeral port, or for a unix socket
// no name at all (the server's replies travel on the connection).
func bindClient(fd int, d *Definition, o Options) (func(), error) {
	switch {
	case o.Addr == "":
		if d.Spec.Family == AF_INET6 {
			if err := tcpOptions(fd, d.Spec, false); err != nil {
				return nil, &Error{Op: "setsockopt", Spec: d.Spec, Err: err}
			}
		}
		return nil, nil
	case d.Spec.Family == AF_UNIX:
		return bindUnix(fd, d.Spec, o)
	}
	_, _, err := bindStream(fd, d, Options{Addr: o.Addr, NoReuseAddr: true})
	return nil, err
}

// connectOp is a connect(2) on a non-blocking socket, as a poller
// callback: the first call starts it, the next ones, once the socket is
// writable, read how it ended.
type connectOp struct {
	sa      rawAddr
	started bool
	errno   syscall.Errno
}

func (o *connectOp) call(fd uintptr) bool {
	if !o.started {
		o.started = true
		switch err := sysSockaddr("connect", unix.SYS_CONNECT, int(fd), &o.sa); err {
		case nil:
			return true
		case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
			return false // the handshake is under way: wait until writable
		default:
			o.errno = err.(syscall.Errno)
			return true
		}
	}
	v, err := GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		o.errno = err.(syscall.Errno)
		return true
	}
	switch e := syscall.Errno(v); e {
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return false
	case 0, unix.EISCONN:
		// The poller may wake early: connected only if there is a peer.
		var a rawAddr
		return a.getpeername(int(fd)) == nil
	default:
		o.errno = e
		return true
	}
}

// connect connects c to peer within ctx and returns the connection; on
// failure it closes c.
func connect(ctx context.Context, c *conn, peer net.Addr) (StreamConn, error) {
	op := &connectOp{}
	if err := op.sa.set(c.spec.Family, peer); err != nil {
		c.Close()
		return nil, &Error{Op: "connect", Spec: c.spec, Addr: addrText(peer), Err: err}
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetWriteDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetWriteDeadline(time.Unix(1, 0)) })
	rc, err := c.poller()
	if err == nil {
		err = rc.Write(op.call)
	}
	stop()
	c.SetWriteDeadline(time.Time{})
	if err == nil && op.errno != 0 {
		err = op.errno
	}
	if err != nil {
		c.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, connectError(c.spec, peer, err)
	}
	var raddr net.Addr
	c.control(func(fd int) {
		raddr, _ = peername(fd, c.network)
		c.laddr, _ = sockname(fd, c.network) // connect bound it
	})
	if raddr == nil {
		raddr = peer
	}
	return wrapStream(c, raddr), nil
}

func addrText(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// connectError is a failed connect as an *Error, with the fix for what a
// user meets: no server, a socket of another type, a full backlog, no
// answer to the handshake.
func connectError(spec Spec, peer net.Addr, err error) *Error {
	e := &Error{Op: "connect", Spec: spec, Addr: addrText(peer), Err: err}
	if errno, ok := err.(syscall.Errno); ok {
		e.Err = os.NewSyscallError("connect", errno)
	}
	unixSock := spec.Family == AF_UNIX
	switch {
	case errors.Is(err, unix.ECONNREFUSED) && unixSock && strings.HasPrefix(e.Addr, "@"):
		e.Hint = "no server listens on that abstract name: start one there"
	case errors.Is(err, unix.ECONNREFUSED) && unixSock:
		e.Hint = "no server listens on that socket file (a stale one, left by a server that stopped): start one there"
	case errors.Is(err, unix.ECONNREFUSED):
		e.Hint = "nothing listens on that port, the host answered with a reset: start a server there (ss -tlpn lists listening sockets)"
	case errors.Is(err, unix.ENOENT):
		e.Hint = "no socket file there: is the server running, and is the path right?"
	case errors.Is(err, unix.EPROTOTYPE):
		e.Hint = "a socket of another type is bound there (SOCK_DGRAM, SOCK_STREAM and SOCK_SEQPACKET do not meet): use the family of the server"
	case errors.Is(err, unix.ECONNRESET):
		e.Hint = "the server accepted the connection and reset it at once: it may be full (a limit on its connections)"
	case errors.Is(err, unix.EAGAIN) && unixSock:
		e.Hint = "the server's queue of connections not yet accepted (its listen backlog) is full: it accepts too slowly; try again"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, unix.ETIMEDOUT):
		e.Hint = "the handshake did not complete in time: is the host up, and does a firewall drop the SYN?"
	default:
		e.Hint = Hint(spec, err)
	}
	return e
}
