package rawsock

import (
	"net"
	"os"

	"github.com/socklab/socklab/families"
)

// ICMP4 is ICMP echo over IPv4: the unprivileged datagram socket
// socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) or the raw one. Open creates
// the type Options.Type names, or tries the datagram socket, then the raw
// one, and returns an *ICMPConn whose datagrams are whole ICMP messages.
// Its ReadMsg skips the copies of its own messages that loopback hands
// back to a raw socket, so that neither a client nor a server reads what
// it sent itself.
func ICMP4() *families.Definition { return icmpDefinition(4) }

// ICMP6 is ICMPv6 echo: socket(AF_INET6, SOCK_DGRAM or SOCK_RAW,
// IPPROTO_ICMPV6). Open returns an *ICMPConn.
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
		var c *ICMPConn
		var err error
		if o.File != nil {
			c, err = adoptICMP(d, o.File)
		} else {
			c, err = ListenICMP(ICMPConfig{IPVersion: v, Mode: modeOfType(o.Type), Bind: o.Addr, AllTypes: true})
		}
		if err != nil {
			return nil, err
		}
		c.skipOwnCopies()
		return c, nil
	}
	d.ResolveAddr = func(s string) (net.Addr, error) { return net.ResolveIPAddr(network, s) }
	d.Probe = func() error { return probeICMP(v) }
	return d
}

// modeOfType is the ICMP socket of a socket type: ModeAuto for 0, the
// family's choice.
func modeOfType(typ int) Mode {
	switch typ {
	case families.SOCK_DGRAM:
		return ModeDgram
	case families.SOCK_RAW:
		return ModeRaw
	}
	return ModeAuto
}

// adoptICMP wraps the ICMP socket in f, a datagram or raw one.
func adoptICMP(d *families.Definition, f *os.File) (*ICMPConn, error) {
	c, err := families.Adopt(d, f)
	if err != nil {
		return nil, err
	}
	return wrapICMP(c), nil
}

// probeICMP tells whether either ICMP socket of ipVersion opens here; if
// neither does, the error holds both reasons.
func probeICMP(ipVersion int) error {
	derr := probe(ICMPSpec(ipVersion, ModeDgram))
	if derr == nil {
		return nil
	}
	rerr := probe(ICMPSpec(ipVersion, ModeRaw))
	if rerr == nil {
		return nil
	}
	return &OpenError{IPVersion: ipVersion, Dgram: derr, Raw: rerr}
}

// IP4 is raw IPv4 with IP_HDRINCL: socket(AF_INET, SOCK_RAW, IPPROTO_RAW),
// where socklab builds the whole IP header. It sends only; ip4 serve
// receives on socket(AF_INET, SOCK_RAW, proto). Open returns an *IP4Conn.
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
			c, err := families.Adopt(d, o.File)
			if err != nil {
				return nil, err
			}
			return &IP4Conn{c}, nil
		}
		c, err := OpenIP4()
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	d.ResolveAddr = func(s string) (net.Addr, error) { return net.ResolveIPAddr("ip4", s) }
	return d
}
