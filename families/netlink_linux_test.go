package families

import (
	"net"
	"testing"
)

// TestIfNames: the interface names and indexes of families' netlink dump,
// which IPv6 zones are spelled with, are package net's.
func TestIfNames(t *testing.T) {
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Skipf("no interfaces to compare with: %v", err)
	}
	for _, ifi := range ifs {
		if i, err := ifIndex(ifi.Name); err != nil || i != ifi.Index {
			t.Errorf("ifIndex(%q) = %d, %v; want %d", ifi.Name, i, err, ifi.Index)
		}
		if n, err := ifName(ifi.Index); err != nil || n != ifi.Name {
			t.Errorf("ifName(%d) = %q, %v; want %q", ifi.Index, n, err, ifi.Name)
		}
	}
	if _, err := ifIndex("no-such-interface0"); err == nil {
		t.Error("ifIndex of a missing interface: no error")
	}
}
