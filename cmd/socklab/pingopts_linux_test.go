package main

// Tests of ping's header flags as a user runs them: -Q, -M and -F seen on
// the wire by tshark for both kinds of ICMP socket and the flood, the
// refusal of a request past the path MTU with -M do, and the fields set
// in the JSON start event and summary.

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// pingLab is a namespace where unprivileged (datagram) ICMP sockets are
// allowed to root too, so that both modes can be run; it skips as
// rawNetns does without root.
func pingLab(t *testing.T) *ipLab {
	t.Helper()
	l := newIPLab(t, "h")
	l.sh("h", "sysctl -qw net.ipv4.ping_group_range='0 0'")
	return l
}

// The requests carry what -Q, -M and -F ask for, on the wire, with a
// datagram and a raw socket, and in a flood (which sends with its own
// sendto on a raw socket).
func TestPingHeaderFieldsOnWire(t *testing.T) {
	v4 := []string{"ip.dsfield.dscp", "ip.dsfield.ecn", "ip.flags.df"}
	v6 := []string{"ipv6.tclass.dscp", "ipv6.tclass.ecn", "ipv6.flow"}
	for _, tc := range []struct {
		args   []string
		filter string
		fields []string
		wire   string
	}{
		{[]string{"icmp4", "ping", "-Q", "ef", "-M", "do"}, "icmp[icmptype] == icmp-echo", v4, "46\t0\t1"},
		{[]string{"icmp4", "ping", "--tos", "af41,ect0", "--df", "dont"}, "icmp[icmptype] == icmp-echo", v4, "34\t2\t0"},
		{[]string{"icmp6", "ping", "-Q", "ef", "-M", "do", "-F", "0x12345"}, "icmp6 and ip6[40] == 128", v6, "46\t0\t0x012345"},
		{[]string{"icmp6", "ping", "--tclass", "cs1,ce", "--flowlabel", "777"}, "icmp6 and ip6[40] == 128", v6, "8\t3\t0x000309"},
	} {
		for _, mode := range []string{"dgram", "raw", "flood"} {
			t.Run(strings.Join(tc.args, " ")+" "+mode, func(t *testing.T) {
				l := pingLab(t)
				cap := tshark(t, l.ns["h"], "lo", tc.filter, tc.fields...)
				args := append(append([]string{}, tc.args...), "-c", "1", "--mode", mode)
				if mode == "flood" {
					args[len(args)-1] = "raw"
					args = append(args, "-f")
				}
				host := "127.0.0.1"
				if tc.args[0] == "icmp6" {
					host = "::1"
				}
				mustSucceed(t, l.run("h", append(args, host)...), "ping")
				cap.waitLine(&cap.stdout, regexp.MustCompile("^"+regexp.QuoteMeta(tc.wire)+"$"))
			})
		}
	}
}

// With -M do, a request larger than the path MTU is refused by the
// kernel, and ping says so in one line with the MTU and the largest -s
// that fits; -M dont lets the kernel fragment it.
func TestPingDFPastPathMTU(t *testing.T) {
	for _, tc := range []struct{ fam, host, fit string }{{"icmp4", "127.0.0.1", "1252"}, {"icmp6", "::1", "1232"}} {
		for _, mode := range []string{"dgram", "raw"} {
			t.Run(tc.fam+" "+mode, func(t *testing.T) {
				l := pingLab(t)
				l.sh("h", "ip link set lo mtu 1280")
				r := l.run("h", tc.fam, "ping", "--mode", mode, "-q", "-c", "1", "-M", "do", "-s", "1300", tc.host)
				if r.code == 0 {
					t.Fatalf("want a failure\n%s", r)
				}
				want := "message too long (the path MTU the kernel holds for " + tc.host + " is 1280 bytes (IP_MTU), so at most " + tc.fit +
					" bytes of payload fit in a datagram with DF set: lower the datagram size (-s/--size) to at most " + tc.fit + ", or change the DF setting (-M/--df) to want or dont"
				if n := strings.Count(r.stderr, "message too long"); n != 1 || !strings.Contains(r.stderr, want) {
					t.Errorf("want the refusal told once, saying %q\n%s", want, r)
				}
				mustSucceed(t, l.run("h", tc.fam, "ping", "--mode", mode, "-q", "-c", "1", "-M", "dont", "-s", "1300", tc.host), "ping -M dont")
			})
		}
	}
}

// --json's start event and summary carry the fields set, and only those.
func TestPingJSONHeaderFields(t *testing.T) {
	l := pingLab(t)
	r := l.run("h", "icmp6", "ping", "--json", "-c", "1", "-Q", "ef", "-M", "do", "-F", "0x12345", "::1")
	mustSucceed(t, r, "ping --json")
	for _, re := range []string{`(?m)^\{"event":"start",.*"size":56,"tos":184,"df":"do","flowlabel":74565\}$`,
		`(?m)^\{"event":"summary",.*"id":\d+,"tos":184,"df":"do","flowlabel":74565\}$`} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("stdout does not match %s\n%s", re, r)
		}
	}
	r = l.run("h", "icmp4", "ping", "--json", "-c", "1", "-M", "want", "127.0.0.1")
	mustSucceed(t, r, "ping --json")
	if !regexp.MustCompile(`(?m)^\{"event":"start",.*"size":56,"df":"want"\}$`).MatchString(r.stdout) {
		t.Errorf("want only df in the start event\n%s", r)
	}
}

// A flow label is shared among socklab's sockets, so two pings with one
// -F run side by side; one that iputils ping holds for its socket alone
// (or released a moment ago: it lingers) is refused by the kernel
// (iputils says "can't set flowlabel: Operation not permitted"), and the
// refusal says why.
func TestPingFlowLabelHeld(t *testing.T) {
	l := pingLab(t)
	holder := start(t, runOpts{netns: l.ns["h"]}, "icmp6", "ping", "--mode", "dgram", "-F", "0x4321", "::1")
	holder.waitLine(&holder.stdout, regexp.MustCompile(`^64 bytes from ::1: icmp_seq=1 `))
	r := l.run("h", "icmp6", "ping", "--mode", "dgram", "-q", "-c", "1", "-F", "0x4321", "::1")
	mustSucceed(t, r, "a second ping with the flow label of a running one")
	if _, err := exec.LookPath("ping"); err != nil {
		t.Skip("no iputils ping here to hold a flow label for itself")
	}
	iputils := startCmd(t, exec.Command("ip", "netns", "exec", l.ns["h"], "ping", "-6", "-F", "0x4322", "::1"), []string{"iputils ping -F 0x4322"})
	iputils.waitLine(&iputils.stdout, regexp.MustCompile(`^64 bytes from ::1: icmp_seq=1 `))
	r = l.run("h", "icmp6", "ping", "--mode", "dgram", "-q", "-c", "1", "-F", "0x4322", "::1")
	checkOneLineError(t, r, "flow label 0x4322: another program holds it for its socket alone (as ping -F does), or did moments ago (the kernel keeps a released label 6 s or more): choose another label, or wait")
}
