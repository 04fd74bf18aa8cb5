package families

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"
)

// Definition is one family: its name, socket triple, privilege, defaults, and
// how to open and address it.
type Definition struct {
	Name    string // "udp4", "unix", "icmp6"
	Summary string // one line for tables and help
	// Spec is the family's socket() triple (Fileno -1). Also lists other
	// triples it serves, such as the unprivileged ICMP datagram socket.
	Spec Spec
	Also []Spec
	// Network is the Go network name of its addresses: "udp4", "unixgram".
	Network string
	// Privileged is true when opening needs CAP_NET_RAW or similar.
	Privileged bool
	// DefaultAddr is where servers bind when no address is given.
	DefaultAddr string
	// Open creates (or adopts, see Options.File) a socket of this family.
	// It is nil for connection-oriented families, which have Listen and
	// Dial instead.
	Open func(o Options) (Conn, error)
	// Listen creates a listening socket of a connection-oriented family
	// (SOCK_STREAM, SOCK_SEQPACKET) bound to o.Addr, or adopts the
	// listening socket o.File; nil for datagram families.
	Listen func(o Options) (Listener, error)
	// Dial connects a new socket of a connection-oriented family to peer,
	// from o.Addr when it is set, or adopts the socket o.File (connecting
	// it when it is not connected yet). ctx bounds the connection
	// handshake. Nil for datagram families.
	Dial func(ctx context.Context, peer net.Addr, o Options) (StreamConn, error)
	// ResolveAddr parses a peer address of this family.
	ResolveAddr func(s string) (net.Addr, error)
	// Probe opens and closes a socket of this family to tell whether it can
	// be used here; nil means Probe opens Spec.
	Probe func() error
}

// Connected reports whether d is a connection-oriented family: one that
// listens and connects (Listen, Dial) rather than opening a datagram socket.
func (d *Definition) Connected() bool { return d.Listen != nil || d.Dial != nil }

// Specs returns every triple d serves, its primary first.
func (d *Definition) Specs() []Spec { return append([]Spec{d.Spec}, d.Also...) }

// Serves reports whether d serves the triple of s (Fileno ignored); a
// protocol of 0 matches the kernel's default protocol for the family and type.
func (d *Definition) Serves(s Spec) bool {
	for _, t := range d.Specs() {
		if t.Family == s.Family && t.Type == s.Type && (t.Proto == s.Proto || t.Proto == DefaultProto(s.Family, s.Type) && s.Proto == 0) {
			return true
		}
	}
	return false
}

// Usable opens and closes a socket of d to tell whether it works here; the
// error says why not and how to fix it.
func (d *Definition) Usable() error {
	if d.Probe != nil {
		return d.Probe()
	}
	return ProbeSpec(d.Spec)
}

// DefaultProto is the protocol the kernel picks for proto 0: UDP for IP
// datagram sockets, TCP for IP stream sockets, SCTP for IP seqpacket
// sockets, 0 (the only one) for unix sockets; raw sockets have none, so it
// returns -1 for them.
func DefaultProto(family, typ int) int {
	switch {
	case family == AF_UNIX:
		return 0
	case (family == AF_INET || family == AF_INET6) && typ == SOCK_DGRAM:
		return IPPROTO_UDP
	case (family == AF_INET || family == AF_INET6) && typ == SOCK_STREAM:
		return IPPROTO_TCP
	case (family == AF_INET || family == AF_INET6) && typ == SOCK_SEQPACKET:
		return IPPROTO_SCTP
	}
	return -1
}

// Registry holds the families socklab knows, in the order registered.
type Registry struct {
	defs []*Definition
}

// NewRegistry returns a registry holding defs.
func NewRegistry(defs ...*Definition) *Registry {
	r := &Registry{}
	r.Register(defs...)
	return r
}

// Register adds defs; a name registered twice panics, as it is a program error.
func (r *Registry) Register(defs ...*Definition) {
	for _, d := range defs {
		if _, err := r.Lookup(d.Name); err == nil {
			panic("families: " + d.Name + " registered twice")
		}
		r.defs = append(r.defs, d)
	}
}

// All returns the definitions in the order registered.
func (r *Registry) All() []*Definition { return r.defs }

// Names returns the registered family names.
func (r *Registry) Names() []string {
	var n []string
	for _, d := range r.defs {
		n = append(n, d.Name)
	}
	return n
}

// Lookup finds a family by name.
func (r *Registry) Lookup(name string) (*Definition, error) {
	for _, d := range r.defs {
		if d.Name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("unknown family %q: valid are %s", name, strings.Join(r.Names(), ", "))
}

// Resolve finds the family serving the triple of s. The error lists every
// valid triple. For a family that serves several triples, the Definition
// returned is a copy narrowed to s's: its Open creates that type of
// socket, never another one in its place.
func (r *Registry) Resolve(s Spec) (*Definition, error) {
	for _, d := range r.defs {
		if d.Serves(s) {
			return d.narrow(s), nil
		}
	}
	return nil, fmt.Errorf("%s is not a socket a registered family serves; valid are: %s", NewSpec(s.Family, s.Type, s.Proto), r.validTriples())
}

// narrow returns d, or for a family of several triples a copy that serves
// only the one of s.
func (d *Definition) narrow(s Spec) *Definition {
	if len(d.Also) == 0 || d.Open == nil {
		return d
	}
	n := *d
	for _, t := range d.Specs() {
		if t.Family == s.Family && t.Type == s.Type {
			n.Spec, n.Also = t, nil
		}
	}
	open, t := d.Open, n.Spec
	n.Open = func(o Options) (Conn, error) {
		o.Type = t.Type
		return open(o)
	}
	n.Probe = func() error { return ProbeSpec(t) }
	return &n
}

func (r *Registry) validTriples() string {
	var v []string
	for _, d := range r.defs {
		for _, s := range d.Specs() {
			v = append(v, fmt.Sprintf("%s = %s", d.Name, s.Triple()))
		}
	}
	sort.Strings(v)
	return strings.Join(v, "; ")
}
