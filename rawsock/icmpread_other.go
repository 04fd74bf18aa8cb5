//go:build !linux

package rawsock

import "net"

// ReadMsg reads one message into b: see families.Conn.
func (c *ICMPConn) ReadMsg(b []byte) (n, size int, addr net.Addr, err error) {
	return c.Conn.ReadMsg(b)
}

// ReadICMP is not supported on this system.
func (c *ICMPConn) ReadICMP(b []byte) (*ICMPMessage, error) { return nil, notSupported(c.Spec()) }
