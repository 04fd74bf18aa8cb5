package families

import (
	"context"
	"net"
)

// TCP4 is AF_INET, SOCK_STREAM, IPPROTO_TCP: TCP over IPv4, a reliable byte
// stream per connection. Servers default to 127.0.0.1:8020, the seed's
// address. It also adopts Multipath TCP sockets (IPPROTO_MPTCP), which
// behave as TCP to a program, as Go's net.Listen makes them.
func TCP4() *Definition {
	return tcpDef("tcp4", AF_INET, "127.0.0.1:8020", "TCP over IPv4: a byte stream per connection")
}

// TCP6 is AF_INET6, SOCK_STREAM, IPPROTO_TCP, IPv6 only (IPV6_V6ONLY).
// Servers default to [::1]:8020.
func TCP6() *Definition {
	return tcpDef("tcp6", AF_INET6, "[::1]:8020", "TCP over IPv6 (v6 only): a byte stream per connection")
}

func tcpDef(name string, family int, def, summary string) *Definition {
	d := &Definition{
		Name:        name,
		Summary:     summary,
		Spec:        NewSpec(family, SOCK_STREAM, IPPROTO_TCP),
		Also:        []Spec{NewSpec(family, SOCK_STREAM, IPPROTO_MPTCP)},
		Network:     name,
		DefaultAddr: def,
	}
	d.ResolveAddr = func(s string) (net.Addr, error) { return resolveIP(name, s, net.ResolveTCPAddr) }
	d.Listen = func(o Options) (Listener, error) { return listenStream(d, o) }
	d.Dial = func(ctx context.Context, peer net.Addr, o Options) (StreamConn, error) {
		return dialStream(ctx, d, peer, o)
	}
	return d
}
