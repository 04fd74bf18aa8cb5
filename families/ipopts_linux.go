package families

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// Linux's flow label manager, which x/sys/unix does not name
// (linux/in6.h).
const (
	ipv6FlowlabelMgr = 32  // IPV6_FLOWLABEL_MGR
	ipv6FlowinfoSend = 33  // IPV6_FLOWINFO_SEND
	ipv6FlAGet       = 0   // IPV6_FL_A_GET
	ipv6FlFCreate    = 1   // IPV6_FL_F_CREATE
	ipv6FlSAny       = 255 // IPV6_FL_S_ANY: any socket that asks may share it
)

// sockopt is one integer socket option to set.
type sockopt struct {
	level, opt int
	name       string
	v          int
}

// ipLevel is the option level and names of one IP version.
type ipLevel struct {
	level                                         int
	ttl, tos, mtuDisc, mcTTL, mcLoop, mcIf        int
	ttlName, tosName, dfName, mcTTLName, loopName string
}

var ip4Level = ipLevel{unix.IPPROTO_IP, unix.IP_TTL, unix.IP_TOS, unix.IP_MTU_DISCOVER, unix.IP_MULTICAST_TTL, unix.IP_MULTICAST_LOOP, unix.IP_MULTICAST_IF,
	"IP_TTL", "IP_TOS", "IP_MTU_DISCOVER", "IP_MULTICAST_TTL", "IP_MULTICAST_LOOP"}

var ip6Level = ipLevel{unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, unix.IPV6_TCLASS, unix.IPV6_MTU_DISCOVER, unix.IPV6_MULTICAST_HOPS, unix.IPV6_MULTICAST_LOOP, unix.IPV6_MULTICAST_IF,
	"IPV6_UNICAST_HOPS", "IPV6_TCLASS", "IPV6_MTU_DISCOVER", "IPV6_MULTICAST_HOPS", "IPV6_MULTICAST_LOOP"}

// levelOf is the IP level of a socket of spec, or an error for a socket
// that has no IP header.
func levelOf(s Spec) (ipLevel, error) {
	switch s.Family {
	case AF_INET:
		return ip4Level, nil
	case AF_INET6:
		return ip6Level, nil
	}
	return ipLevel{}, fmt.Errorf("%s has no IP header: IP options need an AF_INET or AF_INET6 socket", s)
}

// SetIPOptions sets o on c, an IPv4 or IPv6 socket. The error, an *Error,
// names the socket and the socket option the kernel refused.
func SetIPOptions(c Conn, o IPOptions) error {
	s := c.Spec()
	l, err := levelOf(s)
	if err != nil {
		return err
	}
	if err := o.check(s.Family); err != nil {
		return err
	}
	if err := Control(c, func(fd int) error { return setIPOptions(fd, s.Family, l, o) }); err != nil {
		return &Error{Op: "setsockopt", Spec: s, Err: err}
	}
	return nil
}

// check refuses the options an IP version does not have.
func (o IPOptions) check(family int) error {
	switch {
	case family == AF_INET && o.FlowLabel != 0:
		return fmt.Errorf("IPv4 has no flow label: it is a field of the IPv6 header")
	case family == AF_INET6 && o.Broadcast:
		return fmt.Errorf("IPv6 has no broadcast: send to the all-nodes group ff02::1 on an interface instead")
	case o.FlowLabel > MaxFlowLabel:
		return fmt.Errorf("flow label %#x: it has 20 bits, at most 0xfffff", o.FlowLabel)
	}
	return nil
}

func setIPOptions(fd, family int, l ipLevel, o IPOptions) error {
	var opts []sockopt
	if o.TTL > 0 {
		opts = append(opts, sockopt{l.level, l.ttl, l.ttlName, o.TTL})
	}
	if o.TOS != nil {
		opts = append(opts, sockopt{l.level, l.tos, l.tosName, int(*o.TOS)})
	}
	if o.DF != DFKernel {
		opts = append(opts, sockopt{l.level, l.mtuDisc, l.dfName, int(o.DF) - 1})
	}
	if o.Broadcast {
		opts = append(opts, sockopt{unix.SOL_SOCKET, unix.SO_BROADCAST, "SO_BROADCAST", 1})
	}
	if o.MulticastTTL != nil {
		opts = append(opts, sockopt{l.level, l.mcTTL, l.mcTTLName, *o.MulticastTTL})
	}
	if o.MulticastLoop != nil {
		opts = append(opts, sockopt{l.level, l.mcLoop, l.loopName, boolInt(*o.MulticastLoop)})
	}
	for _, so := range opts {
		if err := SetsockoptInt(fd, so.level, so.opt, so.v); err != nil {
			return os.NewSyscallError("setsockopt "+so.name, err)
		}
	}
	if o.MulticastIf != "" {
		if err := setMulticastIf(fd, family, o.MulticastIf); err != nil {
			return err
		}
	}
	if o.FlowLabel != 0 {
		return setFlowLabel(fd, o.FlowLabel, o.FlowDst)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// setMulticastIf makes multicast leave by interface name.
func setMulticastIf(fd, family int, name string) error {
	ifi, err := LookupInterface(name)
	if err != nil {
		return err
	}
	if family == AF_INET6 {
		return os.NewSyscallError("setsockopt IPV6_MULTICAST_IF", SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifi.Index))
	}
	// struct ip_mreqn: the group (unused here), the interface's address
	// (what getsockopt reads back), its index.
	var mreqn [12]byte
	if a, ok := ifaceAddr4(ifi); ok {
		copy(mreqn[4:8], a.AsSlice())
	}
	binary.NativeEndian.PutUint32(mreqn[8:], uint32(ifi.Index))
	return os.NewSyscallError("setsockopt IP_MULTICAST_IF", setsockoptBytes(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreqn[:]))
}

// ifaceAddr4 is the first IPv4 address of an interface.
func ifaceAddr4(ifi *net.Interface) (netip.Addr, bool) {
	addrs, _ := InterfaceAddrsOf(ifi.Index)
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP.To4()); ok && ipn.IP.To4() != nil {
				return ip, true
			}
		}
	}
	return netip.Addr{}, false
}

// setFlowLabel asks the flow label manager for label, shared with any
// socket that asks for it the same way (IPV6_FL_S_ANY, as iperf3 does): an
// exclusive label would make a second run within the label's linger (6 s
// after its socket closed) fail with EPERM. It then turns on IPV6_FLOWINFO_SEND so that a destination's
// sin6_flowinfo (FlowAddr) labels the datagrams.
func setFlowLabel(fd int, label uint32, dst netip.Addr) error {
	if !dst.Is6() || dst.Is4In6() || dst.IsUnspecified() {
		return fmt.Errorf("flow label %#x: the flow label manager wants the IPv6 destination it is for, not %v", label, dst)
	}
	// struct in6_flowlabel_req: flr_dst[16], flr_label (big-endian),
	// flr_action, flr_share, flr_flags, flr_expires, flr_linger, pad.
	var req [32]byte
	copy(req[:16], dst.AsSlice())
	binary.BigEndian.PutUint32(req[16:], label)
	req[20] = ipv6FlAGet
	req[21] = ipv6FlSAny
	binary.NativeEndian.PutUint16(req[22:], ipv6FlFCreate)
	if err := setsockoptBytes(fd, unix.IPPROTO_IPV6, ipv6FlowlabelMgr, req[:]); err != nil {
		if err == unix.ERANGE {
			return fmt.Errorf("flow label %#x: the kernel keeps labels from 0x80000 up for stateless use (net.ipv6.flowlabel_state_ranges=1): choose one below 0x80000", label)
		}
		if err == unix.EPERM {
			return fmt.Errorf("flow label %#x: another program holds it for its socket alone (as ping -F does), or did moments ago (the kernel keeps a released label 6 s or more): choose another label, or wait", label)
		}
		return os.NewSyscallError("setsockopt IPV6_FLOWLABEL_MGR", err)
	}
	return os.NewSyscallError("setsockopt IPV6_FLOWINFO_SEND", SetsockoptInt(fd, unix.IPPROTO_IPV6, ipv6FlowinfoSend, 1))
}

// ReadIPOptions reads back c's IP options with getsockopt.
func ReadIPOptions(c Conn) (IPOptionsRead, error) {
	s := c.Spec()
	l, err := levelOf(s)
	if err != nil {
		return IPOptionsRead{}, err
	}
	var r IPOptionsRead
	err = Control(c, func(fd int) error { return readIPOptions(fd, s.Family, l, &r) })
	return r, err
}

func readIPOptions(fd, family int, l ipLevel, r *IPOptionsRead) error {
	var v [7]int
	for i, o := range []struct{ level, opt int }{{l.level, l.ttl}, {l.level, l.tos}, {l.level, l.mtuDisc},
		{unix.SOL_SOCKET, unix.SO_BROADCAST}, {l.level, l.mcTTL}, {l.level, l.mcLoop}, {l.level, l.mcIf}} {
		if i == 6 && family == AF_INET {
			break // IP_MULTICAST_IF reads back an address, below
		}
		x, err := GetsockoptInt(fd, o.level, o.opt)
		if err != nil {
			return os.NewSyscallError("getsockopt", err)
		}
		v[i] = x
	}
	*r = IPOptionsRead{TTL: v[0], TOS: uint8(v[1]), DF: DFMode(v[2] + 1), Broadcast: v[3] != 0, MulticastTTL: v[4], MulticastLoop: v[5] != 0}
	if family == AF_INET6 {
		r.MulticastIf = ifaceName(v[6])
		send, err := GetsockoptInt(fd, unix.IPPROTO_IPV6, ipv6FlowinfoSend)
		r.FlowInfoSend = err == nil && send != 0
		return nil
	}
	var a [4]byte
	if _, err := getsockoptBytes(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, a[:]); err == nil && a != [4]byte{} {
		r.MulticastIf = ifaceOfAddr(netip.AddrFrom4(a))
	}
	return nil
}

// ifaceName names interface index i, "" for 0 or none.
func ifaceName(i int) string {
	if i == 0 {
		return ""
	}
	if ifi, err := InterfaceByIndex(i); err == nil {
		return ifi.Name
	}
	return fmt.Sprint(i)
}

// ifaceOfAddr names the interface that has address a, or spells a.
func ifaceOfAddr(a netip.Addr) string {
	ifs, _ := Interfaces()
	for i := range ifs {
		if b, ok := ifaceAddr4(&ifs[i]); ok && b == a {
			return ifs[i].Name
		}
	}
	return a.String()
}
