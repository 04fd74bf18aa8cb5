package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/socklab/socklab/lab"
)

// pmtu finds the MTU of a three-host lab's inner link (router to server,
// 1400 where the client's link has 1500) the way tracepath does, and a
// send with DF past it then fails with the path MTU the kernel learned and
// the fix.
func TestPathMTUAcrossRouter(t *testing.T) {
	for _, tc := range []struct {
		fam     string
		v       int
		payload string
	}{{"udp4", 4, "1372"}, {"udp6", 6, "1352"}} {
		t.Run(tc.fam, func(t *testing.T) {
			lb, l := newLab(t, lab.Config{Hosts: 3, MTU: 1400})
			dest, router := addr(t, lb, "server", tc.v), addr(t, lb, "router", tc.v)
			r := l.run("client", tc.fam, "pmtu", dest)
			mustSucceed(t, r, "pmtu")
			want := "pmtu to " + bracket(dest) + ":33434, route MTU 1500\n" +
				"   1500 bytes: too big, said " + router + ": mtu 1400\n" +
				"   1400 bytes: reached " + dest + "\n" +
				"pmtu 1400 (payload " + tc.payload + " bytes)\n"
			if r.stdout != want {
				t.Errorf("want\n%s\ngot\n%s", want, r)
			}
			big := strings.Repeat("x", 1400)
			r = l.run("client", tc.fam, "send", "--df", "do", bracket(dest)+":8020", big)
			checkOneLineError(t, r, "message too long (the path MTU the kernel holds for "+dest+" is 1400 bytes (IP_MTU), so at most "+tc.payload+" bytes of payload fit in a datagram with DF set")

			r = l.run("client", tc.fam, "pmtu", "--json", dest)
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
