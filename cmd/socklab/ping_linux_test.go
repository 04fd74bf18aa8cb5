package main

// End-to-end tests of icmp4 ping's rules and output against iputils ping:
// -c 0, the unprivileged interval, the order of --json events, and the
// flood's bytes. The raw ones run in a network namespace of their own.

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPingCountZeroRefused: iputils refuses -c 0 (and so never pings
// forever when asked for no echo); so does socklab, with iputils' words
// and a usage error's exit status. -w 2 bounds the run if it pings.
func TestPingCountZeroRefused(t *testing.T) {
	for _, c := range []string{"0", "x"} {
		r := socklab(t, "icmp4", "ping", "-c", c, "-w", "2", "127.0.0.1")
		want := "socklab: --count: invalid argument: '" + c + "': out of range: 1 <= value <= 9223372036854775807\n"
		if r.code != 2 || r.stderr != want || r.stdout != "" {
			t.Errorf("ping -c %s: want exit 2 and exactly %q\n%s", c, want, r)
		}
	}
}

// TestPingIntervalAsIputils: iputils 20221126 lets a user without
// privilege send every 2 ms or slower, and flood only with such an
// interval; below 2 ms, or -f alone, needs CAP_NET_RAW. Run with
// CAP_NET_RAW dropped, on the unprivileged ICMP socket.
func TestPingIntervalAsIputils(t *testing.T) {
	needRaw(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux) to drop CAP_NET_RAW")
	}
	ns := rawNetns(t, "ival")
	rawSh(t, ns, "sysctl -qw net.ipv4.ping_group_range='0 2147483647'")
	user := runOpts{netns: ns, wrap: []string{"setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"}}
	for _, tc := range []struct {
		args []string
		ok   bool
		want string // in stderr when refused
	}{
		{[]string{"-c", "3", "-i", "0.1"}, true, ""},
		{[]string{"-c", "3", "-i", "0.002"}, true, ""},
		{[]string{"-c", "3", "-f", "-i", "0.002"}, true, ""},
		{[]string{"-c", "1", "-i", "0.001"}, false, "an interval of 1ms (below 2ms) needs CAP_NET_RAW, as with ping"},
		{[]string{"-c", "1", "-f"}, false, "flooding without an interval needs CAP_NET_RAW, as with ping"},
	} {
		r := socklabWith(t, user, append(append([]string{"icmp4", "ping", "-q"}, tc.args...), "127.0.0.1")...)
		switch {
		case tc.ok && (r.code != 0 || !strings.Contains(r.stdout, "3 packets transmitted, 3 received")):
			t.Errorf("ping %v without CAP_NET_RAW: want 3 echoes, as iputils allows\n%s", tc.args, r)
		case !tc.ok && (r.code == 0 || !strings.Contains(r.stderr, tc.want)):
			t.Errorf("ping %v without CAP_NET_RAW: want refused with %q\n%s", tc.args, tc.want, r)
		}
	}
}

// TestPingJSONSentBeforeReply: every echo's sent event comes before its
// reply event, and event times are RFC 3339 with nanoseconds, in order. A
// flood of 2000 makes the race that printed replies first (2 runs in 4
// with -c 3) certain to show.
func TestPingJSONSentBeforeReply(t *testing.T) {
	ns := rawNetns(t, "order")
	r := socklabWith(t, runOpts{netns: ns}, "icmp4", "ping", "--json", "-f", "-c", "2000", "127.0.0.1")
	mustSucceed(t, r, "ping --json -f")
	sent := map[int]bool{}
	var last time.Time
	replies := 0
	for i, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var e struct {
			Event string `json:"event"`
			Seq   int    `json:"icmp_seq"`
			Time  string `json:"time"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("line %d is not JSON: %v: %s", i+1, err, line)
		}
		if e.Event == "summary" {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, e.Time)
		if err != nil || at.Before(last) {
			t.Fatalf("line %d: time %q is not RFC 3339, or before the last event's %v", i+1, e.Time, last)
		}
		last = at
		switch e.Event {
		case "sent":
			sent[e.Seq] = true
		case "reply":
			replies++
			if !sent[e.Seq] {
				t.Fatalf("line %d: the reply to icmp_seq %d before its sent event", i+1, e.Seq)
			}
		}
	}
	if len(sent) != 2000 || replies != 2000 {
		t.Errorf("%d sent, %d replies, want 2000 of each", len(sent), replies)
	}
}

var floodOut = regexp.MustCompile(`^PING 127\.0\.0\.1 \(127\.0\.0\.1\) 56\(84\) bytes of data\.\n((?:\.\x08 \x08)*)\n--- 127\.0\.0\.1 ping statistics ---\n(\d+) packets transmitted, (\d+) received, 0% packet loss, time \d+ms\nrtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms`)

// TestPingFloodBytesAsIputils: a flood prints what iputils ping -f prints,
// byte for byte but for the times: a dot per request, erased by each
// reply. iputils adds ", ipg/ewma ..." to its rtt line.
func TestPingFloodBytesAsIputils(t *testing.T) {
	ns := rawNetns(t, "flood")
	r := socklabWith(t, runOpts{netns: ns}, "icmp4", "ping", "-f", "-c", "500", "127.0.0.1")
	mustSucceed(t, r, "ping -f")
	m := floodOut.FindStringSubmatch(r.stdout)
	if m == nil || len(m[1]) != 500*4 || m[2] != "500" || m[3] != "500" {
		t.Fatalf("socklab ping -f -c 500: not iputils' bytes\n%q", r.stdout)
	}
	if _, err := exec.LookPath("ping"); err != nil {
		return
	}
	out, err := exec.Command("ip", "netns", "exec", ns, "ping", "-f", "-c", "500", "127.0.0.1").Output()
	if err != nil {
		t.Skipf("iputils ping -f: %v", err)
	}
	if im := floodOut.FindStringSubmatch(string(out)); im == nil || im[1] != m[1] {
		t.Errorf("iputils ping -f -c 500 printed other bytes than socklab:\n%q\nsocklab:\n%q", out, r.stdout)
	}
}
