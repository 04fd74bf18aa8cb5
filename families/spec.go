package families

import (
	"fmt"
	"strconv"
	"strings"
)

// Socket constants as Linux numbers them. They are spelled out here, not taken
// from x/sys/unix, so that the parser and the tables build on every GOOS.
const (
	AF_UNIX  = 1
	AF_INET  = 2
	AF_INET6 = 10

	SOCK_STREAM    = 1
	SOCK_DGRAM     = 2
	SOCK_RAW       = 3
	SOCK_SEQPACKET = 5

	IPPROTO_IP     = 0
	IPPROTO_ICMP   = 1
	IPPROTO_TCP    = 6
	IPPROTO_UDP    = 17
	IPPROTO_ICMPV6 = 58
	IPPROTO_SCTP   = 132
	IPPROTO_RAW    = 255
	// IPPROTO_MPTCP is Linux's Multipath TCP: a socket protocol, not an
	// IP protocol number (its packets are TCP). Go's net listens with it
	// by default since Go 1.24.
	IPPROTO_MPTCP = 262
)

// Spec mirrors socket(family, type, proto) and Python's fileno argument: it
// names the kind of socket to create, or the descriptor to adopt.
type Spec struct {
	Family int // AF_*
	Type   int // SOCK_*
	Proto  int // IPPROTO_* or 0 for the family's default
	Fileno int // an open descriptor to adopt; -1 creates a new socket
}

// NewSpec returns the Spec of a new socket (Fileno -1).
func NewSpec(family, typ, proto int) Spec {
	return Spec{Family: family, Type: typ, Proto: proto, Fileno: -1}
}

// String formats s as the socket() call that makes it, e.g.
// "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)", with the fileno when adopted.
func (s Spec) String() string {
	t := fmt.Sprintf("socket(%s, %s, %s)", FamilyName(s.Family), TypeName(s.Type), ProtoName(s.Family, s.Proto))
	if s.Fileno >= 0 {
		t += fmt.Sprintf(" fd %d", s.Fileno)
	}
	return t
}

// Triple formats the three names without the call, e.g.
// "AF_INET6 SOCK_DGRAM IPPROTO_UDP".
func (s Spec) Triple() string {
	return FamilyName(s.Family) + " " + TypeName(s.Type) + " " + ProtoName(s.Family, s.Proto)
}

type name struct {
	num     int
	primary string
	aliases []string
}

var familyNames = []name{
	{AF_UNIX, "AF_UNIX", []string{"unix", "local", "af_local"}},
	{AF_INET, "AF_INET", []string{"inet", "inet4", "ipv4", "ip4"}},
	{AF_INET6, "AF_INET6", []string{"inet6", "ipv6", "ip6"}},
}

var typeNames = []name{
	{SOCK_STREAM, "SOCK_STREAM", []string{"stream"}},
	{SOCK_DGRAM, "SOCK_DGRAM", []string{"dgram", "datagram"}},
	{SOCK_RAW, "SOCK_RAW", []string{"raw"}},
	{SOCK_SEQPACKET, "SOCK_SEQPACKET", []string{"seqpacket"}},
}

var protoNames = []name{
	{IPPROTO_ICMP, "IPPROTO_ICMP", []string{"icmp"}},
	{IPPROTO_UDP, "IPPROTO_UDP", []string{"udp"}},
	{IPPROTO_ICMPV6, "IPPROTO_ICMPV6", []string{"icmpv6", "icmp6", "ipv6-icmp"}},
	{IPPROTO_RAW, "IPPROTO_RAW", []string{"raw"}},
	{IPPROTO_TCP, "IPPROTO_TCP", []string{"tcp"}},
	{IPPROTO_SCTP, "IPPROTO_SCTP", []string{"sctp"}},
	{253, "IPPROTO_253", []string{"experimental", "exp1"}},
	{IPPROTO_MPTCP, "IPPROTO_MPTCP", []string{"mptcp"}},
}

func lookupName(table []name, s, what string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	for _, e := range table {
		if strings.EqualFold(s, e.primary) {
			return e.num, nil
		}
		for _, a := range e.aliases {
			if strings.EqualFold(s, a) {
				return e.num, nil
			}
		}
	}
	var valid []string
	for _, e := range table {
		valid = append(valid, e.aliases[0]+" ("+e.primary+")")
	}
	return 0, fmt.Errorf("unknown %s %q: valid are %s, or a number", what, s, strings.Join(valid, ", "))
}

func nameOf(table []name, n int) string {
	for _, e := range table {
		if e.num == n {
			return e.primary
		}
	}
	return strconv.Itoa(n)
}

// ParseFamily reads an address family: "inet6", "AF_INET6" or a number.
func ParseFamily(s string) (int, error) { return lookupName(familyNames, s, "address family") }

// ParseType reads a socket type: "dgram", "SOCK_DGRAM" or a number.
func ParseType(s string) (int, error) { return lookupName(typeNames, s, "socket type") }

// ParseProto reads a protocol: "", "0", "udp", "IPPROTO_UDP" or a number.
func ParseProto(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := lookupName(protoNames, s, "protocol")
	if err == nil && n == IPPROTO_MPTCP {
		return 0, fmt.Errorf("protocol %s: Multipath TCP sockets are adopted as tcp4 and tcp6 (an inherited descriptor), and TCP ones created", nameOf(protoNames, n))
	}
	if err == nil && n > 255 {
		return 0, fmt.Errorf("protocol %d out of range: an IP protocol number is 0 to 255", n)
	}
	return n, err
}

// FamilyName is the AF_ name of family, or its number.
func FamilyName(family int) string { return nameOf(familyNames, family) }

// TypeName is the SOCK_ name of typ, or its number.
func TypeName(typ int) string { return nameOf(typeNames, typ) }

// ProtoName is the IPPROTO_ name of proto, "0" for AF_UNIX's only protocol.
func ProtoName(family, proto int) string {
	if proto == 0 {
		return "0"
	}
	if family == AF_UNIX {
		return strconv.Itoa(proto)
	}
	return nameOf(protoNames, proto)
}

// maxIPDatagram is the largest UDP payload of an IP family: the 16-bit
// length less the headers, 65507 over IPv4 and 65527 over IPv6 (whose
// payload length leaves out its header); 0 for other families.
func maxIPDatagram(s Spec) int {
	switch s.Family {
	case AF_INET:
		return 65535 - 20 - 8
	case AF_INET6:
		return 65535 - 8
	}
	return 0
}
