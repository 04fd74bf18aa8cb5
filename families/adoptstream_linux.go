package families

import (
	"context"
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// What an inherited connection-oriented socket is.
const (
	sockUnconnected = iota // neither listening nor connected
	sockListening          // listen(2) was called on it (SO_ACCEPTCONN)
	sockConnected          // it has a peer (getpeername)
)

// adopted is a duplicate of an inherited socket, checked and made
// non-blocking, and what state it is in.
type adopted struct {
	fd    int
	spec  Spec
	state int
	peer  net.Addr
}

// adoptStreamFd duplicates the socket in f after checking that d serves
// its triple, and finds out whether it listens, is connected, or neither.
func adoptStreamFd(d *Definition, f *os.File) (adopted, error) {
	nfd, s, err := dupSocket(d, f, "adopt it as the family that serves its triple (Registry.Resolve finds it)")
	if err != nil {
		return adopted{}, err
	}
	a := adopted{fd: nfd, spec: s}
	if v, err := GetsockoptInt(nfd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && v == 1 {
		a.state = sockListening
	} else if p, err := peername(nfd, networkOf(s)); err == nil {
		a.state, a.peer = sockConnected, p
	}
	return a, nil
}

// AdoptStream adopts the inherited connection-oriented socket in f, as the
// family d: a listening socket comes back as a Listener, a connected one
// as a StreamConn (one of the two is nil). A socket that neither listens
// nor is connected is refused. f stays the caller's.
func AdoptStream(d *Definition, f *os.File) (Listener, StreamConn, error) {
	a, err := adoptStreamFd(d, f)
	if err != nil {
		return nil, nil, err
	}
	switch a.state {
	case sockListening:
		l, err := newListener(a.fd, a.spec, nil)
		return l, nil, err
	case sockConnected:
		c, err := newStreamConn(a.fd, a.spec, a.peer)
		return nil, c, err
	}
	sysClose(a.fd)
	return nil, nil, &Error{Op: "adopt", Spec: a.spec, Err: fmt.Errorf("fd %d neither listens nor is connected", a.spec.Fileno),
		Hint: "pass a socket after listen(2), to serve it, or after connect(2)"}
}

// adoptListener adopts f as a listening socket of d.
func adoptListener(d *Definition, f *os.File) (Listener, error) {
	l, c, err := AdoptStream(d, f)
	if c != nil {
		c.Close()
		return nil, &Error{Op: "adopt", Spec: c.Spec(), Err: fmt.Errorf("fd %d is a connection (peer %s), not a listening socket", c.Spec().Fileno, addrText(c.RemoteAddr())),
			Hint: "serve it as one connection, or pass a socket after listen(2)"}
	}
	return l, err
}

// adoptDial adopts f as a connection of d: a connected socket as it is, an
// unconnected one connected to peer. A listening socket is refused.
func adoptDial(ctx context.Context, d *Definition, peer net.Addr, f *os.File) (StreamConn, error) {
	a, err := adoptStreamFd(d, f)
	if err != nil {
		return nil, err
	}
	switch a.state {
	case sockConnected:
		return newStreamConn(a.fd, a.spec, a.peer)
	case sockListening:
		sysClose(a.fd)
		return nil, &Error{Op: "adopt", Spec: a.spec, Err: fmt.Errorf("fd %d is a listening socket, not a connection", a.spec.Fileno),
			Hint: "pass a connected socket, or one to connect; serve on a listening one"}
	}
	c, err := newConn(a.fd, a.spec)
	if err != nil {
		return nil, err
	}
	return connect(ctx, c, peer)
}
