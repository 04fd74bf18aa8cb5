package families

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func openUDP(d *Definition, o Options) (Conn, error) {
	if o.File != nil {
		return Adopt(d, o.File)
	}
	addr := o.Addr
	if addr == "" {
		addr = "0.0.0.0:0"
		if d.Spec.Family == AF_INET6 {
			addr = "[::]:0"
		}
	}
	ua, err := resolveUDP(d.Network, addr)
	if err != nil {
		return nil, &Error{Op: "bind", Spec: d.Spec, Addr: addr, Err: err}
	}
	fd, err := Socket(d.Spec)
	if err != nil {
		return nil, err
	}
	if err := udpOptions(fd, d.Spec, o); err != nil {
		unix.Close(fd)
		return nil, &Error{Op: "setsockopt", Spec: d.Spec, Addr: addr, Err: err}
	}
	if err := Bind(fd, d.Spec.Family, ua); err != nil {
		unix.Close(fd)
		return nil, &Error{Op: "bind", Spec: d.Spec, Addr: addr, Err: bindCause(err), Hint: Hint(d.Spec, err)}
	}
	return NewConn(fd, d.Spec)
}

// bindCause names the system call in an errno from Bind; other errors
// (an interface that does not exist) are already in words.
func bindCause(err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		return os.NewSyscallError("bind", errno)
	}
	return err
}

// udpOptions sets what a UDP socket needs before bind: IPV6_V6ONLY on
// udp6, which means IPv6 only, as Go's "udp6" does (no v4-mapped peers),
// and SO_REUSEPORT when o asks for it.
func udpOptions(fd int, spec Spec, o Options) error {
	if spec.Family == AF_INET6 {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if o.ReusePort {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return os.NewSyscallError("setsockopt SO_REUSEPORT", err)
		}
	}
	return nil
}

func openUnix(d *Definition, o Options) (Conn, error) {
	if o.File != nil {
		return Adopt(d, o.File)
	}
	fd, err := Socket(d.Spec)
	if err != nil {
		return nil, err
	}
	var cleanup func()
	if o.Addr == "" {
		// Autobind: bound to nothing but the family, the kernel picks an
		// abstract name of five hex digits.
		a := rawAddr{n: 2}
		a.sa.Addr.Family = unix.AF_UNIX
		if err := sockaddrCall(unix.SYS_BIND, fd, &a); err != nil {
			unix.Close(fd)
			return nil, &Error{Op: "bind", Spec: d.Spec, Addr: "(autobind)", Err: os.NewSyscallError("bind", err)}
		}
	} else {
		cleanup, err = bindUnix(fd, d.Spec, o)
		if err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	c, err := newConn(fd, d.Spec)
	if err != nil {
		if cleanup != nil {
			cleanup()
		}
		return nil, err
	}
	c.cleanup = cleanup
	// Each datagram names its sender by PID, so a server can tell apart
	// senders that have no address. A batch server turns it off until it
	// meets one (see PassCred).
	PassCred(c, true)
	return c, nil
}

// bindUnix binds fd to o.Addr. It removes a stale socket file left by a
// dead server, refuses a live one, and never touches a file that is not a
// socket. For a path it returns a cleanup that removes the socket file if it
// is still the one this bind created.
func bindUnix(fd int, spec Spec, o Options) (func(), error) {
	name := o.Addr
	if err := CheckUnixName(name); err != nil {
		return nil, &Error{Op: "bind", Spec: spec, Addr: name, Err: err}
	}
	abstract := strings.HasPrefix(name, "@")
	sa := &net.UnixAddr{Name: name, Net: "unixgram"}
	err := Bind(fd, AF_UNIX, sa)
	if err == unix.EADDRINUSE && !abstract {
		if err = staleSocket(spec, name); err != nil {
			return nil, err
		}
		if err = os.Remove(name); err != nil {
			return nil, &Error{Op: "bind", Spec: spec, Addr: name, Err: fmt.Errorf("stale socket file: %w", err), Hint: "remove it by hand"}
		}
		if o.Notify != nil {
			o.Notify(fmt.Sprintf("removed stale socket %s (no server was listening on it)", name))
		}
		err = Bind(fd, AF_UNIX, sa)
	}
	if err != nil {
		e := &Error{Op: "bind", Spec: spec, Addr: name, Err: os.NewSyscallError("bind", err), Hint: Hint(spec, err)}
		if err == unix.EADDRINUSE {
			e.Hint, e.Terms = "another server is listening there: stop it or choose another local address", []Term{TermLocal}
			if abstract {
				e.Hint = "another socket holds that abstract name: stop its server or choose another local address"
			}
		}
		return nil, e
	}
	if abstract {
		return nil, nil
	}
	if o.Mode != 0 {
		if err := os.Chmod(name, o.Mode.Perm()); err != nil {
			os.Remove(name)
			return nil, &Error{Op: "chmod", Spec: spec, Addr: name, Err: err}
		}
	}
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, &Error{Op: "bind", Spec: spec, Addr: name, Err: err}
	}
	return func() {
		// Remove the path only while it is the socket this bind made: a
		// later server may have replaced it, or someone else's file may be
		// there now.
		if now, err := os.Lstat(name); err == nil && os.SameFile(fi, now) {
			os.Remove(name)
		}
	}, nil
}

// staleSocket returns nil when the socket file at path has no server (a
// connect is refused), and an *Error saying what is there otherwise.
func staleSocket(spec Spec, path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return &Error{Op: "bind", Spec: spec, Addr: path, Err: err}
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return &Error{Op: "bind", Spec: spec, Addr: path, Err: fmt.Errorf("%s exists and is not a socket (%s)", path, kindOf(fi.Mode())),
			Hint: "it is left untouched: choose another local address", Terms: []Term{TermLocal}}
	}
	probe, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return &Error{Op: "socket", Spec: spec, Err: os.NewSyscallError("socket", err)}
	}
	defer unix.Close(probe)
	err = unix.Connect(probe, &unix.SockaddrUnix{Name: path})
	switch {
	case err == unix.ECONNREFUSED:
		return nil
	case err == nil || err == unix.EPROTOTYPE:
		// EPROTOTYPE: a live stream or seqpacket socket is there.
		return &Error{Op: "bind", Spec: spec, Addr: path, Err: os.NewSyscallError("bind", syscall.EADDRINUSE),
			Hint: "a live socket is there: another server is running; stop it or choose another local address", Terms: []Term{TermLocal}}
	case errors.Is(err, unix.EACCES):
		return &Error{Op: "bind", Spec: spec, Addr: path, Err: os.NewSyscallError("connect", err), Hint: Hint(spec, err)}
	}
	return &Error{Op: "bind", Spec: spec, Addr: path, Err: fmt.Errorf("socket file in use: %w", err), Hint: "choose another local address", Terms: []Term{TermLocal}}
}
