// Package lab builds a small network out of network namespaces, for
// running socklab between hosts that exist only on this machine: two hosts
// (client and server) joined by a veth pair, or three with a router
// namespace between them that forwards.
//
// Each host is a network namespace named by ip netns ("socklab-NAME-client"),
// so `ip netns exec` and `socklab lab exec` reach it. Addresses come from
// the documentation ranges (192.0.2.0/24, 198.51.100.0/24, 2001:db8::/32),
// which route nowhere: the lab has no link to the host's own network, and
// traffic sent in it stays in it.
//
// The inner link (client–server, or router–server) can drop a share of the
// packets the server receives (nftables numgen random: this kernel has no
// netem qdisc), be limited to a rate (a tc tbf qdisc on both ends, a shaper
// that queues as a slower link would, where an nftables limit would only
// drop) and be given an MTU. Everything is done with the ip, nft and tc
// commands of iproute2 and nftables, the commands a user would type, so
// that the lab can show what it does; the veth pairs and the nftables
// table live inside the lab's namespaces and go with them.
//
// A lab is found again by its state file (/run/socklab/labs/NAME.json) and
// by the names of its namespaces, so Down removes a lab whose creator was
// killed halfway. Host.Do runs Go code with sockets inside a host; package
// labtest makes a lab for one test.
package lab
