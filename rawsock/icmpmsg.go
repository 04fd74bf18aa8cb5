package rawsock

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// ICMPInfo is a received ICMP message, decoded for a pinger or a listener.
type ICMPInfo struct {
	Message  *icmp.Message // as x/net's icmp.ParseMessage returns it
	Type     int
	Code     int
	TypeName string     // x/net's name of the type: "echo reply", "time exceeded"
	Echo     *icmp.Echo // set for echo requests and replies
	// Quoted is set for an error (unreachable, time exceeded, parameter
	// problem, too big) that quotes an ICMP echo request: the one that
	// caused it.
	Quoted *QuotedEcho
	// Info is the MTU of "fragmentation needed" or "packet too big", or the
	// pointer of "parameter problem".
	Info int
}

// QuotedEcho is the echo request an ICMP error quotes.
type QuotedEcho struct {
	Dst     net.IP // where the echo was going
	ID, Seq int
	Data    []byte // as much of its data as the error carries
}

// IsError reports whether m is an ICMP error message for a pinger: one that
// comes back instead of a reply.
func (m *ICMPInfo) IsError() bool {
	switch t := m.Message.Type.(type) {
	case ipv4.ICMPType:
		return t == 3 || t == 4 || t == 5 || t == 11 || t == 12
	case ipv6.ICMPType:
		return t >= 1 && t <= 4
	}
	return false
}

func icmpProto(ipVersion int) int {
	if ipVersion == 6 {
		return ProtoICMPv6
	}
	return ProtoICMP
}

// DecodeICMP parses b, an ICMP (ipVersion 4) or ICMPv6 (6) message without
// an IP header, with x/net's icmp.ParseMessage; for an error message it also
// parses the IP header and echo request it quotes. It never panics on
// malformed input.
func DecodeICMP(ipVersion int, b []byte) (*ICMPInfo, error) {
	m, err := icmp.ParseMessage(icmpProto(ipVersion), b)
	if err != nil {
		return nil, err
	}
	info := &ICMPInfo{Message: m, Code: m.Code, TypeName: fmt.Sprint(m.Type)}
	switch t := m.Type.(type) {
	case ipv4.ICMPType:
		info.Type = int(t)
	case ipv6.ICMPType:
		info.Type = int(t)
	}
	var quoted []byte
	switch body := m.Body.(type) {
	case *icmp.Echo:
		info.Echo = body
	case *icmp.DstUnreach:
		quoted = body.Data
		if ipVersion == 4 && m.Code == 4 && len(b) >= 8 {
			info.Info = int(b[6])<<8 | int(b[7]) // next-hop MTU (RFC 1191)
		}
	case *icmp.TimeExceeded:
		quoted = body.Data
	case *icmp.ParamProb:
		quoted = body.Data
		info.Info = int(body.Pointer)
	case *icmp.PacketTooBig:
		quoted = body.Data
		info.Info = body.MTU
	case *icmp.RawBody:
		if info.IsError() && len(b) > 8 {
			quoted = b[8:]
		}
	}
	if quoted != nil {
		info.Quoted, _ = decodeQuoted(ipVersion, quoted)
	}
	return info, nil
}

var errNotEcho = errors.New("the quoted packet is not an ICMP echo request")

// decodeQuoted reads the IP header and echo request an ICMP error quotes.
func decodeQuoted(ipVersion int, b []byte) (*QuotedEcho, error) {
	var dst net.IP
	var rest []byte
	if ipVersion == 4 {
		h, err := ipv4.ParseHeader(b)
		if err != nil {
			return nil, err
		}
		if h.Protocol != ProtoICMP || h.FragOff != 0 {
			return nil, errNotEcho
		}
		dst, rest = h.Dst, b[h.Len:]
	} else {
		h, err := ipv6.ParseHeader(b)
		if err != nil {
			return nil, err
		}
		if h.NextHeader != ProtoICMPv6 {
			return nil, errNotEcho
		}
		dst, rest = h.Dst, b[ipv6.HeaderLen:]
	}
	q, err := decodeEchoRequest(ipVersion, rest)
	if err != nil {
		return nil, err
	}
	q.Dst = dst
	return q, nil
}

// decodeEchoRequest reads an echo request: as quoted in an error, or as a
// datagram socket returns it from the error queue.
func decodeEchoRequest(ipVersion int, b []byte) (*QuotedEcho, error) {
	if len(b) < 8 {
		return nil, errNotEcho
	}
	want := 8
	if ipVersion == 6 {
		want = 128
	}
	if int(b[0]) != want {
		return nil, errNotEcho
	}
	// icmp.ParseMessage would do, but a quote may be cut short anywhere, so
	// read the fixed echo header by hand and take what data there is.
	return &QuotedEcho{ID: int(b[4])<<8 | int(b[5]), Seq: int(b[6])<<8 | int(b[7]), Data: b[8:]}, nil
}

// ErrorText is iputils ping's text for an ICMP error: "Time to live
// exceeded", "Destination Host Unreachable", "Destination unreachable:
// Address unreachable" for ICMPv6.
func ErrorText(ipVersion, typ, code, info int) string {
	if ipVersion == 6 {
		switch typ {
		case 1:
			r := map[int]string{0: "No route", 1: "Administratively prohibited", 2: "Beyond scope of source address", 3: "Address unreachable", 4: "Port unreachable", 5: "Source address failed ingress/egress policy", 6: "Reject route to destination"}[code]
			if r == "" {
				r = fmt.Sprintf("Unknown code %d", code)
			}
			return "Destination unreachable: " + r
		case 2:
			return fmt.Sprintf("Packet too big: mtu=%d", info)
		case 3:
			if code == 0 {
				return "Time exceeded: Hop limit"
			}
			if code == 1 {
				return "Time exceeded: Defragmentation failure"
			}
			return fmt.Sprintf("Time exceeded: code %d", code)
		case 4:
			r := map[int]string{0: "Wrong header field ", 1: "Unknown header ", 2: "Unknown option "}[code]
			return fmt.Sprintf("Parameter problem: %sat %d", r, info)
		}
		return fmt.Sprintf("Unknown icmp type: %d", typ)
	}
	switch typ {
	case 3:
		switch code {
		case 4:
			return fmt.Sprintf("Frag needed and DF set (mtu = %d)", info)
		}
		r := map[int]string{0: "Destination Net Unreachable", 1: "Destination Host Unreachable", 2: "Destination Protocol Unreachable", 3: "Destination Port Unreachable",
			5: "Source Route Failed", 6: "Destination Net Unknown", 7: "Destination Host Unknown", 8: "Source Host Isolated", 9: "Destination Net Prohibited",
			10: "Destination Host Prohibited", 11: "Destination Net Unreachable for Type of Service", 12: "Destination Host Unreachable for Type of Service",
			13: "Packet filtered", 14: "Precedence Violation", 15: "Precedence Cutoff"}[code]
		if r == "" {
			r = fmt.Sprintf("Dest Unreachable, Bad Code: %d", code)
		}
		return r
	case 4:
		return "Source Quench"
	case 5:
		return "Redirect"
	case 11:
		if code == 0 {
			return "Time to live exceeded"
		}
		if code == 1 {
			return "Frag reassembly time exceeded"
		}
		return fmt.Sprintf("Time exceeded, Bad Code: %d", code)
	case 12:
		return fmt.Sprintf("Parameter problem: pointer = %d", info)
	}
	return fmt.Sprintf("Bad ICMP type: %d", typ)
}
