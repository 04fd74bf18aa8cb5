package families

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// What package net asks the kernel over netlink (this host's addresses,
// an interface's name or index), asked here instead, so that the socket
// calls are made, and traced, where every other socket call of this module
// is: a NETLINK_ROUTE socket, one dump request, the replies, close. It is
// what syscall.NetlinkRIB does.

// netlinkDump sends one dump request of typ (RTM_GETADDR, RTM_GETLINK) and
// returns the messages of the answer.
func netlinkDump(typ int) ([]syscall.NetlinkMessage, error) {
	// Blocking, as Go's own: the kernel answers a dump as it is read.
	fd, err := sysSocketFlags(Spec{Family: unix.AF_NETLINK, Type: unix.SOCK_RAW, Proto: unix.NETLINK_ROUTE}, unix.SOCK_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	defer sysClose(fd)
	if err := sysSendtoNetlink(fd, dumpRequest(typ)); err != nil {
		return nil, os.NewSyscallError("sendto", err)
	}
	var msgs []syscall.NetlinkMessage
	buf := make([]byte, os.Getpagesize()*4)
	for {
		n, err := sysRecvfromNetlink(fd, buf)
		if err != nil {
			return nil, os.NewSyscallError("recvfrom", err)
		}
		batch, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range batch {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return msgs, nil
			case unix.NLMSG_ERROR:
				return nil, errors.New("netlink dump refused")
			}
			m.Data = append([]byte(nil), m.Data...) // buf is read into again
			msgs = append(msgs, m)
		}
	}
}

// dumpRequest is a netlink message that asks for a dump of typ, for
// every address family: struct nlmsghdr, then struct rtgenmsg padded.
func dumpRequest(typ int) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN+4)
	binary.NativeEndian.PutUint32(b[0:4], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:6], uint16(typ))
	binary.NativeEndian.PutUint16(b[6:8], unix.NLM_F_DUMP|unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(b[8:12], 1) // sequence
	b[unix.NLMSG_HDRLEN] = unix.AF_UNSPEC
	return b
}

// InterfaceAddrs is net.InterfaceAddrs (this host's addresses, each an
// *net.IPNet), from a netlink dump made by this package, where the Tracer
// sees it.
func InterfaceAddrs() ([]net.Addr, error) {
	msgs, err := netlinkDump(unix.RTM_GETADDR)
	if err != nil {
		return nil, fmt.Errorf("interface addresses: %w", err)
	}
	var addrs []net.Addr
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg {
			continue
		}
		if a := ifAddr(m); a != nil {
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}

// ifAddr reads one RTM_NEWADDR message as package net does: on IPv4 the
// local address (IFA_LOCAL, which differs from IFA_ADDRESS on a
// point-to-point link), else the address.
func ifAddr(m syscall.NetlinkMessage) *net.IPNet {
	family, prefix := m.Data[0], int(m.Data[1])
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return nil
	}
	var ip net.IP
	for _, a := range attrs {
		switch {
		case a.Attr.Type == unix.IFA_LOCAL && family == unix.AF_INET:
			ip = net.IP(a.Value)
		case a.Attr.Type == unix.IFA_ADDRESS && ip == nil:
			ip = net.IP(a.Value)
		}
	}
	if len(ip) != net.IPv4len && len(ip) != net.IPv6len {
		return nil
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(prefix, 8*len(ip))}
}

// Interfaces is net.Interfaces (index, name, MTU, hardware address and
// flags of every interface), from a netlink dump made by this package,
// where the Tracer sees it.
func Interfaces() ([]net.Interface, error) {
	msgs, err := netlinkDump(unix.RTM_GETLINK)
	if err != nil {
		return nil, fmt.Errorf("interfaces: %w", err)
	}
	var ifs []net.Interface
	for _, m := range msgs {
		if m.Header.Type == unix.RTM_NEWLINK && len(m.Data) >= unix.SizeofIfInfomsg {
			if ifi, ok := ifLink(m); ok {
				ifs = append(ifs, ifi)
			}
		}
	}
	return ifs, nil
}

// ifLink reads one RTM_NEWLINK message as package net does.
func ifLink(m syscall.NetlinkMessage) (net.Interface, bool) {
	ifi := net.Interface{Index: int(int32(binary.NativeEndian.Uint32(m.Data[4:8])))} // ifinfomsg.ifi_index
	flags := binary.NativeEndian.Uint32(m.Data[8:12])
	for _, f := range []struct {
		sys uint32
		net net.Flags
	}{{unix.IFF_UP, net.FlagUp}, {unix.IFF_BROADCAST, net.FlagBroadcast}, {unix.IFF_LOOPBACK, net.FlagLoopback},
		{unix.IFF_POINTOPOINT, net.FlagPointToPoint}, {unix.IFF_MULTICAST, net.FlagMulticast}, {unix.IFF_RUNNING, net.FlagRunning}} {
		if flags&f.sys != 0 {
			ifi.Flags |= f.net
		}
	}
	attrs, err := syscall.ParseNetlinkRouteAttr(&m)
	if err != nil {
		return ifi, false
	}
	for _, a := range attrs {
		switch a.Attr.Type {
		case unix.IFLA_IFNAME:
			ifi.Name = strings.TrimRight(string(a.Value), "\x00")
		case unix.IFLA_MTU:
			if len(a.Value) >= 4 {
				ifi.MTU = int(binary.NativeEndian.Uint32(a.Value))
			}
		case unix.IFLA_ADDRESS:
			if len(a.Value) > 0 && strings.Trim(string(a.Value), "\x00") != "" {
				ifi.HardwareAddr = net.HardwareAddr(a.Value)
			}
		}
	}
	return ifi, ifi.Name != ""
}

// InterfaceByIndex is net.InterfaceByIndex, from families' netlink dump.
func InterfaceByIndex(index int) (*net.Interface, error) {
	ifs, err := Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		if ifs[i].Index == index {
			return &ifs[i], nil
		}
	}
	return nil, fmt.Errorf("no interface with index %d", index)
}

// InterfaceByName is net.InterfaceByName, from families' netlink dump.
func InterfaceByName(name string) (*net.Interface, error) {
	ifs, err := Interfaces()
	if err != nil {
		return nil, err
	}
	for i := range ifs {
		if ifs[i].Name == name {
			return &ifs[i], nil
		}
	}
	return nil, fmt.Errorf("no interface %q", name)
}

// InterfaceAddrsOf is (*net.Interface).Addrs of interface index, from
// families' netlink dump.
func InterfaceAddrsOf(index int) ([]net.Addr, error) {
	msgs, err := netlinkDump(unix.RTM_GETADDR)
	if err != nil {
		return nil, fmt.Errorf("interface addresses: %w", err)
	}
	var addrs []net.Addr
	for _, m := range msgs {
		if m.Header.Type != unix.RTM_NEWADDR || len(m.Data) < unix.SizeofIfAddrmsg || int(binary.NativeEndian.Uint32(m.Data[4:8])) != index {
			continue
		}
		if a := ifAddr(m); a != nil {
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}

// ifIndex is the index of the interface called name, for an IPv6 zone.
func ifIndex(name string) (int, error) {
	ifi, err := InterfaceByName(name)
	if err != nil {
		return 0, err
	}
	return ifi.Index, nil
}

// ifName is the name of interface index, for an IPv6 zone.
func ifName(index int) (string, error) {
	ifi, err := InterfaceByIndex(index)
	if err != nil {
		return "", err
	}
	return ifi.Name, nil
}
