// Command hdrincl builds one UDP datagram by hand, IPv4 header included,
// sends it on a raw IP_HDRINCL socket, and receives it on an ordinary UDP
// socket, which accepts it only if every length and checksum is right.
//
// Privileges: CAP_NET_RAW, for socket(AF_INET, SOCK_RAW, IPPROTO_RAW): run
// as root, or sudo setcap cap_net_raw+ep on the binary. The receiving UDP
// socket needs none.
//
//	go run ./examples/hdrincl
package main

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/socklab/socklab/rawsock"
)

func main() {
	// The receiver: an ordinary UDP socket on an ephemeral loopback port.
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		fail(err)
	}
	defer rx.Close()
	port := rx.LocalAddr().(*net.UDPAddr).Port

	// The packet, field by field.
	lo := netip.MustParseAddr("127.0.0.1")
	p := rawsock.IPv4Packet{Src: lo, Dst: lo, TTL: 42, TOS: 0x10, ID: rawsock.RandomID(), DF: true,
		Proto: rawsock.ProtoUDP, SrcPort: 40000, DstPort: port, Payload: []byte("built by hand")}
	b, err := p.Marshal() // IPv4 header checksum, UDP pseudo-header checksum
	if err != nil {
		fail(err)
	}
	fmt.Print(rawsock.Dump(b))

	tx, err := rawsock.OpenIP4() // socket(AF_INET, SOCK_RAW, IPPROTO_RAW): IP_HDRINCL
	if err != nil {
		fail(err)
	}
	defer tx.Close()
	if err := tx.WritePacket(b, lo); err != nil { // the error names the fix
		fail(err)
	}

	rx.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 1500)
	n, from, err := rx.ReadFromUDP(buf)
	if err != nil {
		fail(err)
	}
	fmt.Printf("received %q from %v\n", buf[:n], from)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hdrincl:", err)
	os.Exit(1)
}
