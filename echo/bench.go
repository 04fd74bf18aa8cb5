package echo

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/socklab/socklab/families"
)

// benchIO moves datagrams for a bench: sendmmsg/recvmmsg, or the Conn.
type benchIO interface {
	// send sends bufs in order and returns how many went out. It returns
	// fewer, with a nil error, when the socket would block.
	send(bufs [][]byte) (int, error)
	// recv waits until the read deadline set on the Conn for at least one
	// datagram and returns how many it read (0 at the deadline).
	recv() (int, error)
	// reply returns datagram i of the last recv, and whether it was
	// truncated.
	reply(i int) ([]byte, bool)
	name() string
}

// benchNoServer reports a send error that means no server is there.
func benchNoServer(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}

// Bench sends datagrams from c to an echo server at peer and measures the
// replies, as cfg says, until the duration or count is done or ctx ends.
// It works with any server that echoes the payload, even after a prefix.
// It does not close c.
func Bench(ctx context.Context, c families.Conn, peer net.Addr, cfg BenchConfig) (BenchReport, error) {
	b, err := newBench(c, peer, cfg)
	if err != nil {
		return BenchReport{}, err
	}
	return b.run(ctx)
}

// bench is one run: configuration, buffers, and the tracker.
type bench struct {
	c    families.Conn
	peer net.Addr
	cfg  BenchConfig
	io   benchIO

	tx     [][]byte // one buffer per datagram of a send batch
	filler []byte   // what every datagram carries after its header
	tr     benchTracker
	base   time.Time

	hist, ihist *hdrhistogram.Histogram // whole run, this second
}

// newBench checks cfg, fills in its defaults, and makes the buffers and the
// I/O a run on c needs.
func newBench(c families.Conn, peer net.Addr, cfg BenchConfig) (*bench, error) {
	cfg = cfg.withDefaults()
	if err := cfg.check(MaxDatagram(c)); err != nil {
		return nil, err
	}
	b := &bench{c: c, peer: peer, cfg: cfg,
		hist:  hdrhistogram.New(1, int64(time.Hour), 3),
		ihist: hdrhistogram.New(1, int64(time.Hour), 3),
	}
	batch := min(cfg.Batch, cfg.Inflight)
	b.makeTx(batch)
	// Replies may carry a prefix (the seed's "[ctime] "): leave room, and
	// call anything longer truncated.
	b.io = b.openIO(batch, cfg.Size+1024)
	b.growRcvBuf()
	b.tr.init(cfg.Inflight, int64(cfg.Timeout))
	return b, nil
}

// makeTx makes the filler and one send buffer per datagram of a batch, on
// one arena. Each buffer holds the magic and the filler; fillHeader writes
// the rest of the header before each send.
func (b *bench) makeTx(batch int) {
	size := b.cfg.Size
	b.filler = make([]byte, size)
	for i := BenchHeaderLen; i < size; i++ {
		b.filler[i] = 'a' + byte(i%26)
	}
	arena := make([]byte, batch*size)
	for i := range batch {
		buf := arena[i*size : (i+1)*size : (i+1)*size]
		copy(buf, b.filler)
		copy(buf, BenchMagic)
		b.tx = append(b.tx, buf)
	}
}

// openIO returns sendmmsg/recvmmsg where c and peer allow them and cfg does
// not ask for the plain path, and the plain path otherwise.
func (b *bench) openIO(batch, rxsize int) benchIO {
	if !b.cfg.Plain {
		if io := newBatchIO(b.c, b.peer, batch, rxsize, b.cfg.Connect); io != nil {
			return io
		}
	}
	return &plainIO{c: b.c, peer: b.peer, buf: make([]byte, rxsize)}
}

// growRcvBuf makes room in the receive buffer for a full window of replies
// (the kernel charges about a kilobyte of overhead per datagram), so that
// the bench does not drop its own replies. Best effort: the kernel caps it
// at net.core.rmem_max.
func (b *bench) growRcvBuf() {
	want := b.cfg.Inflight * (b.cfg.Size + 1024)
	if want <= 0 {
		return
	}
	if rcv, _, err := Buffers(b.c); err == nil && rcv < want {
		SetBuffers(b.c, want, 0)
	}
}

func (b *bench) now() int64 { return int64(time.Since(b.base)) }

func (b *bench) run(ctx context.Context) (BenchReport, error) {
	cfg := b.cfg
	stop := context.AfterFunc(ctx, func() { b.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	defer b.c.SetReadDeadline(time.Time{})
	defer b.c.SetWriteDeadline(time.Time{})

	b.base = time.Now()
	timeout := int64(cfg.Timeout)
	warming := cfg.Warmup > 0
	start := int64(0)           // when measuring began
	end := int64(math.MaxInt64) // when sending stops (duration mode)
	if warming {
		end = int64(cfg.Warmup)
	} else if cfg.Duration > 0 && cfg.Count == 0 {
		end = int64(cfg.Duration)
	}
	measuredSent := uint64(0) // datagrams sent since measuring began (for --count and --rate)
	paceFrom := int64(0)      // the pacing schedule's origin
	paced := uint64(0)        // datagrams sent on that schedule
	interval := 1 / cfg.Rate * 1e9
	nextTick := int64(time.Second) // when the next per-second sample is due
	if warming {
		nextTick = math.MaxInt64
	}
	var tick benchCounters
	cpu0 := benchCPUTime()
	stopping, interrupted := false, false
	drainEnd := int64(0)
	stopAt := int64(0) // when the measured phase ended
	var receivedAtStop uint64
	lastReply := int64(0)
	retrySend := int64(0) // when a send that would block is worth trying again
	curWake := int64(0)   // the read deadline set on c, in bench time
	everReceived := false

	r := BenchReport{Mode: cfg.Mode.String(), IO: b.io.name(), Peer: b.peer.String(), Size: cfg.Size,
		Inflight: cfg.Inflight, Rate: cfg.Rate}

	for {
		now := b.now()
		if ctx.Err() != nil {
			interrupted = true
			if !stopping {
				stopAt, receivedAtStop = now, b.tr.received
			}
			break
		}
		if warming && now >= end {
			// The warmup is over: forget it and start measuring.
			warming = false
			b.tr.measureFrom()
			b.hist.Reset()
			b.ihist.Reset()
			start, paceFrom, paced = now, now, 0
			nextTick = now + int64(time.Second)
			tick = benchCounters{}
			end = math.MaxInt64
			if cfg.Count == 0 {
				end = now + int64(cfg.Duration)
			}
			cpu0 = benchCPUTime()
		}
		if now >= nextTick && !warming && !stopping {
			s := b.sample(tick, nextTick-start, int64(time.Second))
			r.Samples = append(r.Samples, s)
			if cfg.OnSample != nil {
				cfg.OnSample(s)
			}
			b.ihist.Reset()
			tick = benchCounters{}
			for nextTick <= now {
				nextTick += int64(time.Second)
			}
		}
		if !stopping && !warming && (now >= end || cfg.Count > 0 && measuredSent >= cfg.Count) {
			stopping = true
			drainEnd = now + timeout
			if cfg.Count == 0 {
				stopAt, receivedAtStop = end, b.tr.received
			}
		}
		b.tr.expire(now - timeout)
		if stopping && (b.tr.inflight == 0 || now >= drainEnd) {
			break
		}

		// Send what the window, the pace and the count allow.
		if !stopping && now >= retrySend {
			want := cfg.Inflight - b.tr.inflight
			if cfg.Rate > 0 {
				due := uint64(float64(now-paceFrom)/interval) + 1
				if due > paced {
					want = min(want, int(min(due-paced, uint64(cfg.Inflight))))
				} else {
					want = 0
				}
			}
			if cfg.Count > 0 && !warming {
				want = int(min(uint64(want), cfg.Count-measuredSent))
			}
			for want > 0 {
				k := min(want, len(b.tx))
				for i := range k {
					fillHeader(b.tx[i], b.tr.next+uint64(i), now)
				}
				n, err := b.io.send(b.tx[:k])
				failed := 0
				if err != nil {
					if !benchNoServer(err) || !everReceived {
						return r, b.sendError(err)
					}
					// The server went away: the datagram that failed
					// counts as sent, and lost at once, so that the
					// pace goes on; wait a moment before the next.
					failed = 1
					retrySend = now + int64(time.Millisecond)
				}
				for range n {
					b.tr.sent(now)
				}
				if failed > 0 {
					b.tr.sentLost(now)
					n++
				}
				if !warming {
					measuredSent += uint64(n)
					tick.sent += uint64(n)
				}
				paced += uint64(n)
				want -= n
				if n < k || failed > 0 {
					// The socket would block (a unix peer's queue is
					// full): read replies, try again in a moment.
					retrySend = now + int64(time.Millisecond)
					break
				}
			}
		}

		// Wait for replies until the next thing to do.
		wake := int64(math.MaxInt64)
		if stopping {
			wake = drainEnd
		} else {
			wake = min(wake, nextTick)
			wake = min(wake, end)
			if b.tr.inflight < cfg.Inflight {
				if retrySend > now {
					wake = min(wake, retrySend)
				} else if cfg.Rate > 0 {
					wake = min(wake, paceFrom+int64(float64(paced)*interval))
				}
			}
		}
		if b.tr.inflight > 0 {
			wake = min(wake, b.tr.oldestSent()+timeout+1)
		}
		// Setting a deadline costs a timer update: keep the one set
		// unless it is later than needed or has passed (an early wake-up
		// only goes round the loop once more).
		if curWake == 0 || wake < curWake || curWake <= now {
			b.c.SetReadDeadline(b.base.Add(time.Duration(wake)))
			curWake = wake
		}
		n, err := b.io.recv()
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			return r, &families.Error{Op: "read", Spec: b.c.Spec(), Addr: b.peer.String(), Err: unwrapOp(err)}
		}
		if n > 0 {
			now = b.now()
			lastReply = now
			everReceived = true
			retrySend = 0 // the peer reads: there is likely room again
		}
		for i := range n {
			data, trunc := b.io.reply(i)
			seq, ts, ok := ParseBenchReply(data, cfg.Size)
			if trunc || !ok || !b.filled(data) {
				b.tr.bad++
				continue
			}
			if rtt, fresh := b.tr.reply(seq, ts, now); fresh {
				b.hist.RecordValue(rtt)
				b.ihist.RecordValue(rtt)
				tick.received++
			}
		}
	}
	cpu := benchCPUTime().sub(cpu0)
	if interrupted {
		// What is still in flight had no chance to come back.
		b.tr.forgetInflight()
	}
	if stopAt == 0 {
		// A --count run: it took until the last reply (or the drain).
		stopAt, receivedAtStop = max(lastReply, start), b.tr.received
	}
	if warming {
		// Interrupted during the warmup: nothing was measured.
		b.tr.measureFrom()
		stopAt, receivedAtStop = start, 0
	}
	b.report(&r, stopAt-start, receivedAtStop, cpu, interrupted)
	return r, nil
}

// filled reports whether a reply repeats the filler after its header.
func (b *bench) filled(reply []byte) bool {
	tail := reply[len(reply)-(b.cfg.Size-BenchHeaderLen):]
	return string(tail) == string(b.filler[BenchHeaderLen:])
}

func (b *bench) sendError(err error) error {
	e := &families.Error{Op: "send", Spec: b.c.Spec(), Addr: b.peer.String(), Err: unwrapOp(err)}
	switch {
	case benchNoServer(err):
		e.Hint = "no server is bound there: start one with socklab " + familyHint(b.c) + " serve"
	case errors.Is(err, syscall.EMSGSIZE):
		e.Hint = fmt.Sprintf("a datagram of %d bytes is too large for this socket: lower --size", b.cfg.Size)
	default:
		e.Hint = families.Hint(b.c.Spec(), err)
	}
	return e
}
