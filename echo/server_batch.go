package echo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// The batch path: families' recvmmsg/sendmmsg engine, with buffers
// allocated once; each reply goes back to the sender's raw sockaddr as the
// kernel wrote it, with no Go address built, so IPv4, IPv6 and unix share
// one code path. Measured on this kind of machine it is the fastest Go way
// (0.97x a C recvmmsg server), ahead of x/net's ReadBatch/WriteBatch (0.89x,
// and "invalid connection" on unix sockets) and of ReadFrom/WriteTo (0.73x).

// stallTimeout is how long a batch's replies may wait for room in a peer's
// receive queue (a unix sender that does not read; UDP drops at the
// receiver instead) before the reply is dropped and counted as a send
// error. The peer is then marked stuck: later replies to it are tried once
// and dropped at once while its queue stays full, so one peer that stopped
// reading costs the others one wait, not one per batch.
const stallTimeout = time.Second

// batchServer is one Conn's batch path and all its preallocated state.
type batchServer struct {
	c    families.BatchConn
	cfg  ServerConfig
	ctx  context.Context
	emit func(Event)

	rx   *families.RecvBatch
	tx   *families.SendBatch
	txOf []int // tx message k answers rx slot txOf[k]

	ct      ctimeCache
	peers   *peerSet
	silent  map[int]bool // senders with no address, told once each, by PID
	pending *Event       // an unbound sender seen before SO_PASSCRED was on
	seen    time.Time    // when pending was
	stuck   map[peerKey]struct{}
	stalled bool // a write deadline is set for a full peer
	st      Stats
	drops0  uint32 // the socket's drop counter when serving started
}

func newBatchServer(c families.BatchConn, cfg ServerConfig) *batchServer {
	n := BatchSize(cfg)
	return &batchServer{c: c, cfg: cfg, emit: cfg.emitter(),
		rx: families.NewRecvBatch(n, cfg.Bufsize, families.BatchControlSpace), tx: families.NewSendBatch(n), txOf: make([]int, n),
		peers: newPeerSet(), silent: map[int]bool{}, stuck: map[peerKey]struct{}{},
		st: Stats{IO: IOBatch}}
}

// serve runs the batch loop until ctx is done, like Serve.
func (s *batchServer) serve(ctx context.Context) (Stats, error) {
	start := time.Now()
	s.ctx = ctx
	// The kernel's count of datagrams dropped for a full receive queue,
	// read from SO_MEMINFO at the start and the end.
	s.drops0 = kernelDrops(s.c)
	// SO_PASSCRED costs every datagram both ways: off until a sender
	// without an address needs naming.
	families.PassCred(s.c, false)
	defer stopOnDone(ctx, s.c)()
	err := serveUntil(ctx, s.once)
	s.tellPending(time.Time{})
	s.st.Elapsed = time.Since(start)
	s.st.Peers = s.peers.len()
	s.st.PeersCapped = s.peers.capped
	s.st.Drops = dropsSince(s.c, s.drops0)
	return s.st, err
}

// once receives one batch and answers it.
func (s *batchServer) once() error {
	n, err := s.c.ReadBatch(s.rx)
	if err != nil {
		return err
	}
	s.st.Batches++
	var prefix []byte
	if s.cfg.Reply == ReplySeed {
		prefix = s.ct.prefix(s.cfg.Now())
	}
	s.tx.Reset()
	for i := range n {
		s.take(i, prefix)
	}
	s.tellPending(s.cfg.Now().Add(-pendingWait))
	return s.flush()
}

// take counts datagram i of the batch and queues its reply, if it gets one.
func (s *batchServer) take(i int, prefix []byte) {
	data, size := s.rx.Data(i), s.rx.Size(i)
	s.st.Datagrams++
	s.st.Bytes += uint64(size)
	if s.rx.Truncated(i) {
		s.st.Truncated++
		s.emit(Event{Kind: EventTruncated, From: s.rx.Addr(i), PID: s.pid(i), Data: data, Size: size})
	}
	if !s.rx.Named(i) {
		s.unanswerable(i, data, size)
		return
	}
	s.peers.add(s.rx.Name(i))
	if s.cfg.Reply == ReplySockperf {
		pong, ok := SockperfPong(data)
		if !ok {
			return
		}
		data = pong
	}
	s.txOf[s.tx.Len()] = i
	s.tx.AddReply(s.rx, i, prefix, data)
}

// flush sends the batch's replies. A reply the kernel refuses (the unix
// peer is gone, say) is counted and reported, and the rest still go out; a
// reply that finds no room for stallTimeout is dropped the same way.
func (s *batchServer) flush() error {
	defer s.unstall()
	for s.tx.Sent() < s.tx.Len() {
		k := s.tx.Sent()
		err := s.c.WriteBatch(s.tx, s.stalled && !s.isStuck(k))
		s.unstick(k, s.tx.Sent())
		if err := s.sendFailure(err); err != nil {
			return err
		}
	}
	return nil
}

// sendFailure handles what WriteBatch returned, and returns the error that
// ends the batch, if any.
func (s *batchServer) sendFailure(err error) error {
	errno, isErrno := err.(syscall.Errno)
	switch {
	case err == nil:
	case errno == syscall.EAGAIN && s.isStuck(s.tx.Sent()):
		s.sendFailed(errors.New("reply dropped: the peer's receive queue is still full"))
	case errno == syscall.EAGAIN:
		// Wait for room, but not forever: a peer that stopped reading
		// must not stop the server.
		s.stalled = true
		s.c.SetWriteDeadline(time.Now().Add(stallTimeout))
	case isErrno:
		s.sendFailed(os.NewSyscallError("sendmmsg", errno))
	case errors.Is(err, os.ErrDeadlineExceeded) && s.ctx.Err() == nil && s.stalled:
		s.stuck[s.keyOf(s.tx.Sent())] = struct{}{}
		s.sendFailed(fmt.Errorf("reply dropped: the peer's receive queue stayed full for %v (is it reading?)", stallTimeout))
		// The expired deadline would fail the next reply before it is
		// tried: clear it, and give another full peer its own wait.
		s.unstall()
	default:
		return err
	}
	return nil
}

// unstall clears the write deadline of a wait for room.
func (s *batchServer) unstall() {
	if s.stalled {
		s.stalled = false
		s.c.SetWriteDeadline(time.Time{})
	}
}

// unstick forgets that the peers of replies from..to-1, which went out,
// were stuck.
func (s *batchServer) unstick(from, to int) {
	if len(s.stuck) == 0 {
		return
	}
	for k := from; k < to; k++ {
		delete(s.stuck, s.keyOf(k))
	}
}

// keyOf is the peer of reply k as a map key.
func (s *batchServer) keyOf(k int) peerKey { return newPeerKey(s.rx.Name(s.txOf[k])) }

// isStuck reports whether reply k goes to a peer marked stuck.
func (s *batchServer) isStuck(k int) bool {
	if len(s.stuck) == 0 {
		return false
	}
	_, ok := s.stuck[s.keyOf(k)]
	return ok
}

// sendFailed counts and reports the failure of the reply at tx.Sent() and
// skips it.
func (s *batchServer) sendFailed(err error) {
	if s.ctx.Err() == nil {
		s.st.SendErrors++
		s.emit(Event{Kind: EventSendError, From: s.rx.Addr(s.txOf[s.tx.Sent()]), Err: err})
	}
	s.tx.Skip()
}

// pendingWait is how long the report of an unbound sender seen before
// SO_PASSCRED was on waits for its next datagram to name it.
const pendingWait = time.Second

// unanswerable counts a datagram whose sender has no address and tells it
// once per sender, named by PID. SO_PASSCRED is off until the first such
// datagram: that one (and any sent before the option was on) has no PID,
// so its report waits (pending) for a later datagram of an unbound sender
// to name it, or pendingWait.
func (s *batchServer) unanswerable(i int, data []byte, size int) {
	s.st.Unanswerable++
	cred, _ := families.ParseCred(s.rx.Control(i))
	switch {
	case cred.PID != 0 && !s.silent[cred.PID]:
		s.silent[cred.PID] = true
		s.pending = nil
		s.emit(Event{Kind: EventUnanswerable, PID: cred.PID, Data: data, Size: size})
	case cred.PID == 0 && s.pending == nil && !s.silent[0]:
		families.PassCred(s.c, true)
		s.pending = &Event{Kind: EventUnanswerable, Data: append([]byte(nil), data...), Size: size}
		s.seen = s.cfg.Now()
	}
}

// tellPending reports a pending unbound sender that nothing named since
// before, as one of unknown PID (any time, when before is zero).
func (s *batchServer) tellPending(before time.Time) {
	if s.pending == nil || !before.IsZero() && s.seen.After(before) {
		return
	}
	s.silent[0] = true
	s.emit(*s.pending)
	s.pending = nil
}

// pid returns the sender PID of datagram i from SCM_CREDENTIALS, or 0.
func (s *batchServer) pid(i int) int {
	cred, _ := families.ParseCred(s.rx.Control(i))
	return cred.PID
}
