package families

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// A server bound to a wildcard address (0.0.0.0, ::) answers from the
// address the routing table picks for the peer, which need not be the one
// the request was sent to: a request to 127.0.0.2 answered from 127.0.0.1
// is dropped by a connected client (socat UDP4-CONNECT, socklab send). With
// RecvDestination on, every datagram carries its destination address and
// arrival interface (IP_PKTINFO, IPV6_PKTINFO), and a reply built with
// ReplyControl goes out from them.

// pktinfoSpace is the room one IPv4 or IPv6 packet-info message takes.
const pktinfoSpace = cmsgHdrLen + (unix.SizeofInet6Pktinfo+cmsgAlign-1)&^(cmsgAlign-1)

// RecvDestination asks the kernel to attach each datagram's destination
// address and arrival interface to it, for ReplyControl. It does nothing
// on sockets that are not IP.
func RecvDestination(c Conn) error {
	s := c.Spec()
	return Control(c, func(fd int) error { return setDestination(fd, s.Family) })
}

func setDestination(fd, family int) error {
	switch family {
	case AF_INET:
		return os.NewSyscallError("setsockopt IP_PKTINFO", SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_PKTINFO, 1))
	case AF_INET6:
		return os.NewSyscallError("setsockopt IPV6_RECVPKTINFO", SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1))
	}
	return nil
}

// ReplyControl appends to dst the control message that sends a reply from
// the destination address and interface recorded in rx, a received
// datagram's control messages, and returns it; dst unchanged when rx holds
// none. It allocates nothing when dst has room.
func ReplyControl(dst, rx []byte) []byte {
	if d := Cmsg(rx, unix.IPPROTO_IP, unix.IP_PKTINFO); len(d) >= unix.SizeofInet4Pktinfo {
		// in_pktinfo: ifindex, spec_dst (the local address it came to),
		// addr (the header's destination). spec_dst is the source to use:
		// for a request to a group or a broadcast address the kernel made
		// it the interface's unicast address.
		var info [unix.SizeofInet4Pktinfo]byte
		copy(info[0:4], d[0:4])
		copy(info[4:8], d[4:8])
		return appendCmsg(dst, unix.IPPROTO_IP, unix.IP_PKTINFO, info[:])
	}
	if d := Cmsg(rx, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO); len(d) >= unix.SizeofInet6Pktinfo {
		// in6_pktinfo: addr (the header's destination), ifindex. A
		// request to a group is answered from the interface's unicast
		// address, which the kernel picks when addr is left zero: a
		// group is never a source (the kernel refuses it, EINVAL).
		var info [unix.SizeofInet6Pktinfo]byte
		copy(info[:], d)
		if info[0] == 0xff {
			clear(info[:16])
		}
		return appendCmsg(dst, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO, info[:])
	}
	return dst
}

// appendCmsg appends one control message to dst.
func appendCmsg(dst []byte, level, typ int32, data []byte) []byte {
	n := len(dst)
	space := cmsgHdrLen + (len(data)+cmsgAlign-1)&^(cmsgAlign-1)
	dst = append(dst, make([]byte, space)...)[:n+space]
	m := dst[n:]
	clear(m)
	if cmsgAlign == 8 {
		binary.NativeEndian.PutUint64(m, uint64(cmsgHdrLen+len(data)))
	} else {
		binary.NativeEndian.PutUint32(m, uint32(cmsgHdrLen+len(data)))
	}
	binary.NativeEndian.PutUint32(m[cmsgAlign:], uint32(level))
	binary.NativeEndian.PutUint32(m[cmsgAlign+4:], uint32(typ))
	copy(m[cmsgHdrLen:], data)
	return dst
}
