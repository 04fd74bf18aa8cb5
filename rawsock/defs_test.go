package rawsock

import (
	"testing"

	"github.com/socklab/socklab/families"
)

// TestResolveNarrowsICMP: the generic form names the socket type, and the
// family resolved for it opens that type only (--type dgram once opened
// SOCK_RAW silently when the datagram socket was refused).
func TestResolveNarrowsICMP(t *testing.T) {
	r := families.NewRegistry(ICMP4(), ICMP6())
	for _, s := range []families.Spec{ICMPSpec(4, ModeDgram), ICMPSpec(4, ModeRaw), ICMPSpec(6, ModeDgram), ICMPSpec(6, ModeRaw)} {
		d, err := r.Resolve(s)
		if err != nil {
			t.Fatal(err)
		}
		if d.Spec != s || len(d.Also) != 0 || !d.Serves(s) {
			t.Errorf("Resolve(%v) = %s serving %v", s, d.Name, d.Specs())
		}
	}
	if d, _ := r.Lookup("icmp4"); len(d.Also) != 1 {
		t.Error("Resolve must not change the registered family")
	}
	for typ, want := range map[int]Mode{0: ModeAuto, families.SOCK_DGRAM: ModeDgram, families.SOCK_RAW: ModeRaw} {
		if got := modeOfType(typ); got != want {
			t.Errorf("modeOfType(%d) = %v, want %v", typ, got, want)
		}
	}
}
