package families

import (
	"context"
	"fmt"
	"net"
	"net/netip"
)

// Resolver is Go's own resolver (PreferGo) with its DNS queries over UDP
// on sockets of this package, where the Tracer sees them: a client that
// resolves a host name shows the socket, connect, sendmsg and recvmsg of
// the lookup in its trace. Queries over TCP (a truncated answer) go
// through package net.
func Resolver() *net.Resolver { return &net.Resolver{PreferGo: true, Dial: DialDNS} }

// DialDNS is a net.Resolver's Dial: for UDP it opens a socket of this
// package connected to the server at address; other networks go through
// package net's Dialer.
func DialDNS(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "udp", "udp4", "udp6":
	default:
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, fmt.Errorf("DNS server %q: %w", address, err)
	}
	d := UDP4()
	if ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()); ap.Addr().Is6() {
		d = UDP6()
	}
	c, err := d.Open(Options{})
	if err != nil {
		return nil, err
	}
	peer := net.UDPAddrFromAddrPort(ap)
	if err := Control(c, func(fd int) error { return Connect(fd, d.Spec.Family, peer) }); err != nil {
		c.Close()
		return nil, &Error{Op: "connect", Spec: d.Spec, Addr: address, Err: err}
	}
	return &dnsConn{Conn: c, peer: peer}, nil
}

// dnsConn is a connected UDP Conn as a net.Conn, for the resolver.
type dnsConn struct {
	Conn
	peer net.Addr
}

// Read reads the server's answer: the socket is connected to it.
func (c *dnsConn) Read(b []byte) (int, error) {
	n, _, err := c.ReadFrom(b)
	return n, err
}

// Write sends a query to the server.
func (c *dnsConn) Write(b []byte) (int, error) { return c.WriteTo(b, c.peer) }

// RemoteAddr is the server's address.
func (c *dnsConn) RemoteAddr() net.Addr { return c.peer }
