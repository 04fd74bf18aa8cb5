package families

import (
	"strconv"
	"testing"
)

// FuzzIPOptionValues feeds command-line values to the IP option parsers:
// whatever they accept is in range and reads back the same.
func FuzzIPOptionValues(f *testing.F) {
	for _, s := range []string{"ef", "ef,ect0", "af41+ect1", "0xb8", "255", "256", "cs6,", "do", "probe", "1", "0x12345",
		"239.1.2.3%eth0", "ff1e::1234", "10.0.0.1", "%", "ect(1)", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tos, err := ParseTOS(s); err == nil {
			if back, err := ParseTOS(strconv.Itoa(int(tos))); err != nil || back != tos {
				t.Errorf("ParseTOS(%q) = %#x, which reads back as %#x, %v", s, tos, back, err)
			}
			_ = TOSString(tos)
		}
		if m, err := ParseDF(s); err == nil && m.String() == "kernel" {
			t.Errorf("ParseDF(%q) = the kernel's default", s)
		}
		if v, err := ParseTTL(s, true); err == nil && (v < 0 || v > 255) {
			t.Errorf("ParseTTL(%q) = %d", s, v)
		}
		if v, err := ParseFlowLabel(s); err == nil && (v < 1 || v > MaxFlowLabel) {
			t.Errorf("ParseFlowLabel(%q) = %#x", s, v)
		}
		if g, err := ParseGroup(s); err == nil {
			if !g.Addr.IsMulticast() {
				t.Errorf("ParseGroup(%q) = %v, not a group", s, g)
			}
			if back, err := ParseGroup(g.String()); err != nil || back != g {
				t.Errorf("ParseGroup(%q) = %v, which reads back as %v, %v", s, g, back, err)
			}
		}
	})
}
