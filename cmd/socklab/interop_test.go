package main

// Interoperability with the seed: the tutorial's own Python server and
// client (testdata/seed, copied from the tutorial with only the port made a
// parameter) talk to socklab both ways, and socklab's ctime is Python's.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
)

// seedProgram writes testdata/seed/name into a temporary directory with
// the seed's port 8020 replaced by port, and returns its path.
func seedProgram(t *testing.T, name string, port int) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "seed", name))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(src, []byte("8020")); n != 1 {
		t.Fatalf("testdata/seed/%s names port 8020 %d times, want once", name, n)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, bytes.Replace(src, []byte("8020"), []byte(strconv.Itoa(port)), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// seedReplyRE is the seed server's reply to "hello", as the issue gives it.
var seedReplyRE = regexp.MustCompile(`^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] hello$`)

// startSeedServer runs the seed's udp_server.py on a free port and waits
// for its "waiting for message...". It returns the process and its address.
func startSeedServer(t *testing.T, py string) (*proc, string) {
	t.Helper()
	// The seed cannot bind port 0 and tell; pick a free port, and try again
	// should another process take it first.
	for attempt := 0; ; attempt++ {
		port := freeUDPPort(t, "udp4", "127.0.0.1")
		script := seedProgram(t, "udp_server.py", port)
		p := startCmd(t, exec.Command(py, "-u", script), []string{script})
		p.stdout.waitFor(func(out []string) bool { return len(out) > 0 })
		if out, _ := p.stdout.snapshot(); len(out) > 0 && out[0] == "waiting for message..." {
			return p, "127.0.0.1:" + strconv.Itoa(port)
		}
		select {
		case <-p.exited: // its stderr is all read: did the port go?
		case <-time.After(cmdTimeout):
		}
		if attempt == 2 || !strings.Contains(p.stderr.String(), "in use") {
			t.Fatalf("the seed server did not start\n%s", p)
		}
	}
}

func TestInteropSendToSeedServer(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	seed, addr := startSeedServer(t, py)

	r := socklab(t, "udp4", "send", addr, "hello")
	mustSucceed(t, r, "socklab udp4 send to the seed server")
	got := responses(t, r)
	if len(got) != 1 || !seedReplyRE.MatchString(got[0]) {
		t.Errorf("reply from the seed server %q, want it to match %s", got, seedReplyRE)
	}

	// Several lines from a pipe, one datagram each; UTF-8 both ways.
	r = socklabWith(t, runOpts{stdin: strings.NewReader("one\nwörld\n")}, "udp4", "send", addr)
	mustSucceed(t, r, "socklab udp4 send < pipe to the seed server")
	got = responses(t, r)
	if len(got) != 2 || !seedReply("one").MatchString(got[0]) || !seedReply("wörld").MatchString(got[1]) {
		t.Errorf("replies %q, want [ctime] one and [ctime] wörld", got)
	}

	// The seed prints the sender as a Python tuple, and the text.
	lines := seed.countLines(&seed.stdout, regexp.MustCompile(`^Received message: `), 3)
	if lines[0] != "Received message: hello" || lines[2] != "Received message: wörld" {
		t.Errorf("the seed server received %q", lines)
	}
	seed.waitLine(&seed.stdout, regexp.MustCompile(`^Got message from \('127\.0\.0\.1', \d+\)$`))
}

func TestInteropSeedClientToSocklab(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	s := startServer(t, "udp4", "serve", "--bind", "127.0.0.1:0")
	_, port, _ := strings.Cut(s.addr, ":")
	p, _ := strconv.Atoi(port)
	client := seedProgram(t, "udp_client.py", p)

	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, client)
	// The seed's client stops at an empty line; EOF would be a traceback.
	cmd.Stdin = strings.NewReader("hello\nwörld\n\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("the seed client failed: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	want := regexp.MustCompile(`^Wanna send: Response: \[` + ctimeRE + `\] hello\nWanna send: Response: \[` + ctimeRE + `\] wörld\nWanna send: $`)
	if !want.MatchString(stdout.String()) {
		t.Errorf("the seed client printed %q, want %s", stdout.String(), want)
	}
	lines := s.countLines(&s.stdout, regexp.MustCompile(`^Received message: `), 2)
	if lines[0] != "Received message: hello" || lines[1] != "Received message: wörld" {
		t.Errorf("socklab received %q", lines)
	}
	if n := s.stopServer(os.Interrupt); n[0] != "2" || n[2] != "1" {
		t.Errorf("summary %v, want 2 datagrams from 1 peer", n)
	}
}

// TestCtimeMatchesPython formats fixed instants with Python's time.ctime()
// (TZ=UTC) and with echo.AppendCtime: they must be the same text.
func TestCtimeMatchesPython(t *testing.T) {
	t.Parallel()
	py := needPython(t)
	epochs := []int64{
		0,          // Thu Jan  1 00:00:00 1970
		951825600,  // Tue Feb 29 12:00:00 2000, a leap day
		1793862489, // Thu Nov  5 07:08:09 2026, a one-digit day, padded with a space
		1795547280, // Tue Nov 24 19:08:00 2026, the seed's example
		4102444799, // Thu Dec 31 23:59:59 2099
	}
	var args []string
	for _, e := range epochs {
		args = append(args, strconv.FormatInt(e, 10))
	}
	cmd := exec.Command(py, append([]string{"-c", "import sys, time\nfor a in sys.argv[1:]: print(time.ctime(int(a)))"}, args...)...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 time.ctime: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(epochs) {
		t.Fatalf("python printed %q", out)
	}
	for i, e := range epochs {
		got := string(echo.AppendCtime(nil, time.Unix(e, 0).UTC()))
		if got != lines[i] {
			t.Errorf("ctime of %d: socklab %q, Python %q", e, got, lines[i])
		}
	}
	if lines[2] != "Thu Nov  5 07:08:09 2026" {
		t.Errorf("Python's ctime of 1793862489 is %q: the padded-day case is not what this test means to check", lines[2])
	}
}
