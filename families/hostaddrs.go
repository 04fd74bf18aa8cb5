package families

import (
	"net"
	"net/netip"
	"time"
)

// AddrKind is what an address is to this host.
type AddrKind uint8

// The kinds of address.
const (
	AddrOther     AddrKind = iota // unspecified, or another host's
	AddrLocal                     // a unicast address of this host
	AddrBroadcast                 // broadcast (limited or an interface's) or multicast
)

var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// HostAddrs knows this host's unicast addresses and its interfaces' IPv4
// broadcast addresses, read from the interfaces of the network namespace
// the process runs in, and read again when asked about an address it does
// not know (at most once a second): for a server's checks on the
// addresses of what it reads. It is not safe for concurrent use.
type HostAddrs struct {
	list   func() ([]net.Addr, error) // InterfaceAddrs, or a test's
	own    map[netip.Addr]bool
	bcast  map[netip.Addr]bool
	loaded time.Time
}

// refreshEvery bounds how often an address HostAddrs does not know makes
// it read the interfaces again: an address added while a server runs is
// known within a second, and a flood of unknown ones costs one read a
// second.
const refreshEvery = time.Second

// NewHostAddrs returns a HostAddrs that reads the interfaces when first
// asked.
func NewHostAddrs() *HostAddrs { return HostAddrsOf(InterfaceAddrs) }

// HostAddrsOf returns a HostAddrs that reads the addresses list gives, as
// InterfaceAddrs does: a made-up host's, for a test.
func HostAddrsOf(list func() ([]net.Addr, error)) *HostAddrs { return &HostAddrs{list: list} }

// Kind says what a is to this host at now. Every address of 127.0.0.0/8
// but its broadcast is local, as the kernel's local route makes it.
func (h *HostAddrs) Kind(a netip.Addr, now time.Time) AddrKind {
	a = a.Unmap()
	switch {
	case !a.IsValid() || a.IsUnspecified():
		return AddrOther
	case a.IsMulticast() || a == limitedBroadcast:
		return AddrBroadcast
	}
	if h.own == nil || !h.own[a] && !h.bcast[a] && now.Sub(h.loaded) >= refreshEvery {
		h.load(now)
	}
	switch {
	case h.bcast[a]:
		return AddrBroadcast
	case h.own[a], a.Is4() && a.IsLoopback(), a == netip.IPv6Loopback():
		return AddrLocal
	}
	return AddrOther
}

// BadSource reports whether a cannot be a sender's address: unspecified,
// broadcast or multicast. A reply to it would go nowhere, or to many.
func (h *HostAddrs) BadSource(a netip.Addr, now time.Time) bool {
	return !a.IsValid() || a.Unmap().IsUnspecified() || h.Kind(a, now) == AddrBroadcast
}

// load reads the interfaces' addresses and their broadcast addresses.
func (h *HostAddrs) load(now time.Time) {
	h.own, h.bcast, h.loaded = map[netip.Addr]bool{}, map[netip.Addr]bool{}, now
	addrs, _ := h.list()
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		h.own[ip] = true
		if bc, ok := Broadcast(ipn); ok {
			h.bcast[bc] = true
		}
	}
}
