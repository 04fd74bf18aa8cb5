package rawsock

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/ipv4"
)

// ServeIP4 receives every IPv4 packet of o.Proto, reports it decoded, and
// echoes it back with a header it builds: addresses swapped, the echo mark
// as ID (see echoMark), TTL o.TTL, the same TOS, DF and payload. It echoes
// only packets sent to one of this host's unicast addresses, from an
// address an echo can go to, that are not echoes themselves; it skips its
// own echoes, which loopback hands back to it. It returns what it did.
func ServeIP4(ctx context.Context, o IP4ServeOptions) (IP4ServeStats, error) {
	if err := o.check(); err != nil {
		return IP4ServeStats{}, err
	}
	in, err := openRawProto(o.Proto)
	if err != nil {
		return IP4ServeStats{}, err
	}
	defer in.Close()
	s := newIP4Server(o)
	if !o.NoEcho {
		out, err := OpenIP4()
		if err != nil {
			return IP4ServeStats{}, err
		}
		defer out.Close()
		s.send = out.WritePacket
	}
	if o.OnListen != nil {
		o.OnListen(in.Spec())
	}
	stop := context.AfterFunc(ctx, func() { in.Close() })
	defer stop()
	start := time.Now()
	err = s.run(ctx, in)
	return s.stats(start), err
}

// check fills in o's defaults and checks its ranges.
func (o *IP4ServeOptions) check() error {
	if o.Proto == 0 {
		o.Proto = ProtoExperimental
	}
	if o.TTL == 0 {
		o.TTL = 64
	}
	if o.Proto < 1 || o.Proto > 254 || o.TTL < 1 || o.TTL > 255 {
		return &families.Error{Op: "serve", Spec: families.NewSpec(families.AF_INET, families.SOCK_RAW, o.Proto), Err: fmt.Errorf("protocol %d or TTL %d out of range", o.Proto, o.TTL),
			Hint: "the protocol is 1 to 254 (255 cannot receive), the TTL 1 to 255", Terms: []families.Term{families.TermProto, families.TermTTL}}
	}
	return nil
}

// ip4Server reports and echoes the packets ServeIP4 reads.
type ip4Server struct {
	o     IP4ServeOptions
	send  func(b []byte, dst netip.Addr) error // nil: only report
	mine  recentIDs                            // the IDs of our echoes
	host  *families.HostAddrs
	loops repeats
	st    IP4ServeStats
}

func newIP4Server(o IP4ServeOptions) *ip4Server {
	return &ip4Server{o: o, host: families.NewHostAddrs()}
}

func (s *ip4Server) run(ctx context.Context, in families.Conn) error {
	buf := make([]byte, 65536)
	for {
		n, _, _, err := in.ReadMsg(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		if ev, ok := s.handle(buf[:n], time.Now()); ok && s.o.OnPacket != nil {
			s.o.OnPacket(ev)
		}
	}
}

// stats is the summary of a server that started at start.
func (s *ip4Server) stats(start time.Time) IP4ServeStats {
	st := s.st
	st.Event, st.Elapsed = EventSummary, time.Since(start)
	st.Time, st.ElapsedS = time.Now().Format(time.RFC3339Nano), st.Elapsed.Seconds()
	return st
}

// handle reports b, a packet read at now, and echoes it if it may; ok is
// false for one of our own echoes, which is neither.
func (s *ip4Server) handle(b []byte, now time.Time) (ev IP4Event, ok bool) {
	d, err := ParseIPv4(b)
	if err != nil {
		s.st.Packets++
		s.st.Malformed++
		return IP4Event{Event: EventPacket, Time: now.Format(time.RFC3339Nano), Len: len(b), Err: err.Error()}, true
	}
	if s.ownEcho(d) {
		s.st.OwnEchoes++
		return IP4Event{}, false
	}
	s.st.Packets++
	ev = newIP4Event(d, now)
	if s.send == nil {
		return ev, true
	}
	if v := s.verdict(d, now); v != ip4Echo {
		s.st.Dropped.count(v)
		ev.NotEchoed = v.String()
		return ev, true
	}
	s.echo(d, &ev)
	return ev, true
}

func newIP4Event(d *DecodedIPv4, now time.Time) IP4Event {
	h := d.Header
	return IP4Event{Event: EventPacket, Time: now.Format(time.RFC3339Nano), Packet: d, Summary: d.String(), Src: h.Src.String(), Dst: h.Dst.String(),
		Proto: h.Protocol, TTL: h.TTL, TOS: h.TOS, ID: h.ID, DF: h.Flags&ipv4.DontFragment != 0, MF: h.Flags&ipv4.MoreFragments != 0,
		FragOff: h.FragOff, Len: h.TotalLen, Payload: len(d.Payload)}
}

// echo sends d back to its source with a header of ours, and notes the
// outcome in ev.
func (s *ip4Server) echo(d *DecodedIPv4, ev *IP4Event) {
	h := d.Header
	r := IPv4Packet{Src: addrOf(h.Dst), Dst: addrOf(h.Src), TTL: s.o.TTL, TOS: h.TOS, DF: ev.DF, Proto: h.Protocol, Payload: d.Payload}
	r.ID = echoMark(r.Src, r.Dst, r.Proto, r.Payload)
	b, err := r.marshalVerbatim()
	if err == nil {
		s.mine.add(r.ID)
		err = s.send(b, r.Dst)
	}
	if err != nil {
		s.st.SendErrors++
		ev.Err = err.Error()
		return
	}
	s.st.Echoed++
	ev.Echoed, ev.ReplyID = true, r.ID
}

// marshalVerbatim is p's IPv4 header, then p.Payload as it is, whatever
// the protocol: an echo sends back the transport header it received
// (Marshal would build a UDP header or an ICMP echo request around it).
func (p IPv4Packet) marshalVerbatim() ([]byte, error) {
	proto := p.Proto
	p.Proto = ProtoExperimental // no header of ours after the IP header
	b, err := p.Marshal()
	if err != nil {
		return nil, err
	}
	b[9] = byte(proto)
	binary.BigEndian.PutUint16(b[10:], 0)
	binary.BigEndian.PutUint16(b[10:], Checksum(b[:ipv4.HeaderLen], 0))
	return b, nil
}

// recentIDs holds the IP IDs of the last packets ServeIP4 sent, which
// loopback hands back to its raw socket.
type recentIDs struct {
	ids     [64]int
	n, next int
}

func (r *recentIDs) add(id int) {
	r.ids[r.next] = id
	r.next = (r.next + 1) % len(r.ids)
	r.n = min(r.n+1, len(r.ids))
}

func (r *recentIDs) has(id int) bool {
	for _, m := range r.ids[:r.n] {
		if m == id {
			return true
		}
	}
	return false
}
