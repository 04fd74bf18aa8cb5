package echo_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/socklab/socklab/echo"
)

// Fuzz targets for the command line values the echo package parses:
// --reply and bench's --mode. What they accept reads back from its name;
// what they refuse gets one line that quotes the value and lists the valid
// ones.

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"seed", "ctime", "", "echo", "sockperf", "Echo", "seed ", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := echo.ParseReply(s)
		if err != nil {
			checkRefusal(t, err, s, "valid are seed")
			return
		}
		if back, err := echo.ParseReply(r.String()); err != nil || back != r {
			t.Fatalf("ParseReply(%q) = %v, which reads back as %v, %v", s, r, back, err)
		}
	})
}

func FuzzParseBenchMode(f *testing.F) {
	for _, s := range []string{"throughput", "tp", "", "pingpong", "ping-pong", "pp", "latency", "PingPong", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := echo.ParseBenchMode(s)
		if err != nil {
			checkRefusal(t, err, s, "valid are pingpong")
			return
		}
		if back, err := echo.ParseBenchMode(m.String()); err != nil || back != m {
			t.Fatalf("ParseBenchMode(%q) = %v, which reads back as %v, %v", s, m, back, err)
		}
	})
}

// checkRefusal checks err, the refusal of s: one line that quotes s and
// says which values are valid.
func checkRefusal(t *testing.T, err error, s, valid string) {
	t.Helper()
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, strconv.Quote(s)) || !strings.Contains(msg, valid) {
		t.Fatalf("refusal of %q: %q", s, msg)
	}
}
