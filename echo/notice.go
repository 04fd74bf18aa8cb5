package echo

import "time"

// notices rate-limits what a server tells about datagrams it drops and
// replies it cannot send: a flood of them must not become a flood of log
// lines. Each kind is told at most once per noticeEvery; the ones held back
// are counted and the count goes with the next that is told.
type notices struct {
	last       [noticeKinds]int64
	suppressed [noticeKinds]uint64
}

const (
	noticeEvery = time.Second
	// noticeSend is the kind of send errors, after the guard's verdicts.
	noticeSend  = int(dropRateLimited) + 1
	noticeKinds = noticeSend + 1
)

// allow reports whether a notice of kind may be told at now; when it may,
// it also returns how many of its kind were held back since the last.
func (n *notices) allow(kind int, now int64) (bool, uint64) {
	if n.last[kind] != 0 && now-n.last[kind] < int64(noticeEvery) {
		n.suppressed[kind]++
		return false, 0
	}
	held := n.suppressed[kind]
	n.last[kind], n.suppressed[kind] = now, 0
	return true, held
}

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
