package rawsock

import (
	"errors"
	"net"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ICMPMessage is one ICMP or ICMPv6 message: decoded from bytes by
// DecodeICMP, or read by ICMPConn.ReadICMP, which also says how it arrived.
// An error the kernel queued on a datagram socket (IP_RECVERR) for an echo
// we sent is one too: an error message whose Quoted echo is the one sent.
type ICMPMessage struct {
	IPVersion  int // 4: ICMP, 6: ICMPv6
	Type, Code int
	TypeName   string // x/net's name of the type: "echo reply", "time exceeded"
	// Message is the message as x/net's icmp.ParseMessage returns it; nil
	// for a queued error, which the kernel hands over as fields.
	Message *icmp.Message
	Echo    *icmp.Echo // set for echo requests and replies
	// Quoted is set for an error (unreachable, time exceeded, parameter
	// problem, too big) about an ICMP echo request: the one that caused it.
	Quoted *QuotedEcho
	// Info is the MTU of "fragmentation needed" or "packet too big", or
	// the pointer of "parameter problem".
	Info int

	// How the message arrived, set by ReadICMP.
	From   net.IP    // the sender; for a queued error, the router that sent it
	Zone   string    // From's IPv6 zone, the interface, when it is link-local
	Dst    net.IP    // where it was sent: from a raw IPv4 header, or IPV6_PKTINFO (ICMPConfig.RecvDst); nil when unknown
	TTL    int       // the IP TTL or hop limit it arrived with, -1 when unknown
	Size   int       // its length, more than was read when it was truncated
	Time   time.Time // when the read returned
	Queued bool      // read from the error queue of a datagram socket
	// Err is why the bytes read are not an ICMP message; only the fields
	// of its arrival are set then.
	Err error
}

// QuotedEcho is the echo request an ICMP error quotes.
type QuotedEcho struct {
	Dst     net.IP // where the echo was going
	ID, Seq int
	Data    []byte // as much of its data as the error carries
}

// IsError reports whether m is an ICMP error message for a pinger: one that
// comes back instead of a reply.
func (m *ICMPMessage) IsError() bool {
	if m.IPVersion == 6 {
		return m.Type >= 1 && m.Type <= 4
	}
	switch m.Type {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

func (m *ICMPMessage) isEchoRequest() bool {
	req, _ := echoTypes(m.IPVersion)
	return m.Echo != nil && m.Type == typeNumber(req)
}

func (m *ICMPMessage) isEchoReply() bool {
	_, rep := echoTypes(m.IPVersion)
	return m.Echo != nil && m.Type == typeNumber(rep)
}

// echoTypes returns the echo request and reply types of ipVersion.
func echoTypes(ipVersion int) (request, reply icmp.Type) {
	if ipVersion == 6 {
		return ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	return ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
}

// typeNumber is the number of an x/net ICMP type.
func typeNumber(t icmp.Type) int {
	switch t := t.(type) {
	case ipv4.ICMPType:
		return int(t)
	case ipv6.ICMPType:
		return int(t)
	}
	return -1
}

// typeName is x/net's name of an ICMP type, "echo reply", or "unknown"
// for a type it has no name for (where x/net says "<nil>").
func typeName(ipVersion, typ int) string {
	var s string
	if ipVersion == 6 {
		s = ipv6.ICMPType(typ).String()
	} else {
		s = ipv4.ICMPType(typ).String()
	}
	if s == "" || s == "<nil>" {
		return "unknown"
	}
	return s
}

func icmpProto(ipVersion int) int {
	if ipVersion == 6 {
		return ProtoICMPv6
	}
	return ProtoICMP
}

// marshalEcho builds an echo request or reply of type typ. An ICMPv6
// checksum is left to the kernel, which computes it over the real
// addresses.
func marshalEcho(typ icmp.Type, id, seq int, data []byte) ([]byte, error) {
	m := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: seq, Data: data}}
	return m.Marshal(nil)
}

// DecodeICMP parses b, an ICMP (ipVersion 4) or ICMPv6 (6) message without
// an IP header, with x/net's icmp.ParseMessage; for an error message it also
// parses the IP header and echo request it quotes. It never panics on
// malformed input.
func DecodeICMP(ipVersion int, b []byte) (*ICMPMessage, error) {
	msg, err := icmp.ParseMessage(icmpProto(ipVersion), b)
	if err != nil {
		return nil, err
	}
	typ := typeNumber(msg.Type)
	m := &ICMPMessage{IPVersion: ipVersion, Message: msg, Type: typ, Code: msg.Code,
		TypeName: typeName(ipVersion, typ), Size: len(b), TTL: -1}
	if quoted := m.readBody(b); quoted != nil {
		m.Quoted, _ = decodeQuoted(ipVersion, quoted)
	}
	return m, nil
}

// readBody takes from the body of m, whose bytes are b, the echo or the
// info, and returns the packet an error quotes, if any.
func (m *ICMPMessage) readBody(b []byte) (quoted []byte) {
	switch body := m.Message.Body.(type) {
	case *icmp.Echo:
		m.Echo = body
	case *icmp.DstUnreach:
		if m.IPVersion == 4 && m.Code == 4 && len(b) >= 8 {
			m.Info = int(b[6])<<8 | int(b[7]) // next-hop MTU (RFC 1191)
		}
		return body.Data
	case *icmp.TimeExceeded:
		return body.Data
	case *icmp.ParamProb:
		m.Info = int(body.Pointer)
		return body.Data
	case *icmp.PacketTooBig:
		m.Info = body.MTU
		return body.Data
	case *icmp.RawBody:
		if m.IsError() && len(b) > 8 {
			return b[8:]
		}
	}
	return nil
}

// queuedError is an error the kernel queued on a datagram socket
// (IP_RECVERR), as the ICMPMessage a raw socket would have read: sent is
// the echo request that caused it, which was going to dst.
func queuedError(ipVersion, typ, code, info int, sent []byte, dst net.IP) *ICMPMessage {
	m := &ICMPMessage{IPVersion: ipVersion, Type: typ, Code: code, TypeName: typeName(ipVersion, typ), Info: info,
		Size: len(sent), TTL: -1, Queued: true}
	if q, err := decodeEchoRequest(ipVersion, sent); err == nil {
		q.Dst = dst
		m.Quoted = q
	}
	return m
}

var errNotEcho = errors.New("the quoted packet is not an ICMP echo request")

// decodeQuoted reads the IP header and echo request an ICMP error quotes.
func decodeQuoted(ipVersion int, b []byte) (*QuotedEcho, error) {
	dst, rest, err := quotedIPv4(b)
	if ipVersion == 6 {
		dst, rest, err = quotedIPv6(b)
	}
	if err != nil {
		return nil, err
	}
	q, err := decodeEchoRequest(ipVersion, rest)
	if err != nil {
		return nil, err
	}
	q.Dst = dst
	return q, nil
}

// quotedIPv4 reads the IPv4 header of a quoted ICMP packet: its
// destination and the ICMP message after it.
func quotedIPv4(b []byte) (dst net.IP, icmp []byte, err error) {
	h, err := ipv4.ParseHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if h.Protocol != ProtoICMP || h.FragOff != 0 {
		return nil, nil, errNotEcho
	}
	return h.Dst, b[h.Len:], nil
}

// quotedIPv6 is quotedIPv4 for a quoted ICMPv6 packet.
func quotedIPv6(b []byte) (dst net.IP, icmp []byte, err error) {
	h, err := ipv6.ParseHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if h.NextHeader != ProtoICMPv6 {
		return nil, nil, errNotEcho
	}
	return h.Dst, b[ipv6.HeaderLen:], nil
}

// decodeEchoRequest reads an echo request: as quoted in an error, or as a
// datagram socket returns it from the error queue.
func decodeEchoRequest(ipVersion int, b []byte) (*QuotedEcho, error) {
	req, _ := echoTypes(ipVersion)
	if len(b) < 8 || int(b[0]) != typeNumber(req) {
		return nil, errNotEcho
	}
	// icmp.ParseMessage would do, but a quote may be cut short anywhere, so
	// read the fixed echo header by hand and take what data there is.
	return &QuotedEcho{ID: int(b[4])<<8 | int(b[5]), Seq: int(b[6])<<8 | int(b[7]), Data: b[8:]}, nil
}
