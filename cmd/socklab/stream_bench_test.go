package main

// End-to-end tests of the stream bench: every stream family against
// socklab's server, and against echo servers nobody here wrote (socat and
// ncat, each running cat per connection).

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/socklab/socklab/echo"
)

// streamBenchRun runs socklab bench in this process with --json and
// decodes its report.
func streamBenchRun(t *testing.T, args ...string) echo.BenchReport {
	t.Helper()
	code, out, errs := benchRun(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("socklab %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	var r echo.BenchReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json: %v: %q", err, out)
	}
	return r
}

// checkStreamBench checks a report of a loopback run of n messages: every
// reply back, none bad.
func checkStreamBench(t *testing.T, r echo.BenchReport, n uint64, io string) {
	t.Helper()
	if r.Sent != n || r.Received != n || r.Bad != 0 || r.Lost != 0 || r.IO != io || r.LatencyUs.P50 <= 0 || r.EchoesPerSec <= 0 {
		t.Errorf("report: %s, sent %d received %d lost %d bad %d p50 %vµs, %v/s; want %s, %d sent and received, none bad",
			r.IO, r.Sent, r.Received, r.Lost, r.Bad, r.LatencyUs.P50, r.EchoesPerSec, io, n)
	}
}

func TestStreamBench(t *testing.T) {
	t.Parallel()
	for _, c := range streamCases(t) {
		t.Run(c.family+c.addr[:1], func(t *testing.T) {
			if c.family == "tcp6" {
				needIPv6(t)
			}
			s := startStreamServer(t, runOpts{}, c.family, "serve", c.flag, c.addr, "--reply", "echo", "-q")
			io := "write/read"
			if c.family == "seqpacket" {
				io = "sendto/recvfrom"
			}
			for _, mode := range []string{"pingpong", "throughput"} {
				r := streamBenchRun(t, sendArgs(c.family, "bench", s.addr, "--mode", mode, "--count", "500", "--inflight", "16", "--size", "200")...)
				checkStreamBench(t, r, 500, io)
			}
			s.stopStreamServer()
		})
	}
	// The generic form, and the seed's reply in ping-pong.
	dir := shortTempDir(t)
	s := startStreamServer(t, runOpts{}, "seqpacket", "serve", "--path", filepath.Join(dir, "g"), "-q")
	r := streamBenchRun(t, "socket", "--family", "unix", "--type", "seqpacket", "bench", "--to", s.addr, "--mode", "pingpong", "--count", "100")
	checkStreamBench(t, r, 100, "sendto/recvfrom")
	s.stopStreamServer()
}

// TestStreamBenchInterop: bench frames the replies of plain byte echo
// servers: socat and ncat, each running cat for a connection.
func TestStreamBenchInterop(t *testing.T) {
	t.Parallel()
	peers := []struct {
		name  string
		argv  func(port string) []string
		ready *regexp.Regexp
	}{
		{"socat", func(port string) []string {
			return []string{"socat", "-d", "-d", "TCP4-LISTEN:" + port + ",bind=127.0.0.1,fork,reuseaddr", "EXEC:cat"}
		}, regexp.MustCompile(` N listening on `)},
		{"ncat", func(port string) []string {
			return []string{"ncat", "-v", "-l", "-k", "--exec", "/bin/cat", "127.0.0.1", port}
		}, regexp.MustCompile(`Ncat: Listening on `)},
	}
	for _, p := range peers {
		t.Run(p.name, func(t *testing.T) {
			if _, err := exec.LookPath(p.name); err != nil {
				t.Skipf("skipping: %s is not installed (apt-get install -y %s)", p.name, p.name)
			}
			addr := freeTCPPort(t)
			argv := p.argv(addr[strings.LastIndex(addr, ":")+1:])
			cmd := exec.Command(argv[0], argv[1:]...)
			// Each connection's cat holds stderr too: the group goes at the end.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			peer := startCmd(t, cmd, argv)
			t.Cleanup(func() { syscall.Kill(-peer.cmd.Process.Pid, syscall.SIGKILL) })
			peer.waitLine(&peer.stderr, p.ready)
			r := streamBenchRun(t, "tcp4", "bench", addr, "--mode", "pingpong", "--count", "200")
			checkStreamBench(t, r, 200, "write/read")
			r = streamBenchRun(t, "tcp4", "bench", addr, "--count", "5000", "--inflight", "64", "--size", "100")
			checkStreamBench(t, r, 5000, "write/read")
			// send works against them too: the reply is the bytes back.
			res := socklab(t, "tcp4", "send", addr, "plain echo")
			if got := responses(t, res); len(got) != 1 || got[0] != "plain echo" {
				t.Errorf("send to %s: %q, want the message back", p.name, got)
			}
		})
	}
}

// TestStreamMessageTooLarge: a seqpacket message holds at most SO_SNDBUF
// less the kernel's overhead; a larger one is refused by name, before
// anything is sent.
func TestStreamMessageTooLarge(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "seqpacket", "serve", "--path", filepath.Join(shortTempDir(t), "p"), "-q")
	// From a pipe: an argument that long is more than exec takes.
	r := socklabWith(t, runOpts{stdin: strings.NewReader(strings.Repeat("m", 250000) + "\n")}, "seqpacket", "send", "--path", s.addr)
	checkOneLineError(t, r, "250000 bytes", "the maximum is")
	if sum, _ := s.stopStreamServer(); !strings.Contains(sum, "0 reads") {
		t.Errorf("an oversized message reached the server: %s", sum)
	}
}

// A stream bench draws --plot as the datagram bench does, and refuses the
// datagram bench's flags it shares instead of ignoring them.
func TestStreamBenchPlotAndRefusals(t *testing.T) {
	t.Parallel()
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "-q")
	svg := filepath.Join(t.TempDir(), "tcp.svg")
	r := socklab(t, "tcp4", "bench", "-d", "1.2", "--json", "--plot", svg, s.addr)
	mustSucceed(t, r, "tcp4 bench --plot")
	if !strings.Contains(r.stderr, "plot written to "+svg) {
		t.Errorf("bench --plot does not say where the plot went: %q", r.stderr)
	}
	curves, _ := readSVG(t, svg)
	checkRunCurves(t, curves, "tcp4 throughput", benchReport(t, r.stdout))
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{[]string{"--gso", "4"}, "--gso and --timestamps work datagram by datagram"},
		{[]string{"--timestamps"}, "--gso and --timestamps work datagram by datagram"},
		{[]string{"--tos", "ef"}, "a stream bench does not set them"},
		{[]string{"--spin", "10us"}, "--spin and --busy-poll tune the UDP batch path"},
		{[]string{"--plain"}, "--plain: a stream bench has one I/O path"},
	} {
		r := socklab(t, append(append([]string{"tcp4", "bench", "-c", "10"}, c.flags...), s.addr)...)
		checkOneLineError(t, r, c.want)
	}
	s.stopStreamServer()
}
