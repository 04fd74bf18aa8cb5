package families

import (
	"net/netip"
	"time"
)

// RecvInfo is what the kernel says of one received datagram when asked
// (EnableRecvInfo): the IP header's TTL or hop limit and TOS or traffic
// class, the address it was sent to and the interface it came in by, and
// when the kernel received it.
type RecvInfo struct {
	// TTL is the IPv4 TTL or IPv6 hop limit; -1 when not known.
	TTL int
	// TOS is the IPv4 TOS byte or IPv6 traffic class (DSCP and ECN); -1
	// when not known.
	TOS int
	// Dst is the header's destination address: this host's, a group's or
	// a broadcast address. IfIndex is the interface it came in by.
	Dst     netip.Addr
	IfIndex int
	// Stamp is the kernel's software receive timestamp (SO_TIMESTAMPING),
	// HWStamp the network card's; zero when not known.
	Stamp, HWStamp time.Time
}

// RecvInfoSpace is the control space a read needs for RecvInfo.
const RecvInfoSpace = 256
