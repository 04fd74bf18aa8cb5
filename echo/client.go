package echo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// ClientConfig says how long a Client waits and how often it tries.
type ClientConfig struct {
	// Timeout is how long to wait for each reply (2s when 0).
	Timeout time.Duration
	// Retries is how many times to send a message again when no reply
	// comes: UDP never retransmits by itself. The server may then see the
	// message more than once.
	Retries int
	// Bufsize is the receive buffer for replies (DefaultBufsize when 0).
	Bufsize int
}

// Response is the reply to one message.
type Response struct {
	Data     []byte        // the reply as read (owned by the caller)
	Size     int           // its full length; > len(Data) when truncated
	From     net.Addr      // who sent it
	RTT      time.Duration // from the last send to the reply
	Attempts int           // sends it took, 1 with no retry
	Late     int           // late replies to earlier messages skipped meanwhile
}

// Truncated reports whether the reply was longer than the buffer.
func (r Response) Truncated() bool { return r.Size > len(r.Data) }

// Client sends messages to one server and waits for each reply.
type Client struct {
	c    families.Conn
	peer net.Addr
	cfg  ClientConfig
	buf  []byte
	// connected is true when the kernel filters datagrams to the peer's.
	connected bool
	// unanswered holds messages that got no reply, to recognise their late
	// replies instead of taking them for the answer to a later message.
	unanswered [][]byte
}

// NewClient returns a Client sending from c to peer.
func NewClient(c families.Conn, peer net.Addr, cfg ClientConfig) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Bufsize <= 0 {
		cfg.Bufsize = DefaultBufsize
	}
	cl := &Client{c: c, peer: peer, cfg: cfg, buf: make([]byte, cfg.Bufsize)}
	if c.Spec().Family == families.AF_UNIX {
		cl.connected = families.ConnectUnix(c, peer) == nil
	}
	return cl
}

// ErrNoReply is wrapped by Exchange's error when every attempt timed out.
var ErrNoReply = errors.New("no reply")

// Exchange sends msg as one datagram and waits for the reply, sending again
// up to Retries times. A reply from another address is ignored, and so is a
// late reply to an earlier unanswered message (one that ends with that
// message, as both seed and echo replies do).
func (cl *Client) Exchange(ctx context.Context, msg []byte) (Response, error) {
	var resp Response
	stop := context.AfterFunc(ctx, func() { cl.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for attempt := 1; attempt <= cl.cfg.Retries+1; attempt++ {
		resp.Attempts = attempt
		sent := time.Now()
		if _, err := cl.c.WriteTo(msg, cl.peer); err != nil {
			return resp, cl.sendError(msg, err)
		}
		cl.c.SetReadDeadline(sent.Add(cl.cfg.Timeout))
		// A cancel that came before this deadline was set was overwritten by it.
		if ctx.Err() != nil {
			return resp, ctx.Err()
		}
		for {
			n, size, from, err := cl.c.ReadMsg(cl.buf)
			if err != nil {
				if ctx.Err() != nil {
					return resp, ctx.Err()
				}
				if errors.Is(err, os.ErrDeadlineExceeded) {
					break
				}
				return resp, cl.readError(err)
			}
			if !cl.fromPeer(from) {
				continue
			}
			data := cl.buf[:n]
			if cl.isLate(data, msg) {
				resp.Late++
				continue
			}
			resp.Data = append([]byte(nil), data...)
			resp.Size = size
			resp.From = from
			resp.RTT = time.Since(sent)
			return resp, nil
		}
	}
	cl.unanswered = append(cl.unanswered, append([]byte(nil), msg...))
	if len(cl.unanswered) > 16 {
		cl.unanswered = cl.unanswered[1:]
	}
	tries := "1 try"
	if resp.Attempts > 1 {
		tries = fmt.Sprintf("%d tries", resp.Attempts)
	}
	return resp, &families.Error{Op: "read", Spec: cl.c.Spec(), Addr: cl.peer.String(),
		Err:  fmt.Errorf("%w after %s of %v", ErrNoReply, tries, cl.cfg.Timeout),
		Hint: "datagrams are lost silently: is a server running there? try --retries 3 or a longer --timeout"}
}

// fromPeer reports whether a datagram from addr is the server's. A unix
// client is connected to its server, so the kernel has checked already, and
// the server's name may be spelled another way ("./s.sock" for "/tmp/s.sock").
func (cl *Client) fromPeer(addr net.Addr) bool {
	if addr == nil {
		return false
	}
	if cl.connected {
		return true
	}
	if a, ok := addr.(*net.UDPAddr); ok {
		if p, ok := cl.peer.(*net.UDPAddr); ok {
			return a.IP.Equal(p.IP) && a.Port == p.Port
		}
	}
	return addr.String() == cl.peer.String()
}

func (cl *Client) isLate(data, msg []byte) bool {
	if bytes.HasSuffix(data, msg) {
		return false
	}
	for _, old := range cl.unanswered {
		if bytes.HasSuffix(data, old) {
			return true
		}
	}
	return false
}

func (cl *Client) sendError(msg []byte, err error) error {
	e := &families.Error{Op: "send", Spec: cl.c.Spec(), Addr: cl.peer.String(), Err: families.Cause(err)}
	switch {
	case errors.Is(err, syscall.EMSGSIZE):
		e.Hint = msgSizeHint(cl.c, cl.peer, len(msg), fmt.Sprintf("a datagram of %d bytes is too large for this socket; send at most %d bytes", len(msg), families.MaxDatagram(cl.c)))
	case errors.Is(err, syscall.EACCES) && cl.c.Spec().Family == families.AF_INET:
		e.Hint = broadcastHint
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOENT):
		e.Hint = "no server is bound there: start one with socklab " + familyHint(cl.c) + " serve"
	default:
		e.Hint = families.Hint(cl.c.Spec(), err)
	}
	return e
}

func (cl *Client) readError(err error) error {
	e := &families.Error{Op: "read", Spec: cl.c.Spec(), Addr: cl.peer.String(), Err: families.Cause(err)}
	if errors.Is(err, syscall.ECONNREFUSED) {
		e.Hint = "nothing listens there, the kernel answered port unreachable: start socklab " + familyHint(cl.c) + " serve"
	}
	return e
}

func familyHint(c families.Conn) string {
	s := c.Spec()
	switch {
	case s.Family == families.AF_UNIX:
		return "unix"
	case s.Family == families.AF_INET6:
		return "udp6"
	}
	return "udp4"
}
