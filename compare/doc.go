// Package compare measures the claims of the seed's TCP-vs-UDP table on
// this machine: connection (what is sent before the first byte, and what
// happens when no server listens), reliability (messages delivered under
// loss, TCP's retransmissions), transmission mode (receives needed for N
// sends), bulk transfer and small messages, and speed (ping-pong latency,
// setup cost). It runs the same workloads over UDP, TCP, unix datagram,
// unix stream and unix seqpacket sockets, each behind the Transport
// interface, and says which claims held.
//
// The datagram transports are socklab's families (udp4, unix). The stream
// and seqpacket transports are sockets made here with x/sys/unix, until
// package families has stream families; TCP's counters come from TCP_INFO.
package compare
