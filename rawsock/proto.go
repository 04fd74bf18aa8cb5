package rawsock

import (
	"fmt"
	"strconv"
	"strings"
)

// Protocol numbers socklab builds headers for, and the experimental number
// RFC 3692 sets aside for tests like ours.
const (
	ProtoICMP         = 1
	ProtoUDP          = 17
	ProtoICMPv6       = 58
	ProtoExperimental = 253
)

var protoNames = []struct {
	num   int
	names []string
}{
	{0, []string{"hopopt"}}, {1, []string{"icmp"}}, {2, []string{"igmp"}}, {4, []string{"ipip", "ipencap"}},
	{6, []string{"tcp"}}, {17, []string{"udp"}}, {41, []string{"ipv6"}}, {47, []string{"gre"}},
	{50, []string{"esp"}}, {51, []string{"ah"}}, {58, []string{"icmpv6", "ipv6-icmp"}},
	{89, []string{"ospf"}}, {103, []string{"pim"}}, {112, []string{"vrrp"}}, {132, []string{"sctp"}},
	{136, []string{"udplite"}}, {253, []string{"experimental", "exp1"}}, {254, []string{"exp2"}}, {255, []string{"raw", "reserved"}},
}

// ParseIPProto reads an IP protocol: a number from 0 to 255 or a name such
// as "udp", "icmp", "gre" or "experimental" (253).
func ParseIPProto(s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 255 {
			return 0, fmt.Errorf("protocol %d out of range: an IP protocol number is 0 to 255", n)
		}
		return n, nil
	}
	var valid []string
	for _, p := range protoNames {
		for _, name := range p.names {
			if strings.EqualFold(s, name) {
				return p.num, nil
			}
		}
		valid = append(valid, p.names[0])
	}
	return 0, fmt.Errorf("unknown IP protocol %q: use a number 0-255 or one of %s", s, strings.Join(valid, ", "))
}

// IPProtoName is the short name of an IP protocol ("udp"), or its number.
func IPProtoName(n int) string {
	for _, p := range protoNames {
		if p.num == n {
			return p.names[0]
		}
	}
	return strconv.Itoa(n)
}
