package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// endpoint is where one server listens, in the forms the commands take.
type endpoint struct {
	family string // udp4, udp6 or unix
	addr   string // 127.0.0.1:P, [::1]:P, or a unix socket path
}

// newEndpoint picks a free address of family: a port the kernel chose
// (released again, so a server can bind it), or a path in dir.
func newEndpoint(family, dir string, n int) (endpoint, error) {
	if family == "unix" {
		return endpoint{family, filepath.Join(dir, fmt.Sprintf("srv%d.sock", n))}, nil
	}
	host := "127.0.0.1"
	if family == "udp6" {
		host = "::1"
	}
	c, err := net.ListenPacket(family, net.JoinHostPort(host, "0"))
	if err != nil {
		return endpoint{}, err
	}
	defer c.Close()
	return endpoint{family, c.LocalAddr().String()}, nil
}

// expand fills a command template's placeholders: {fam}, {addr}, {size},
// and {addrflag}, socklab serve's flag for the address (--bind, or --path
// for unix).
func expand(tmpl []string, ep endpoint, size int) []string {
	flag := "--bind"
	if ep.family == "unix" {
		flag = "--path"
	}
	r := strings.NewReplacer("{fam}", ep.family, "{addr}", ep.addr, "{size}", strconv.Itoa(size), "{addrflag}", flag)
	out := make([]string, len(tmpl))
	for i, a := range tmpl {
		out[i] = r.Replace(a)
	}
	return out
}

// running are the servers started and not yet stopped, for stopAll.
var running sync.Map // *server → struct{}

// stopAll stops every server still running: on SIGINT or SIGTERM, and
// before a fatal exit, since each runs in its own process group.
func stopAll() {
	running.Range(func(k, _ any) bool {
		k.(*server).stop()
		return true
	})
}

// realtime makes launch run every measured process SCHED_FIFO (-rt).
var realtime bool

// launch is argv pinned to cpu with taskset (not when cpu < 0), and with
// -rt made SCHED_FIFO priority 1 with chrt: then other processes' work
// (other sessions' builds and tests) gets the 5% of each CPU that the
// kernel keeps from real-time tasks (sched_rt_runtime_us), instead of
// disturbing most runs.
func launch(argv []string, cpu int) []string {
	if cpu >= 0 {
		argv = append([]string{"taskset", "-c", strconv.Itoa(cpu)}, argv...)
	}
	if realtime {
		argv = append([]string{"chrt", "-f", "1"}, argv...)
	}
	return argv
}

// server is one running echo server.
type server struct {
	name string
	ep   endpoint
	cmd  *exec.Cmd
	errb bytes.Buffer
}

// startServer runs argv pinned to cpu (not pinned when cpu < 0) and waits
// until it listens on ep.
func startServer(name string, argv []string, cpu int, ep endpoint) (*server, error) {
	s := &server{name: name, ep: ep}
	argv = launch(argv, cpu)
	s.cmd = exec.Command(argv[0], argv[1:]...)
	s.cmd.Stderr = &s.errb
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	running.Store(s, struct{}{})
	for range 100 {
		if listening(ep) {
			return s, nil
		}
		if s.cmd.ProcessState != nil || syscall.Kill(s.cmd.Process.Pid, 0) != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("%s (%s) did not start listening on %s: %s", name, strings.Join(argv, " "), ep.addr, strings.TrimSpace(s.errb.String()))
}

// listening reports whether something is bound to ep.
func listening(ep endpoint) bool {
	if ep.family == "unix" {
		fi, err := os.Stat(ep.addr)
		return err == nil && fi.Mode()&os.ModeSocket != 0
	}
	_, port, _ := net.SplitHostPort(ep.addr)
	p, _ := strconv.Atoi(port)
	hex := fmt.Sprintf(":%04X ", p)
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		if b, err := os.ReadFile(f); err == nil && bytes.Contains(b, []byte(hex)) {
			return true
		}
	}
	return false
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// peakRSS is the server's VmHWM in KiB.
func (s *server) peakRSS() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// stop ends the server's process group: SIGTERM, then SIGKILL after 2 s.
func (s *server) stop() {
	if _, ok := running.LoadAndDelete(s); !ok {
		return
	}
	pg := -s.cmd.Process.Pid
	syscall.Kill(pg, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		syscall.Kill(pg, syscall.SIGKILL)
		<-done
	}
}

// result is one client run.
type result struct {
	rate     float64       // echoes per second
	p50, p99 float64       // round trips, microseconds
	cpu      time.Duration // the client's CPU time (user+system)
}

// runClient runs argv pinned to cpu, for at most limit, and reads the
// last JSON object it printed; or, when count is set, takes count echoes
// over the time it ran as its rate (a pinger prints no JSON).
func runClient(argv []string, cpu int, limit time.Duration, count int) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	full := launch(argv, cpu)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if count > 0 {
		cmd.Stdout = nil // /dev/null: a flood prints dots
	}
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var r result
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if count > 0 {
		if err != nil {
			return r, fmt.Errorf("%s: %v: %s", argv[0], err, strings.TrimSpace(errb.String()))
		}
		r.rate = float64(count) / took.Seconds()
		return r, nil
	}
	obj := lastJSON(out.Bytes())
	if obj == nil {
		return r, fmt.Errorf("%s: no JSON result (%v): %s", argv[0], err, strings.TrimSpace(errb.String()))
	}
	r.rate, _ = find(obj, "echoes_per_sec").(float64)
	r.p50, _ = find(obj, "p50").(float64)
	r.p99, _ = find(obj, "p99").(float64)
	if r.rate == 0 {
		return r, errors.New(argv[0] + ": no echoes: " + strings.TrimSpace(out.String()))
	}
	return r, nil
}

// lastJSON is the last line of out that is a JSON object.
func lastJSON(out []byte) map[string]any {
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	for i := len(lines) - 1; i >= 0; i-- {
		var m map[string]any
		if json.Unmarshal(lines[i], &m) == nil {
			return m
		}
	}
	return nil
}

// find looks key up in o and the objects it holds, depth first.
func find(o any, key string) any {
	m, ok := o.(map[string]any)
	if !ok {
		return nil
	}
	if v, ok := m[key]; ok {
		return v
	}
	for _, v := range m {
		if r := find(v, key); r != nil {
			return r
		}
	}
	return nil
}
