package families

import (
	"net"
)

// peername returns the address of fd's peer, as network spells it; an
// error (ENOTCONN) when it has none.
func peername(fd int, network string) (net.Addr, error) {
	var a rawAddr
	if err := a.getpeername(fd); err != nil {
		return nil, err
	}
	return a.addr(network), nil
}

// getpeername fills a with the address of fd's peer.
func (a *rawAddr) getpeername(fd int) error { return sysGetpeername(fd, a, "tcp") }
