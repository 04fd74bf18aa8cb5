package echo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// StreamClientConfig says how long a StreamClient waits.
type StreamClientConfig struct {
	// Timeout is how long to wait for a whole reply (2s when 0).
	Timeout time.Duration
	// Bufsize is each read's buffer (DefaultBufsize when 0): a longer
	// seqpacket reply is truncated, and said so.
	Bufsize int
}

// StreamResponse is the reply to one message on a connection.
type StreamResponse struct {
	Data  []byte        // the reply's bytes as they came, all reads together
	Size  int           // seqpacket: the message's full length (> len(Data) when truncated); stream: len(Data)
	Reads int           // how many reads it took
	RTT   time.Duration // from the write to the reply's last byte
}

// Truncated reports whether a seqpacket reply was longer than the buffer.
func (r StreamResponse) Truncated() bool { return r.Size > len(r.Data) }

// StreamClient sends messages on one connection and reads each reply.
type StreamClient struct {
	c   families.StreamConn
	cfg StreamClientConfig
	buf []byte
}

// NewStreamClient returns a StreamClient on the connection c.
func NewStreamClient(c families.StreamConn, cfg StreamClientConfig) *StreamClient {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Bufsize <= 0 {
		cfg.Bufsize = DefaultBufsize
	}
	return &StreamClient{c: c, cfg: cfg, buf: make([]byte, cfg.Bufsize)}
}

// seedPrefixRE is the seed server's "[ctime] " prefix.
var seedPrefixRE = regexp.MustCompile(`\[[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\] `)

// payloadLen is how many bytes of data are an echo of the message: all of
// them but the seed prefixes a server put before each of its replies.
func payloadLen(data []byte) int {
	n := len(data)
	for _, m := range seedPrefixRE.FindAllIndex(data, -1) {
		n -= m[1] - m[0]
	}
	return n
}

// ErrStreamClosed is wrapped by Exchange's error when the peer closed the
// connection before the reply was whole.
var ErrStreamClosed = errors.New("the server closed the connection")

// Exchange writes msg and reads its reply. On seqpacket the reply is one
// message. A stream has no message boundaries, so the reply is whole once
// its bytes, less the seed prefixes in them, are as many as msg's: the
// server may answer one message in several replies (one per read of it),
// each with its prefix. A partial reply comes back with the error that
// ended the wait.
func (cl *StreamClient) Exchange(ctx context.Context, msg []byte) (StreamResponse, error) {
	stop := context.AfterFunc(ctx, func() { cl.c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	sent := time.Now()
	cl.c.SetDeadline(sent.Add(cl.cfg.Timeout))
	if ctx.Err() != nil {
		return StreamResponse{}, ctx.Err()
	}
	if _, err := cl.c.Write(msg); err != nil {
		return StreamResponse{}, cl.error("send", err, ctx)
	}
	var r StreamResponse
	seq := cl.c.Spec().Type == families.SOCK_SEQPACKET
	for r.Reads == 0 || !seq && payloadLen(r.Data) < len(msg) {
		n, size, _, err := cl.c.ReadMsg(cl.buf)
		if err != nil {
			return r, cl.error("read", err, ctx)
		}
		r.Reads++
		r.Data = append(r.Data, cl.buf[:n]...)
		r.Size += size
		r.RTT = time.Since(sent)
	}
	return r, nil
}

// error is a failed send or read as an *families.Error, with the fix for
// what a client meets: a server that closed, reset, or does not answer.
func (cl *StreamClient) error(op string, err error, ctx context.Context) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e := &families.Error{Op: op, Spec: cl.c.Spec(), Addr: cl.c.RemoteAddr().String(), Err: families.Cause(err)}
	switch {
	case err == io.EOF:
		e.Err = fmt.Errorf("%w (EOF)", ErrStreamClosed)
		e.Hint = "it ended the connection before the reply was whole: it may be full (its connection limit), or it closes idle connections"
	case errors.Is(err, syscall.ECONNRESET):
		e.Hint = "the server reset the connection: it may be full (its connection limit), or it stopped"
	case errors.Is(err, syscall.EPIPE):
		e.Hint = "the server had closed the connection; writing to it is an error (MSG_NOSIGNAL), not a SIGPIPE"
	case errors.Is(err, os.ErrDeadlineExceeded):
		e.Err = fmt.Errorf("%w within %v", ErrNoReply, cl.cfg.Timeout)
		e.Hint = "the server is slow or does not echo: a longer timeout waits more"
	}
	return e
}
