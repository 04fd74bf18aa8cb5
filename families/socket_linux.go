package families

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Socket creates a non-blocking, close-on-exec socket of spec. The error is
// an *Error with the fix for the errno.
func Socket(spec Spec) (int, error) {
	fd, err := sysSocket(spec)
	if err != nil {
		return -1, &Error{Op: "socket", Spec: spec, Err: os.NewSyscallError("socket", err), Hint: Hint(spec, err)}
	}
	return fd, nil
}

// ProbeSpec opens and closes a socket of spec.
func ProbeSpec(spec Spec) error {
	fd, err := Socket(spec)
	if err == nil {
		sysClose(fd)
	}
	return err
}

// Inspect reads the triple of the open socket fd with SO_DOMAIN, SO_TYPE
// and SO_PROTOCOL, for adoption. The *Error says plainly when fd is not an
// open socket.
func Inspect(fd int) (Spec, error) {
	s := Spec{Fileno: fd}
	var err error
	for _, o := range []struct {
		opt int
		v   *int
	}{{unix.SO_DOMAIN, &s.Family}, {unix.SO_TYPE, &s.Type}, {unix.SO_PROTOCOL, &s.Proto}} {
		if *o.v, err = GetsockoptInt(fd, unix.SOL_SOCKET, o.opt); err != nil {
			break
		}
	}
	switch {
	case err == nil:
		return s, nil
	case errors.Is(err, unix.ENOTSOCK):
		err = fmt.Errorf("fd %d is not a socket", fd)
	case errors.Is(err, unix.EBADF):
		err = fmt.Errorf("fd %d is not open in this process", fd)
	default:
		err = os.NewSyscallError("getsockopt", err)
	}
	return Spec{Fileno: fd}, &Error{Op: "adopt", Spec: Spec{Fileno: fd}, Err: err, Hint: "pass the number of an open socket descriptor"}
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
	// The poller needs a non-blocking descriptor. The flag is on the open
	// file, which the process that passed it shares, as with Go's
	// net.FilePacketConn.
	if err := unix.SetNonblock(nfd, true); err != nil {
		sysClose(nfd)
		return nil, &Error{Op: "adopt", Spec: s, Err: os.NewSyscallError("fcntl", err)}
	}
	return NewConn(nfd, s)
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
