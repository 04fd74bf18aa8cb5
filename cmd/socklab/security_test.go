package main

// Safe to leave running (issue 9), the command line's part, end to end:
// who is answered (--allow, --deny, --allow-uid, --allow-gid,
// --rate-limit, the guard's drops), what is printed (escaped names, unix
// credentials, the summary), the warning of a server others can reach, and
// every dirty exit cleaning up.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
)

// cliNetns makes a network namespace with its loopback up for the test,
// and deletes it at the end; it skips when that is not possible (not root).
func cliNetns(t *testing.T, tag string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to make a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2) to make a network namespace")
	}
	var r [4]byte
	rand.Read(r[:])
	name := fmt.Sprintf("slcli-%s-%d-%s", tag, os.Getpid(), hex.EncodeToString(r[:]))
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Skipf("cannot make a network namespace: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	nsRun(t, name, "ip link set lo up")
	return name
}

// nsRun runs a shell script in namespace ns, failing the test on error.
func nsRun(t *testing.T, ns, script string) {
	t.Helper()
	if out, err := exec.Command("ip", "netns", "exec", ns, "sh", "-ec", script).CombinedOutput(); err != nil {
		t.Fatalf("in %s: %s: %v\n%s", ns, script, err, out)
	}
}

// TestAllowDeny: --allow and --deny answer and drop exactly as configured,
// and the summary counts the drops by reason.
func TestAllowDeny(t *testing.T) {
	t.Parallel()
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo",
		"--allow", "127.0.0.0/30", "--deny", "127.0.0.3")
	for _, c := range []struct {
		from     string
		answered bool
	}{{"127.0.0.1", true}, {"127.0.0.2", true}, {"127.0.0.3", false}, {"127.0.0.5", false}} {
		r := socklab(t, "udp4", "send", "--timeout", "300ms", "--bind", c.from+":0", s.addr, "from "+c.from)
		if got := r.code == 0 && r.stdout == "Response: from "+c.from+"\n"; got != c.answered {
			t.Errorf("from %s: answered %v, want %v\n%s", c.from, got, c.answered, r)
		}
	}
	s.countLines(&s.stderr, regexp.MustCompile(`^socklab: dropped a datagram from 127\.0\.0\.[35]:\d+: its source is not allowed`), 1)
	s.stopServer(os.Interrupt)
	if !strings.Contains(s.stdout.String(), "\ndropped: 2 datagrams not answered: 0 self, 0 service port, 0 broadcast, 0 loop, 2 denied, 0 rate limited") {
		t.Errorf("the summary does not count 2 denied\n%s", s)
	}
	// unix senders have no IP source to filter: unix serve has no
	// --allow, and socket serve refuses it for unix.
	r := socklab(t, "socket", "--family", "unix", "--type", "dgram", "serve", "--allow", "127.0.0.1")
	checkOneLineError(t, r, "--allow and --deny filter IP sources")
}

// TestRateLimit: past its burst a source is dropped, and counted.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := start(t, runOpts{}, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "--rate-limit", "0.01/s:2", "--json")
	addr := s.waitLine(&s.stdout, regexp.MustCompile(`"addr":"([^"]+)"`))[1]
	r := socklab(t, "udp4", "send", "--timeout", "200ms", addr, "1", "2", "3", "4")
	if r.stdout != "Response: 1\nResponse: 2\n" || r.code != exitFailure || !strings.Contains(r.stderr, "2 of 4 messages failed") {
		t.Errorf("want the burst of 2 answered, 2 dropped\n%s", r)
	}
	s.countLines(&s.stdout, regexp.MustCompile(`"event":"dropped"`), 1)
	if code := s.stop(os.Interrupt); code != 0 {
		t.Fatalf("exit %d\n%s", code, s)
	}
	evs := decodeNDJSON(t, s.stdout.String()+"\n")
	sum := evs[len(evs)-1]
	checkFields(t, sum, map[string]any{"event": "summary", "datagrams": 4, "dropped_total": 2, "peers_capped": false, "queue_full": 0})
	if d, _ := sum["dropped"].(map[string]any); d["rate_limited"] != 2.0 {
		t.Errorf("summary dropped %v, want 2 rate_limited", sum["dropped"])
	}
	for _, ev := range evs {
		if ev["event"] == "dropped" && (ev["reason"] != "rate_limited" || ev["suppressed"] == nil) {
			t.Errorf("dropped event %v: want reason rate_limited and a suppressed count", ev)
		}
	}
}

// TestServicePortDropped: a datagram from a port below 1024 (a well-known
// service: a forged source, or another echo server) is never answered.
func TestServicePortDropped(t *testing.T) {
	t.Parallel()
	needRoot(t, "send from a port below 1024")
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	r := socklab(t, "udp4", "send", "--timeout", "300ms", "--bind", "127.0.0.1:7", s.addr, "echo?")
	if r.code == 0 {
		t.Skipf("port 7 of 127.0.0.1 is taken here, or answered: %s", r)
	}
	s.waitLine(&s.stderr, regexp.MustCompile(`^socklab: dropped a datagram from 127\.0\.0\.1:7: its source port is 0 or below 1024`))
	s.stopServer(os.Interrupt)
	if !strings.Contains(s.stdout.String(), "1 service port") {
		t.Errorf("summary does not count the drop\n%s", s)
	}
}

// TestAllowUID: unix serve answers only the users and groups it is told,
// by the credentials the kernel attaches (SO_PASSCRED), names and numbers.
func TestAllowUID(t *testing.T) {
	t.Parallel()
	needRoot(t, "send as another user")
	dir := shortTempDir(t)
	for _, flags := range [][]string{{"--allow-uid", "nobody"}, {"--allow-uid", "65534", "--allow-gid", "65534"}, {"--allow-gid", "65534", "-q"}} {
		path := filepath.Join(dir, "u.sock")
		s := startServer(t, append([]string{"unix", "serve", "--bind", path, "--mode", "0666", "--reply", "echo"}, flags...)...)
		asNobody := socklabWith(t, runOpts{nobody: true}, "unix", "send", "--timeout", "500ms", path, "nobody")
		asRoot := socklab(t, "unix", "send", "--timeout", "300ms", path, "root")
		if asNobody.stdout != "Response: nobody\n" || asRoot.code == 0 {
			t.Errorf("%v: want nobody answered and root not\nnobody: %s\nroot: %s", flags, asNobody, asRoot)
		}
		s.stopServer(os.Interrupt)
		if !strings.Contains(s.stdout.String(), "1 denied") {
			t.Errorf("%v: summary does not count root's datagram denied\n%s", flags, s)
		}
	}
	r := socklab(t, "socket", "--family", "inet", "--type", "dgram", "serve", "--allow-uid", "0")
	checkOneLineError(t, r, "--allow-uid and --allow-gid filter unix senders")
	r = socklab(t, "unix", "serve", "--allow-uid", "no-such-user-here")
	checkOneLineError(t, r, `--allow-uid no-such-user-here: no such name`)
}

// TestUnixCredentialsShown: -v names each unix sender by pid, uid and gid,
// and --json has them in each datagram event.
func TestUnixCredentialsShown(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)
	path := filepath.Join(dir, "v.sock")
	s := startServer(t, "unix", "serve", "--bind", path, "-v")
	client := filepath.Join(dir, "c.sock")
	mustSucceed(t, socklab(t, "unix", "send", "--bind", client, path, "hi"), "send")
	want := fmt.Sprintf(`^Got message from %s \(pid \d+, uid %d, gid %d\)$`, regexp.QuoteMeta(client), os.Getuid(), os.Getgid())
	s.waitLine(&s.stdout, regexp.MustCompile(want))
	s.stopServer(os.Interrupt)

	p := start(t, runOpts{}, "unix", "serve", "--bind", path, "--json")
	p.waitLine(&p.stdout, regexp.MustCompile(`"event":"listening"`))
	mustSucceed(t, socklab(t, "unix", "send", path, "hi"), "send")
	line := p.waitLine(&p.stdout, regexp.MustCompile(`^.*"event":"datagram".*$`))[0]
	var ev map[string]any
	json.Unmarshal([]byte(line), &ev)
	if pid, _ := ev["pid"].(float64); pid <= 0 || ev["uid"] != float64(os.Getuid()) || ev["gid"] != float64(os.Getgid()) {
		t.Errorf("datagram event %s: want pid, uid and gid", line)
	}
	p.stop(os.Interrupt)
}

// TestNamesEscaped: a unix sender's name with ESC, newline and bidi
// characters is printed escaped: it cannot forge a log line or rewrite the
// terminal.
func TestNamesEscaped(t *testing.T) {
	t.Parallel()
	path := filepath.Join(shortTempDir(t), "s.sock")
	s := startServer(t, "unix", "serve", "--bind", path, "-v")
	evil := "@x\x1b[2J\nGot message from 1.2.3.4:53\u202egnp.exe"
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: evil, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.WriteTo([]byte("hi\x1b]0;owned\x07"), &net.UnixAddr{Name: path, Net: "unixgram"}); err != nil {
		t.Fatal(err)
	}
	s.waitLine(&s.stdout, regexp.MustCompile(`^Received message: `))
	s.stopServer(os.Interrupt)
	out := s.stdout.String() + s.stderr.String()
	for _, raw := range []string{"\x1b", "\u202e", "\x07"} {
		if strings.Contains(out, raw) {
			t.Errorf("%q reached the terminal\n%q", raw, out)
		}
	}
	if regexp.MustCompile(`(?m)^Got message from 1\.2\.3\.4:53`).MatchString(out) {
		t.Errorf("the name forged a line\n%s", out)
	}
	if !strings.Contains(out, `Got message from "@x\x1b[2J\nGot message from 1.2.3.4:53\u202egnp.exe" (pid `) {
		t.Errorf("want the name quoted with its escapes\n%s", out)
	}
}

// TestExposureWarning: a server bound to a wildcard warns of reflection
// and says the rules; one on loopback does not. In a namespace of its own,
// so the wildcard reaches nothing but loopback.
func TestExposureWarning(t *testing.T) {
	t.Parallel()
	ns := cliNetns(t, "warn")
	s := startServerWith(t, runOpts{netns: ns}, "udp4", "serve", "--bind", "0.0.0.0:0")
	s.stopServer(os.Interrupt)
	warn := regexp.MustCompile(`^socklab: warning: 0\.0\.0\.0:\d+ is reachable from other hosts\. .*reflection.*CVE-1999-0103.*1\.5 times.*--allow, --deny and --rate-limit$`)
	if !warn.MatchString(strings.Split(s.stderr.String(), "\n")[1]) {
		t.Errorf("want the reflection warning after the listening line\n%s", s)
	}
	p := start(t, runOpts{netns: ns}, "udp4", "serve", "--bind", "0.0.0.0:0", "--json")
	p.waitLine(&p.stdout, regexp.MustCompile(`"event":"warning".*"warning":"0\.0\.0\.0:\d+ is reachable`))
	p.stop(os.Interrupt)
	lo := startServerWith(t, runOpts{netns: ns}, "udp4", "serve", "--bind", "127.0.0.1:0")
	lo.stopServer(os.Interrupt)
	if strings.Contains(lo.stderr.String(), "warning") {
		t.Errorf("a loopback server warns\n%s", lo)
	}
}

// TestDirtyExits: SIGHUP and SIGQUIT stop a server as SIGINT does (its
// summary, its socket file removed, exit 0).
func TestDirtyExits(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{syscall.SIGHUP, syscall.SIGQUIT} {
		path := filepath.Join(shortTempDir(t), "s.sock")
		s := startServer(t, "unix", "serve", "--bind", path)
		mustSucceed(t, socklab(t, "unix", "send", path, "hi"), "send")
		if n := s.stopServer(sig); n[0] != "1" {
			t.Errorf("after %v: summary %v, want 1 datagram", sig, n)
		}
		if _, err := os.Lstat(path); !os.IsNotExist(err) {
			t.Errorf("after %v the socket file is still there (%v)", sig, err)
		}
	}
}

// TestBrokenStdout: serve | head -1. When its stdout pipe breaks the server
// stops, removes its socket file, prints its summary on stderr and exits 1:
// output was lost. It used to be killed by SIGPIPE, leaving the file.
func TestBrokenStdout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(shortTempDir(t), "s.sock")
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := command(t.Context(), runOpts{}, "unix", "serve", "--bind", path)
	cmd.Stdout = pw
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	// head -1: read the first line, then go.
	first, err := bufio.NewReader(pr).ReadString('\n')
	pr.Close()
	if err != nil || first != "waiting for message...\n" {
		t.Fatalf("first line %q, %v", first, err)
	}
	mustSucceed(t, socklab(t, "unix", "send", path, "hi"), "send to a server whose stdout is gone")
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(cmdTimeout):
		cmd.Process.Kill()
		t.Fatalf("the server did not stop when its stdout broke\n%s", stderr.String())
	}
	ee, _ := err.(*exec.ExitError)
	if ee == nil || ee.ExitCode() != exitFailure {
		t.Errorf("exit %v, want 1: output was lost\n%s", err, stderr.String())
	}
	if !regexp.MustCompile(`(?m)^summary: 1 datagram, .*\nsocklab: output lost: write .*broken pipe$`).MatchString(stderr.String()) {
		t.Errorf("want the summary and the loss on stderr\n%s", stderr.String())
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the socket file is still there (%v)", err)
	}
}

// TestPathMTU: a datagram larger than a link on its path, sent with DF as
// Linux does, comes back as ICMP fragmentation needed, which the client's
// IP_RECVERR reads as "message too long". send names the path MTU and the
// fix, and the next message, which the kernel now fragments, gets its
// reply. Three namespaces: the client, a router with a 1280-byte link, the
// server.
func TestPathMTU(t *testing.T) {
	t.Parallel()
	a, r, b := cliNetns(t, "mtua"), cliNetns(t, "mtur"), cliNetns(t, "mtub")
	link := func(ns1, if1, ns2, if2 string) {
		if out, err := exec.Command("ip", "-n", ns1, "link", "add", if1, "type", "veth", "peer", "name", if2, "netns", ns2).CombinedOutput(); err != nil {
			t.Fatalf("veth %s/%s: %v\n%s", ns1, ns2, err, out)
		}
	}
	link(a, "a0", r, "r0")
	link(r, "r1", b, "b0")
	nsRun(t, a, "ip addr add 10.77.1.1/24 dev a0; ip link set a0 up; ip route add default via 10.77.1.2")
	nsRun(t, r, "ip addr add 10.77.1.2/24 dev r0; ip addr add 10.77.2.1/24 dev r1; ip link set r0 up; ip link set r1 up mtu 1280; sysctl -qw net.ipv4.ip_forward=1")
	nsRun(t, b, "ip addr add 10.77.2.2/24 dev b0; ip link set b0 up mtu 1280; ip route add default via 10.77.2.1")
	s := startServerWith(t, runOpts{netns: b}, "udp4", "serve", "--bind", "10.77.2.2:8020", "--reply", "echo", "-q")
	big := strings.Repeat("m", 1400)
	res := socklabWith(t, runOpts{netns: a}, "udp4", "send", "--timeout", "5s", s.addr, big, big)
	if !strings.Contains(res.stderr, "message 1: read socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) 10.77.2.2:8020: message too long: a link on the path has a smaller MTU than a 1400-byte datagram") ||
		!strings.Contains(res.stderr, "sending again works") || res.stdout != "Response: "+big+"\n" || res.code != exitFailure {
		t.Errorf("want the first message refused for the path MTU, with the fix, and the second answered\n%s", res)
	}
	s.stopServer(os.Interrupt)
}

// TestSummaryCounts: the summary says when the peer count is capped, and
// counts drops by reason and full queues, in text and in JSON.
func TestSummaryCounts(t *testing.T) {
	st := echo.Stats{Datagrams: 70000, Bytes: 1, Peers: 65536, PeersCapped: true, SendErrors: 3, QueueFull: 2,
		Dropped: echo.Dropped{Loop: 1, RateLimited: 4}, Elapsed: time.Second}
	var b strings.Builder
	printSummary(&b, st)
	want := "summary: 70000 datagrams, 1 byte, 65536+ peers (more are not counted), 0 truncated, 0 unanswerable, 3 send errors in 1.0s\n" +
		"dropped: 5 datagrams not answered: 0 self, 0 service port, 0 broadcast, 1 loop, 0 denied, 4 rate limited\n" +
		"queue full: 2 replies dropped because the peer's receive queue stayed full (among the send errors)\n"
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	if m := summaryRE.FindStringSubmatch(strings.Split(b.String(), "\n")[0]); m == nil || m[3] != "65536+" {
		t.Errorf("the tests' summaryRE does not read the capped summary: %v", m)
	}
	var ev map[string]any
	if err := json.Unmarshal(eventJSON(summaryFields(st), time.Now()), &ev); err != nil {
		t.Fatal(err)
	}
	d, _ := ev["dropped"].(map[string]any)
	if ev["peers_capped"] != true || ev["queue_full"] != 2.0 || ev["dropped_total"] != 5.0 || d["loop"] != 1.0 || d["rate_limited"] != 4.0 {
		t.Errorf("summary JSON %v", ev)
	}
}
