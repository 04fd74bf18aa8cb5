package echo

import "time"

// notice rate-limits one kind of what a server tells about datagrams it
// drops, replies it cannot send, or connections it refuses: a flood of them
// must not become a flood of log lines. It is told at most once per
// noticeEvery; the ones held back are counted and the count goes with the
// next that is told.
type notice struct {
	last       int64
	suppressed uint64
}

// allow reports whether the notice may be told at now; when it may, it
// also returns how many were held back since the last.
func (n *notice) allow(now int64) (bool, uint64) {
	if n.last != 0 && now-n.last < int64(noticeEvery) {
		n.suppressed++
		return false, 0
	}
	held := n.suppressed
	n.last, n.suppressed = now, 0
	return true, held
}

// notices is a datagram server's notice of each kind: the guard's verdicts,
// then send errors.
type notices [noticeKinds]notice

const (
	noticeEvery = time.Second
	// noticeSend is the kind of send errors, after the guard's verdicts.
	noticeSend  = int(dropRateLimited) + 1
	noticeKinds = noticeSend + 1
)

// allow reports whether a notice of kind may be told at now, as
// notice.allow does.
func (n *notices) allow(kind int, now int64) (bool, uint64) { return n[kind].allow(now) }

// reasonOf is the name of a verdict as Dropped's JSON spells it.
func reasonOf(v verdict) string {
	switch v {
	case dropSelf:
		return "self"
	case dropService:
		return "service"
	case dropBroadcast:
		return "broadcast"
	case dropLoop:
		return "loop"
	case dropDenied:
		return "denied"
	case dropRateLimited:
		return "rate_limited"
	}
	return ""
}
