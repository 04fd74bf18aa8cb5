package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// asSystemd passes files to socklab as systemd does: the first as
// descriptor 3, LISTEN_FDS counting them, and LISTEN_PID set to socklab's
// own PID by a shell that then execs it.
func asSystemd(files []*os.File, env ...string) runOpts {
	return runOpts{
		files: files,
		env:   append([]string{"LISTEN_FDS=" + strconv.Itoa(len(files))}, env...),
		wrap:  []string{"sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`},
	}
}

func TestServeSystemdActivation(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	cases := []struct {
		name, network, addr, family string
	}{
		{"udp6", "udp6", "[::1]:0", "udp6"},
		{"udp4", "udp4", "127.0.0.1:0", "udp4"},
		{"unix", "unixgram", filepath.Join(dir, "echo.sock"), "unix"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.network == "udp6" {
				needIPv6(t)
			}
			conn, err := net.ListenPacket(c.network, c.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			addr := conn.LocalAddr().String()
			o := asSystemd([]*os.File{fileOf(t, conn.(interface{ File() (*os.File, error) }))}, "LISTEN_FDNAMES=echo")
			s := startServerWith(t, o, c.family, "serve", "--reply", "echo")
			s.waitLine(&s.stderr, regexp.MustCompile(`^socklab: serving 1 socket\(s\) passed by systemd \(LISTEN_FDS\): echo `+regexp.QuoteMeta(addr)+`$`))
			if s.addr != addr || !regexp.MustCompile(` fd 3$`).MatchString(s.socket) {
				t.Errorf("listening on %s as %s, want %s, the passed socket, fd 3", s.addr, s.socket, addr)
			}
			args := []string{c.family, "send", addr, "activated"}
			if c.family == "unix" {
				args = []string{"unix", "send", "--path", addr, "activated"}
			}
			r := socklab(t, args...)
			if mustSucceed(t, r, "send to the activated server"); r.stdout != "Response: activated\n" {
				t.Errorf("the activated server answered %q", r.stdout)
			}
			s.stopServer(syscall.SIGTERM)
			if c.family == "unix" {
				if _, err := os.Stat(addr); err != nil {
					t.Errorf("socklab removed the socket file systemd made: %v", err)
				}
			}
		})
	}
}

func TestServeSystemdRequire(t *testing.T) {
	t.Parallel()
	r := socklab(t, "udp4", "serve", "--systemd", "require")
	checkOneLineError(t, r, "--systemd require: systemd passed no sockets", "no LISTEN_PID")
	// LISTEN_PID names another process: the sockets are not ours.
	r = socklabWith(t, runOpts{env: []string{"LISTEN_PID=1", "LISTEN_FDS=1"}}, "udp4", "serve", "--systemd", "require")
	checkOneLineError(t, r, "LISTEN_PID=1 names another process")

	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := fileOf(t, conn.(interface{ File() (*os.File, error) }))
	r = socklabWith(t, asSystemd([]*os.File{f}), "udp4", "serve", "--systemd", "require", "--bind", "127.0.0.1:0")
	checkOneLineError(t, r, "--systemd require and an address (127.0.0.1:0)", "already bound")
	r = socklabWith(t, asSystemd([]*os.File{f}), "udp6", "serve")
	checkOneLineError(t, r, "socket passed by systemd (fd 3)", "not a udp6 socket")
}

// TestServeSystemdSocketActivate runs socklab under systemd-socket-activate,
// which binds the socket, waits for the first datagram and execs socklab
// with it, as systemd does with a .socket unit.
func TestServeSystemdSocketActivate(t *testing.T) {
	t.Parallel()
	tool, err := exec.LookPath("systemd-socket-activate")
	if err != nil {
		t.Skip("systemd-socket-activate is not installed (Debian: systemd)")
	}
	addr := "127.0.0.1:" + strconv.Itoa(freeUDPPort(t, "udp4", "127.0.0.1"))
	p := startCmd(t, exec.Command(tool, "--datagram", "-l", addr, bin, "udp4", "serve", "--reply", "echo"), []string{"systemd-socket-activate", addr})
	p.waitLine(&p.stderr, regexp.MustCompile(`^Listening on `+regexp.QuoteMeta(addr)+` as 3\.$`))
	r := socklab(t, "udp4", "send", addr, "first datagram starts socklab")
	if mustSucceed(t, r, "send through systemd-socket-activate"); r.stdout != "Response: first datagram starts socklab\n" {
		t.Errorf("reply %q", r.stdout)
	}
	p.waitLine(&p.stderr, regexp.MustCompile(`^socklab: serving 1 socket\(s\) passed by systemd \(LISTEN_FDS\): fd 3 `+regexp.QuoteMeta(addr)+`$`))
	if code := p.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("socklab under systemd-socket-activate exited %d on SIGTERM\n%s", code, p)
	}
}

// TestSystemdExampleUnits checks examples/systemd's units with
// systemd-analyze verify, their ExecStart pointed at the binary under test.
func TestSystemdExampleUnits(t *testing.T) {
	t.Parallel()
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian: systemd)")
	}
	units, _ := filepath.Glob("../../examples/systemd/socklab-*.*")
	if len(units) != 4 {
		t.Fatalf("examples/systemd holds %v, want a .socket and a .service for udp6 and for unix", units)
	}
	dir := t.TempDir()
	var args []string
	for _, u := range units {
		b, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if cmd, ok := strings.CutPrefix(l, "ExecStart=/usr/local/bin/socklab "); ok {
				// Its flags parse, and without systemd's sockets it
				// refuses to start rather than bind its own.
				checkOneLineError(t, socklab(t, strings.Fields(cmd)...), "--systemd require: systemd passed no sockets")
			}
		}
		b = []byte(strings.ReplaceAll(string(b), "/usr/local/bin/socklab", bin))
		p := filepath.Join(dir, filepath.Base(u))
		os.WriteFile(p, b, 0o644)
		args = append(args, p)
	}
	out, err := exec.Command(tool, append([]string{"verify"}, args...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
