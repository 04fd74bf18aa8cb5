package echo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/socklab/socklab/families"
)

// BenchMode is what a bench measures.
type BenchMode int

const (
	// BenchThroughput keeps BenchConfig.Inflight datagrams in flight and
	// measures echoes per second.
	BenchThroughput BenchMode = iota
	// BenchPingPong keeps one datagram in flight and measures latency.
	BenchPingPong
)

// ParseBenchMode reads a --mode value: "throughput" or "pingpong".
func ParseBenchMode(s string) (BenchMode, error) {
	switch s {
	case "throughput", "tp", "":
		return BenchThroughput, nil
	case "pingpong", "ping-pong", "pp", "latency":
		return BenchPingPong, nil
	}
	return 0, fmt.Errorf("unknown bench mode %q: valid are pingpong (one datagram in flight: latency) and throughput (--inflight datagrams in flight: echoes per second)", s)
}

// String is the --mode spelling of m.
func (m BenchMode) String() string {
	switch m {
	case BenchThroughput:
		return "throughput"
	case BenchPingPong:
		return "pingpong"
	}
	return fmt.Sprintf("BenchMode(%d)", int(m))
}

// The bench header starts every datagram a bench sends: the magic, then the
// sequence number and the send time (nanoseconds since the bench started),
// each as 16 lowercase hex digits. It is ASCII, so servers that decode text
// (the seed's Python server does) echo it, and a bench finds it by searching
// the reply for the magic, so servers that add a prefix work too. The rest of
// the datagram is filler, lowercase letters, that the reply must repeat.
const (
	BenchMagic     = "~sLb"
	BenchHeaderLen = len(BenchMagic) + 16 + 16
)

// Defaults for BenchConfig's zero values.
const (
	DefaultBenchInflight = 64
	DefaultBenchSize     = 64
	DefaultBenchDuration = 5 * time.Second
	DefaultBenchTimeout  = time.Second
	DefaultBenchBatch    = 64
)

// BenchConfig says what a bench sends, how fast and for how long.
type BenchConfig struct {
	Mode BenchMode
	// Inflight is how many datagrams a throughput bench keeps in flight
	// (DefaultBenchInflight when 0); pingpong always has one.
	Inflight int
	// Size is the payload of each datagram in bytes, header included
	// (DefaultBenchSize when 0, at least BenchHeaderLen).
	Size int
	// Duration is how long to send; Count, when set, is how many datagrams
	// to send instead. With neither, the bench runs DefaultBenchDuration.
	Duration time.Duration
	Count    uint64
	// Rate, when positive, paces sending to at most Rate datagrams per
	// second, to measure latency under a given load.
	Rate float64
	// Warmup is how long to send before measuring; nothing sent during
	// the warmup is counted.
	Warmup time.Duration
	// Timeout is how long a datagram may go unanswered before it is counted
	// lost and its place in the window reused (DefaultBenchTimeout when 0).
	// A reply after that is counted late.
	Timeout time.Duration
	// Plain forces one sendto/recvfrom per datagram through the Conn, even
	// where sendmmsg/recvmmsg would work.
	Plain bool
	// Batch caps the datagrams per sendmmsg/recvmmsg (DefaultBenchBatch
	// when 0).
	Batch int
	// Connect connects c to peer for the batch path: the kernel then sends
	// without a route lookup per datagram and delivers only the peer's
	// datagrams. c stays connected afterwards, so set it only for a Conn
	// that is closed after the bench.
	Connect bool
	// OnSample, when set, is called once a second with the last second's
	// figures, from the bench's goroutine.
	OnSample func(Sample)
}

// BenchReport is what a bench measured. Counts cover the measured part only
// (not the warmup); latencies are round trips in microseconds.
type BenchReport struct {
	Mode     string  `json:"mode"`
	IO       string  `json:"io"` // "sendmmsg/recvmmsg", "sendmmsg/recvmmsg connected" or "sendto/recvfrom"
	Peer     string  `json:"peer"`
	Size     int     `json:"size"`
	Inflight int     `json:"inflight"`
	Rate     float64 `json:"rate"` // the --rate asked for, 0 when unpaced
	Elapsed  float64 `json:"elapsed_s"`
	// Sent is how many datagrams went out; Received how many came back
	// within Timeout, each counted once.
	Sent     uint64 `json:"sent"`
	Received uint64 `json:"received"`
	// Lost is Sent - Received: datagrams with no reply within Timeout.
	Lost    uint64  `json:"lost"`
	LostPct float64 `json:"lost_pct"`
	// Reordered counts replies that arrived after a reply to a later datagram.
	Reordered uint64 `json:"reordered"`
	// Duplicates counts second and later replies to one datagram.
	Duplicates uint64 `json:"duplicates"`
	// Late counts replies that came after Timeout (they are in Lost too).
	Late uint64 `json:"late"`
	// Bad counts replies with no bench header, a sequence never sent, or a
	// payload that differs from what was sent (a truncating server).
	Bad          uint64  `json:"bad"`
	EchoesPerSec float64 `json:"echoes_per_sec"`
	// MbitPerSec is payload bits echoed back per second, one direction.
	MbitPerSec float64 `json:"mbit_per_sec"`
	// JitterUs is the RFC 3550 interarrival jitter of the replies.
	JitterUs  float64  `json:"jitter_us"`
	LatencyUs Latency  `json:"latency_us"`
	CPUUser   float64  `json:"cpu_user_s"` // this process's CPU time while measuring
	CPUSys    float64  `json:"cpu_sys_s"`
	Samples   []Sample `json:"samples"`
	// Interrupted is true when the context ended the bench early; datagrams
	// still in flight then are not counted.
	Interrupted bool `json:"interrupted"`
}

// Latency is a round-trip time distribution in microseconds.
type Latency struct {
	Min  float64 `json:"min"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Sample is one second of a bench.
type Sample struct {
	T            float64 `json:"t_s"` // seconds since measuring began, at the sample's end
	Sent         uint64  `json:"sent"`
	Received     uint64  `json:"received"`
	Lost         uint64  `json:"lost"` // datagrams whose Timeout ran out in this second
	EchoesPerSec float64 `json:"echoes_per_sec"`
	MbitPerSec   float64 `json:"mbit_per_sec"`
	P50Us        float64 `json:"p50_us"`
	P99Us        float64 `json:"p99_us"`
	MaxUs        float64 `json:"max_us"`
}

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

func newBench(c families.Conn, peer net.Addr, cfg BenchConfig) (*bench, error) {
	if cfg.Inflight <= 0 {
		cfg.Inflight = DefaultBenchInflight
	}
	if cfg.Mode == BenchPingPong {
		cfg.Inflight = 1
	}
	if cfg.Size == 0 {
		cfg.Size = DefaultBenchSize
	}
	if cfg.Size < BenchHeaderLen {
		return nil, fmt.Errorf("bench size %d: want at least %d bytes, the bench header", cfg.Size, BenchHeaderLen)
	}
	if max := MaxDatagram(c); max > 0 && cfg.Size > max {
		return nil, fmt.Errorf("bench size %d: one datagram holds at most %d bytes here", cfg.Size, max)
	}
	if cfg.Duration <= 0 && cfg.Count == 0 {
		cfg.Duration = DefaultBenchDuration
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultBenchTimeout
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBenchBatch
	}
	if cfg.Rate < 0 || math.IsNaN(cfg.Rate) || math.IsInf(cfg.Rate, 0) {
		return nil, fmt.Errorf("bench rate %v: want datagrams per second, or 0 for as fast as the window allows", cfg.Rate)
	}
	batch := min(cfg.Batch, cfg.Inflight)
	b := &bench{c: c, peer: peer, cfg: cfg,
		hist:  hdrhistogram.New(1, int64(time.Hour), 3),
		ihist: hdrhistogram.New(1, int64(time.Hour), 3),
	}
	b.filler = make([]byte, cfg.Size)
	for i := BenchHeaderLen; i < cfg.Size; i++ {
		b.filler[i] = 'a' + byte(i%26)
	}
	arena := make([]byte, batch*cfg.Size)
	for i := range batch {
		buf := arena[i*cfg.Size : (i+1)*cfg.Size : (i+1)*cfg.Size]
		copy(buf, b.filler)
		copy(buf, BenchMagic)
		b.tx = append(b.tx, buf)
	}
	// Replies may carry a prefix (the seed's "[ctime] "): leave room, and
	// call anything longer truncated.
	rxsize := cfg.Size + 1024
	if !cfg.Plain {
		b.io = newBatchIO(c, peer, batch, rxsize, cfg.Connect)
	}
	if b.io == nil {
		b.io = &plainIO{c: c, peer: peer, buf: make([]byte, rxsize)}
	}
	// Room in the receive buffer for a full window of replies (the kernel
	// charges about a kilobyte of overhead per datagram), so that the
	// bench does not drop its own replies. Best effort: the kernel caps it
	// at net.core.rmem_max.
	if want := cfg.Inflight * (cfg.Size + 1024); want > 0 {
		if rcv, _, err := Buffers(c); err == nil && rcv < want {
			SetBuffers(c, want, 0)
		}
	}
	b.tr.init(cfg.Inflight, int64(cfg.Timeout))
	return b, nil
}

// fillHeader writes the header of datagram seq, sent at ns, into buf.
func fillHeader(buf []byte, seq uint64, ns int64) {
	putHex(buf[len(BenchMagic):], seq)
	putHex(buf[len(BenchMagic)+16:], uint64(ns))
}

const hexDigits = "0123456789abcdef"

var benchMagic = []byte(BenchMagic)

func putHex(b []byte, v uint64) {
	_ = b[15]
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&15]
		v >>= 4
	}
}

func getHex(b []byte) (uint64, bool) {
	_ = b[15]
	var v uint64
	for i := range 16 {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// ParseBenchReply finds the bench header in a reply and returns the
// datagram's sequence number and send time. ok is false when there is no
// header, or when the echoed datagram, from the header on, is not size bytes.
func ParseBenchReply(reply []byte, size int) (seq uint64, sentNs int64, ok bool) {
	i := bytes.Index(reply, benchMagic)
	if i < 0 || len(reply)-i != size || size < BenchHeaderLen {
		return 0, 0, false
	}
	h := reply[i:]
	seq, ok1 := getHex(h[len(BenchMagic):])
	ts, ok2 := getHex(h[len(BenchMagic)+16:])
	return seq, int64(ts), ok1 && ok2
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

// benchCounters counts one second.
type benchCounters struct{ sent, received uint64 }

func (b *bench) sample(t benchCounters, at, length int64) Sample {
	secs := float64(length) / 1e9
	lost := b.tr.expired - b.tr.tickExpired
	b.tr.tickExpired = b.tr.expired
	return Sample{
		T:            math.Round(float64(at)/1e6) / 1e3,
		Sent:         t.sent,
		Received:     t.received,
		Lost:         lost,
		EchoesPerSec: float64(t.received) / secs,
		MbitPerSec:   float64(t.received) * float64(b.cfg.Size) * 8 / secs / 1e6,
		P50Us:        us(b.ihist.ValueAtQuantile(50)),
		P99Us:        us(b.ihist.ValueAtQuantile(99)),
		MaxUs:        us(b.ihist.Max()),
	}
}

func us(ns int64) float64 { return float64(ns) / 1e3 }

func (b *bench) report(r *BenchReport, elapsed int64, inWindow uint64, cpu benchCPU, interrupted bool) {
	t := &b.tr
	r.Elapsed = float64(elapsed) / 1e9
	r.Sent = t.sentCount
	r.Received = t.received
	r.Lost = t.sentCount - t.received
	if r.Sent > 0 {
		r.LostPct = float64(r.Lost) / float64(r.Sent) * 100
	}
	r.Reordered = t.reordered
	r.Duplicates = t.duplicates
	r.Late = t.late
	r.Bad = t.bad
	if elapsed > 0 {
		r.EchoesPerSec = float64(inWindow) / r.Elapsed
		r.MbitPerSec = r.EchoesPerSec * float64(b.cfg.Size) * 8 / 1e6
	}
	r.JitterUs = t.jitter / 1e3
	if b.hist.TotalCount() > 0 {
		r.LatencyUs = Latency{
			Min: us(b.hist.Min()), P50: us(b.hist.ValueAtQuantile(50)), P90: us(b.hist.ValueAtQuantile(90)),
			P99: us(b.hist.ValueAtQuantile(99)), P999: us(b.hist.ValueAtQuantile(99.9)),
			Max: us(b.hist.Max()), Mean: b.hist.Mean() / 1e3,
		}
	}
	r.CPUUser, r.CPUSys = cpu.user.Seconds(), cpu.sys.Seconds()
	if r.Samples == nil {
		r.Samples = []Sample{}
	}
	r.Interrupted = interrupted
}

// benchCPU is CPU time used by this process.
type benchCPU struct{ user, sys time.Duration }

func (c benchCPU) sub(d benchCPU) benchCPU { return benchCPU{c.user - d.user, c.sys - d.sys} }

// plainIO is the path that works on every Conn: one WriteTo or ReadMsg per
// datagram.
type plainIO struct {
	c       families.Conn
	peer    net.Addr
	buf     []byte
	n       int
	trunc   bool
	blocked time.Time // when a write last timed out
}

func (p *plainIO) name() string { return "sendto/recvfrom" }

// plainBlock is how long a plain write may wait for room: a unix peer whose
// queue is full blocks the sender, and the peer may be waiting for us to
// read its replies. After a write times out, plainIO reads for as long
// before it writes again.
const plainBlock = 200 * time.Microsecond

func (p *plainIO) send(bufs [][]byte) (int, error) {
	now := time.Now()
	if now.Sub(p.blocked) < plainBlock {
		return 0, nil
	}
	p.c.SetWriteDeadline(now.Add(plainBlock))
	for i, b := range bufs {
		if _, err := p.c.WriteTo(b, p.peer); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.ENOBUFS) {
				p.blocked = time.Now()
				return i, nil
			}
			return i, err
		}
	}
	return len(bufs), nil
}

func (p *plainIO) recv() (int, error) {
	n, size, _, err := p.c.ReadMsg(p.buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) {
			return 0, nil
		}
		return 0, err
	}
	p.n, p.trunc = n, size > n
	return 1, nil
}

func (p *plainIO) reply(int) ([]byte, bool) { return p.buf[:p.n], p.trunc }
