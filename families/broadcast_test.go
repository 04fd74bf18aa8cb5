package families

import (
	"net"
	"testing"
)

// TestBroadcast: the broadcast address of each kind of interface address,
// and none where a network has none.
func TestBroadcast(t *testing.T) {
	for _, c := range []struct {
		ipn  *net.IPNet
		want string
	}{
		{&net.IPNet{IP: net.IPv4(192, 168, 1, 7).To4(), Mask: net.CIDRMask(24, 32)}, "192.168.1.255"},
		{&net.IPNet{IP: net.IPv4(10, 1, 2, 3), Mask: net.CIDRMask(8, 32)}, "10.255.255.255"},
		{&net.IPNet{IP: net.IPv4(10, 0, 0, 1).To4(), Mask: net.CIDRMask(30, 32)}, "10.0.0.3"},
		{&net.IPNet{IP: net.IPv4(10, 0, 0, 1).To4(), Mask: net.CIDRMask(120, 128)}, "10.0.0.255"},
		{&net.IPNet{IP: net.IPv4(10, 0, 0, 0).To4(), Mask: net.CIDRMask(31, 32)}, ""},
		{&net.IPNet{IP: net.IPv4(10, 0, 0, 1).To4(), Mask: net.CIDRMask(32, 32)}, ""},
		{&net.IPNet{IP: net.ParseIP("2001:db8::1"), Mask: net.CIDRMask(64, 128)}, ""},
		{&net.IPNet{IP: net.IPv4(10, 0, 0, 1).To4(), Mask: net.IPMask{255, 0, 255, 0}}, ""},
	} {
		got, ok := Broadcast(c.ipn)
		if c.want == "" && ok || c.want != "" && got.String() != c.want {
			t.Errorf("Broadcast(%v) = %v, %v; want %q", c.ipn, got, ok, c.want)
		}
	}
}
