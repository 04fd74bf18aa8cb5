package families

import (
	"context"
	"fmt"
	"net"
	"strconv"
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
	d.ResolveAddr = func(s string) (net.Addr, error) { return resolveTCP(name, s) }
	d.Listen = func(o Options) (Listener, error) { return listenStream(d, o) }
	d.Dial = func(ctx context.Context, peer net.Addr, o Options) (StreamConn, error) {
		return dialStream(ctx, d, peer, o)
	}
	return d
}

// resolveTCP parses HOST:PORT for network ("tcp4" or "tcp6"), with an
// error that names the family and shows the expected form.
func resolveTCP(network, s string) (*net.TCPAddr, error) {
	example := "127.0.0.1:8020"
	if network == "tcp6" {
		example = "[::1]:8020"
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return nil, fmt.Errorf("%s address %q: want HOST:PORT, e.g. %s", network, s, example)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("%s address %q: port %q is not a number from 0 to 65535", network, s, port)
	}
	a, err := net.ResolveTCPAddr(network, net.JoinHostPort(host, port))
	if err != nil {
		return nil, &AddrError{Network: network, Addr: s, Example: example, Err: err}
	}
	return a, nil
}
