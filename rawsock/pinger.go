package rawsock

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// MinUserInterval is the shortest interval, and flooding the only mode
// faster than it, that ping allows without privilege; socklab asks for the
// same, CAP_NET_RAW, found by opening a raw socket.
const MinUserInterval = 200 * time.Millisecond

// PingOptions are ping's options.
type PingOptions struct {
	IPVersion int  // 4 or 6
	Mode      Mode // auto, dgram or raw socket
	Count     int  // -c: stop after this many echoes (0: until cancelled); with Deadline, after this many replies
	// Interval is -i, the time between echoes (default 1 s). Below
	// MinUserInterval it needs CAP_NET_RAW.
	Interval time.Duration
	Size     int           // -s: echo data bytes (default 56 when negative)
	TTL      int           // -t: IP TTL or IPv6 hop limit (0: the system's)
	Timeout  time.Duration // -W: how long to wait for each reply; a later one is late
	Deadline time.Duration // -w: stop after this long, whatever else
	Flood    bool          // -f: send as soon as the reply comes, at least every 10 ms
	ID       int           // -e: the echo identifier (a datagram socket binds it as its port)
	Source   string        // -I: a local address to send from
	// OnEvent receives every event as it happens, one at a time.
	OnEvent func(PingEvent)
}

// Event kinds of a ping.
const (
	EventStart = "start" // the socket opened
	EventSent  = "sent"  // an echo request went out
	EventReply = "reply" // an echo reply that is ours: Dup or Late may be set
	EventError = "error" // an ICMP error came back for one of our echoes
)

// PingEvent is one thing that happened during a ping, for printing.
type PingEvent struct {
	Event  string  `json:"event"`
	Time   string  `json:"time"`
	Seq    int     `json:"icmp_seq"`
	ID     int     `json:"id"`
	From   string  `json:"from,omitempty"`
	Bytes  int     `json:"bytes,omitempty"`
	TTL    int     `json:"ttl,omitempty"`
	RTT    float64 `json:"time_ms,omitempty"`
	Dup    bool    `json:"dup,omitempty"`
	Late   bool    `json:"late,omitempty"`
	Type   int     `json:"type,omitempty"`
	Code   int     `json:"code,omitempty"`
	Text   string  `json:"text,omitempty"`
	Socket string  `json:"socket,omitempty"`
	Mode   string  `json:"mode,omitempty"`
	Target string  `json:"target,omitempty"`
	Size   int     `json:"size,omitempty"`
}

// PingStats is ping's summary.
type PingStats struct {
	Event       string  `json:"event"` // "summary"
	Target      string  `json:"target"`
	Transmitted int     `json:"transmitted"`
	Received    int     `json:"received"`
	Duplicates  int     `json:"duplicates"`
	Errors      int     `json:"errors"`
	Late        int     `json:"late"`
	Loss        float64 `json:"loss_percent"`
	TimeMS      int64   `json:"time_ms"`
	MinMS       float64 `json:"rtt_min_ms"`
	AvgMS       float64 `json:"rtt_avg_ms"`
	MaxMS       float64 `json:"rtt_max_ms"`
	MdevMS      float64 `json:"rtt_mdev_ms"`
	Socket      string  `json:"socket"`
	Mode        string  `json:"mode"`
	ID          int     `json:"id"`
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

// ErrNoReply is returned by Ping when no echo reply came back at all, so a
// command can exit 1 as ping does.
var ErrNoReply = errors.New("no reply")

// ResolveHost resolves host to an address of ipVersion.
func ResolveHost(ctx context.Context, ipVersion int, host string) (*net.IPAddr, error) {
	network := "ip4"
	if ipVersion == 6 {
		network = "ip6"
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, network, host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("%s: no IPv%d address (%v): give an IPv%d address or a name that has one", host, ipVersion, err, ipVersion)
	}
	a := ips[0].Unmap()
	return &net.IPAddr{IP: net.IP(a.AsSlice()), Zone: a.Zone()}, nil
}

type pinger struct {
	o      PingOptions
	c      *ICMPConn
	dst    *net.IPAddr
	token  []byte
	mu     sync.Mutex
	sent   map[uint16]time.Time
	got    map[uint16]bool
	stats  PingStats
	sum    float64 // ms, over replies and duplicates
	sum2   float64
	n      int
	start  time.Time
	ack    chan struct{} // a reply came: flood sends the next
	closed bool
}

// Ping sends echo requests to dst and matches the replies, calling
// o.OnEvent for each event, until o.Count, o.Deadline or ctx ends it. It
// returns the statistics; the error is ErrNoReply when nothing came back,
// or why the socket did not open or send.
func Ping(ctx context.Context, dst *net.IPAddr, o PingOptions) (*PingStats, error) {
	if o.IPVersion != 6 {
		o.IPVersion = 4
	}
	if o.Interval == 0 {
		o.Interval = time.Second
		if o.Flood {
			o.Interval = 10 * time.Millisecond
		}
	}
	if o.Size < 0 {
		o.Size = 56
	}
	maxSize := 65535 - 20 - 8
	if o.IPVersion == 6 {
		maxSize = 65535 - 8
	}
	spec := ICMPSpec(o.IPVersion, ModeRaw)
	if o.Size > maxSize {
		return nil, &families.Error{Op: "ping", Spec: spec, Addr: dst.String(), Err: fmt.Errorf("packet size %d is too large", o.Size), Hint: fmt.Sprintf("-s is at most %d for IPv%d", maxSize, o.IPVersion)}
	}
	if o.TTL < 0 || o.TTL > 255 {
		return nil, &families.Error{Op: "ping", Spec: spec, Addr: dst.String(), Err: fmt.Errorf("ttl %d out of range", o.TTL), Hint: "-t is 1 to 255"}
	}
	if o.Interval < 0 {
		return nil, &families.Error{Op: "ping", Spec: spec, Addr: dst.String(), Err: fmt.Errorf("interval %v is negative", o.Interval), Hint: "-i takes seconds, e.g. 0.5"}
	}
	if o.Flood || o.Interval < MinUserInterval {
		// As ping: only a privileged user floods or goes below 0.2 s. The
		// privilege is CAP_NET_RAW, found by opening a raw socket.
		if err := families.ProbeSpec(spec); err != nil {
			var fe *families.Error
			if errors.As(err, &fe) {
				err = families.Cause(fe.Err) // the errno: the hint below replaces fe's
			}
			what := fmt.Sprintf("an interval of %v (below %v)", o.Interval, MinUserInterval)
			if o.Flood {
				what = "flooding (-f)"
			}
			return nil, &families.Error{Op: "ping", Spec: spec, Addr: dst.String(), Err: fmt.Errorf("%s needs CAP_NET_RAW, as with ping: %w", what, err),
				Hint: "run as root, or sudo setcap cap_net_raw+ep \"$(command -v socklab)\"; or use -i 0.2 or more"}
		}
	}
	c, err := ListenICMP(ICMPConfig{IPVersion: o.IPVersion, Mode: o.Mode, ID: o.ID, Bind: o.Source, TTL: o.TTL})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	p := &pinger{o: o, c: c, dst: dst, sent: map[uint16]time.Time{}, got: map[uint16]bool{}, ack: make(chan struct{}, 1)}
	p.token = make([]byte, 8)
	rand.Read(p.token)
	id := c.ID()
	if c.Mode() == ModeRaw && o.ID == 0 {
		var b [2]byte
		rand.Read(b[:])
		id = int(b[0])<<8 | int(b[1])
		c.id = id
	}
	p.stats = PingStats{Event: "summary", Target: dst.String(), Socket: c.Spec().String(), Mode: c.Mode().String(), ID: id}
	p.start = time.Now()
	p.emit(PingEvent{Event: EventStart, Socket: c.Spec().String(), Mode: c.Mode().String(), ID: id, Target: dst.String(), Size: o.Size})
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.readLoop()
	}()
	serr := p.sendLoop(ctx)
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	c.Close()
	<-done
	st := p.finish()
	if serr != nil {
		return st, serr
	}
	if st.Received == 0 && st.Transmitted > 0 {
		return st, ErrNoReply
	}
	return st, nil
}

func (p *pinger) emit(e PingEvent) {
	if e.Time == "" {
		e.Time = time.Now().Format(time.RFC3339Nano)
	}
	if p.o.OnEvent != nil {
		p.o.OnEvent(e)
	}
}

// payload is the echo data: the run's token, then ping's pattern.
func (p *pinger) payload() []byte {
	b := make([]byte, p.o.Size)
	n := copy(b, p.token)
	for i := n; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

func (p *pinger) sendLoop(ctx context.Context) error {
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if p.o.IPVersion == 6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	data := p.payload()
	var deadline <-chan time.Time
	if p.o.Deadline > 0 {
		t := time.NewTimer(p.o.Deadline)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTimer(0)
	defer tick.Stop()
	for seq := 1; ; seq++ {
		if p.o.Count > 0 && p.o.Deadline == 0 && seq > p.o.Count {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return nil
		case <-tick.C:
		case <-p.ack:
			if !p.o.Flood {
				seq--
				continue
			}
		}
		if p.enough() {
			return nil
		}
		m := icmp.Message{Type: typ, Body: &icmp.Echo{ID: p.c.ID(), Seq: seq & 0xffff, Data: data}}
		b, err := m.Marshal(nil) // ICMPv6: the kernel computes the checksum
		if err != nil {
			return err
		}
		p.mu.Lock()
		p.sent[uint16(seq)] = time.Now()
		delete(p.got, uint16(seq))
		p.stats.Transmitted++
		p.mu.Unlock()
		if err := p.c.WriteTo(b, p.dst); err != nil {
			return err
		}
		p.mu.Lock()
		p.emit(PingEvent{Event: EventSent, Seq: seq & 0xffff, ID: p.c.ID(), Bytes: len(b)})
		p.mu.Unlock()
		tick.Reset(p.o.Interval)
	}
	// Linger for the last replies, as ping does: -W if given, else twice
	// the longest round trip seen, else 10 s.
	p.mu.Lock()
	wait := p.o.Timeout
	if wait == 0 {
		wait = 10 * time.Second
		if p.n > 0 {
			wait = max(2*time.Duration(p.stats.MaxMS*float64(time.Millisecond)), time.Millisecond)
		}
	}
	p.mu.Unlock()
	linger := time.NewTimer(wait)
	defer linger.Stop()
	for {
		if p.allAnswered() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-deadline:
			return nil
		case <-linger.C:
			return nil
		case <-p.ack:
		}
	}
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

func (p *pinger) readLoop() {
	for {
		in, err := p.c.Read()
		if err != nil {
			p.mu.Lock()
			closed := p.closed
			p.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return
			}
			var fe *families.Error
			if errors.As(err, &fe) && fe.Op == "send" {
				// A local error for an echo we sent (EMSGSIZE ...).
				p.mu.Lock()
				p.stats.Errors++
				p.emit(PingEvent{Event: EventError, Text: err.Error()})
				p.mu.Unlock()
				continue
			}
			return
		}
		p.handle(in)
	}
}

func (p *pinger) handle(in Incoming) {
	v := p.o.IPVersion
	from := ""
	if in.From != nil {
		from = in.From.String()
	}
	if in.Queued != nil {
		q, err := decodeEchoRequest(v, in.Data)
		if err != nil || q.ID != p.c.ID() || !bytes.HasPrefix(q.Data, p.token[:min(len(p.token), len(q.Data), p.o.Size)]) {
			return
		}
		p.reportError(q.Seq, from, in.Queued.Type, in.Queued.Code, int(in.Queued.Info))
		return
	}
	m, err := DecodeICMP(v, in.Data)
	if err != nil {
		return
	}
	if m.Echo != nil {
		isReply := (v == 4 && m.Type == int(ipv4.ICMPTypeEchoReply)) || (v == 6 && m.Type == int(ipv6.ICMPTypeEchoReply))
		if !isReply {
			return // our own request, or another pinger's, on a raw socket
		}
		if (p.c.Mode() == ModeRaw && m.Echo.ID != p.c.ID()) || !bytes.HasPrefix(m.Echo.Data, p.token[:min(len(p.token), p.o.Size)]) {
			return // another pinger's reply
		}
		p.reportReply(m.Echo.Seq, from, in.Size, in.TTL, in.Time)
		return
	}
	if m.IsError() && m.Quoted != nil && m.Quoted.ID == p.c.ID() && p.dst.IP.Equal(m.Quoted.Dst) &&
		bytes.HasPrefix(m.Quoted.Data, p.token[:min(len(p.token), len(m.Quoted.Data), p.o.Size)]) {
		p.reportError(m.Quoted.Seq, from, m.Type, m.Code, m.Info)
	}
}

func (p *pinger) reportReply(seq int, from string, size, ttl int, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	t0, ok := p.sent[uint16(seq)]
	if !ok {
		return // never sent by this run
	}
	rtt := at.Sub(t0)
	ms := float64(rtt) / float64(time.Millisecond)
	e := PingEvent{Event: EventReply, Seq: seq, ID: p.c.ID(), From: from, Bytes: size, TTL: ttl, RTT: ms}
	if p.got[uint16(seq)] {
		e.Dup = true
		p.stats.Duplicates++
	} else {
		p.got[uint16(seq)] = true
		p.stats.Received++
		if p.o.Timeout > 0 && rtt > p.o.Timeout {
			e.Late = true
			p.stats.Late++
		}
	}
	if p.n == 0 || ms < p.stats.MinMS {
		p.stats.MinMS = ms
	}
	if ms > p.stats.MaxMS {
		p.stats.MaxMS = ms
	}
	p.n++
	p.sum += ms
	p.sum2 += ms * ms
	p.emit(e)
	select {
	case p.ack <- struct{}{}:
	default:
	}
}

func (p *pinger) reportError(seq int, from string, typ, code, info int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.sent[uint16(seq)]; !ok || p.closed {
		return
	}
	p.stats.Errors++
	p.emit(PingEvent{Event: EventError, Seq: seq, ID: p.c.ID(), From: from, Type: typ, Code: code, Text: ErrorText(p.o.IPVersion, typ, code, info)})
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
	if p.n > 0 {
		s.AvgMS = p.sum / float64(p.n)
		s.MdevMS = math.Sqrt(math.Max(0, p.sum2/float64(p.n)-s.AvgMS*s.AvgMS))
	}
	return &s
}
