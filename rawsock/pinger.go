package rawsock

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/socklab/socklab/families"
)

// pinger is one run of PingOn: a loop that sends the echoes, and one that
// reads and matches what comes back.
type pinger struct {
	o     PingOptions
	c     PingConn
	dst   *net.IPAddr
	id    int
	token []byte        // this run's mark, at the start of every echo's data
	data  []byte        // the echo data: token, then ping's pattern
	ack   chan struct{} // a reply or error came: flood sends the next

	mu      sync.Mutex // guards what follows, and serializes OnEvent
	sent    map[uint16]time.Time
	got     map[uint16]bool
	stats   PingStats
	rtt     rttStats
	start   time.Time
	stopped bool
}

func newPinger(c PingConn, dst *net.IPAddr, o PingOptions) *pinger {
	p := &pinger{o: o, c: c, dst: dst, id: c.ID(), sent: map[uint16]time.Time{}, got: map[uint16]bool{}, ack: make(chan struct{}, 1)}
	if c.Mode() == ModeRaw && p.id == 0 {
		p.id = RandomID() // a raw socket sends the ID we write
	}
	p.token = make([]byte, 8)
	rand.Read(p.token)
	p.data = Pattern(o.Size)
	copy(p.data, p.token)
	p.stats = PingStats{Event: EventSummary, Target: dst.String(), Socket: c.Spec().String(), Mode: c.Mode().String(), ID: p.id}
	p.start = time.Now()
	p.event(PingEvent{Event: EventStart, Socket: p.stats.Socket, Mode: p.stats.Mode, ID: p.id, Target: p.stats.Target, Size: o.Size})
	return p
}

// emit hands e to OnEvent; p.mu is held.
func (p *pinger) emit(e PingEvent) {
	if e.Time == "" {
		e.Time = time.Now().Format(time.RFC3339Nano)
	}
	if p.o.OnEvent != nil {
		p.o.OnEvent(e)
	}
}

func (p *pinger) event(e PingEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(e)
}

// sendLoop sends the echoes, then waits for the last replies, as ping
// does; ctx and -w end either.
func (p *pinger) sendLoop(ctx context.Context) error {
	var deadline <-chan time.Time
	if p.o.Deadline > 0 {
		t := time.NewTimer(p.o.Deadline)
		defer t.Stop()
		deadline = t.C
	}
	ended, err := p.sendAll(ctx, deadline)
	if !ended && err == nil {
		p.linger(ctx, deadline)
	}
	return err
}

// sendAll sends an echo every interval, or with -f as soon as a reply
// comes, until -c are sent. ended reports that the run ended early: ctx,
// -w, or -c replies within -w.
func (p *pinger) sendAll(ctx context.Context, deadline <-chan time.Time) (ended bool, err error) {
	tick := time.NewTimer(0)
	defer tick.Stop()
	for seq := 1; p.o.Count == 0 || p.o.Deadline > 0 || seq <= p.o.Count; {
		select {
		case <-ctx.Done():
			return true, nil
		case <-deadline:
			return true, nil
		case <-tick.C:
		case <-p.ack:
			if !p.o.Flood {
				continue
			}
		}
		if p.enough() {
			return true, nil
		}
		if err := p.send(seq); err != nil {
			return true, err
		}
		seq++
		tick.Reset(p.o.Interval)
	}
	return false, nil
}

// linger waits for the replies still due: -W if given, else twice the
// longest round trip seen, else 10 s.
func (p *pinger) linger(ctx context.Context, deadline <-chan time.Time) {
	t := time.NewTimer(p.lingerTime())
	defer t.Stop()
	for !p.allAnswered() {
		select {
		case <-ctx.Done():
			return
		case <-deadline:
			return
		case <-t.C:
			return
		case <-p.ack:
		}
	}
}

func (p *pinger) lingerTime() time.Duration {
	if p.o.Timeout > 0 {
		return p.o.Timeout
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rtt.n == 0 {
		return 10 * time.Second
	}
	return max(2*time.Duration(p.rtt.max*float64(time.Millisecond)), time.Millisecond)
}

// send sends echo request seq.
func (p *pinger) send(seq int) error {
	req, _ := echoTypes(p.o.IPVersion)
	b, err := marshalEcho(req, p.id, seq&0xffff, p.data)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.sent[uint16(seq)] = time.Now()
	delete(p.got, uint16(seq))
	p.stats.Transmitted++
	p.mu.Unlock()
	if _, err := p.c.WriteTo(b, p.dst); err != nil {
		return sendError(p.c.Spec(), p.dst.String(), err)
	}
	p.event(PingEvent{Event: EventSent, Seq: seq & 0xffff, ID: p.id, Bytes: len(b)})
	return nil
}

// enough reports whether -c replies came within a -w deadline.
func (p *pinger) enough() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.o.Count > 0 && p.o.Deadline > 0 && p.stats.Received >= p.o.Count
}

func (p *pinger) allAnswered() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats.Received+p.stats.Errors >= p.stats.Transmitted
}

// stopReading ends readLoop: what it reads from now on is not counted.
func (p *pinger) stopReading() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.c.SetReadDeadline(time.Unix(1, 0))
}

func (p *pinger) readLoop() {
	b := make([]byte, 65536)
	for {
		m, err := p.c.ReadICMP(b)
		switch {
		case err == nil:
			p.handle(m)
		case p.isStopped() || errors.Is(err, net.ErrClosed):
			return
		case isSendError(err):
			p.localError(err) // a local error for an echo we sent (EMSGSIZE ...)
		default:
			return
		}
	}
}

func (p *pinger) isStopped() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

func isSendError(err error) bool {
	var fe *families.Error
	return errors.As(err, &fe) && fe.Op == "send"
}

// handle counts m if it is the reply to one of our echoes, or an error
// about one.
func (p *pinger) handle(m *ICMPMessage) {
	switch {
	case m.Err != nil:
	case m.Echo != nil:
		if p.isOurReply(m) {
			p.reportReply(m)
		}
	case m.IsError() && p.isOurEcho(m.Quoted):
		p.reportError(m)
	}
}

// isOurReply reports whether m, an echo, is a reply to this run: not our
// own request, or another pinger's, that a raw socket reads too, nor
// another pinger's reply. A datagram socket reads only replies to its own
// ID, which the kernel rewrote: the data tells.
func (p *pinger) isOurReply(m *ICMPMessage) bool {
	if !m.isEchoReply() || p.c.Mode() == ModeRaw && m.Echo.ID != p.id {
		return false
	}
	return bytes.HasPrefix(m.Echo.Data, p.token[:min(len(p.token), p.o.Size)])
}

// isOurEcho reports whether q, the echo an error quotes, is one we sent to
// dst; a quote may cut the data short.
func (p *pinger) isOurEcho(q *QuotedEcho) bool {
	return q != nil && q.ID == p.id && p.dst.IP.Equal(q.Dst) && bytes.HasPrefix(q.Data, p.token[:min(len(p.token), len(q.Data), p.o.Size)])
}

func (p *pinger) reportReply(m *ICMPMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	seq := uint16(m.Echo.Seq)
	t0, ok := p.sent[seq]
	if !ok || p.stopped {
		return // never sent by this run
	}
	rtt := m.Time.Sub(t0)
	e := PingEvent{Event: EventReply, Seq: m.Echo.Seq, ID: p.id, From: ipString(m.From), Bytes: m.Size, TTL: m.TTL, RTT: float64(rtt) / float64(time.Millisecond)}
	if p.got[seq] {
		e.Dup = true
		p.stats.Duplicates++
	} else {
		p.got[seq] = true
		p.stats.Received++
		e.Late = p.o.Timeout > 0 && rtt > p.o.Timeout
	}
	if e.Late {
		p.stats.Late++
	}
	p.rtt.add(e.RTT)
	p.emit(e)
	p.signal()
}

func (p *pinger) reportError(m *ICMPMessage) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.sent[uint16(m.Quoted.Seq)]; !ok || p.stopped {
		return
	}
	p.stats.Errors++
	p.emit(PingEvent{Event: EventError, Seq: m.Quoted.Seq, ID: p.id, From: ipString(m.From), Type: m.Type, Code: m.Code,
		Text: ErrorText(p.o.IPVersion, m.Type, m.Code, m.Info)})
	p.signal()
}

func (p *pinger) localError(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.Errors++
	p.emit(PingEvent{Event: EventError, Text: err.Error()})
}

// signal wakes sendLoop, without waiting.
func (p *pinger) signal() {
	select {
	case p.ack <- struct{}{}:
	default:
	}
}

func (p *pinger) finish() *PingStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.TimeMS = time.Since(p.start).Milliseconds()
	if s.Transmitted > 0 {
		s.Loss = float64(s.Transmitted-s.Received) * 100 / float64(s.Transmitted)
	}
	p.rtt.fill(&s)
	return &s
}
