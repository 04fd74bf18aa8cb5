package main

import (
	"fmt"
	"net"
	"strings"

	"github.com/socklab/socklab/families"
)

// hexDatagram is -x's view of one datagram: a line naming the call, the
// ends and the length, then the bytes as tcpdump -X shows them.
func hexDatagram(d *families.Datagram) string {
	src, dst := addrText(d.Peer), addrText(d.Local)
	if d.Sent {
		src, dst = dst, src
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s(%d) %s > %s: %d bytes", d.Time.Format("15:04:05.000000"), d.Call, d.Fd, src, dst, d.Size)
	if d.Size > len(d.Data) {
		fmt.Fprintf(&b, ", %d read", len(d.Data))
	}
	b.WriteByte('\n')
	b.WriteString(hexdumpX(d.Data))
	return b.String()
}

// addrText is a for a dump line: "(unbound)" when it has no name.
func addrText(a net.Addr) string {
	if a == nil || a.String() == "" {
		return "(unbound)"
	}
	return showName(a.String())
}

// hexdumpX formats b as tcpdump -X does: 16 bytes a line, the offset, the
// bytes in groups of two, then the printable ones.
func hexdumpX(b []byte) string {
	var s strings.Builder
	for off := 0; off < len(b); off += 16 {
		line := b[off:min(off+16, len(b))]
		fmt.Fprintf(&s, "\t0x%04x:  ", off)
		for i := range 16 {
			switch {
			case i < len(line):
				fmt.Fprintf(&s, "%02x", line[i])
			default:
				s.WriteString("  ")
			}
			if i%2 == 1 {
				s.WriteByte(' ')
			}
		}
		s.WriteByte(' ')
		for _, c := range line {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			s.WriteByte(c)
		}
		s.WriteByte('\n')
	}
	return s.String()
}
