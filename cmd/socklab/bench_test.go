package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// benchServer serves a new socket of def on addr with socklab's echo
// server in this process (echotest.Start) until the test ends, and returns
// its address.
func benchServer(t *testing.T, def *families.Definition, addr string, reply echo.Reply) string {
	t.Helper()
	return echotest.Start(t, def, addr, echo.ServerConfig{Reply: reply}).Addr().String()
}

// benchRun runs socklab in this process with args.
func benchRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// The --json report has every field the help promises, with the values of
// a clean loopback run.
func TestBenchJSON(t *testing.T) {
	addr := benchServer(t, families.UDP4(), "127.0.0.1:0", echo.ReplyEcho)
	code, out, errs := benchRun(t, "udp4", "bench", addr, "--count", "500", "--inflight", "8", "--size", "100", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("stdout is not one JSON object: %v: %q", err, out)
	}
	if errs != "" {
		t.Errorf("--json wrote to stderr (not a terminal): %q", errs)
	}
	want := map[string]any{"event": "bench", "family": "udp4", "mode": "throughput", "io": "sendmmsg/recvmmsg connected", "peer": addr,
		"socket": "socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)", "size": 100.0, "inflight": 8.0, "sent": 500.0, "received": 500.0,
		"lost": 0.0, "lost_pct": 0.0, "reordered": 0.0, "duplicates": 0.0, "late": 0.0, "bad": 0.0, "interrupted": false, "rate": 0.0}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	for _, k := range []string{"echoes_per_sec", "mbit_per_sec", "jitter_us", "cpu_user_s", "cpu_sys_s", "elapsed_s"} {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s = %v, want a number", k, m[k])
		}
	}
	if m["echoes_per_sec"].(float64) <= 0 || m["cpu_user_s"].(float64)+m["cpu_sys_s"].(float64) <= 0 {
		t.Errorf("echoes_per_sec %v, cpu %v+%v: want positive", m["echoes_per_sec"], m["cpu_user_s"], m["cpu_sys_s"])
	}
	lat, _ := m["latency_us"].(map[string]any)
	for _, k := range []string{"min", "p50", "p90", "p99", "p999", "max", "mean"} {
		if v, _ := lat[k].(float64); v <= 0 {
			t.Errorf("latency_us.%s = %v, want a positive number", k, lat[k])
		}
	}
	if _, ok := m["samples"].([]any); !ok {
		t.Errorf("samples = %v, want a list", m["samples"])
	}

	// Every field a script sees is documented in the help.
	_, help, _ := benchRun(t, "udp4", "bench", "--help")
	for k := range m {
		if !regexp.MustCompile(`\b` + k + `\b`).MatchString(help) {
			t.Errorf("JSON field %q is not in socklab udp4 bench --help", k)
		}
	}
}

func TestBenchTextReport(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"udp6", func(t *testing.T) []string {
			return []string{"udp6", "bench", benchServer(t, families.UDP6(), "[::1]:0", echo.ReplyEcho)}
		}},
		{"unix", func(t *testing.T) []string {
			p := filepath.Join(t.TempDir(), "s")
			benchServer(t, families.Unix(), p, echo.ReplySeed)
			return []string{"unix", "bench", "--path", p}
		}},
		{"socket", func(t *testing.T) []string {
			return []string{"socket", "--family", "inet", "--type", "dgram", "bench", "--to", benchServer(t, families.UDP4(), "127.0.0.1:0", echo.ReplySeed)}
		}},
		{"pingpong-plain", func(t *testing.T) []string {
			return []string{"udp4", "bench", "--mode", "pingpong", "--plain", benchServer(t, families.UDP4(), "127.0.0.1:0", echo.ReplyEcho)}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(tc.args(t), "--count", "300", "--inflight", "8", "--warmup", "0.1")
			code, out, errs := benchRun(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			for _, want := range []string{"sent        300\n", "received    300\n", "lost        0 (0.000%)\n", "duplicates  0\n", "latency µs  min "} {
				if !strings.Contains(out, want) {
					t.Errorf("report lacks %q:\n%s", want, out)
				}
			}
			if !strings.Contains(errs, "300 datagrams") || !strings.Contains(errs, "100ms warmup") {
				t.Errorf("stderr does not say what it measures: %q", errs)
			}
		})
	}
}

func TestBenchNoReplies(t *testing.T) {
	// A socket that is bound and never answers.
	c, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	code, out, errs := benchRun(t, "udp4", "bench", c.LocalAddr().String(), "--count", "5", "--timeout", "0.05", "--json")
	if code != 1 || !strings.Contains(errs, "no replies to 5 datagrams") || !strings.Contains(errs, "socklab udp4 serve") {
		t.Errorf("exit %d, stderr %q: want 1 and a hint to start a server", code, errs)
	}
	// The report, then the failure as an error event.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var r echo.BenchReport
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil || r.Sent != 5 || r.Lost != 5 || r.LostPct != 100 {
		t.Errorf("report %+v (%v): want 5 sent, 5 lost, 100%%", r, err)
	}
	var ev map[string]any
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &ev) != nil || ev["event"] != "error" || ev["exit"] != 1.0 {
		t.Errorf("want the report and an error event, got %q", out)
	}
}

// A server that truncates (the seed's reads 1024 bytes) sends back replies
// that are not the payload: bench says so, and what to do.
func TestBenchTruncatingServer(t *testing.T) {
	s := echotest.Start(t, families.UDP4(), "127.0.0.1:0", echo.ServerConfig{Reply: echo.ReplySeed, Bufsize: 1024})
	code, _, errs := benchRun(t, "udp4", "bench", s.Addr().String(), "--size", "2000", "--count", "4", "--inflight", "4", "--timeout", "0.1")
	if code != 1 || !strings.Contains(errs, "4 replies came back but not the payload sent") || !strings.Contains(errs, "smaller datagram size (--size)") {
		t.Errorf("exit %d, stderr %q: want 1 and a hint about truncation", code, errs)
	}
}

// bench measures servers nobody here wrote: socat echoing each datagram
// (it forks per datagram, so the run is short).
func TestBenchSocat(t *testing.T) {
	if _, err := exec.LookPath("socat"); err != nil {
		t.Skip("skipping: socat is not installed (apt-get install -y socat)")
	}
	for _, fam := range []string{"udp4", "unix"} {
		t.Run(fam, func(t *testing.T) {
			var listen string
			var args []string
			if fam == "unix" {
				p := filepath.Join(t.TempDir(), "socat.sock")
				listen, args = "UNIX-RECVFROM:"+p+",fork", []string{"unix", "bench", "--path", p}
			} else {
				// A free port: bind one, note it, let it go.
				c, err := net.ListenPacket("udp4", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := c.LocalAddr().String()
				c.Close()
				listen, args = "UDP4-RECVFROM:"+addr[strings.LastIndex(addr, ":")+1:]+",bind=127.0.0.1,fork", []string{"udp4", "bench", addr}
			}
			// -d -d: socat says "receiving on ADDR" once it has bound.
			cmd := exec.Command("socat", "-d", "-d", listen, "PIPE")
			// socat forks a child per datagram, which holds stderr too:
			// the whole group goes at the end.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			socat := startCmd(t, cmd, cmd.Args)
			t.Cleanup(func() { syscall.Kill(-socat.cmd.Process.Pid, syscall.SIGKILL) })
			socat.waitLine(&socat.stderr, regexp.MustCompile(` N receiving on `))
			code, out, errs := benchRun(t, append(args, "--mode", "pingpong", "--count", "20", "--timeout", "0.5", "--json")...)
			if code != 0 {
				t.Fatalf("bench against socat: exit %d: %s", code, errs)
			}
			var r echo.BenchReport
			if err := json.Unmarshal([]byte(out), &r); err != nil {
				t.Fatal(err)
			}
			// socat's fork per datagram may miss one now and then; what
			// matters is that its echoes are recognised, none bad.
			if r.Sent != 20 || r.Received < 18 || r.Received+r.Lost != 20 || r.Bad != 0 || r.LatencyUs.P50 <= 0 {
				t.Errorf("against socat: sent %d received %d lost %d bad %d p50 %vµs, want 20 sent, nearly all received, none bad",
					r.Sent, r.Received, r.Lost, r.Bad, r.LatencyUs.P50)
			}
		})
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--size", "10"}, "--size 10: want at least 36 bytes"},
		{[]string{"--size", "70000"}, "at most 65507 bytes"},
		{[]string{"--inflight", "0"}, "--inflight 0"},
		{[]string{"--duration", "0"}, "--duration 0s"},
		{[]string{"--duration", "soon"}, `"soon": want seconds`},
		{[]string{"--timeout=-1"}, "--timeout -1s"},
		{[]string{"--rate=-5"}, "--rate -5"},
		{[]string{"--mode", "fast"}, "--mode"},
	} {
		args := append([]string{"udp4", "bench", "127.0.0.1:9"}, tc.args...)
		code, _, errs := benchRun(t, args...)
		if code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want an error with %q", strings.Join(tc.args, " "), code, errs, tc.want)
		}
	}
}

func TestBenchSeconds(t *testing.T) {
	for in, want := range map[string]string{"2": "2s", "0.5": "500ms", "1m30s": "1m30s", "200ms": "200ms"} {
		var d benchSeconds
		if err := d.UnmarshalText([]byte(in)); err != nil || d.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, d, err, want)
		}
	}
	var d benchSeconds
	if err := d.UnmarshalText([]byte("x")); err == nil {
		t.Error(`"x": no error`)
	}
}
