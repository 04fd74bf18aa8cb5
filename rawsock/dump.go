package rawsock

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Field is one field of a packet for an annotated dump: where it is, what
// it holds, and what the Linux kernel does to it on a raw IP_HDRINCL send.
type Field struct {
	Layer  string `json:"layer"` // "ipv4", "udp", "icmp", "payload"
	Offset int    `json:"offset"`
	Len    int    `json:"len"`
	Name   string `json:"name"`
	Value  string `json:"value"`
	Kernel string `json:"kernel,omitempty"` // what the kernel overrides, if anything
}

// Kernel overrides of an IP_HDRINCL header, as measured on Linux 6.18
// (raw_send_hdrinc in net/ipv4/raw.c): they are noted in dumps and docs.
const (
	KernelChecksum = "kernel overrides: always recomputes the header checksum"
	KernelTotalLen = "kernel overrides: always sets the real length"
	KernelID       = "kernel overrides: picks an ID because it is 0 and DF is clear"
	KernelSrc      = "kernel overrides: fills in the route's source because it is 0.0.0.0"
)

// Fields splits b, a packet built by IPv4Packet.Marshal (or any IPv4 packet
// with a 20-byte or longer header), into annotated fields.
func Fields(b []byte) []Field {
	if len(b) < 20 {
		return []Field{{Layer: "payload", Len: len(b), Name: "bytes", Value: fmt.Sprintf("%d bytes, too short for an IPv4 header", len(b))}}
	}
	var fs fields
	ihl := fs.ipv4(b)
	if ihl < 20 || ihl > len(b) {
		return fs
	}
	off := ihl
	if binary.BigEndian.Uint16(b[6:])&0x1fff == 0 && len(b)-ihl >= 8 { // a first fragment: the transport header is here
		switch b[9] {
		case ProtoUDP:
			fs.udp(b, ihl)
			off += 8
		case ProtoICMP:
			fs.icmp(b[ihl:], ihl)
			off += 8
		}
	}
	if rest := b[off:]; len(rest) > 0 {
		fs.add("payload", off, len(rest), "payload", fmt.Sprintf("%d bytes %q", len(rest), printable(rest, 32)), "")
	}
	return fs
}

// fields is a packet's fields in order.
type fields []Field

func (fs *fields) add(layer string, off, n int, name, value, kernel string) {
	*fs = append(*fs, Field{Layer: layer, Offset: off, Len: n, Name: name, Value: value, Kernel: kernel})
}

// ipv4 adds the fields of b's IPv4 header and returns its length.
func (fs *fields) ipv4(b []byte) (ihl int) {
	ihl = int(b[0]&0x0f) * 4
	fs.add("ipv4", 0, 1, "version, IHL", fmt.Sprintf("version %d, header length %d words (%d bytes)", b[0]>>4, b[0]&0x0f, ihl), "")
	fs.add("ipv4", 1, 1, "TOS", fmt.Sprintf("%#02x (DSCP %d, ECN %d)", b[1], b[1]>>2, b[1]&3), "")
	fs.add("ipv4", 2, 2, "total length", fmt.Sprintf("%d", binary.BigEndian.Uint16(b[2:])), KernelTotalLen)
	id, ff := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
	fs.add("ipv4", 4, 2, "identification", fmt.Sprintf("%d (%#04x)", id, id), kernelIf(id == 0 && ff&0x4000 == 0, KernelID))
	fs.add("ipv4", 6, 2, "flags, fragment offset", fmt.Sprintf("flags %s, offset %d (byte %d)", flagNames(ff), ff&0x1fff, int(ff&0x1fff)*8), "")
	fs.add("ipv4", 8, 1, "TTL", fmt.Sprintf("%d", b[8]), "")
	fs.add("ipv4", 9, 1, "protocol", fmt.Sprintf("%d (%s)", b[9], IPProtoName(int(b[9]))), "")
	fs.add("ipv4", 10, 2, "header checksum", fmt.Sprintf("%#04x", binary.BigEndian.Uint16(b[10:])), KernelChecksum)
	src := netip.AddrFrom4([4]byte(b[12:16]))
	fs.add("ipv4", 12, 4, "source", src.String(), kernelIf(src.IsUnspecified(), KernelSrc))
	fs.add("ipv4", 16, 4, "destination", netip.AddrFrom4([4]byte(b[16:20])).String(), "")
	if ihl > 20 && ihl <= len(b) {
		fs.add("ipv4", 20, ihl-20, "options", fmt.Sprintf("%x", b[20:ihl]), "")
	}
	return ihl
}

func kernelIf(cond bool, override string) string {
	if cond {
		return override
	}
	return ""
}

// flagNames names the flags set in ff, the flags and fragment offset word.
func flagNames(ff uint16) string {
	var flags []string
	for _, f := range []struct {
		bit  uint16
		name string
	}{{0x8000, "reserved"}, {0x4000, "DF"}, {0x2000, "MF"}} {
		if ff&f.bit != 0 {
			flags = append(flags, f.name)
		}
	}
	if len(flags) == 0 {
		return "none"
	}
	return strings.Join(flags, "+")
}

// udp adds the UDP header at b[off:], checking its checksum against the
// IPv4 header's addresses.
func (fs *fields) udp(b []byte, off int) {
	seg := b[off:]
	fs.add("udp", off, 2, "source port", fmt.Sprintf("%d", binary.BigEndian.Uint16(seg)), "")
	fs.add("udp", off+2, 2, "destination port", fmt.Sprintf("%d", binary.BigEndian.Uint16(seg[2:])), "")
	fs.add("udp", off+4, 2, "length", fmt.Sprintf("%d", binary.BigEndian.Uint16(seg[4:])), "")
	src, dst := netip.AddrFrom4([4]byte(b[12:16])), netip.AddrFrom4([4]byte(b[16:20]))
	fs.add("udp", off+6, 2, "checksum", udpChecksumText(src, dst, seg), "")
}

// udpChecksumText shows the checksum of seg, a UDP segment from src to
// dst, and whether it is right.
func udpChecksumText(src, dst netip.Addr, seg []byte) string {
	got := binary.BigEndian.Uint16(seg[6:])
	v := fmt.Sprintf("%#04x", got)
	zeroed := append([]byte(nil), seg...)
	zeroed[6], zeroed[7] = 0, 0
	switch want := UDPChecksum(src, dst, zeroed); {
	case src.IsUnspecified():
		return v + " (over source 0.0.0.0: wrong once the kernel fills in the source)"
	case want == got:
		return v + " (correct, with the pseudo-header)"
	default:
		return v + fmt.Sprintf(" (wrong: should be %#04x)", want)
	}
}

// icmp adds the ICMP echo header m at offset off.
func (fs *fields) icmp(m []byte, off int) {
	fs.add("icmp", off, 1, "type", fmt.Sprintf("%d", m[0]), "")
	fs.add("icmp", off+1, 1, "code", fmt.Sprintf("%d", m[1]), "")
	fs.add("icmp", off+2, 2, "checksum", fmt.Sprintf("%#04x", binary.BigEndian.Uint16(m[2:])), "")
	fs.add("icmp", off+4, 2, "identifier", fmt.Sprintf("%d", binary.BigEndian.Uint16(m[4:])), "")
	fs.add("icmp", off+6, 2, "sequence", fmt.Sprintf("%d", binary.BigEndian.Uint16(m[6:])), "")
}

func printable(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
	}
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f {
			s.WriteByte(c)
		} else {
			s.WriteByte('.')
		}
	}
	return s.String()
}

// Dump formats b as an annotated hex dump, one field a line:
//
//	ipv4     0000  45                 version, IHL            version 4, header length 5 words (20 bytes)
//
// with what the kernel overrides under each field it touches. Long
// payloads are shown 16 bytes a line.
func Dump(b []byte) string {
	var s strings.Builder
	for _, f := range Fields(b) {
		raw := b[f.Offset : f.Offset+f.Len]
		fmt.Fprintf(&s, "%-7s %04x  %-47s  %-22s  %s\n", f.Layer, f.Offset, hexBytes(raw[:min(len(raw), 16)]), f.Name, f.Value)
		for i := 16; i < len(raw); i += 16 {
			fmt.Fprintf(&s, "%-7s %04x  %s\n", "", f.Offset+i, hexBytes(raw[i:min(i+16, len(raw))]))
		}
		if f.Kernel != "" {
			fmt.Fprintf(&s, "%-7s %4s  %-47s  ^ %s\n", "", "", "", f.Kernel)
		}
	}
	return s.String()
}

// hexBytes is b in hex, a space between bytes: "45 00 00 1c".
func hexBytes(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 3*len(b))
	for i, c := range b {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
