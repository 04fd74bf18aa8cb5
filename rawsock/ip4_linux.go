package rawsock

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/socklab/socklab/families"
	"golang.org/x/net/ipv4"
)

// OpenIP4 opens the IP_HDRINCL socket, socket(AF_INET, SOCK_RAW,
// IPPROTO_RAW): send only, every packet carries the header we built.
func OpenIP4() (families.Conn, error) {
	fd, err := families.Socket(IP4Spec)
	if err != nil {
		return nil, err
	}
	return families.NewConn(fd, IP4Spec, "ip4")
}

// openRawProto opens socket(AF_INET, SOCK_RAW, proto), which receives every
// IPv4 packet of proto, header included.
func openRawProto(proto int) (families.Conn, error) {
	spec := families.NewSpec(families.AF_INET, families.SOCK_RAW, proto)
	fd, err := families.Socket(spec)
	if err != nil {
		return nil, err
	}
	return families.NewConn(fd, spec, "ip4")
}

// RouteSource is the source address the kernel picks for dst: it connects
// a UDP socket, which sends nothing, and reads its address.
func RouteSource(dst netip.Addr) (netip.Addr, error) {
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(dst, 9)))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

// SendIP4 builds p and sends it on the IP_HDRINCL socket. With
// o.ExpectReply it then waits for the answer. It returns the bytes it sent
// (the kernel may still fill in the fields Fields marks).
func SendIP4(ctx context.Context, p IPv4Packet, o IP4SendOptions) (sent []byte, reply *IP4Reply, err error) {
	dst := p.Dst.String()
	if err := p.Validate(); err != nil {
		return nil, nil, &families.Error{Op: "build", Spec: IP4Spec, Addr: dst, Err: err, Hint: "fix that flag"}
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	out, err := OpenIP4()
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	var in families.Conn // where the reply arrives
	var icmpIn *ICMPConn
	if o.ExpectReply {
		switch p.Proto {
		case ProtoUDP:
			src := p.Src
			if !src.IsValid() {
				src = netip.IPv4Unspecified()
			}
			u, err := families.UDP4().Open(families.Options{Addr: netip.AddrPortFrom(src, uint16(p.SrcPort)).String()})
			if err != nil {
				return nil, nil, err
			}
			in = u
			if ua, ok := u.LocalAddr().(*net.UDPAddr); ok {
				p.SrcPort = ua.Port
			}
		case ProtoICMP:
			icmpIn, err = ListenICMP(ICMPConfig{IPVersion: 4, Mode: ModeRaw})
			if err != nil {
				return nil, nil, err
			}
			defer icmpIn.Close()
		default:
			in, err = openRawProto(p.Proto)
			if err != nil {
				return nil, nil, err
			}
		}
		if in != nil {
			defer in.Close()
		}
	}
	if p.Proto == ProtoUDP && (!p.Src.IsValid() || p.Src.IsUnspecified()) {
		// The UDP checksum covers the source address: use the one the
		// kernel would fill in, so the checksum is right on the wire.
		if src, err := RouteSource(p.Dst); err == nil {
			p.Src = src
		}
	}
	if p.Proto == ProtoUDP && p.SrcPort == 0 {
		p.SrcPort = 49152 + RandomID()%16384
	}
	b, err := p.Marshal()
	if err != nil {
		return nil, nil, &families.Error{Op: "build", Spec: IP4Spec, Addr: dst, Err: err}
	}
	if o.BeforeSend != nil {
		o.BeforeSend(b)
	}
	t0 := time.Now()
	if _, err := out.WriteTo(b, &net.IPAddr{IP: net.IP(p.Dst.AsSlice())}); err != nil {
		return b, nil, sendIP4Error(IP4Spec, dst, len(b), err)
	}
	if !o.ExpectReply {
		return b, nil, nil
	}
	deadline := t0.Add(o.Timeout)
	stop := context.AfterFunc(ctx, func() {
		if in != nil {
			in.SetReadDeadline(time.Unix(1, 0))
		}
		if icmpIn != nil {
			icmpIn.SetReadDeadline(time.Unix(1, 0))
		}
	})
	defer stop()
	switch {
	case icmpIn != nil:
		icmpIn.SetReadDeadline(deadline)
		for {
			msg, err := icmpIn.Read()
			if err != nil {
				return b, nil, waitErr(icmpIn.Spec(), dst, o.Timeout, err)
			}
			m, err := DecodeICMP(4, msg.Data)
			if err != nil || m.Echo == nil || m.Type != int(ipv4.ICMPTypeEchoReply) || m.Echo.ID != p.EchoID || m.Echo.Seq != p.EchoSeq {
				continue
			}
			from, _ := netip.AddrFromSlice(msg.From.To4())
			return b, &IP4Reply{From: from, Payload: m.Echo.Data, RTT: msg.Time.Sub(t0)}, nil
		}
	case p.Proto == ProtoUDP:
		in.SetReadDeadline(deadline)
		buf := make([]byte, 65536)
		n, _, addr, err := in.ReadMsg(buf)
		if err != nil {
			return b, nil, waitErr(in.Spec(), in.LocalAddr().String(), o.Timeout, err)
		}
		r := &IP4Reply{Payload: buf[:n], RTT: time.Since(t0)}
		if ua, ok := addr.(*net.UDPAddr); ok {
			r.From, _ = netip.AddrFromSlice(ua.IP.To4())
			r.Port = ua.Port
		}
		return b, r, nil
	default:
		in.SetReadDeadline(deadline)
		buf := make([]byte, 65536)
		for {
			n, _, _, err := in.ReadMsg(buf)
			if err != nil {
				return b, nil, waitErr(in.Spec(), dst, o.Timeout, err)
			}
			d, err := ParseIPv4(buf[:n])
			if err != nil || d.Header.ID == p.ID {
				continue // our own packet, looped back to us
			}
			from, _ := netip.AddrFromSlice(d.Header.Src.To4())
			if from != p.Dst || !bytes.Equal(d.Payload, p.Payload) {
				continue
			}
			d.Payload = append([]byte(nil), d.Payload...)
			return b, &IP4Reply{From: from, Payload: d.Payload, Header: d, RTT: time.Since(t0)}, nil
		}
	}
}

func waitErr(spec families.Spec, addr string, timeout time.Duration, err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return &families.Error{Op: "wait for reply", Spec: spec, Addr: addr, Err: fmt.Errorf("no reply within %v", timeout),
			Hint: "is a server answering there (socklab ip4 serve --proto N, or a UDP echo server)? a longer --timeout?"}
	}
	return err
}

// ServeIP4 receives every IPv4 packet of o.Proto, reports it decoded, and
// echoes it back with a header it builds: addresses swapped, a new ID, TTL
// o.TTL, the same TOS, DF and payload. It ignores the echoes it sent
// itself, which loopback delivers to it too.
func ServeIP4(ctx context.Context, o IP4ServeOptions) error {
	if o.Proto == 0 {
		o.Proto = ProtoExperimental
	}
	if o.TTL == 0 {
		o.TTL = 64
	}
	if o.Proto < 1 || o.Proto > 254 || o.TTL < 1 || o.TTL > 255 {
		return &families.Error{Op: "serve", Spec: families.NewSpec(families.AF_INET, families.SOCK_RAW, o.Proto), Err: fmt.Errorf("protocol %d or TTL %d out of range", o.Proto, o.TTL),
			Hint: "--proto is 1 to 254 (255 cannot receive), --ttl 1 to 255"}
	}
	in, err := openRawProto(o.Proto)
	if err != nil {
		return err
	}
	defer in.Close()
	var out families.Conn
	if !o.NoEcho {
		if out, err = OpenIP4(); err != nil {
			return err
		}
		defer out.Close()
	}
	stop := context.AfterFunc(ctx, func() { in.Close() })
	defer stop()
	// The IDs of our recent replies: loopback hands them to us again.
	var mine [64]int
	for i := range mine {
		mine[i] = -1
	}
	next := 0
	isMine := func(id int) bool {
		for _, m := range mine {
			if m == id {
				return true
			}
		}
		return false
	}
	buf := make([]byte, 65536)
	to := &net.IPAddr{}
	for {
		n, _, _, err := in.ReadMsg(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		now := time.Now()
		d, err := ParseIPv4(buf[:n])
		if err != nil {
			if o.OnPacket != nil {
				o.OnPacket(IP4Event{Event: "packet", Time: now.Format(time.RFC3339Nano), Len: n, Err: err.Error()})
			}
			continue
		}
		h := d.Header
		if isMine(h.ID) {
			continue
		}
		ev := IP4Event{Event: "packet", Time: now.Format(time.RFC3339Nano), Packet: d, Summary: d.String(), Src: h.Src.String(), Dst: h.Dst.String(),
			Proto: h.Protocol, TTL: h.TTL, TOS: h.TOS, ID: h.ID, DF: h.Flags&ipv4.DontFragment != 0, MF: h.Flags&ipv4.MoreFragments != 0,
			FragOff: h.FragOff, Len: h.TotalLen, Payload: len(d.Payload)}
		if out != nil {
			src, _ := netip.AddrFromSlice(h.Dst.To4())
			dst, _ := netip.AddrFromSlice(h.Src.To4())
			id := RandomID()
			for id == h.ID || isMine(id) {
				id = RandomID()
			}
			r := IPv4Packet{Src: src, Dst: dst, TTL: o.TTL, TOS: h.TOS, ID: id, DF: ev.DF, Proto: h.Protocol, Payload: d.Payload}
			if b, err := r.Marshal(); err != nil {
				ev.Err = err.Error()
			} else {
				mine[next] = id
				next = (next + 1) % len(mine)
				to.IP = h.Src
				if _, err := out.WriteTo(b, to); err != nil {
					ev.Err = sendIP4Error(IP4Spec, h.Src.String(), len(b), err).Error()
				} else {
					ev.Echoed, ev.ReplyID = true, id
				}
			}
		}
		if o.OnPacket != nil {
			o.OnPacket(ev)
		}
	}
}
