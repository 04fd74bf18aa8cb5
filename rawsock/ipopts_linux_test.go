package rawsock

import (
	"net"
	"net/netip"
	"testing"

	"github.com/socklab/socklab/families"
)

// ListenICMP sets what ICMPConfig.IP asks on both kinds of ICMP socket,
// as getsockopt reads it back: IP_TOS or IPV6_TCLASS, IP_MTU_DISCOVER or
// IPV6_MTU_DISCOVER, and for a flow label IPV6_FLOWINFO_SEND. A datagram
// socket is let in by ping_group_range in the test's namespace, a raw
// one needs CAP_NET_RAW (newNetns skips without it). Each socket takes its
// own flow label: a released one lingers, refused to the next for seconds.
func TestListenICMPSetsIPOptions(t *testing.T) {
	ns := newNetns(t, map[string]string{"net/ipv4/ping_group_range": "0 2147483647"})
	ef := uint8(0xb8)
	for _, v := range []int{4, 6} {
		for _, mode := range []Mode{ModeDgram, ModeRaw} {
			t.Run(ICMPSpec(v, mode).String(), func(t *testing.T) {
				o := families.IPOptions{TOS: &ef, DF: families.DFDo}
				if v == 6 {
					o.FlowLabel, o.FlowDst = 0x12345+uint32(mode), netip.IPv6Loopback()
				}
				var c *ICMPConn
				if err := ns.do(func() (err error) {
					c, err = ListenICMP(ICMPConfig{IPVersion: v, Mode: mode, IP: o})
					return err
				}); err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				r, err := families.ReadIPOptions(c)
				if err != nil {
					t.Fatal(err)
				}
				if r.TOS != ef || r.DF != families.DFDo || r.FlowInfoSend != (v == 6) {
					t.Errorf("read back tos %#x, df %v, flowinfo_send %v; want 0xb8, do, %v", r.TOS, r.DF, r.FlowInfoSend, v == 6)
				}
			})
		}
	}
}

// PingOn reports the header fields it was given in its start event and
// summary, and sends to dst with the flow label: to a FlowAddr.
func TestPingReportsHeaderFields(t *testing.T) {
	ef := uint8(0xb8)
	h := headerOf(families.IPOptions{TOS: &ef, DF: families.DFProbe, FlowLabel: 0x12345})
	if got, want := h.String(), "tos 0xb8 (ef, not-ect), df probe, flow label 0x12345"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got := headerOf(families.IPOptions{}).String(); got != "" {
		t.Errorf("nothing set: String() = %q, want \"\"", got)
	}
	dst := &net.IPAddr{IP: net.IPv6loopback}
	if fa, ok := flowDst(dst, 0x12345).(*families.FlowAddr); !ok || fa.Label != 0x12345 || !fa.IP.Equal(dst.IP) {
		t.Errorf("flowDst = %#v, want a FlowAddr to ::1 with label 0x12345", flowDst(dst, 0x12345))
	}
	if flowDst(dst, 0) != net.Addr(dst) {
		t.Errorf("flowDst without a label is not dst itself")
	}
}
