package rawsock

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/socklab/socklab/families"
)

// PingEvent is one thing that happened during a ping, for printing.
type PingEvent struct {
	Event EventKind `json:"event"`
	// Time is when it happened (a reply: when the read returned); JSON
	// has it in RFC 3339 with nanoseconds.
	Time   time.Time `json:"time"`
	Seq    int       `json:"icmp_seq"`
	ID     int       `json:"id"`
	From   string    `json:"from,omitempty"`
	Bytes  int       `json:"bytes,omitempty"`
	TTL    int       `json:"ttl,omitempty"`
	RTT    float64   `json:"time_ms,omitempty"`
	Dup    bool      `json:"dup,omitempty"`
	Late   bool      `json:"late,omitempty"`
	Type   int       `json:"type,omitempty"`
	Code   int       `json:"code,omitempty"`
	Text   string    `json:"text,omitempty"`
	Socket string    `json:"socket,omitempty"`
	Mode   string    `json:"mode,omitempty"`
	Target string    `json:"target,omitempty"`
	Size   int       `json:"size,omitempty"`
	// PingHeader, in the start event, are the header fields set.
	PingHeader
}

// PingHeader are the IP header fields a ping sets on its requests, as
// its start event and summary report them: only those it was asked to
// set (PingOptions.IP).
type PingHeader struct {
	// TOS is the TOS byte (IPv4) or traffic class (IPv6).
	TOS *uint8 `json:"tos,omitempty"`
	// DF is the DF mode: IP_MTU_DISCOVER, IPV6_MTU_DISCOVER.
	DF families.DFMode `json:"df,omitempty"`
	// FlowLabel is the IPv6 flow label.
	FlowLabel uint32 `json:"flowlabel,omitempty"`
}

// headerOf is what a ping reports of o.
func headerOf(o families.IPOptions) PingHeader {
	return PingHeader{TOS: o.TOS, DF: o.DF, FlowLabel: o.FlowLabel}
}

// String is h for people: "tos 0xb8 (ef, not-ect), df do, flow label
// 0x12345", "" when nothing is set.
func (h PingHeader) String() string {
	var parts []string
	if h.TOS != nil {
		parts = append(parts, "tos "+families.TOSString(*h.TOS))
	}
	if h.DF != families.DFKernel {
		parts = append(parts, "df "+h.DF.String())
	}
	if h.FlowLabel != 0 {
		parts = append(parts, fmt.Sprintf("flow label %#x", h.FlowLabel))
	}
	return strings.Join(parts, ", ")
}

// PingStats is ping's summary.
type PingStats struct {
	Event       EventKind `json:"event"` // EventSummary
	Target      string    `json:"target"`
	Transmitted int       `json:"transmitted"`
	Received    int       `json:"received"`
	Duplicates  int       `json:"duplicates"`
	Errors      int       `json:"errors"`
	Late        int       `json:"late"`
	Loss        float64   `json:"loss_percent"`
	TimeMS      int64     `json:"time_ms"`
	MinMS       float64   `json:"rtt_min_ms"`
	AvgMS       float64   `json:"rtt_avg_ms"`
	MaxMS       float64   `json:"rtt_max_ms"`
	MdevMS      float64   `json:"rtt_mdev_ms"`
	Socket      string    `json:"socket"`
	Mode        string    `json:"mode"`
	ID          int       `json:"id"`
	PingHeader
}

// Summary formats s as iputils ping does:
//
//	--- 127.0.0.1 ping statistics ---
//	3 packets transmitted, 3 received, 0% packet loss, time 2003ms
//	rtt min/avg/max/mdev = 0.040/0.050/0.061/0.008 ms
func (s *PingStats) Summary() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "--- %s ping statistics ---\n", s.Target)
	fmt.Fprintf(&b, "%d packets transmitted, %d received", s.Transmitted, s.Received)
	if s.Duplicates > 0 {
		fmt.Fprintf(&b, ", +%d duplicates", s.Duplicates)
	}
	if s.Errors > 0 {
		fmt.Fprintf(&b, ", +%d errors", s.Errors)
	}
	if s.Transmitted > 0 {
		fmt.Fprintf(&b, ", %s%% packet loss", strconv.FormatFloat(float64(float32(s.Loss)), 'g', 6, 32))
	}
	fmt.Fprintf(&b, ", time %dms\n", s.TimeMS)
	if s.Received+s.Duplicates > 0 {
		fmt.Fprintf(&b, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", s.MinMS, s.AvgMS, s.MaxMS, s.MdevMS)
	}
	return b.String()
}

// rttStats sums the round trips of replies and duplicates, in ms.
type rttStats struct {
	n                   int
	sum, sum2, min, max float64
}

func (r *rttStats) add(ms float64) {
	if r.n == 0 || ms < r.min {
		r.min = ms
	}
	r.max = max(r.max, ms)
	r.n++
	r.sum += ms
	r.sum2 += ms * ms
}

// fill sets the round-trip figures of s.
func (r *rttStats) fill(s *PingStats) {
	if r.n == 0 {
		return
	}
	s.MinMS, s.MaxMS = r.min, r.max
	s.AvgMS = r.sum / float64(r.n)
	s.MdevMS = math.Sqrt(math.Max(0, r.sum2/float64(r.n)-s.AvgMS*s.AvgMS))
}
