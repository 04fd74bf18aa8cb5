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
)

// ParseReply reads a --reply value: "seed" or "echo".
func ParseReply(s string) (Reply, error) {
	switch s {
	case "seed", "ctime", "":
		return ReplySeed, nil
	case "echo":
		return ReplyEcho, nil
	}
	return 0, fmt.Errorf("unknown reply %q: valid are seed ([ctime] message, like the Python seed) and echo (the datagram unchanged)", s)
}

// String is the --reply spelling of r.
func (r Reply) String() string {
	switch r {
	case ReplySeed:
		return "seed"
	case ReplyEcho:
		return "echo"
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
// "[" + ctime(now) + "] " + data, for ReplyEcho data unchanged.
func (r Reply) AppendReply(dst, data []byte, now time.Time) []byte {
	if r == ReplySeed {
		dst = append(dst, '[')
		dst = AppendCtime(dst, now)
		dst = append(dst, ']', ' ')
	}
	return append(dst, data...)
}
