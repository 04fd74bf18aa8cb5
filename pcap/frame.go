package pcap

import (
	"encoding/binary"
	"net"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/internal/inet"
	"golang.org/x/sys/unix"
)

// Kind is what a frame is: an IP packet (LINKTYPE_RAW) or a unix
// datagram (LINKTYPE_WIRESHARK_UPPER_PDU).
type Kind int

// The kinds of frames, each a pcapng interface of its own.
const (
	KindIP Kind = iota
	KindUnix
)

// Link types, as tcpdump.org numbers them.
const (
	// LinkTypeRaw is LINKTYPE_RAW: each frame begins with an IPv4 or IPv6
	// header.
	LinkTypeRaw = layers.LinkTypeRaw
	// LinkTypeUpperPDU is LINKTYPE_WIRESHARK_UPPER_PDU: tags saying how
	// to dissect the PDU that follows them.
	LinkTypeUpperPDU layers.LinkType = 252
)

// KindOf is the kind of frame a socket of spec's datagrams make.
func KindOf(spec families.Spec) Kind {
	if spec.Family == families.AF_UNIX {
		return KindUnix
	}
	return KindIP
}

// frame is one record of the file.
type frame struct {
	kind    Kind
	data    []byte
	length  int // the original length: more than len(data) for a truncated datagram
	comment string
}

// ends are the addresses of an IP datagram as it travelled.
type ends struct {
	src, dst     netip.Addr
	sport, dport uint16
	ttl          int
	truncated    bool
}

// ipEnds orders d's addresses as the packet carried them: a received
// datagram came from Peer to Local, a sent one went from Local to Peer. A
// wildcard (or unknown) Local address is source's for the peer: the
// address this host sends to it from.
func ipEnds(d *families.Datagram, source func(peer netip.Addr) netip.Addr) ends {
	peer, pport := addrPort(d.Peer)
	local, lport := addrPort(d.Local)
	if !local.IsValid() || local.IsUnspecified() {
		local = source(peer)
	}
	e := ends{src: peer, sport: pport, dst: local, dport: lport, ttl: 64}
	if d.Sent {
		e.src, e.sport, e.dst, e.dport = local, lport, peer, pport
	}
	if t, ok := families.CmsgUint32(d.Control, unix.IPPROTO_IP, unix.IP_TTL); ok && !d.Sent {
		e.ttl = int(t)
	} else if t, ok := families.CmsgUint32(d.Control, unix.IPPROTO_IPV6, unix.IPV6_HOPLIMIT); ok && !d.Sent {
		e.ttl = int(t)
	}
	e.truncated = d.Size > len(d.Data)
	return e
}

// addrPort is a's IP address and port (0 for an *net.IPAddr); the zero
// Addr for nil or a unix address.
func addrPort(a net.Addr) (netip.Addr, uint16) {
	switch a := a.(type) {
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap(), uint16(a.Port)
	case *net.IPAddr:
		ip, _ := netip.AddrFromSlice(a.IP)
		return ip.Unmap(), 0
	}
	return netip.Addr{}, 0
}

// headerIncluded reports whether d's bytes begin with their IPv4 header: a
// raw IPv4 socket reads whole packets, and IPPROTO_RAW sends them.
func headerIncluded(d *families.Datagram) bool {
	s := d.Spec
	return s.Family == families.AF_INET && s.Type == families.SOCK_RAW && (!d.Sent || s.Proto == families.IPPROTO_RAW)
}

// ipFrame wraps d's payload, of IP protocol proto, in the IP header (and
// for UDP the UDP header) it travelled in, with e's addresses.
func ipFrame(d *families.Datagram, e ends, proto int) (frame, error) {
	payload := d.Data
	if proto == families.IPPROTO_ICMP || proto == families.IPPROTO_ICMPV6 {
		payload = icmpOnWire(d, e)
	}
	var nl gopacket.NetworkLayer
	var layersOut []gopacket.SerializableLayer
	extra := 0 // UDP header
	if e.src.Is4() || e.dst.Is4() {
		ip := &layers.IPv4{Version: 4, IHL: 5, TTL: uint8(e.ttl), Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocol(proto),
			SrcIP: addrOr(e.src, 4), DstIP: addrOr(e.dst, 4)}
		nl, layersOut = ip, []gopacket.SerializableLayer{ip}
	} else {
		ip := &layers.IPv6{Version: 6, HopLimit: uint8(e.ttl), NextHeader: layers.IPProtocol(proto), SrcIP: addrOr(e.src, 6), DstIP: addrOr(e.dst, 6)}
		nl, layersOut = ip, []gopacket.SerializableLayer{ip}
	}
	if proto == families.IPPROTO_UDP {
		udp := &layers.UDP{SrcPort: layers.UDPPort(e.sport), DstPort: layers.UDPPort(e.dport)}
		udp.SetNetworkLayerForChecksum(nl)
		layersOut = append(layersOut, udp)
		extra = 8
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, append(layersOut, gopacket.Payload(payload))...); err != nil {
		return frame{}, err
	}
	b := buf.Bytes()
	length := len(b)
	if e.truncated {
		length += d.Size - len(d.Data)
		fixTruncated(b, d.Size+extra)
	}
	return frame{kind: KindIP, data: b, length: length}, nil
}

// fixTruncated sets the length fields of b, a packet whose payload was cut
// short, to its full length: the IP payload is payloadLen bytes.
func fixTruncated(b []byte, payloadLen int) {
	if b[0]>>4 == 4 {
		binary.BigEndian.PutUint16(b[2:], uint16(min(20+payloadLen, 0xffff)))
		binary.BigEndian.PutUint16(b[10:], 0)
		binary.BigEndian.PutUint16(b[10:], inet.Checksum(b[:20], 0))
		if b[9] == families.IPPROTO_UDP {
			binary.BigEndian.PutUint16(b[24:], uint16(min(payloadLen, 0xffff)))
		}
		return
	}
	binary.BigEndian.PutUint16(b[4:], uint16(min(payloadLen, 0xffff)))
	if b[6] == families.IPPROTO_UDP {
		binary.BigEndian.PutUint16(b[44:], uint16(min(payloadLen, 0xffff)))
	}
}

// addrOr is a as a net.IP of IP version v, the unspecified address when a
// is not known.
func addrOr(a netip.Addr, v int) net.IP {
	if !a.IsValid() {
		if v == 4 {
			return net.IPv4zero.To4()
		}
		return net.IPv6unspecified
	}
	if v == 4 {
		return net.IP(a.Unmap().AsSlice())
	}
	b := a.As16()
	return net.IP(b[:])
}

// icmpOnWire is an ICMP message as it went on the wire: the kernel
// computes the checksum of every ICMPv6 message, and of every message a
// datagram ICMP socket sends; a received message is as it came.
func icmpOnWire(d *families.Datagram, e ends) []byte {
	if !d.Sent || len(d.Data) < 4 || e.truncated {
		return d.Data
	}
	m := append([]byte(nil), d.Data...)
	m[2], m[3] = 0, 0
	var s uint32
	if e.dst.Is6() && !e.dst.Is4In6() {
		s = inet.PseudoSum6(e.src, e.dst, families.IPPROTO_ICMPV6, len(m))
	}
	binary.BigEndian.PutUint16(m[2:], inet.Checksum(m, s))
	return m
}

// hdrinclFrame is a packet sent with its own IPv4 header, with what Linux
// always fills in filled in: the total length and the header checksum,
// and a zero source address (the route's).
func hdrinclFrame(d *families.Datagram, src func(netip.Addr) netip.Addr) frame {
	b := append([]byte(nil), d.Data...)
	if len(b) >= 20 && b[0]>>4 == 4 && int(b[0]&0xf)*4 <= len(b) {
		ihl := int(b[0]&0xf) * 4
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
		if [4]byte(b[12:16]) == [4]byte{} {
			dst := netip.AddrFrom4([4]byte(b[16:20]))
			s := src(dst).As4()
			copy(b[12:16], s[:])
		}
		binary.BigEndian.PutUint16(b[10:], 0)
		binary.BigEndian.PutUint16(b[10:], inet.Checksum(b[:ihl], 0))
	}
	return frame{kind: KindIP, data: b, length: len(b)}
}

// Tags of LINKTYPE_WIRESHARK_UPPER_PDU (Wireshark's epan/exported_pdu.h).
const (
	tagEnd          = 0
	tagProtoName    = 12 // the dissector for the PDU
	tagColProtoText = 33 // what the Protocol column says
)

// unixFrame is a unix datagram: tags that have Wireshark show it as data,
// in a Protocol column that says UNIX, then the datagram. The names of
// both ends go in the record's comment.
func unixFrame(d *families.Datagram) frame {
	var b []byte
	b = appendTag(b, tagProtoName, "data")
	b = appendTag(b, tagColProtoText, "UNIX")
	b = append(b, 0, tagEnd, 0, 0)
	hdr := len(b)
	b = append(b, d.Data...)
	from, to := unixName(d.Peer), unixName(d.Local)
	if d.Sent {
		from, to = to, from
	}
	return frame{kind: KindUnix, data: b, length: hdr + d.Size, comment: "unix " + from + " > " + to}
}

// appendTag appends one tag: its type and length (big-endian), then the
// string, NUL-padded to a multiple of 4 bytes, which the length counts.
func appendTag(b []byte, tag uint16, s string) []byte {
	n := (len(s) + 4) &^ 3 // room for at least one NUL
	b = binary.BigEndian.AppendUint16(b, tag)
	b = binary.BigEndian.AppendUint16(b, uint16(n))
	b = append(b, s...)
	return append(b, make([]byte, n-len(s))...)
}

// unixName is a unix socket's name for a comment: its path, @name, or
// (unbound).
func unixName(a net.Addr) string {
	if ua, ok := a.(*net.UnixAddr); ok && ua.Name != "" && ua.Name != "@" {
		return families.QuoteName(ua.Name)
	}
	return "(unbound)"
}
