package rawsock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/ipv4"
)

// ServeIP4 receives every IPv4 packet of o.Proto, reports it decoded, and
// echoes it back with a header it builds: addresses swapped, a new ID, TTL
// o.TTL, the same TOS, DF and payload. It ignores the echoes it sent
// itself, which loopback delivers to it too.
func ServeIP4(ctx context.Context, o IP4ServeOptions) error {
	if err := o.check(); err != nil {
		return err
	}
	in, err := openRawProto(o.Proto)
	if err != nil {
		return err
	}
	defer in.Close()
	s := &ip4Server{o: o}
	if !o.NoEcho {
		out, err := OpenIP4()
		if err != nil {
			return err
		}
		defer out.Close()
		s.send = out.WritePacket
	}
	stop := context.AfterFunc(ctx, func() { in.Close() })
	defer stop()
	return s.run(ctx, in)
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
	o    IP4ServeOptions
	send func(b []byte, dst netip.Addr) error // nil: only report
	mine recentIDs                            // the IDs of our echoes
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

// handle reports b, a packet read at now, and echoes it; ok is false for
// one of our own echoes, which is neither.
func (s *ip4Server) handle(b []byte, now time.Time) (ev IP4Event, ok bool) {
	d, err := ParseIPv4(b)
	if err != nil {
		return IP4Event{Event: EventPacket, Time: now.Format(time.RFC3339Nano), Len: len(b), Err: err.Error()}, true
	}
	if s.mine.has(d.Header.ID) {
		return IP4Event{}, false
	}
	ev = newIP4Event(d, now)
	if s.send != nil {
		s.echo(d, &ev)
	}
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
	id := s.mine.fresh(h.ID)
	r := IPv4Packet{Src: addrOf(h.Dst), Dst: addrOf(h.Src), TTL: s.o.TTL, TOS: h.TOS, ID: id, DF: ev.DF, Proto: h.Protocol, Payload: d.Payload}
	b, err := r.Marshal()
	if err != nil {
		ev.Err = err.Error()
		return
	}
	s.mine.add(id)
	if err := s.send(b, r.Dst); err != nil {
		ev.Err = err.Error()
		return
	}
	ev.Echoed, ev.ReplyID = true, id
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

// fresh is a random ID that is neither not nor a recent one.
func (r *recentIDs) fresh(not int) int {
	for {
		if id := RandomID(); id != not && !r.has(id) {
			return id
		}
	}
}
