package main

// The address grammar of send and bench, as functions: what looks like an
// address of each family, and what resolvePeer makes of it. The end-to-end
// tests with the binary are in cli_test.go.

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/socklab/socklab/families"
)

// grammarCase is one argument and what the grammar makes of it for a
// family: a message (looks false), an address that resolves to want, or
// an address refused with a reason containing want.
type grammarCase struct {
	arg   string
	looks bool
	ok    bool
	want  string
}

var grammar = map[string][]grammarCase{
	"udp4": {
		{"127.0.0.1:8020", true, true, "127.0.0.1:8020"},
		{":8020", true, true, "127.0.0.1:8020"},
		{"0.0.0.0:8020", true, true, "127.0.0.1:8020"},
		{"localhost:8020", true, true, "127.0.0.1:8020"},
		{"127.0.0.1:abc", true, false, `port "abc" is not a number`},
		{"127.0.0.1:0", true, false, `port "0" is not a number from 1 to 65535`},
		{"127.0.0.1:70000", true, false, "1 to 65535"},
		{"127.0.0.1:99999999999999999999", true, false, "1 to 65535"},
		{"127.0.0.1:+80", true, false, `port "+80"`},
		{"127.1:8020", true, false, "127.1 is not an IPv4 address"},
		{"999.1.1.1:8020", true, false, "999.1.1.1 is not an IPv4 address"},
		{"::1:8020", true, false, "an IPv6 address goes in brackets"},
		{"[::1]:8020", true, false, "::1 is not an IPv4 address"},
		{"127.0.0.1", true, false, "no port"},
		{"999.1.1.1", true, false, "no port"},
		{"hello:world", true, false, `port "world"`},
		{"meet at 10:30", false, false, ""},
		{"hello", false, false, ""},
		{"s.sock", false, false, ""},
		{"a:b:c", true, false, "an IPv6 address goes in brackets"}, // hex digits and colons
		{"x:y:z", false, false, ""},
		{"note: this", false, false, ""},
		{"", false, false, ""},
	},
	"udp6": {
		{"[::1]:8020", true, true, "[::1]:8020"},
		{"[::]:8020", true, true, "[::1]:8020"},
		{":8020", true, true, "[::1]:8020"},
		{"[::1]", true, false, "no port after the brackets"},
		{"::1", true, false, "an IPv6 address goes in brackets"},
		{"[fe80::1%lo]:8020", true, true, "[fe80::1%lo]:8020"},
		{"127.0.0.1:8020", true, false, "is an IPv4 address"},
		{"[::ffff:127.0.0.1]:8020", true, false, "IPv4 mapped"},
		{"[::1]:0", true, false, "1 to 65535"},
		{"hello world", false, false, ""},
	},
	"unix": {
		{"@socklab", true, true, "@socklab"},
		{"/tmp/s.sock", true, true, "/tmp/s.sock"},
		{"./s.sock", true, true, "./s.sock"},
		{"../s.sock", true, true, "../s.sock"},
		{"dir/s.sock", true, true, "dir/s.sock"},
		{"@" + strings.Repeat("n", 107), true, false, "longer than the 107"},
		{"s.sock", false, false, ""},
		{"see http://x", false, false, ""},
		{"hello", false, false, ""},
	},
}

func TestAddressGrammar(t *testing.T) {
	reg := registry()
	for family, cases := range grammar {
		d, err := reg.Lookup(family)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			if got := looksLikeAddr(d, c.arg); got != c.looks {
				t.Errorf("%s: looksLikeAddr(%q) = %v, want %v", family, c.arg, got, c.looks)
			}
			if !c.looks {
				continue
			}
			p, err := resolvePeer(d, c.arg)
			switch {
			case c.ok && err != nil:
				t.Errorf("%s: %q refused: %v", family, c.arg, err)
			case c.ok && p.addr.String() != c.want:
				t.Errorf("%s: %q resolved to %v, want %s", family, c.arg, p.addr, c.want)
			case !c.ok && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("%s: %q: error %v, want one that says %q", family, c.arg, err, c.want)
			}
		}
	}
}

// FuzzAddrArg checks the grammar against its promises, for udp4, udp6 and
// unix: every address that resolves without a lookup looks like one (so it
// is never taken for a message), an argument with white space is an IP
// family's message, a refusal names the argument, and nothing that looks
// numeric is sent to a resolver. Its seed corpus is
// testdata/fuzz/FuzzAddrArg.
func FuzzAddrArg(f *testing.F) {
	reg := registry()
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range []string{"udp4", "udp6", "unix"} {
			d, _ := reg.Lookup(name)
			looks := looksLikeAddr(d, s)
			if d.Spec.Family != families.AF_UNIX && strings.ContainsAny(s, " \t\n") && looks {
				t.Fatalf("%s: %q has white space, and looks like an address", name, s)
			}
			if !looks || d.Spec.Family == families.AF_UNIX {
				continue
			}
			if host, _, err := net.SplitHostPort(s); err == nil && !isNumeric(host) && host != "" {
				continue // a host name: the resolver's to answer
			}
			p, err := resolvePeer(d, s)
			var ae *addrError
			switch {
			case err != nil && !errors.As(err, &ae):
				t.Fatalf("%s: %q (numeric) refused by %T %v, want the grammar's reason", name, s, err, err)
			case err != nil && !strings.Contains(err.Error(), strconv.Quote(s)):
				t.Fatalf("%s: %q: error %q does not name the argument", name, s, err)
			case err == nil:
				checkResolved(t, name, s, p.addr)
			}
		}
	})
}

// checkResolved checks an address the grammar took: a port in range, an
// address of the family's version, never the unspecified one.
func checkResolved(t *testing.T, name, s string, a net.Addr) {
	t.Helper()
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		t.Fatalf("%s: %q resolved to %T", name, s, a)
	}
	ip, _ := netip.AddrFromSlice(ua.IP)
	if ua.Port < 1 || ua.Port > 65535 || ip.IsUnspecified() || (name == "udp4") != ip.Is4() {
		t.Fatalf("%s: %q resolved to %v", name, s, a)
	}
}

// TestLooksLikeAddrValidAddresses: every valid numeric address of the IP
// families looks like one, whatever its spelling.
func TestLooksLikeAddrValidAddresses(t *testing.T) {
	reg := registry()
	d4, _ := reg.Lookup("udp4")
	d6, _ := reg.Lookup("udp6")
	for _, s := range []string{"1.2.3.4:1", "255.255.255.255:65535", "10.0.0.1:08020", "[::]:1", "[2001:db8::1]:53", "[::ffff:1.2.3.4]:9"} {
		if !looksLikeAddr(d4, s) || !looksLikeAddr(d6, s) {
			t.Errorf("%q does not look like an address", s)
		}
	}
}
