//go:build !linux

package families

// ReadTCPInfo is not supported on this system.
func ReadTCPInfo(c Conn) (TCPInfo, error) { return TCPInfo{}, ErrUnsupported }
