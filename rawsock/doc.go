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
package rawsock
