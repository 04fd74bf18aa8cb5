package rawsock

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

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

// sendAll sends an echo every interval, and with -f lets readLoop send
// one as soon as a reply comes, until -c are sent. ended reports that the
// run ended early: ctx, -w, -c replies within -w, or a send that failed.
// With a floodReader the reading loop sends every echo, and sendAll only
// waits for the end.
func (p *pinger) sendAll(ctx context.Context, deadline <-chan time.Time) (ended bool, err error) {
	defer p.stopSending()
	var tick *time.Timer
	var tickC <-chan time.Time
	if p.fast == nil {
		tick = time.NewTimer(0)
		defer tick.Stop()
		tickC = tick.C
	}
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case <-deadline:
			return true, nil
		case <-tickC:
		case <-p.ack:
		}
		wait, ended, err := p.tick(tick != nil)
		if ended || err != nil || wait < 0 {
			return ended || err != nil, err
		}
		if tick != nil {
			tick.Reset(wait)
		}
	}
}

// tick sends the next echo if it is due (and send is set), and says how
// long to wait for the one after it; wait < 0 when all are sent. ended
// reports -c replies within -w, or a send that failed (err).
func (p *pinger) tick(send bool) (wait time.Duration, ended bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.sendErr != nil:
		return 0, true, p.sendErr
	case p.enough():
		return 0, true, nil
	case p.allSent():
		return -1, false, nil
	case !send:
		return 0, false, nil
	}
	now := time.Now()
	if wait := p.untilDue(now); wait > 0 {
		return wait, false, nil // with -f, readLoop sent one since
	}
	if err := p.send(now); err != nil {
		return 0, true, err
	}
	if p.allSent() {
		return -1, false, nil
	}
	return p.o.Interval, false, nil
}

// maxFloodWait bounds a floodReader's waits, so that it sees the end of
// the run soon enough.
const maxFloodWait = 20 * time.Millisecond

// floodTick sends the next echo of a flood if it is due, for floodLoop:
// sent says it did, else wait is how long until one is due.
func (p *pinger) floodTick() (wait time.Duration, sent bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.floodMaySend() {
		return maxFloodWait, false
	}
	now := time.Now()
	if wait := p.untilDue(now); wait > 0 {
		return min(wait, maxFloodWait), false
	}
	p.floodSend(now)
	return 0, true
}

// sendOnReply sends the next echo of a flood, from readLoop, as a reply
// came; p.mu is held.
func (p *pinger) sendOnReply() {
	if p.floodMaySend() {
		p.floodSend(time.Now())
	}
}

// floodMaySend reports whether the reading loop may still send a flood's
// echoes: sendLoop has not ended, no send failed, and neither -c replies
// nor -c echoes are done; p.mu is held.
func (p *pinger) floodMaySend() bool {
	return !p.lingering && p.sendErr == nil && !p.enough() && !p.allSent()
}

// floodSend sends the next echo of a flood from the reading loop, and
// wakes sendLoop when that was the last one or it failed (a failure ends
// the run, through sendLoop); p.mu is held.
func (p *pinger) floodSend(now time.Time) {
	if p.send(now) != nil || p.allSent() {
		p.signal()
	}
}

// untilDue is how long after now the next echo is due: 0 or less when it
// is (the first always is); p.mu is held.
func (p *pinger) untilDue(now time.Time) time.Duration {
	if p.next == 1 {
		return 0
	}
	return p.lastSend.Add(p.o.Interval).Sub(now)
}

// send sends the next echo request, and reports it once it is on its way
// (before its reply can be reported: p.mu is held throughout). A failure
// is p.sendErr, which ends the run.
func (p *pinger) send(now time.Time) error {
	seq := p.next & 0xffff
	b := p.request(seq)
	p.slots[seq] = slot{at: now.Sub(p.start), sent: true}
	p.lastSend = now
	p.next++
	p.stats.Transmitted++
	var err error
	if p.fast != nil {
		err = p.fast.send(b)
	} else {
		_, err = p.c.WriteTo(b, p.to)
	}
	if err != nil {
		p.sendErr = p.sendError(err) // for localError, which must not count it again
		return p.sendErr
	}
	p.emit(PingEvent{Event: EventSent, Seq: seq, ID: p.id, Bytes: len(b)}, now)
	return nil
}

// sendError is why a request was not sent. EMSGSIZE on an ICMP socket
// of this system, with DF set, is told as a datagram's: with the path MTU
// the kernel holds for dst and the largest request that fits it.
func (p *pinger) sendError(err error) error {
	if fc, ok := p.c.(families.Conn); ok && errors.Is(err, syscall.EMSGSIZE) {
		return families.SendError("send", fc, p.dst, p.o.Size, err)
	}
	return sendError(p.c.Spec(), p.dst.String(), err)
}

// stopSending makes sure readLoop sends nothing more, and that answers
// from now on wake linger.
func (p *pinger) stopSending() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lingering = true
}

// allSent reports whether -c echoes went out (without -w, where -c counts
// replies); p.mu is held.
func (p *pinger) allSent() bool {
	return p.o.Count > 0 && p.o.Deadline == 0 && p.next > p.o.Count
}

// enough reports whether -c replies came within a -w deadline; p.mu is
// held.
func (p *pinger) enough() bool {
	return p.o.Count > 0 && p.o.Deadline > 0 && p.stats.Received >= p.o.Count
}

// linger waits for the replies still due: -W if given, else twice the
// longest round trip seen but at least one interval (as iputils'
// schedule_exit; a flood has no interval there), else 10 s.
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
	d := max(2*time.Duration(p.rtt.max*float64(time.Millisecond)), time.Millisecond)
	if !p.o.Flood {
		d = max(d, p.o.Interval)
	}
	return d
}

func (p *pinger) allAnswered() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats.Received+p.stats.Errors >= p.stats.Transmitted
}
