package compare

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/socklab/socklab/families"
)

// TCP is socklab's tcp4 family: AF_INET, SOCK_STREAM, IPPROTO_TCP, with
// TCP_NODELAY on.
func TCP() Transport { return &streamTransport{name: "tcp", def: families.TCP4()} }

// UnixStream is socklab's unixstream family: AF_UNIX, SOCK_STREAM.
func UnixStream() Transport {
	return &streamTransport{name: "unix-stream", def: families.UnixStream()}
}

// SeqPacket is socklab's seqpacket family: AF_UNIX, SOCK_SEQPACKET.
func SeqPacket() Transport { return &streamTransport{name: "seqpacket", def: families.Seqpacket()} }

// backlog is the listen(2) queue of a pair's server, which accepts one
// connection; naming it spares Listen reading net.core.somaxconn on every
// setup that is timed.
const backlog = 16

// streamTransport is a connection-oriented family of package families.
type streamTransport struct {
	name string
	def  *families.Definition
}

func (t *streamTransport) Name() string   { return t.name }
func (t *streamTransport) Socket() string { return t.def.Spec.String() }
func (t *streamTransport) IP() bool       { return t.def.Spec.Family != families.AF_UNIX }

func (t *streamTransport) Kind() Kind {
	if t.def.Spec.Type == families.SOCK_SEQPACKET {
		return KindSeqPacket
	}
	return KindStream
}

// listen opens a listening socket of t at a fresh address in env's server.
// SO_REUSEADDR stays off: the port is a new ephemeral one, which no
// connection of an earlier server holds.
func (t *streamTransport) listen(env Env) (families.Listener, error) {
	var l families.Listener
	err := env.server(func() (err error) {
		l, err = t.def.Listen(families.Options{Addr: serverAddr(env, t.IP(), t.name), Backlog: backlog, NoReuseAddr: true})
		return err
	})
	return l, err
}

// dial connects a client of t to peer from env's client, within overall.
func (t *streamTransport) dial(env Env, peer net.Addr) (families.StreamConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), overall)
	defer cancel()
	var c families.StreamConn
	err := env.client(func() (err error) {
		c, err = t.def.Dial(ctx, peer, families.Options{})
		return err
	})
	return c, err
}

func (t *streamTransport) Open(env Env) (*Pair, error) {
	l, err := t.listen(env)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	cl, err := t.dial(env, l.Addr())
	if err != nil {
		return nil, err
	}
	// The kernel completed the connection when connect returned: it
	// waits in the listen queue.
	l.SetDeadline(time.Now().Add(overall))
	srv, err := l.AcceptStream()
	if err != nil {
		cl.Close()
		return nil, fmt.Errorf("%s accept: %w", t.Socket(), err)
	}
	for _, c := range []families.StreamConn{cl, srv} {
		if err := families.SetNoDelay(c, true); err != nil {
			cl.Close()
			srv.Close()
			return nil, fmt.Errorf("%s TCP_NODELAY: %w", t.Socket(), err)
		}
	}
	return &Pair{Client: t.end(cl), Server: t.end(srv)}, nil
}

// NoServer connects to the address of a listening socket that has just
// been closed: TCP answers the SYN with a RST, and connecting to a unix
// name that no socket holds is refused at once.
func (t *streamTransport) NoServer(env Env) (NoServer, error) {
	gone, err := t.listen(env)
	if err != nil {
		return NoServer{}, err
	}
	peer := gone.Addr()
	gone.Close() // nobody listens there now
	start := time.Now()
	c, err := t.dial(env, peer)
	ns := NoServer{At: "connect", After: time.Since(start), How: "RST"}
	if !t.IP() {
		ns.How = "no socket bound at the name"
	}
	if err == nil {
		c.Close()
		return ns, nil
	}
	ns.Err = errnoName(err)
	return ns, nil
}

// end makes c an Endpoint; a TCP one reads TCP_INFO.
func (t *streamTransport) end(c families.StreamConn) Endpoint {
	if t.IP() {
		return tcpEnd{&streamEnd{c: c}}
	}
	return &streamEnd{c: c}
}

// streamEnd is one end of a connection: a Send writes all of b, a Recv
// returns what has arrived (one message on seqpacket), io.EOF once the
// peer has closed.
type streamEnd struct{ c families.StreamConn }

func (e *streamEnd) Send(b []byte) (int, error)    { return e.c.Write(b) }
func (e *streamEnd) Recv(b []byte) (int, error)    { return e.c.Read(b) }
func (e *streamEnd) SetDeadline(t time.Time) error { return e.c.SetDeadline(t) }
func (e *streamEnd) Close() error                  { return e.c.Close() }

// tcpEnd is a TCP connection, whose kernel counts segments.
type tcpEnd struct{ *streamEnd }

// Stats reads TCP_INFO.
func (e tcpEnd) Stats() (Stats, error) {
	ti, err := families.ReadTCPInfo(e.c)
	if err != nil {
		return Stats{}, err
	}
	return Stats{SegsOut: ti.SegsOut, SegsIn: ti.SegsIn, Retrans: ti.TotalRetrans}, nil
}
