package rawsock

import (
	"net"
	"net/netip"
	"time"

	"github.com/socklab/socklab/families"
)

// A raw socket reads every packet of its protocol that this host accepts:
// unicast to one of its addresses, and broadcast and multicast too, since
// raw delivery comes before the protocol's own checks (icmp_rcv drops an
// echo request sent to a broadcast address, and one with a bad checksum,
// only after every raw socket has its copy). A server on a raw socket must
// make those checks itself; hostAddrs tells it which addresses are this
// host's.

// addrKind is what an address is to this host.
type addrKind uint8

const (
	addrOther     addrKind = iota // unspecified, or another host's
	addrLocal                     // a unicast address of this host
	addrBroadcast                 // broadcast (limited or an interface's) or multicast
)

var limitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// hostAddrs knows this host's unicast addresses and its interfaces' IPv4
// broadcast addresses, read from the interfaces of the network namespace
// the process runs in.
type hostAddrs struct {
	list   func() ([]net.Addr, error) // net.InterfaceAddrs, or a test's
	own    map[netip.Addr]bool
	bcast  map[netip.Addr]bool
	loaded time.Time
}

// refreshEvery bounds how often an address hostAddrs does not know makes
// it read the interfaces again: an address added while a server runs is
// known within a second, and a flood of unknown ones costs one read a
// second.
const refreshEvery = time.Second

func newHostAddrs() *hostAddrs { return &hostAddrs{list: families.InterfaceAddrs} }

// kind says what a is to this host at now. Every address of 127.0.0.0/8
// but its broadcast is local, as the kernel's local route makes it.
func (h *hostAddrs) kind(a netip.Addr, now time.Time) addrKind {
	a = a.Unmap()
	switch {
	case !a.IsValid() || a.IsUnspecified():
		return addrOther
	case a.IsMulticast() || a == limitedBroadcast:
		return addrBroadcast
	}
	if h.own == nil || !h.own[a] && !h.bcast[a] && now.Sub(h.loaded) >= refreshEvery {
		h.load(now)
	}
	switch {
	case h.bcast[a]:
		return addrBroadcast
	case h.own[a], a.Is4() && a.IsLoopback(), a == netip.IPv6Loopback():
		return addrLocal
	}
	return addrOther
}

// badSource reports whether a cannot be a sender's address: unspecified,
// broadcast or multicast. A reply to it would go nowhere, or to many.
func (h *hostAddrs) badSource(a netip.Addr, now time.Time) bool {
	return !a.IsValid() || a.Unmap().IsUnspecified() || h.kind(a, now) == addrBroadcast
}

// load reads the interfaces' addresses and their broadcast addresses.
func (h *hostAddrs) load(now time.Time) {
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
		if bc, ok := families.Broadcast(ipn); ok {
			h.bcast[bc] = true
		}
	}
}
