package echo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/socklab/socklab/families"
)

// ClientConfig says how long a Client waits, how often it tries, and whom
// it tells about the datagrams it skips.
type ClientConfig struct {
	// Timeout bounds each attempt of an exchange, the send included: a
	// send that waits for room (a unix server whose queue is full) and the
	// wait for the reply end together (2s when 0).
	Timeout time.Duration
	// Retries is how many times to send a message again when no reply
	// comes: UDP never retransmits by itself. The server may then see the
	// message more than once, and answer each copy.
	Retries int
	// Bufsize is the receive buffer for replies (DefaultBufsize when 0).
	Bufsize int
	// OnNotice, when set, is told of every datagram Exchange reads and
	// does not take for the reply (see Notice), from Exchange's goroutine.
	OnNotice func(Notice)
}

// NoticeKind names why Exchange skipped a datagram.
type NoticeKind string

// The datagrams Exchange skips.
const (
	// NoticeStranger is a datagram from an address that is not the server's.
	NoticeStranger NoticeKind = "unexpected-source"
	// NoticeLate is a reply to an earlier message that had none in time.
	NoticeLate NoticeKind = "late"
	// NoticeDuplicate is another reply to an earlier message that was
	// answered already: the answer to one of its retries, or a server (or
	// the path) that repeats itself.
	NoticeDuplicate NoticeKind = "duplicate"
)

// Notice is a datagram Exchange read and did not take for the reply.
type Notice struct {
	Kind NoticeKind
	From net.Addr
	Data []byte // as read; valid during OnNotice only
	Size int    // its full length; > len(Data) when truncated
	// Message is the earlier message a late or duplicate reply answers.
	Message []byte
}

// Response is the reply to one message.
type Response struct {
	Data       []byte        // the reply as read (owned by the caller)
	Size       int           // its full length; > len(Data) when truncated
	From       net.Addr      // who sent it
	RTT        time.Duration // from the last send to the reply
	Attempts   int           // sends it took, 1 with no retry
	Late       int           // late replies to earlier messages skipped meanwhile
	Duplicates int           // duplicate replies to earlier messages skipped meanwhile
	Strangers  int           // datagrams from other addresses skipped meanwhile
}

// Truncated reports whether the reply was longer than the buffer.
func (r Response) Truncated() bool { return r.Size > len(r.Data) }

// Client sends messages to one server and waits for each reply.
//
// Replies are matched to their message by content: seed and echo replies
// end with the message. A reply that ends with an earlier message instead
// is that message's: late when it had no reply, a duplicate when it had
// one. A reply that ends with no message sent (a server that transforms
// what it gets) is taken for the answer. Two messages alike cannot be told
// apart this way: a duplicate reply to the first is taken for the second's.
type Client struct {
	c    families.Conn
	peer net.Addr
	cfg  ClientConfig
	buf  []byte
	// connected is true when the kernel filters datagrams to the peer's.
	connected bool
	// recent holds the last messages sent, to recognise their late and
	// duplicate replies.
	recent []sentMessage
}

// sentMessage is a message sent, and whether a reply to it came.
type sentMessage struct {
	data     []byte
	answered bool
}

// maxRecent bounds the messages a Client remembers.
const maxRecent = 16

// NewClient returns a Client sending from c to peer. A peer with the
// unspecified address (0.0.0.0, ::) means this host, as connect(2) takes
// it: the Client sends to the loopback address, whose replies it accepts.
func NewClient(c families.Conn, peer net.Addr, cfg ClientConfig) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Bufsize <= 0 {
		cfg.Bufsize = DefaultBufsize
	}
	peer = ThisHost(peer)
	cl := &Client{c: c, peer: peer, cfg: cfg, buf: make([]byte, cfg.Bufsize)}
	if c.Spec().Family == families.AF_UNIX {
		cl.connected = families.ConnectUnix(c, peer) == nil
	}
	return cl
}

// ThisHost returns addr with an unspecified IP address (0.0.0.0, ::)
// replaced by the loopback address of its version, as connect(2) and
// sendto(2) treat it; other addresses are returned as they are.
func ThisHost(addr net.Addr) net.Addr {
	ua, ok := addr.(*net.UDPAddr)
	if !ok || !ua.IP.IsUnspecified() && ua.IP != nil {
		return addr
	}
	lo := net.IPv4(127, 0, 0, 1)
	if ua.IP != nil && ua.IP.To4() == nil {
		lo = net.IPv6loopback
	}
	return &net.UDPAddr{IP: lo, Port: ua.Port}
}

// Peer is the address the Client sends to.
func (cl *Client) Peer() net.Addr { return cl.peer }

// ErrNoReply is wrapped by Exchange's error when every attempt timed out.
var ErrNoReply = errors.New("no reply")

// Exchange sends msg as one datagram and waits for its reply, sending
// again up to Retries times. Each attempt, its send included, takes at
// most Timeout; ctx ends it at once. Datagrams that are not the reply
// (see Client) are told to OnNotice and counted in the Response.
func (cl *Client) Exchange(ctx context.Context, msg []byte) (Response, error) {
	var resp Response
	stop := context.AfterFunc(ctx, func() { cl.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	defer cl.c.SetDeadline(time.Time{})
	for attempt := 1; attempt <= cl.cfg.Retries+1; attempt++ {
		resp.Attempts = attempt
		done, err := cl.attempt(ctx, msg, &resp)
		if done || err != nil {
			cl.remember(msg, err == nil)
			return resp, err
		}
	}
	cl.remember(msg, false)
	return resp, cl.noReply(resp.Attempts)
}

// attempt sends msg once and waits for its reply until Timeout. It
// returns true with the reply in resp, or false when none came in time.
func (cl *Client) attempt(ctx context.Context, msg []byte, resp *Response) (bool, error) {
	sent := time.Now()
	cl.c.SetDeadline(sent.Add(cl.cfg.Timeout))
	// A cancel that came before this deadline was set was overwritten by it.
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if _, err := cl.c.WriteTo(msg, cl.peer); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, families.SendError("send", cl.c, cl.peer, len(msg), err)
	}
	for {
		n, size, from, err := cl.c.ReadMsg(cl.buf)
		switch {
		case ctx.Err() != nil:
			return false, ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			return false, nil
		case err != nil:
			return false, families.SendError("read", cl.c, cl.peer, len(msg), err)
		}
		if cl.skip(cl.buf[:n], size, from, msg, resp) {
			continue
		}
		resp.Data = append([]byte(nil), cl.buf[:n]...)
		resp.Size, resp.From, resp.RTT = size, from, time.Since(sent)
		return true, nil
	}
}

// skip reports whether a datagram read while waiting for the reply to msg
// is something else, and tells and counts it.
func (cl *Client) skip(data []byte, size int, from net.Addr, msg []byte, resp *Response) bool {
	n := Notice{From: from, Data: data, Size: size}
	switch old := cl.earlier(data, msg); {
	case !cl.fromPeer(from):
		n.Kind = NoticeStranger
		resp.Strangers++
	case old == nil:
		return false
	case old.answered:
		n.Kind, n.Message = NoticeDuplicate, old.data
		resp.Duplicates++
	default:
		n.Kind, n.Message = NoticeLate, old.data
		old.answered = true // a second reply to it is a duplicate
		resp.Late++
	}
	if cl.cfg.OnNotice != nil {
		cl.cfg.OnNotice(n)
	}
	return true
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

// earlier returns the earlier message data is the reply to, or nil when
// data answers msg or no message remembered. The newest message is tried
// first; an empty message matches every reply, so it is never tried.
func (cl *Client) earlier(data, msg []byte) *sentMessage {
	if bytes.HasSuffix(data, msg) {
		return nil
	}
	for i := len(cl.recent) - 1; i >= 0; i-- {
		if old := &cl.recent[i]; len(old.data) > 0 && bytes.HasSuffix(data, old.data) {
			return old
		}
	}
	return nil
}

// remember records msg as sent, answered or not.
func (cl *Client) remember(msg []byte, answered bool) {
	cl.recent = append(cl.recent, sentMessage{data: append([]byte(nil), msg...), answered: answered})
	if len(cl.recent) > maxRecent {
		cl.recent = cl.recent[1:]
	}
}

// noReply is the error of an exchange whose attempts all timed out.
func (cl *Client) noReply(attempts int) error {
	tries := "1 try"
	if attempts > 1 {
		tries = fmt.Sprintf("%d tries", attempts)
	}
	e := &families.Error{Op: "read", Spec: cl.c.Spec(), Addr: cl.peer.String(),
		Err:   fmt.Errorf("%w after %s of %v", ErrNoReply, tries, cl.cfg.Timeout),
		Hint:  "datagrams are lost silently: is a server running there? try more retries or a longer timeout",
		Terms: []families.Term{families.TermRetries, families.TermTimeout}}
	if cl.c.Spec().Family == families.AF_UNIX {
		// The send succeeded, so the datagram is in the server's queue.
		e.Hint = "a unix datagram is never lost: the server has it and sent no reply in time (is it an echo server? is it busy?); a longer timeout waits more"
		e.Terms = []families.Term{families.TermTimeout}
	}
	return e
}
