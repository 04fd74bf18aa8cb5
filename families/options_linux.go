package families

import (
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// RawConn returns the syscall.RawConn of c, or of the Conn it wraps: the
// one way this module reaches a Conn's descriptor.
func RawConn(c Conn) (syscall.RawConn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("%T has no descriptor: %w", c, ErrUnsupported)
	}
	return sc.SyscallConn()
}

// Control runs fn on c's descriptor (for socket options) and returns the
// error of either. It does not put the descriptor in Go's netpoller.
func Control(c Conn, fn func(fd int) error) error {
	if cc, ok := c.(*conn); ok {
		var ferr error
		if err := cc.control(func(fd int) { ferr = fn(fd) }); err != nil {
			return err
		}
		return ferr
	}
	rc, err := RawConn(c)
	if err != nil {
		return err
	}
	return rawControl(rc, fn)
}

// rawControl runs fn on rc's descriptor and returns the error of either.
func rawControl(rc syscall.RawConn, fn func(fd int) error) error {
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// ReportICMPErrors asks the kernel to report ICMP errors (port unreachable,
// host unreachable) on an unconnected UDP socket as errors from the next
// read, with IP_RECVERR or IPV6_RECVERR. Without it only a connected socket
// hears them, and a client waits out its timeout. Other families: no-op.
func ReportICMPErrors(c Conn) error {
	s := c.Spec()
	return Control(c, func(fd int) error {
		switch s.Family {
		case AF_INET:
			return os.NewSyscallError("setsockopt IP_RECVERR", SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_RECVERR, 1))
		case AF_INET6:
			return os.NewSyscallError("setsockopt IPV6_RECVERR", SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVERR, 1))
		}
		return nil
	})
}

// ConnectUnix connects a unix datagram Conn to peer, so the kernel delivers
// it only the peer's datagrams, however the peer's name is spelled. The Conn
// can still send to any address. It fails when no socket is bound at peer.
func ConnectUnix(c Conn, peer net.Addr) error {
	ua, ok := peer.(*net.UnixAddr)
	if !ok || c.Spec().Family != AF_UNIX {
		return fmt.Errorf("ConnectUnix: %v is not a unix address", peer)
	}
	return Control(c, func(fd int) error {
		return os.NewSyscallError("connect", Connect(fd, AF_UNIX, ua))
	})
}

// PassCred turns SO_PASSCRED on or off on a unix socket. With it on, each
// datagram carries its sender's credentials (ParseCred, ReadMsgCred), which
// name a sender that has no address by its PID. The kernel then takes a
// reference on the sender's PID for every datagram the socket sends or
// receives, about 8% of a unix echo. The credentials are taken when a
// datagram is sent: one sent while it was off arrives with PID 0. Unix
// sockets open with it on.
func PassCred(c Conn, on bool) error {
	if c.Spec().Family != AF_UNIX {
		return nil
	}
	v := 0
	if on {
		v = 1
	}
	err := Control(c, func(fd int) error {
		return os.NewSyscallError("setsockopt SO_PASSCRED", SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, v))
	})
	if cc, ok := c.(*conn); ok && err == nil {
		cc.creds.Store(on)
	}
	return err
}

// Drops reads the socket's count of datagrams the kernel dropped
// (SK_MEMINFO_DROPS of SO_MEMINFO: a full receive queue, mostly). It is the
// counter SO_RXQ_OVFL would attach to each datagram, read once.
func Drops(c Conn) (uint32, bool) {
	var v uint32
	err := Control(c, func(fd int) error {
		var mem [unix.SK_MEMINFO_VARS * 4]byte
		l, err := getsockoptBytes(fd, unix.SOL_SOCKET, unix.SO_MEMINFO, mem[:])
		if err != nil {
			return err
		}
		if l <= unix.SK_MEMINFO_DROPS*4 {
			return unix.EINVAL
		}
		v = binary.NativeEndian.Uint32(mem[unix.SK_MEMINFO_DROPS*4:])
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
func SetBuffers(c Conn, rcv, snd int) error {
	return Control(c, func(fd int) error { return setBuffers(fd, rcv, snd) })
}

// setBuffers is SetBuffers on descriptor fd.
func setBuffers(fd, rcv, snd int) error {
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
}

func setBuffer(fd, force, plain, v int) error {
	err := SetsockoptInt(fd, unix.SOL_SOCKET, force, v)
	if err == unix.EPERM {
		err = SetsockoptInt(fd, unix.SOL_SOCKET, plain, v)
	}
	return err
}

// Buffers returns the effective SO_RCVBUF and SO_SNDBUF of c, as the kernel
// reports them (twice what was asked, within the limits).
func Buffers(c Conn) (rcv, snd int, err error) {
	err = Control(c, func(fd int) (err error) {
		rcv, snd, err = buffers(fd)
		return err
	})
	return rcv, snd, err
}

// buffers is Buffers on descriptor fd.
func buffers(fd int) (rcv, snd int, err error) {
	if rcv, err = GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err != nil {
		return rcv, snd, os.NewSyscallError("getsockopt SO_RCVBUF", err)
	}
	if snd, err = GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF); err != nil {
		return rcv, snd, os.NewSyscallError("getsockopt SO_SNDBUF", err)
	}
	return rcv, snd, nil
}

// SetSpin sets how a batch read or write on c that finds nothing to do
// waits, while c is not in Go's netpoller (a UDP socket's batch path): for
// d > 0 it tries again at once for up to d before it sleeps in ppoll, which
// saves a sleep and a wake-up when the next datagram is microseconds away;
// for d < 0 it never sleeps (busy polling: the lowest latency, a core spent
// on it), and asks the kernel to busy-poll the device queue too
// (SO_BUSY_POLL, best effort); 0 sleeps at once (the default).
func SetSpin(c Conn, d time.Duration) error {
	cc, ok := c.(*conn)
	if s := c.Spec(); !ok || !batchSpec(s) || s.Family == AF_UNIX {
		return fmt.Errorf("%s: spinning needs the batch path of a UDP socket: %w", c.Spec(), ErrUnsupported)
	}
	if d < 0 {
		Control(c, func(fd int) error { return SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BUSY_POLL, 50) })
		d = -1
	}
	cc.spin.Store(int64(d))
	return nil
}

// Readable reports whether a datagram is queued to c now (poll(2) with no
// wait): a server deciding whether anybody waits for it.
func Readable(c Conn) bool {
	ready := false
	Control(c, func(fd int) error {
		fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds[:], 0)
		ready = err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
		return nil
	})
	return ready
}

// MaxDatagram is the largest payload c can send in one datagram: 65507 for
// UDP over IPv4, 65527 over IPv6, and for a unix socket what its send buffer
// allows (SO_SNDBUF less the kernel's overhead).
func MaxDatagram(c Conn) int {
	if m := maxIPDatagram(c.Spec()); m > 0 {
		return m
	}
	max := 0
	Control(c, func(fd int) error {
		v, err := GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
		if err == nil {
			// Measured on Linux 6.18: the largest datagram is SO_SNDBUF
			// less 32 bytes (212960 with the default 212992).
			max = v - 32
		}
		return err
	})
	return max
}
