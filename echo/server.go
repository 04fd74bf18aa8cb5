package echo

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/socklab/socklab/families"
)

// DefaultBufsize is the receive buffer handed to recvfrom: large enough for
// any UDP datagram, so nothing is truncated unless asked.
const DefaultBufsize = 65536

const (
	// DefaultBatch is how many datagrams one recvmmsg call takes at most.
	DefaultBatch = 64
	// maxBatchMemory bounds the receive buffers of one server: with a
	// large Bufsize the batch shrinks rather than the memory growing.
	maxBatchMemory = 8 << 20
)

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
	// Policy says who is answered beyond the checks every server makes
	// (see Dropped).
	Policy Policy
	// Spin, on the batch path of a UDP socket, is how long a read that
	// finds nothing tries again before it sleeps; negative: it never
	// sleeps (busy polling). See families.SetSpin.
	Spin time.Duration
	// RecvInfo asks the kernel, for every datagram, its TTL or hop limit,
	// TOS or traffic class, destination address, arrival interface and
	// receive timestamp, for Event.Info (per-datagram events only: not on
	// the batch path). Off, it costs nothing. The kernel prepares the
	// arrival interface as a datagram is queued: one queued before Serve
	// turned this on has none. Call families.EnableRecvInfo before the
	// socket is known to peers to have it for all.
	RecvInfo bool
	// GRO, on the batch path of a UDP socket whose UDP_GRO is on (see
	// families.SetGRO), takes each buffer the kernel coalesced as the
	// datagrams it holds, counts them so, and answers them with one
	// UDP_SEGMENT send (--reply echo: see GROReplies). The guard sees a
	// coalesced buffer, one peer's datagrams, as one datagram.
	GRO bool
	// CPUs, when set, has ServeAll lock the goroutine serving conns[i] to
	// its thread and pin that thread to CPUs[i%len(CPUs)] (Linux only).
	CPUs []int
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
	EventDropped      EventKind = "dropped"      // not answered: Reason says why (at most a few a second are told)
)

// Event is one thing Serve saw.
type Event struct {
	Kind EventKind
	From net.Addr // nil when the sender has no address
	PID  int      // the sender's process ID on unix sockets, 0 if unknown
	// UID and GID are a unix sender's user and group (with PID set).
	UID, GID int
	Data     []byte // the bytes read (valid during OnEvent only)
	Size     int    // the datagram's full length; > len(Data) when truncated
	Err      error  // for EventSendError
	// Reason is why a datagram was dropped (EventDropped), as Dropped's
	// JSON names it: "self", "service", "loop" ...; Suppressed counts the
	// drops not told since the last EventDropped.
	Reason     string
	Suppressed uint64
	// Info is what the kernel said of the datagram (EventDatagram, with
	// ServerConfig.RecvInfo on; nil otherwise), valid during OnEvent only.
	Info *families.RecvInfo
}

// Stats is what a server did, for its summary line.
type Stats struct {
	Datagrams    uint64 `json:"datagrams"`
	Bytes        uint64 `json:"bytes"`
	Peers        int    `json:"peers"`
	Truncated    uint64 `json:"truncated"`
	Unanswerable uint64 `json:"unanswerable"`
	SendErrors   uint64 `json:"send_errors"`
	// QueueFull counts the replies (among SendErrors) dropped because the
	// peer's receive queue, or the server's send buffer, stayed full.
	QueueFull uint64        `json:"queue_full"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	// Dropped counts the datagrams read and not answered, by why.
	Dropped Dropped `json:"dropped"`
	// Drops is how many datagrams the kernel dropped on this socket while
	// serving, for a full receive queue mostly (SO_MEMINFO; Linux only).
	// They never reached Serve and are not in Datagrams.
	Drops uint64 `json:"drops"`
	// PeersCapped is true when there were more peers than the set keeps
	// (65536): Peers is then a lower bound.
	PeersCapped bool `json:"peers_capped,omitempty"`
	// IO is the path that served: IOBatch or IOPlain.
	IO string `json:"io"`
	// Batches is how many recvmmsg calls returned datagrams (batch path).
	Batches uint64 `json:"batches,omitempty"`
}

// UsesBatch reports whether Serve(ctx, c, cfg) takes the batch path.
func UsesBatch(c families.Conn, cfg ServerConfig) bool {
	_, ok := families.AsBatch(c)
	return ok && !cfg.Plain && (cfg.OnEvent == nil || cfg.Quiet)
}

// BatchSize is how many datagrams one call of the batch path handles for
// cfg: cfg.Batch (DefaultBatch when 0), fewer when the buffers of that many
// datagrams of cfg.Bufsize would pass maxBatchMemory.
func BatchSize(cfg ServerConfig) int {
	cfg = cfg.withDefaults()
	n := cfg.Batch
	if n <= 0 {
		n = DefaultBatch
	}
	return max(1, min(n, 1024, maxBatchMemory/cfg.Bufsize))
}

// Serve answers datagrams on c until ctx is done, then returns its Stats and
// a nil error. It returns early with an error only when reading fails for a
// reason other than ctx (the socket was closed, say). It does not close c.
//
// For a families.BatchConn (Linux UDP and unix datagram sockets), when no
// per-datagram event is wanted (cfg.OnEvent nil or cfg.Quiet) Serve reads
// and answers in batches with recvmmsg/sendmmsg and allocates nothing per
// datagram; otherwise, or with cfg.Plain, it runs one ReadMsg and one
// WriteTo per datagram. Both report the same events and count the same
// things.
func Serve(ctx context.Context, c families.Conn, cfg ServerConfig) (Stats, error) {
	cfg = cfg.withDefaults()
	if bc, ok := families.AsBatch(c); ok && UsesBatch(c, cfg) {
		return newBatchServer(bc, cfg).serve(ctx)
	}
	return newPlainServer(c, cfg).serve(ctx)
}

// ServeAll serves every Conn in conns, one goroutine each (the sockets of
// families.OpenReusePort, say), until ctx is done, and returns their Stats
// merged and the first error. cfg.OnEvent is called for one event at a time.
func ServeAll(ctx context.Context, conns []families.Conn, cfg ServerConfig) (Stats, error) {
	if len(conns) == 1 && len(cfg.CPUs) == 0 {
		return Serve(ctx, conns[0], cfg)
	}
	if emit := cfg.OnEvent; emit != nil {
		var mu sync.Mutex
		cfg.OnEvent = func(ev Event) { mu.Lock(); emit(ev); mu.Unlock() }
	}
	type result struct {
		st  Stats
		err error
	}
	results := make(chan result, len(conns))
	for i, c := range conns {
		go func() {
			st, err := servePinned(ctx, c, cfg, i)
			results <- result{st, err}
		}()
	}
	var total Stats
	var firstErr error
	for range conns {
		r := <-results
		total.Merge(r.st)
		if firstErr == nil {
			firstErr = r.err
		}
	}
	return total, firstErr
}

// withDefaults fills in cfg's zero values.
func (cfg ServerConfig) withDefaults() ServerConfig {
	if cfg.Bufsize <= 0 {
		cfg.Bufsize = DefaultBufsize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

// emitter returns cfg.OnEvent, or a function that drops events.
func (cfg ServerConfig) emitter() func(Event) {
	if cfg.OnEvent == nil {
		return func(Event) {}
	}
	return cfg.OnEvent
}

// serveUntil calls once until ctx is done or once fails for another reason;
// deadlines the caller set (to wake a wait) only go round the loop again.
func serveUntil(ctx context.Context, once func() error) error {
	for {
		err := once()
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
		default:
			return err
		}
	}
}

// stopOnDone makes both of c's deadlines pass when ctx is done, so that a
// read or a write waiting for room returns; the returned function undoes it.
func stopOnDone(ctx context.Context, c families.Conn) func() bool {
	return context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
}

// replyFromDestination turns on the destination address of every datagram
// on a server bound to a wildcard address, so that each reply goes out from
// the address the request was sent to, as a connected client expects.
func replyFromDestination(c families.Conn) bool {
	ua, ok := c.LocalAddr().(*net.UDPAddr)
	return ok && ua.IP.IsUnspecified() && families.RecvDestination(c) == nil
}

// kernelDrops reads the socket's drop counter, to count from it.
func kernelDrops(c families.Conn) uint32 {
	d, _ := families.Drops(c)
	return d
}

// dropsSince is how many datagrams the kernel dropped on c since its
// counter read drops0.
func dropsSince(c families.Conn, drops0 uint32) uint64 {
	d, ok := families.Drops(c)
	if !ok || d < drops0 {
		return 0
	}
	return uint64(d - drops0)
}

// PIDString names a sender by PID for messages: "pid 1234", or "unknown pid".
func PIDString(pid int) string {
	if pid == 0 {
		return "unknown pid"
	}
	return "pid " + strconv.Itoa(pid)
}
