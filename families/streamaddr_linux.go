package families

import (
	"net"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// streamAddr spells an address of a connection-oriented socket as package
// net does: the sockaddr codec decodes IP socket addresses as *net.UDPAddr
// (its datagram families' type), which a TCP socket gives as *net.TCPAddr.
// Unix addresses pass unchanged.
func streamAddr(a net.Addr, network string) net.Addr {
	if ua, ok := a.(*net.UDPAddr); ok && strings.HasPrefix(network, "tcp") {
		return &net.TCPAddr{IP: ua.IP, Port: ua.Port, Zone: ua.Zone}
	}
	return a
}

// rawStreamAddr encodes addr for a socket of family, taking a *net.TCPAddr
// as the codec takes a *net.UDPAddr.
func rawStreamAddr(a *rawAddr, family int, addr net.Addr) error {
	if ta, ok := addr.(*net.TCPAddr); ok {
		addr = &net.UDPAddr{IP: ta.IP, Port: ta.Port, Zone: ta.Zone}
	}
	return a.set(family, addr)
}

// peername returns the address of fd's peer, as network spells it; an
// error (ENOTCONN) when it has none.
func peername(fd int, network string) (net.Addr, error) {
	var a rawAddr
	if err := a.getpeername(fd); err != nil {
		return nil, err
	}
	return streamAddr(a.addr(network), network), nil
}

// getpeername fills a with the address of fd's peer.
func (a *rawAddr) getpeername(fd int) error {
	a.n = unix.SizeofSockaddrAny
	_, _, e := unix.RawSyscall(unix.SYS_GETPEERNAME, uintptr(fd), uintptr(a.ptr()), uintptr(unsafe.Pointer(&a.n)))
	if e != 0 {
		return e
	}
	return nil
}
