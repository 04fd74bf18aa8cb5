// Package echo runs the seed's echo protocol over any families.Conn: a
// server that answers each datagram (with the seed's "[ctime] message" reply
// or the datagram unchanged), a client that sends and waits for replies with
// timeouts and retries, and a load generator that measures the path.
//
// Nothing here depends on the family: UDP over IPv4 and IPv6, unix datagram
// sockets and the raw families all run the same code.
package echo
