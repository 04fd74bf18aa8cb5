package lab

import (
	"fmt"
	"strconv"
	"strings"
)

// step is one thing Up does: a command to run, or a sysctl to write inside
// a namespace (without needing procps' sysctl command).
type step struct {
	argv   []string
	netns  string // for a sysctl: the namespace
	sysctl string // "net/ipv4/ip_forward"
	value  string
}

// String is the step as a command a user could paste.
func (s step) String() string {
	if s.sysctl != "" {
		return "ip netns exec " + s.netns + " sysctl -qw " + strings.ReplaceAll(s.sysctl, "/", ".") + "=" + s.value
	}
	q := make([]string, len(s.argv))
	for i, a := range s.argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func cmd(argv ...string) step { return step{argv: argv} }

func sysctl(netns, key, value string) step {
	return step{netns: netns, sysctl: key, value: value}
}

// innerLink is the link whose far end is the server: where loss, rate and
// MTU apply.
func innerLink(n int) link {
	ks := links(n)
	return ks[len(ks)-1]
}

// plan returns the steps that build l, in order: namespaces, the veth
// pairs (created inside the namespaces, so nothing of the lab ever shows
// in this one), addresses, routes, forwarding, and the inner link's MTU,
// rate and loss.
func plan(l *Lab) []step {
	var s []step
	for _, h := range l.Hosts {
		s = append(s, cmd("ip", "netns", "add", h.Netns))
		// No duplicate address detection: an address is usable at
		// once, and the veths are the only ones on their links.
		s = append(s, sysctl(h.Netns, "net/ipv6/conf/default/accept_dad", "0"),
			sysctl(h.Netns, "net/ipv6/conf/all/accept_dad", "0"),
			cmd("ip", "-n", h.Netns, "link", "set", "lo", "up"))
	}
	for _, k := range links(len(l.Hosts)) {
		s = append(s, linkSteps(l, k)...)
	}
	s = append(s, routeSteps(l)...)
	return append(s, innerSteps(l)...)
}

// linkSteps creates one veth pair and addresses both ends.
func linkSteps(l *Lab, k link) []step {
	a, b := NetnsName(l.Name, k.a), NetnsName(l.Name, k.b)
	s := []step{cmd("ip", "link", "add", "name", k.aIf, "netns", a, "type", "veth", "peer", "name", k.bIf, "netns", b)}
	ends := []struct {
		ns, ifname, peer string
		host             byte
	}{{a, k.aIf, k.b, k.aHost}, {b, k.bIf, k.a, k.bHost}}
	// Both ends up before any address: an IPv6 address added to a link
	// whose carrier is not up yet leaves neighbour discovery unanswered
	// for the first second (measured: the first ping6 took 1 s).
	for _, end := range ends {
		s = append(s, cmd("ip", "-n", end.ns, "link", "set", end.ifname, "alias", alias(l.Name, end.peer)),
			cmd("ip", "-n", end.ns, "link", "set", end.ifname, "up"))
	}
	for _, end := range ends {
		for _, p := range k.prefixes(end.host) {
			s = append(s, cmd("ip", "-n", end.ns, "addr", "add", p.String(), "dev", end.ifname))
		}
	}
	return s
}

// alias is the description set on each veth end (ip link's ifalias), so
// that a lab's interfaces can be told from others wherever they are.
func alias(name, peer string) string { return "socklab lab " + name + ": to " + peer }

// routeSteps gives the client and server default routes through the
// router, and lets the router forward, in a three-host lab.
func routeSteps(l *Lab) []step {
	if len(l.Hosts) != 3 {
		return nil
	}
	r := NetnsName(l.Name, Router)
	s := []step{sysctl(r, "net/ipv4/ip_forward", "1"), sysctl(r, "net/ipv6/conf/all/forwarding", "1")}
	for _, h := range l.Hosts {
		if h.Gateway4.IsValid() {
			s = append(s, cmd("ip", "-n", h.Netns, "route", "add", "default", "via", h.Gateway4.String()),
				cmd("ip", "-n", h.Netns, "route", "add", "default", "via", h.Gateway6.String()))
		}
	}
	return s
}

// innerSteps sets the inner link's MTU and rate on both its ends, and the
// loss rule in the server.
func innerSteps(l *Lab) []step {
	k := innerLink(len(l.Hosts))
	ends := [][2]string{{NetnsName(l.Name, k.a), k.aIf}, {NetnsName(l.Name, k.b), k.bIf}}
	var s []step
	for _, e := range ends {
		if l.MTU != 0 {
			s = append(s, cmd("ip", "-n", e[0], "link", "set", e[1], "mtu", strconv.Itoa(l.MTU)))
		}
		if l.Rate != 0 {
			s = append(s, cmd("tc", "-n", e[0], "qdisc", "add", "dev", e[1], "root", "tbf",
				"rate", FormatRate(l.Rate), "burst", strconv.Itoa(burst(l.Rate, l.MTU)), "latency", "100ms"))
		}
	}
	if l.Loss > 0 {
		s = append(s, lossStep(NetnsName(l.Name, Server), l.Loss))
	}
	return s
}

// burst is tbf's bucket in bytes: 10 ms at the rate, and never less than
// two full packets, which tbf needs to pass a packet at all.
func burst(rate uint64, mtu int) int {
	if mtu == 0 {
		mtu = 1500
	}
	return max(int(rate/8/100), 2*(mtu+14))
}

// Table is the nftables table (family inet) a lab puts in its server.
const Table = "socklab"

// lossStep replaces the server's loss rule: packets it receives, other
// than on loopback and other than IPv6 neighbour discovery (without which
// no IPv6 packet is sent at all), are dropped with a probability of pct.
// The counter counts the drops.
func lossStep(netns string, pct float64) step {
	per10k := int(pct*100 + 0.5)
	rules := []string{
		"add table inet " + Table,
		"add chain inet " + Table + " input { type filter hook input priority 0; policy accept; }",
		"flush chain inet " + Table + " input",
	}
	if per10k > 0 {
		rules = append(rules,
			"add rule inet "+Table+" input iifname lo accept",
			"add rule inet "+Table+" input icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept",
			fmt.Sprintf("add rule inet %s input numgen random mod 10000 < %d counter drop comment \"loss %s%%\"", Table, per10k, strconv.FormatFloat(pct, 'f', -1, 64)))
	}
	return cmd("ip", "netns", "exec", netns, "nft", strings.Join(rules, "; "))
}
