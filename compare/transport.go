package compare

import (
	"errors"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"
)

// names numbers the unix socket names of this process.
var names atomic.Uint64

// Kind is how a socket type delivers what is sent.
type Kind int

// The kinds of the seed's socket types.
const (
	// KindDatagram keeps message boundaries and may drop (SOCK_DGRAM).
	KindDatagram Kind = iota
	// KindStream is a byte stream without boundaries (SOCK_STREAM).
	KindStream
	// KindSeqPacket is reliable and ordered and keeps boundaries (SOCK_SEQPACKET).
	KindSeqPacket
)

// String names k as socket(2) does.
func (k Kind) String() string {
	return [...]string{"SOCK_DGRAM", "SOCK_STREAM", "SOCK_SEQPACKET"}[k]
}

// Endpoint is one end of an open pair: blocking sends and receives with
// deadlines.
type Endpoint interface {
	// Send sends b: one message, or bytes of a stream (it may send fewer
	// than len(b) and say so).
	Send(b []byte) (int, error)
	// Recv reads one message, or what a stream has, into b.
	Recv(b []byte) (int, error)
	// SetDeadline bounds every later Send and Recv; a call that waits
	// past it fails with os.ErrDeadlineExceeded.
	SetDeadline(t time.Time) error
	Close() error
}

// Stats are a connection's counters, where the kernel keeps them (TCP's
// TCP_INFO).
type Stats struct {
	SegsOut, SegsIn uint32 // segments sent and received, handshake included
	Retrans         uint32 // segments retransmitted (tcpi_total_retrans)
}

// StatsReader is implemented by endpoints whose kernel counts segments.
type StatsReader interface {
	Stats() (Stats, error)
}

// Pair is a client connected to a server (for a datagram socket: sending
// to it by default).
type Pair struct {
	Client, Server Endpoint
}

// Close closes both ends.
func (p *Pair) Close() error {
	return errors.Join(p.Client.Close(), p.Server.Close())
}

// Env says where the two ends of a pair live.
type Env struct {
	// Server and Client run fn where each end lives (a lab host's
	// network namespace); nil runs fn here.
	Server, Client func(fn func() error) error
	// ServerIP is the address IP servers bind: 127.0.0.1, or the lab
	// server's address.
	ServerIP netip.Addr
	// Tag makes unix socket names unique to this run.
	Tag string
}

func (e Env) server(fn func() error) error {
	if e.Server == nil {
		return fn()
	}
	return e.Server(fn)
}

func (e Env) client(fn func() error) error {
	if e.Client == nil {
		return fn()
	}
	return e.Client(fn)
}

// Transport is one kind of socket compare measures.
type Transport interface {
	// Name is the column's name: "udp", "tcp", "unix-dgram" ...
	Name() string
	// Socket is the socket() call, e.g. "socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)".
	Socket() string
	Kind() Kind
	// IP reports whether the transport crosses the IP stack, where the
	// lab's loss applies.
	IP() bool
	// Open opens a server and a client connected to it, in env.
	Open(env Env) (*Pair, error)
	// NoServer tries to reach an address where nothing listens and
	// returns the error that says so, and when it came.
	NoServer(env Env) (NoServer, error)
}

// NoServer is what happened when a client tried a server that is not
// there.
type NoServer struct {
	Err   string        `json:"error"` // "ECONNREFUSED", or "" when nothing said so
	At    string        `json:"at"`    // the call that failed: "connect", "send", "receive"
	After time.Duration `json:"after_ns"`
	How   string        `json:"how"` // what the kernel did: "RST", "ICMP port unreachable", "no socket bound"
}

// errnoNames are the errors a client meets when no server is there.
var errnoNames = map[syscall.Errno]string{
	syscall.ECONNREFUSED: "ECONNREFUSED",
	syscall.ENOENT:       "ENOENT",
	syscall.EHOSTUNREACH: "EHOSTUNREACH",
	syscall.ENETUNREACH:  "ENETUNREACH",
	syscall.ECONNRESET:   "ECONNRESET",
}

// errnoName is the errno's name ("ECONNREFUSED"), or the error.
func errnoName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if n, ok := errnoNames[errno]; ok {
			return n
		}
	}
	return err.Error()
}
