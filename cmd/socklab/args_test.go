package main

import (
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

// TestInterspersed: flags move before the positional arguments of their
// command, with their values; the user's -- ends the flags; a passthrough
// argument takes the rest as it is.
func TestInterspersed(t *testing.T) {
	var c cli
	parser, err := kong.New(&c, kong.Name("socklab"), kong.Vars{"version": version, "messages": messagesHelp}, kong.Exit(func(int) {}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in, args   string
		beforeDash int
	}{
		{"udp4 send 127.0.0.1:9 --timeout 1s hi", "udp4 send --timeout 1s -- 127.0.0.1:9 hi", 2},
		{"udp4 send -x hi --timeout=1s", "udp4 send -x --timeout=1s -- hi", 1},
		{"udp4 send ADDR -- -hello --json", "udp4 send -- ADDR -hello --json", 1},
		{"udp4 send -- 127.0.0.1:9", "udp4 send -- 127.0.0.1:9", 0},
		{"udp4 bench -d5 ADDR -c 3", "udp4 bench -d5 -c 3 -- ADDR", 1},
		{"udp4 bench ADDR -qd 5", "udp4 bench -qd 5 -- ADDR", 1},
		{"socket --family inet --type dgram send hi", "socket --family inet --type dgram send -- hi", 1},
		{"unix send --path /tmp/s hi", "unix send --path /tmp/s -- hi", 1},
		{"lab exec client socklab udp4 send --timeout 1s x", "lab exec -- client socklab udp4 send --timeout 1s x", 7},
		{"lab exec --name n client -- sh -c true", "lab exec --name n -- client sh -c true", 1},
		{"udp4 send --nope hi", "udp4 send --nope -- hi", 1},
		{"udp4 send hi send", "udp4 send -- hi send", 2},
	} {
		a := interspersed(parser.Model, strings.Fields(tc.in))
		if got := strings.Join(a.args, " "); got != tc.args || a.beforeDash != tc.beforeDash {
			t.Errorf("%q: %q with %d before --, want %q with %d", tc.in, got, a.beforeDash, tc.args, tc.beforeDash)
		}
	}
}
