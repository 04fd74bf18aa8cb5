package echo

import (
	"context"
	"net"
	"net/netip"
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
	ct       ctimeCache
	// Peers by address: UDP ones by netip.AddrPort, which costs no
	// allocation, others by their string.
	udpPeers map[netip.AddrPort]struct{}
	peers    map[string]struct{}
	silent   map[int]bool // senders without an address, told once each, by PID
	st       Stats
	drops0   uint32
}

func newPlainServer(c families.Conn, cfg ServerConfig) *plainServer {
	return &plainServer{c: c, cfg: cfg, emit: cfg.emitter(),
		buf: make([]byte, cfg.Bufsize), out: make([]byte, 0, cfg.Bufsize+64),
		udpPeers: map[netip.AddrPort]struct{}{}, peers: map[string]struct{}{}, silent: map[int]bool{},
		st: Stats{IO: IOPlain}}
}

// serve runs the loop until ctx is done, like Serve.
func (s *plainServer) serve(ctx context.Context) (Stats, error) {
	start := time.Now()
	s.ctx = ctx
	defer stopOnDone(ctx, s.c)()
	s.drops0 = kernelDrops(s.c)
	err := serveUntil(ctx, s.once)
	s.st.Elapsed = time.Since(start)
	s.st.Drops = dropsSince(s.c, s.drops0)
	return s.st, err
}

// once reads one datagram, counts and reports it, and answers it.
func (s *plainServer) once() error {
	n, size, from, pid, err := s.read()
	if err != nil {
		return err
	}
	s.st.Datagrams++
	s.st.Bytes += uint64(size)
	data := s.buf[:n]
	if size > n {
		s.st.Truncated++
		s.emit(Event{Kind: EventTruncated, From: from, PID: pid, Data: data, Size: size})
	}
	if from == nil || isUnnamed(from) {
		s.unanswerable(pid, data, size)
		return nil
	}
	s.addPeer(from)
	if !s.cfg.Quiet {
		s.emit(Event{Kind: EventDatagram, From: from, PID: pid, Data: data, Size: size})
	}
	s.answer(from, pid, data)
	return nil
}

// read reads one datagram, with its sender's PID where the Conn has it.
func (s *plainServer) read() (n, size int, from net.Addr, pid int, err error) {
	if cr, ok := s.c.(families.CredReader); ok {
		return cr.ReadMsgCred(s.buf)
	}
	n, size, from, err = s.c.ReadMsg(s.buf)
	return n, size, from, 0, err
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

func (s *plainServer) addPeer(from net.Addr) {
	if ua, ok := from.(*net.UDPAddr); ok {
		s.udpPeers[ua.AddrPort()] = struct{}{}
	} else {
		s.peers[from.String()] = struct{}{}
	}
	s.st.Peers = len(s.udpPeers) + len(s.peers)
}

// answer sends the reply to data, if it gets one.
func (s *plainServer) answer(to net.Addr, pid int, data []byte) {
	var ok bool
	if s.cfg.Reply == ReplySeed {
		s.out, ok = append(append(s.out[:0], s.ct.prefix(s.cfg.Now())...), data...), true
	} else {
		s.out, ok = s.cfg.Reply.Answer(s.out[:0], data, time.Time{})
	}
	if !ok {
		return
	}
	if _, err := s.c.WriteTo(s.out, to); err != nil && s.ctx.Err() == nil {
		s.st.SendErrors++
		s.emit(Event{Kind: EventSendError, From: to, PID: pid, Err: err})
	}
}

// isUnnamed reports a unix sender that has no name to answer.
func isUnnamed(a net.Addr) bool {
	ua, ok := a.(*net.UnixAddr)
	return ok && (ua.Name == "" || ua.Name == "@")
}
