package rawsock

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// testHost is a hostAddrs with the interfaces of a made-up host:
// 127.0.0.1/8, 10.1.2.3/24 (broadcast 10.1.2.255) and fd00::3/64.
func testHost() *hostAddrs {
	return &hostAddrs{list: func() ([]net.Addr, error) {
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
	for a, want := range map[string]addrKind{
		"127.0.0.1": addrLocal, "127.0.0.2": addrLocal, "10.1.2.3": addrLocal, "::1": addrLocal, "fd00::3": addrLocal,
		"::ffff:10.1.2.3": addrLocal,
		"127.255.255.255": addrBroadcast, "10.1.2.255": addrBroadcast, "255.255.255.255": addrBroadcast,
		"224.0.0.1": addrBroadcast, "239.1.1.1": addrBroadcast, "ff02::1": addrBroadcast,
		"10.1.2.4": addrOther, "0.0.0.0": addrOther, "::": addrOther, "fd00::4": addrOther,
	} {
		if got := h.kind(netip.MustParseAddr(a), now); got != want {
			t.Errorf("kind(%s) = %d, want %d", a, got, want)
		}
	}
	if h.kind(netip.Addr{}, now) != addrOther || !h.badSource(netip.Addr{}, now) {
		t.Error("the zero Addr is no address")
	}
}

// TestHostAddrsRefresh: an address added while serving is known within
// refreshEvery, and unknown addresses read the interfaces at most once in
// that time.
func TestHostAddrsRefresh(t *testing.T) {
	reads := 0
	addrs := []net.Addr{&net.IPNet{IP: net.IPv4(10, 1, 2, 3), Mask: net.CIDRMask(31, 32)}}
	h := &hostAddrs{list: func() ([]net.Addr, error) { reads++; return addrs, nil }}
	now := time.Now()
	added := netip.MustParseAddr("192.0.2.1")
	if h.kind(added, now) != addrOther {
		t.Fatal("192.0.2.1 is not ours yet")
	}
	addrs = append(addrs, &net.IPNet{IP: net.IPv4(192, 0, 2, 1), Mask: net.CIDRMask(32, 32)})
	for range 100 {
		h.kind(netip.MustParseAddr("198.51.100.7"), now.Add(refreshEvery/2))
	}
	if reads != 1 {
		t.Errorf("%d reads of the interfaces within %v", reads, refreshEvery)
	}
	if h.kind(added, now.Add(refreshEvery)) != addrLocal || reads != 2 {
		t.Errorf("an address added is known after %v (%d reads)", refreshEvery, reads)
	}
	if h.kind(netip.MustParseAddr("10.1.2.2"), now) != addrOther {
		t.Error("a /31 has no broadcast address: its other address is a host's")
	}
}
