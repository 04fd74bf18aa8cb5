package lab

import (
	"strings"
	"testing"
)

func TestParseLoss(t *testing.T) {
	for in, want := range map[string]float64{"10%": 10, "0.5%": 0.5, "10": 10, "0%": 0, "100%": 100, "12.345%": 12.35} {
		if got, err := ParseLoss(in); err != nil || got != want {
			t.Errorf("ParseLoss(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "%", "-1%", "101%", "ten", "NaN%", "10%%"} {
		if _, err := ParseLoss(in); err == nil || !strings.Contains(err.Error(), "e.g. 10%") {
			t.Errorf("ParseLoss(%q): want an error showing the form, got %v", in, err)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]uint64{"10mbit": 10e6, "1.5gbit": 1.5e9, "512kbit": 512e3, "64000bit": 64000, "10MBIT": 10e6} {
		got, err := ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseRate(FormatRate(got)); err != nil || back != got {
			t.Errorf("FormatRate(%d) = %q reads back as %d, %v", got, FormatRate(got), back, err)
		}
	}
	for _, in := range []string{"", "10", "10mb", "mbit", "-1mbit", "0kbit", "10 mbit/s", "2000gbit"} {
		if _, err := ParseRate(in); err == nil || !strings.Contains(err.Error(), "e.g. 10mbit") {
			t.Errorf("ParseRate(%q): want an error showing the form, got %v", in, err)
		}
	}
}

func TestCheck(t *testing.T) {
	c, err := Config{}.Check()
	if err != nil || c.Name != DefaultName || c.Hosts != 2 {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	for _, bad := range []Config{{Hosts: 4}, {Hosts: 1}, {Loss: 101}, {Loss: -1}, {MTU: 1279}, {MTU: 65536}, {Rate: 1000}, {Name: "-x"}, {Name: "a/b"}, {Name: strings.Repeat("x", 33)}} {
		if _, err := bad.Check(); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

func TestNetnsNames(t *testing.T) {
	for _, name := range []string{"lab", "a-b", "t123abc", "x_1"} {
		for _, role := range []string{Client, Router, Server} {
			n, r, ok := parseNetns(NetnsName(name, role))
			if !ok || n != name || r != role {
				t.Errorf("parseNetns(NetnsName(%q, %q)) = %q, %q, %v", name, role, n, r, ok)
			}
		}
	}
	// Other tests' namespaces are not labs.
	for _, ns := range []string{"socklab-lo-123-abcd", "socklab-bench-1-ff", "other-lab-client", "socklab--client", "socklab-client"} {
		if n, r, ok := parseNetns(ns); ok {
			t.Errorf("parseNetns(%q) = %q, %q: want not a lab's", ns, n, r)
		}
	}
}

// The plan makes each veth end inside its namespace (nothing of the lab
// is ever in this one), puts loss, rate and MTU on the link to the server
// only, and gives a router forwarding and the hosts routes through it.
func TestPlan(t *testing.T) {
	l := newLab(Config{Name: "x", Hosts: 3, Loss: 12.5, Rate: 10e6, MTU: 1400})
	var all []string
	for _, s := range plan(l) {
		all = append(all, s.String())
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{
		"ip link add name eth0 netns socklab-x-client type veth peer name eth0 netns socklab-x-router",
		"ip link add name eth1 netns socklab-x-router type veth peer name eth0 netns socklab-x-server",
		"ip -n socklab-x-client addr add 192.0.2.10/24 dev eth0",
		"ip -n socklab-x-server addr add 2001:db8:2::20/64 dev eth0",
		"ip -n socklab-x-client route add default via 192.0.2.1",
		"ip -n socklab-x-server route add default via 2001:db8:2::1",
		"ip netns exec socklab-x-router sysctl -qw net.ipv4.ip_forward=1",
		"ip -n socklab-x-router link set eth1 mtu 1400",
		"ip -n socklab-x-server link set eth0 mtu 1400",
		"tc -n socklab-x-router qdisc add dev eth1 root tbf rate 10mbit",
		"numgen random mod 10000 < 1250 counter drop",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	for _, s := range plan(l) {
		if strings.Contains(s.String(), "socklab-x-client") && (strings.Contains(s.String(), "mtu") || strings.Contains(s.String(), "tbf") || strings.Contains(s.String(), "nft")) {
			t.Errorf("the client's link is not the inner one: %s", s)
		}
	}
	if h, _ := l.Host(Server); h.Addr(4).String() != "198.51.100.20" || h.Addr(6).String() != "2001:db8:2::20" {
		t.Errorf("server addresses %v %v", h.Addr(4), h.Addr(6))
	}
	if _, err := l.Host("nobody"); err == nil || !strings.Contains(err.Error(), "[client router server]") {
		t.Errorf("Host(nobody): %v", err)
	}
}
