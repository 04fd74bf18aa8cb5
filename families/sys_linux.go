package families

import (
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The socket system calls of this module, each reported to the Tracer when
// one is set (see trace.go). Every socket, bind, connect, getsockname,
// setsockopt, getsockopt, recvmsg, sendmsg, recvmmsg, sendmmsg and close of
// a socket goes through here.

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
	fd, err := unix.Socket(spec.Family, spec.Type|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, spec.Proto)
	if t := tracer.Load(); t != nil {
		trace(t, "socket", fd, fd, err, FamilyName(spec.Family), TypeName(spec.Type), ProtoName(spec.Family, spec.Proto))
	}
	return fd, err
}

func sysClose(fd int) error {
	err := unix.Close(fd)
	if t := tracer.Load(); t != nil {
		trace(t, "close", fd, 0, err)
	}
	return err
}

// sysSockaddr runs bind(2) or connect(2) on fd and a.
func sysSockaddr(name string, trap uintptr, fd int, a *rawAddr) error {
	_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(a.ptr()), uintptr(a.n))
	if t := tracer.Load(); t != nil {
		trace(t, name, fd, 0, errOf(e), rawString(a))
	}
	return errOf(e)
}

func sysGetsockname(fd int, a *rawAddr) error {
	a.n = unix.SizeofSockaddrAny
	_, _, e := unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(a.ptr()), uintptr(unsafe.Pointer(&a.n)))
	if t := tracer.Load(); t != nil {
		trace(t, "getsockname", fd, 0, errOf(e), rawString(a))
	}
	return errOf(e)
}

func sysGetpeername(fd int, a *rawAddr) error {
	a.n = unix.SizeofSockaddrAny
	_, _, e := unix.RawSyscall(unix.SYS_GETPEERNAME, uintptr(fd), uintptr(a.ptr()), uintptr(unsafe.Pointer(&a.n)))
	if t := tracer.Load(); t != nil {
		trace(t, "getpeername", fd, 0, errOf(e), rawString(a))
	}
	return errOf(e)
}

// SetsockoptInt sets an integer socket option on descriptor fd, as
// setsockopt(2) does, where the Tracer sees it.
func SetsockoptInt(fd, level, opt, v int) error {
	err := unix.SetsockoptInt(fd, level, opt, v)
	if t := tracer.Load(); t != nil {
		trace(t, "setsockopt", fd, 0, err, levelName(level), optName(level, opt), strconv.Itoa(v))
	}
	return err
}

// GetsockoptInt reads an integer socket option of descriptor fd.
func GetsockoptInt(fd, level, opt int) (int, error) {
	v, err := unix.GetsockoptInt(fd, level, opt)
	if t := tracer.Load(); t != nil {
		trace(t, "getsockopt", fd, 0, err, levelName(level), optName(level, opt), "["+strconv.Itoa(v)+"]")
	}
	return v, err
}

// getsockoptBytes reads a socket option into b and returns its length.
func getsockoptBytes(fd, level, opt int, b []byte) (int, error) {
	l := uint32(len(b))
	_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&l)), 0)
	if t := tracer.Load(); t != nil {
		trace(t, "getsockopt", fd, 0, errOf(e), levelName(level), optName(level, opt), strconv.Itoa(int(l))+" bytes")
	}
	return int(l), errOf(e)
}

// sysRecvmsg is one recvmsg(2); from is filled in by the kernel.
func sysRecvmsg(fd int, h *unix.Msghdr, flags int, from *rawAddr, network string) (int, syscall.Errno) {
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(h)), uintptr(flags))
	if t := tracer.Load(); t != nil {
		from.n = h.Namelen
		c := Call{Name: "recvmsg", Fd: fd, Args: []string{strconv.Itoa(iovLen(h)), flagString(flags)}, Ret: int(r)}
		traceRecv(t, c, e, from, network)
	}
	return int(r), e
}

func sysSendmsg(fd int, h *unix.Msghdr, to *rawAddr) (int, syscall.Errno) {
	r, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(h)), 0)
	if t := tracer.Load(); t != nil {
		trace(t, "sendmsg", fd, int(r), errOf(e), strconv.Itoa(iovLen(h))+" bytes", rawString(to))
	}
	return int(r), e
}

// sysRecvmmsg is one non-blocking recvmmsg(2) of up to len(hdrs) datagrams.
// It never blocks, so it goes through RawSyscall6: with Syscall6 a call of
// a few dozen datagrams outlasts sysmon's 20µs and the runtime hands the P
// to another thread and back.
func sysRecvmmsg(fd uintptr, hdrs []unix.Mmsghdr) (int, syscall.Errno) {
	r, _, e := unix.RawSyscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)),
		unix.MSG_DONTWAIT|unix.MSG_TRUNC, 0, 0)
	if t := tracer.Load(); t != nil {
		trace(t, "recvmmsg", int(fd), int(r), errOf(e), strconv.Itoa(len(hdrs)))
	}
	return int(r), e
}

// sysSendmmsg is one non-blocking sendmmsg(2) of hdrs.
func sysSendmmsg(fd uintptr, hdrs []unix.Mmsghdr) (int, syscall.Errno) {
	r, _, e := unix.RawSyscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&hdrs[0])), uintptr(len(hdrs)),
		unix.MSG_DONTWAIT, 0, 0)
	if t := tracer.Load(); t != nil {
		trace(t, "sendmmsg", int(fd), int(r), errOf(e), strconv.Itoa(len(hdrs)))
	}
	return int(r), e
}

func traceRecv(t *Tracer, c Call, e syscall.Errno, from *rawAddr, network string) {
	if e != 0 {
		c.Errno, c.Ret = e, -1
	} else if from.named() {
		c.From = addrString(from.addr(network))
	}
	(*t)(c)
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
	if a.sa.Addr.Family == unix.AF_UNIX {
		return a.unixName()
	}
	return addrString(a.addr("udp"))
}

func flagString(flags int) string {
	var s []string
	for _, f := range []struct {
		v    int
		name string
	}{{unix.MSG_TRUNC, "MSG_TRUNC"}, {unix.MSG_DONTWAIT, "MSG_DONTWAIT"}, {unix.MSG_ERRQUEUE, "MSG_ERRQUEUE"}, {unix.MSG_PEEK, "MSG_PEEK"}} {
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
	_, _, e := unix.Syscall6(unix.SYS_SETSOCKOPT, uintptr(fd), uintptr(level), uintptr(opt),
		uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0)
	if t := tracer.Load(); t != nil {
		trace(t, "setsockopt", fd, 0, errOf(e), levelName(level), optName(level, opt), strconv.Itoa(len(b))+" bytes")
	}
	return errOf(e)
}
