package families

import (
	"net"
	"net/netip"
	"strings"
	"testing"
)

// Every option SetIPOptions sets is what getsockopt reads back, on real
// udp4 and udp6 sockets.
func TestSetIPOptionsReadBack(t *testing.T) {
	tos := uint8(0xba)
	mttl, loop := 7, false
	for _, def := range []*Definition{UDP4(), UDP6()} {
		t.Run(def.Name, func(t *testing.T) {
			c, err := def.Open(Options{})
			if err != nil {
				t.Skipf("open %s: %v", def.Name, err)
			}
			defer c.Close()
			before, err := ReadIPOptions(c)
			if err != nil {
				t.Fatal(err)
			}
			if before.TTL != 64 || before.TOS != 0 || !before.MulticastLoop || before.MulticastTTL != 1 {
				t.Errorf("defaults read back as %+v: want ttl 64, tos 0, mcast ttl 1, loop on", before)
			}
			o := IPOptions{TTL: 33, TOS: &tos, DF: DFDo, MulticastTTL: &mttl, MulticastLoop: &loop, MulticastIf: "lo"}
			if def.Name == "udp4" {
				o.Broadcast = true
			} else {
				o.FlowLabel, o.FlowDst = 0x12345, netip.IPv6Loopback()
			}
			if err := SetIPOptions(c, o); err != nil {
				t.Fatal(err)
			}
			got, err := ReadIPOptions(c)
			if err != nil {
				t.Fatal(err)
			}
			want := IPOptionsRead{TTL: 33, TOS: 0xba, DF: DFDo, Broadcast: def.Name == "udp4", MulticastTTL: 7, MulticastLoop: false,
				MulticastIf: "lo", FlowInfoSend: def.Name == "udp6"}
			if got != want {
				t.Errorf("read back %+v, want %+v", got, want)
			}
		})
	}
}

func TestSetIPOptionsRefuses(t *testing.T) {
	c4, err := UDP4().Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c4.Close()
	for _, tc := range []struct {
		o    IPOptions
		want string
	}{
		{IPOptions{FlowLabel: 5}, "IPv4 has no flow label"},
		{IPOptions{MulticastIf: "nosuch0"}, `no interface "nosuch0" here: the interfaces are lo`},
	} {
		if err := SetIPOptions(c4, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetIPOptions(%+v): %v, want %q", tc.o, err, tc.want)
		}
	}
	if err := JoinGroup(c4, Group{Addr: netip.MustParseAddr("ff02::1")}, netip.Addr{}); err == nil || !strings.Contains(err.Error(), "not an IPv4 address") {
		t.Errorf("v6 group on udp4: %v", err)
	}
	if err := JoinGroup(c4, Group{Addr: netip.MustParseAddr("239.1.1.1")}, netip.MustParseAddr("239.1.1.2")); err == nil || !strings.Contains(err.Error(), "want the unicast IPv4 address") {
		t.Errorf("group source: %v", err)
	}
	u, err := Unix().Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if err := SetIPOptions(u, IPOptions{TTL: 3}); err == nil || !strings.Contains(err.Error(), "has no IP header") {
		t.Errorf("unix: %v", err)
	}
	_ = net.IPv4zero
}

// Joining on loopback, then again, then leaving twice: the kernel's
// answers in words.
func TestJoinLeaveLoopback(t *testing.T) {
	c, err := UDP4().Open(Options{Addr: "0.0.0.0:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	g := Group{Addr: netip.MustParseAddr("239.7.7.7"), Iface: "lo"}
	if err := JoinGroup(c, g, netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	if err := JoinGroup(c, g, netip.Addr{}); err == nil || !strings.Contains(err.Error(), "joined it already") {
		t.Errorf("second join: %v", err)
	}
	if err := LeaveGroup(c, g, netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	if err := LeaveGroup(c, g, netip.Addr{}); err == nil || !strings.Contains(err.Error(), "not a member") {
		t.Errorf("second leave: %v", err)
	}
}

// Two sockets may carry the same flow label at once, and a label can be
// taken again right after its socket closed (it lingers in the kernel for
// seconds): running socklab twice with one --flowlabel must work.
func TestFlowLabelShared(t *testing.T) {
	o := IPOptions{FlowLabel: 0x2468a, FlowDst: netip.IPv6Loopback()}
	open := func() Conn {
		c, err := UDP6().Open(Options{})
		if err != nil {
			t.Skipf("open udp6: %v", err)
		}
		if err := SetIPOptions(c, o); err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b := open(), open()
	a.Close()
	b.Close()
	open().Close()
}
