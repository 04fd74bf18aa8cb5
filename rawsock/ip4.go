package rawsock

import (
	"net/netip"
	"time"

	"github.com/socklab/socklab/families"
)

// IP4Spec is the socket IP_HDRINCL packets are sent on: IPPROTO_RAW
// implies IP_HDRINCL.
var IP4Spec = families.NewSpec(families.AF_INET, families.SOCK_RAW, families.IPPROTO_RAW)

// IP4SendOptions say what to wait for after sending a packet.
type IP4SendOptions struct {
	// ExpectReply waits for the answer: for UDP a datagram to the crafted
	// source port (an ordinary UDP socket is bound there first, so the
	// kernel does not answer port unreachable), for ICMP the echo reply,
	// for any other protocol a packet of that protocol from the destination
	// carrying the same payload (what ip4 serve sends back).
	ExpectReply bool
	Timeout     time.Duration // how long to wait for the reply (default 2 s)
	// BeforeSend is called with the exact bytes about to be sent (the
	// UDP source port filled in), for --dump.
	BeforeSend func(b []byte)
}

func (o IP4SendOptions) timeout() time.Duration {
	if o.Timeout <= 0 {
		return 2 * time.Second
	}
	return o.Timeout
}

// IP4Reply is the answer SendIP4 waited for.
type IP4Reply struct {
	From    netip.Addr    `json:"from"`
	Port    int           `json:"port,omitempty"` // UDP source port
	Payload []byte        `json:"-"`
	Header  *DecodedIPv4  `json:"-"` // the decoded packet, when read from a raw socket
	RTT     time.Duration `json:"-"`
}

// IP4ServeOptions configure ServeIP4.
type IP4ServeOptions struct {
	Proto int // the IP protocol to receive (default 253, RFC 3692's experimental)
	TTL   int // TTL of the replies (default 64)
	// NoEcho only prints what arrives.
	NoEcho bool
	// OnListen, when set, is called once the sockets are open, before the
	// first read, with the receiving socket's triple.
	OnListen func(families.Spec)
	// OnPacket receives each packet read, decoded, and whether it was echoed.
	OnPacket func(IP4Event)
}

// IP4ServeStats is what ServeIP4 read and echoed, for its summary.
type IP4ServeStats struct {
	Event   EventKind `json:"event"` // EventSummary
	Time    string    `json:"time"`
	Packets uint64    `json:"packets"` // read, its own echoes aside
	Echoed  uint64    `json:"echoed"`
	// Malformed counts packets that are no IPv4 packet (reported, never
	// echoed), OwnEchoes its own echoes handed back by loopback (skipped).
	Malformed  uint64        `json:"malformed"`
	OwnEchoes  uint64        `json:"own_echoes"`
	SendErrors uint64        `json:"send_errors"`
	Dropped    IP4Dropped    `json:"dropped"`
	Elapsed    time.Duration `json:"-"`
	ElapsedS   float64       `json:"elapsed_s"`
}

// IP4Event is one packet ip4 serve read.
type IP4Event struct {
	Event   EventKind    `json:"event"` // EventPacket
	Time    string       `json:"time"`
	Packet  *DecodedIPv4 `json:"-"`
	Summary string       `json:"summary"`
	Src     string       `json:"src"`
	Dst     string       `json:"dst"`
	Proto   int          `json:"proto"`
	TTL     int          `json:"ttl"`
	TOS     int          `json:"tos"`
	ID      int          `json:"id"`
	DF      bool         `json:"df"`
	MF      bool         `json:"mf"`
	FragOff int          `json:"frag_offset"`
	Len     int          `json:"len"`
	Payload int          `json:"payload"`
	Echoed  bool         `json:"echoed"`
	ReplyID int          `json:"reply_id,omitempty"`
	// NotEchoed says why a packet was not echoed: a reason as
	// IP4Dropped's JSON names it.
	NotEchoed string `json:"not_echoed,omitempty"`
	Err       string `json:"error,omitempty"`
}
