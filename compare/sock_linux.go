package compare

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// The stream and seqpacket transports are sockets made here with
// x/sys/unix. Once package families has stream families (tcp4,
// unixstream, seqpacket as Definitions with a stream Conn), sockTransport
// gives way to a transport over them, as familyTransport is for datagrams.

// TCP is AF_INET, SOCK_STREAM, IPPROTO_TCP, with TCP_NODELAY on.
func TCP() Transport {
	return &sockTransport{name: "tcp", kind: KindStream, family: unix.AF_INET, typ: unix.SOCK_STREAM,
		socket: "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)"}
}

// UnixStream is AF_UNIX, SOCK_STREAM.
func UnixStream() Transport {
	return &sockTransport{name: "unix-stream", kind: KindStream, family: unix.AF_UNIX, typ: unix.SOCK_STREAM,
		socket: "socket(AF_UNIX, SOCK_STREAM, 0)"}
}

// SeqPacket is AF_UNIX, SOCK_SEQPACKET.
func SeqPacket() Transport {
	return &sockTransport{name: "seqpacket", kind: KindSeqPacket, family: unix.AF_UNIX, typ: unix.SOCK_SEQPACKET,
		socket: "socket(AF_UNIX, SOCK_SEQPACKET, 0)"}
}

type sockTransport struct {
	name, socket string
	kind         Kind
	family, typ  int
}

func (t *sockTransport) Name() string   { return t.name }
func (t *sockTransport) Socket() string { return t.socket }
func (t *sockTransport) Kind() Kind     { return t.kind }
func (t *sockTransport) IP() bool       { return t.family == unix.AF_INET }

// addr is where a server of t binds in env: port 0, or a fresh abstract
// unix name.
func (t *sockTransport) addr(env Env) unix.Sockaddr {
	if t.family == unix.AF_INET {
		return &unix.SockaddrInet4{Addr: env.ServerIP.As4()}
	}
	return &unix.SockaddrUnix{Name: "@socklab-compare-" + env.Tag + "-" + t.name + "-" + strconv.FormatUint(names.Add(1), 10)}
}

func (t *sockTransport) socketFD() (int, error) {
	fd, err := unix.Socket(t.family, t.typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("%s: %w", t.socket, err)
	}
	if t.family == unix.AF_INET {
		unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	return fd, nil
}

// bound makes a socket bound to a fresh address in env's server, and
// returns it with the address it got.
func (t *sockTransport) bound(env Env) (int, unix.Sockaddr, error) {
	fd, sa := -1, unix.Sockaddr(nil)
	err := env.server(func() error {
		var err error
		if fd, err = t.socketFD(); err != nil {
			return err
		}
		if err = unix.Bind(fd, t.addr(env)); err == nil {
			sa, err = unix.Getsockname(fd)
		}
		return err
	})
	if err != nil && fd >= 0 {
		unix.Close(fd)
	}
	return fd, sa, err
}

// dial connects a new socket to sa from env's client.
func (t *sockTransport) dial(env Env, sa unix.Sockaddr) (int, error) {
	fd := -1
	err := env.client(func() error {
		var err error
		if fd, err = t.socketFD(); err != nil {
			return err
		}
		return unix.Connect(fd, sa)
	})
	if err != nil && fd >= 0 {
		unix.Close(fd)
	}
	return fd, err
}

func (t *sockTransport) Open(env Env) (*Pair, error) {
	lfd, sa, err := t.bound(env)
	if err != nil {
		return nil, err
	}
	defer unix.Close(lfd)
	if err := unix.Listen(lfd, 16); err != nil {
		return nil, fmt.Errorf("%s listen: %w", t.socket, err)
	}
	cfd, err := t.dial(env, sa)
	if err != nil {
		return nil, fmt.Errorf("%s connect: %w", t.socket, err)
	}
	sfd, _, err := unix.Accept4(lfd, unix.SOCK_CLOEXEC)
	if err != nil {
		unix.Close(cfd)
		return nil, fmt.Errorf("%s accept: %w", t.socket, err)
	}
	return &Pair{Client: t.end(cfd), Server: t.end(sfd)}, nil
}

// NoServer connects to an address bound by a socket that does not
// listen: TCP answers the SYN with a RST, a unix socket refuses at once.
func (t *sockTransport) NoServer(env Env) (NoServer, error) {
	fd, sa, err := t.bound(env)
	if err != nil {
		return NoServer{}, err
	}
	defer unix.Close(fd)
	start := time.Now()
	cfd, err := t.dial(env, sa)
	ns := NoServer{At: "connect", After: time.Since(start), How: "RST"}
	if !t.IP() {
		ns.How = "no socket listening at the name"
	}
	if err == nil {
		unix.Close(cfd)
		return ns, nil
	}
	ns.Err = errnoName(err)
	return ns, nil
}

// end wraps descriptor fd as an Endpoint; a TCP one reads TCP_INFO.
func (t *sockTransport) end(fd int) Endpoint {
	if t.family == unix.AF_INET {
		return tcpEnd{&fdEnd{fd: fd}}
	}
	return &fdEnd{fd: fd}
}

// fdEnd is a blocking socket; deadlines are SO_RCVTIMEO and SO_SNDTIMEO.
type fdEnd struct{ fd int }

// tcpEnd is a TCP socket, which has counters.
type tcpEnd struct{ *fdEnd }

func (e *fdEnd) Send(b []byte) (int, error) {
	for {
		n, err := unix.Write(e.fd, b)
		if err == unix.EINTR {
			continue
		}
		return max(n, 0), e.wrap("write", err)
	}
}

func (e *fdEnd) Recv(b []byte) (int, error) {
	for {
		n, err := unix.Read(e.fd, b)
		if err == unix.EINTR {
			continue
		}
		if err == nil && n == 0 && len(b) > 0 {
			return 0, io.EOF
		}
		return max(n, 0), e.wrap("read", err)
	}
}

// wrap turns a timeout (EAGAIN under SO_RCVTIMEO) into
// os.ErrDeadlineExceeded.
func (e *fdEnd) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case err == unix.EAGAIN:
		return fmt.Errorf("%s: %w", op, os.ErrDeadlineExceeded)
	}
	return os.NewSyscallError(op, err)
}

func (e *fdEnd) SetDeadline(t time.Time) error {
	var tv unix.Timeval
	if !t.IsZero() {
		tv = unix.NsecToTimeval(max(time.Until(t), time.Microsecond).Nanoseconds())
	}
	if err := unix.SetsockoptTimeval(e.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	return unix.SetsockoptTimeval(e.fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
}

func (e *fdEnd) Close() error { return unix.Close(e.fd) }

// Stats reads TCP_INFO.
func (e tcpEnd) Stats() (Stats, error) {
	ti, err := unix.GetsockoptTCPInfo(e.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return Stats{}, os.NewSyscallError("getsockopt TCP_INFO", err)
	}
	return Stats{SegsOut: ti.Segs_out, SegsIn: ti.Segs_in, Retrans: ti.Total_retrans}, nil
}
