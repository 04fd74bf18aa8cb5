package families

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// testHost is a HostAddrs with the interfaces of a made-up host:
// 127.0.0.1/8, 10.1.2.3/24 (broadcast 10.1.2.255) and fd00::3/64.
func testHost() *HostAddrs {
	return &HostAddrs{list: func() ([]net.Addr, error) {
		return []net.Addr{
			&net.IPNet{IP: net.IPv4(127, 0, 0, 1), Mask: net.CIDRMask(8, 32)},
			&net.IPNet{IP: net.IPv4(10, 1, 2, 3), Mask: net.CIDRMask(24, 32)},
			&net.IPNet{IP: net.ParseIP("fd00::3"), Mask: net.CIDRMask(64, 128)},
		}, nil
	}}
}

func TestHostAddrsKinds(t *testing.T) {
	h := testHost()
	now := time.Now()
	for a, want := range map[string]AddrKind{
		"127.0.0.1": AddrLocal, "127.0.0.2": AddrLocal, "10.1.2.3": AddrLocal, "::1": AddrLocal, "fd00::3": AddrLocal,
		"::ffff:10.1.2.3": AddrLocal,
		"127.255.255.255": AddrBroadcast, "10.1.2.255": AddrBroadcast, "255.255.255.255": AddrBroadcast,
		"224.0.0.1": AddrBroadcast, "239.1.1.1": AddrBroadcast, "ff02::1": AddrBroadcast,
		"10.1.2.4": AddrOther, "0.0.0.0": AddrOther, "::": AddrOther, "fd00::4": AddrOther,
	} {
		if got := h.Kind(netip.MustParseAddr(a), now); got != want {
			t.Errorf("kind(%s) = %d, want %d", a, got, want)
		}
	}
	if h.Kind(netip.Addr{}, now) != AddrOther || !h.BadSource(netip.Addr{}, now) {
		t.Error("the zero Addr is no address")
	}
}

// TestHostAddrsRefresh: an address added while serving is known within
// refreshEvery, and unknown addresses read the interfaces at most once in
// that time.
func TestHostAddrsRefresh(t *testing.T) {
	reads := 0
	addrs := []net.Addr{&net.IPNet{IP: net.IPv4(10, 1, 2, 3), Mask: net.CIDRMask(31, 32)}}
	h := &HostAddrs{list: func() ([]net.Addr, error) { reads++; return addrs, nil }}
	now := time.Now()
	added := netip.MustParseAddr("192.0.2.1")
	if h.Kind(added, now) != AddrOther {
		t.Fatal("192.0.2.1 is not ours yet")
	}
	addrs = append(addrs, &net.IPNet{IP: net.IPv4(192, 0, 2, 1), Mask: net.CIDRMask(32, 32)})
	for range 100 {
		h.Kind(netip.MustParseAddr("198.51.100.7"), now.Add(refreshEvery/2))
	}
	if reads != 1 {
		t.Errorf("%d reads of the interfaces within %v", reads, refreshEvery)
	}
	if h.Kind(added, now.Add(refreshEvery)) != AddrLocal || reads != 2 {
		t.Errorf("an address added is known after %v (%d reads)", refreshEvery, reads)
	}
	if h.Kind(netip.MustParseAddr("10.1.2.2"), now) != AddrOther {
		t.Error("a /31 has no broadcast address: its other address is a host's")
	}
}
