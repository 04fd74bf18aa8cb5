package rawsock

import (
	"errors"
	"net"
	"syscall"

	"github.com/socklab/socklab/families"
)

// ICMP4 is ICMP echo over IPv4: the unprivileged datagram socket
// socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) or the raw one. Open tries the
// datagram socket, then the raw one.
func ICMP4() *families.Definition { return icmpDefinition(4) }

// ICMP6 is ICMPv6 echo: socket(AF_INET6, SOCK_DGRAM or SOCK_RAW,
// IPPROTO_ICMPV6).
func ICMP6() *families.Definition { return icmpDefinition(6) }

func icmpDefinition(v int) *families.Definition {
	d := &families.Definition{
		Name:        "icmp4",
		Summary:     "ICMP echo over IPv4 (dgram: ping_group_range; raw: CAP_NET_RAW)",
		Spec:        ICMPSpec(v, ModeRaw),
		Also:        []families.Spec{ICMPSpec(v, ModeDgram)},
		Network:     "ip4:icmp",
		Privileged:  true,
		DefaultAddr: "127.0.0.1",
	}
	network := "ip4"
	if v == 6 {
		d.Name, d.Summary, d.Network, d.DefaultAddr, network = "icmp6", "ICMPv6 echo (dgram: ping_group_range; raw: CAP_NET_RAW)", "ip6:ipv6-icmp", "::1", "ip6"
	}
	d.Open = func(o families.Options) (families.Conn, error) {
		if o.File != nil {
			c, err := families.Adopt(d, o.File)
			if err != nil {
				return nil, err
			}
			if c.Spec().Type == families.SOCK_DGRAM {
				return dgramICMPConn{c}, nil
			}
			return c, nil
		}
		c, err := ListenICMP(ICMPConfig{IPVersion: v, Mode: ModeAuto, Bind: o.Addr, AllTypes: true})
		if err != nil {
			return nil, err
		}
		if c.Mode() == ModeDgram {
			return dgramICMPConn{c.Conn()}, nil
		}
		return c.Conn(), nil
	}
	d.ResolveAddr = func(s string) (net.Addr, error) { return net.ResolveIPAddr(network, s) }
	d.Probe = func() error {
		derr := probe(ICMPSpec(v, ModeDgram))
		if derr == nil {
			return nil
		}
		rerr := probe(ICMPSpec(v, ModeRaw))
		if rerr == nil {
			return nil
		}
		return &OpenError{IPVersion: v, Dgram: derr, Raw: rerr}
	}
	return d
}

// dgramICMPConn lets a datagram ICMP socket, which Go sees as UDP, take
// the *net.IPAddr every ICMP family user passes.
type dgramICMPConn struct{ families.Conn }

// WriteTo sends b to addr, an *net.IPAddr or *net.UDPAddr.
func (c dgramICMPConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if ia, ok := addr.(*net.IPAddr); ok {
		addr = &net.UDPAddr{IP: ia.IP, Zone: ia.Zone}
	}
	return c.Conn.WriteTo(b, addr)
}

// SyscallConn exposes the descriptor, as every families Conn does.
func (c dgramICMPConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.New("no descriptor")
	}
	return sc.SyscallConn()
}

// IP4 is raw IPv4 with IP_HDRINCL: socket(AF_INET, SOCK_RAW, IPPROTO_RAW),
// where socklab builds the whole IP header. It sends only; ip4 serve
// receives on socket(AF_INET, SOCK_RAW, proto).
func IP4() *families.Definition {
	d := &families.Definition{
		Name:        "ip4",
		Summary:     "raw IPv4, header built by socklab (IP_HDRINCL; CAP_NET_RAW)",
		Spec:        IP4Spec,
		Network:     "ip4",
		Privileged:  true,
		DefaultAddr: "127.0.0.1",
	}
	d.Open = func(o families.Options) (families.Conn, error) {
		if o.File != nil {
			return families.Adopt(d, o.File)
		}
		return OpenIP4()
	}
	d.ResolveAddr = func(s string) (net.Addr, error) { return net.ResolveIPAddr("ip4", s) }
	return d
}
