package rawsock

// A raw socket reads every packet of its protocol that this host accepts:
// unicast to one of its addresses, and broadcast and multicast too, since
// raw delivery comes before the protocol's own checks (icmp_rcv drops an
// echo request sent to a broadcast address, and one with a bad checksum,
// only after every raw socket has its copy). A server on a raw socket must
// make those checks itself; families.HostAddrs tells it which addresses
// are this host's.
