package echo

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/socklab/socklab/families"
)

// DefaultBufsize is the receive buffer handed to recvfrom: large enough for
// any UDP datagram, so nothing is truncated unless asked.
const DefaultBufsize = 65536

// ServerConfig says how Serve answers and what it reports.
type ServerConfig struct {
	Reply Reply
	// Bufsize is the buffer each read gets (DefaultBufsize when 0). A longer
	// datagram is truncated by the kernel; Serve reports it and echoes the
	// part it read.
	Bufsize int
	// OnEvent, when set, is called for every datagram and problem, from the
	// serving goroutine; Event.Data is valid only during the call.
	OnEvent func(Event)
	// Now gives the time for seed replies (time.Now when nil).
	Now func() time.Time
}

// EventKind names what happened.
type EventKind string

// The events Serve reports.
const (
	EventDatagram     EventKind = "datagram"     // a datagram arrived and was answered
	EventTruncated    EventKind = "truncated"    // it was longer than Bufsize: Size-len(Data) bytes lost
	EventUnanswerable EventKind = "unanswerable" // its sender has no address (unbound unix socket); once per sender
	EventSendError    EventKind = "send-error"   // the reply could not be sent
)

// Event is one thing Serve saw.
type Event struct {
	Kind EventKind
	From net.Addr // nil when the sender has no address
	PID  int      // the sender's process ID on unix sockets, 0 if unknown
	Data []byte   // the bytes read (valid during OnEvent only)
	Size int      // the datagram's full length; > len(Data) when truncated
	Err  error    // for EventSendError
}

// Stats is what a server did, for its summary line.
type Stats struct {
	Datagrams    uint64        `json:"datagrams"`
	Bytes        uint64        `json:"bytes"`
	Peers        int           `json:"peers"`
	Truncated    uint64        `json:"truncated"`
	Unanswerable uint64        `json:"unanswerable"`
	SendErrors   uint64        `json:"send_errors"`
	Elapsed      time.Duration `json:"elapsed_ns"`
}

// Serve answers datagrams on c until ctx is done, then returns its Stats and
// a nil error. It returns early with an error only when reading fails for a
// reason other than ctx (the socket was closed, say). It does not close c.
func Serve(ctx context.Context, c families.Conn, cfg ServerConfig) (Stats, error) {
	var st Stats
	start := time.Now()
	bufsize := cfg.Bufsize
	if bufsize <= 0 {
		bufsize = DefaultBufsize
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	emit := cfg.OnEvent
	if emit == nil {
		emit = func(Event) {}
	}
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	buf := make([]byte, bufsize)
	out := make([]byte, 0, bufsize+64)
	peers := map[string]struct{}{}
	silent := map[int]bool{} // senders without an address, told once each, by PID
	cr, hasCred := c.(families.CredReader)
	for {
		var n, size, pid int
		var from net.Addr
		var err error
		if hasCred {
			n, size, from, pid, err = cr.ReadMsgCred(buf)
		} else {
			n, size, from, err = c.ReadMsg(buf)
		}
		if err != nil {
			if ctx.Err() != nil {
				st.Elapsed = time.Since(start)
				return st, nil
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			st.Elapsed = time.Since(start)
			return st, err
		}
		st.Datagrams++
		st.Bytes += uint64(size)
		data := buf[:n]
		if size > n {
			st.Truncated++
			emit(Event{Kind: EventTruncated, From: from, PID: pid, Data: data, Size: size})
		}
		if from == nil || isUnnamed(from) {
			st.Unanswerable++
			if !silent[pid] {
				silent[pid] = true
				emit(Event{Kind: EventUnanswerable, PID: pid, Data: data, Size: size})
			}
			continue
		}
		key := from.String()
		if _, ok := peers[key]; !ok {
			peers[key] = struct{}{}
			st.Peers = len(peers)
		}
		emit(Event{Kind: EventDatagram, From: from, PID: pid, Data: data, Size: size})
		out = cfg.Reply.AppendReply(out[:0], data, now())
		if _, err := c.WriteTo(out, from); err != nil {
			st.SendErrors++
			emit(Event{Kind: EventSendError, From: from, PID: pid, Err: err})
		}
	}
}

// isUnnamed reports a unix sender that has no name to answer.
func isUnnamed(a net.Addr) bool {
	ua, ok := a.(*net.UnixAddr)
	return ok && (ua.Name == "" || ua.Name == "@")
}

// PIDString names a sender by PID for messages: "pid 1234", or "unknown pid".
func PIDString(pid int) string {
	if pid == 0 {
		return "unknown pid"
	}
	return "pid " + strconv.Itoa(pid)
}
