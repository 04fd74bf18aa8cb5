package families_test

import (
	"net"
	"net/netip"
	"strconv"
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

func TestLooksLikeAddr(t *testing.T) {
	for s, want := range map[string]bool{
		"127.0.0.1:8020": true, "[::1]:8020": true, "localhost:9": true, "host.example:53": true, ":8020": true,
		"127.0.0.1:70000": true, // an address, refused later with the port range
		"meet at 10:30":   false, "10:30": false, "hello": false, "a:b": false, "[::1]": false,
	} {
		if got := families.LooksLikeAddr(s); got != want {
			t.Errorf("LooksLikeAddr(%q) = %v, want %v", s, got, want)
		}
	}
}

// FuzzLooksLikeAddr checks LooksLikeAddr against its doc: HOST:PORT where
// HOST is empty, an IP address, or a host name (letters, digits, dots and
// hyphens) with a letter in it, and PORT is a number (in range or not: out
// of range is refused by name later). An address with an IP host and a port
// in range resolves without DNS. Its seed corpus is
// testdata/fuzz/FuzzLooksLikeAddr.
func FuzzLooksLikeAddr(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		got := families.LooksLikeAddr(s)
		host, port, err := net.SplitHostPort(s)
		want := err == nil && isNumber(port) && (host == "" || isIP(host) || isHostName(host))
		if got != want {
			t.Fatalf("LooksLikeAddr(%q) = %v, want %v (host %q, port %q, split error %v)", s, got, want, host, port, err)
		}
		if !got || host != "" && !isIP(host) {
			return
		}
		if n, err := strconv.Atoi(port); err == nil && n >= 0 && n <= 65535 && port[0] != '+' {
			if _, err := net.ResolveUDPAddr("udp", s); err != nil {
				t.Errorf("LooksLikeAddr(%q) is true, but it does not resolve: %v", s, err)
			}
		}
	})
}

// isNumber: an optional sign and decimal digits, of any length.
func isNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

func isHostName(s string) bool {
	letter := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9', c == '.', c == '-':
		default:
			return false
		}
	}
	return letter
}
