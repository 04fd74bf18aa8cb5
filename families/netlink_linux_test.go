package families

import (
	"fmt"
	"net"
	"slices"
	"testing"
)

// TestInterfaces: the interfaces of families' netlink dump, which ipopts,
// the IPv6 zones and -v name, are package net's: index, name, MTU,
// hardware address, flags, and each one's addresses.
func TestInterfaces(t *testing.T) {
	want, err := net.Interfaces()
	if err != nil || len(want) == 0 {
		t.Skipf("no interfaces to compare with: %v", err)
	}
	got, err := Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Interfaces:\n got %v\nwant %v", got, want)
	}
	for _, ifi := range want {
		if i, err := ifIndex(ifi.Name); err != nil || i != ifi.Index {
			t.Errorf("ifIndex(%q) = %d, %v; want %d", ifi.Name, i, err, ifi.Index)
		}
		if n, err := ifName(ifi.Index); err != nil || n != ifi.Name {
			t.Errorf("ifName(%d) = %q, %v; want %q", ifi.Index, n, err, ifi.Name)
		}
		wa, _ := ifi.Addrs()
		ga, err := InterfaceAddrsOf(ifi.Index)
		if err != nil || !slices.Equal(strs(ga), strs(wa)) {
			t.Errorf("InterfaceAddrsOf(%d) = %v, %v; want %v", ifi.Index, ga, err, wa)
		}
	}
	if _, err := ifIndex("no-such-interface0"); err == nil {
		t.Error("ifIndex of a missing interface: no error")
	}
}

func strs(as []net.Addr) []string {
	var s []string
	for _, a := range as {
		s = append(s, a.String())
	}
	slices.Sort(s)
	return s
}
