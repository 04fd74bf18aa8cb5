package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// serve -v's line under a datagram says what the kernel told, and says so
// when a datagram came without a receive stamp instead of ending short.
func TestPrintInfo(t *testing.T) {
	info := &families.RecvInfo{TTL: 64, TOS: 0xb8, Dst: netip.MustParseAddr("127.0.0.1"), IfIndex: 1}
	var b strings.Builder
	printInfo(&b, info)
	if got := b.String(); !strings.HasPrefix(got, "  ttl 64, tos 0xb8 (ef, not-ect), to 127.0.0.1 on ") || !strings.HasSuffix(got, ", no kernel rx stamp\n") {
		t.Errorf("no stamp: %q", got)
	}
	b.Reset()
	info.Stamp = time.Date(2026, 11, 26, 19, 8, 0, 123456789, time.Local)
	printInfo(&b, info)
	if got := b.String(); !strings.Contains(got, ", kernel rx 19:08:00.123456789 (") {
		t.Errorf("with a stamp: %q", got)
	}
}
