package families

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Joining a group: the protocol-independent MCAST_JOIN_GROUP and
// MCAST_JOIN_SOURCE_GROUP (RFC 3678), one call for IPv4 and IPv6, any
// source or source-specific. The membership lasts until LeaveGroup or
// until the socket closes; the kernel then sends IGMP or MLD reports on
// the interface.

// groupReqOff is where gr_group starts in struct group_req: after the
// interface index, at the alignment of a pointer.
const groupReqOff = int(unsafe.Sizeof(uintptr(0)))

// sockaddrStorage is the size of struct sockaddr_storage.
const sockaddrStorage = 128

// JoinGroup makes c, a UDP socket, a member of g on g.Iface (or the
// interface the kernel routes the group to). With source valid, only that
// source's datagrams to the group are delivered (source-specific
// multicast); otherwise any source's are.
func JoinGroup(c Conn, g Group, source netip.Addr) error {
	return groupOp(c, g, source, true)
}

// LeaveGroup ends the membership JoinGroup made.
func LeaveGroup(c Conn, g Group, source netip.Addr) error {
	return groupOp(c, g, source, false)
}

func groupOp(c Conn, g Group, source netip.Addr, join bool) error {
	s := c.Spec()
	l, err := levelOf(s)
	if err != nil {
		return err
	}
	if err := checkGroup(s.Family, g, source); err != nil {
		return err
	}
	index := 0
	if g.Iface != "" {
		ifi, err := LookupInterface(g.Iface)
		if err != nil {
			return fmt.Errorf("group %s: %w", g, err)
		}
		index = ifi.Index
	}
	opt, name, req := groupRequest(join, index, g.Addr, source)
	err = Control(c, func(fd int) error { return setsockoptBytes(fd, l.level, opt, req) })
	if err != nil {
		return groupError(g, source, name, err)
	}
	return nil
}

// checkGroup refuses a group or source of the other IP version, and a
// source that is not unicast.
func checkGroup(family int, g Group, source netip.Addr) error {
	v6 := family == AF_INET6
	switch {
	case !g.Addr.IsMulticast():
		return fmt.Errorf("group %s is not a multicast address: IPv4 groups are 224.0.0.0/4, IPv6 groups ff00::/8", g.Addr)
	case (g.Addr.Is6() && !g.Addr.Is4In6()) != v6:
		return fmt.Errorf("group %s is not an %s address: the socket is %s", g.Addr, ipVersion(v6), FamilyName(family))
	case source.IsValid() && (source.Is6() != v6 || source.IsMulticast() || source.IsUnspecified()):
		return fmt.Errorf("source %s: want the unicast %s address of the one sender to hear", source, ipVersion(v6))
	}
	return nil
}

func ipVersion(v6 bool) string {
	if v6 {
		return "IPv6"
	}
	return "IPv4"
}

// groupRequest builds struct group_req, or group_source_req with a source.
func groupRequest(join bool, index int, group, source netip.Addr) (int, string, []byte) {
	opt, name := unix.MCAST_JOIN_GROUP, "MCAST_JOIN_GROUP"
	n := groupReqOff + sockaddrStorage
	switch {
	case source.IsValid() && join:
		opt, name, n = unix.MCAST_JOIN_SOURCE_GROUP, "MCAST_JOIN_SOURCE_GROUP", n+sockaddrStorage
	case source.IsValid():
		opt, name, n = unix.MCAST_LEAVE_SOURCE_GROUP, "MCAST_LEAVE_SOURCE_GROUP", n+sockaddrStorage
	case !join:
		opt, name = unix.MCAST_LEAVE_GROUP, "MCAST_LEAVE_GROUP"
	}
	req := make([]byte, n)
	binary.NativeEndian.PutUint32(req, uint32(index))
	putSockaddr(req[groupReqOff:], group)
	if source.IsValid() {
		putSockaddr(req[groupReqOff+sockaddrStorage:], source)
	}
	return opt, name, req
}

// putSockaddr writes a as a sockaddr_in or sockaddr_in6 of port 0.
func putSockaddr(b []byte, a netip.Addr) {
	if a.Is4() {
		binary.NativeEndian.PutUint16(b, unix.AF_INET)
		copy(b[4:8], a.AsSlice())
		return
	}
	binary.NativeEndian.PutUint16(b, unix.AF_INET6)
	copy(b[8:24], a.AsSlice())
}

// groupError says why a join or leave failed, in the kernel's terms.
func groupError(g Group, source netip.Addr, name string, err error) error {
	what := "group " + g.String()
	if source.IsValid() {
		what += " from source " + source.String()
	}
	switch {
	case errors.Is(err, unix.ENODEV) && g.Iface == "":
		return fmt.Errorf("%s: no route to the group picks an interface: name one, GROUP%%IFACE", what)
	case errors.Is(err, unix.ENODEV):
		return fmt.Errorf("%s: interface %s cannot join groups (down, or no multicast)", what, g.Iface)
	case errors.Is(err, unix.EADDRINUSE):
		return fmt.Errorf("%s: this socket has joined it already", what)
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return fmt.Errorf("%s: this socket is not a member", what)
	case errors.Is(err, unix.ENOBUFS):
		return fmt.Errorf("%s: the kernel's limit of memberships per socket is reached (net.ipv4.igmp_max_memberships)", what)
	}
	return fmt.Errorf("%s: %w", what, os.NewSyscallError("setsockopt "+name, err))
}
