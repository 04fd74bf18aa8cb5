package families

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// streamConn is a connected SOCK_STREAM or SOCK_SEQPACKET socket: the
// package's conn (descriptor, netpoller, deadlines, Close) with the reads
// and writes of a connection. Each direction keeps its state and its
// poller callback in the struct, made once, so a read or a write allocates
// nothing; a mutex per direction serializes concurrent callers.
type streamConn struct {
	c     *conn
	raddr net.Addr
	laddr net.Addr
	rd    readOp
	wr    writeOp
}

// newStreamConn wraps fd, a connected non-blocking socket of spec whose
// peer is raddr, in a StreamConn registered with the netpoller. It takes
// ownership of fd.
func newStreamConn(fd int, spec Spec, raddr net.Addr) (*streamConn, error) {
	c, err := newConn(fd, spec)
	if err != nil {
		return nil, err
	}
	return wrapStream(c, raddr), nil
}

// wrapStream makes the connection of c, connected to raddr.
func wrapStream(c *conn, raddr net.Addr) *streamConn {
	s := &streamConn{c: c, raddr: raddr, laddr: c.laddr}
	s.rd.flags = 0
	if c.spec.Type == SOCK_SEQPACKET {
		// The message's full length, as for datagrams. On a stream
		// socket MSG_TRUNC would mean something else: TCP discards the
		// bytes instead of copying them.
		s.rd.flags = unix.MSG_TRUNC
	}
	s.rd.fn = s.rd.call
	s.wr.fn = s.wr.call
	return s
}

// Spec is the connection's socket() triple.
func (s *streamConn) Spec() Spec { return s.c.Spec() }

// Close closes the connection, unblocking its reads and writes; a peer
// reads EOF, or is reset if data it sent was left unread.
func (s *streamConn) Close() error { return s.c.Close() }

// RemoteAddr is the peer's address; a unix client's is often unnamed ("").
func (s *streamConn) RemoteAddr() net.Addr { return s.raddr }

// SetDeadline sets the read and write deadlines.
func (s *streamConn) SetDeadline(t time.Time) error { return s.c.SetDeadline(t) }

// SetReadDeadline sets the deadline of reads.
func (s *streamConn) SetReadDeadline(t time.Time) error { return s.c.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of writes waiting for room.
func (s *streamConn) SetWriteDeadline(t time.Time) error { return s.c.SetWriteDeadline(t) }

// SyscallConn exposes the descriptor, for socket options.
func (s *streamConn) SyscallConn() (syscall.RawConn, error) { return s.c.SyscallConn() }

// LocalAddr is the address the socket is bound to: a *net.TCPAddr or a
// *net.UnixAddr.
func (s *streamConn) LocalAddr() net.Addr { return s.laddr }

// readOp is one read's state: the buffer (or the pool that lends one), the
// recvfrom flags, and what the call returned.
type readOp struct {
	mu    sync.Mutex
	buf   []byte
	pool  BufferPool
	flags int
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// call is the poller callback: one recvfrom. When the socket has nothing
// to read it gives a lent buffer back before the wait, and takes one again
// once woken.
func (r *readOp) call(fd uintptr) bool {
	if r.buf == nil {
		r.buf = r.pool.Get()
	}
	for {
		// Non-blocking: RawSyscall6 spares the runtime a P handoff.
		n, e := sysRecvfromStream(fd, r.buf, r.flags)
		switch e {
		case 0:
			r.n, r.errno = int(n), 0
			return true
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			if r.pool != nil {
				r.pool.Put(r.buf)
				r.buf = nil
			}
			return false
		}
		r.n, r.errno = 0, e
		return true
	}
}

// read reads into buf, or into a buffer from pool when buf is nil, and
// returns the buffer, the bytes read and the message's length.
func (s *streamConn) read(buf []byte, pool BufferPool) ([]byte, int, int, error) {
	rc, err := s.c.poller()
	if err != nil {
		return buf, 0, 0, s.c.opError("read", s.raddr, err)
	}
	r := &s.rd
	r.mu.Lock()
	defer r.mu.Unlock()
	if buf == nil && pool == nil {
		return nil, 0, 0, nil
	}
	r.buf, r.pool, r.n, r.errno = buf, pool, 0, 0
	err = rc.Read(r.fn)
	buf, r.buf, r.pool = r.buf, nil, nil
	if err == nil && r.errno != 0 {
		err = os.NewSyscallError("recvfrom", r.errno)
	}
	if err != nil {
		return buf, 0, 0, s.c.opError("read", s.raddr, err)
	}
	if r.n == 0 && len(buf) > 0 && s.atEOF() {
		return buf, 0, 0, io.EOF
	}
	return buf, min(r.n, len(buf)), r.n, nil
}

// atEOF reports whether a read that returned 0 bytes met the end of the
// connection. On a stream it always did. A seqpacket socket also returns 0
// for an empty message; there the end is when the peer has shut down its
// side (POLLRDHUP) and nothing is left to read.
func (s *streamConn) atEOF() bool {
	if s.c.spec.Type != SOCK_SEQPACKET {
		return true
	}
	eof := true
	s.c.control(func(fd int) {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		if n, err := unix.Poll(p, 0); err == nil && n > 0 {
			eof = p[0].Revents&(unix.POLLRDHUP|unix.POLLHUP) != 0
		} else {
			eof = false
		}
	})
	return eof
}

// Read reads what has arrived: see StreamConn.
func (s *streamConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	_, n, _, err := s.read(b, nil)
	return n, err
}

// ReadPooled reads into buf or a buffer lent by pool: see StreamConn.
func (s *streamConn) ReadPooled(buf []byte, pool BufferPool) ([]byte, int, int, error) {
	return s.read(buf, pool)
}

// ReadMsg reads one message of a seqpacket socket, or what has arrived on
// a stream, from the peer: see Conn.
func (s *streamConn) ReadMsg(b []byte) (n, size int, addr net.Addr, err error) {
	if len(b) == 0 && s.c.spec.Type != SOCK_SEQPACKET {
		return 0, 0, s.raddr, nil
	}
	_, n, size, err = s.read(b, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	return n, size, s.raddr, nil
}

// ReadFrom is Read that also names the peer.
func (s *streamConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, addr, err := s.ReadMsg(b)
	return n, addr, err
}

// writeOp is one write's state: what is left to send, as iovecs, and the
// error the call met.
type writeOp struct {
	mu    sync.Mutex
	all   [][]byte // the buffers of the write, kept for their capacity
	bufs  [][]byte // what is left of all, the first one cut where a short write ended
	iovs  []unix.Iovec
	hdr   unix.Msghdr
	sent  int
	errno syscall.Errno
	fn    func(fd uintptr) bool
}

// call is the poller callback: sendmsg until everything went out (true),
// the socket would block (false: wait for room), or an error (true).
func (w *writeOp) call(fd uintptr) bool {
	for len(w.bufs) > 0 {
		w.setIovecs()
		n, e := sysSendmsgStream(fd, &w.hdr)
		switch e {
		case 0:
			w.advance(int(n))
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			w.errno = e
			return true
		}
	}
	return true
}

// setIovecs points the message header at what is left to send.
func (w *writeOp) setIovecs() {
	w.iovs = w.iovs[:0]
	for _, b := range w.bufs {
		if len(b) > 0 {
			var v unix.Iovec
			v.Base = &b[0]
			v.SetLen(len(b))
			w.iovs = append(w.iovs, v)
		}
	}
	w.hdr = unix.Msghdr{}
	if len(w.iovs) > 0 {
		w.hdr.Iov = &w.iovs[0]
		w.hdr.SetIovlen(len(w.iovs))
	}
}

// advance drops n bytes sent from the front of what is left.
func (w *writeOp) advance(n int) {
	w.sent += n
	for len(w.bufs) > 0 && n >= len(w.bufs[0]) {
		n -= len(w.bufs[0])
		w.bufs = w.bufs[1:]
	}
	if len(w.bufs) > 0 {
		w.bufs[0] = w.bufs[0][n:]
	}
}

// WriteBuffers writes bufs in order: see StreamConn.
func (s *streamConn) WriteBuffers(bufs ...[]byte) (int, error) {
	rc, err := s.c.poller()
	if err != nil {
		return 0, s.c.opError("write", s.raddr, err)
	}
	w := &s.wr
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all = append(w.all[:0], bufs...)
	if len(w.all) == 0 {
		return 0, nil
	}
	w.bufs, w.sent, w.errno = w.all, 0, 0
	err = rc.Write(w.fn)
	clear(w.all)
	w.bufs = nil
	if err == nil && w.errno != 0 {
		err = os.NewSyscallError("sendmsg", w.errno)
	}
	if err != nil {
		return w.sent, s.c.opError("write", s.raddr, err)
	}
	return w.sent, nil
}

// Write writes all of b: see StreamConn.
func (s *streamConn) Write(b []byte) (int, error) { return s.WriteBuffers(b) }

// WriteTo sends b to the peer, the one address a connected socket sends
// to; addr must be nil or the peer's.
func (s *streamConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if addr != nil && addr != s.raddr && addr.String() != s.raddr.String() {
		return 0, s.c.opError("write", addr, syscall.EISCONN)
	}
	return s.WriteBuffers(b)
}

// CloseWrite shuts down the sending side: see StreamConn.
func (s *streamConn) CloseWrite() error { return s.shutdown(unix.SHUT_WR, "close write") }

// CloseRead shuts down the receiving side: see StreamConn.
func (s *streamConn) CloseRead() error { return s.shutdown(unix.SHUT_RD, "close read") }

func (s *streamConn) shutdown(how int, op string) error {
	var e error
	if err := s.c.control(func(fd int) { e = sysShutdown(fd, how) }); err != nil {
		return s.c.opError(op, s.raddr, err)
	}
	if e != nil {
		return s.c.opError(op, s.raddr, os.NewSyscallError("shutdown", e))
	}
	return nil
}
