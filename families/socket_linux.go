package families

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// conn is the one Conn implementation for every family: a net.PacketConn
// built around a descriptor this package created or adopted.
type conn struct {
	net.PacketConn
	spec    Spec
	network string
	rc      syscall.RawConn
	laddr   net.Addr
	creds   bool // SO_PASSCRED is set: ReadMsgCred reports sender PIDs

	closeOnce sync.Once
	closeErr  error
	cleanup   func() // removes a unix socket file this conn created
}

func (c *conn) Spec() Spec { return c.spec }

// SyscallConn exposes the descriptor for socket options and batch I/O.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return c.rc, nil }

// Close closes the socket, then removes the unix socket file it created, if
// that file is still the one it created.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.PacketConn.Close()
		if c.cleanup != nil {
			c.cleanup()
		}
	})
	return c.closeErr
}

func (c *conn) ReadMsg(b []byte) (n, size int, addr net.Addr, err error) {
	n, size, addr, _, err = c.ReadMsgCred(b)
	return
}

// ReadMsgCred is ReadMsg that also returns the sender's process ID on a unix
// socket (from SCM_CREDENTIALS), or 0 when it is not known. It tells apart
// senders that have no address.
func (c *conn) ReadMsgCred(b []byte) (n, size int, addr net.Addr, pid int, err error) {
	var oob []byte
	if c.creds {
		oob = make([]byte, unix.CmsgSpace(unix.SizeofUcred))
	}
	m, err := c.RecvMsg(b, oob, 0)
	if err != nil {
		return 0, 0, nil, 0, err
	}
	if d := Cmsg(oob[:m.OOBN], unix.SOL_SOCKET, unix.SCM_CREDENTIALS); len(d) >= unix.SizeofUcred {
		pid = int(int32(binary.NativeEndian.Uint32(d)))
	}
	return m.N, m.Size, m.Addr, pid, nil
}

// RecvMsg reads one datagram and its control messages: see MsgConn.
func (c *conn) RecvMsg(b, oob []byte, flags int) (Msg, error) {
	var m Msg
	var from unix.Sockaddr
	var serr error
	dontwait := flags&unix.MSG_DONTWAIT != 0
	err := c.rc.Read(func(fd uintptr) bool {
		for {
			// MSG_TRUNC makes recvmsg return the datagram's real length.
			m.Size, m.OOBN, m.Flags, from, serr = unix.Recvmsg(int(fd), b, oob, unix.MSG_TRUNC|flags)
			if serr != unix.EINTR {
				return dontwait || serr != unix.EAGAIN
			}
		}
	})
	if err == nil && serr != nil {
		err = os.NewSyscallError("recvmsg", serr)
	}
	if err != nil {
		return Msg{}, &net.OpError{Op: "read", Net: c.network, Source: c.laddr, Err: err}
	}
	m.N = min(m.Size, len(b))
	m.Addr = SockaddrToAddr(from, c.network)
	return m, nil
}

// SockaddrToAddr converts a sockaddr from the kernel to a Go address of
// network ("udp4", "unixgram", "ip4:icmp" ...). It returns nil for nil.
func SockaddrToAddr(sa unix.Sockaddr, network string) net.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		ip := net.IP(append([]byte(nil), sa.Addr[:]...))
		if isIPNetwork(network) {
			return &net.IPAddr{IP: ip}
		}
		return &net.UDPAddr{IP: ip, Port: sa.Port}
	case *unix.SockaddrInet6:
		ip := net.IP(append([]byte(nil), sa.Addr[:]...))
		zone := ""
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				zone = ifi.Name
			}
		}
		if isIPNetwork(network) {
			return &net.IPAddr{IP: ip, Zone: zone}
		}
		return &net.UDPAddr{IP: ip, Port: sa.Port, Zone: zone}
	case *unix.SockaddrUnix:
		return &net.UnixAddr{Name: sa.Name, Net: "unixgram"}
	}
	return nil
}

func isIPNetwork(network string) bool {
	return strings.HasPrefix(network, "ip4") || strings.HasPrefix(network, "ip6")
}

// Socket creates a non-blocking, close-on-exec socket of spec. The error is
// an *Error with the fix for the errno.
func Socket(spec Spec) (int, error) {
	fd, err := unix.Socket(spec.Family, spec.Type|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, spec.Proto)
	if err != nil {
		return -1, &Error{Op: "socket", Spec: spec, Err: os.NewSyscallError("socket", err), Hint: Hint(spec, err)}
	}
	return fd, nil
}

// ProbeSpec opens and closes a socket of spec.
func ProbeSpec(spec Spec) error {
	fd, err := Socket(spec)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// NewConn wraps fd, a socket of spec, in a Conn of Go network network. It
// takes ownership of fd: it is closed when the Conn is, or on error.
func NewConn(fd int, spec Spec, network string) (Conn, error) {
	f := os.NewFile(uintptr(fd), spec.String())
	pc, err := net.FilePacketConn(f)
	f.Close() // FilePacketConn made its own duplicate
	if err != nil {
		return nil, &Error{Op: "adopt", Spec: spec, Err: err}
	}
	sc, ok := pc.(syscall.Conn)
	if !ok {
		pc.Close()
		return nil, &Error{Op: "adopt", Spec: spec, Err: fmt.Errorf("%T has no descriptor", pc)}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		pc.Close()
		return nil, &Error{Op: "adopt", Spec: spec, Err: err}
	}
	c := &conn{PacketConn: pc, spec: spec, network: network, rc: rc, laddr: pc.LocalAddr()}
	if c.laddr == nil {
		// Go reports no address for an unbound socket; ask the kernel.
		rc.Control(func(fd uintptr) {
			if sa, err := unix.Getsockname(int(fd)); err == nil {
				c.laddr = SockaddrToAddr(sa, network)
			}
		})
	}
	return c, nil
}

// LocalAddr returns the bound address, as the kernel reports it.
func (c *conn) LocalAddr() net.Addr { return c.laddr }

// SpecOf reads the triple of an open socket with SO_DOMAIN, SO_TYPE and
// SO_PROTOCOL. It fails with ENOTSOCK for a descriptor that is not a socket.
func SpecOf(fd int) (Spec, error) {
	s := Spec{Fileno: fd}
	var err error
	if s.Family, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err != nil {
		return s, os.NewSyscallError("getsockopt SO_DOMAIN", err)
	}
	if s.Type, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil {
		return s, os.NewSyscallError("getsockopt SO_TYPE", err)
	}
	if s.Proto, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL); err != nil {
		return s, os.NewSyscallError("getsockopt SO_PROTOCOL", err)
	}
	return s, nil
}

// Inspect reads the triple of descriptor fd for adoption, with an *Error
// that says plainly when fd is not an open socket.
func Inspect(fd int) (Spec, error) {
	s, err := SpecOf(fd)
	if err != nil {
		if errors.Is(err, unix.ENOTSOCK) {
			err = fmt.Errorf("fd %d is not a socket", fd)
		} else if errors.Is(err, unix.EBADF) {
			err = fmt.Errorf("fd %d is not open in this process", fd)
		}
		return s, &Error{Op: "adopt", Spec: Spec{Fileno: fd}, Err: err, Hint: "pass the number of an open socket descriptor"}
	}
	return s, nil
}

// Adopt duplicates the socket in f and wraps it as a Conn of d, after checking
// that it is a socket of a triple d serves.
func Adopt(d *Definition, f *os.File) (Conn, error) {
	fd := int(f.Fd())
	s, err := Inspect(fd)
	if err != nil {
		err.(*Error).Spec = d.Spec
		err.(*Error).Spec.Fileno = fd
		return nil, err
	}
	if !d.Serves(s) {
		want := d.Spec
		want.Fileno = fd
		return nil, &Error{Op: "adopt", Spec: want, Err: fmt.Errorf("fd %d is %s, not a %s socket", fd, NewSpec(s.Family, s.Type, s.Proto), d.Name),
			Hint: "use the family that matches the descriptor, or socklab socket --fd"}
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &Error{Op: "adopt", Spec: s, Err: os.NewSyscallError("dup", err)}
	}
	return NewConn(nfd, s, d.Network)
}

// Hint names the fix for a socket errno, or "" when there is nothing to say.
func Hint(spec Spec, err error) string {
	var errno unix.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	switch errno {
	case unix.EPERM:
		if spec.Type == SOCK_RAW {
			return "raw sockets need CAP_NET_RAW: run as root, or sudo setcap cap_net_raw+ep \"$(command -v socklab)\""
		}
	case unix.EACCES:
		if spec.Type == SOCK_DGRAM && (spec.Proto == IPPROTO_ICMP || spec.Proto == IPPROTO_ICMPV6) {
			return "unprivileged ICMP sockets need your group in net.ipv4.ping_group_range: sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'"
		}
		if spec.Family == AF_UNIX {
			return "no permission on the socket file or its directory: choose a path you can write, e.g. under $XDG_RUNTIME_DIR or /tmp"
		}
		return "ports below 1024 need root or CAP_NET_BIND_SERVICE: choose a port of 1024 or more"
	case unix.EADDRINUSE:
		if spec.Family == AF_UNIX {
			return "another socket is bound to that name: stop its server or choose another"
		}
		return "another socket is bound to that port: stop it or choose another port; ss -ulpn shows who holds it"
	case unix.EADDRNOTAVAIL:
		return "that address is not on any interface of this host: use 127.0.0.1, ::1 or an address from ip addr"
	case unix.EAFNOSUPPORT:
		return "this kernel has the address family switched off (IPv6 disabled?)"
	case unix.EPROTONOSUPPORT, unix.ESOCKTNOSUPPORT, unix.EPROTOTYPE:
		return "this kernel does not offer that socket type and protocol together"
	case unix.ENOENT:
		return "the directory does not exist: create it first"
	case unix.EMFILE, unix.ENFILE:
		return "out of file descriptors: raise ulimit -n"
	}
	return ""
}
