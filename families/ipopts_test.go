package families

import (
	"strings"
	"testing"
)

func TestParseTOS(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint8
	}{
		{"ef", 0xb8}, {"EF", 0xb8}, {"af41", 34 << 2}, {"cs6", 0xc0}, {"be", 0}, {"le", 4},
		{"ect0", 2}, {"ect(1)", 1}, {"ce", 3}, {"not-ect", 0}, {"ef,ect0", 0xba}, {"af11+ect1", 41},
		{"0xb8", 0xb8}, {"184", 184}, {"0", 0}, {"255", 255},
	} {
		got, err := ParseTOS(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseTOS(%q) = %#x, %v; want %#x", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "256", "-1", "xx", "ef,af41", "ect0,ect1", "ef,", "0x1ff"} {
		_, err := ParseTOS(bad)
		if err == nil || !strings.Contains(err.Error(), "DSCP name (be, le, cs0-cs7, af11-af43, ef, va)") {
			t.Errorf("ParseTOS(%q): %v, want the allowed values", bad, err)
		}
	}
	if got := TOSString(0xba); got != "0xba (ef, ect0)" {
		t.Errorf("TOSString(0xba) = %q", got)
	}
	if got := TOSString(0x04 | 3); got != "0x07 (le, ce)" {
		t.Errorf("TOSString(7) = %q", got)
	}
	if got := DSCPName(63 << 2); got != "dscp 63" {
		t.Errorf("DSCPName(0xfc) = %q", got)
	}
}

func TestParseDFTTLFlowGroup(t *testing.T) {
	for in, want := range map[string]DFMode{"do": DFDo, "want": DFWant, "DONT": DFDont, "probe": DFProbe} {
		if got, err := ParseDF(in); err != nil || got != want || got.String() != strings.ToLower(in) {
			t.Errorf("ParseDF(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseDF("yes"); err == nil || !strings.Contains(err.Error(), "valid are do") {
		t.Errorf("ParseDF(yes): %v", err)
	}
	for _, bad := range []string{"0", "256", "x", ""} {
		if _, err := ParseTTL(bad, false); err == nil || !strings.Contains(err.Error(), "from 1 to 255") {
			t.Errorf("ParseTTL(%q): %v", bad, err)
		}
	}
	if v, err := ParseTTL("0", true); err != nil || v != 0 {
		t.Errorf("multicast TTL 0: %v %v", v, err)
	}
	if v, err := ParseFlowLabel("0x12345"); err != nil || v != 0x12345 {
		t.Errorf("flow label: %v %v", v, err)
	}
	for _, bad := range []string{"0", "0x100000", "-1", "abc"} {
		if _, err := ParseFlowLabel(bad); err == nil || !strings.Contains(err.Error(), "1 to 0xfffff") {
			t.Errorf("ParseFlowLabel(%q): %v", bad, err)
		}
	}
	g, err := ParseGroup("239.1.2.3%eth0")
	if err != nil || g.Addr.String() != "239.1.2.3" || g.Iface != "eth0" || g.String() != "239.1.2.3%eth0" {
		t.Errorf("ParseGroup: %+v %v", g, err)
	}
	if g, err := ParseGroup("ff12::1234"); err != nil || g.Iface != "" {
		t.Errorf("ParseGroup v6: %+v %v", g, err)
	}
	for _, bad := range []string{"10.0.0.1", "2001:db8::1", "nope", "239.1.2.300"} {
		if _, err := ParseGroup(bad); err == nil || !strings.Contains(err.Error(), "224.0.0.0") {
			t.Errorf("ParseGroup(%q): %v", bad, err)
		}
	}
}
