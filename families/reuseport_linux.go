package families

import (
	"fmt"
)

// OpenReusePort opens n UDP sockets of d bound to the same address with
// SO_REUSEPORT, so that n goroutines can serve it: the kernel spreads the
// datagrams over the sockets by a hash of the sender's address and port, so
// each peer stays with one socket. When o.Addr has port 0 the first socket's
// port is used for the rest. Only UDP families qualify; o.File is refused.
func OpenReusePort(d *Definition, o Options, n int) ([]Conn, error) {
	if d.Spec.Type != SOCK_DGRAM || (d.Spec.Family != AF_INET && d.Spec.Family != AF_INET6) {
		return nil, &Error{Op: "bind", Spec: d.Spec, Addr: o.Addr, Err: fmt.Errorf("%s has no SO_REUSEPORT load balancing", d.Name),
			Hint: "several sockets on one address need UDP: use one socket", Terms: []Term{TermSockets}}
	}
	if o.File != nil {
		return nil, &Error{Op: "adopt", Spec: d.Spec, Err: fmt.Errorf("one descriptor cannot be %d sockets", n), Hint: "open the sockets instead of adopting a descriptor", Terms: []Term{TermDescriptor}}
	}
	o.ReusePort = true
	var conns []Conn
	for i := 0; i < max(n, 1); i++ {
		c, err := openUDP(d, o)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, err
		}
		if i == 0 {
			o.Addr = c.LocalAddr().String() // the port the kernel chose, for the others
		}
		conns = append(conns, c)
	}
	return conns, nil
}
