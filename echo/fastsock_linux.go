package echo

import (
	"os"
	"unsafe"

	"github.com/socklab/socklab/families"
	"golang.org/x/sys/unix"
)

// socketDrops reads the socket's count of datagrams the kernel dropped
// (SK_MEMINFO_DROPS of SO_MEMINFO: a full receive queue, mostly). It is the
// counter SO_RXQ_OVFL attaches to received datagrams.
func socketDrops(c families.Conn) (uint32, bool) {
	var v uint32
	err := families.Control(c, func(fd int) error {
		var mem [unix.SK_MEMINFO_VARS]uint32
		l := uint32(unsafe.Sizeof(mem))
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_MEMINFO,
			uintptr(unsafe.Pointer(&mem[0])), uintptr(unsafe.Pointer(&l)), 0)
		if e != 0 {
			return e
		}
		if l <= unix.SK_MEMINFO_DROPS*4 {
			return unix.EINVAL
		}
		v = mem[unix.SK_MEMINFO_DROPS]
		return nil
	})
	return v, err == nil
}

// SetBuffers asks for a receive buffer of rcv bytes and a send buffer of snd
// bytes on c (0 leaves one as it is). It tries SO_RCVBUFFORCE/SO_SNDBUFFORCE
// first, which pass net.core.rmem_max/wmem_max but need CAP_NET_ADMIN, and
// falls back to SO_RCVBUF/SO_SNDBUF, which the kernel clamps to them. Either
// way the kernel doubles the value for its bookkeeping: Buffers reports what
// took effect.
func SetBuffers(c families.Conn, rcv, snd int) error {
	return families.Control(c, func(fd int) error {
		if rcv > 0 {
			if err := setBuffer(fd, unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, rcv); err != nil {
				return os.NewSyscallError("setsockopt SO_RCVBUF", err)
			}
		}
		if snd > 0 {
			if err := setBuffer(fd, unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, snd); err != nil {
				return os.NewSyscallError("setsockopt SO_SNDBUF", err)
			}
		}
		return nil
	})
}

func setBuffer(fd, force, plain, v int) error {
	err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, v)
	if err == unix.EPERM {
		err = unix.SetsockoptInt(fd, unix.SOL_SOCKET, plain, v)
	}
	return err
}

// Buffers returns the effective SO_RCVBUF and SO_SNDBUF of c, as the kernel
// reports them (twice what was asked, within the limits).
func Buffers(c families.Conn) (rcv, snd int, err error) {
	err = families.Control(c, func(fd int) error {
		var err error
		if rcv, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err != nil {
			return os.NewSyscallError("getsockopt SO_RCVBUF", err)
		}
		if snd, err = unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF); err != nil {
			return os.NewSyscallError("getsockopt SO_SNDBUF", err)
		}
		return nil
	})
	return rcv, snd, err
}
