package families

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// Kernel timestamps of sends and receives (SO_TIMESTAMPING): a send's
// software timestamp is taken as the packet leaves for the device driver
// and comes back on the error queue with a copy of the packet; a receive's
// as the packet enters the stack, attached to the datagram. Hardware
// timestamps come only from cards that make them, once enabled on the
// device (SIOCSHWTSTAMP).

// stampFlags ask for software send and receive timestamps, and the card's
// where it makes them.
const stampFlags = rxStampFlags | unix.SOF_TIMESTAMPING_TX_SOFTWARE | unix.SOF_TIMESTAMPING_TX_HARDWARE

// EnableTimestamps turns on send and receive timestamps on c: reads then
// carry SCM_TIMESTAMPING (ParseTimestamps), and each datagram sent queues
// its send timestamp on the error queue (ReadErrQueueStamped).
func EnableTimestamps(c Conn) error {
	return Control(c, func(fd int) error {
		return os.NewSyscallError("setsockopt SO_TIMESTAMPING", SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPING, stampFlags))
	})
}

// ReadErrQueueStamped takes one report from c's error queue without
// waiting: a send timestamp (rep.Origin SO_EE_ORIGIN_TIMESTAMPING), whose
// data is the datagram as sent, headers first, or an ICMP error, whose
// data is the payload of the datagram it answers; with the software and
// hardware time it was stamped (an ICMP error's: when it arrived). ok is
// false when the queue is empty.
func ReadErrQueueStamped(c MsgConn, buf, oob []byte) (data []byte, rep ErrReport, sw, hw time.Time, ok bool) {
	m, err := c.RecvMsg(buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
	if err != nil {
		return nil, ErrReport{}, time.Time{}, time.Time{}, false
	}
	rep, _ = parseErrReport(oob[:m.OOBN])
	sw, hw = ParseTimestamps(oob[:m.OOBN])
	return buf[:m.N], rep, sw, hw, true
}

// HardwareStamps says whether the interface the route to peer leaves by
// can stamp packets in hardware (ethtool -T), in a sentence.
func HardwareStamps(family int, peer net.Addr) string {
	name, err := routeIface(family, peer)
	if err != nil {
		return "unavailable: " + err.Error()
	}
	fd, err := sysSocketFlags(NewSpec(AF_INET, SOCK_DGRAM, 0), unix.SOCK_CLOEXEC)
	if err != nil {
		return "unavailable: " + err.Error()
	}
	defer sysClose(fd)
	info, err := unix.IoctlGetEthtoolTsInfo(fd, name)
	const hw = unix.SOF_TIMESTAMPING_TX_HARDWARE | unix.SOF_TIMESTAMPING_RX_HARDWARE
	switch {
	case err != nil:
		return fmt.Sprintf("unavailable: %s does not say (ethtool -T %s: %v)", name, name, err)
	case info.So_timestamping&hw != hw:
		return fmt.Sprintf("unavailable: %s stamps in software only (ethtool -T %s)", name, name)
	}
	return fmt.Sprintf("%s can stamp in hardware (PHC %d) once enabled on the device: hwstamp_ctl -i %s -t 1 -r 1", name, info.Phc_index, name)
}

// routeIface names the interface the route to peer leaves by: the one
// holding the source address a socket connected to peer gets.
func routeIface(family int, peer net.Addr) (string, error) {
	fd, err := sysSocket(NewSpec(family, SOCK_DGRAM, IPPROTO_UDP))
	if err != nil {
		return "", err
	}
	defer sysClose(fd)
	if err := Connect(fd, family, peer); err != nil {
		return "", fmt.Errorf("no route to %v: %w", peer, err)
	}
	local, err := sockname(fd, networkOf(NewSpec(family, SOCK_DGRAM, IPPROTO_UDP)))
	if err != nil {
		return "", err
	}
	ua, _ := local.(*net.UDPAddr)
	ip, _ := netip.AddrFromSlice(ua.IP)
	ifs, _ := Interfaces()
	for _, ifi := range ifs {
		addrs, _ := InterfaceAddrsOf(ifi.Index)
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip.AsSlice()) {
				return ifi.Name, nil
			}
		}
	}
	return "", fmt.Errorf("no interface holds %v", ip)
}
