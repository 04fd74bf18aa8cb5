//go:build !linux

package rawsock

import (
	"runtime"

	"github.com/socklab/socklab/families"
)

func notSupported(spec families.Spec) error {
	return &families.Error{Op: "socket", Spec: spec, Err: families.ErrUnsupported, Hint: "these raw sockets are implemented for Linux; this is " + runtime.GOOS}
}

func listenICMP(cfg ICMPConfig, mode Mode) (*ICMPConn, error) {
	spec := ICMPSpec(cfg.IPVersion, mode)
	if _, err := cfg.check(spec); err != nil {
		return nil, err
	}
	return nil, notSupported(spec)
}

func wrapICMP(conn families.Conn) *ICMPConn { return newICMPConn(conn) }

// SetTTL is not supported on this system.
func (c *ICMPConn) SetTTL(ttl int) error { return notSupported(c.Spec()) }

// FilterTypes is not supported on this system.
func (c *ICMPConn) FilterTypes(types ...int) error { return notSupported(c.Spec()) }

// SetIPOptions is not supported on this system.
func (c *ICMPConn) SetIPOptions(o families.IPOptions) error { return notSupported(c.Spec()) }
