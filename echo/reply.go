package echo

import (
	"fmt"
	"time"
)

// Reply is how a server answers a datagram.
type Reply int

const (
	// ReplySeed answers "[ctime] message", as the seed's Python server does.
	ReplySeed Reply = iota
	// ReplyEcho sends the datagram back unchanged.
	ReplyEcho
	// ReplySockperf answers sockperf's protocol as sockperf's own server
	// does (see SockperfPong): only messages that ask for a reply, with the
	// CLIENT flag cleared.
	ReplySockperf
)

// ParseReply reads a --reply value: "seed", "echo" or "sockperf".
func ParseReply(s string) (Reply, error) {
	switch s {
	case "seed", "ctime", "":
		return ReplySeed, nil
	case "echo":
		return ReplyEcho, nil
	case "sockperf":
		return ReplySockperf, nil
	}
	return 0, fmt.Errorf("unknown reply %q: valid are seed ([ctime] message, like the Python seed), echo (the datagram unchanged) and sockperf (sockperf's server protocol)", s)
}

// String is the --reply spelling of r.
func (r Reply) String() string {
	switch r {
	case ReplySeed:
		return "seed"
	case ReplyEcho:
		return "echo"
	case ReplySockperf:
		return "sockperf"
	}
	return fmt.Sprintf("Reply(%d)", int(r))
}

// AppendCtime appends t formatted like Python's time.ctime():
// "Tue Nov 24 19:08:00 2026", the day padded with a space. It does not
// allocate when dst has room.
func AppendCtime(dst []byte, t time.Time) []byte {
	return t.AppendFormat(dst, time.ANSIC)
}

// AppendReply appends r's answer to data to dst: for ReplySeed
// "[" + ctime(now) + "] " + data, for ReplyEcho data unchanged, for
// ReplySockperf the pong, or nothing when data asks for no reply (Answer
// tells the two apart).
func (r Reply) AppendReply(dst, data []byte, now time.Time) []byte {
	dst, _ = r.Answer(dst, data, now)
	return dst
}

// Answer is AppendReply that also reports whether data gets an answer at
// all: false only for ReplySockperf and a message that asks for none.
func (r Reply) Answer(dst, data []byte, now time.Time) ([]byte, bool) {
	switch r {
	case ReplySeed:
		dst = appendSeedPrefix(dst, now)
	case ReplySockperf:
		n := len(dst)
		dst = append(dst, data...)
		pong, ok := SockperfPong(dst[n:])
		if !ok {
			return dst[:n], false
		}
		return dst[:n+len(pong)], true
	}
	return append(dst, data...), true
}

// appendSeedPrefix appends "[" + ctime(t) + "] ".
func appendSeedPrefix(dst []byte, t time.Time) []byte {
	dst = append(dst, '[')
	dst = AppendCtime(dst, t)
	return append(dst, ']', ' ')
}
