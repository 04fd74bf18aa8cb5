package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// pmtuLab is client - router - server, whose inner link (router to
// server) has an MTU of 1400 where the outer has 1500, over IPv4 and IPv6.
func pmtuLab(t *testing.T) *ipLab {
	l := newIPLab(t, "c", "rt", "s")
	l.link("c", "c0", "rt", "r0")
	l.link("rt", "r1", "s", "s0")
	l.sh("rt", "ip link set r1 mtu 1400")
	l.sh("s", "ip link set s0 mtu 1400")
	l.sh("c", "ip addr add 10.79.1.1/24 dev c0 && ip route add default via 10.79.1.2 && ip addr add fd00:79:1::1/64 dev c0 nodad && ip -6 route add default via fd00:79:1::2")
	l.sh("rt", "ip addr add 10.79.1.2/24 dev r0 && ip addr add 10.79.2.1/24 dev r1 && ip addr add fd00:79:1::2/64 dev r0 nodad && ip addr add fd00:79:2::1/64 dev r1 nodad && sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1")
	l.sh("s", "ip addr add 10.79.2.2/24 dev s0 && ip route add default via 10.79.2.1 && ip addr add fd00:79:2::2/64 dev s0 nodad && ip -6 route add default via fd00:79:2::1")
	return l
}

// pmtu finds the inner link's MTU the way tracepath does, and a send with
// DF past it then fails with the path MTU the kernel learned and the fix.
func TestPathMTUAcrossRouter(t *testing.T) {
	for _, tc := range []struct{ fam, dest, router, payload string }{
		{"udp4", "10.79.2.2", "10.79.1.2", "1372"},
		{"udp6", "fd00:79:2::2", "fd00:79:1::2", "1352"},
	} {
		t.Run(tc.fam, func(t *testing.T) {
			l := pmtuLab(t)
			r := l.run("c", tc.fam, "pmtu", tc.dest)
			mustSucceed(t, r, "pmtu")
			want := "pmtu to " + bracket(tc.dest) + ":33434, route MTU 1500\n" +
				"   1500 bytes: too big, said " + tc.router + ": mtu 1400\n" +
				"   1400 bytes: reached " + tc.dest + "\n" +
				"pmtu 1400 (payload " + tc.payload + " bytes)\n"
			if r.stdout != want {
				t.Errorf("want\n%s\ngot\n%s", want, r)
			}
			big := strings.Repeat("x", 1400)
			r = l.run("c", tc.fam, "send", "--df", "do", bracket(tc.dest)+":8020", big)
			checkOneLineError(t, r, "message too long (the path MTU the kernel holds for "+tc.dest+" is 1400 bytes (IP_MTU), so at most "+tc.payload+" bytes of payload fit in a datagram with DF set")

			r = l.run("c", tc.fam, "pmtu", "--json", tc.dest)
			mustSucceed(t, r, "pmtu --json")
			var got struct {
				Event    string `json:"event"`
				RouteMTU int    `json:"route_mtu"`
				PMTU     int    `json:"pmtu"`
				Reached  bool   `json:"reached"`
				Steps    []struct {
					Size    int    `json:"size"`
					Outcome string `json:"outcome"`
				} `json:"steps"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Event != "pmtu" || got.PMTU != 1400 || !got.Reached {
				t.Errorf("pmtu --json: %v\n%s", err, r)
			}
			// The kernel now holds 1400 for the destination: the probe
			// starts there.
			if got.RouteMTU != 1400 || len(got.Steps) != 1 || got.Steps[0].Outcome != "reached" {
				t.Errorf("second pmtu: want one probe of 1400 that reached: %+v", got)
			}
		})
	}
}

func bracket(ip string) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]"
	}
	return ip
}
