package families

import (
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// listener is a listening socket: the package's conn (descriptor,
// netpoller, deadlines, and a Close that removes the unix socket file it
// created) with accept4.
type listener struct {
	c   *conn
	acc acceptOp
}

// acceptOp is one accept's state, its poller callback made once.
type acceptOp struct {
	mu    sync.Mutex
	sa    rawAddr
	nfd   int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// call is the poller callback: accept4 the next completed connection,
// non-blocking and close-on-exec. One reset before it was accepted
// (ECONNABORTED) is skipped, as Go's net does.
func (a *acceptOp) call(fd uintptr) bool {
	for {
		r, e := sysAccept4(fd, &a.sa)
		switch e {
		case 0:
			a.nfd, a.errno = int(r), 0
			return true
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return false
		}
		a.errno = e
		return true
	}
}

// newListener wraps fd, a listening socket of spec, in a Listener; cleanup
// (may be nil) removes the unix socket file it is bound to. It takes
// ownership of fd.
func newListener(fd int, spec Spec, cleanup func()) (*listener, error) {
	c, err := newBoundConn(fd, spec, cleanup)
	if err != nil {
		return nil, err
	}
	l := &listener{c: c}
	l.acc.fn = l.acc.call
	return l, nil
}

// Spec is the listening socket's triple.
func (l *listener) Spec() Spec { return l.c.Spec() }

// Close closes the listening socket, unblocking Accept, and removes the
// unix socket file it created.
func (l *listener) Close() error { return l.c.Close() }

// SetDeadline sets the deadline of Accept and AcceptStream.
func (l *listener) SetDeadline(t time.Time) error { return l.c.SetReadDeadline(t) }

// SyscallConn exposes the listening descriptor, for socket options.
func (l *listener) SyscallConn() (syscall.RawConn, error) { return l.c.SyscallConn() }

// Addr is the address the listener is bound to: a *net.TCPAddr or a
// *net.UnixAddr.
func (l *listener) Addr() net.Addr { return l.c.LocalAddr() }

// Accept is AcceptStream for net.Listener.
func (l *listener) Accept() (net.Conn, error) { return l.AcceptStream() }

// AcceptStream returns the next connection: see Listener.
func (l *listener) AcceptStream() (StreamConn, error) {
	rc, err := l.c.poller()
	if err != nil {
		return nil, l.c.opError("accept", nil, err)
	}
	a := &l.acc
	a.mu.Lock()
	a.errno = 0
	err = rc.Read(a.fn)
	nfd, errno, sa := a.nfd, a.errno, a.sa
	a.mu.Unlock()
	if err == nil && errno != 0 {
		err = os.NewSyscallError("accept4", errno)
	}
	if err != nil {
		return nil, l.c.opError("accept", nil, err)
	}
	spec := l.c.spec
	spec.Fileno = -1
	sc, err := newStreamConn(nfd, spec, sa.addr(l.c.network))
	if err != nil {
		return nil, l.c.opError("accept", nil, err)
	}
	return sc, nil
}

// listenStream opens a listening socket of d, or adopts o.File: see
// Definition.Listen.
func listenStream(d *Definition, o Options) (Listener, error) {
	if o.File != nil {
		return adoptListener(d, o.File)
	}
	fd, err := Socket(d.Spec)
	if err != nil {
		return nil, err
	}
	addr, cleanup, err := bindStream(fd, d, o)
	if err != nil {
		sysClose(fd)
		return nil, err
	}
	if err := sysListen(fd, backlog(o)); err != nil {
		sysClose(fd)
		if cleanup != nil {
			cleanup()
		}
		return nil, &Error{Op: "listen", Spec: d.Spec, Addr: addr, Err: os.NewSyscallError("listen", err), Hint: Hint(d.Spec, err)}
	}
	return newListener(fd, d.Spec, cleanup)
}

// backlog is the listen(2) backlog o asks for, or net.core.somaxconn.
func backlog(o Options) int {
	if o.Backlog > 0 {
		return o.Backlog
	}
	if b, err := os.ReadFile("/proc/sys/net/core/somaxconn"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n > 0 {
			return n
		}
	}
	return 4096
}

// bindStream binds a listening socket of d to o.Addr: a unix name by
// bindUnix's rules (or autobind when empty), an IP address with
// SO_REUSEADDR unless o says not to. It returns the address, and for a
// unix path the cleanup that removes its file.
func bindStream(fd int, d *Definition, o Options) (string, func(), error) {
	if d.Spec.Family == AF_UNIX {
		if o.Addr == "" {
			return "(autobind)", nil, autobind(fd, d.Spec)
		}
		cleanup, err := bindUnix(fd, d.Spec, o)
		return o.Addr, cleanup, err
	}
	addr := ipBindAddr(d.Spec.Family, o.Addr)
	ta, err := resolveIP(d.Network, addr, net.ResolveTCPAddr)
	if err != nil {
		return addr, nil, &Error{Op: "bind", Spec: d.Spec, Addr: addr, Err: err}
	}
	if err := tcpOptions(fd, d.Spec, !o.NoReuseAddr); err != nil {
		return addr, nil, &Error{Op: "setsockopt", Spec: d.Spec, Addr: addr, Err: err}
	}
	if err := Bind(fd, d.Spec.Family, ta); err != nil {
		return addr, nil, &Error{Op: "bind", Spec: d.Spec, Addr: addr, Err: bindCause(err), Hint: bindHint(d.Spec, err, !o.NoReuseAddr)}
	}
	return addr, nil, nil
}

// autobind binds a unix socket to nothing but the family: the kernel picks
// an abstract name of five hex digits.
func autobind(fd int, spec Spec) error {
	a := rawAddr{n: 2}
	a.sa.Addr.Family = unix.AF_UNIX
	if err := sysSockaddr("bind", unix.SYS_BIND, fd, &a); err != nil {
		return &Error{Op: "bind", Spec: spec, Addr: "(autobind)", Err: os.NewSyscallError("bind", err)}
	}
	return nil
}

// tcpOptions sets what a TCP socket needs before bind: IPV6_V6ONLY on
// tcp6 (IPv6 only, as Go's "tcp6"), and SO_REUSEADDR when reuse is set.
func tcpOptions(fd int, spec Spec, reuse bool) error {
	if spec.Family == AF_INET6 {
		if err := SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if reuse {
		if err := SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt SO_REUSEADDR", err)
		}
	}
	return nil
}

// bindHint is the fix for a failed bind of a TCP socket: a port in use is
// told apart by whether SO_REUSEADDR was on, which binds over TIME_WAIT.
func bindHint(spec Spec, err error, reuse bool) string {
	switch {
	case err != unix.EADDRINUSE:
		return Hint(spec, err)
	case reuse:
		return "another socket listens on or is bound to that port: stop it or choose another port; ss -tlpn shows who listens there"
	}
	return "another socket holds that port, or connections of a server that stopped there wait in TIME_WAIT, up to 60s, as ss -tan state time-wait shows: with SO_REUSEADDR a server binds over them"
}
