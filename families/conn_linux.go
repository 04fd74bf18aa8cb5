package families

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// conn is the one Conn of every family: a non-blocking descriptor this
// package created or adopted, in an *os.File so that Go's poller waits for
// it and deadlines work, with the system calls made here (recvmsg, sendto,
// recvmmsg, sendmmsg) on raw socket addresses. UDP, unix, ICMP and raw IP
// sockets all take this one path.
type conn struct {
	f       *os.File
	rc      syscall.RawConn
	spec    Spec
	network string   // the Go network of its addresses
	laddr   net.Addr // the bound address when it was made, for errors
	creds   bool     // SO_PASSCRED is set: ReadMsgCred reports senders' credentials

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	cleanup   func() // removes a unix socket file this conn created
}

// credSpace is the room SCM_CREDENTIALS takes in a control buffer.
const credSpace = cmsgHdrLen + (sizeofUcred+cmsgAlign-1)&^(cmsgAlign-1)

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
	f := os.NewFile(uintptr(fd), spec.String())
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, &Error{Op: "adopt", Spec: spec, Err: err}
	}
	c := &conn{f: f, rc: rc, spec: spec, network: networkOf(spec)}
	c.laddr, _ = sockname(fd, c.network)
	return c, nil
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
	case s.Type == SOCK_DGRAM && (s.Proto == IPPROTO_ICMP || s.Proto == IPPROTO_ICMPV6):
		// As x/net's icmp.PacketConn: the port of a datagram ICMP
		// socket's address is its echo identifier.
		return "udp" + v
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

func (c *conn) Spec() Spec { return c.spec }

// SyscallConn exposes the descriptor for socket options.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return c.rc, nil }

// LocalAddr returns the address the socket is bound to now, as the kernel
// reports it (a socket that sent without binding has been given a port).
func (c *conn) LocalAddr() net.Addr {
	var a net.Addr
	c.rc.Control(func(fd uintptr) { a, _ = sockname(int(fd), c.network) })
	if a == nil {
		return c.laddr
	}
	return a
}

// Close closes the socket, unblocking reads and writes, then removes the
// unix socket file it created if that file is still the one it created.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.closeErr = c.f.Close()
		if c.closeErr != nil {
			c.closeErr = &net.OpError{Op: "close", Net: c.network, Source: c.laddr, Err: c.closeErr}
		}
		if c.cleanup != nil {
			c.cleanup()
		}
	})
	return c.closeErr
}

func (c *conn) SetDeadline(t time.Time) error      { return c.f.SetDeadline(t) }
func (c *conn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *conn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

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

func (c *conn) ReadFrom(b []byte) (int, net.Addr, error) {
	m, err := c.RecvMsg(b, nil, 0)
	return m.N, m.Addr, err
}

func (c *conn) ReadMsg(b []byte) (n, size int, addr net.Addr, err error) {
	m, err := c.RecvMsg(b, nil, 0)
	return m.N, m.Size, m.Addr, err
}

// ReadMsgCred is ReadMsg that also returns the sender's process ID on a unix
// socket (from SCM_CREDENTIALS), or 0 when it is not known. It tells apart
// senders that have no address.
func (c *conn) ReadMsgCred(b []byte) (n, size int, addr net.Addr, pid int, err error) {
	var oob []byte
	if c.creds {
		oob = make([]byte, credSpace)
	}
	m, err := c.RecvMsg(b, oob, 0)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	cred, _ := ParseCred(oob[:m.OOBN])
	return m.N, m.Size, m.Addr, cred.PID, nil
}

// RecvMsg reads one datagram and its control messages: see MsgConn.
func (c *conn) RecvMsg(b, oob []byte, flags int) (Msg, error) {
	var from rawAddr
	var h unix.Msghdr
	var iov unix.Iovec
	if len(b) > 0 {
		iov.Base = &b[0]
		iov.SetLen(len(b))
	}
	h.Iov, h.Iovlen = &iov, 1
	if len(oob) > 0 {
		h.Control = &oob[0]
		h.SetControllen(len(oob))
	}
	h.Name = (*byte)(from.ptr())
	var r uintptr
	var errno syscall.Errno
	dontwait := flags&unix.MSG_DONTWAIT != 0
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			h.Namelen = unix.SizeofSockaddrAny
			// MSG_TRUNC makes recvmsg return the datagram's real length.
			r, _, errno = unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&h)), uintptr(unix.MSG_TRUNC|flags))
			if errno != unix.EINTR {
				return dontwait || errno != unix.EAGAIN
			}
		}
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("recvmsg", errno)
	}
	if err != nil {
		return Msg{}, c.opError("read", nil, err)
	}
	from.n = h.Namelen
	m := Msg{Size: int(r), N: min(int(r), len(b)), OOBN: int(h.Controllen), Flags: int(h.Flags)}
	if from.named() {
		m.Addr = from.addr(c.network)
	}
	return m, nil
}

// WriteTo sends b as one datagram to addr: a *net.UDPAddr or *net.IPAddr
// for IP sockets of any type, a *net.UnixAddr for unix sockets. It waits
// for room in the send buffer until the write deadline.
func (c *conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	var to rawAddr
	if err := to.set(c.spec.Family, addr); err != nil {
		return 0, c.opError("write", addr, err)
	}
	var p unsafe.Pointer
	if len(b) > 0 {
		p = unsafe.Pointer(&b[0])
	}
	var r uintptr
	var errno syscall.Errno
	err := c.rc.Write(func(fd uintptr) bool {
		for {
			r, _, errno = unix.Syscall6(unix.SYS_SENDTO, fd, uintptr(p), uintptr(len(b)), 0, uintptr(to.ptr()), uintptr(to.n))
			if errno != unix.EINTR {
				return errno != unix.EAGAIN
			}
		}
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("sendto", errno)
	}
	if err != nil {
		return 0, c.opError("write", addr, err)
	}
	return int(r), nil
}
