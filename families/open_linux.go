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
	addr := ipBindAddr(d.Spec.Family, o.Addr)
	ua, err := resolveIP(d.Network, addr, net.ResolveUDPAddr)
	if err != nil {
		return nil, &Error{Op: "bind", Spec: d.Spec, Addr: addr, Err: err}
	}
	fd, err := Socket(d.Spec)
	if err != nil {
		return nil, err
	}
	if err := udpOptions(fd, d.Spec, o, ua.IP.IsUnspecified()); err != nil {
		sysClose(fd)
		return nil, &Error{Op: "setsockopt", Spec: d.Spec, Addr: addr, Err: err}
	}
	if err := Bind(fd, d.Spec.Family, ua); err != nil {
		sysClose(fd)
		return nil, &Error{Op: "bind", Spec: d.Spec, Addr: addr, Err: bindCause(err), Hint: Hint(d.Spec, err)}
	}
	return NewConn(fd, d.Spec)
}

// ipBindAddr is addr, the address an IP socket of family binds, or when it
// is empty the wildcard address with an ephemeral port.
func ipBindAddr(family int, addr string) string {
	switch {
	case addr != "":
		return addr
	case family == AF_INET6:
		return "[::]:0"
	}
	return "0.0.0.0:0"
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
// SO_REUSEPORT when o asks for it, and the datagrams' destinations when o
// asks for them and the address is a wildcard.
func udpOptions(fd int, spec Spec, o Options, wildcard bool) error {
	if o.Destination && wildcard {
		if err := setDestination(fd, spec.Family); err != nil {
			return err
		}
	}
	if spec.Family == AF_INET6 {
		if err := SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
			return os.NewSyscallError("setsockopt IPV6_V6ONLY", err)
		}
	}
	if o.ReusePort {
		if err := SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
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
		if err := autobind(fd, d.Spec); err != nil {
			sysClose(fd)
			return nil, err
		}
	} else {
		cleanup, err = bindUnix(fd, d.Spec, o)
		if err != nil {
			sysClose(fd)
			return nil, err
		}
	}
	c, err := newBoundConn(fd, d.Spec, cleanup)
	if err != nil {
		return nil, err
	}
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
	if !strings.HasPrefix(name, "@") {
		return bindPath(fd, spec, o)
	}
	if err := Bind(fd, AF_UNIX, &net.UnixAddr{Name: name, Net: "unixgram"}); err != nil {
		return nil, bindUnixError(spec, name, err)
	}
	return nil, nil
}

// bindUnixError is the *Error of a failed bind to a unix name.
func bindUnixError(spec Spec, name string, err error) error {
	e := &Error{Op: "bind", Spec: spec, Addr: name, Err: os.NewSyscallError("bind", err), Hint: Hint(spec, err)}
	if err == unix.EADDRINUSE {
		e.Hint, e.Terms = "another server is listening there: stop it or choose another local address", []Term{TermLocal}
		if strings.HasPrefix(name, "@") {
			e.Hint = "another socket holds that abstract name: stop its server or choose another local address"
		}
	}
	return e
}

// staleSocket returns the file at path when it is a socket with no server
// (a connect is refused), and an *Error saying what is there otherwise.
func staleSocket(spec Spec, path string) (os.FileInfo, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, &Error{Op: "bind", Spec: spec, Addr: path, Err: err}
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return nil, &Error{Op: "bind", Spec: spec, Addr: path, Err: fmt.Errorf("%s exists and is not a socket (%s)", path, kindOf(fi.Mode())),
			Hint: "it is left untouched: choose another local address", Terms: []Term{TermLocal}}
	}
	return fi, probeStale(spec, path)
}

// probeStale connects to the socket at path: refused means nobody serves it.
func probeStale(spec Spec, path string) error {
	probe, err := sysSocket(NewSpec(AF_UNIX, SOCK_DGRAM, 0))
	if err != nil {
		return &Error{Op: "socket", Spec: spec, Err: os.NewSyscallError("socket", err)}
	}
	defer sysClose(probe)
	err = Connect(probe, AF_UNIX, &net.UnixAddr{Name: path, Net: "unixgram"})
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
