package families

import (
	"context"
	"fmt"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OpenReusePort opens n UDP sockets of d bound to the same address with
// SO_REUSEPORT, so that n goroutines can serve it: the kernel spreads the
// datagrams over the sockets by a hash of the sender's address and port, so
// each peer stays with one socket. When o.Addr has port 0 the first socket's
// port is used for the rest. Only UDP families qualify; o.File is refused.
func OpenReusePort(d *Definition, o Options, n int) ([]Conn, error) {
	if d.Spec.Type != SOCK_DGRAM || (d.Spec.Family != AF_INET && d.Spec.Family != AF_INET6) {
		return nil, &Error{Op: "bind", Spec: d.Spec, Addr: o.Addr, Err: fmt.Errorf("%s has no SO_REUSEPORT load balancing", d.Name),
			Hint: "--workers needs udp4 or udp6"}
	}
	if o.File != nil {
		return nil, &Error{Op: "adopt", Spec: d.Spec, Err: fmt.Errorf("one descriptor cannot be %d sockets", n), Hint: "use --workers without --fd"}
	}
	if n < 1 {
		n = 1
	}
	addr := o.Addr
	if addr == "" {
		addr = "0.0.0.0:0"
		if d.Spec.Family == AF_INET6 {
			addr = "[::]:0"
		}
	}
	lc := net.ListenConfig{Control: func(network, address string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1) })
		if err != nil {
			return err
		}
		return os.NewSyscallError("setsockopt SO_REUSEPORT", serr)
	}}
	var conns []Conn
	fail := func(err error) ([]Conn, error) {
		for _, c := range conns {
			c.Close()
		}
		return nil, err
	}
	for i := 0; i < n; i++ {
		pc, err := lc.ListenPacket(context.Background(), d.Network, addr)
		if err != nil {
			return fail(&Error{Op: "bind", Spec: d.Spec, Addr: addr, Err: err, Hint: Hint(d.Spec, err)})
		}
		if i == 0 {
			addr = pc.LocalAddr().String() // the port the kernel chose, for the others
		}
		c, err := wrapPacketConn(pc, d)
		if err != nil {
			return fail(err)
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// wrapPacketConn turns a socket Go's net package opened into a Conn of d.
func wrapPacketConn(pc net.PacketConn, d *Definition) (Conn, error) {
	defer pc.Close()
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil, &Error{Op: "adopt", Spec: d.Spec, Err: fmt.Errorf("%T has no descriptor", pc)}
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, &Error{Op: "adopt", Spec: d.Spec, Err: err}
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) { nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, &Error{Op: "adopt", Spec: d.Spec, Err: err}
	}
	if derr != nil {
		return nil, &Error{Op: "adopt", Spec: d.Spec, Err: os.NewSyscallError("dup", derr)}
	}
	return NewConn(nfd, d.Spec, d.Network)
}
