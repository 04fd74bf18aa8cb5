// Package families opens sockets of every kind that
// socket(family, type, proto, fileno) offers and puts each behind one Conn:
// datagram sockets (UDP, unix datagram, and the ICMP and raw IP families
// that package rawsock adds) as a Conn, connection sockets (TCP, unix
// stream, seqpacket) as a Listener of StreamConns.
//
// A Spec is the socket() triple plus an optional inherited descriptor. A
// Definition describes one family: its triple, default address and how to
// open it. A Registry holds the definitions and resolves a Spec, such as
// the one read back from an adopted descriptor, to the family that serves
// it. Every socket system call goes through one layer (sys_linux.go) that
// reports it to a Tracer when one is set.
package families
