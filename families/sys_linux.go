package families

import (
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The socket system calls of this module, each reported to the Tracer when
// one is set (see trace.go). Every socket, bind, connect, getsockname,
// getpeername, setsockopt, getsockopt, recvmsg, sendmsg, recvmmsg,
// sendmmsg, sendto, recvfrom and close of a socket goes through here.
//
// While a Tracer is set, each call is made and reported under traceMu, so
// the trace lists the calls in the order the kernel ran them, as strace
// does, even when several goroutines make them. Every call made under it
// returns at once (the sockets are non-blocking, and the netlink dumps
// are answered as they are read). With no Tracer set, begin is one atomic
// load and nothing else happens.

var traceMu sync.Mutex

// fdMu orders, while a Tracer is set, the close of a socket in Go's
// netpoller with the socket calls that can reuse its number. That close
// cannot be made under traceMu: os.File.Close waits for the reads and
// writes in progress, which may be waiting for traceMu. So the socket
// calls that create descriptors hold fdMu for reading, and such a close
// holds it while it closes and reports: a descriptor is never reported
// made again before it is reported closed.
var fdMu sync.RWMutex

// begin returns the Tracer with traceMu held, or nil when none is set.
// The caller makes its call, then reports it with done (or report).
func begin() *Tracer {
	t := tracer.Load()
	if t != nil {
		traceMu.Lock()
	}
	return t
}

// done reports one call to t and releases traceMu.
func done(t *Tracer, name string, fd int, ret int, err error, args ...string) {
	defer traceMu.Unlock()
	trace(t, name, fd, ret, err, args...)
}

// report hands c to t and releases traceMu.
func report(t *Tracer, c Call) {
	defer traceMu.Unlock()
	c.Time = time.Now()
	(*t)(c)
}

func errnoName(e syscall.Errno) string {
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

// errOf is the error of a raw system call's errno.
func errOf(e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func sysSocket(spec Spec) (int, error) {
	return sysSocketFlags(spec, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
}

// sysSocketFlags is socket(2) of spec with flags (SOCK_NONBLOCK, SOCK_CLOEXEC)
// or'ed into the type.
func sysSocketFlags(spec Spec, flags int) (int, error) {
	if tracer.Load() != nil {
		fdMu.RLock()
		defer fdMu.RUnlock()
	}
	t := begin()
	fd, err := unix.Socket(spec.Family, spec.Type|flags, spec.Proto)
	if t != nil {
		done(t, "socket", fd, fd, err, traceFamily(spec.Family), TypeName(spec.Type), traceProto(spec.Family, spec.Proto))
	}
	return fd, err
}

// Close closes socket descriptor fd, one that no Conn holds (a Conn
// closes its own), where the Tracer sees it.
func Close(fd int) error { return sysClose(fd) }

// closeFile closes f, the *os.File of socket fd in Go's netpoller, where
// the Tracer sees it (see fdMu).
func closeFile(f *os.File, fd int) error {
	if tracer.Load() == nil {
		return f.Close()
	}
	fdMu.Lock()
	defer fdMu.Unlock()
	err := f.Close()
	if t := begin(); t != nil {
		done(t, "close", fd, 0, err)
	}
	return err
}

func sysClose(fd int) error {
	t := begin()
	err := unix.Close(fd)
	if t != nil {
		done(t, "close", fd, 0, err)
	}
	return err
}

// sysSockaddr runs bind(2) or connect(2) on fd and a.
func sysSockaddr(name string, trap uintptr, fd int, a *rawAddr) error {
	t := begin()
	_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(a.ptr()), uintptr(a.n))
	if t != nil {
		done(t, name, fd, 0, errOf(e), rawString(a))
	}
	return errOf(e)
}

// sysGetsockname is getsockname(2) of fd, whose addresses network spells.
func sysGetsockname(fd int, a *rawAddr, network string) error {
	return sysName("getsockname", unix.SYS_GETSOCKNAME, fd, a, network)
}

// sysGetpeername is getpeername(2) of fd, whose addresses network spells.
func sysGetpeername(fd int, a *rawAddr, network string) error {
	return sysName("getpeername", unix.SYS_GETPEERNAME, fd, a, network)
}

// sysName runs getsockname(2) or getpeername(2) on fd into a.
func sysName(name string, trap uintptr, fd int, a *rawAddr, network string) error {
	t := begin()
	a.n = unix.SizeofSockaddrAny
	_, _, e := unix.RawSyscall(trap, uintptr(fd), uintptr(a.ptr()), uintptr(unsafe.Pointer(&a.n)))
	if t != nil {
		what := traceAddr(a, network)
		if e != 0 {
			what = "..."
		}
		done(t, name, fd, 0, errOf(e), what)
	}
	return errOf(e)
}

// SetsockoptInt sets an integer socket option on descriptor fd, as
// setsockopt(2) does, where the Tracer sees it.
func SetsockoptInt(fd, level, opt, v int) error {
	t := begin()
	err := unix.SetsockoptInt(fd, level, opt, v)
	if t != nil {
		done(t, "setsockopt", fd, 0, err, levelName(level), optName(level, opt), optValue(level, opt, v))
	}
	return err
}

// SetsockoptICMPv6Filter sets the ICMPv6 type filter of a raw ICMPv6
// socket (ICMP6_FILTER), where the Tracer sees it.
func SetsockoptICMPv6Filter(fd int, f *unix.ICMPv6Filter) error {
	t := begin()
	err := unix.SetsockoptICMPv6Filter(fd, unix.SOL_ICMPV6, unix.ICMPV6_FILTER, f)
	if t != nil {
		done(t, "setsockopt", fd, 0, err, "SOL_ICMPV6", "ICMP6_FILTER", strconv.Itoa(int(unsafe.Sizeof(*f)))+" bytes")
	}
	return err
}

// GetsockoptInt reads an integer socket option of descriptor fd.
func GetsockoptInt(fd, level, opt int) (int, error) {
	t := begin()
	v, err := unix.GetsockoptInt(fd, level, opt)
	if t != nil {
		done(t, "getsockopt", fd, 0, err, levelName(level), optName(level, opt), "["+optValue(level, opt, v)+"]")
	}
	return v, err
}

// getsockoptBytes reads a socket option into b and returns its length.
func getsockoptBytes(fd, level, opt int, b []byte) (int, error) {
	t := begin()
	l := uint32(len(b))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)), 0)
	if t != nil {
		done(t, "getsockopt", fd, 0, errOf(e), levelName(level), optName(level, opt), strconv.Itoa(int(l))+" bytes")
	}
	return int(l), errOf(e)
}

// sysRecvmsg is one recvmsg(2); from is filled in by the kernel.
func sysRecvmsg(fd int, h *unix.Msghdr, flags int, from *rawAddr, network string) (int, syscall.Errno) {
	t := begin()
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(h)), uintptr(flags))
	if t != nil {
		from.n = h.Namelen
		c := Call{Name: "recvmsg", Fd: fd, Args: []string{strconv.Itoa(iovLen(h)), flagString(flags)}, Ret: int(r)}
		traceRecv(t, c, e, from, network)
	}
	return int(r), e
}

// sysSendmsg is one sendmsg(2) to to, an address of network.
func sysSendmsg(fd int, h *unix.Msghdr, to *rawAddr, network string) (int, syscall.Errno) {
	t := begin()
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(h)), 0)
	if t != nil {
		done(t, "sendmsg", fd, int(r), errOf(e), strconv.Itoa(iovLen(h))+" bytes", traceAddr(to, network))
	}
	return int(r), e
}

// sysRecvmmsg is one non-blocking recvmmsg(2) of up to len(hdrs) datagrams.
// It never blocks, so it goes through RawSyscall6: with Syscall6 a call of
// a few dozen datagrams outlasts sysmon's 20µs and the runtime hands the P
// to another thread and back.
func sysRecvmmsg(fd uintptr, hdrs []unix.Mmsghdr) (int, syscall.Errno) {
	t := begin()
	r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)),
		unix.MSG_DONTWAIT|unix.MSG_TRUNC, 0, 0)
	if t != nil {
		done(t, "recvmmsg", int(fd), int(r), errOf(e), strconv.Itoa(len(hdrs)), flagString(unix.MSG_DONTWAIT|unix.MSG_TRUNC))
	}
	return int(r), e
}

// sysSendmmsg is one non-blocking sendmmsg(2) of hdrs.
func sysSendmmsg(fd uintptr, hdrs []unix.Mmsghdr) (int, syscall.Errno) {
	t := begin()
	r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)),
		unix.MSG_DONTWAIT, 0, 0)
	if t != nil {
		done(t, "sendmmsg", int(fd), int(r), errOf(e), strconv.Itoa(len(hdrs)), flagString(unix.MSG_DONTWAIT))
	}
	return int(r), e
}

// sysSendtoNetlink sends b to the kernel on a netlink socket (sendto(2)).
func sysSendtoNetlink(fd int, b []byte) error {
	t := begin()
	err := unix.Sendto(fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
	if t != nil {
		n := len(b)
		if err != nil {
			n = -1
		}
		done(t, "sendto", fd, n, err, strconv.Itoa(len(b))+" bytes", "netlink")
	}
	return err
}

// sysRecvfromNetlink reads one netlink message batch into b (recvfrom(2)).
func sysRecvfromNetlink(fd int, b []byte) (int, error) {
	t := begin()
	n, _, err := unix.Recvfrom(fd, b, 0)
	if t != nil {
		c := Call{Name: "recvfrom", Fd: fd, Args: []string{strconv.Itoa(len(b)), "0"}, Ret: n, From: "netlink"}
		if e, ok := err.(syscall.Errno); ok {
			c.Errno, c.Ret, c.From = e, -1, ""
		}
		report(t, c)
	}
	return n, err
}

func traceRecv(t *Tracer, c Call, e syscall.Errno, from *rawAddr, network string) {
	if e != 0 {
		c.Errno, c.Ret = e, -1
	} else if from.named() {
		c.From = traceAddr(from, network)
	}
	report(t, c)
}

// iovLen is the room, or the bytes, a message header's buffers hold.
func iovLen(h *unix.Msghdr) int {
	n := 0
	iovs := unsafe.Slice(h.Iov, int(h.Iovlen))
	for _, v := range iovs {
		n += int(v.Len)
	}
	return n
}

// rawString is a socket address for a trace.
func rawString(a *rawAddr) string {
	if a.n <= 2 {
		if a.sa.Addr.Family == unix.AF_UNIX {
			return "(autobind)"
		}
		return "(none)"
	}
	return traceAddr(a, "udp")
}

// traceAddr spells a as the Conns of network do, without looking up an
// IPv6 zone's name (that is a netlink dump, a socket call of its own):
// "127.0.0.1:8020", "[fe80::1%2]:8020", "127.0.0.1" on raw and ICMP
// sockets, "@name" or a path for unix.
func traceAddr(a *rawAddr, network string) string {
	switch a.sa.Addr.Family {
	case unix.AF_UNIX:
		if n := a.unixName(); n != "" {
			return QuoteName(n)
		}
		return "(unbound)"
	case unix.AF_INET, unix.AF_INET6:
		ap, _ := a.addrPort()
		ip := ap.Addr()
		if sa := (*unix.RawSockaddrInet6)(a.ptr()); a.sa.Addr.Family == unix.AF_INET6 && sa.Scope_id != 0 {
			ip = ip.WithZone(strconv.Itoa(int(sa.Scope_id)))
		}
		if strings.HasPrefix(network, "ip") {
			return ip.String()
		}
		return netip.AddrPortFrom(ip, ap.Port()).String()
	}
	return "family " + strconv.Itoa(int(a.sa.Addr.Family))
}

func flagString(flags int) string {
	var s []string
	for _, f := range []struct {
		v    int
		name string
	}{{unix.MSG_DONTWAIT, "MSG_DONTWAIT"}, {unix.MSG_TRUNC, "MSG_TRUNC"}, {unix.MSG_ERRQUEUE, "MSG_ERRQUEUE"}, {unix.MSG_PEEK, "MSG_PEEK"}} {
		if flags&f.v != 0 {
			s = append(s, f.name)
		}
	}
	if len(s) == 0 {
		return "0"
	}
	return joinFlags(s)
}

func joinFlags(s []string) string {
	out := s[0]
	for _, x := range s[1:] {
		out += "|" + x
	}
	return out
}

// setsockoptBytes sets a socket option whose value is a struct, given as
// its bytes (ip_mreqn, group_req, in6_flowlabel_req ...).
func setsockoptBytes(fd, level, opt int, b []byte) error {
	t := begin()
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0)
	if t != nil {
		done(t, "setsockopt", fd, 0, errOf(e), levelName(level), optName(level, opt), strconv.Itoa(len(b))+" bytes")
	}
	return errOf(e)
}

// The calls of the stream families.

// sysAccept4 is one non-blocking accept4(2) on listening socket fd: the new
// descriptor, non-blocking and close-on-exec, and its peer in a. It makes
// a descriptor, so it holds fdMu while tracing (see fdMu).
func sysAccept4(fd uintptr, a *rawAddr) (int, syscall.Errno) {
	if tracer.Load() != nil {
		fdMu.RLock()
		defer fdMu.RUnlock()
	}
	t := begin()
	a.n = unix.SizeofSockaddrAny
	r, _, e := unix.RawSyscall6(unix.SYS_ACCEPT4, fd, uintptr(a.ptr()), uintptr(unsafe.Pointer(&a.n)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if t != nil {
		peer := "..."
		if e == 0 {
			peer = traceAddr(a, "tcp")
		}
		done(t, "accept4", int(fd), int(r), errOf(e), peer, "SOCK_NONBLOCK|SOCK_CLOEXEC")
	}
	return int(r), e
}

// sysListen is listen(2).
func sysListen(fd, backlog int) error {
	t := begin()
	err := unix.Listen(fd, backlog)
	if t != nil {
		done(t, "listen", fd, 0, err, strconv.Itoa(backlog))
	}
	return err
}

// sysShutdown is shutdown(2): how is unix.SHUT_RD, SHUT_WR or SHUT_RDWR.
func sysShutdown(fd, how int) error {
	t := begin()
	err := unix.Shutdown(fd, how)
	if t != nil {
		done(t, "shutdown", fd, 0, err, map[int]string{unix.SHUT_RD: "SHUT_RD", unix.SHUT_WR: "SHUT_WR", unix.SHUT_RDWR: "SHUT_RDWR"}[how])
	}
	return err
}

// sysRecvfromStream is one non-blocking recvfrom(2) of a stream socket
// into b; RawSyscall6 spares the runtime a P handoff.
func sysRecvfromStream(fd uintptr, b []byte, flags int) (int, syscall.Errno) {
	t := begin()
	n, _, e := unix.RawSyscall6(unix.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), uintptr(flags), 0, 0)
	if t != nil {
		done(t, "recvfrom", int(fd), int(n), errOf(e), strconv.Itoa(len(b)), flagString(flags))
	}
	return int(n), e
}

// sysSendmsgStream is one non-blocking sendmsg(2) of h on a stream
// socket, MSG_NOSIGNAL: a closed peer is EPIPE, not SIGPIPE.
func sysSendmsgStream(fd uintptr, h *unix.Msghdr) (int, syscall.Errno) {
	t := begin()
	n, _, e := unix.RawSyscall(unix.SYS_SENDMSG, fd, uintptr(unsafe.Pointer(h)), unix.MSG_NOSIGNAL)
	if t != nil {
		done(t, "sendmsg", int(fd), int(n), errOf(e), strconv.Itoa(iovLen(h))+" bytes", "MSG_NOSIGNAL")
	}
	return int(n), e
}

// getsockoptUcred reads SO_PEERCRED of a unix socket.
func getsockoptUcred(fd int) (*unix.Ucred, error) {
	t := begin()
	u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if t != nil {
		args := []string{"SOL_SOCKET", "SO_PEERCRED", "..."}
		if err == nil {
			args[2] = "{pid=" + strconv.Itoa(int(u.Pid)) + ", uid=" + strconv.Itoa(int(u.Uid)) + ", gid=" + strconv.Itoa(int(u.Gid)) + "}"
		}
		done(t, "getsockopt", fd, 0, err, args...)
	}
	return u, err
}

// getsockoptTCPInfo reads TCP_INFO of a TCP socket.
func getsockoptTCPInfo(fd int) (*unix.TCPInfo, error) {
	t := begin()
	k, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if t != nil {
		done(t, "getsockopt", fd, 0, err, "SOL_TCP", "TCP_INFO", strconv.Itoa(int(unsafe.Sizeof(*k)))+" bytes")
	}
	return k, err
}

// setsockoptLinger sets SO_LINGER.
func setsockoptLinger(fd int, l *unix.Linger) error {
	t := begin()
	err := unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, l)
	if t != nil {
		done(t, "setsockopt", fd, 0, err, "SOL_SOCKET", "SO_LINGER", "{onoff="+strconv.Itoa(int(l.Onoff))+", linger="+strconv.Itoa(int(l.Linger))+"}")
	}
	return err
}

// Sendto is one sendto(2) of b on socket fd to the socket address to, of
// tolen bytes, where the Tracer sees it: for a sender that keeps its own
// sockaddr to allocate nothing per datagram (the flood ping). It is a raw
// call: fd must not block. A Capture does not see it: such a sender takes
// a Conn's path while Capturing.
func Sendto(fd int, b []byte, to *unix.RawSockaddrAny, tolen uint32, network string) syscall.Errno {
	t := begin()
	r, _, e := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), 0,
		uintptr(unsafe.Pointer(to)), uintptr(tolen))
	if t != nil {
		a := rawAddr{sa: *to, n: tolen}
		done(t, "sendto", fd, int(r), errOf(e), strconv.Itoa(len(b))+" bytes", traceAddr(&a, network))
	}
	return e
}

// Recvmsg is one recvmsg(2) of h on socket fd, where the Tracer sees it,
// for a reader that keeps its own message header (the flood ping); a raw
// call, for a socket that does not block. A Capture does not see it, as
// with Sendto.
func Recvmsg(fd int, h *unix.Msghdr, flags int, network string) (int, syscall.Errno) {
	t := begin()
	r, _, e := unix.RawSyscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(h)), uintptr(flags))
	if t != nil {
		var from rawAddr
		if h.Name != nil {
			copy(unsafe.Slice((*byte)(from.ptr()), unix.SizeofSockaddrAny), unsafe.Slice(h.Name, min(int(h.Namelen), unix.SizeofSockaddrAny)))
		}
		from.n = h.Namelen
		c := Call{Name: "recvmsg", Fd: fd, Args: []string{strconv.Itoa(iovLen(h)), flagString(flags)}, Ret: int(r)}
		traceRecv(t, c, e, &from, network)
	}
	return int(r), e
}

// Capturing reports whether a Capture is set: a sender or reader that
// bypasses the Conns (Sendto, Recvmsg) takes their path while it is, so
// that the Capture sees its datagrams.
func Capturing() bool { return capture.Load() != nil }
