package families

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// UDP4 is AF_INET, SOCK_DGRAM: UDP over IPv4. Servers default to the seed's
// 127.0.0.1:8020.
func UDP4() *Definition {
	return udpDef("udp4", AF_INET, "127.0.0.1:8020", "UDP over IPv4")
}

// UDP6 is AF_INET6, SOCK_DGRAM: UDP over IPv6 only (IPV6_V6ONLY). Servers
// default to [::1]:8020.
func UDP6() *Definition {
	return udpDef("udp6", AF_INET6, "[::1]:8020", "UDP over IPv6 (v6 only)")
}

func udpDef(name string, family int, def string, summary string) *Definition {
	d := &Definition{
		Name:        name,
		Summary:     summary,
		Spec:        NewSpec(family, SOCK_DGRAM, IPPROTO_UDP),
		Network:     name,
		DefaultAddr: def,
	}
	d.ResolveAddr = func(s string) (net.Addr, error) { return resolveIP(name, s, net.ResolveUDPAddr) }
	d.Open = func(o Options) (Conn, error) { return openUDP(d, o) }
	return d
}

// resolveIP parses HOST:PORT for network ("udp4", "udp6", "tcp4" or
// "tcp6") with resolve (net.ResolveUDPAddr or net.ResolveTCPAddr), with an
// error that names the family and shows the expected form.
func resolveIP[A any](network, s string, resolve func(network, address string) (A, error)) (A, error) {
	var none A
	example := "127.0.0.1:8020"
	if strings.HasSuffix(network, "6") {
		example = "[::1]:8020"
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return none, badAddress(fmt.Sprintf("%s address %q: want HOST:PORT, e.g. %s", network, s, example))
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return none, badAddress(fmt.Sprintf("%s address %q: port %q is not a number from 0 to 65535", network, s, port))
	}
	a, err := resolve(network, net.JoinHostPort(host, port))
	if err != nil {
		return none, &AddrError{Network: network, Addr: s, Example: example, Err: err}
	}
	return a, nil
}

// AddrError is an address that does not resolve: Err is the resolver's
// error (a *net.DNSError or *net.AddrError, which errors.As finds).
type AddrError struct {
	Network, Addr, Example string
	Err                    error
}

// Error says what was wrong in the resolver's own words and shows the
// expected form: `udp4 address "nohost:80": no such host (want HOST:PORT,
// e.g. 127.0.0.1:8020)`.
func (e *AddrError) Error() string {
	return fmt.Sprintf("%s address %q: %v (want HOST:PORT, e.g. %s)", e.Network, e.Addr, Cause(e.Err), e.Example)
}

// Unwrap returns the resolver's error.
func (e *AddrError) Unwrap() error { return e.Err }
