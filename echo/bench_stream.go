package echo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/socklab/socklab/families"
)

// BenchStream measures an echo server over the connection c, as Bench does
// over a datagram socket, with the same BenchConfig and BenchReport. On
// seqpacket each message is one datagram-like write and read. On a stream
// there are no messages: the bench writes the datagrams' bytes back to back
// and finds each reply by its header in what it reads, so a server that
// echoes bytes (socat, ncat --exec /bin/cat, socklab's --reply echo) works.
// It does not close c.
func BenchStream(ctx context.Context, c families.StreamConn, cfg BenchConfig) (BenchReport, error) {
	seq := c.Spec().Type == families.SOCK_SEQPACKET
	max := 0
	if seq {
		max = families.MaxDatagram(c)
	}
	b, err := prepareBench(c, c.RemoteAddr(), cfg, max)
	if err != nil {
		return BenchReport{}, err
	}
	if seq {
		b.io = &plainIO{c: c, peer: b.peer, buf: make([]byte, b.cfg.Size+1024)}
		return b.run(ctx)
	}
	sio := newStreamIO(c, b.cfg.Inflight*b.cfg.Size, b.cfg.Size)
	defer sio.close()
	b.io = sio
	return b.run(ctx)
}

// streamIO is a bench's I/O on a stream: a writer goroutine drains a ring
// of the bytes to send, so that sending never blocks the bench loop (which
// must go on reading the echoes, or the server would block writing them),
// and reads are cut into replies at the bench headers.
type streamIO struct {
	c    families.StreamConn
	size int

	mu      sync.Mutex
	cond    *sync.Cond
	ring    []byte
	head, n int   // the unwritten bytes: n of them from head
	err     error // the writer's error, reported by the next send
	closed  bool
	done    chan struct{}

	rbuf       []byte // what was read and not yet cut into replies: rbuf[start:end]
	start, end int
	frames     [][]byte // the replies of the last recv
}

func newStreamIO(c families.StreamConn, window, size int) *streamIO {
	s := &streamIO{c: c, size: size, ring: make([]byte, window), done: make(chan struct{}),
		rbuf: make([]byte, max(1<<16, 4*size))}
	s.cond = sync.NewCond(&s.mu)
	go s.writer()
	return s
}

func (s *streamIO) name() string { return "write/read" }

// send queues bufs for the writer, as many as the ring has room for.
func (s *streamIO) send(bufs [][]byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	for i, b := range bufs {
		if len(s.ring)-s.n < len(b) {
			return i, nil
		}
		tail := (s.head + s.n) % len(s.ring)
		k := copy(s.ring[tail:], b)
		copy(s.ring, b[k:])
		s.n += len(b)
	}
	s.cond.Signal()
	return len(bufs), nil
}

// writer writes the ring's bytes as they come, until close or an error.
func (s *streamIO) writer() {
	defer close(s.done)
	for {
		s.mu.Lock()
		for s.n == 0 && !s.closed {
			s.cond.Wait()
		}
		if s.closed {
			s.mu.Unlock()
			return
		}
		chunk := s.ring[s.head:min(s.head+s.n, len(s.ring))]
		s.mu.Unlock()
		w, err := s.c.Write(chunk)
		s.mu.Lock()
		s.head = (s.head + w) % len(s.ring)
		s.n -= w
		if err != nil {
			s.err = err
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// close stops the writer, waking a write blocked on a peer that does not
// read, and waits for it.
func (s *streamIO) close() {
	s.mu.Lock()
	s.closed = true
	s.cond.Signal()
	s.mu.Unlock()
	s.c.SetWriteDeadline(time.Unix(1, 0))
	<-s.done
	s.c.SetWriteDeadline(time.Time{})
}

// errServerClosed is what a bench reports when the server ends the
// connection under it.
var errServerClosed = errors.New("EOF: the server closed the connection")

// recv reads what has arrived and cuts it into replies; the read deadline
// is 0 replies.
func (s *streamIO) recv() (int, error) {
	if s.start > 0 {
		s.end = copy(s.rbuf, s.rbuf[s.start:s.end])
		s.start = 0
	}
	n, err := s.c.Read(s.rbuf[s.end:])
	switch {
	case err == io.EOF:
		return 0, errServerClosed
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, nil
	case err != nil:
		return 0, err
	}
	s.end += n
	s.cut()
	return len(s.frames), nil
}

// cut takes the replies out of rbuf[start:end]: each runs from a bench
// header for the datagram's size, or, when another header comes before
// that (a server's prefix got inside the reply), up to it, so that one
// damaged reply (counted bad) does not take the next with it. Bytes before
// a header (a seed prefix) are skipped; a reply not all there yet waits.
func (s *streamIO) cut() {
	s.frames = s.frames[:0]
	for {
		data := s.rbuf[s.start:s.end]
		i := bytes.Index(data, benchMagic)
		if i < 0 {
			// Keep what may be the start of a header split by the read.
			s.start = max(s.start, s.end-len(benchMagic)+1)
			return
		}
		msg := data[i:]
		if len(msg) < s.size {
			s.start += i
			return
		}
		msg = msg[:s.size]
		if j := bytes.Index(msg[len(benchMagic):], benchMagic); j >= 0 {
			msg = msg[:len(benchMagic)+j]
		}
		s.frames = append(s.frames, msg)
		s.start += i + len(msg)
	}
}

func (s *streamIO) reply(i int) ([]byte, bool) { return s.frames[i], false }
