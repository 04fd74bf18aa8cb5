package rawsock

import "github.com/socklab/socklab/families"

// ICMP4 is the ICMP family over IPv4 (placeholder until issue 3 lands).
func ICMP4() *families.Definition {
	return &families.Definition{Name: "icmp4", Summary: "ICMP echo over IPv4", Spec: families.NewSpec(families.AF_INET, families.SOCK_RAW, families.IPPROTO_ICMP),
		Also: []families.Spec{families.NewSpec(families.AF_INET, families.SOCK_DGRAM, families.IPPROTO_ICMP)}, Network: "ip4:icmp", Privileged: true}
}

// ICMP6 is the ICMP family over IPv6 (placeholder until issue 3 lands).
func ICMP6() *families.Definition {
	return &families.Definition{Name: "icmp6", Summary: "ICMPv6 echo", Spec: families.NewSpec(families.AF_INET6, families.SOCK_RAW, families.IPPROTO_ICMPV6),
		Also: []families.Spec{families.NewSpec(families.AF_INET6, families.SOCK_DGRAM, families.IPPROTO_ICMPV6)}, Network: "ip6:ipv6-icmp", Privileged: true}
}

// IP4 is raw IPv4 with IP_HDRINCL (placeholder until issue 3 lands).
func IP4() *families.Definition {
	return &families.Definition{Name: "ip4", Summary: "raw IPv4, header built by socklab (IP_HDRINCL)", Spec: families.NewSpec(families.AF_INET, families.SOCK_RAW, families.IPPROTO_RAW), Network: "ip4", Privileged: true}
}
