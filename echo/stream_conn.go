package echo

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// streamPeer is one connection a stream server serves: the conn, who is at
// the other end, what it carried, and what the watchdog reads.
type streamPeer struct {
	c    families.StreamConn
	id   uint64
	peer net.Addr
	cred families.Cred
	// lastActive is the server clock when it last read data (or was
	// accepted); writing, when the reply under way began (0: none).
	lastActive atomic.Int64
	writing    atomic.Int64
	// reason is why the server closed it, set before it closes it.
	reason   atomic.Pointer[string]
	keepOpen bool // the caller owns c (ServeStreamConn): stop it, do not close it

	reads, bytes uint64    // owned by the connection's goroutine
	iov          [2][]byte // a reply's two parts, for WriteBuffers without an allocation
}

// closeFor ends the connection for reason, unless it has one already:
// closing it (or, when the caller owns it, making its deadlines pass)
// wakes its goroutine.
func (p *streamPeer) closeFor(reason string) {
	if !p.reason.CompareAndSwap(nil, &reason) {
		return
	}
	if p.keepOpen {
		p.c.SetDeadline(time.Unix(1, 0))
		return
	}
	p.c.Close()
}

// admit counts a new connection in, making room if the server is full,
// and tells it. It returns nil when c was refused (and reset). keepOpen
// says the caller owns c.
func (s *streamServer) admit(c families.StreamConn, keepOpen bool) *streamPeer {
	s.mu.Lock()
	if len(s.conns) >= s.cfg.MaxConns && !s.evictIdlest() {
		s.st.Refused++
		s.mu.Unlock()
		peer := c.RemoteAddr()
		families.Abort(c)
		s.told(0, StreamEvent{Kind: StreamRefused, Peer: peer})
		return nil
	}
	s.nextID++
	p := &streamPeer{c: c, id: s.nextID, peer: c.RemoteAddr(), keepOpen: keepOpen}
	p.lastActive.Store(s.clock.Load())
	if c.Spec().Family == families.AF_UNIX {
		p.cred, _ = families.PeerCred(c)
	}
	s.conns[p] = struct{}{}
	s.st.Connections++
	s.st.PeakOpen = max(s.st.PeakOpen, len(s.conns))
	s.emit(StreamEvent{Kind: StreamAccepted, Conn: p.id, Peer: p.peer, Cred: p.cred, Open: len(s.conns)})
	s.mu.Unlock()
	return p
}

// serveConn answers every read of p until it ends, then closes it and
// tells how it ended.
func (s *streamServer) serveConn(p *streamPeer) {
	defer s.wg.Done()
	var buf []byte
	var err error
	for {
		var n, size int
		buf, n, size, err = p.c.ReadPooled(buf, s.pool)
		if err != nil {
			break
		}
		p.lastActive.Store(s.clock.Load())
		s.count(p, buf[:n], size)
		if err = s.reply(p, buf[:n]); err != nil {
			break
		}
	}
	if buf != nil {
		s.pool.Put(buf)
	}
	s.ended(p, err)
}

// count counts a read of size bytes, data the part that fit, and tells it.
func (s *streamServer) count(p *streamPeer, data []byte, size int) {
	p.reads++
	p.bytes += uint64(size)
	s.reads.Add(1)
	s.bytes.Add(uint64(size))
	truncated := size > len(data)
	if s.cfg.Quiet && !truncated {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := StreamEvent{Kind: StreamData, Conn: p.id, Peer: p.peer, Cred: p.cred, Data: data, Size: size, Open: len(s.conns)}
	if truncated {
		s.st.Truncated++
		ev.Kind = StreamTruncated
		s.emit(ev)
		ev.Kind = StreamData
	}
	if !s.cfg.Quiet {
		s.emit(ev)
	}
}

// reply answers data: the seed's prefix and data in one write (one
// sendmsg), or in two with SplitReply. While it waits for room, the
// watchdog sees it writing.
func (s *streamServer) reply(p *streamPeer, data []byte) error {
	var prefix []byte
	if s.cfg.Reply == ReplySeed {
		prefix = s.ct.prefix(s.cfg.Now())
	}
	p.writing.Store(s.clock.Load())
	defer p.writing.Store(0)
	if s.cfg.SplitReply && len(prefix) > 0 {
		if _, err := p.c.Write(prefix); err != nil {
			return err
		}
		_, err := p.c.Write(data)
		return err
	}
	p.iov[0], p.iov[1] = prefix, data
	_, err := p.c.WriteBuffers(p.iov[:]...)
	p.iov[0], p.iov[1] = nil, nil
	return err
}

// ended closes p, unless the caller owns it, counts and tells why it ended.
func (s *streamServer) ended(p *streamPeer, err error) {
	reason := ReasonError
	switch r := p.reason.Load(); {
	case r != nil:
		reason, err = *r, nil
	case err == io.EOF:
		reason, err = ReasonEOF, nil
	case errors.Is(err, syscall.ECONNRESET):
		reason, err = ReasonReset, nil
	case errors.Is(err, syscall.EPIPE):
		reason = ReasonBrokenPipe
	}
	if !p.keepOpen {
		p.c.Close()
	}
	var idle time.Duration
	if reason == ReasonIdle || reason == ReasonEvicted {
		idle = time.Duration(s.clock.Load() - p.lastActive.Load())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, p)
	s.st.Closed.count(reason)
	s.emit(StreamEvent{Kind: StreamClosed, Conn: p.id, Peer: p.peer, Cred: p.cred, Reason: reason, Err: err,
		Reads: p.reads, Bytes: p.bytes, Idle: idle, Open: len(s.conns)})
}
