package families

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// conn is the one Conn of every family: a non-blocking descriptor this
// package created or adopted, with the system calls made here (recvmsg,
// sendto, recvmmsg, sendmmsg) on raw socket addresses. UDP, unix, ICMP and
// raw IP sockets all take this one path.
//
// A datagram conn joins Go's netpoller (epoll) only when a method needs
// it: the reads and writes of one datagram, SyscallConn, and
// WaitInNetpoller; a stream conn joins it at once. From then on its
// descriptor is in an *os.File, whose poller waits and keeps deadlines.
// Until then socket options use the bare descriptor, and the batch path
// waits in ppoll on the socket and an eventfd (see waiter). A socket in an
// epoll set costs the kernel an ep_poll_callback for every datagram queued
// to it and every datagram it sends: about 4% of a UDP echo.
type conn struct {
	fd      int
	spec    Spec
	network string      // the Go network of its addresses
	laddr   net.Addr    // the bound address when it was made, for errors
	creds   atomic.Bool // SO_PASSCRED is set: ReadMsgCred reports senders' credentials

	mu sync.Mutex // guards registration, deadlines and closing
	f  atomic.Pointer[os.File]
	rc syscall.RawConn // f's, once f is set

	// Before registration: deadlines (Unix nanoseconds, 0 for none), the
	// waiter that Close and the deadline setters ring, and ops, held by
	// every use of the bare descriptor, so that Close never closes it
	// under a running system call.
	rdl, wdl atomic.Int64
	spin     atomic.Int64 // nanoseconds a bare wait retries before it sleeps; < 0: never sleeps
	wait     *waiter
	ops      sync.RWMutex

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	cleanup   func() // removes a unix socket file this conn created
}

// NewConn wraps fd, a non-blocking socket of spec, in a Conn. It takes
// ownership of fd: it is closed when the Conn is, or on error.
func NewConn(fd int, spec Spec) (Conn, error) {
	c, err := newConn(fd, spec)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func newConn(fd int, spec Spec) (*conn, error) {
	c := &conn{fd: fd, spec: spec, network: networkOf(spec)}
	c.laddr, _ = sockname(fd, c.network)
	switch {
	case spec.Type == SOCK_STREAM || spec.Type == SOCK_SEQPACKET:
		if _, err := c.poller(); err != nil {
			return nil, &Error{Op: "adopt", Spec: spec, Err: err}
		}
		return c, nil
	case !batchSpec(spec):
		// ICMP and raw IP: registered by the first method that needs
		// the netpoller, never by a flood ping's raw calls.
		return c, nil
	}
	w, err := newWaiter()
	if err != nil {
		sysClose(fd)
		return nil, &Error{Op: "adopt", Spec: spec, Err: err}
	}
	c.wait = w
	return c, nil
}

// newBoundConn is newConn for a socket bound to a unix socket file, whose
// cleanup (nil for none) removes that file: at once when newConn fails,
// otherwise when the conn closes.
func newBoundConn(fd int, spec Spec, cleanup func()) (*conn, error) {
	c, err := newConn(fd, spec)
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		return nil, err
	}
	c.cleanup = cleanup
	return c, nil
}

// WaitInNetpoller registers c with Go's netpoller now, so that its batch
// waits use the netpoller instead of ppoll: for a unix bench whose window
// cannot fill the peer's queue, whose ping-pong p99 measured lower there.
// Registration costs a unix socket nothing (both of epoll's callbacks run
// in the peers' system calls); a UDP socket in an epoll set costs the
// kernel about 4% of an echo. A unix server waits in ppoll: since those
// waits keep the P (see Ppoll), it measured 1.04x the rate it had in the
// netpoller at 1400 B. Later calls do nothing.
func WaitInNetpoller(c Conn) error {
	cc, ok := c.(*conn)
	if !ok {
		return nil
	}
	_, err := cc.poller()
	return err
}

// networkOf is the Go network name of spec's addresses.
func networkOf(s Spec) string {
	v := "4"
	if s.Family == AF_INET6 {
		v = "6"
	}
	switch {
	case s.Family == AF_UNIX && s.Type == SOCK_STREAM:
		return "unix"
	case s.Family == AF_UNIX && s.Type == SOCK_SEQPACKET:
		return "unixpacket"
	case s.Family == AF_UNIX:
		return "unixgram"
	case s.Proto == IPPROTO_ICMP:
		return "ip4:icmp"
	case s.Proto == IPPROTO_ICMPV6:
		return "ip6:ipv6-icmp"
	case s.Type == SOCK_RAW:
		return "ip" + v
	case s.Type == SOCK_STREAM:
		return "tcp" + v
	}
	return "udp" + v
}

// poller returns the RawConn of the registered descriptor, registering it
// with Go's netpoller on first use. A batch wait in progress is woken, and
// finishes on the poller.
func (c *conn) poller() (syscall.RawConn, error) {
	if c.f.Load() != nil {
		return c.rc, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f.Load() != nil {
		return c.rc, nil
	}
	if c.closed.Load() {
		return nil, net.ErrClosed
	}
	c.wait.ring()
	c.ops.Lock()
	defer c.ops.Unlock()
	f := os.NewFile(uintptr(c.fd), c.spec.String())
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	f.SetReadDeadline(deadlineTime(c.rdl.Load()))
	f.SetWriteDeadline(deadlineTime(c.wdl.Load()))
	c.rc = rc
	c.f.Store(f)
	c.wait.close()
	c.wait = nil
	return rc, nil
}

// registered reports whether the descriptor is in the netpoller.
func (c *conn) registered() bool { return c.f.Load() != nil }

func (c *conn) Spec() Spec { return c.spec }

// SyscallConn exposes the descriptor, registered with the netpoller, for
// callers that wait on it themselves.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return c.poller() }

// control runs fn on the descriptor without registering it.
func (c *conn) control(fn func(fd int)) error {
	if c.registered() {
		return c.rc.Control(func(fd uintptr) { fn(int(fd)) })
	}
	c.ops.RLock()
	defer c.ops.RUnlock()
	if c.registered() {
		return c.rc.Control(func(fd uintptr) { fn(int(fd)) })
	}
	if c.closed.Load() {
		return net.ErrClosed
	}
	fn(c.fd)
	return nil
}

// LocalAddr returns the address the socket is bound to now, as the kernel
// reports it (a socket that sent without binding has been given a port).
func (c *conn) LocalAddr() net.Addr {
	var a net.Addr
	c.control(func(fd int) { a, _ = sockname(fd, c.network) })
	if a == nil {
		return c.laddr
	}
	return a
}

// Close closes the socket, unblocking reads and writes, then removes the
// unix socket file it created if that file is still the one it created.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.closeFd()
		if c.closeErr != nil {
			c.closeErr = &net.OpError{Op: "close", Net: c.network, Source: c.laddr, Err: c.closeErr}
		}
		if c.cleanup != nil {
			c.cleanup()
		}
	})
	return c.closeErr
}

// closeFd closes the descriptor: through the *os.File once registered,
// otherwise after waking a batch wait and waiting for it to let go.
func (c *conn) closeFd() error {
	c.mu.Lock()
	c.closed.Store(true)
	f, w := c.f.Load(), c.wait
	c.mu.Unlock()
	if f != nil {
		return closeFile(f, c.fd)
	}
	w.ring()
	c.ops.Lock()
	defer c.ops.Unlock()
	w.close()
	return os.NewSyscallError("close", sysClose(c.fd))
}

func (c *conn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *conn) SetReadDeadline(t time.Time) error {
	return c.setDeadline(&c.rdl, t, (*os.File).SetReadDeadline)
}
func (c *conn) SetWriteDeadline(t time.Time) error {
	return c.setDeadline(&c.wdl, t, (*os.File).SetWriteDeadline)
}

// setDeadline keeps the deadline for the batch path's waits and gives it to
// the *os.File once registered; a wait in progress is woken to see it.
func (c *conn) setDeadline(dl *atomic.Int64, t time.Time, set func(*os.File, time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return c.opError("set deadline", nil, net.ErrClosed)
	}
	var ns int64
	if !t.IsZero() {
		ns = max(t.UnixNano(), 1)
	}
	dl.Store(ns)
	if f := c.f.Load(); f != nil {
		return set(f, t)
	}
	c.wait.ring()
	return nil
}

func deadlineTime(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// opError puts err, from the poller or a system call, in net's shape: the
// poller of an *os.File says "use of closed file" where a net.Conn says
// net.ErrClosed.
func (c *conn) opError(op string, peer net.Addr, err error) error {
	var se *os.SyscallError
	if errors.Is(err, os.ErrClosed) || c.closed.Load() && !errors.As(err, &se) && !errors.Is(err, os.ErrDeadlineExceeded) {
		err = net.ErrClosed
	}
	return &net.OpError{Op: op, Net: c.network, Source: c.laddr, Addr: peer, Err: err}
}
