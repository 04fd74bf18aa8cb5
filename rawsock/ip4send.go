package rawsock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// SendIP4 builds p and sends it on the IP_HDRINCL socket. With
// o.ExpectReply it then waits for the answer. It returns the bytes it sent
// (the kernel may still fill in the fields Fields marks).
func SendIP4(ctx context.Context, p IPv4Packet, o IP4SendOptions) (sent []byte, reply *IP4Reply, err error) {
	if err := p.Validate(); err != nil {
		return nil, nil, &families.Error{Op: "build", Spec: IP4Spec, Addr: p.Dst.String(), Err: err, Hint: "fix that field of the packet"}
	}
	out, err := OpenIP4()
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	var w *replyWaiter
	if o.ExpectReply {
		if w, err = listenForReply(&p); err != nil {
			return nil, nil, err
		}
		defer w.conn.Close()
	}
	fillUDPSource(&p)
	b, err := p.Marshal()
	if err != nil {
		return nil, nil, &families.Error{Op: "build", Spec: IP4Spec, Addr: p.Dst.String(), Err: err}
	}
	if o.BeforeSend != nil {
		o.BeforeSend(b)
	}
	t0 := time.Now()
	if err := out.WritePacket(b, p.Dst); err != nil {
		return b, nil, err
	}
	if w == nil {
		return b, nil, nil
	}
	reply, err = w.wait(ctx, t0, o.timeout())
	return b, reply, err
}

// fillUDPSource gives a UDP packet the source address the kernel would
// fill in, since the UDP checksum covers it, and a random ephemeral source
// port when it has none.
func fillUDPSource(p *IPv4Packet) {
	if p.Proto != ProtoUDP {
		return
	}
	if !p.Src.IsValid() || p.Src.IsUnspecified() {
		if src, err := RouteSource(p.Dst); err == nil {
			p.Src = src
		}
	}
	if p.SrcPort == 0 {
		p.SrcPort = 49152 + RandomID()%16384
	}
}

// replyWaiter reads the answer to one packet SendIP4 sent: the first
// message on conn that match turns into a reply.
type replyWaiter struct {
	conn  families.Conn
	addr  string // the address named when no reply comes
	match func(b []byte, from net.Addr) *IP4Reply
}

// listenForReply opens the socket the answer to p arrives on, before p is
// sent: a UDP socket on p's source port (which it fills in when 0), a raw
// ICMP socket, or a raw socket of p's protocol.
func listenForReply(p *IPv4Packet) (*replyWaiter, error) {
	switch p.Proto {
	case ProtoUDP:
		return listenUDPReply(p)
	case ProtoICMP:
		c, err := ListenICMP(ICMPConfig{IPVersion: 4, Mode: ModeRaw})
		if err != nil {
			return nil, err
		}
		return &replyWaiter{conn: c, addr: p.Dst.String(), match: echoReplyTo(*p)}, nil
	}
	c, err := openRawProto(p.Proto)
	if err != nil {
		return nil, err
	}
	return &replyWaiter{conn: c, addr: p.Dst.String(), match: echoedBack(*p)}, nil
}

// listenUDPReply binds an ordinary UDP socket to p's source, so the kernel
// delivers the reply there instead of answering port unreachable. With
// IP_RECVERR the socket also hears the port unreachable that comes back
// when nothing listens at p's destination: the wait ends at once.
func listenUDPReply(p *IPv4Packet) (*replyWaiter, error) {
	src := p.Src
	if !src.IsValid() {
		src = netip.IPv4Unspecified()
	}
	c, err := families.UDP4().Open(families.Options{Addr: netip.AddrPortFrom(src, uint16(p.SrcPort)).String()})
	if err != nil {
		return nil, err
	}
	if ua, ok := c.LocalAddr().(*net.UDPAddr); ok {
		p.SrcPort = ua.Port
	}
	families.ReportICMPErrors(c)
	dst := netip.AddrPortFrom(p.Dst, uint16(p.DstPort)).String()
	return &replyWaiter{conn: c, addr: dst, match: anyDatagram}, nil
}

// wait reads until a reply matches, timeout after t0, or ctx is done.
func (w *replyWaiter) wait(ctx context.Context, t0 time.Time, timeout time.Duration) (*IP4Reply, error) {
	w.conn.SetReadDeadline(t0.Add(timeout))
	stop := context.AfterFunc(ctx, func() { w.conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	buf := make([]byte, 65536)
	for {
		n, _, from, err := w.conn.ReadMsg(buf)
		if err != nil {
			return nil, waitError(w.conn.Spec(), w.addr, timeout, err)
		}
		if r := w.match(buf[:n], from); r != nil {
			r.RTT = time.Since(t0)
			return r, nil
		}
	}
}

// waitError is a wait for the reply from addr, the destination, that
// ended with err instead.
func waitError(spec families.Spec, addr string, timeout time.Duration, err error) error {
	e := &families.Error{Op: "wait for reply", Spec: spec, Addr: addr, Err: families.Cause(err)}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		e.Err = fmt.Errorf("no reply within %v", timeout)
		e.Hint = "is a server answering there (an ip4 echo server for the protocol, or a UDP echo server)? a longer timeout?"
		e.Terms = []families.Term{families.TermTimeout}
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Hint = "nothing listens on that UDP port: the kernel there answered port unreachable"
	}
	return e
}

// anyDatagram takes the first datagram to the UDP socket as the reply: the
// kernel delivered it because it was addressed to our port.
func anyDatagram(b []byte, from net.Addr) *IP4Reply {
	r := &IP4Reply{Payload: b}
	if ua, ok := from.(*net.UDPAddr); ok {
		r.From, r.Port = addrOf(ua.IP), ua.Port
	}
	return r
}

// echoReplyTo matches the echo reply to p's echo request, an ICMP message
// as an ICMPConn reads it: same ID and sequence.
func echoReplyTo(p IPv4Packet) func([]byte, net.Addr) *IP4Reply {
	return func(b []byte, from net.Addr) *IP4Reply {
		m, err := DecodeICMP(4, b)
		if err != nil || !m.isEchoReply() || m.Echo.ID != p.EchoID || m.Echo.Seq != p.EchoSeq {
			return nil
		}
		return &IP4Reply{From: addrOf(ipOf(from)), Payload: m.Echo.Data}
	}
}

// echoedBack matches what ip4 serve sends back for p, a whole packet as a
// raw socket reads it: one of p's protocol from p's destination with p's
// payload, and not p itself, which a raw socket reads too when p went to
// an address of this host. An echo that carries ip4 serve's mark (see
// echoMark) is one. Otherwise p's own copy is told by its ID, which is
// possible only when p had one: with ID 0 and DF clear the kernel picked
// it, and only a marked echo is taken.
func echoedBack(p IPv4Packet) func([]byte, net.Addr) *IP4Reply {
	kernelID := p.ID == 0 && !p.DF
	return func(b []byte, _ net.Addr) *IP4Reply {
		d, err := ParseIPv4(b)
		if err != nil {
			return nil
		}
		from := addrOf(d.Header.Src)
		if from != p.Dst || !bytes.Equal(d.Payload, p.Payload) {
			return nil
		}
		if !hasEchoMark(d) && (kernelID || d.Header.ID == p.ID) {
			return nil
		}
		return &IP4Reply{From: from, Payload: d.Payload, Header: d}
	}
}

// addrOf is ip as an IPv4 netip.Addr (the zero Addr for nil).
func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip.To4())
	return a
}
