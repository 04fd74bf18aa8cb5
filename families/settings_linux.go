package families

import "golang.org/x/sys/unix"

// settingOpts are the options Settings reads, by family; an option a
// socket lacks (ENOPROTOOPT) is left out.
var settingOpts = map[int][][2]int{
	AF_UNIX: {
		{unix.SOL_SOCKET, unix.SO_RCVBUF}, {unix.SOL_SOCKET, unix.SO_SNDBUF}, {unix.SOL_SOCKET, unix.SO_PASSCRED},
	},
	AF_INET: {
		{unix.SOL_SOCKET, unix.SO_RCVBUF}, {unix.SOL_SOCKET, unix.SO_SNDBUF}, {unix.SOL_SOCKET, unix.SO_REUSEPORT},
		{unix.SOL_SOCKET, unix.SO_BUSY_POLL},
		{unix.IPPROTO_IP, unix.IP_TTL}, {unix.IPPROTO_IP, unix.IP_TOS}, {unix.IPPROTO_IP, unix.IP_MTU_DISCOVER},
		{unix.IPPROTO_IP, unix.IP_RECVERR}, {unix.IPPROTO_IP, unix.IP_PKTINFO}, {unix.IPPROTO_IP, unix.IP_RECVTTL},
		{unix.IPPROTO_IP, unix.IP_HDRINCL},
	},
	AF_INET6: {
		{unix.SOL_SOCKET, unix.SO_RCVBUF}, {unix.SOL_SOCKET, unix.SO_SNDBUF}, {unix.SOL_SOCKET, unix.SO_REUSEPORT},
		{unix.SOL_SOCKET, unix.SO_BUSY_POLL},
		{unix.IPPROTO_IPV6, unix.IPV6_V6ONLY}, {unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS}, {unix.IPPROTO_IPV6, unix.IPV6_TCLASS},
		{unix.IPPROTO_IPV6, unix.IPV6_MTU_DISCOVER}, {unix.IPPROTO_IPV6, unix.IPV6_RECVERR},
		{unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO}, {unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT},
	},
}

// Settings reads what is in force on c: its local address, the peer it
// is connected to (if any), and its socket options (buffer sizes, TTL or
// hop limit, error reporting, destination addresses ...), as the kernel
// reports them. The getsockopt calls are traced.
func Settings(c Conn) []Setting {
	var out []Setting
	Control(c, func(fd int) error {
		out = settingsOf(fd, c.Spec())
		return nil
	})
	return out
}

// settingsOf reads what is in force on descriptor fd, a socket of spec.
func settingsOf(fd int, spec Spec) []Setting {
	var out []Setting
	network := networkOf(spec)
	// The addresses as a trace spells them: no IPv6 zone name looked up.
	var a rawAddr
	if sysGetsockname(fd, &a, network) == nil {
		out = append(out, Setting{"local", traceAddr(&a, network)})
	}
	if sysGetpeername(fd, &a, network) == nil && a.named() {
		out = append(out, Setting{"peer", traceAddr(&a, network)})
	}
	for _, o := range settingOpts[spec.Family] {
		if o[1] == unix.IP_HDRINCL && spec.Type != SOCK_RAW {
			continue
		}
		if v, err := GetsockoptInt(fd, o[0], o[1]); err == nil {
			out = append(out, Setting{optName(o[0], o[1]), optValue(o[0], o[1], v)})
		}
	}
	if spec.Family == AF_INET && spec.Type == SOCK_RAW && spec.Proto == IPPROTO_ICMP {
		if v, err := GetsockoptInt(fd, unix.SOL_RAW, unix.ICMP_FILTER); err == nil {
			out = append(out, Setting{"ICMP_FILTER", optValue(unix.SOL_RAW, unix.ICMP_FILTER, v)})
		}
	}
	return out
}
