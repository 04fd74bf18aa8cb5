package families

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// IP header fields of the datagrams a socket sends, and its multicast and
// broadcast settings: what socat's ttl/tos/ip-multicast-*, ping's -t -Q -F
// -M and iperf3's --tos and --flowlabel set, for UDP over IPv4 and IPv6.
// SetIPOptions applies them, ReadIPOptions reads back what the kernel holds.

// DFMode is the IP_MTU_DISCOVER (IPV6_MTU_DISCOVER) setting of a socket,
// ping's -M: whether datagrams carry DF and whether the kernel fragments.
type DFMode int

// The DF modes; DFKernel leaves the kernel's choice (net.ipv4.ip_no_pmtu_disc:
// "want" by default).
const (
	DFKernel DFMode = iota
	// DFDont: no DF, the kernel fragments; path MTU discovery is off.
	DFDont
	// DFWant: DF while the datagram fits the path MTU the kernel knows,
	// fragmented locally when it does not.
	DFWant
	// DFDo: DF always; a datagram larger than the known path MTU fails
	// with EMSGSIZE.
	DFDo
	// DFProbe: DF always, ignoring the known path MTU (up to the
	// interface's): what path MTU probing sends.
	DFProbe
)

var dfNames = []string{"", "dont", "want", "do", "probe"}

// ParseDF reads a DF mode: do, want, dont or probe (ping -M's words).
func ParseDF(s string) (DFMode, error) {
	for i, n := range dfNames[1:] {
		if strings.EqualFold(s, n) {
			return DFMode(i + 1), nil
		}
	}
	return DFKernel, fmt.Errorf("unknown DF mode %q: valid are do (DF set, EMSGSIZE past the path MTU), want (DF while it fits, else fragment), dont (no DF, fragment) and probe (DF set, ignore the known path MTU)", s)
}

// String is the mode as ParseDF reads it; "kernel" for DFKernel.
func (m DFMode) String() string {
	if m <= DFKernel || int(m) >= len(dfNames) {
		return "kernel"
	}
	return dfNames[m]
}

// MarshalText spells m for JSON, as String does.
func (m DFMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// The ECN codepoints of the TOS byte's or traffic class's two low bits
// (RFC 3168).
const (
	ECNNotECT = 0
	ECNECT1   = 1
	ECNECT0   = 2
	ECNCE     = 3
)

var ecnNames = [4]string{"not-ect", "ect1", "ect0", "ce"}

// ECNName names the ECN codepoint of a TOS byte: not-ect, ect1, ect0, ce.
func ECNName(tos uint8) string { return ecnNames[tos&3] }

// dscpCanonical are the DSCPs with names (RFC 2474, 2597, 3246, 5865,
// 8622), by the name DSCPName gives them.
var dscpCanonical = []struct {
	name string
	v    uint8
}{
	{"cs0", 0}, {"le", 1}, {"cs1", 8}, {"af11", 10}, {"af12", 12}, {"af13", 14},
	{"cs2", 16}, {"af21", 18}, {"af22", 20}, {"af23", 22}, {"cs3", 24}, {"af31", 26},
	{"af32", 28}, {"af33", 30}, {"cs4", 32}, {"af41", 34}, {"af42", 36}, {"af43", 38},
	{"cs5", 40}, {"va", 44}, {"ef", 46}, {"cs6", 48}, {"cs7", 56},
}

// dscpAliases are other names ParseTOS takes.
var dscpAliases = map[string]uint8{"be": 0, "default": 0, "voice-admit": 44}

// lookupDSCP is the DSCP of a name, and whether it has one.
func lookupDSCP(s string) (uint8, bool) {
	if v, ok := dscpAliases[s]; ok {
		return v, true
	}
	for _, d := range dscpCanonical {
		if d.name == s {
			return d.v, true
		}
	}
	return 0, false
}

// DSCPName names the DSCP of a TOS byte (ef, af41, cs6...), or gives its
// number.
func DSCPName(tos uint8) string {
	for _, d := range dscpCanonical {
		if d.v == tos>>2 {
			return d.name
		}
	}
	return "dscp " + strconv.Itoa(int(tos>>2))
}

// TOSString spells a TOS byte or traffic class for people: "0xb8 (ef, not-ect)".
func TOSString(tos uint8) string {
	return fmt.Sprintf("0x%02x (%s, %s)", tos, DSCPName(tos), ECNName(tos))
}

// errTOS says what a TOS value may be.
func errTOS(s string) error {
	return fmt.Errorf("TOS %q: want a number 0-255 (0x.. for hex), a DSCP name (be, le, cs0-cs7, af11-af43, ef, va), an ECN name (not-ect, ect0, ect1, ce), or a DSCP and an ECN name: ef,ect0", s)
}

// ParseTOS reads a TOS byte (IPv4) or traffic class (IPv6): a number from
// 0 to 255, a DSCP name (ef, af41, cs6), an ECN name (ect0, ect1, ce,
// not-ect), or a DSCP name and an ECN name joined by a comma or a plus:
// "ef,ect0".
func ParseTOS(s string) (uint8, error) {
	if v, err := strconv.ParseUint(s, 0, 8); err == nil {
		return uint8(v), nil
	}
	var tos uint8
	var haveDSCP, haveECN bool
	for _, part := range strings.Split(strings.ReplaceAll(strings.ToLower(s), "+", ","), ",") {
		part = strings.NewReplacer("(", "", ")", "", "_", "-").Replace(part)
		if d, ok := lookupDSCP(part); ok && !haveDSCP {
			tos, haveDSCP = tos|d<<2, true
			continue
		}
		if e := ecnIndex(part); e >= 0 && !haveECN {
			tos, haveECN = tos|uint8(e), true
			continue
		}
		return 0, errTOS(s)
	}
	if !haveDSCP && !haveECN {
		return 0, errTOS(s)
	}
	return tos, nil
}

// ecnIndex is the codepoint of an ECN name, -1 for none.
func ecnIndex(s string) int {
	for i, n := range ecnNames {
		if s == n || s == strings.ReplaceAll(n, "-", "") {
			return i
		}
	}
	return -1
}

// ParseTTL reads a TTL or hop limit: 1 to 255 (0 only for multicast,
// when zero is true: the datagram stays on this host).
func ParseTTL(s string, zero bool) (int, error) {
	v, err := strconv.Atoi(s)
	lo := 1
	if zero {
		lo = 0
	}
	if err != nil || v < lo || v > 255 {
		return 0, fmt.Errorf("TTL %q: want a number from %d to 255", s, lo)
	}
	return v, nil
}

// MaxFlowLabel is the largest IPv6 flow label: it has 20 bits.
const MaxFlowLabel = 0xfffff

// ParseFlowLabel reads an IPv6 flow label: 1 to 0xfffff, decimal or hex.
func ParseFlowLabel(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil || v < 1 || v > MaxFlowLabel {
		return 0, fmt.Errorf("flow label %q: want a number from 1 to 0xfffff (20 bits; 0 means none)", s)
	}
	return uint32(v), nil
}

// IPOptions are header fields and multicast settings for a socket's
// datagrams. The zero value changes nothing: each field left zero (nil)
// keeps the kernel's default.
type IPOptions struct {
	// TTL is IP_TTL, or IPV6_UNICAST_HOPS on IPv6: 1 to 255.
	TTL int
	// TOS is IP_TOS, or IPV6_TCLASS on IPv6: DSCP and ECN (see ParseTOS).
	TOS *uint8
	// FlowLabel is the IPv6 flow label (1 to 0xfffff) of datagrams sent to
	// addresses made with FlowAddr; FlowDst is the destination it is for,
	// which Linux's flow label manager wants named.
	FlowLabel uint32
	FlowDst   netip.Addr
	// DF is IP_MTU_DISCOVER or IPV6_MTU_DISCOVER.
	DF DFMode
	// Broadcast sets SO_BROADCAST, without which the kernel refuses to
	// send to a broadcast address (EACCES). IPv4 only.
	Broadcast bool
	// MulticastTTL is IP_MULTICAST_TTL or IPV6_MULTICAST_HOPS (the
	// kernel's default is 1: the local link).
	MulticastTTL *int
	// MulticastLoop is IP_MULTICAST_LOOP or IPV6_MULTICAST_LOOP: whether
	// this host's own sockets joined to a group hear what it sends there
	// (on by default).
	MulticastLoop *bool
	// MulticastIf is the interface multicast datagrams leave by
	// (IP_MULTICAST_IF, IPV6_MULTICAST_IF); empty: the route's.
	MulticastIf string
}

// IPOptionsRead is what the kernel holds for a socket's IP options, read
// back with getsockopt: the effective values, defaults included.
type IPOptionsRead struct {
	TTL           int    `json:"ttl"`
	TOS           uint8  `json:"tos"`
	DF            DFMode `json:"df"`
	Broadcast     bool   `json:"broadcast"`
	MulticastTTL  int    `json:"mcast_ttl"`
	MulticastLoop bool   `json:"mcast_loop"`
	// MulticastIf is the interface multicast leaves by, "" for the route's.
	MulticastIf string `json:"mcast_if"`
	// FlowInfoSend is IPV6_FLOWINFO_SEND: destinations' flow labels are used.
	FlowInfoSend bool `json:"flowinfo_send,omitempty"`
}

// Group is a multicast group to join, on an interface or on the one the
// kernel routes the group to (Iface empty).
type Group struct {
	Addr  netip.Addr
	Iface string
}

// String spells g as ParseGroup reads it: "239.1.2.3%eth0".
func (g Group) String() string {
	if g.Iface == "" {
		return g.Addr.String()
	}
	return g.Addr.String() + "%" + g.Iface
}

// ParseGroup reads GROUP[%IFACE]: an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8)
// multicast address and, optionally, the interface to join it on.
func ParseGroup(s string) (Group, error) {
	addr, iface, _ := strings.Cut(s, "%")
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return Group{}, fmt.Errorf("group %q: want a multicast address, 224.0.0.0/4 or ff00::/8, optionally %%IFACE", s)
	}
	if !a.IsMulticast() {
		return Group{}, fmt.Errorf("group %q: %s is not a multicast address: IPv4 groups are 224.0.0.0 to 239.255.255.255, IPv6 groups ff00::/8", s, a)
	}
	return Group{Addr: a, Iface: iface}, nil
}

// FlowAddr is a UDP peer address with the IPv6 flow label its datagrams
// carry (sin6_flowinfo): sending to it, or connecting to it, labels the
// datagrams of a socket that holds the label (IPOptions.FlowLabel).
type FlowAddr struct {
	*net.UDPAddr
	Label uint32
}

// LookupInterface finds a network interface by name, or by index given as
// a number; the error lists the interfaces there are.
func LookupInterface(name string) (*net.Interface, error) {
	if i, err := strconv.Atoi(name); err == nil {
		if ifi, err := InterfaceByIndex(i); err == nil {
			return ifi, nil
		}
	} else if ifi, err := InterfaceByName(name); err == nil {
		return ifi, nil
	}
	var names []string
	ifs, _ := Interfaces()
	for _, ifi := range ifs {
		names = append(names, ifi.Name)
	}
	return nil, fmt.Errorf("no interface %q here: the interfaces are %s (ip link)", name, strings.Join(names, ", "))
}
