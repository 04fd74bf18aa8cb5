package echo

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// plainIO is the path that works on every Conn: one WriteTo or ReadMsg per
// datagram.
type plainIO struct {
	c       families.Conn
	peer    net.Addr
	buf     []byte
	n       int
	trunc   bool
	blocked time.Time // when a write last timed out
	// connected: c is connected to peer (see newPlainIO).
	connected bool
}

// newPlainIO returns the plain path for c and peer, reading into buffers
// of rxsize bytes. With connect, a socket that could have taken the batch
// path (UDP, unix) is connected to peer as the batch path's is: for unix
// that is what keeps a window larger than the server's receive queue
// from making both sides wait, as the server's replies to a socket
// connected to it are not held to that socket's queue.
func newPlainIO(c families.Conn, peer net.Addr, rxsize int, connect bool) *plainIO {
	p := &plainIO{c: c, peer: peer, buf: make([]byte, rxsize)}
	if _, batch := families.AsBatch(c); connect && batch {
		family := c.Spec().Family
		p.connected = families.Control(c, func(fd int) error { return families.Connect(fd, family, peer) }) == nil
	}
	return p
}

// name is the report's name for this path.
func (p *plainIO) name() string {
	if p.connected {
		return "sendto/recvfrom connected"
	}
	return "sendto/recvfrom"
}

// plainBlock is how long a plain write may wait for room: a unix peer whose
// queue is full blocks the sender, and the peer may be waiting for us to
// read its replies. After a write times out, plainIO reads for as long
// before it writes again.
const plainBlock = 200 * time.Microsecond

// send writes bufs one WriteTo each, waiting at most plainBlock for room,
// and not at all for plainBlock after a wait ran out.
func (p *plainIO) send(bufs [][]byte) (int, error) {
	now := time.Now()
	if now.Sub(p.blocked) < plainBlock {
		return 0, nil
	}
	p.c.SetWriteDeadline(now.Add(plainBlock))
	for i, b := range bufs {
		if _, err := p.c.WriteTo(b, p.peer); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOBUFS) {
				p.blocked = time.Now()
				return i, nil
			}
			return i, err
		}
	}
	return len(bufs), nil
}

// recv reads one datagram; the deadline is 0 datagrams.
func (p *plainIO) recv() (int, error) {
	n, size, _, err := p.c.ReadMsg(p.buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil
		}
		return 0, err
	}
	p.n, p.trunc = n, size > n
	return 1, nil
}

// reply is the datagram recv read.
func (p *plainIO) reply(int) ([]byte, bool) { return p.buf[:p.n], p.trunc }
