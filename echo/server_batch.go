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

// sendBudget is how long one batch's replies may wait in all for room while
// other datagrams wait to be served: in a unix peer's receive queue (a
// sender that does not read; UDP drops at the receiver instead), or in the
// server's own send buffer. A reply that finds no room within it is dropped
// and counted (QueueFull), and its peer marked stuck: later replies to it
// are tried once, without a wait, until one goes out. So a peer that
// stopped reading costs the others one wait, not one per batch, and never
// more than sendBudget per batch. While nobody else waits, the wait goes
// on, up to maxStall, so a slow peer (descheduled on a busy machine) loses
// nothing.
const sendBudget = 50 * time.Millisecond

// maxStall bounds a batch's wait for room when nobody else waits.
const maxStall = time.Second

// maxStuck bounds the set of stuck peers; past it, more stuck peers are
// only not remembered (each costs its batch a wait within sendBudget).
const maxStuck = 4096

// batchServer is one Conn's batch path and all its preallocated state.
type batchServer struct {
	c    families.BatchConn
	cfg  ServerConfig
	ctx  context.Context
	emit func(Event)

	rx   *families.RecvBatch
	tx   *families.SendBatch
	txOf []int // tx message k answers rx slot txOf[k]

	guard   *guard
	memo    senderMemo // the last sender, as source found it
	note    notices
	now     int64 // when the batch was read, Unix nanoseconds
	bare    bool  // seed replies to short requests go bare (see amplifies)
	ct      ctimeCache
	peers   *peerSet
	silent  map[int]bool // senders with no address, told once each, by PID
	pending *Event       // an unbound sender seen before SO_PASSCRED was on
	seen    time.Time    // when pending was
	stuck   map[peerKey]struct{}
	stalled bool // the batch waits for room for a full peer
	// pollable is false for a unix socket, which cannot wait for room in
	// a peer's queue by poll (see stallStep).
	pollable bool
	// stallStart is when the batch began to wait for room.
	stallStart time.Time
	spent      bool // the batch spent its sendBudget
	st         Stats
	drops0     uint32 // the socket's drop counter when serving started
}

// senderMemo is the last sender source described and the guard's verdict
// on it; with the sender's raw address when n is not 0, for the next
// datagram to reuse.
type senderMemo struct {
	name [112]byte // any family's raw address, sockaddr_un's 110 bytes included
	n    int
	src  source
	v    verdict
}

func newBatchServer(c families.BatchConn, cfg ServerConfig) *batchServer {
	n := BatchSize(cfg)
	local := c.LocalAddr()
	return &batchServer{c: c, cfg: cfg, emit: cfg.emitter(),
		rx: families.NewRecvBatch(n, cfg.Bufsize, rxControlSpace(cfg)), tx: families.NewSendBatch(n), txOf: make([]int, n),
		guard: newGuard(local, cfg.Policy), bare: exposed(local), pollable: c.Spec().Family != families.AF_UNIX,
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
	replyFromDestination(s.c)
	if s.cfg.Spin != 0 {
		families.SetSpin(s.c, s.cfg.Spin)
	}
	// SO_PASSCRED costs every datagram both ways: off until a sender
	// without an address needs naming, unless the policy filters by uid.
	families.PassCred(s.c, s.guard.wantsCred())
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
	s.now = time.Now().UnixNano()
	s.st.Batches++
	var prefix []byte
	if s.cfg.Reply == ReplySeed {
		prefix = s.ct.prefix(s.cfg.Now())
	}
	s.tx.Reset()
	s.memo.n = 0 // this host's addresses may have changed: check again
	for i := range n {
		s.take(i, prefix)
	}
	s.tellPending(s.cfg.Now().Add(-pendingWait))
	return s.flush()
}

// take counts datagram i of the batch and queues its reply, if it gets one.
func (s *batchServer) take(i int, prefix []byte) {
	data, size := s.rx.Data(i), s.rx.Size(i)
	seg := s.segment(i, size)
	s.st.Datagrams += segments(size, seg)
	s.st.Bytes += uint64(size)
	if s.rx.Truncated(i) {
		s.st.Truncated++
		s.emit(Event{Kind: EventTruncated, From: s.rx.Addr(i), PID: s.pid(i), Data: data, Size: size})
	}
	if !s.rx.Named(i) {
		s.unanswerable(i, data, size)
		return
	}
	src, v := s.source(i)
	if v == answer {
		v = s.guard.checkDatagram(src, data, size, s.now)
	}
	if v != answer {
		s.dropped(v, i, data, size)
		return
	}
	if s.cfg.Reply == ReplySockperf {
		pong, ok := SockperfPong(data)
		if !ok {
			return
		}
		data = pong
	}
	if s.bare && amplifies(src.ap, prefix, data) {
		prefix = nil
	}
	s.txOf[s.tx.Len()] = i
	s.tx.AddReply(s.rx, i, prefix, data)
	if seg > 0 {
		s.tx.SetSegment(seg)
	}
	s.guard.sent(src, prefix, data, s.now)
}

// source describes datagram i's sender for the guard, with the guard's
// verdict on the sender itself, and counts it among the peers. A sender
// is parsed, hashed, counted and checked once for a run of its datagrams
// in a batch (a batch mostly holds one sender's), except a unix sender
// under a uid or gid policy, which is checked for each datagram. The
// source lives in s.memo, valid until the next call: returned by value,
// its copy measured a tenth of the batch loop's own time.
func (s *batchServer) source(i int) (*source, verdict) {
	m := &s.memo
	name := s.rx.Name(i)
	if m.n > 0 && string(name) == string(m.name[:m.n]) {
		return &m.src, m.v
	}
	s.peers.add(name)
	m.src = source{key: hashBytes(name)}
	if ap, ok := s.rx.AddrPort(i); ok {
		m.src.ap = ap
	} else if cred, ok := families.ParseCred(s.rx.Control(i)); ok && cred.PID != 0 {
		m.src.hasCred, m.src.uid, m.src.gid = true, cred.UID, cred.GID
	}
	m.v = s.guard.checkSender(&m.src, s.now)
	m.n = 0
	if (m.src.ap.IsValid() || !s.guard.wantsCred()) && len(name) <= len(m.name) {
		// Not a unix sender under --allow-uid or --allow-gid: its
		// verdict hangs on its credentials, which come with each
		// datagram.
		m.n = copy(m.name[:], name)
	}
	return &m.src, m.v
}

// dropped counts a datagram the guard refused, and tells it now and then.
func (s *batchServer) dropped(v verdict, i int, data []byte, size int) {
	s.st.Dropped.count(v)
	if ok, held := s.note.allow(int(v), s.now); ok {
		s.emit(Event{Kind: EventDropped, From: s.rx.Addr(i), Data: data, Size: size, Reason: reasonOf(v), Suppressed: held})
	}
}

// flush sends the batch's replies. A reply the kernel refuses (the unix
// peer is gone, say) is counted and reported, and the rest still go out; a
// reply that finds no room (see sendBudget) is dropped the same way.
func (s *batchServer) flush() error {
	s.spent = false
	defer s.unstall()
	for s.tx.Sent() < s.tx.Len() {
		k := s.tx.Sent()
		err := s.c.WriteBatch(s.tx, s.stalled && s.pollable && !s.isStuck(k))
		if s.tx.Sent() > k {
			// Progress: the budget counts the time without any.
			s.stallStart = time.Now()
		}
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
	expired := errors.Is(err, os.ErrDeadlineExceeded) && s.ctx.Err() == nil && s.stalled
	switch {
	case err == nil:
	case errno == syscall.EAGAIN && (s.spent || s.isStuck(s.tx.Sent())):
		s.full("the peer's receive queue is full")
	case errno == syscall.EAGAIN && !s.stalled:
		// Wait for room, but not for long: a peer that stopped reading
		// must not stop the server.
		s.stalled, s.stallStart = true, time.Now()
		if s.pollable {
			s.c.SetWriteDeadline(s.stallStart.Add(stallStep))
		}
	case errno == syscall.EAGAIN || expired:
		s.waitOrGiveUp()
	case isErrno:
		s.sendFailed(os.NewSyscallError("sendmmsg", errno))
	default:
		return err
	}
	return nil
}

// stallStep is how often a wait for room looks again at whether it should
// go on. A unix socket cannot poll for room in a peer's queue (poll says
// writable as long as its own buffer is, and wakes its waiter on every
// datagram that arrives), so there the wait is a sleep.
const stallStep = 2 * time.Millisecond

// waitOrGiveUp goes on waiting for room, one stallStep more, while the
// budget allows (see sendBudget), and otherwise drops the reply and stops
// the batch's waiting.
func (s *batchServer) waitOrGiveUp() {
	waited := time.Since(s.stallStart)
	if waited < sendBudget || waited < maxStall && !families.Readable(s.c) {
		if s.pollable {
			s.c.SetWriteDeadline(time.Now().Add(stallStep))
		} else {
			time.Sleep(stallStep)
		}
		return
	}
	s.full(fmt.Sprintf("the peer's receive queue stayed full for %v (is it reading?)", waited.Round(time.Millisecond)))
	// The expired deadline would fail the next reply before it is tried:
	// clear it. The batch waits no more.
	s.spent = true
	s.unstall()
}

// full drops the reply at tx.Sent() for want of room and marks its peer
// stuck; the first reply so dropped for a peer is told, now and then.
func (s *batchServer) full(why string) {
	k := s.tx.Sent()
	s.st.QueueFull++
	key := s.keyOf(k)
	_, known := s.stuck[key]
	if !known && len(s.stuck) < maxStuck {
		s.stuck[key] = struct{}{}
	}
	if known || s.ctx.Err() != nil {
		s.st.SendErrors++
		s.tx.Skip()
		return
	}
	s.sendFailed(errors.New("reply dropped: " + why))
}

// unstall clears the write deadline of a wait for room.
func (s *batchServer) unstall() {
	if s.stalled {
		s.stalled = false
		if s.pollable {
			s.c.SetWriteDeadline(time.Time{})
		}
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

// sendFailed counts the failure of the reply at tx.Sent(), tells it now
// and then, and skips it.
func (s *batchServer) sendFailed(err error) {
	if s.ctx.Err() == nil {
		s.st.SendErrors++
		if ok, held := s.note.allow(noticeSend, s.now); ok {
			s.emit(Event{Kind: EventSendError, From: s.rx.Addr(s.txOf[s.tx.Sent()]), Err: err, Suppressed: held})
		}
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
