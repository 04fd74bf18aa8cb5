//go:build !linux

package rawsock

import (
	"context"
	"net"
	"net/netip"
	"runtime"
	"time"

	"github.com/socklab/socklab/families"
)

func notSupported(spec families.Spec) error {
	return &families.Error{Op: "socket", Spec: spec, Err: families.ErrUnsupported, Hint: "socklab's raw sockets are not supported on " + runtime.GOOS}
}

// ICMPConn is an ICMP socket; it cannot be opened on this system.
type ICMPConn struct {
	conn families.Conn
	spec families.Spec
	mode Mode
	id   int
}

// ListenICMP is not supported on this system.
func ListenICMP(cfg ICMPConfig) (*ICMPConn, error) {
	return nil, notSupported(ICMPSpec(cfg.IPVersion, ModeRaw))
}

// Spec is the socket() triple the conn was opened as.
func (c *ICMPConn) Spec() families.Spec { return c.spec }

// Mode is the socket that opened.
func (c *ICMPConn) Mode() Mode { return c.mode }

// ID is the echo identifier.
func (c *ICMPConn) ID() int { return c.id }

// Conn is the underlying families.Conn.
func (c *ICMPConn) Conn() families.Conn { return c.conn }

// Close does nothing on this system.
func (c *ICMPConn) Close() error { return nil }

// SetReadDeadline is not supported on this system.
func (c *ICMPConn) SetReadDeadline(t time.Time) error { return notSupported(c.spec) }

// WriteTo is not supported on this system.
func (c *ICMPConn) WriteTo(msg []byte, dst *net.IPAddr) error { return notSupported(c.spec) }

// Read is not supported on this system.
func (c *ICMPConn) Read() (Incoming, error) { return Incoming{}, notSupported(c.spec) }

// OpenIP4 is not supported on this system.
func OpenIP4() (families.Conn, error) { return nil, notSupported(IP4Spec) }

// SendIP4 is not supported on this system.
func SendIP4(ctx context.Context, p IPv4Packet, o IP4SendOptions) ([]byte, *IP4Reply, error) {
	return nil, nil, notSupported(IP4Spec)
}

// ServeIP4 is not supported on this system.
func ServeIP4(ctx context.Context, o IP4ServeOptions) error { return notSupported(IP4Spec) }

// RouteSource is not supported on this system.
func RouteSource(dst netip.Addr) (netip.Addr, error) { return netip.Addr{}, notSupported(IP4Spec) }
