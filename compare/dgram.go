package compare

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/socklab/socklab/families"
)

// UDP is socklab's udp4 family: AF_INET, SOCK_DGRAM, IPPROTO_UDP.
func UDP() Transport { return &familyTransport{name: "udp", def: families.UDP4()} }

// UnixDgram is socklab's unix family: AF_UNIX, SOCK_DGRAM.
func UnixDgram() Transport { return &familyTransport{name: "unix-dgram", def: families.Unix()} }

// familyTransport is a datagram family of package families.
type familyTransport struct {
	name string
	def  *families.Definition
}

func (t *familyTransport) Name() string   { return t.name }
func (t *familyTransport) Socket() string { return t.def.Spec.String() }
func (t *familyTransport) Kind() Kind     { return KindDatagram }
func (t *familyTransport) IP() bool       { return t.def.Spec.Family != families.AF_UNIX }

// serverAddr is where a server of the transport called name binds in
// env: an ephemeral port of env's server address, or a fresh abstract
// unix name.
func serverAddr(env Env, ip bool, name string) string {
	if ip {
		return netip.AddrPortFrom(env.ServerIP, 0).String()
	}
	return "@socklab-compare-" + env.Tag + "-" + name + "-" + strconv.FormatUint(names.Add(1), 10)
}

// addr is where a server of t binds in env.
func (t *familyTransport) addr(env Env) string { return serverAddr(env, t.IP(), t.name) }

// open opens a socket of t bound to addr ("" for an ephemeral one) in do.
func (t *familyTransport) open(do func(func() error) error, addr string) (families.Conn, error) {
	var c families.Conn
	err := do(func() (err error) {
		c, err = t.def.Open(families.Options{Addr: addr})
		return err
	})
	return c, err
}

// dial opens a client in env connected to peer, so that the kernel
// reports errors about it (ECONNREFUSED) on the socket.
func (t *familyTransport) dial(env Env, peer net.Addr) (families.Conn, error) {
	c, err := t.open(env.client, "")
	if err != nil {
		return nil, err
	}
	if err := t.connect(c, peer); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// connect connects c, a socket of t, to peer.
func (t *familyTransport) connect(c families.Conn, peer net.Addr) error {
	err := families.Control(c, func(fd int) error {
		return os.NewSyscallError("connect", families.Connect(fd, t.def.Spec.Family, peer))
	})
	if err != nil {
		return fmt.Errorf("%s connect %v: %w", t.Socket(), peer, err)
	}
	return nil
}

func (t *familyTransport) Open(env Env) (*Pair, error) {
	srv, err := t.open(env.server, t.addr(env))
	if err != nil {
		return nil, err
	}
	// A queue of a few MB, so that only the path loses datagrams, not
	// a receiver that fell behind for a moment (SO_RCVBUFFORCE as root).
	families.SetBuffers(srv, 4<<20, 0)
	cl, err := t.dial(env, srv.LocalAddr())
	if err != nil {
		srv.Close()
		return nil, err
	}
	// The server is connected to the client too, so that the kernel
	// gives it nothing from anyone else (a stray datagram would make it
	// answer the wrong peer).
	if err := t.connect(srv, cl.LocalAddr()); err != nil {
		srv.Close()
		cl.Close()
		return nil, err
	}
	return &Pair{Client: &pktEnd{c: cl, peer: srv.LocalAddr()}, Server: &pktEnd{c: srv, peer: cl.LocalAddr()}}, nil
}

// NoServer sends to an address where no socket is bound: UDP learns of
// it from the ICMP port unreachable that comes back (on the next
// receive), a unix socket at once.
func (t *familyTransport) NoServer(env Env) (NoServer, error) {
	gone, err := t.open(env.server, t.addr(env))
	if err != nil {
		return NoServer{}, err
	}
	peer := gone.LocalAddr()
	gone.Close() // the port is free now: nobody listens there
	start := time.Now()
	cl, err := t.dial(env, peer)
	if err != nil {
		return NoServer{Err: errnoName(err), At: "connect", After: time.Since(start), How: "no socket bound at the name"}, nil
	}
	defer cl.Close()
	if _, err := cl.WriteTo([]byte("anyone there?"), peer); err != nil {
		return NoServer{Err: errnoName(err), At: "send", After: time.Since(start), How: "no socket bound at the name"}, nil
	}
	cl.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _, err = cl.ReadFrom(make([]byte, 64))
	ns := NoServer{At: "receive", After: time.Since(start), How: "ICMP port unreachable"}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		ns.How = "silence: no reply, no error within 2s"
		return ns, nil
	}
	ns.Err = errnoName(err)
	return ns, nil
}

// pktEnd is a datagram socket connected to its peer.
type pktEnd struct {
	c    families.Conn
	peer net.Addr
}

func (e *pktEnd) Send(b []byte) (int, error) { return e.c.WriteTo(b, e.peer) }

func (e *pktEnd) Recv(b []byte) (int, error) {
	n, _, err := e.c.ReadFrom(b)
	return n, err
}

func (e *pktEnd) SetDeadline(t time.Time) error { return e.c.SetDeadline(t) }
func (e *pktEnd) Close() error                  { return e.c.Close() }

// Drops is what the kernel dropped for a full receive queue.
func (e *pktEnd) Drops() uint32 {
	n, _ := families.Drops(e.c)
	return n
}
