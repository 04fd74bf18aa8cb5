package lab

import (
	"fmt"
	"net/netip"
	"time"
)

// Lab is a lab that is up, or was being built: what its state file holds.
type Lab struct {
	Name  string `json:"name"`
	Hosts []Host `json:"hosts"`
	// Loss, Rate and MTU are the settings of the inner link (see Config).
	Loss float64 `json:"loss_pct"`
	Rate uint64  `json:"rate_bps,omitempty"`
	MTU  int     `json:"mtu,omitempty"`
	// State is "creating" until every step has run, then "up".
	State string `json:"state"`
	// PID is the process that built the lab.
	PID     int       `json:"pid"`
	Created time.Time `json:"created"`
	// Netem says why loss is an nftables rule rather than netem.
	Netem string `json:"netem,omitempty"`
}

// Host is one network namespace of a lab.
type Host struct {
	Role  string  `json:"role"`
	Netns string  `json:"netns"`
	Links []Iface `json:"links"`
	// Gateway4 and Gateway6 are the host's default routes: the router's
	// addresses, in a three-host lab (zero otherwise).
	Gateway4 netip.Addr `json:"gateway4,omitzero"`
	Gateway6 netip.Addr `json:"gateway6,omitzero"`
}

// Iface is a host's end of a veth pair.
type Iface struct {
	Name  string         `json:"name"`
	Peer  string         `json:"peer"` // the role at the other end
	Addrs []netip.Prefix `json:"addrs"`
}

// Addr returns h's address of IP version v (4 or 6) on its first link;
// a router has one on each link, and Addr gives the client side's.
func (h *Host) Addr(v int) netip.Addr {
	for _, l := range h.Links {
		for _, p := range l.Addrs {
			if p.Addr().Is4() == (v == 4) {
				return p.Addr()
			}
		}
	}
	return netip.Addr{}
}

// Host returns the host of l with role, or an error naming the roles l has.
func (l *Lab) Host(role string) (*Host, error) {
	var roles []string
	for i := range l.Hosts {
		if l.Hosts[i].Role == role {
			return &l.Hosts[i], nil
		}
		roles = append(roles, l.Hosts[i].Role)
	}
	return nil, fmt.Errorf("lab %s has no host %q: its hosts are %v", l.Name, role, roles)
}

// link is one veth pair of the plan: the two hosts, their interface
// names and their addresses, each in a /24 and a /64.
type link struct {
	a, b         string // roles
	aIf, bIf     string
	net4         [3]byte // the /24
	net6         uint16  // 2001:db8:N::/64
	aHost, bHost byte    // the last byte of each address
}

// links returns the veth pairs of a lab of n hosts; the last one is the
// inner link, whose far end is the server.
func links(n int) []link {
	if n == 3 {
		return []link{
			{a: Client, b: Router, aIf: "eth0", bIf: "eth0", net4: [3]byte{192, 0, 2}, net6: 1, aHost: 10, bHost: 1},
			{a: Router, b: Server, aIf: "eth1", bIf: "eth0", net4: [3]byte{198, 51, 100}, net6: 2, aHost: 1, bHost: 20},
		}
	}
	return []link{{a: Client, b: Server, aIf: "eth0", bIf: "eth0", net4: [3]byte{192, 0, 2}, net6: 1, aHost: 10, bHost: 20}}
}

func (k link) prefixes(host byte) []netip.Prefix {
	v4 := netip.AddrFrom4([4]byte{k.net4[0], k.net4[1], k.net4[2], host})
	// The IPv6 address ends in the same digits as the IPv4 one: .20 and ::20.
	v6 := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(k.net6 >> 8), byte(k.net6), 15: host/10*16 + host%10})
	return []netip.Prefix{netip.PrefixFrom(v4, 24), netip.PrefixFrom(v6, 64)}
}

// newLab lays out the lab c describes: hosts, links, addresses, routes.
func newLab(c Config) *Lab {
	l := &Lab{Name: c.Name, Loss: c.Loss, Rate: c.Rate, MTU: c.MTU, State: "creating"}
	for _, r := range Roles(c.Hosts) {
		l.Hosts = append(l.Hosts, Host{Role: r, Netns: NetnsName(c.Name, r)})
	}
	for _, k := range links(c.Hosts) {
		a, _ := l.Host(k.a)
		b, _ := l.Host(k.b)
		a.Links = append(a.Links, Iface{Name: k.aIf, Peer: k.b, Addrs: k.prefixes(k.aHost)})
		b.Links = append(b.Links, Iface{Name: k.bIf, Peer: k.a, Addrs: k.prefixes(k.bHost)})
	}
	if c.Hosts == 3 {
		r, _ := l.Host(Router)
		for _, role := range []string{Client, Server} {
			h, _ := l.Host(role)
			for _, p := range r.Links {
				if p.Peer == role {
					h.Gateway4, h.Gateway6 = p.Addrs[0].Addr(), p.Addrs[1].Addr()
				}
			}
		}
	}
	return l
}
