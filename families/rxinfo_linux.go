package families

import (
	"encoding/binary"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// EnableRecvInfo asks the kernel to attach RecvInfo's facts to every
// datagram c receives (IP_RECVTTL, IP_RECVTOS, IP_PKTINFO or their IPv6
// counterparts, and SO_TIMESTAMPING's receive timestamps), for
// ParseRecvInfo. Each costs the kernel a control message per datagram: ask
// only when they are shown.
func EnableRecvInfo(c Conn) error {
	s := c.Spec()
	var opts []sockopt
	switch s.Family {
	case AF_INET:
		opts = []sockopt{{unix.IPPROTO_IP, unix.IP_RECVTTL, "IP_RECVTTL", 1}, {unix.IPPROTO_IP, unix.IP_RECVTOS, "IP_RECVTOS", 1},
			{unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO", 1}}
	case AF_INET6:
		opts = []sockopt{{unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", 1}, {unix.IPPROTO_IPV6, unix.IPV6_RECVTCLASS, "IPV6_RECVTCLASS", 1},
			{unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", 1}}
	}
	opts = append(opts, sockopt{unix.SOL_SOCKET, unix.SO_TIMESTAMPING, "SO_TIMESTAMPING", rxStampFlags})
	return Control(c, func(fd int) error {
		for _, o := range opts {
			if err := SetsockoptInt(fd, o.level, o.opt, o.v); err != nil {
				return os.NewSyscallError("setsockopt "+o.name, err)
			}
		}
		return nil
	})
}

// rxStampFlags ask for software receive timestamps, and the card's where
// it makes them.
const rxStampFlags = unix.SOF_TIMESTAMPING_RX_SOFTWARE | unix.SOF_TIMESTAMPING_SOFTWARE |
	unix.SOF_TIMESTAMPING_RX_HARDWARE | unix.SOF_TIMESTAMPING_RAW_HARDWARE

// ParseRecvInfo reads RecvInfo from a datagram's control messages. It
// allocates nothing.
func ParseRecvInfo(oob []byte) RecvInfo {
	r := RecvInfo{TTL: -1, TOS: -1}
	if v, ok := CmsgUint32(oob, unix.IPPROTO_IP, unix.IP_TTL); ok {
		r.TTL = int(v)
	} else if v, ok := CmsgUint32(oob, unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT); ok {
		r.TTL = int(v)
	}
	if d := Cmsg(oob, unix.IPPROTO_IP, unix.IP_TOS); len(d) >= 1 {
		r.TOS = int(d[0])
	} else if v, ok := CmsgUint32(oob, unix.IPPROTO_IPV6, unix.IPV6_TCLASS); ok {
		r.TOS = int(v)
	}
	if d := Cmsg(oob, unix.IPPROTO_IP, unix.IP_PKTINFO); len(d) >= unix.SizeofInet4Pktinfo {
		r.IfIndex = int(binary.NativeEndian.Uint32(d))
		r.Dst = netip.AddrFrom4([4]byte(d[8:12]))
	} else if d := Cmsg(oob, unix.IPPROTO_IPV6, unix.IPV6_PKTINFO); len(d) >= unix.SizeofInet6Pktinfo {
		r.Dst = netip.AddrFrom16([16]byte(d[:16]))
		r.IfIndex = int(binary.NativeEndian.Uint32(d[16:]))
	}
	r.Stamp, r.HWStamp = ParseTimestamps(oob)
	return r
}

// ParseTimestamps reads SCM_TIMESTAMPING: the software timestamp and the
// card's raw hardware one, each zero when absent.
func ParseTimestamps(oob []byte) (sw, hw time.Time) {
	d := Cmsg(oob, unix.SOL_SOCKET, unix.SCM_TIMESTAMPING)
	if d == nil {
		d = Cmsg(oob, unix.SOL_SOCKET, unix.SO_TIMESTAMPING_NEW)
	}
	if len(d) < 48 {
		return time.Time{}, time.Time{}
	}
	// struct scm_timestamping: ts[0] software, ts[1] unused, ts[2] hardware.
	return timespec(d[0:16]), timespec(d[32:48])
}

// timespec reads a 64-bit struct timespec; zero stays the zero Time.
func timespec(b []byte) time.Time {
	sec, nsec := int64(binary.NativeEndian.Uint64(b)), int64(binary.NativeEndian.Uint64(b[8:]))
	if sec == 0 && nsec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, nsec)
}
