// Package rawsock opens the raw families: ICMP echo over IPv4 and IPv6 (the
// unprivileged SOCK_DGRAM ICMP socket or SOCK_RAW) and IPv4 with IP_HDRINCL,
// where the program builds the IP header itself.
package rawsock
