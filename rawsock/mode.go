package rawsock

import (
	"fmt"
	"net"

	"github.com/socklab/socklab/families"
)

// Mode chooses the ICMP socket: the unprivileged datagram socket, the raw
// socket, or the first of the two that opens.
type Mode int

// The ICMP socket modes.
const (
	ModeAuto  Mode = iota // try dgram, then raw
	ModeDgram             // socket(AF_INET[6], SOCK_DGRAM, IPPROTO_ICMP[V6])
	ModeRaw               // socket(AF_INET[6], SOCK_RAW, IPPROTO_ICMP[V6])
)

// String is the mode's name as --mode takes it.
func (m Mode) String() string {
	switch m {
	case ModeDgram:
		return "dgram"
	case ModeRaw:
		return "raw"
	}
	return "auto"
}

// ParseMode reads "auto", "dgram" or "raw".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "", "auto":
		return ModeAuto, nil
	case "dgram", "datagram":
		return ModeDgram, nil
	case "raw":
		return ModeRaw, nil
	}
	return 0, fmt.Errorf("unknown ICMP socket mode %q: valid are auto, dgram, raw", s)
}

// ICMPSpec is the socket() triple of an ICMP socket of ipVersion (4 or 6)
// in mode m (ModeDgram or ModeRaw).
func ICMPSpec(ipVersion int, m Mode) families.Spec {
	typ := families.SOCK_RAW
	if m == ModeDgram {
		typ = families.SOCK_DGRAM
	}
	if ipVersion == 6 {
		return families.NewSpec(families.AF_INET6, typ, families.IPPROTO_ICMPV6)
	}
	return families.NewSpec(families.AF_INET, typ, families.IPPROTO_ICMP)
}

// ICMPConfig says how to open an ICMP socket.
type ICMPConfig struct {
	IPVersion int  // 4 or 6
	Mode      Mode // ModeAuto tries dgram, then raw
	// ID is the echo identifier. A datagram socket binds it as its port
	// (the kernel puts the port in every echo it sends), 0 lets the kernel
	// choose. A raw socket sends it as given.
	ID int
	// Bind is a local address to bind ("" for any).
	Bind string
	// TTL sets IP_TTL or IPV6_UNICAST_HOPS when non-zero.
	TTL int
	// IP sets the header fields of what the socket sends, when not the
	// zero value: the TOS or traffic class, DF, the IPv6 flow label (see
	// ICMPConn.SetIPOptions).
	IP families.IPOptions
	// AllTypes receives every ICMP type on a raw socket; otherwise the
	// socket filters to echo replies and errors, so a pinger on loopback
	// does not read its own echo requests.
	AllTypes bool
	// RecvDst reports each message's destination address
	// (ICMPMessage.Dst): a raw IPv4 socket has it in the header, IPv6
	// asks the kernel for IPV6_PKTINFO.
	RecvDst bool
}

// check validates cfg for a socket of spec, and returns the address to
// bind: nil for any.
func (cfg ICMPConfig) check(spec families.Spec) (net.IP, error) {
	var ip net.IP
	if cfg.Bind != "" {
		ip = net.ParseIP(cfg.Bind)
		if ip == nil || (cfg.IPVersion == 4) != (ip.To4() != nil) {
			return nil, &families.Error{Op: "bind", Spec: spec, Addr: cfg.Bind, Err: fmt.Errorf("not an IPv%d address", cfg.IPVersion), Hint: "give a local address of this host, e.g. from ip addr"}
		}
	}
	if cfg.ID < 0 || cfg.ID > 65535 {
		return nil, &families.Error{Op: "bind", Spec: spec, Addr: cfg.Bind, Err: fmt.Errorf("echo id %d out of range", cfg.ID), Hint: "an echo id is 0 to 65535"}
	}
	return ip, nil
}
