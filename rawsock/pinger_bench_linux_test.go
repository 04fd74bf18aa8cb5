package rawsock

import (
	"context"
	"net"
	"testing"
)

// BenchmarkPingFlood floods 127.0.0.1 on a raw ICMP socket, as
// `socklab icmp4 ping -f -q` does: one op is one echo and its reply.
// It needs CAP_NET_RAW.
func BenchmarkPingFlood(b *testing.B) {
	c, err := ListenICMP(ICMPConfig{IPVersion: 4, Mode: ModeRaw})
	if err != nil {
		b.Skipf("no raw ICMP socket here (needs CAP_NET_RAW): %v", err)
	}
	defer c.Close()
	pr := &PingPrinter{W: discard{}, Host: "127.0.0.1", IPVersion: 4, Size: 56, Flood: true}
	o := PingOptions{IPVersion: 4, Count: b.N, Size: 56, Flood: true, OnEvent: pr.Event}
	b.ReportAllocs()
	b.ResetTimer()
	st, err := PingOn(context.Background(), c, &net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}, o)
	b.StopTimer()
	pr.Summary(st)
	if err != nil || st.Received != b.N {
		b.Fatalf("%d echoes, %d replies: %v", b.N, st.Received, err)
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }
