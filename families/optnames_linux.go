package families

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// The names strace gives the socket option levels and options socklab
// sets, for traces; others are shown as numbers.

func levelName(level int) string {
	switch level {
	case unix.SOL_SOCKET:
		return "SOL_SOCKET"
	case unix.IPPROTO_IP:
		return "SOL_IP"
	case unix.IPPROTO_IPV6:
		return "SOL_IPV6"
	case unix.SOL_RAW:
		return "SOL_RAW"
	case unix.SOL_ICMPV6:
		return "SOL_ICMPV6"
	case unix.IPPROTO_TCP:
		return "SOL_TCP"
	case unix.IPPROTO_UDP:
		return "SOL_UDP"
	}
	return strconv.Itoa(level)
}

var optNames = map[[2]int]string{
	{unix.SOL_SOCKET, unix.SO_RCVBUF}: "SO_RCVBUF", {unix.SOL_SOCKET, unix.SO_SNDBUF}: "SO_SNDBUF",
	{unix.SOL_SOCKET, unix.SO_RCVBUFFORCE}: "SO_RCVBUFFORCE", {unix.SOL_SOCKET, unix.SO_SNDBUFFORCE}: "SO_SNDBUFFORCE",
	{unix.SOL_SOCKET, unix.SO_REUSEPORT}: "SO_REUSEPORT", {unix.SOL_SOCKET, unix.SO_REUSEADDR}: "SO_REUSEADDR",
	{unix.SOL_SOCKET, unix.SO_PASSCRED}: "SO_PASSCRED", {unix.SOL_SOCKET, unix.SO_RXQ_OVFL}: "SO_RXQ_OVFL",
	{unix.SOL_SOCKET, unix.SO_MEMINFO}: "SO_MEMINFO", {unix.SOL_SOCKET, unix.SO_DOMAIN}: "SO_DOMAIN",
	{unix.SOL_SOCKET, unix.SO_TYPE}: "SO_TYPE", {unix.SOL_SOCKET, unix.SO_PROTOCOL}: "SO_PROTOCOL",
	{unix.SOL_SOCKET, unix.SO_BROADCAST}: "SO_BROADCAST", {unix.SOL_SOCKET, unix.SO_TIMESTAMPING}: "SO_TIMESTAMPING",
	{unix.SOL_SOCKET, unix.SO_PEERCRED}: "SO_PEERCRED", {unix.SOL_SOCKET, unix.SO_ERROR}: "SO_ERROR",
	{unix.SOL_SOCKET, unix.SO_BUSY_POLL}: "SO_BUSY_POLL", {unix.IPPROTO_IP, unix.IP_MULTICAST_IF}: "IP_MULTICAST_IF",
	{unix.IPPROTO_IP, unix.IP_RECVERR}: "IP_RECVERR", {unix.IPPROTO_IP, unix.IP_PKTINFO}: "IP_PKTINFO",
	{unix.IPPROTO_IP, unix.IP_TTL}: "IP_TTL", {unix.IPPROTO_IP, unix.IP_RECVTTL}: "IP_RECVTTL",
	{unix.IPPROTO_IP, unix.IP_TOS}: "IP_TOS", {unix.IPPROTO_IP, unix.IP_RECVTOS}: "IP_RECVTOS",
	{unix.IPPROTO_IP, unix.IP_MTU_DISCOVER}: "IP_MTU_DISCOVER", {unix.IPPROTO_IP, unix.IP_HDRINCL}: "IP_HDRINCL",
	{unix.IPPROTO_IP, unix.IP_MULTICAST_TTL}: "IP_MULTICAST_TTL", {unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP}: "IP_MULTICAST_LOOP",
	{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}: "IPV6_V6ONLY", {unix.IPPROTO_IPV6, unix.IPV6_RECVERR}: "IPV6_RECVERR",
	{unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO}: "IPV6_RECVPKTINFO", {unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS}: "IPV6_UNICAST_HOPS",
	{unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT}: "IPV6_RECVHOPLIMIT", {unix.IPPROTO_IPV6, unix.IPV6_TCLASS}: "IPV6_TCLASS",
	{unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS}: "IPV6_RECVTCLASS", {unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER}: "IPV6_MTU_DISCOVER",
	{unix.SOL_RAW, unix.ICMP_FILTER}: "ICMP_FILTER", {unix.SOL_ICMPV6, unix.ICMPV6_FILTER}: "ICMP6_FILTER",
	{unix.IPPROTO_TCP, unix.TCP_NODELAY}: "TCP_NODELAY", {unix.IPPROTO_UDP, unix.UDP_SEGMENT}: "UDP_SEGMENT",
	{unix.IPPROTO_UDP, unix.UDP_GRO}: "UDP_GRO", {unix.IPPROTO_IP, unix.IP_MTU}: "IP_MTU",
	{unix.IPPROTO_IP, unix.MCAST_JOIN_GROUP}: "MCAST_JOIN_GROUP", {unix.IPPROTO_IP, unix.MCAST_LEAVE_GROUP}: "MCAST_LEAVE_GROUP",
	{unix.IPPROTO_IP, unix.MCAST_JOIN_SOURCE_GROUP}: "MCAST_JOIN_SOURCE_GROUP", {unix.IPPROTO_IP, unix.MCAST_LEAVE_SOURCE_GROUP}: "MCAST_LEAVE_SOURCE_GROUP",
	{unix.IPPROTO_IPV6, unix.MCAST_JOIN_GROUP}: "MCAST_JOIN_GROUP", {unix.IPPROTO_IPV6, unix.MCAST_LEAVE_GROUP}: "MCAST_LEAVE_GROUP",
	{unix.IPPROTO_IPV6, unix.MCAST_JOIN_SOURCE_GROUP}: "MCAST_JOIN_SOURCE_GROUP", {unix.IPPROTO_IPV6, unix.MCAST_LEAVE_SOURCE_GROUP}: "MCAST_LEAVE_SOURCE_GROUP",
	{unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS}: "IPV6_MULTICAST_HOPS", {unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP}: "IPV6_MULTICAST_LOOP",
	{unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF}: "IPV6_MULTICAST_IF", {unix.IPPROTO_IPV6, unix.IPV6_MTU}: "IPV6_MTU",
	{unix.IPPROTO_IPV6, ipv6FlowlabelMgr}: "IPV6_FLOWLABEL_MGR", {unix.IPPROTO_IPV6, ipv6FlowinfoSend}: "IPV6_FLOWINFO_SEND",
}

func optName(level, opt int) string {
	if n, ok := optNames[[2]int{level, opt}]; ok {
		return n
	}
	return strconv.Itoa(opt)
}

// traceFamily is the AF_ name of family, netlink's too.
func traceFamily(family int) string {
	if family == unix.AF_NETLINK {
		return "AF_NETLINK"
	}
	return FamilyName(family)
}

// traceProto is the protocol's name as strace writes it: NETLINK_ROUTE on
// a netlink socket.
func traceProto(family, proto int) string {
	if family == unix.AF_NETLINK && proto == unix.NETLINK_ROUTE {
		return "NETLINK_ROUTE"
	}
	return ProtoName(family, proto)
}

// optValue is an integer option's value as a trace shows it: ICMP_FILTER,
// a mask of blocked types, in hex.
func optValue(level, opt, v int) string {
	if level == unix.SOL_RAW && opt == unix.ICMP_FILTER {
		return "0x" + strconv.FormatUint(uint64(uint32(v)), 16)
	}
	return strconv.Itoa(v)
}
