// Package compare measures the claims of the seed's TCP-vs-UDP table on
// this machine: connection (what is sent before the first byte, and what
// happens when no server listens), reliability (messages delivered under
// loss, TCP's retransmissions), transmission mode (receives needed for N
// sends), bulk transfer and small messages, and speed (ping-pong latency,
// setup cost). It runs the same workloads over UDP, TCP, unix datagram,
// unix stream and unix seqpacket sockets, each behind the Transport
// interface, and says which claims held.
//
// Every transport is one of socklab's families: udp4 and unix for
// datagrams, each end opened and connected to the other; tcp4, unixstream
// and seqpacket for connections, a client dialling a listener whose
// accepted connection is the server's end. TCP's counters come from
// TCP_INFO (families.ReadTCPInfo). The setup times are what socklab pays
// to open a pair, so a connection's include registering its listener and
// both its descriptors with Go's netpoller.
package compare
