package echo

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

func ipSource(s string) source {
	ap := netip.MustParseAddrPort(s)
	return source{ap: ap, key: apKey(ap)}
}

// TestGuardSources: the default checks on an IP sender's address, for a
// server bound to 127.0.0.1:8020 and one bound to the wildcard.
func TestGuardSources(t *testing.T) {
	bound := newGuard(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8020}, Policy{})
	wild := newGuard(&net.UDPAddr{IP: net.IPv4zero, Port: 8020}, Policy{})
	for _, tc := range []struct {
		g    *guard
		src  string
		want verdict
	}{
		{bound, "127.0.0.1:40000", answer},
		{bound, "127.0.0.1:8020", dropSelf},
		{wild, "127.0.0.1:8020", dropSelf},
		{wild, "127.0.0.2:8020", dropSelf}, // loopback is the host's own
		{bound, "127.0.0.2:8020", dropLoop},
		{bound, "192.0.2.7:8020", dropLoop}, // the same service elsewhere
		{bound, "127.0.0.1:7", dropService},
		{bound, "127.0.0.1:53", dropService},
		{bound, "127.0.0.1:0", dropService},
		{bound, "127.0.0.1:1024", answer},
		{bound, "255.255.255.255:40000", dropBroadcast},
		{bound, "224.0.0.1:40000", dropBroadcast},
		{bound, "0.0.0.0:40000", dropBroadcast},
		{bound, "[ff02::1]:40000", dropBroadcast},
	} {
		src := ipSource(tc.src)
		if got := tc.g.check(&src, []byte("hello"), 5, 1); got != tc.want {
			t.Errorf("server %v, datagram from %s: %s (%d), want %s (%d)", tc.g.local, tc.src, reasonOf(got), got, reasonOf(tc.want), tc.want)
		}
	}
}

// TestGuardLoop: a datagram that ends with the server's last reply to its
// sender, soon after, is its reply reflected back; one that differs, comes
// late, or repeats a bare echo from a client's ephemeral port is not.
func TestGuardLoop(t *testing.T) {
	g := newGuard(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8020}, Policy{})
	prefix := []byte("[Thu Nov 26 17:00:00 2026] ")
	msg := []byte("~sLb0000000000000001000000000000abcdabcdabcdabcdabcd")
	server := ipSource("127.0.0.2:9000") // another server's fixed port
	client := ipSource("127.0.0.1:45000")
	now := int64(time.Hour)
	reflected := append(append([]byte("[Thu Nov 26 17:00:01 2026] "), prefix...), msg...)

	g.sent(&server, prefix, msg, now)
	if v := g.check(&server, reflected, len(reflected), now+int64(time.Millisecond)); v != dropLoop {
		t.Errorf("our seed reply with another prefix, back from its peer: %s, want loop", reasonOf(v))
	}
	if v := g.check(&server, reflected, len(reflected), now+int64(time.Second)); v != answer {
		t.Errorf("the same a second later: %s, want an answer", reasonOf(v))
	}
	next := append([]byte(nil), msg...)
	next[19] = '2'
	g.sent(&client, nil, msg, now)
	if v := g.check(&client, next, len(next), now+1); v != answer {
		t.Errorf("the client's next datagram: %s, want an answer", reasonOf(v))
	}
	if v := g.check(&client, msg, len(msg), now+1); v != answer {
		t.Errorf("a client repeating a datagram we echoed bare: %s, want an answer", reasonOf(v))
	}
	g.sent(&server, nil, msg, now)
	if v := g.check(&server, msg, len(msg), now+1); v != dropLoop {
		t.Errorf("a server port repeating our bare echo: %s, want loop", reasonOf(v))
	}
	if v := g.check(&server, msg[:10], 10, now+1); v != answer {
		t.Errorf("a shorter datagram: %s, want an answer", reasonOf(v))
	}
}

func TestGuardPolicy(t *testing.T) {
	g := newGuard(&net.UDPAddr{IP: net.IPv4zero, Port: 8020}, Policy{
		Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
		Deny:  []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
	})
	for src, want := range map[string]verdict{
		"10.1.2.3:40000":    answer,
		"10.9.2.3:40000":    dropDenied,
		"192.0.2.1:40000":   dropDenied,
		"[2001:db8::1]:400": dropService,
	} {
		s := ipSource(src)
		if got := g.check(&s, nil, 0, 1); got != want {
			t.Errorf("%s: %s, want %s", src, reasonOf(got), reasonOf(want))
		}
	}
	u := newGuard(nil, Policy{AllowUID: []int{1000}})
	for _, tc := range []struct {
		src  source
		want verdict
	}{
		{source{key: 1, hasCred: true, uid: 1000}, answer},
		{source{key: 1, hasCred: true, uid: 0}, dropDenied},
		{source{key: 1}, dropDenied}, // credentials unknown
	} {
		if got := u.check(&tc.src, nil, 0, 1); got != tc.want {
			t.Errorf("unix sender %+v with AllowUID 1000: %s, want %s", tc.src, reasonOf(got), reasonOf(tc.want))
		}
	}
}

// TestGuardRate: a token bucket per source address, whatever the port;
// the table is fixed, so a million forged sources cost no memory.
func TestGuardRate(t *testing.T) {
	g := newGuard(&net.UDPAddr{IP: net.IPv4zero, Port: 8020}, Policy{Rate: 10, Burst: 5})
	a, b := ipSource("192.0.2.1:40000"), ipSource("192.0.2.1:40001")
	other := ipSource("192.0.2.2:40000")
	now := int64(time.Hour)
	answered := 0
	for i := 0; i < 20; i++ {
		src := a
		if i%2 == 1 {
			src = b
		}
		if g.check(&src, nil, 0, now) == answer {
			answered++
		}
	}
	if answered != 5 {
		t.Errorf("20 datagrams at once from one address, burst 5: %d answered", answered)
	}
	if g.check(&other, nil, 0, now) != answer {
		t.Error("another address is limited by the first's flood")
	}
	if g.check(&a, nil, 0, now+int64(100*time.Millisecond)) != answer {
		t.Error("after 100ms at 10/s one more datagram is due")
	}
	slots := len(g.rates)
	for i := 0; i < 1000000; i++ {
		s := source{ap: netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 40000)}
		g.check(&s, nil, 0, now)
	}
	if len(g.rates) != slots || slots != maxTracked {
		t.Errorf("the rate table grew to %d slots, want %d", len(g.rates), maxTracked)
	}
}

// TestAmplifies: on a server others can reach, a seed reply is at most 1.5
// times its request on the wire; shorter requests get the bare echo.
func TestAmplifies(t *testing.T) {
	prefix := make([]byte, 27)
	v4 := netip.MustParseAddrPort("192.0.2.1:40000")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:40000")
	for _, tc := range []struct {
		ap   netip.AddrPort
		n    int
		want bool
	}{{v4, 1, true}, {v4, 25, true}, {v4, 26, false}, {v6, 5, true}, {v6, 6, false}} {
		if got := amplifies(tc.ap, prefix, make([]byte, tc.n)); got != tc.want {
			t.Errorf("%v, %d-byte request: amplifies %v, want %v", tc.ap, tc.n, got, tc.want)
		}
	}
	if exposed(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}) || !exposed(&net.UDPAddr{IP: net.IPv4zero}) || exposed(&net.UnixAddr{Name: "@x"}) {
		t.Error("exposed: want loopback and unix servers not exposed, the wildcard exposed")
	}
}

func TestNotices(t *testing.T) {
	var n notices
	now := int64(time.Hour)
	if ok, _ := n.allow(0, now); !ok {
		t.Fatal("the first notice is held back")
	}
	for i := 1; i <= 5; i++ {
		if ok, _ := n.allow(0, now+int64(i)); ok {
			t.Fatal("a notice within a second of the last is told")
		}
	}
	if ok, _ := n.allow(1, now); !ok {
		t.Error("another kind is held back by the first")
	}
	if ok, held := n.allow(0, now+int64(time.Second)); !ok || held != 5 {
		t.Errorf("a second later: told %v with %d held back, want told with 5", ok, held)
	}
}

// TestGuardPortless: a raw or ICMP socket's sender has no port; only its
// address is checked (broadcast, multicast, allow and deny), and a reply
// reflected back from it is a loop.
func TestGuardPortless(t *testing.T) {
	g := newGuard(&net.IPAddr{IP: net.IPv4(127, 0, 0, 1)}, Policy{Deny: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	src := func(s string) source {
		ap := netip.AddrPortFrom(netip.MustParseAddr(s), 0)
		return source{ap: ap, key: apKey(ap), portless: true}
	}
	for ip, want := range map[string]verdict{"127.0.0.1": answer, "192.0.2.1": answer, "255.255.255.255": dropBroadcast, "224.0.0.1": dropBroadcast, "10.1.1.1": dropDenied} {
		s := src(ip)
		if got := g.check(&s, []byte("x"), 1, 1); got != want {
			t.Errorf("portless sender %s: %s, want %s", ip, reasonOf(got), reasonOf(want))
		}
	}
	s := src("192.0.2.1")
	g.sent(&s, nil, []byte("ping"), 1)
	if got := g.check(&s, []byte("ping"), 4, 2); got != dropLoop {
		t.Errorf("our echo reflected by a portless sender: %s, want loop", reasonOf(got))
	}
}

// TestGuardHostChanges: a server on a wildcard address learns the
// addresses this host gains while it runs: a new address of its own, and a
// new interface's broadcast address, are checked as such within a second.
func TestGuardHostChanges(t *testing.T) {
	g := newGuard(&net.UDPAddr{IP: net.IPv4zero, Port: 8020}, Policy{})
	addrs := []net.Addr{&net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(8, 32)}}
	g.host = families.HostAddrsOf(func() ([]net.Addr, error) { return addrs, nil })
	self, bcast := ipSource("192.0.2.1:8020"), ipSource("198.51.100.255:40000")
	now := int64(time.Hour)
	if v := g.check(&self, []byte("x"), 1, now); v != dropLoop {
		t.Errorf("another host's server port: %s, want loop", reasonOf(v))
	}
	if v := g.check(&bcast, []byte("x"), 1, now); v != answer {
		t.Errorf("198.51.100.255, no interface of ours there: %s, want an answer", reasonOf(v))
	}
	addrs = append(addrs, &net.IPNet{IP: net.IPv4(192, 0, 2, 1), Mask: net.CIDRMask(32, 32)},
		&net.IPNet{IP: net.IPv4(198, 51, 100, 1), Mask: net.CIDRMask(24, 32)})
	now += int64(time.Second)
	if v := g.check(&self, []byte("x"), 1, now); v != dropSelf {
		t.Errorf("from our new address and our port: %s, want self", reasonOf(v))
	}
	if v := g.check(&bcast, []byte("x"), 1, now); v != dropBroadcast {
		t.Errorf("from the new interface's broadcast address: %s, want broadcast", reasonOf(v))
	}
}
