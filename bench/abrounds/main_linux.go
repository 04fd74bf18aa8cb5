// Command abrounds compares echo servers, and load generators, with the
// alternating-rounds method: on this kind of noisy, two-core machine,
// separate runs scatter by ±30%, while runs interleaved second by second
// agree within a percent or two.
//
// Server mode starts every server at once, pinned to one CPU (the C
// reference bench/cecho.c, socklab -a, socklab -b, and any -server given),
// then runs the same load generator (bench/cload.c, pinned to the other
// CPU) for one second against each in turn, round after round. Client
// mode starts one C server and runs the load generators in turn:
// bench/cload, socklab -a bench, socklab -b bench. Each round gives a
// ratio per contestant (its echoes per second, or its ping-pong round
// trip, over the reference's in the same round); the report is the median
// and interquartile range of those ratios over the rounds kept. A round in
// which other processes used the measuring CPUs (from /proc/stat, less the
// measured processes' own CPU time and ksoftirqd's) is dropped and run
// again.
//
//	go run ./bench/abrounds                        # socklab built from this tree against C
//	go run ./bench/abrounds -b /tmp/socklab-old    # ... and against an older binary
//	go run ./bench/abrounds -mode client -families udp4 -sizes 64
//	go run ./bench/abrounds -server 'spin={a} {fam} serve -q --reply echo {addrflag} {addr} --spin 20us'
//
// Ping mode alternates flood pings of 127.0.0.1 (-ping-count echoes each,
// rate = echoes over the run's time): iputils ping -f, socklab -a's and
// -b's icmp4 ping -f (root, or CAP_NET_RAW, for a flood).
//
// Root is not needed otherwise; gcc and taskset are.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the command line.
type config struct {
	a, b, aName, bName string
	mode               string
	families           []string
	sizes              []int
	loads              []string
	rounds, warmup     int
	maxRounds          int
	seconds            float64
	maxOther           float64
	srvCPU, cliCPU     int
	inflight           int
	pingCount          int
	clients            int
	quietWait          time.Duration
	servers            []namedCmd
	dir                string // temp dir: binaries, unix sockets
	cecho, cload       string
}

// namedCmd is a -server flag: NAME=COMMAND with placeholders.
type namedCmd struct {
	name string
	argv []string
}

type serverFlags []namedCmd

func (s *serverFlags) String() string { return fmt.Sprint(*s) }
func (s *serverFlags) Set(v string) error {
	name, cmd, ok := strings.Cut(v, "=")
	if !ok || name == "" || strings.TrimSpace(cmd) == "" {
		return fmt.Errorf("want NAME=COMMAND, got %q", v)
	}
	*s = append(*s, namedCmd{name, strings.Fields(cmd)})
	return nil
}

func parseFlags() *config {
	c := &config{}
	var fams, sizes, loads string
	var servers serverFlags
	flag.StringVar(&c.a, "a", "", "socklab binary A, the one measured (default: built from this work tree)")
	flag.StringVar(&c.b, "b", "", "socklab binary B to compare A with (default: none)")
	flag.StringVar(&c.aName, "a-name", "A", "A's name in the tables")
	flag.StringVar(&c.bName, "b-name", "B", "B's name in the tables")
	flag.StringVar(&c.mode, "mode", "both", "server, client, both, ping (flood ping against iputils'), or all")
	flag.IntVar(&c.pingCount, "ping-count", 100000, "echoes per flood ping run (ping mode)")
	flag.StringVar(&fams, "families", "udp4,udp6,unix", "families to measure")
	flag.StringVar(&sizes, "sizes", "64,1400", "datagram sizes in bytes")
	flag.StringVar(&loads, "loads", "throughput,pingpong", "loads: throughput (64 in flight), pingpong (1 in flight)")
	flag.IntVar(&c.rounds, "rounds", 12, "rounds to keep per cell")
	flag.IntVar(&c.maxRounds, "max-rounds", 0, "give up on a cell after this many rounds (default: 4 × -rounds)")
	flag.IntVar(&c.warmup, "warmup", 1, "rounds run first and not counted")
	flag.Float64Var(&c.seconds, "seconds", 1, "seconds per run")
	flag.Float64Var(&c.maxOther, "max-other", 0.03, "drop a round when other processes used more than this share of the two CPUs in a run")
	flag.IntVar(&c.srvCPU, "server-cpu", 0, "CPU the servers are pinned to (-1: not pinned, for serve --cpu)")
	flag.IntVar(&c.cliCPU, "client-cpu", 1, "CPU the clients are pinned to (-1: not pinned)")
	flag.IntVar(&c.inflight, "inflight", 64, "datagrams in flight for throughput")
	flag.DurationVar(&c.quietWait, "quiet-wait", 10*time.Second, "before a round, wait up to this long for the CPUs to be quiet")
	flag.BoolVar(&realtime, "rt", false, "run servers and clients SCHED_FIFO (chrt -f 1), so that other processes disturb fewer runs (root)")
	flag.IntVar(&c.clients, "clients", 1, "load generators run at once per run (their rates add up): to spread over SO_REUSEPORT workers")
	flag.Var(&servers, "server", "NAME=COMMAND: one more server (server mode); {fam} {addr} {addrflag} {size}, and {a} {b} {cecho} (the binaries), are replaced; repeatable")
	flag.Parse()
	c.families = strings.Split(fams, ",")
	c.loads = strings.Split(loads, ",")
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(s)
		if err != nil {
			fatalf("-sizes: %v", err)
		}
		c.sizes = append(c.sizes, n)
	}
	c.servers = servers
	if c.maxRounds <= 0 {
		c.maxRounds = 4 * c.rounds
	}
	return c
}

func main() {
	cfg := parseFlags()
	dir, err := os.MkdirTemp("", "abrounds")
	if err != nil {
		fatalf("%v", err)
	}
	defer os.RemoveAll(dir)
	cfg.dir = dir
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		stopAll()
		os.RemoveAll(dir)
		os.Exit(130)
	}()
	if err := cfg.build(); err != nil {
		fatalf("%v", err)
	}
	start := time.Now()
	rep := newReport(cfg)
	rep.header()
	m := newMeasurer(cfg)
	for _, mode := range []string{"server", "client"} {
		if cfg.mode != mode && cfg.mode != "both" && cfg.mode != "all" {
			continue
		}
		for _, fam := range cfg.families {
			for _, size := range cfg.sizes {
				if err := runCell(m, rep, mode, fam, size); err != nil {
					fatalf("%s %s %d B: %v", mode, fam, size, err)
				}
			}
		}
	}
	if cfg.mode == "ping" || cfg.mode == "all" {
		runPing(m, rep)
	}
	rep.summary(time.Since(start))
}

// build compiles the C programs, and socklab A from this tree unless -a.
func (c *config) build() error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	c.cecho, c.cload = filepath.Join(c.dir, "cecho"), filepath.Join(c.dir, "cload")
	for _, p := range []string{"cecho", "cload"} {
		out, err := exec.Command("gcc", "-O2", "-Wall", "-Wextra", "-o", filepath.Join(c.dir, p), filepath.Join(root, "bench", p+".c")).CombinedOutput()
		if err != nil {
			return fmt.Errorf("gcc %s.c: %v: %s", p, err, out)
		}
	}
	if c.a != "" {
		return nil
	}
	c.a = filepath.Join(c.dir, "socklab")
	cmd := exec.Command("go", "build", "-o", c.a, "./cmd/socklab")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v: %s", err, out)
	}
	desc, _ := exec.Command("git", "-C", root, "describe", "--always", "--dirty").Output()
	c.aName = "socklab " + strings.TrimSpace(string(desc))
	return nil
}

// repoRoot is the module root: the directory holding bench/cecho.c.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "bench", "cecho.c")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no bench/cecho.c above %s: run from the socklab tree", dir)
		}
	}
}

func fatalf(format string, args ...any) {
	stopAll()
	fmt.Fprintf(os.Stderr, "abrounds: "+format+"\n", args...)
	os.Exit(1)
}
