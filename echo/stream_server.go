package echo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// The stream server: each accepted connection is served by its own
// goroutine, which answers every read as the datagram server answers every
// datagram (the seed's "[ctime] message", or the bytes unchanged). On a
// stream a read is not a message: it returns what has arrived, so one
// message may come in several reads (each answered with its own prefix) and
// several in one. On seqpacket a read is one message, truncated to the
// buffer as a datagram is.
//
// What a server of many connections must survive: a connection flood, idle
// connections that hold their place (slowloris), and peers that never read
// their replies. Limits, all counted in StreamStats and told as events:
//
//   - at most MaxConns connections: a new one past it evicts the
//     connection idle longest if that one has been idle EvictIdle or more
//     (which a slowloris client's are), and is reset at once (refused)
//     otherwise;
//   - a connection with nothing to read for IdleTimeout is closed;
//   - a reply that waits WriteTimeout for room (the peer does not read) has
//     its connection closed; meanwhile it holds up that connection alone.
//
// A waiting connection holds no read buffer (families.StreamConn.
// ReadPooled): memory per idle connection is its goroutine, its socket and
// this package's bookkeeping, a few kilobytes, whatever Bufsize is. A
// stream server needs no reflection guard: the handshake proves the peer's
// address, so nobody can aim its replies at a third party.

// Defaults of StreamConfig's zero values.
const (
	DefaultMaxConns     = 10000
	DefaultIdleTimeout  = 5 * time.Minute
	DefaultWriteTimeout = 10 * time.Second
	DefaultEvictIdle    = time.Second
)

// StreamConfig says how ServeStream answers and what it reports.
type StreamConfig struct {
	// Reply is ReplySeed or ReplyEcho.
	Reply Reply
	// Bufsize is the most one read takes (DefaultBufsize when 0). Buffers
	// are lent to reads from a pool, not held by idle connections.
	Bufsize int
	// OnEvent, when set, is called for every event, one at a time;
	// StreamEvent.Data is valid only during the call.
	OnEvent func(StreamEvent)
	// Quiet says OnEvent wants no StreamData events.
	Quiet bool
	// Now gives the time for seed replies (time.Now when nil).
	Now func() time.Time
	// MaxConns bounds the connections open at once (DefaultMaxConns
	// when 0).
	MaxConns int
	// IdleTimeout closes a connection with nothing to read for this long
	// (DefaultIdleTimeout when 0, never when negative).
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose reply found no room in the
	// send buffer for this long: its peer does not read (DefaultWriteTimeout
	// when 0, never when negative).
	WriteTimeout time.Duration
	// EvictIdle is how long a connection must have been idle for a new
	// one to take its place when the server is full (DefaultEvictIdle
	// when 0; when negative a full server refuses every new connection).
	EvictIdle time.Duration
	// SplitReply writes a seed reply in two writes, the prefix then the
	// message, as a naive server does: with Nagle's algorithm on (no
	// TCP_NODELAY) the second waits for the peer's delayed ACK.
	SplitReply bool
}

// StreamEventKind names what happened on a stream server.
type StreamEventKind string

// The events ServeStream reports.
const (
	StreamAccepted    StreamEventKind = "connection"   // a connection was accepted
	StreamData        StreamEventKind = "message"      // a read returned data, answered
	StreamTruncated   StreamEventKind = "truncated"    // a seqpacket message was longer than Bufsize
	StreamClosed      StreamEventKind = "closed"       // a connection ended: Reason says how
	StreamRefused     StreamEventKind = "refused"      // a connection was reset at once: the server is full
	StreamAcceptError StreamEventKind = "accept-error" // accept failed (no descriptor left) and is retried
)

// Why a connection ended, as StreamEvent.Reason says it.
const (
	ReasonEOF          = "eof"           // the peer closed (or shut down) its side
	ReasonReset        = "reset"         // the peer reset the connection (ECONNRESET)
	ReasonBrokenPipe   = "broken-pipe"   // the peer was gone when we wrote (EPIPE)
	ReasonIdle         = "idle"          // nothing to read for IdleTimeout
	ReasonWriteTimeout = "write-timeout" // a reply found no room for WriteTimeout
	ReasonEvicted      = "evicted"       // idle longest when the server was full
	ReasonShutdown     = "shutdown"      // the server stopped
	ReasonError        = "error"         // another error: Err
)

// StreamEvent is one thing a stream server saw.
type StreamEvent struct {
	Kind StreamEventKind
	Conn uint64   // the connection's number, from 1 (0 for refused)
	Peer net.Addr // the peer's address; a unix client's is often unnamed
	// Cred is a unix peer's process (SO_PEERCRED), zero for TCP.
	Cred families.Cred
	Data []byte // StreamData, StreamTruncated: the bytes read (valid during OnEvent only)
	Size int    // the message's full length; > len(Data) when truncated
	// Reason is why a connection ended (StreamClosed), Err the error
	// behind ReasonError, ReasonBrokenPipe and StreamAcceptError.
	Reason string
	Err    error
	// Reads and Bytes are what a closed connection carried; Idle how long
	// it had been idle when the server closed it.
	Reads, Bytes uint64
	Idle         time.Duration
	// Open is how many connections are open after the event; Suppressed
	// how many refused or accept-error events were not told since the
	// last one told (at most one a second is).
	Open       int
	Suppressed uint64
}

// StreamStats is what a stream server did, for its summary.
type StreamStats struct {
	Connections uint64 `json:"connections"` // accepted and served
	Refused     uint64 `json:"refused"`     // reset at once: the server was full
	PeakOpen    int    `json:"peak_open"`   // the most open at once
	Reads       uint64 `json:"reads"`       // reads that returned data, each answered
	Bytes       uint64 `json:"bytes"`       // bytes read
	Truncated   uint64 `json:"truncated"`   // seqpacket messages cut to Bufsize
	// ReadBuffers is how many read buffers of Bufsize bytes were
	// allocated: about as many as connections read at once, not as many
	// as are open (idle ones hold none).
	ReadBuffers uint64        `json:"read_buffers"`
	Closed      ClosedCounts  `json:"closed"`
	Elapsed     time.Duration `json:"elapsed_ns"`
}

// ClosedCounts counts the connections that ended, by why.
type ClosedCounts struct {
	EOF          uint64 `json:"eof"`
	Reset        uint64 `json:"reset"`
	BrokenPipe   uint64 `json:"broken_pipe"`
	Idle         uint64 `json:"idle"`
	WriteTimeout uint64 `json:"write_timeout"`
	Evicted      uint64 `json:"evicted"`
	Shutdown     uint64 `json:"shutdown"`
	Error        uint64 `json:"error"`
}

func (c *ClosedCounts) count(reason string) {
	for _, r := range []struct {
		name string
		n    *uint64
	}{{ReasonEOF, &c.EOF}, {ReasonReset, &c.Reset}, {ReasonBrokenPipe, &c.BrokenPipe}, {ReasonIdle, &c.Idle},
		{ReasonWriteTimeout, &c.WriteTimeout}, {ReasonEvicted, &c.Evicted}, {ReasonShutdown, &c.Shutdown}} {
		if r.name == reason {
			*r.n++
			return
		}
	}
	c.Error++
}

// withDefaults fills cfg's zero values, and checks what cannot work.
func (cfg StreamConfig) withDefaults() (StreamConfig, error) {
	if cfg.Reply != ReplySeed && cfg.Reply != ReplyEcho {
		return cfg, fmt.Errorf("reply %v: a stream server answers seed or echo (sockperf's protocol is for datagrams)", cfg.Reply)
	}
	if cfg.Bufsize <= 0 {
		cfg.Bufsize = DefaultBufsize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.EvictIdle == 0 {
		cfg.EvictIdle = DefaultEvictIdle
	}
	return cfg, nil
}

// streamServer is one ServeStream or ServeStreamConn: its configuration,
// the open connections, and the counts.
type streamServer struct {
	cfg  StreamConfig
	pool *bufPool
	ct   sharedCtime
	// clock is the time in Unix nanoseconds, set by the watchdog at each
	// tick: connections stamp their activity with it, for nothing.
	clock atomic.Int64
	// reads and bytes count every read, without the lock.
	reads, bytes atomic.Uint64

	mu     sync.Mutex // guards emit, conns, st, note
	conns  map[*streamPeer]struct{}
	st     StreamStats
	note   [2]notice // refused, accept-error
	nextID uint64
	// evictAt is the clock before which no connection can be evicted.
	evictAt int64
	wg      sync.WaitGroup
}

func newStreamServer(cfg StreamConfig) *streamServer {
	s := &streamServer{cfg: cfg, pool: newBufPool(cfg.Bufsize), conns: map[*streamPeer]struct{}{}}
	s.clock.Store(time.Now().UnixNano())
	return s
}

// ServeStream accepts connections on l and serves each in its own goroutine,
// as cfg says, until ctx is done; then it closes every connection, waits for
// their goroutines and returns its StreamStats and a nil error. It returns
// early with an error only when accepting fails for good (l was closed, say).
// It does not close l.
func ServeStream(ctx context.Context, l families.Listener, cfg StreamConfig) (StreamStats, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return StreamStats{}, err
	}
	s := newStreamServer(cfg)
	start := time.Now()
	stop := context.AfterFunc(ctx, func() { l.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	defer l.SetDeadline(time.Time{})
	stopWatch := s.watch(ctx)
	err = s.acceptLoop(ctx, l)
	s.shutdown()
	stopWatch()
	return s.stats(start), err
}

// ServeStreamConn serves the one connection c (an inherited, connected
// socket, say) as ServeStream serves each of its own, until it ends or ctx
// is done. It does not close c.
func ServeStreamConn(ctx context.Context, c families.StreamConn, cfg StreamConfig) (StreamStats, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return StreamStats{}, err
	}
	s := newStreamServer(cfg)
	start := time.Now()
	stopWatch := s.watch(ctx)
	stop := context.AfterFunc(ctx, s.shutdown)
	defer stop()
	if p := s.admit(c, true); p != nil {
		if ctx.Err() != nil {
			p.closeFor(ReasonShutdown) // stopped before it was counted in
		}
		s.wg.Add(1)
		s.serveConn(p)
	}
	s.shutdown()
	stopWatch()
	return s.stats(start), nil
}

// stats is the server's StreamStats once it has stopped.
func (s *streamServer) stats(start time.Time) StreamStats {
	s.st.Reads, s.st.Bytes, s.st.ReadBuffers = s.reads.Load(), s.bytes.Load(), s.pool.made.Load()
	s.st.Elapsed = time.Since(start)
	return s.st
}

// acceptLoop accepts until ctx is done or accepting fails for good. Out of
// descriptors, it says so and waits, longer each time, up to a second: the
// connection stays queued, and closing others makes room.
func (s *streamServer) acceptLoop(ctx context.Context, l families.Listener) error {
	backoff := 5 * time.Millisecond
	for {
		c, err := l.AcceptStream()
		switch {
		case err == nil:
			backoff = 5 * time.Millisecond
			if p := s.admit(c, false); p != nil {
				s.wg.Add(1)
				go s.serveConn(p)
			}
			continue
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			continue
		case !outOfDescriptors(err):
			return err
		}
		s.told(1, StreamEvent{Kind: StreamAcceptError, Err: err})
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// outOfDescriptors reports an accept that failed for want of a descriptor
// or of memory: the connection waits in the queue for a later accept.
func outOfDescriptors(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// shutdown closes every open connection, which ends its goroutine, and
// waits for them all.
func (s *streamServer) shutdown() {
	s.mu.Lock()
	for p := range s.conns {
		p.closeFor(ReasonShutdown)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// emit calls OnEvent; s.mu is held.
func (s *streamServer) emit(ev StreamEvent) {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(ev)
	}
}

// told emits ev, of rate-limited kind, if one has not been told in the last
// second, and counts it held back otherwise.
func (s *streamServer) told(kind int, ev StreamEvent) {
	now := time.Now().UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, held := s.note[kind].allow(now)
	if !ok {
		return
	}
	ev.Suppressed = held
	ev.Open = len(s.conns)
	s.emit(ev)
}
