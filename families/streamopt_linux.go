package families

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// sockControl runs fn on s's descriptor, for a socket option.
func sockControl(s Sock, fn func(fd int) error) error {
	if c, ok := s.(Conn); ok {
		return Control(c, fn)
	}
	rc, err := s.SyscallConn()
	if err != nil {
		return err
	}
	return rawControl(rc, fn)
}

// PeerCred returns the credentials of the process at the other end of a
// connected unix socket (SO_PEERCRED), as the kernel recorded them: on a
// server's accepted connection, the client's when it called connect(2); on
// a client's connection, the server's when it called listen(2).
func PeerCred(c Sock) (Cred, error) {
	if c.Spec().Family != AF_UNIX {
		return Cred{}, errors.New("SO_PEERCRED: only unix sockets know their peer's process")
	}
	var cred Cred
	err := sockControl(c, func(fd int) error {
		u, err := getsockoptUcred(fd)
		if err != nil {
			return os.NewSyscallError("getsockopt SO_PEERCRED", err)
		}
		cred = Cred{PID: int(u.Pid), UID: int(u.Uid), GID: int(u.Gid)}
		return nil
	})
	return cred, err
}

// SetNoDelay turns TCP_NODELAY on or off on a TCP socket. Off (the
// kernel's default; Go's net turns it on) is Nagle's algorithm: a small
// write waits while an earlier one is unacknowledged, to go out with what
// follows. A listening socket passes the setting to the connections it
// accepts. Other families: no-op.
func SetNoDelay(c Sock, on bool) error {
	if !isTCP(c.Spec()) {
		return nil
	}
	v := 0
	if on {
		v = 1
	}
	return sockControl(c, func(fd int) error {
		return os.NewSyscallError("setsockopt TCP_NODELAY", SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, v))
	})
}

// NoDelay reports whether TCP_NODELAY is on; false for other families.
func NoDelay(c Sock) bool {
	on := false
	if isTCP(c.Spec()) {
		sockControl(c, func(fd int) error {
			v, err := GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
			on = err == nil && v != 0
			return err
		})
	}
	return on
}

func isTCP(s Spec) bool {
	return (s.Family == AF_INET || s.Family == AF_INET6) && s.Type == SOCK_STREAM
}

// Abort closes a connection at once: with SO_LINGER set to zero, close
// discards what is unsent and a TCP peer gets a reset (RST), which its
// next read or write reports as ECONNRESET, instead of the orderly end
// (FIN, then EOF). A unix peer sees the end of the connection (EOF), or
// ECONNRESET if it had sent data this end never read.
func Abort(c StreamConn) error {
	Control(c, func(fd int) error {
		return setsockoptLinger(fd, &unix.Linger{Onoff: 1, Linger: 0})
	})
	return c.Close()
}

// SetSockBuffers is SetBuffers for any socket of this package, a Listener
// too: the connections a listening socket accepts start with its buffer
// sizes.
func SetSockBuffers(s Sock, rcv, snd int) error {
	return sockControl(s, func(fd int) error { return setBuffers(fd, rcv, snd) })
}

// SockBuffers is Buffers for any socket of this package, a Listener too.
func SockBuffers(s Sock) (rcv, snd int, err error) {
	err = sockControl(s, func(fd int) (err error) {
		rcv, snd, err = buffers(fd)
		return err
	})
	return rcv, snd, err
}
