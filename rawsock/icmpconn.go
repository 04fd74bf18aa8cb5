package rawsock

import (
	"net"
	"syscall"
	"time"

	"github.com/socklab/socklab/families"
)

// ICMPConn is an ICMP socket, datagram or raw, IPv4 or IPv6, as a
// families.Conn whose messages are ICMP messages. As with x/net's
// icmp.PacketConn, ReadFrom and ReadMsg drop the IPv4 header a raw IPv4
// socket delivers, and WriteTo takes a *net.IPAddr. On a datagram socket
// the kernel writes the echo ID (the socket's port) and the checksum into
// every message sent.
//
// ReadICMP adds what the kernel knows of a message: the TTL it arrived
// with, and on a datagram socket the ICMP errors queued for the echoes it
// sent. FilterTypes and SetTTL set the socket's options.
type ICMPConn struct {
	families.Conn
	mode Mode
	ver  int
	id   int
	errq bool // IP_RECVERR is on: ReadICMP reads the error queue too
	// own, on a raw socket a family opened, recognises the copies of
	// its own messages that ReadMsg skips; nil: ReadMsg reads them all.
	own *ownCopies
}

// ListenICMP opens an ICMP socket as cfg says. In ModeAuto it tries the
// datagram socket, then the raw one; if both fail the error is an
// *OpenError holding both reasons and their fixes.
func ListenICMP(cfg ICMPConfig) (*ICMPConn, error) {
	if cfg.IPVersion != 6 {
		cfg.IPVersion = 4
	}
	if cfg.Mode != ModeAuto {
		return listenICMP(cfg, cfg.Mode)
	}
	c, derr := listenICMP(cfg, ModeDgram)
	if derr == nil {
		return c, nil
	}
	c, rerr := listenICMP(cfg, ModeRaw)
	if rerr == nil {
		return c, nil
	}
	return nil, &OpenError{IPVersion: cfg.IPVersion, Dgram: derr, Raw: rerr}
}

// newICMPConn wraps c, an ICMP socket, reading its mode and IP version
// from its Spec.
func newICMPConn(c families.Conn) *ICMPConn {
	s := c.Spec()
	ic := &ICMPConn{Conn: c, mode: ModeRaw, ver: 4}
	if s.Type == families.SOCK_DGRAM {
		ic.mode = ModeDgram
	}
	if s.Family == families.AF_INET6 {
		ic.ver = 6
	}
	return ic
}

// Mode is ModeDgram or ModeRaw: the kind of socket c is.
func (c *ICMPConn) Mode() Mode { return c.mode }

// IPVersion is 4 for ICMP, 6 for ICMPv6.
func (c *ICMPConn) IPVersion() int { return c.ver }

// ID is the echo identifier: on a datagram socket the bound port, which the
// kernel writes into every echo request it sends; on a raw socket the ID
// ListenICMP was given.
func (c *ICMPConn) ID() int { return c.id }

// QueuesErrors reports whether ReadICMP also reads the socket's error
// queue: a datagram socket with IP_RECVERR, which ListenICMP sets, hears
// of the ICMP errors for its echoes only there.
func (c *ICMPConn) QueuesErrors() bool { return c.errq }

// SyscallConn exposes the descriptor, as every families Conn does.
func (c *ICMPConn) SyscallConn() (syscall.RawConn, error) { return families.RawConn(c.Conn) }

// ReadFrom reads one ICMP message into b, as ReadMsg does.
func (c *ICMPConn) ReadFrom(b []byte) (int, net.Addr, error) {
	n, _, addr, err := c.ReadMsg(b)
	return n, addr, err
}

// WriteTo sends b, an ICMP message, to addr, an *net.IPAddr. On a datagram
// socket the kernel writes the echo ID and the checksum.
func (c *ICMPConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	n, err := c.Conn.WriteTo(b, addr)
	if err == nil && c.own != nil {
		c.own.sent(b, ipOf(addr), time.Now())
	}
	return n, err
}

// skipOwnCopies makes ReadMsg skip the copies of the messages c sends
// that loopback hands back to a raw socket: for the generic echo client
// and server, whose datagrams are whole ICMP messages.
func (c *ICMPConn) skipOwnCopies() {
	if c.mode == ModeRaw {
		c.own = newOwnCopies()
	}
}

// ipOf is the IP address of a, an *net.IPAddr or *net.UDPAddr, or nil.
func ipOf(a net.Addr) net.IP {
	switch a := a.(type) {
	case *net.IPAddr:
		return a.IP
	case *net.UDPAddr:
		return a.IP
	}
	return nil
}

// ipString is ip as text, "" for nil.
func ipString(ip net.IP) string {
	if ip == nil {
		return ""
	}
	return ip.String()
}
