package echo

import (
	"context"
	"errors"
	"math"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// These tests drive the phases of benchLoop with made-up times, on a fake
// Conn and a fake benchIO: no socket, no sleep.

// fakeConn is a Conn that only records read deadlines; any other I/O
// panics (its PacketConn is nil).
type fakeConn struct {
	net.PacketConn
	mu        sync.Mutex // the AfterFunc of a run's context sets a deadline too
	deadlines []time.Time
}

func (c *fakeConn) Spec() families.Spec { return families.UDP4().Spec }

func (c *fakeConn) ReadMsg([]byte) (int, int, net.Addr, error) { panic("fakeConn.ReadMsg") }

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadlines = append(c.deadlines, t)
	return nil
}

func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// fakeIO is a benchIO that keeps what it is asked to send and, when echo is
// set, returns it as replies.
type fakeIO struct {
	room  int   // datagrams the socket takes before it would block; < 0: no limit
	err   error // returned by send after what room allowed
	echo  bool
	calls int      // send calls
	sent  [][]byte // copies of every datagram sent
	queue [][]byte // echoes not read yet
	rx    [][]byte // the last recv's replies
}

func (f *fakeIO) name() string { return "fake" }

func (f *fakeIO) send(bufs [][]byte) (int, error) {
	f.calls++
	n := len(bufs)
	if f.room >= 0 {
		n = min(n, f.room)
		f.room -= n
	}
	for _, b := range bufs[:n] {
		f.sent = append(f.sent, append([]byte(nil), b...))
		if f.echo {
			f.queue = append(f.queue, f.sent[len(f.sent)-1])
		}
	}
	if n < len(bufs) {
		return n, f.err
	}
	return n, nil
}

func (f *fakeIO) recv() (int, error) {
	f.rx, f.queue = f.queue, nil
	return len(f.rx), nil
}

func (f *fakeIO) reply(i int) ([]byte, bool) { return f.rx[i], false }

// newTestBench is a bench on a fakeConn and a fakeIO, as newBench would
// make it.
func newTestBench(t *testing.T, cfg BenchConfig) (*bench, *fakeIO, *fakeConn) {
	t.Helper()
	c, io := &fakeConn{}, &fakeIO{room: -1}
	b, err := prepareBench(c, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	b.io = io
	return b, io, c
}

// newTestLoop is the state of a run of newTestBench at its start.
func newTestLoop(t *testing.T, cfg BenchConfig) (*benchLoop, *fakeIO, *fakeConn) {
	t.Helper()
	b, io, c := newTestBench(t, cfg)
	return b.newLoop(), io, c
}

const ms = int64(time.Millisecond)

func TestBenchLoopPace(t *testing.T) {
	l, _, _ := newTestLoop(t, BenchConfig{Rate: 1000, Inflight: 8}) // one datagram a millisecond
	for _, tc := range []struct {
		now      int64
		paced    uint64
		inflight int
		want     int
	}{
		{0, 0, 0, 1},               // the first is due at once
		{ms - 1, 1, 1, 0},          // the second is not due yet
		{ms, 1, 1, 1},              // now it is
		{5 * ms / 2, 0, 0, 3},      // 0, 1 and 2 are due at 2.5ms
		{5 * ms / 2, 3, 3, 0},      // and sent
		{100 * ms, 3, 0, 8},        // 98 behind: a window's worth
		{100 * ms, 3, 6, 2},        // the room left in the window
		{100 * ms, 101, 0, 0},      // ahead of the schedule
		{100*ms + ms/2, 100, 0, 1}, // the schedule does not drift with time's remainder
	} {
		l.paced, l.tr.inflight = tc.paced, tc.inflight
		if got := l.want(tc.now); got != tc.want {
			t.Errorf("at %v with %d paced and %d in flight: want() = %d, want %d", time.Duration(tc.now), tc.paced, tc.inflight, got, tc.want)
		}
	}
	l.paced, l.tr.inflight = 3, 0
	if got := l.sendDue(5 * ms / 2); got != 3*ms {
		t.Errorf("after 3 paced: next send due at %v, want 3ms", time.Duration(got))
	}
}

func TestBenchLoopCountCapsWant(t *testing.T) {
	l, _, _ := newTestLoop(t, BenchConfig{Count: 10, Inflight: 64})
	l.measuredSent = 8
	if got := l.want(0); got != 2 {
		t.Errorf("8 of 10 sent: want() = %d, want 2", got)
	}
	l.warming = true
	if got := l.want(0); got != 64 {
		t.Errorf("warming: want() = %d, want the window, 64: the count is of measured datagrams", got)
	}
}

func TestBenchLoopNextWake(t *testing.T) {
	l, _, _ := newTestLoop(t, BenchConfig{Inflight: 4, Timeout: 100 * time.Millisecond, Duration: 5 * time.Second})
	if got := l.nextWake(0); got != int64(time.Second) {
		t.Errorf("idle, room in the window: wake at %v, want the first sample, 1s", time.Duration(got))
	}
	l.retrySend = 300 * ms
	if got := l.nextWake(100 * ms); got != 300*ms {
		t.Errorf("a blocked send: wake at %v, want its retry, 300ms", time.Duration(got))
	}
	l.retrySend = 0
	for range 4 {
		l.tr.sent(200 * ms)
	}
	if got := l.nextWake(250 * ms); got != 300*ms+1 {
		t.Errorf("window full, oldest sent at 200ms: wake at %v, want just after its timeout, 300ms+1ns", time.Duration(got))
	}
	l.stopping, l.drainEnd = true, 250*ms
	if got := l.nextWake(250 * ms); got != 250*ms {
		t.Errorf("draining: wake at %v, want the drain's end, 250ms", time.Duration(got))
	}

	l, _, _ = newTestLoop(t, BenchConfig{Inflight: 4, Rate: 1000})
	l.paced = 5
	if got := l.nextWake(4 * ms); got != 5*ms {
		t.Errorf("paced, 5 sent: wake at %v, want the sixth's turn, 5ms", time.Duration(got))
	}
}

func TestBenchLoopSetWake(t *testing.T) {
	l, _, c := newTestLoop(t, BenchConfig{})
	l.setWake(100, 10) // none set yet
	l.setWake(200, 50) // later than the one set: keep it
	l.setWake(80, 60)  // earlier: move it
	l.setWake(500, 80) // the one set has passed
	want := []time.Time{l.base.Add(100), l.base.Add(80), l.base.Add(500)}
	if len(c.deadlines) != len(want) {
		t.Fatalf("deadlines set %v, want %v", c.deadlines, want)
	}
	for i := range want {
		if !c.deadlines[i].Equal(want[i]) {
			t.Errorf("deadline %d: %v, want %v", i, c.deadlines[i], want[i])
		}
	}
}

func TestBenchLoopWarmupReset(t *testing.T) {
	l, io, _ := newTestLoop(t, BenchConfig{Warmup: 100 * time.Millisecond, Duration: 2 * time.Second, Rate: 1000, Inflight: 4})
	if !l.warming || l.end != 100*ms || l.nextTick != math.MaxInt64 {
		t.Fatalf("start: warming %v, end %v, next sample at %d: want warming until 100ms, no sample", l.warming, time.Duration(l.end), l.nextTick)
	}
	if err := l.sendWindow(0); err != nil {
		t.Fatal(err)
	}
	if err := l.sendWindow(50 * ms); err != nil {
		t.Fatal(err)
	}
	if l.tr.next != 4 || l.measuredSent != 0 || l.tick.sent != 0 || l.paced != 4 {
		t.Fatalf("warm-up sent %d, measured %d, this second %d, paced %d: want 4, 0, 0, 4", l.tr.next, l.measuredSent, l.tick.sent, l.paced)
	}
	l.endWarmup(100*ms - 1)
	if !l.warming {
		t.Fatal("the warm-up ended before its time")
	}
	now := 100*ms + 7
	l.endWarmup(now)
	if l.warming || l.start != now || l.paceFrom != now || l.paced != 0 || l.nextTick != now+int64(time.Second) || l.end != now+2*int64(time.Second) {
		t.Errorf("after the warm-up: warming %v start %d paceFrom %d paced %d nextTick %d end %d; want measuring from %d for 2s",
			l.warming, l.start, l.paceFrom, l.paced, l.nextTick, l.end, now)
	}
	if l.tr.sentCount != 0 || l.tr.first != 4 || l.tr.inflight != 4 {
		t.Errorf("tracker: sent %d, first measured %d, in flight %d; want 0, 4, and the warm-up's 4 still holding the window", l.tr.sentCount, l.tr.first, l.tr.inflight)
	}
	// A warm-up reply frees its place in the window and counts nothing.
	l.recordReply(io.sent[0], false, now+ms)
	if l.tr.inflight != 3 || l.tr.received != 0 || l.hist.TotalCount() != 0 || l.tick.received != 0 {
		t.Errorf("a warm-up reply: in flight %d, received %d, latencies %d; want 3, 0, 0", l.tr.inflight, l.tr.received, l.hist.TotalCount())
	}

	l, _, _ = newTestLoop(t, BenchConfig{Warmup: time.Second, Count: 10})
	l.endWarmup(int64(time.Second))
	if l.end != math.MaxInt64 {
		t.Errorf("count mode after the warm-up: sending ends at %d, want never (the count ends it)", l.end)
	}
}

func TestBenchLoopCountStop(t *testing.T) {
	l, io, _ := newTestLoop(t, BenchConfig{Count: 5, Inflight: 64})
	if l.stop(0) {
		t.Fatal("stopped before sending")
	}
	if err := l.sendWindow(0); err != nil {
		t.Fatal(err)
	}
	if len(io.sent) != 5 {
		t.Fatalf("sent %d, want the count, 5", len(io.sent))
	}
	if l.stop(ms) || !l.stopping || l.drainEnd != ms+int64(time.Second) || l.stopAt != 0 {
		t.Fatalf("count sent: stopping %v, drain until %v, stopAt %d; want draining for the timeout, stopAt unknown", l.stopping, time.Duration(l.drainEnd), l.stopAt)
	}
	if err := l.sendWindow(2 * ms); err != nil || len(io.sent) != 5 {
		t.Fatalf("sent %d while draining (%v)", len(io.sent), err)
	}
	io.queue = io.sent
	if err := l.readReplies(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !l.stop(3 * ms) {
		t.Fatal("all answered, still not stopped")
	}
	r := l.finish()
	if r.Sent != 5 || r.Received != 5 || r.Lost != 0 || r.Bad != 0 {
		t.Errorf("sent %d received %d lost %d bad %d: want 5 5 0 0", r.Sent, r.Received, r.Lost, r.Bad)
	}
	if l.stopAt != l.lastReply {
		t.Errorf("count mode ended at %d, want at the last reply, %d", l.stopAt, l.lastReply)
	}
}

func TestBenchLoopDurationStop(t *testing.T) {
	l, _, _ := newTestLoop(t, BenchConfig{Duration: time.Second, Inflight: 1})
	if err := l.sendWindow(900 * ms); err != nil {
		t.Fatal(err)
	}
	if l.stop(1000*ms-1) || l.stopping {
		t.Fatal("stopped before the duration")
	}
	if l.stop(1200*ms) || l.stopAt != 1000*ms || l.drainEnd != 2200*ms {
		t.Fatalf("duration over, noticed at 1.2s: stopAt %v, drain until %v; want the duration's end, 1s, and 2.2s",
			time.Duration(l.stopAt), time.Duration(l.drainEnd))
	}
	if l.stop(1900*ms - 1) {
		t.Fatal("the drain ended with a datagram in flight and in time")
	}
	if !l.stop(1900 * ms) {
		t.Fatal("the drain went on once the last datagram timed out")
	}
	if l.tr.expired != 1 || l.tr.inflight != 0 {
		t.Errorf("expired %d, in flight %d: want the unanswered datagram lost", l.tr.expired, l.tr.inflight)
	}
}

func TestBenchLoopSendBatches(t *testing.T) {
	l, io, _ := newTestLoop(t, BenchConfig{Inflight: 10, Batch: 4})
	if err := l.sendWindow(0); err != nil {
		t.Fatal(err)
	}
	if io.calls != 3 || len(io.sent) != 10 || l.retrySend != 0 {
		t.Errorf("window of 10, batch of 4: %d calls sent %d, retry at %d; want 3 calls (4, 4, 2), no retry", io.calls, len(io.sent), l.retrySend)
	}
	for i, d := range io.sent {
		if seq, ts, ok := ParseBenchReply(d, l.cfg.Size); !ok || seq != uint64(i) || ts != 0 {
			t.Errorf("datagram %d: header says %d at %d (%v)", i, seq, ts, ok)
		}
	}
}

func TestBenchLoopBlockedSend(t *testing.T) {
	l, io, _ := newTestLoop(t, BenchConfig{Inflight: 16, Batch: 4})
	io.room = 3
	if err := l.sendWindow(10 * ms); err != nil {
		t.Fatal(err)
	}
	if io.calls != 1 || l.tr.inflight != 3 || l.retrySend != 11*ms {
		t.Fatalf("blocked after 3: %d calls, %d in flight, retry at %v; want 1, 3, 11ms", io.calls, l.tr.inflight, time.Duration(l.retrySend))
	}
	io.room = -1
	if err := l.sendWindow(11*ms - 1); err != nil || io.calls != 1 {
		t.Fatalf("sent again before the retry (%d calls, %v)", io.calls, err)
	}
	if err := l.sendWindow(11 * ms); err != nil || l.tr.inflight != 16 {
		t.Fatalf("at the retry: %d in flight (%v), want the window, 16", l.tr.inflight, err)
	}
}

func TestBenchLoopServerGone(t *testing.T) {
	gone := &net.OpError{Op: "write", Net: "unixgram", Err: os.NewSyscallError("sendto", syscall.ENOENT)}

	l, io, _ := newTestLoop(t, BenchConfig{Inflight: 4})
	io.room, io.err = 2, gone
	err := l.sendWindow(0)
	var fe *families.Error
	if !errors.As(err, &fe) || !errors.Is(err, syscall.ENOENT) || fe.Err != syscall.ENOENT || !strings.Contains(err.Error(), "serve") {
		t.Fatalf("no server from the start: err %#v, want a families.Error whose cause is ENOENT and whose hint says to start a server", err)
	}

	l, io, _ = newTestLoop(t, BenchConfig{Inflight: 4})
	l.everReceived = true
	io.room, io.err = 2, gone
	if err := l.sendWindow(0); err != nil {
		t.Fatalf("server gone after it answered: %v, want the bench to go on", err)
	}
	if l.tr.sentCount != 3 || l.tr.expired != 1 || l.tr.inflight != 2 || l.measuredSent != 3 || l.retrySend != ms {
		t.Errorf("sent %d, lost %d, in flight %d, measured %d, retry at %v; want 3 (2 and the refused one), 1, 2, 3, 1ms",
			l.tr.sentCount, l.tr.expired, l.tr.inflight, l.measuredSent, time.Duration(l.retrySend))
	}
}

func TestBenchLoopSample(t *testing.T) {
	var got []Sample
	l, _, _ := newTestLoop(t, BenchConfig{Duration: 10 * time.Second, OnSample: func(s Sample) { got = append(got, s) }})
	l.tick = benchCounters{sent: 100, received: 90}
	l.ihist.RecordValue(50 * int64(time.Microsecond))
	l.takeSample(int64(time.Second) - 1)
	if len(l.r.Samples) != 0 {
		t.Fatal("sampled before the second was over")
	}
	l.takeSample(1500 * ms)
	if len(got) != 1 || len(l.r.Samples) != 1 {
		t.Fatalf("%d samples reported, %d kept; want 1", len(got), len(l.r.Samples))
	}
	s := got[0]
	if s.T != 1 || s.Sent != 100 || s.Received != 90 || s.EchoesPerSec != 90 || s.P50Us < 49 || s.P50Us > 51 {
		t.Errorf("sample %+v: want t 1s, 100 sent, 90 received and per second, p50 50µs", s)
	}
	if l.tick != (benchCounters{}) || l.ihist.TotalCount() != 0 || l.nextTick != 2*int64(time.Second) {
		t.Errorf("after the sample: counters %+v, %d latencies, next at %v; want all reset, next at 2s", l.tick, l.ihist.TotalCount(), time.Duration(l.nextTick))
	}
	// A loop late by seconds takes one sample and skips to the next due.
	l.takeSample(4200 * ms)
	if len(l.r.Samples) != 2 || l.r.Samples[1].T != 2 || l.nextTick != 5*int64(time.Second) {
		t.Errorf("late by 2.2s: %d samples, last at %vs, next at %v; want 2, at 2s, next at 5s", len(l.r.Samples), l.r.Samples[len(l.r.Samples)-1].T, time.Duration(l.nextTick))
	}
}

// The whole loop on a fake that echoes every datagram at once: count mode
// ends when the count is answered, in either mode.
func TestBenchLoopFakeEcho(t *testing.T) {
	for _, mode := range []BenchMode{BenchThroughput, BenchPingPong} {
		b, io, _ := newTestBench(t, BenchConfig{Mode: mode, Count: 1000})
		io.echo = true
		r, err := b.run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if r.Sent != 1000 || r.Received != 1000 || r.Lost != 0 || r.Reordered != 0 || r.Bad != 0 || r.Interrupted {
			t.Errorf("%v: %+v, want 1000 sent and received, nothing else", mode, r)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b, io, _ := newTestBench(t, BenchConfig{Count: 1000})
	io.echo = true
	r, err := b.run(ctx)
	if err != nil || !r.Interrupted || r.Sent != 0 || len(io.sent) != 0 {
		t.Errorf("a context already over: %+v (%v), want interrupted before sending", r, err)
	}
}
