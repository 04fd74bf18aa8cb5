// Package rawsock opens the raw families: ICMP echo over IPv4 and IPv6 (the
// unprivileged SOCK_DGRAM ICMP socket or SOCK_RAW) and IPv4 with IP_HDRINCL,
// where the program builds the IP header itself.
//
// ICMPConn and IP4Conn are families.Conns, as x/net's icmp.PacketConn is a
// net.PacketConn; ICMP4, ICMP6 and IP4 are their families. On top of the
// Conn, ICMPConn.ReadICMP returns an ICMPMessage with the TTL it arrived
// with and, on a datagram socket, the errors the kernel queued for our
// echoes. Ping (or PingOn, over any PingConn) sends echoes and matches what
// comes back; PingPrinter writes it as iputils ping does. IPv4Packet builds
// a packet field by field, and ParseIPv4 and Fields take one apart; SendIP4
// and ServeIP4 are ip4's send and serve. Doctor tells which sockets open
// here, and the fix for those that do not.
//
// A raw socket reads every packet of its protocol that this host accepts:
// unicast to one of its addresses, and broadcast and multicast too, since
// raw delivery comes before the protocol's own checks (icmp_rcv drops an
// echo request sent to a broadcast address, and one with a bad checksum,
// only after every raw socket has its copy). So the servers (ICMP serve,
// ServeIP4) make those checks themselves; families.HostAddrs tells them
// which addresses are this host's.
package rawsock
