package main

// Tests of socklab lab: up, exec, status and down as a user runs them, and
// a lab whose builder is killed halfway.

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/socklab/socklab/lab"
	"github.com/socklab/socklab/lab/labtest"
)

// labUp runs socklab lab up with args under a name of its own, and lab
// down when the test ends.
func labUp(t *testing.T, cfg lab.Config, args ...string) string {
	t.Helper()
	labtest.Need(t, cfg)
	name := labtest.UniqueName()
	t.Cleanup(func() { socklab(t, "lab", "down", "--name", name) })
	r := socklab(t, append([]string{"lab", "up", "--name", name}, args...)...)
	mustSucceed(t, r, "lab up")
	return name
}

// TestLabExecAcrossRouter builds a three-host lab with socklab lab up,
// starts socklab's server in the server with lab exec and sends it a
// datagram from the client: it arrives from the client's address, on
// another subnet, so the router forwarded it.
func TestLabExecAcrossRouter(t *testing.T) {
	name := labUp(t, lab.Config{Hosts: 3}, "--hosts", "3")
	srv := startServer(t, "lab", "exec", "--name", name, "server", "--", "socklab", "udp4", "serve", "--bind", "198.51.100.20:8020")
	if srv.addr != "198.51.100.20:8020" {
		t.Fatalf("server listens on %s", srv.addr)
	}
	// Long enough for the seed's prefix: a server others can reach
	// answers a shorter one bare, so as not to amplify.
	msg := "a datagram across the router"
	r := socklab(t, "lab", "exec", "--name", name, "client", "--", "socklab", "udp4", "send", "198.51.100.20:8020", msg)
	mustSucceed(t, r, "send from the client")
	if got := responses(t, r); len(got) != 1 || !seedReply(msg).MatchString(got[0]) {
		t.Errorf("want the seed's reply to %q:\n%s", msg, r)
	}
	srv.waitLine(&srv.stdout, regexp.MustCompile(`^Got message from 192\.0\.2\.10:\d+$`))
	// The same over IPv6, through the router too.
	srv6 := startServer(t, "lab", "exec", "--name", name, "server", "--", "socklab", "udp6", "serve", "--bind", "[2001:db8:2::20]:8020")
	r = socklab(t, "lab", "exec", "--name", name, "client", "--", "socklab", "udp6", "send", "[2001:db8:2::20]:8020", "six")
	mustSucceed(t, r, "udp6 send from the client")
	srv6.waitLine(&srv6.stdout, regexp.MustCompile(`^Got message from \[2001:db8:1::10\]:\d+$`))
	// A command's exit status is lab exec's.
	r = socklab(t, "lab", "exec", "--name", name, "client", "--", "sh", "-c", "exit 7")
	if r.code != 7 {
		t.Errorf("lab exec of exit 7: got %s", r)
	}
	// Down stops the servers still running in the lab.
	r = socklab(t, "lab", "down", "--name", name)
	mustSucceed(t, r, "lab down")
	if !strings.Contains(r.stdout, "sent SIGTERM to 2 processes") {
		t.Errorf("down does not say it stopped the two servers:\n%s", r)
	}
	srv.wait()
	srv6.wait()
}

// TestLabJSON: up, status and down print NDJSON events with the lab's
// figures, each with "event" and "time".
func TestLabJSON(t *testing.T) {
	name := labUp(t, lab.Config{Loss: 5}, "--loss", "5%", "--mtu", "1400", "--json")
	r := socklab(t, "lab", "status", "--json")
	mustSucceed(t, r, "lab status --json")
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev struct {
			Event, Time string
			Lab         lab.Status
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Time == "" {
			t.Fatalf("not an event with a time: %q (%v)", line, err)
		}
		if ev.Event == "lab" && ev.Lab.Name == name {
			found = true
			if ev.Lab.Lab == nil || ev.Lab.Lab.Loss != 5 || ev.Lab.Lab.MTU != 1400 || len(ev.Lab.Netns) != 2 || ev.Lab.Problem != "" {
				t.Errorf("status of %s: %+v", name, ev.Lab)
			}
		}
	}
	if !found {
		t.Errorf("status --json does not list %s:\n%s", name, r)
	}
	r = socklab(t, "lab", "down", "--name", name, "--json")
	var ev struct {
		Event string
		Lab   lab.Removed
	}
	if err := json.Unmarshal([]byte(r.stdout), &ev); err != nil || ev.Event != "removed" || len(ev.Lab.Netns) != 2 || !ev.Lab.State {
		t.Errorf("down --json: %+v (%v)\n%s", ev, err, r)
	}
}

// TestLabKilledUp kills socklab lab up halfway: status shows the lab as
// left half-built by a PID that has ended, and the next down removes it.
func TestLabKilledUp(t *testing.T) {
	labtest.Need(t, lab.Config{})
	name := labtest.UniqueName()
	t.Cleanup(func() { socklab(t, "lab", "down", "--name", name) })
	p := start(t, runOpts{}, "lab", "up", "--hosts", "3", "--name", name, "-v")
	p.waitLine(&p.stderr, regexp.MustCompile(`^\+ ip link add name eth0 netns `))
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	r := socklab(t, "lab", "status")
	want := regexp.MustCompile(`lab ` + name + `: left half-built by pid \d+, which has ended; namespaces: .*socklab-` + name + `-client.*; socklab lab down --name ` + name + ` removes it`)
	if !want.MatchString(r.stdout) {
		t.Errorf("status does not show the half-built lab as %q:\n%s", want, r)
	}
	r = socklab(t, "lab", "down", "--name", name)
	mustSucceed(t, r, "lab down")
	if !strings.Contains(r.stdout, "lab "+name+" was incomplete: left half-built") || !strings.Contains(r.stdout, "lab "+name+" removed: namespaces socklab-"+name+"-client") {
		t.Errorf("down output:\n%s", r)
	}
	for _, role := range []string{"client", "router", "server"} {
		if _, err := os.Stat(lab.NetnsDir + "/" + lab.NetnsName(name, role)); err == nil {
			t.Errorf("namespace %s left", lab.NetnsName(name, role))
		}
	}
	if r := socklab(t, "lab", "status"); strings.Contains(r.stdout, name) {
		t.Errorf("status still shows %s:\n%s", name, r)
	}
}

// TestLabBadInput: every refusal is one line naming the flag and the fix.
func TestLabBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"lab", "up", "--loss", "ten"}, []string{"--loss", "e.g. 10%"}},
		{[]string{"lab", "up", "--loss", "120%"}, []string{"--loss", "0% to 100%"}},
		{[]string{"lab", "up", "--rate", "10mb"}, []string{"--rate", "e.g. 10mbit"}},
		{[]string{"lab", "up", "--mtu", "576"}, []string{"--mtu 576", "1280"}},
		{[]string{"lab", "up", "--name", "a/b"}, []string{"--name", "letters, digits"}},
		{[]string{"lab", "up", "--hosts", "4"}, []string{"--hosts"}},
		{[]string{"lab", "exec", "--name", "nosuchlab", "client", "--", "true"}, []string{"lab nosuchlab has no host client", "socklab lab up --name nosuchlab"}},
		{[]string{"lab", "exec", "client"}, []string{"needs a command after --"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			checkOneLineError(t, socklab(t, tc.args...), tc.want...)
		})
	}
	t.Run("exists", func(t *testing.T) {
		name := labUp(t, lab.Config{})
		checkOneLineError(t, socklab(t, "lab", "up", "--name", name), "lab "+name+" is already here", "socklab lab down --name "+name+" removes it")
	})
}
