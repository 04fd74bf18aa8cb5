package echo

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/socklab/socklab/families"
)

// DefaultBufsize is the receive buffer handed to recvfrom: large enough for
// any UDP datagram, so nothing is truncated unless asked.
const DefaultBufsize = 65536

// ServerConfig says how Serve answers and what it reports.
type ServerConfig struct {
	Reply Reply
	// Bufsize is the buffer each read gets (DefaultBufsize when 0). A longer
	// datagram is truncated by the kernel; Serve reports it and echoes the
	// part it read.
	Bufsize int
	// OnEvent, when set, is called for every datagram and problem, from the
	// serving goroutine; Event.Data is valid only during the call.
	OnEvent func(Event)
	// Now gives the time for seed replies (time.Now when nil).
	Now func() time.Time
	// Quiet says OnEvent wants no EventDatagram, only the rare events
	// (truncation, unanswerable senders, send errors). With nothing to
	// report per datagram, Serve can take the batch path.
	Quiet bool
	// Plain makes Serve use the portable ReadMsg/WriteTo loop even where
	// the batch path is available (to compare the two).
	Plain bool
	// Batch is the most datagrams one recvmmsg/sendmmsg call handles on
	// the batch path (DefaultBatch when 0; fewer when Bufsize is large, so
	// the buffers stay within 8 MiB).
	Batch int
}

// The I/O paths Serve takes, as Stats.IO names them.
const (
	// IOBatch is recvmmsg/sendmmsg on the raw descriptor (Linux, UDP and
	// unix datagram sockets, no per-datagram event wanted).
	IOBatch = "recvmmsg/sendmmsg"
	// IOPlain is one ReadMsg and one WriteTo per datagram.
	IOPlain = "ReadMsg/WriteTo"
)

// EventKind names what happened.
type EventKind string

// The events Serve reports.
const (
	EventDatagram     EventKind = "datagram"     // a datagram arrived and was answered
	EventTruncated    EventKind = "truncated"    // it was longer than Bufsize: Size-len(Data) bytes lost
	EventUnanswerable EventKind = "unanswerable" // its sender has no address (unbound unix socket); once per sender
	EventSendError    EventKind = "send-error"   // the reply could not be sent
)

// Event is one thing Serve saw.
type Event struct {
	Kind EventKind
	From net.Addr // nil when the sender has no address
	PID  int      // the sender's process ID on unix sockets, 0 if unknown
	Data []byte   // the bytes read (valid during OnEvent only)
	Size int      // the datagram's full length; > len(Data) when truncated
	Err  error    // for EventSendError
}

// Stats is what a server did, for its summary line.
type Stats struct {
	Datagrams    uint64        `json:"datagrams"`
	Bytes        uint64        `json:"bytes"`
	Peers        int           `json:"peers"`
	Truncated    uint64        `json:"truncated"`
	Unanswerable uint64        `json:"unanswerable"`
	SendErrors   uint64        `json:"send_errors"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	// Drops is how many datagrams the kernel dropped on this socket while
	// serving, for a full receive queue mostly (SO_RXQ_OVFL, SO_MEMINFO;
	// Linux only). They never reached Serve and are not in Datagrams.
	Drops uint64 `json:"drops"`
	// PeersCapped is true when there were more peers than the set keeps
	// (65536 on the batch path): Peers is then a lower bound.
	PeersCapped bool `json:"peers_capped,omitempty"`
	// IO is the path that served: IOBatch or IOPlain.
	IO string `json:"io"`
	// Batches is how many recvmmsg calls returned datagrams (batch path).
	Batches uint64 `json:"batches,omitempty"`
}

// UsesBatch reports whether Serve(ctx, c, cfg) takes the batch path.
func UsesBatch(c families.Conn, cfg ServerConfig) bool {
	return !cfg.Plain && (cfg.OnEvent == nil || cfg.Quiet) && batchAvailable(c)
}

// BatchSize is how many datagrams one call of the batch path handles for cfg.
func BatchSize(cfg ServerConfig) int {
	if cfg.Bufsize <= 0 {
		return batchSlots(cfg, DefaultBufsize)
	}
	return batchSlots(cfg, cfg.Bufsize)
}

// Serve answers datagrams on c until ctx is done, then returns its Stats and
// a nil error. It returns early with an error only when reading fails for a
// reason other than ctx (the socket was closed, say). It does not close c.
//
// On Linux, for UDP and unix datagram sockets, when no per-datagram event is
// wanted (cfg.OnEvent nil or cfg.Quiet) Serve reads and answers in batches
// with recvmmsg/sendmmsg and allocates nothing per datagram; otherwise, or
// with cfg.Plain, it runs one ReadMsg and one WriteTo per datagram. Both
// report the same events and count the same things.
func Serve(ctx context.Context, c families.Conn, cfg ServerConfig) (Stats, error) {
	if UsesBatch(c, cfg) {
		if s := newFastServer(c, cfg); s != nil {
			return s.serve(ctx)
		}
	}
	return servePlain(ctx, c, cfg)
}

// servePlain is the loop that works on every Conn and system.
func servePlain(ctx context.Context, c families.Conn, cfg ServerConfig) (Stats, error) {
	st := Stats{IO: IOPlain}
	start := time.Now()
	bufsize := cfg.Bufsize
	if bufsize <= 0 {
		bufsize = DefaultBufsize
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	emit := cfg.OnEvent
	if emit == nil {
		emit = func(Event) {}
	}
	// Both deadlines: a WriteTo waiting for room must stop too.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	drops0, _ := socketDrops(c)
	finish := func() {
		st.Elapsed = time.Since(start)
		if d, ok := socketDrops(c); ok && d >= drops0 {
			st.Drops = uint64(d - drops0)
		}
	}
	var ct ctimeCache

	buf := make([]byte, bufsize)
	out := make([]byte, 0, bufsize+64)
	// Peers by address: UDP ones by netip.AddrPort, which costs no
	// allocation, others by their string.
	udpPeers := map[netip.AddrPort]struct{}{}
	peers := map[string]struct{}{}
	silent := map[int]bool{} // senders without an address, told once each, by PID
	cr, hasCred := c.(families.CredReader)
	for {
		var n, size, pid int
		var from net.Addr
		var err error
		if hasCred {
			n, size, from, pid, err = cr.ReadMsgCred(buf)
		} else {
			n, size, from, err = c.ReadMsg(buf)
		}
		if err != nil {
			if ctx.Err() != nil {
				finish()
				return st, nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			finish()
			return st, err
		}
		st.Datagrams++
		st.Bytes += uint64(size)
		data := buf[:n]
		if size > n {
			st.Truncated++
			emit(Event{Kind: EventTruncated, From: from, PID: pid, Data: data, Size: size})
		}
		if from == nil || isUnnamed(from) {
			st.Unanswerable++
			if !silent[pid] {
				silent[pid] = true
				emit(Event{Kind: EventUnanswerable, PID: pid, Data: data, Size: size})
			}
			continue
		}
		if ua, ok := from.(*net.UDPAddr); ok {
			udpPeers[ua.AddrPort()] = struct{}{}
		} else {
			peers[from.String()] = struct{}{}
		}
		st.Peers = len(udpPeers) + len(peers)
		if !cfg.Quiet {
			emit(Event{Kind: EventDatagram, From: from, PID: pid, Data: data, Size: size})
		}
		var ok bool
		switch cfg.Reply {
		case ReplySeed:
			out = append(append(out[:0], ct.prefix(now())...), data...)
			ok = true
		default:
			out, ok = cfg.Reply.Answer(out[:0], data, time.Time{})
		}
		if !ok {
			continue
		}
		if _, err := c.WriteTo(out, from); err != nil && ctx.Err() == nil {
			st.SendErrors++
			emit(Event{Kind: EventSendError, From: from, PID: pid, Err: err})
		}
	}
}

// isUnnamed reports a unix sender that has no name to answer.
func isUnnamed(a net.Addr) bool {
	ua, ok := a.(*net.UnixAddr)
	return ok && (ua.Name == "" || ua.Name == "@")
}

// PIDString names a sender by PID for messages: "pid 1234", or "unknown pid".
func PIDString(pid int) string {
	if pid == 0 {
		return "unknown pid"
	}
	return "pid " + strconv.Itoa(pid)
}
