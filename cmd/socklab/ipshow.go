package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/socklab/socklab/families"
)

// printInfo prints, under a datagram serve -v shows, what the kernel said
// of it: "  ttl 64, tos 0xb8 (ef, ect0), to 239.1.2.3 (group) on eth0,
// kernel rx 19:08:00.123456789 (42µs before it was shown)".
func printInfo(w io.Writer, info *families.RecvInfo) {
	if info == nil {
		return
	}
	s := "  "
	if info.TTL >= 0 {
		s += "ttl " + strconv.Itoa(info.TTL) + ", "
	}
	if info.TOS >= 0 {
		s += "tos " + families.TOSString(uint8(info.TOS)) + ", "
	}
	if info.Dst.IsValid() {
		s += "to " + info.Dst.String() + dstKind(info.Dst) + " on " + ifaceName(info.IfIndex) + ", "
	}
	if !info.Stamp.IsZero() {
		s += fmt.Sprintf("kernel rx %s (%.1fµs before it was shown)", info.Stamp.Format("15:04:05.000000000"), float64(time.Since(info.Stamp).Nanoseconds())/1e3)
	} else {
		s += "no kernel rx stamp" // see docs/ip.md: the kernel was not stamping yet
	}
	if !info.HWStamp.IsZero() {
		s += ", card rx " + info.HWStamp.Format("15:04:05.000000000")
	}
	fmt.Fprintln(w, s)
}

// addInfoJSON adds what the kernel said of a datagram to its JSON event.
func addInfoJSON(m map[string]any, info *families.RecvInfo) {
	if info == nil {
		return
	}
	if info.TTL >= 0 {
		m["ttl"] = info.TTL
	}
	if info.TOS >= 0 {
		tos := uint8(info.TOS)
		m["tos"], m["dscp"], m["ecn"] = info.TOS, families.DSCPName(tos), families.ECNName(tos)
	}
	if info.Dst.IsValid() {
		m["to"], m["iface"] = info.Dst.String(), ifaceName(info.IfIndex)
	}
	if !info.Stamp.IsZero() {
		m["rx_time"] = info.Stamp.Format(time.RFC3339Nano)
	}
	if !info.HWStamp.IsZero() {
		m["rx_hw_time"] = info.HWStamp.Format(time.RFC3339Nano)
	}
}

// dstKind says when a destination is not a unicast address of this host.
func dstKind(a interface{ IsMulticast() bool }) string {
	if a.IsMulticast() {
		return " (group)"
	}
	return ""
}

// ifaceName names an interface by index.
func ifaceName(i int) string {
	if ifi, err := families.InterfaceByIndex(i); err == nil {
		return ifi.Name
	}
	return "interface " + strconv.Itoa(i)
}
