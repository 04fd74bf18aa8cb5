package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// TestStreamCTools builds bench/cepoll.c and bench/cstream.c, the C ends of
// bench/compare_stream.sh, and runs each against socklab's other end: the
// comparison stands on a C server that echoes correctly and a C client that
// checks every byte.
func TestStreamCTools(t *testing.T) {
	t.Parallel()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("skipping: gcc is not installed (apt-get install -y gcc)")
	}
	dir := t.TempDir()
	for _, name := range []string{"cepoll", "cstream"} {
		out, err := exec.Command(gcc, "-O2", "-Wall", "-Wextra", "-Werror", "-o", filepath.Join(dir, name), filepath.Join("..", "..", "bench", name+".c")).CombinedOutput()
		if err != nil {
			t.Fatalf("gcc %s.c: %v\n%s", name, err, out)
		}
	}
	addr := freeTCPPort(t)
	cmd := exec.Command(filepath.Join(dir, "cepoll"), addr)
	cepoll := startCmd(t, cmd, cmd.Args)
	cepoll.waitLine(&cepoll.stderr, regexp.MustCompile(`^cepoll: listening on `))
	r := streamBenchRun(t, "tcp4", "bench", addr, "--count", "3000", "--inflight", "32", "--size", "300")
	checkStreamBench(t, r, 3000, "write/read")

	// Not -q: it tells each connection's end, which the test waits for.
	s := startStreamServer(t, runOpts{}, "tcp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo")
	out, err := exec.Command(filepath.Join(dir, "cstream"), s.addr, "-c", "20", "-n", "4", "-d", "0.3", "-w", "0.1").Output()
	if err != nil {
		t.Fatalf("cstream against socklab: %v\n%s", err, out)
	}
	var rep struct {
		Conns    int     `json:"conns"`
		Messages uint64  `json:"messages"`
		Rate     float64 `json:"msgs_per_sec"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.Conns != 20 || rep.Messages == 0 || rep.Rate <= 0 {
		t.Errorf("cstream report %s (%v): want 20 connections and their messages counted", out, err)
	}
	// cstream has closed its connections; the server reads each EOF in
	// its own time: stop it once it has told all 20.
	s.countLines(&s.stdout, regexp.MustCompile(`^Closed .*\(EOF\)$`), 20)
	if sum, cl := s.stopStreamServer(); !regexp.MustCompile(`^summary: 20 connections`).MatchString(sum) || !regexp.MustCompile(`^closed: 20 eof`).MatchString(cl) {
		t.Errorf("socklab's summary %q %q: want cstream's 20 connections, each ended in order (EOF)", sum, cl)
	}
}
