//go:build !linux

package families

// PeerCred is not supported on this system.
func PeerCred(c Sock) (Cred, error) { return Cred{}, ErrUnsupported }

// SetNoDelay is not supported on this system.
func SetNoDelay(c Sock, on bool) error { return ErrUnsupported }

// NoDelay is not known on this system.
func NoDelay(c Sock) bool { return false }

// Abort closes c on this system.
func Abort(c StreamConn) error { return c.Close() }

// SetSockBuffers is not supported on this system.
func SetSockBuffers(s Sock, rcv, snd int) error { return ErrUnsupported }

// SockBuffers is not supported on this system.
func SockBuffers(s Sock) (rcv, snd int, err error) { return 0, 0, ErrUnsupported }
