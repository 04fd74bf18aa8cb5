package inet

import (
	"net/netip"
	"testing"
)

// RFC 1071's example words, and a checksum put in its field sums to 0.
func TestChecksum(t *testing.T) {
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := Fold(Sum(b, 0)); got != 0xddf2 {
		t.Errorf("RFC 1071 4.1 sum = %#x, want 0xddf2", got)
	}
	odd := []byte{0x45, 0x00, 0x00, 0x1c, 0xab}
	if Fold(Sum(odd, 0)) != Fold(Sum(append(odd, 0), 0)) {
		t.Error("an odd trailing byte is not padded with zero")
	}
	// An IPv4 header (RFC 1071's usual example) with its checksum zeroed,
	// then filled in: checking it gives 0.
	h := []byte{0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7}
	c := Checksum(h, 0)
	if c != 0xb861 {
		t.Errorf("header checksum %#x, want 0xb861", c)
	}
	h[10], h[11] = byte(c>>8), byte(c)
	if Checksum(h, 0) != 0 {
		t.Error("a header with its checksum filled in does not check to 0")
	}
}

func TestPseudoSums(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	// 0x0a00+0x0001+0x0a00+0x0002+17+8
	if got := PseudoSum4(src, dst, 17, 8); got != 0x0a00+1+0x0a00+2+17+8 {
		t.Errorf("PseudoSum4 = %#x", got)
	}
	lo := netip.IPv6Loopback()
	if got := PseudoSum6(lo, lo, 58, 0x10008); got != 1+1+1+8+58 {
		t.Errorf("PseudoSum6 = %#x", got)
	}
}
