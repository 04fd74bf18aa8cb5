package echo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// plainServer is the loop that works on every Conn and system: one ReadMsg
// and one WriteTo per datagram.
type plainServer struct {
	c    families.Conn
	cfg  ServerConfig
	ctx  context.Context
	emit func(Event)

	buf, out []byte
	// With dest, datagrams are read with their destination (oob), and
	// replies go out from it (ctl). With info, oob holds RecvInfo's facts.
	dest     bool
	info     *families.RecvInfo
	oob, ctl []byte
	oobn     int
	ct       ctimeCache
	guard    *guard
	note     notices
	bare     bool // seed replies to short requests go bare (see amplifies)
	// Peers by address: UDP ones by netip.AddrPort, which costs no
	// allocation, others by their string; at most maxPeers in all.
	udpPeers map[netip.AddrPort]struct{}
	peers    map[string]struct{}
	silent   map[int]bool         // senders without an address, told once each, by PID
	stuck    map[uint64]time.Time // peers whose queue stayed full, and since when
	st       Stats
	drops0   uint32
}

func newPlainServer(c families.Conn, cfg ServerConfig) *plainServer {
	local := c.LocalAddr()
	return &plainServer{c: c, cfg: cfg, emit: cfg.emitter(),
		buf: make([]byte, cfg.Bufsize), out: make([]byte, 0, cfg.Bufsize+64),
		guard: newGuard(local, cfg.Policy), bare: exposed(local),
		udpPeers: map[netip.AddrPort]struct{}{}, peers: map[string]struct{}{}, silent: map[int]bool{},
		stuck: map[uint64]time.Time{}, st: Stats{IO: IOPlain}}
}

// serve runs the loop until ctx is done, like Serve.
func (s *plainServer) serve(ctx context.Context) (Stats, error) {
	start := time.Now()
	s.ctx = ctx
	defer stopOnDone(ctx, s.c)()
	s.drops0 = kernelDrops(s.c)
	if _, ok := s.c.(families.MsgConn); ok && replyFromDestination(s.c) {
		s.dest, s.oob, s.ctl = true, make([]byte, families.BatchControlSpace), make([]byte, 0, families.BatchControlSpace)
	}
	s.enableInfo()
	err := serveUntil(ctx, s.once)
	s.st.Elapsed = time.Since(start)
	s.st.Drops = dropsSince(s.c, s.drops0)
	return s.st, err
}

// once reads one datagram, counts and reports it, and answers it.
func (s *plainServer) once() error {
	n, size, from, cred, err := s.read()
	if err != nil {
		return err
	}
	s.st.Datagrams++
	s.st.Bytes += uint64(size)
	data := s.buf[:n]
	if size > n {
		s.st.Truncated++
		s.emit(Event{Kind: EventTruncated, From: from, PID: cred.PID, Data: data, Size: size})
	}
	if from == nil || isUnnamed(from) {
		s.unanswerable(cred.PID, data, size)
		return nil
	}
	s.addPeer(from)
	src := sourceOf(from, cred)
	now := time.Now().UnixNano()
	if v := s.guard.check(&src, data, size, now); v != answer {
		s.st.Dropped.count(v)
		if ok, held := s.note.allow(int(v), now); ok {
			s.emit(Event{Kind: EventDropped, From: from, PID: cred.PID, Data: data, Size: size, Reason: reasonOf(v), Suppressed: held})
		}
		return nil
	}
	// Answer first, then tell: what the reply is does not depend on the
	// telling, and a reader of the events that went away (serve | head)
	// must not cost the sender its reply.
	s.answer(from, &src, cred.PID, data, now)
	if !s.cfg.Quiet {
		s.emit(Event{Kind: EventDatagram, From: from, PID: cred.PID, UID: cred.UID, GID: cred.GID, Data: data, Size: size, Info: s.info})
	}
	return nil
}

// read reads one datagram, with its sender's credentials where the Conn
// has them.
func (s *plainServer) read() (n, size int, from net.Addr, cred families.Cred, err error) {
	if s.dest || s.info != nil {
		m, err := s.c.(families.MsgConn).RecvMsg(s.buf, s.oob, 0)
		s.oobn = m.OOBN
		if err == nil {
			s.parseInfo()
		}
		return m.N, m.Size, m.Addr, cred, err
	}
	if cr, ok := s.c.(families.CredReader); ok {
		return cr.ReadMsgCred(s.buf)
	}
	n, size, from, err = s.c.ReadMsg(s.buf)
	return n, size, from, cred, err
}

// sourceOf describes a sender for the guard.
func sourceOf(from net.Addr, cred families.Cred) source {
	switch a := from.(type) {
	case *net.UDPAddr:
		ap := a.AddrPort()
		return source{ap: ap, key: apKey(ap)}
	case *net.IPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		ap := netip.AddrPortFrom(ip.Unmap(), 0)
		return source{ap: ap, key: apKey(ap), portless: true}
	}
	return source{key: hashBytes(from.String()), hasCred: cred.PID != 0, uid: cred.UID, gid: cred.GID}
}

// unanswerable counts a datagram whose sender has no address, and says so
// once per sender.
func (s *plainServer) unanswerable(pid int, data []byte, size int) {
	s.st.Unanswerable++
	if !s.silent[pid] {
		s.silent[pid] = true
		s.emit(Event{Kind: EventUnanswerable, PID: pid, Data: data, Size: size})
	}
}

// addPeer counts from among the peers, up to maxPeers.
func (s *plainServer) addPeer(from net.Addr) {
	if s.st.Peers >= maxPeers {
		s.st.PeersCapped = true
		return
	}
	if ua, ok := from.(*net.UDPAddr); ok {
		s.udpPeers[ua.AddrPort()] = struct{}{}
	} else {
		s.peers[from.String()] = struct{}{}
	}
	s.st.Peers = len(s.udpPeers) + len(s.peers)
}

// answer sends the reply to data, if it gets one.
func (s *plainServer) answer(to net.Addr, src *source, pid int, data []byte, now int64) {
	var ok bool
	if s.cfg.Reply == ReplySeed {
		prefix := s.ct.prefix(s.cfg.Now())
		if s.bare && amplifies(src.ap, prefix, data) {
			prefix = nil
		}
		s.out, ok = append(append(s.out[:0], prefix...), data...), true
	} else {
		s.out, ok = s.cfg.Reply.Answer(s.out[:0], data, time.Time{})
	}
	if !ok {
		return
	}
	s.guard.sent(src, nil, s.out, now)
	s.send(to, src.key, pid, now)
}

// send sends s.out to a peer, waiting for room at most sendBudget, and not
// at all for a peer whose queue stayed full in the last second.
func (s *plainServer) send(to net.Addr, key uint64, pid int, now int64) {
	if since, ok := s.stuck[key]; ok && time.Duration(now-since.UnixNano()) < noticeEvery {
		s.st.SendErrors++
		s.st.QueueFull++
		return
	}
	err := s.writeWithin(to, time.Unix(0, now))
	if err == nil || s.ctx.Err() != nil {
		delete(s.stuck, key)
		return
	}
	s.st.SendErrors++
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.st.QueueFull++
		if len(s.stuck) < maxStuck {
			s.stuck[key] = time.Unix(0, now)
		}
		err = fmt.Errorf("reply dropped: the peer's receive queue stayed full for %v (is it reading?)", time.Since(time.Unix(0, now)).Round(time.Millisecond))
	}
	if ok, held := s.note.allow(noticeSend, now); ok {
		s.emit(Event{Kind: EventSendError, From: to, PID: pid, Err: err, Suppressed: held})
	}
}

// writeWithin sends s.out to a peer, waiting for room at most sendBudget
// while other datagrams wait to be served, and on, up to maxStall from
// start, while none does; it looks again every stallStep. A unix socket
// cannot poll for room in a peer's queue, so there the wait is a sleep.
func (s *plainServer) writeWithin(to net.Addr, start time.Time) error {
	for {
		var err error
		if s.c.Spec().Family == families.AF_UNIX && !s.dest {
			if _, err = families.SendNow(s.c, s.out, nil, to); err == syscall.EAGAIN {
				time.Sleep(stallStep)
				err = os.ErrDeadlineExceeded
			}
		} else {
			s.c.SetWriteDeadline(time.Now().Add(stallStep))
			_, err = s.write(to)
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) || s.ctx.Err() != nil {
			return err
		}
		waited := time.Since(start)
		if waited >= maxStall || waited >= sendBudget && families.Readable(s.c) {
			return err
		}
	}
}

// write sends s.out to a peer, from the request's destination with dest.
func (s *plainServer) write(to net.Addr) (int, error) {
	if s.dest {
		s.ctl = families.ReplyControl(s.ctl[:0], s.oob[:s.oobn])
		return s.c.(families.MsgConn).WriteMsg(s.out, s.ctl, to)
	}
	return s.c.WriteTo(s.out, to)
}

// isUnnamed reports a unix sender that has no name to answer.
func isUnnamed(a net.Addr) bool {
	ua, ok := a.(*net.UnixAddr)
	return ok && (ua.Name == "" || ua.Name == "@")
}
