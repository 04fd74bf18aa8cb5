package main

// Fuzz targets for the command line's own parsers: --mode (parseMode) and
// bench's durations (benchSeconds). Their seed corpora are in
// testdata/fuzz/FuzzParseMode and testdata/fuzz/FuzzBenchSeconds; go test
// runs them, and `go test -run XXX -fuzz FuzzParseMode ./cmd/socklab`
// looks for more.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseMode checks parseMode against its help: --mode takes octal
// permission bits from 1 to 0777 (no sign, prefix or other digit), "" is no
// mode, what it accepts formats back to itself, and a refusal names the
// value and what it wants.
func FuzzParseMode(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMode(s)
		want, valid := octalMode(s)
		if valid != (err == nil) || err == nil && uint32(m) != want {
			t.Fatalf("parseMode(%q) = %#o, %v; want %#o, valid %v", s, m, err, want, valid)
		}
		if err != nil {
			if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("--mode %q", s)) || !strings.Contains(msg, "octal") {
				t.Errorf("parseMode(%q): error %q does not name the value and say octal", s, msg)
			}
			return
		}
		if s != "" {
			if back, err := parseMode(fmt.Sprintf("%o", m)); err != nil || back != m {
				t.Errorf("parseMode(%q) = %#o, which formats to %o, read back as %#o, %v", s, m, m, back, err)
			}
		}
	})
}

// octalMode is the rule of --mode's help, apart from parseMode: "" is no
// mode; otherwise only octal digits, worth 1 to 0777.
func octalMode(s string) (uint32, bool) {
	if s == "" {
		return 0, true
	}
	var v uint32
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		if v = v*8 + uint32(c-'0'); v > 0o777 {
			return 0, false
		}
	}
	return v, v > 0
}

// FuzzBenchSeconds checks bench's duration flags: a value read as plain
// seconds is that many seconds (or refused when no duration holds it),
// anything read formats back to the same duration, and a refusal names the
// value.
func FuzzBenchSeconds(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		var d benchSeconds
		err := d.UnmarshalText([]byte(s))
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Errorf("%q: error %q does not name the value", s, err)
			}
			return
		}
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil {
			// Plain seconds: the duration is f seconds, to the
			// nanosecond float64 rounds it to; none when it is not a
			// number or past ±292 years.
			ns := f * float64(time.Second)
			if math.IsNaN(ns) || ns >= math.MaxInt64 || ns < math.MinInt64 {
				t.Fatalf("%q read as %v: it is %v seconds, which no duration holds; want an error", s, time.Duration(d), f)
			}
			if time.Duration(d) != time.Duration(ns) {
				t.Fatalf("%q read as %v, want %v", s, time.Duration(d), time.Duration(ns))
			}
		}
		var back benchSeconds
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Errorf("%q read as %v, which formats to %q, read back as %v, %v", s, time.Duration(d), d.String(), time.Duration(back), err)
		}
	})
}
