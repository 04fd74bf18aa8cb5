package rawsock

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"

	"github.com/socklab/socklab/families"
)

// ICMPServeOptions configure ServeICMP.
type ICMPServeOptions struct {
	IPVersion int    // 4 or 6
	Bind      string // local address to bind, "" for all
	// Reply answers echo requests from user space, those the kernel
	// would answer only: unicast, addressed to this host, with a valid
	// checksum, from an address a reply can go to (see ICMPDropped). The
	// kernel answers them too unless net.ipv4.icmp_echo_ignore_all (or
	// net.ipv6.icmp.echo_ignore_all) is 1, so a pinger sees duplicates.
	Reply bool
	// OnListen, when set, is called once the socket is open and bound,
	// before the first read: the moment to say the server listens.
	OnListen func(families.Spec)
	// OnMessage receives every ICMP message the socket reads.
	OnMessage func(ICMPEvent)
}

// ICMPEvent is the report of one ICMP message a listener read.
type ICMPEvent struct {
	Event    EventKind `json:"event"` // EventICMP
	Time     string    `json:"time"`
	From     string    `json:"from"`
	Dst      string    `json:"dst,omitempty"` // the address it was sent to, when known
	TTL      int       `json:"ttl"`           // IPv6: the hop limit
	Type     int       `json:"type"`
	Code     int       `json:"code"`
	TypeName string    `json:"type_name"`
	ID       int       `json:"id,omitempty"`
	Seq      int       `json:"seq,omitempty"`
	Size     int       `json:"size"`
	// BadChecksum is set for an IPv4 message whose ICMP checksum is
	// wrong (the kernel drops those after raw sockets read them; it
	// drops ICMPv6 ones before).
	BadChecksum bool `json:"bad_checksum,omitempty"`
	// Text is ping's wording of an error message, with what it quotes.
	Text    string `json:"text,omitempty"`
	Replied bool   `json:"replied,omitempty"`
	// NotAnswered says why an echo request got no reply from --reply: a
	// reason as ICMPDropped's JSON names it.
	NotAnswered string `json:"not_answered,omitempty"`
	Err         string `json:"error,omitempty"`
}

// ICMPDropped counts the echo requests a replying ServeICMP did not
// answer, by why; the kernel answers none of them either.
type ICMPDropped struct {
	Broadcast   uint64 `json:"broadcast"`    // sent to a broadcast or multicast address
	NotLocal    uint64 `json:"not_local"`    // sent to an address that is not this host's
	BadChecksum uint64 `json:"bad_checksum"` // the ICMP checksum is wrong
	BadSource   uint64 `json:"bad_source"`   // from an unspecified, broadcast or multicast address
}

// Total is the sum of the counts.
func (d ICMPDropped) Total() uint64 { return d.Broadcast + d.NotLocal + d.BadChecksum + d.BadSource }

// ICMPServeStats is what ServeICMP read and answered, for its summary.
type ICMPServeStats struct {
	Event      EventKind     `json:"event"` // EventSummary
	Time       string        `json:"time"`
	Messages   uint64        `json:"messages"`
	Requests   uint64        `json:"echo_requests"`
	Replied    uint64        `json:"replied"`
	SendErrors uint64        `json:"send_errors"`
	Dropped    ICMPDropped   `json:"dropped"`
	Elapsed    time.Duration `json:"-"`
	ElapsedS   float64       `json:"elapsed_s"`
}

// ServeICMP opens a raw ICMP socket that reads every type and reports each
// message until ctx is done, answering echo requests when o.Reply is set.
// It returns what it did; the open error has the fix (CAP_NET_RAW).
func ServeICMP(ctx context.Context, o ICMPServeOptions) (ICMPServeStats, error) {
	if o.IPVersion != 6 {
		o.IPVersion = 4
	}
	c, err := ListenICMP(ICMPConfig{IPVersion: o.IPVersion, Mode: ModeRaw, Bind: o.Bind, AllTypes: true, RecvDst: true})
	if err != nil {
		return ICMPServeStats{}, err
	}
	defer c.Close()
	if o.OnListen != nil {
		o.OnListen(c.Spec())
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	return serveICMP(ctx, c, o)
}

// icmpServer reports what a raw ICMP socket reads, and answers.
type icmpServer struct {
	c    PingConn
	o    ICMPServeOptions
	host *families.HostAddrs
	st   ICMPServeStats
}

// serveICMP reports what c reads, and answers, until ctx is done or c
// fails.
func serveICMP(ctx context.Context, c PingConn, o ICMPServeOptions) (ICMPServeStats, error) {
	s := &icmpServer{c: c, o: o, host: families.NewHostAddrs()}
	start := time.Now()
	err := s.run(ctx)
	s.st.Event, s.st.Elapsed = EventSummary, time.Since(start)
	s.st.Time, s.st.ElapsedS = time.Now().Format(time.RFC3339Nano), s.st.Elapsed.Seconds()
	return s.st, err
}

func (s *icmpServer) run(ctx context.Context) error {
	b := make([]byte, 65536)
	for {
		m, err := s.c.ReadICMP(b)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		ev := s.handle(m, b[:min(m.Size, len(b))])
		if s.o.OnMessage != nil {
			s.o.OnMessage(ev)
		}
	}
}

// handle counts m, whose bytes are wire, answers it if it is an echo
// request --reply answers, and says so in its event.
func (s *icmpServer) handle(m *ICMPMessage, wire []byte) ICMPEvent {
	s.st.Messages++
	ev := newICMPEvent(m)
	ev.BadChecksum = m.Err == nil && badChecksum(m, wire)
	if !s.o.Reply || m.Err != nil || !m.isEchoRequest() || m.From == nil {
		return ev
	}
	s.st.Requests++
	if v := s.verdict(m, ev.BadChecksum); v != icmpAnswer {
		s.st.Dropped.count(v)
		ev.NotAnswered = v.String()
		return ev
	}
	if answerEcho(s.c, m, &ev) {
		s.st.Replied++
	} else {
		s.st.SendErrors++
	}
	return ev
}

// badChecksum reports whether wire, the bytes of m, fail the ICMP
// checksum. Only IPv4's is checked here: an ICMPv6 checksum covers the
// addresses too, and the kernel verifies it before a raw socket reads the
// message.
func badChecksum(m *ICMPMessage, wire []byte) bool {
	return m.IPVersion == 4 && !m.Queued && len(wire) == m.Size && Checksum(wire, 0) != 0
}

// icmpVerdict is whether a replying ServeICMP answers an echo request.
type icmpVerdict uint8

const (
	icmpAnswer icmpVerdict = iota
	icmpBroadcast
	icmpNotLocal
	icmpBadChecksum
	icmpBadSource
)

// String names v as ICMPDropped's JSON does.
func (v icmpVerdict) String() string {
	return [...]string{"", "broadcast", "not_local", "bad_checksum", "bad_source"}[v]
}

func (d *ICMPDropped) count(v icmpVerdict) {
	switch v {
	case icmpBroadcast:
		d.Broadcast++
	case icmpNotLocal:
		d.NotLocal++
	case icmpBadChecksum:
		d.BadChecksum++
	case icmpBadSource:
		d.BadSource++
	}
}

// verdict decides on m, an echo request, as the kernel would: its checksum,
// where it was sent (a message whose destination is unknown is not
// answered), and whether its source can take a reply.
func (s *icmpServer) verdict(m *ICMPMessage, bad bool) icmpVerdict {
	dst, _ := netip.AddrFromSlice(m.Dst)
	src, _ := netip.AddrFromSlice(m.From)
	if bad {
		return icmpBadChecksum
	}
	switch s.host.Kind(dst, m.Time) {
	case families.AddrBroadcast:
		return icmpBroadcast
	case families.AddrOther:
		return icmpNotLocal
	}
	if s.host.BadSource(src, m.Time) {
		return icmpBadSource
	}
	return icmpAnswer
}

func newICMPEvent(m *ICMPMessage) ICMPEvent {
	ev := ICMPEvent{Event: EventICMP, Time: m.Time.Format(time.RFC3339Nano), From: ipString(m.From), Dst: ipString(m.Dst), TTL: m.TTL, Size: m.Size}
	if m.Err != nil {
		ev.Err = m.Err.Error()
		return ev
	}
	ev.Type, ev.Code, ev.TypeName = m.Type, m.Code, m.TypeName
	switch {
	case m.Echo != nil:
		ev.ID, ev.Seq = m.Echo.ID, m.Echo.Seq
	case m.IsError():
		ev.Text = ErrorText(m.IPVersion, m.Type, m.Code, m.Info)
		if m.Quoted != nil {
			ev.ID, ev.Seq = m.Quoted.ID, m.Quoted.Seq
		}
	}
	return ev
}

// answerEcho answers m, an echo request, as the kernel does: a reply with
// its ID, sequence and data, to its sender (on its interface, for a
// link-local one). It reports whether the reply went; ev says
// how that went.
func answerEcho(c PingConn, m *ICMPMessage, ev *ICMPEvent) bool {
	_, reply := echoTypes(m.IPVersion)
	b, err := marshalEcho(reply, m.Echo.ID, m.Echo.Seq, m.Echo.Data)
	if err == nil {
		_, err = c.WriteTo(b, &net.IPAddr{IP: m.From, Zone: m.Zone})
	}
	if err != nil {
		ev.Err = sendError(c.Spec(), m.From.String(), err).Error()
		return false
	}
	ev.Replied = true
	return true
}
