package echo

// The states of a sequence number in benchTracker.
const (
	stUnused uint8 = iota
	stInflight
	stAnswered     // its reply came in time
	stExpired      // no reply within the timeout: counted lost
	stLateAnswered // expired, then its reply came
)

// benchTracker keeps the state of every sequence number a bench sent, in a
// ring indexed by sequence, and counts what the replies say about the path:
// loss, lateness, duplicates, reordering and jitter. Sequence numbers are
// sent in increasing order, and the timeout is the same for all, so
// datagrams expire in sequence order: oldest is the lowest that may be in
// flight. The ring grows when a datagram stays in flight while many later
// ones come and go; it remembers answered and expired ones as long as it has
// room, to tell duplicates from late replies.
type benchTracker struct {
	state  []uint8
	sentAt []int64 // bench time of sending, nanoseconds
	mask   uint64

	lo     uint64 // lowest sequence whose state is remembered
	oldest uint64 // every sequence below it is no longer in flight
	next   uint64 // the next sequence to send
	first  uint64 // the first measured sequence (after the warmup)

	inflight int
	timeout  int64 // nanoseconds a datagram may wait for its reply

	sentCount, received, expired, tickExpired uint64
	late, duplicates, reordered, bad          uint64

	maxSeen     uint64 // highest sequence answered in time
	haveMax     bool
	lastTransit int64 // for RFC 3550 jitter: reply time less send time
	haveTransit bool
	jitter      float64 // nanoseconds
}

// init makes the ring room for four windows of inflight datagrams, and at
// least 65536.
func (t *benchTracker) init(inflight int, timeout int64) {
	t.timeout = timeout
	n := 1 << 16
	for n < 4*inflight {
		n <<= 1
	}
	t.state = make([]uint8, n)
	t.sentAt = make([]int64, n)
	t.mask = uint64(n - 1)
}

// sent records that the next sequence went out at now.
func (t *benchTracker) sent(now int64) {
	if t.next-t.lo == uint64(len(t.state)) {
		if t.lo < t.oldest {
			t.lo++ // forget the oldest answered or expired sequence
		} else {
			t.grow()
		}
	}
	i := t.next & t.mask
	t.state[i] = stInflight
	t.sentAt[i] = now
	if t.next >= t.first {
		t.sentCount++
	}
	t.next++
	t.inflight++
}

// sentLost records that the next sequence could not be sent: it counts as
// sent and lost, and takes no place in the window.
func (t *benchTracker) sentLost(now int64) {
	t.sent(now)
	t.lose((t.next-1)&t.mask, t.next-1 >= t.first)
}

// lose counts lost the datagram in flight at ring index i; measured says
// whether it was sent after the warmup.
func (t *benchTracker) lose(i uint64, measured bool) {
	t.state[i] = stExpired
	t.inflight--
	if measured {
		t.expired++
	}
}

// grow doubles the ring, keeping every remembered sequence.
func (t *benchTracker) grow() {
	n := 2 * len(t.state)
	state, sentAt, mask := make([]uint8, n), make([]int64, n), uint64(n-1)
	for s := t.lo; s < t.next; s++ {
		state[s&mask] = t.state[s&t.mask]
		sentAt[s&mask] = t.sentAt[s&t.mask]
	}
	t.state, t.sentAt, t.mask = state, sentAt, mask
}

// reply records a reply to seq, whose header says it was sent at ts, arriving
// at now. It returns the round-trip time and true for the first reply within
// the timeout to a measured datagram.
func (t *benchTracker) reply(seq uint64, ts, now int64) (int64, bool) {
	i, ok := t.slot(seq, ts)
	if !ok {
		return 0, false
	}
	measured := seq >= t.first
	if t.state[i] == stInflight && now-ts > t.timeout {
		// Its time ran out while the bench was busy: it is lost, and
		// this reply late, whatever the order things were noticed in.
		t.lose(i, measured)
	}
	switch t.state[i] {
	case stInflight:
		t.state[i] = stAnswered
		t.inflight--
		if measured {
			t.answered(seq, now-ts)
			return now - ts, true
		}
	case stExpired:
		t.state[i] = stLateAnswered
		if measured {
			t.late++
		}
	case stAnswered, stLateAnswered:
		if measured {
			t.duplicates++
		}
	}
	return 0, false
}

// slot is the ring index of seq, for a reply whose header says seq was sent
// at ts. ok is false, and the reply counted, when seq was never sent (bad),
// is too old to remember (late), or was not sent at ts (bad).
func (t *benchTracker) slot(seq uint64, ts int64) (i uint64, ok bool) {
	switch {
	case seq >= t.next:
		t.bad++ // never sent
	case seq < t.lo:
		// Too old to remember: it expired long ago.
		if seq >= t.first {
			t.late++
		}
	case t.sentAt[seq&t.mask] != ts:
		t.bad++ // not the datagram we sent with that number
	default:
		return seq & t.mask, true
	}
	return 0, false
}

// answered counts the first reply within the timeout to measured datagram
// seq, whose round trip took transit nanoseconds: it may be reordered, and
// it moves the jitter.
func (t *benchTracker) answered(seq uint64, transit int64) {
	t.received++
	if t.haveMax && seq < t.maxSeen {
		t.reordered++
	} else {
		t.maxSeen, t.haveMax = seq, true
	}
	// RFC 3550 section 6.4.1: J += (|D(i-1,i)| - J)/16.
	if t.haveTransit {
		d := float64(transit - t.lastTransit)
		if d < 0 {
			d = -d
		}
		t.jitter += (d - t.jitter) / 16
	}
	t.lastTransit, t.haveTransit = transit, true
}

// expire counts lost every datagram in flight that was sent at or before
// cutoff.
func (t *benchTracker) expire(cutoff int64) {
	for t.oldest < t.next {
		i := t.oldest & t.mask
		if t.state[i] == stInflight {
			if t.sentAt[i] > cutoff {
				return
			}
			t.lose(i, t.oldest >= t.first)
		}
		t.oldest++
	}
}

// oldestSent is when the oldest datagram that may be in flight was sent.
func (t *benchTracker) oldestSent() int64 { return t.sentAt[t.oldest&t.mask] }

// measureFrom starts the measurement: counts begin again from the next
// sequence; replies to earlier ones still free their place in the window.
func (t *benchTracker) measureFrom() {
	inflight := t.inflight
	*t = benchTracker{state: t.state, sentAt: t.sentAt, mask: t.mask, timeout: t.timeout,
		lo: t.lo, oldest: t.oldest, next: t.next, first: t.next, inflight: inflight}
}

// forgetInflight uncounts the measured datagrams still in flight, for a
// bench interrupted before their replies could come.
func (t *benchTracker) forgetInflight() {
	for s := max(t.oldest, t.first); s < t.next; s++ {
		if t.state[s&t.mask] == stInflight {
			t.sentCount--
		}
	}
}
