package families_test

import (
	"strings"
	"testing"

	"github.com/socklab/socklab/families"
)

func TestParseSpellings(t *testing.T) {
	for _, s := range []string{"inet6", "AF_INET6", "af_inet6", "10"} {
		if f, err := families.ParseFamily(s); err != nil || f != families.AF_INET6 {
			t.Errorf("ParseFamily(%q) = %d, %v", s, f, err)
		}
	}
	for _, s := range []string{"dgram", "SOCK_DGRAM", "2"} {
		if ty, err := families.ParseType(s); err != nil || ty != families.SOCK_DGRAM {
			t.Errorf("ParseType(%q) = %d, %v", s, ty, err)
		}
	}
	if _, err := families.ParseFamily("AF_BLUETOOTH"); err == nil || !strings.Contains(err.Error(), "inet6 (AF_INET6)") {
		t.Errorf("unknown family error does not list the valid ones: %v", err)
	}
	if _, err := families.ParseProto("999"); err == nil {
		t.Error("protocol 999 accepted")
	}
}

func TestRegistryResolve(t *testing.T) {
	r := families.NewRegistry(families.UDP4(), families.UDP6(), families.Unix())
	cases := map[families.Spec]string{
		families.NewSpec(families.AF_INET6, families.SOCK_DGRAM, 0):                    "udp6",
		families.NewSpec(families.AF_INET6, families.SOCK_DGRAM, families.IPPROTO_UDP): "udp6",
		families.NewSpec(families.AF_INET, families.SOCK_DGRAM, 0):                     "udp4",
		families.NewSpec(families.AF_UNIX, families.SOCK_DGRAM, 0):                     "unix",
	}
	for s, want := range cases {
		d, err := r.Resolve(s)
		if err != nil || d.Name != want {
			t.Errorf("Resolve(%v) = %v, %v; want %s", s, d, err, want)
		}
	}
	_, err := r.Resolve(families.NewSpec(families.AF_UNIX, families.SOCK_RAW, 0))
	if err == nil || !strings.Contains(err.Error(), "socket(AF_UNIX, SOCK_RAW, 0)") || !strings.Contains(err.Error(), "unix = AF_UNIX SOCK_DGRAM 0") {
		t.Errorf("AF_UNIX SOCK_RAW: %v, want an error naming it and listing valid triples", err)
	}
}

func TestSpecString(t *testing.T) {
	s := families.NewSpec(families.AF_INET6, families.SOCK_DGRAM, families.IPPROTO_UDP)
	if got := s.String(); got != "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)" {
		t.Errorf("String() = %q", got)
	}
	s.Fileno = 3
	if got := s.String(); got != "socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP) fd 3" {
		t.Errorf("String() with fileno = %q", got)
	}
}

// FuzzParse checks that every name the parsers accept formats back to a
// name they accept as the same number.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"inet6", "AF_UNIX", "dgram", "SOCK_RAW", "icmpv6", "17", "", "-1", "99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := families.ParseFamily(s); err == nil {
			if m, err := families.ParseFamily(families.FamilyName(n)); err != nil || m != n {
				t.Errorf("family %q -> %d -> %q -> %d, %v", s, n, families.FamilyName(n), m, err)
			}
		}
		if n, err := families.ParseType(s); err == nil {
			if m, err := families.ParseType(families.TypeName(n)); err != nil || m != n {
				t.Errorf("type %q -> %d -> %q -> %d, %v", s, n, families.TypeName(n), m, err)
			}
		}
		if n, err := families.ParseProto(s); err == nil {
			if n < 0 || n > 255 {
				t.Errorf("proto %q -> %d out of range", s, n)
			}
		}
		families.CheckUnixName(s)
	})
}
