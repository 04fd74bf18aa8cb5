package echo

import (
	"math"
	"time"
)

// benchRetry is how long a bench waits to send again after a send would
// block, or failed because the server went away, reading replies meanwhile.
const benchRetry = int64(time.Millisecond)

// sendWindow sends, in batches, what the window, the pace and the count
// allow, until the socket would block.
func (l *benchLoop) sendWindow(now int64) error {
	if l.stopping || now < l.retrySend {
		return nil
	}
	for want := l.want(now); want > 0; {
		n, blocked, err := l.sendBatch(min(want, len(l.tx)), now)
		if err != nil || blocked {
			return err
		}
		want -= n
	}
	return nil
}

// want is how many datagrams to send at now: the room in the window, no
// more than the pace has due, no more than the count has left.
func (l *benchLoop) want(now int64) int {
	want := l.cfg.Inflight - l.tr.inflight
	if l.cfg.Rate > 0 {
		want = min(want, l.due(now))
	}
	if l.cfg.Count > 0 && !l.warming {
		want = int(min(uint64(want), l.cfg.Count-l.measuredSent))
	}
	return want
}

// due is how many datagrams the pacing schedule has due at now and not yet
// sent, at most a window: datagram i of the schedule is due at
// paceFrom + i*interval.
func (l *benchLoop) due(now int64) int {
	due := uint64(float64(now-l.paceFrom)/l.interval) + 1
	if due <= l.paced {
		return 0
	}
	return int(min(due-l.paced, uint64(l.cfg.Inflight)))
}

// sendBatch sends the next k datagrams, stamped with now, and counts what
// went out. When not all of them could go, it sets retrySend and reports
// blocked. A send refused because the server went away, after it answered
// before, counts as sent and lost at once, so that the pace goes on; any
// other error ends the bench.
func (l *benchLoop) sendBatch(k int, now int64) (n int, blocked bool, err error) {
	l.stamp(k, now)
	n, err = l.io.send(l.tx[:k])
	gone := err != nil
	if gone && (!benchNoServer(err) || !l.everReceived) {
		return 0, false, l.sendError(err)
	}
	for range n {
		l.tr.sent(now)
	}
	if gone {
		l.tr.sentLost(now)
		n++
	}
	l.countSent(uint64(n))
	if n < k || gone {
		// The socket would block (a unix peer's queue is full), or the
		// server went away: read replies, try again in a moment.
		l.retrySend = now + benchRetry
		return n, true, nil
	}
	return n, false, nil
}

// stamp writes the headers of the next k datagrams, sent at now.
func (l *benchLoop) stamp(k int, now int64) {
	for i := range k {
		fillHeader(l.tx[i], l.tr.next+uint64(i), now)
	}
}

// countSent counts n datagrams sent, in the second, the count and the pace.
func (l *benchLoop) countSent(n uint64) {
	if !l.warming {
		l.measuredSent += n
		l.tick.sent += n
	}
	l.paced += n
}

// nextWake is when the loop has something to do besides reading replies:
// the drain runs out, a sample is due, sending ends or may go on, or the
// oldest datagram in flight runs out of time.
func (l *benchLoop) nextWake(now int64) int64 {
	wake := l.drainEnd
	if !l.stopping {
		wake = min(l.nextTick, l.end, l.sendDue(now))
	}
	if l.tr.inflight > 0 {
		wake = min(wake, l.tr.oldestSent()+l.timeout+1)
	}
	return wake
}

// sendDue is when sending may go on: when a blocked send is worth trying
// again, or when the pace has the next datagram due. It is MaxInt64 when
// only a reply can make room in the window, and when sendWindow, unpaced,
// has just sent all the window allows.
func (l *benchLoop) sendDue(now int64) int64 {
	switch {
	case l.tr.inflight >= l.cfg.Inflight:
		return math.MaxInt64
	case l.retrySend > now:
		return l.retrySend
	case l.cfg.Rate > 0:
		return l.paceFrom + int64(float64(l.paced)*l.interval)
	}
	return math.MaxInt64
}

// setWake sets the read deadline to wake when it must move. Setting one
// costs a timer update: keep the one set unless it is later than wake or
// has passed (an early wake-up only goes round the loop once more).
func (l *benchLoop) setWake(wake, now int64) {
	if l.curWake == 0 || wake < l.curWake || l.curWake <= now {
		l.c.SetReadDeadline(l.base.Add(time.Duration(wake)))
		l.curWake = wake
	}
}
