package main

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode"

	"github.com/socklab/socklab/families"
)

// The address grammar of send and bench. The first positional argument is
// the peer's address when it looks like an address of the family, and a
// message otherwise; socklab never guesses between the two by trying. An
// argument that looks like an address and is not a valid one fails with
// the reason, so a typo never sends the address as a message to the
// default server. A message that looks like an address goes after "--".
//
//	IP families   [V6]:PORT  [V6%zone]:PORT  HOST:PORT  :PORT  an IP address
//	              without a port; HOST is an IP address or a host name
//	              (letters, digits, ".", "-", "_"), PORT is 1 to 65535.
//	unix          @name, /path, ./path, ../path, or a path with a "/" and
//	              no white space.
//
// Anything else, text with white space ("meet at 10:30") or a word
// ("hello", "s.sock"), is a message.

// looksLikeAddr reports whether s is written as an address of d's family.
func looksLikeAddr(d *families.Definition, s string) bool {
	switch d.Spec.Family {
	case families.AF_UNIX:
		return looksLikeUnixAddr(s)
	case families.AF_INET, families.AF_INET6:
		if portless(d) {
			return isIPLike(s)
		}
		return looksLikeIPAddr(s)
	}
	return false
}

// portless reports whether d's addresses have no port: raw and ICMP
// sockets, whose peer is a host.
func portless(d *families.Definition) bool { return strings.HasPrefix(d.Network, "ip") }

func looksLikeUnixAddr(s string) bool {
	for _, p := range []string{"@", "/", "./", "../"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return strings.Contains(s, "/") && !strings.ContainsFunc(s, unicode.IsSpace)
}

func looksLikeIPAddr(s string) bool {
	switch {
	case s == "" || strings.ContainsFunc(s, unicode.IsSpace):
		return false
	case s[0] == '[' || s[0] == ':' || isIPLike(s):
		return true
	case strings.Count(s, ":") != 1:
		return false
	}
	host, _, _ := strings.Cut(s, ":")
	return host != "" && isHostName(host)
}

// isIPLike reports whether s is an IP address, or is written like one: a
// dotted quad of any numbers (999.1.1.1), or hex digits and colons with a
// dot or two (an IPv6 address without brackets, with a port or not).
func isIPLike(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	if strings.Count(s, ".") == 3 && strings.Trim(s, "0123456789.") == "" {
		return true
	}
	return strings.Count(s, ":") >= 2 && strings.Trim(strings.ToLower(s), "0123456789abcdef:.") == ""
}

// isHostName reports whether s is made of what host names are made of.
func isHostName(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(".-_", r) {
			return false
		}
	}
	return true
}

// isNumeric reports whether a host is written as a number, not a name:
// digits and dots only (127.1, 10), or hex digits and colons.
func isNumeric(host string) bool {
	if strings.Trim(host, "0123456789.") == "" {
		return true
	}
	return strings.Contains(host, ":") && strings.Trim(strings.ToLower(host), "0123456789abcdef:.%") == ""
}

// addrError is an address refused by the grammar: a usage error.
type addrError struct {
	family, addr, reason, example string
	// asMessage is set when the address was the first positional
	// argument of send: the fix for a message that looks like one.
	asMessage string
}

func (e *addrError) Error() string {
	s := fmt.Sprintf("%s address %q: %s (want %s", e.family, e.addr, e.reason, e.example)
	if e.asMessage != "" {
		s += "; to send it as a message: " + e.asMessage
	}
	return s + ")"
}

// peer is a resolved peer address and what socklab had to make of it.
type peer struct {
	addr net.Addr
	// note says what was resolved or changed: a host name looked up, the
	// unspecified address taken for this host; "" when nothing.
	note string
}

// resolvePeer parses s, the address of d's family to send to, with the
// grammar's reasons for refusing it. Host names are looked up (the note
// says which address was taken); the unspecified address and an empty host
// mean this host, as with connect(2): the loopback address.
func resolvePeer(d *families.Definition, s string) (peer, error) {
	if d.Spec.Family != families.AF_INET && d.Spec.Family != families.AF_INET6 {
		a, err := d.ResolveAddr(s)
		return peer{addr: a}, err
	}
	if portless(d) {
		return hostPeer(d, s)
	}
	fail := func(format string, args ...any) (peer, error) {
		return peer{}, &addrError{family: d.Name, addr: s, reason: fmt.Sprintf(format, args...), example: ipExample(d)}
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return splitError(d, s, fail)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 || strings.Trim(port, "0123456789") != "" {
		return fail("port %q is not a number from 1 to 65535", port)
	}
	if host == "" {
		host = "0.0.0.0"
		if d.Spec.Family == families.AF_INET6 {
			host = "::"
		}
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err == nil:
		return literalPeer(d, s, ip, p, fail)
	case isNumeric(host):
		return fail("%s is not an IP%s address", host, ipVersionName(d))
	case !isHostName(host):
		return fail("%q is neither an IP address nor a host name", host)
	}
	return namedPeer(d, s)
}

// splitError says why s does not split into a host and a port.
func splitError(d *families.Definition, s string, fail func(string, ...any) (peer, error)) (peer, error) {
	switch {
	case strings.HasPrefix(s, "[") && !strings.Contains(s, "]:"):
		return fail("no port after the brackets")
	case strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "["):
		return fail("an IPv6 address goes in brackets before its port")
	case !strings.Contains(s, ":"):
		return fail("no port")
	}
	return fail("not HOST:PORT")
}

// literalPeer checks an IP address written as a number against d's family.
func literalPeer(d *families.Definition, s string, ip netip.Addr, port int, fail func(string, ...any) (peer, error)) (peer, error) {
	v6 := d.Spec.Family == families.AF_INET6
	switch {
	case !v6 && !ip.Is4():
		return fail("%s is not an IPv4 address (IPv6 is udp6's)", ip)
	case v6 && ip.Is4():
		return fail("%s is an IPv4 address: %s is IPv6 only (IPv4 is udp4's)", ip, d.Name)
	case v6 && ip.Is4In6():
		return fail("%s is IPv4 mapped into IPv6, which a v6-only socket cannot reach (use udp4)", ip)
	}
	var p peer
	if ip.WithZone("").IsUnspecified() {
		lo := netip.IPv6Loopback()
		if !v6 {
			lo = netip.AddrFrom4([4]byte{127, 0, 0, 1})
		}
		p.note = fmt.Sprintf("%s means this host, as with connect(2): sending to %s", s, netip.AddrPortFrom(lo, uint16(port)))
		ip = lo
	}
	p.addr = &net.UDPAddr{IP: ip.AsSlice(), Port: port, Zone: ip.Zone()}
	return p, nil
}

// hostPeer parses the peer of a raw or ICMP family: an IP address of the
// family, or a host name, with no port.
func hostPeer(d *families.Definition, s string) (peer, error) {
	fail := func(format string, args ...any) (peer, error) {
		return peer{}, &addrError{family: d.Name, addr: s, reason: fmt.Sprintf(format, args...), example: "HOST, e.g. " + d.DefaultAddr}
	}
	ip, err := netip.ParseAddr(s)
	switch {
	case err == nil && (d.Spec.Family == families.AF_INET6) == ip.Is4():
		return fail("%s is not an IP%s address", ip, ipVersionName(d))
	case err == nil:
		return peer{addr: &net.IPAddr{IP: ip.AsSlice(), Zone: ip.Zone()}}, nil
	case isNumeric(s) || strings.Contains(s, ":"):
		return fail("not an IP%s address (a raw socket's peer has no port)", ipVersionName(d))
	case !isHostName(s):
		return fail("%q is neither an IP address nor a host name", s)
	}
	return namedPeer(d, s)
}

// namedPeer looks up a host name with the family's resolver.
func namedPeer(d *families.Definition, s string) (peer, error) {
	a, err := d.ResolveAddr(s)
	if err != nil {
		return peer{}, err
	}
	return peer{addr: a, note: fmt.Sprintf("%s is %s", s, a)}, nil
}

func ipExample(d *families.Definition) string {
	if d.Spec.Family == families.AF_INET6 {
		return "[ADDR]:PORT, e.g. [::1]:8020"
	}
	return "HOST:PORT, e.g. 127.0.0.1:8020"
}

func ipVersionName(d *families.Definition) string {
	if d.Spec.Family == families.AF_INET6 {
		return "v6"
	}
	return "v4"
}
