package echo

import (
	"context"
	"errors"
	"math"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// benchLoop is the state of a bench run that lasts from one turn of its loop
// to the next. Times are bench time: nanoseconds since base, the clock the
// bench headers carry. A run goes through three phases: the warm-up
// (warming), measuring, and the drain (stopping), when nothing more is sent
// and the replies still in flight have until drainEnd to come back.
type benchLoop struct {
	*bench
	base time.Time   // when the run began: bench time 0
	r    BenchReport // the report; Samples grows once a second

	timeout  int64   // cfg.Timeout in nanoseconds
	interval float64 // nanoseconds between two sends at cfg.Rate (+Inf when 0)

	warming bool     // sending the warm-up, which is not measured
	start   int64    // when measuring began: 0, or the end of the warm-up
	end     int64    // when sending stops: the warm-up's end, then the duration's; MaxInt64 in count mode
	cpu0    benchCPU // this process's CPU time when measuring began

	measuredSent uint64 // datagrams sent since measuring began, held against cfg.Count

	paceFrom int64  // when the pacing schedule began: 0, or the end of the warm-up
	paced    uint64 // datagrams sent since paceFrom: the schedule's progress

	nextTick int64         // when the next per-second sample is due; MaxInt64 while warming
	tick     benchCounters // what this second sent and received

	stopping       bool   // sending is over: the drain
	drainEnd       int64  // when the drain gives up on what is still in flight
	interrupted    bool   // ctx ended the run
	stopAt         int64  // when the measured part ended; 0 until known (count mode: the last reply)
	receivedAtStop uint64 // replies counted when it ended: the throughput figure

	lastReply    int64 // when the last replies came
	everReceived bool  // a reply came: a peer that refuses sends now went away
	retrySend    int64 // when sending is worth trying again after it would block; 0: now
	curWake      int64 // the read deadline set on c, in bench time; 0: none yet
}

// newLoop starts a run's clock and state.
func (b *bench) newLoop() *benchLoop {
	cfg := b.cfg
	l := &benchLoop{bench: b, base: time.Now(),
		r: BenchReport{Mode: cfg.Mode.String(), IO: b.io.name(), Peer: b.peer.String(), Size: cfg.Size,
			Inflight: cfg.Inflight, Rate: cfg.Rate, Offload: b.offloadNote},
		timeout:  int64(cfg.Timeout),
		interval: 1 / cfg.Rate * 1e9,
		warming:  cfg.Warmup > 0,
		end:      math.MaxInt64,
		nextTick: int64(time.Second),
		cpu0:     benchCPUTime(),
	}
	switch {
	case l.warming:
		l.end, l.nextTick = int64(cfg.Warmup), math.MaxInt64
	case cfg.Duration > 0 && cfg.Count == 0:
		l.end = int64(cfg.Duration)
	}
	return l
}

// run is the bench loop: each turn does what is due, then reads replies
// until the next thing is.
func (b *bench) run(ctx context.Context) (BenchReport, error) {
	stop := context.AfterFunc(ctx, func() { b.c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	defer b.c.SetReadDeadline(time.Time{})
	defer b.c.SetWriteDeadline(time.Time{})

	l := b.newLoop()
	for {
		now := l.now()
		if ctx.Err() != nil {
			l.interrupt(now)
			break
		}
		l.endWarmup(now)
		l.takeSample(now)
		if l.stop(now) {
			break
		}
		if err := l.sendWindow(now); err != nil {
			return l.r, err
		}
		l.setWake(l.nextWake(now), now)
		if ctx.Err() != nil {
			// ctx ended after this turn looked: its deadline in the
			// past may just have been overwritten by the wake's.
			continue
		}
		if err := l.readReplies(ctx); err != nil {
			return l.r, err
		}
	}
	return l.finish(), nil
}

// now is the bench time.
func (l *benchLoop) now() int64 { return int64(time.Since(l.base)) }

// interrupt ends the run when ctx ends. What was received until now counts;
// what is in flight is forgotten by finish.
func (l *benchLoop) interrupt(now int64) {
	l.interrupted = true
	if !l.stopping {
		l.stopAt, l.receivedAtStop = now, l.tr.received
	}
}

// endWarmup starts measuring when the warm-up is over: it forgets the
// warm-up's counts, latencies and pace, and starts the duration and the
// samples.
func (l *benchLoop) endWarmup(now int64) {
	if !l.warming || now < l.end {
		return
	}
	l.warming = false
	l.tr.measureFrom()
	l.hist.Reset()
	l.ihist.Reset()
	if l.stamps != nil {
		l.stamps.measureFrom()
	}
	l.start, l.paceFrom, l.paced = now, now, 0
	l.nextTick = now + int64(time.Second)
	l.tick = benchCounters{}
	l.end = math.MaxInt64
	if l.cfg.Count == 0 {
		l.end = now + int64(l.cfg.Duration)
	}
	l.cpu0 = benchCPUTime()
}

// takeSample closes the second that ended at nextTick, once now is past it,
// while measuring. Seconds the loop slept through are skipped, not sampled.
func (l *benchLoop) takeSample(now int64) {
	if now < l.nextTick || l.warming || l.stopping {
		return
	}
	s := l.sample(l.tick, l.nextTick-l.start, int64(time.Second))
	l.r.Samples = append(l.r.Samples, s)
	if l.cfg.OnSample != nil {
		l.cfg.OnSample(s)
	}
	l.ihist.Reset()
	l.tick = benchCounters{}
	for l.nextTick <= now {
		l.nextTick += int64(time.Second)
	}
}

// stop starts the drain when sending is over, counts lost what has waited
// longer than the timeout, and reports whether the run is done: the drain
// has nothing left in flight or has run out of time.
func (l *benchLoop) stop(now int64) bool {
	if !l.stopping && !l.warming && l.sendingOver(now) {
		l.stopping = true
		l.drainEnd = now + l.timeout
		if l.cfg.Count == 0 {
			l.stopAt, l.receivedAtStop = l.end, l.tr.received
		}
	}
	l.tr.expire(now - l.timeout)
	return l.stopping && (l.tr.inflight == 0 || now >= l.drainEnd)
}

// sendingOver reports whether the duration has run or the count is sent.
func (l *benchLoop) sendingOver(now int64) bool {
	return now >= l.end || l.cfg.Count > 0 && l.measuredSent >= l.cfg.Count
}

// finish completes the report once the loop is over.
func (l *benchLoop) finish() BenchReport {
	cpu := benchCPUTime().sub(l.cpu0)
	if l.interrupted {
		// What is still in flight had no chance to come back.
		l.tr.forgetInflight()
	}
	if l.stopAt == 0 {
		// A --count run: it took until the last reply.
		l.stopAt, l.receivedAtStop = max(l.lastReply, l.start), l.tr.received
	}
	if l.warming {
		// Interrupted during the warmup: nothing was measured.
		l.tr.measureFrom()
		l.stopAt, l.receivedAtStop = l.start, 0
	}
	l.report(&l.r, l.stopAt-l.start, l.receivedAtStop, cpu, l.interrupted)
	if l.stamps != nil {
		l.r.Timestamps = l.stamps.report()
	}
	return l.r
}

// readReplies waits until the read deadline for replies and records them.
// An error that ctx caused is left for the loop's next turn to see. An
// ICMP port unreachable before any reply ends the run at once, as no server
// is there; after one, it is for a datagram the server missed going away,
// counted lost.
func (l *benchLoop) readReplies(ctx context.Context) error {
	n, err := l.io.recv()
	if err != nil {
		if ctx.Err() != nil || l.everReceived && errors.Is(err, syscall.ECONNREFUSED) {
			return nil
		}
		return families.SendError("read", l.c, l.peer, l.cfg.Size, err)
	}
	if n == 0 {
		// The wake-up came (a deadline, or room to send on the batch
		// path after a send would block): a blocked send tries again.
		l.retrySend = 0
		return nil
	}
	now := l.now()
	l.lastReply = now
	l.everReceived = true
	l.retrySend = 0 // the peer reads: there is likely room again
	for i := range n {
		data, trunc := l.io.reply(i)
		l.recordReply(data, trunc, now)
	}
	return nil
}

// recordReply checks one reply that arrived at now and records its round
// trip if it is the first in time to a measured datagram.
func (l *benchLoop) recordReply(data []byte, trunc bool, now int64) {
	seq, ts, ok := ParseBenchReply(data, l.cfg.Size)
	if trunc || !ok || !l.filled(data) {
		l.tr.bad++
		return
	}
	if rtt, fresh := l.tr.reply(seq, ts, now); fresh {
		if l.stamps != nil {
			l.stamps.record(seq)
		}
		l.hist.RecordValue(rtt)
		l.ihist.RecordValue(rtt)
		l.tick.received++
	}
}
