package rawsock

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/socklab/socklab/families"
)

// OpenError is the failure of --mode auto: neither the datagram nor the raw
// ICMP socket opened. It holds both reasons, each with its fix, and
// unwraps to both, so errors.Is(err, os.ErrPermission) works.
type OpenError struct {
	IPVersion  int
	Dgram, Raw error
}

// Error lists both failures, one a line.
func (e *OpenError) Error() string {
	var b strings.Builder
	name := "ICMP"
	if e.IPVersion == 6 {
		name = "ICMPv6"
	}
	fmt.Fprintf(&b, "no %s socket opens here (tried dgram, then raw):", name)
	b.WriteString("\n  dgram: ")
	b.WriteString(e.Dgram.Error())
	b.WriteString("\n  raw:   ")
	b.WriteString(e.Raw.Error())
	return b.String()
}

// Unwrap returns both causes.
func (e *OpenError) Unwrap() []error { return []error{e.Dgram, e.Raw} }

// withOpenHint gives err, an *families.Error from opening a socket, the fix
// that depends on this process: an ICMP datagram socket refused because no
// gid of ours is in net.ipv4.ping_group_range gets PingGroupHint. It is
// the one place that hint is chosen; other errors keep families.Hint's.
func withOpenHint(err error) error {
	var fe *families.Error
	if errors.As(err, &fe) && isDgramICMP(fe.Spec) && errors.Is(err, os.ErrPermission) {
		fe.Hint = PingGroupHint()
	}
	return err
}

func isDgramICMP(s families.Spec) bool {
	return s.Type == families.SOCK_DGRAM && (s.Proto == families.IPPROTO_ICMP || s.Proto == families.IPPROTO_ICMPV6)
}

// probe opens and closes a socket of spec; the error has its fix.
func probe(spec families.Spec) error { return withOpenHint(families.ProbeSpec(spec)) }

// sendError is a failed send of a message to addr on a socket of spec,
// with the fix for its errno.
func sendError(spec families.Spec, addr string, err error) error {
	e := &families.Error{Op: "send", Spec: spec, Addr: addr, Err: families.Cause(err)}
	if errno, ok := families.Errno(err); ok {
		e.Hint, e.Terms = sendHint(errno), sendTerms(errno)
	}
	return e
}

// sendTerms are the settings sendHint names for errno.
func sendTerms(errno syscall.Errno) []families.Term {
	if errno == syscall.EMSGSIZE {
		return []families.Term{families.TermPacketSize}
	}
	return nil
}

func sendHint(errno syscall.Errno) string {
	switch errno {
	case syscall.EPERM, syscall.EACCES:
		return "the send was refused: a firewall rule (nft list ruleset) or a broadcast address without permission"
	case syscall.ENETUNREACH:
		return "no route to that network: check ip route"
	case syscall.EHOSTUNREACH:
		return "the host is unreachable (no neighbour answered ARP/ND, or a reject route)"
	case syscall.EMSGSIZE:
		return "the message is larger than the path MTU: send a smaller packet size"
	case syscall.EINVAL:
		return "the kernel rejected the destination for this socket (IPv4 vs IPv6, or a zone is needed for a link-local address)"
	}
	return ""
}

// sendIP4Error is a failed send of an n-byte IP_HDRINCL packet to dst,
// with the fix: the kernel's reasons to refuse a header we built differ
// from an ICMP socket's.
func sendIP4Error(spec families.Spec, dst string, n int, err error) error {
	e := sendError(spec, dst, err).(*families.Error)
	switch errno, _ := families.Errno(err); errno {
	case syscall.EMSGSIZE:
		e.Hint = fmt.Sprintf("the %d-byte packet is larger than the MTU of the route's device, and the kernel never fragments an IP_HDRINCL packet: send less, or build fragments (more fragments and a fragment offset)", n)
		e.Terms = []families.Term{families.TermFragment}
	case syscall.EPERM, syscall.EACCES:
		e.Hint = "refused: a firewall rule (nft list ruleset), or a broadcast destination"
	case syscall.EINVAL:
		e.Hint = "the kernel rejected the header: check the length and that the destination is a unicast IPv4 address"
	}
	return e
}
