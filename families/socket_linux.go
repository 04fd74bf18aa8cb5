package families

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

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
	return Spec{Fileno: fd}, &Error{Op: "adopt", Spec: Spec{Fileno: fd}, Err: err, Hint: "pass the number of an open socket descriptor", Terms: []Term{TermDescriptor}}
}

// Adopt duplicates the socket in f and wraps it as a Conn of d, after checking
// that it is a socket of a triple d serves.
func Adopt(d *Definition, f *os.File) (Conn, error) {
	nfd, s, err := dupSocket(d, f, "adopt it as the family it is")
	if err != nil {
		return nil, err
	}
	return NewConn(nfd, s)
}

// dupSocket checks that the socket in f is of a triple d serves (hint is
// the fix when it is not), and returns a non-blocking, close-on-exec
// duplicate of it and its triple, Fileno set.
func dupSocket(d *Definition, f *os.File, hint string) (int, Spec, error) {
	fd := int(f.Fd())
	s, err := Inspect(fd)
	if err != nil {
		err.(*Error).Spec = d.Spec
		err.(*Error).Spec.Fileno = fd
		return -1, Spec{}, err
	}
	if !d.Serves(s) {
		want := d.Spec
		want.Fileno = fd
		return -1, Spec{}, &Error{Op: "adopt", Spec: want, Err: fmt.Errorf("fd %d is %s, not a %s socket", fd, NewSpec(s.Family, s.Type, s.Proto), d.Name),
			Hint: hint}
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return -1, Spec{}, &Error{Op: "adopt", Spec: s, Err: os.NewSyscallError("dup", err)}
	}
	// The poller needs a non-blocking descriptor. The flag is on the open
	// file, which the process that passed it shares, as with Go's
	// net.FilePacketConn.
	if err := unix.SetNonblock(nfd, true); err != nil {
		sysClose(nfd)
		return -1, Spec{}, &Error{Op: "adopt", Spec: s, Err: os.NewSyscallError("fcntl", err)}
	}
	return nfd, s, nil
}

// RawHint is the fix for a raw socket the kernel refused (EPERM): the
// capability it needs and how to get it. A process that is root and still
// refused has lost CAP_NET_RAW (a container, capsh --drop, or a bounding
// set without it), and is told that root alone does not help.
func RawHint() string {
	switch {
	case os.Geteuid() == 0 && !inBoundingSet(capNetRaw):
		return "this process is root but CAP_NET_RAW is not in its bounding set (a container, or capsh, dropped it), " +
			"so neither root nor setcap cap_net_raw+ep can give it: run where the bounding set keeps CAP_NET_RAW"
	case os.Geteuid() == 0:
		return "this process is root but runs without CAP_NET_RAW in its effective set (capsh or setpriv dropped it): run it as plain root"
	}
	exe := "this program"
	if p, err := os.Executable(); err == nil {
		exe = shellQuote(p)
	}
	return "raw sockets need CAP_NET_RAW: run as root, or sudo setcap cap_net_raw+ep " + exe
}

// capNetRaw is CAP_NET_RAW's bit in the capability sets.
const capNetRaw = 13

// inBoundingSet reports whether capability bit is in this process's
// bounding set (CapBnd of /proc/self/status); true when unreadable.
func inBoundingSet(bit uint) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			set, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err != nil || set&(1<<bit) != 0
		}
	}
	return true
}

// shellQuote quotes s for a shell when it needs it.
func shellQuote(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
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
			return RawHint()
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
