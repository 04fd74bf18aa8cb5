// Package families opens datagram sockets of every kind that
// socket(family, type, proto, fileno) offers and puts each behind one Conn.
//
// A Spec is the socket() triple plus an optional inherited descriptor. A
// Definition describes one family (udp4, udp6, unix, and the raw families that
// package rawsock adds): its triple, default address, maximum datagram and how
// to open it. A Registry holds the definitions and resolves a Spec, such as the
// one read back from an adopted descriptor, to the family that serves it.
package families
