//go:build !linux

package families

// NewConn is not supported on this system.
func NewConn(fd int, spec Spec) (Conn, error) { return nil, notSupported(spec) }

// WaitInNetpoller does nothing on this system, which has no Conn.
func WaitInNetpoller(c Conn) error { return nil }
