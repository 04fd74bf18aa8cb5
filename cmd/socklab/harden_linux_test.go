package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// jsonSummary stops a --json server and returns its summary event.
func jsonSummary(t *testing.T, s *server) map[string]any {
	t.Helper()
	if code := s.stop(os.Interrupt); code != 0 {
		t.Fatalf("server exit %d\n%s", code, s)
	}
	lines, _ := s.stdout.snapshot()
	for i := len(lines) - 1; i >= 0; i-- {
		var ev map[string]any
		if json.Unmarshal([]byte(lines[i]), &ev) == nil && ev["event"] == "summary" {
			return ev
		}
	}
	t.Fatalf("no summary event\n%s", s)
	return nil
}

func count(ev map[string]any, key string) int {
	v, _ := ev[key].(float64)
	return int(v)
}

func dropped(ev map[string]any, reason string) int {
	d, _ := ev["dropped"].(map[string]any)
	v, _ := d[reason].(float64)
	return int(v)
}

// TestEchoLoopSpoofed: one datagram forged (with ip4 send's IP_HDRINCL)
// to come from another echo server, or from the server itself, makes at
// most one reply from each: a reflected reply is recognised and dropped.
// Before the guard, the seed reply made thousands of datagrams, and
// --reply echo never stopped.
func TestEchoLoopSpoofed(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reply  string
		quiet  bool
		fromB  bool // the forged source is server B; else server A itself
		reason string
	}{
		{"seed-from-other", "seed", false, true, "loop"},
		{"echo-from-other", "echo", true, true, "loop"},
		{"seed-from-self", "seed", true, false, "self"},
		{"echo-from-self", "echo", false, false, "self"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := rawNetns(t, "loop")
			o := runOpts{netns: ns}
			args := func(bind string) []string {
				a := []string{"udp4", "serve", "--json", "--reply", tc.reply, "--bind", bind}
				if tc.quiet {
					a = append(a, "-q")
				}
				return a
			}
			a := start(t, o, args("127.0.0.1:7001")...)
			a.waitLine(&a.stdout, regexp.MustCompile(`"event":"listening"`))
			b := start(t, o, args("127.0.0.2:7002")...)
			b.waitLine(&b.stdout, regexp.MustCompile(`"event":"listening"`))
			src, sport := "127.0.0.1", "7001"
			if tc.fromB {
				src, sport = "127.0.0.2", "7002"
			}
			r := socklabWith(t, o, "ip4", "send", "127.0.0.1", "--src", src, "--proto", "udp", "--sport", sport, "--dport", "7001",
				"a forged datagram that would start a loop")
			mustSucceed(t, r, "ip4 send a forged datagram")
			a.waitLine(&a.stdout, regexp.MustCompile(`"event":"dropped".*"reason":"`+tc.reason+`"|"reason":"`+tc.reason+`".*"event":"dropped"`))
			sa, sb := jsonSummary(t, &server{proc: a}), jsonSummary(t, &server{proc: b})
			answeredA := count(sa, "datagrams") - count(sa, "dropped_total")
			answeredB := count(sb, "datagrams") - count(sb, "dropped_total")
			if answeredA > 1 || answeredB > 1 || dropped(sa, tc.reason) != 1 {
				t.Errorf("A answered %d, B answered %d, A dropped %d for %s: want at most one reply each and the loop stopped at once\nA: %v\nB: %v",
					answeredA, answeredB, dropped(sa, tc.reason), tc.reason, sa, sb)
			}
		})
	}
}

// TestNonReadingUnixPeer: a unix client that sends and never reads fills
// its receive queue with the server's replies. Other clients are still
// answered within 100 ms each, the server spends little CPU on it, and it
// is told about a few times, not once per datagram. Default and -q servers.
func TestNonReadingUnixPeer(t *testing.T) {
	for _, quiet := range []bool{false, true} {
		t.Run(fmt.Sprintf("quiet=%v", quiet), func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(shortTempDir(t), "s.sock")
			args := []string{"unix", "serve", "--bind", path, "--reply", "echo"}
			if quiet {
				args = append(args, "-q")
			}
			s := startServer(t, args...)
			cpu0, t0 := procCPU(t, s.cmd.Process.Pid), time.Now()
			stuck := unixSender(t, path)
			// More than its receive queue holds (net.unix.max_dgram_qlen,
			// 10 by default), so that the server's replies find it full.
			for n := 0; n < 64; {
				if unix.Sendto(stuck, []byte("never read"), unix.MSG_DONTWAIT, &unix.SockaddrUnix{Name: path}) == nil {
					n++
				} else {
					time.Sleep(time.Millisecond) // the server's own queue is full: let it read
				}
			}
			stop := make(chan struct{})
			flooded := make(chan int)
			go func() {
				n := 0
				for ; ; n++ {
					select {
					case <-stop:
						flooded <- n
						return
					default:
					}
					if unix.Sendto(stuck, []byte("never read"), unix.MSG_DONTWAIT, &unix.SockaddrUnix{Name: path}) != nil {
						time.Sleep(time.Millisecond) // the server's queue is full: the behaviour under test, a flood at the server's pace
					}
				}
			}()
			other := unixSender(t, path)
			tv := unix.NsecToTimeval(int64(2 * time.Second))
			unix.SetsockoptTimeval(other, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
			var worst time.Duration
			for i := 0; i < 20; i++ {
				msg := []byte("other " + strconv.Itoa(i))
				t0 := time.Now()
				if err := unix.Sendto(other, msg, 0, &unix.SockaddrUnix{Name: path}); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 64)
				n, err := unix.Read(other, buf)
				for err == unix.EINTR {
					n, err = unix.Read(other, buf)
				}
				if err != nil || string(buf[:n]) != string(msg) {
					t.Fatalf("other client's message %d: %q, %v", i, buf[:max(n, 0)], err)
				}
				worst = max(worst, time.Since(t0))
			}
			close(stop)
			sent := <-flooded
			cpu, wall := procCPU(t, s.cmd.Process.Pid)-cpu0, time.Since(t0)
			s.stop(os.Interrupt)
			errLines, _ := s.stderr.snapshot()
			told := 0
			for _, l := range errLines {
				if strings.Contains(l, "reply to") {
					told++
				}
			}
			t.Logf("the stuck peer sent %d datagrams more; the others' worst round trip %v; server CPU %v in %v; told %d times", sent, worst, cpu, wall.Round(time.Millisecond), told)
			if worst > 100*time.Millisecond {
				t.Errorf("another client waited %v for a reply behind a peer that does not read, want at most 100ms", worst)
			}
			if cpu > wall/2 {
				t.Errorf("the server spent %v of CPU in %v: a peer that does not read must not make it spin (want under half a core)", cpu, wall)
			}
			if told > 5 {
				t.Errorf("the stuck peer was told about %d times on stderr, want a few at most", told)
			}
		})
	}
}

// unixSender is an autobound unix datagram socket, closed at the end.
func unixSender(t *testing.T, path string) int {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrUnix{}); err != nil {
		t.Fatal(err)
	}
	return fd
}

// procCPU is a process's user and system CPU time so far.
func procCPU(t *testing.T, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b)[strings.LastIndexByte(string(b), ')')+2:])
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100
}

// procRSS is a process's resident memory in bytes.
func procRSS(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb * 1024
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestRateLimitedFlood: a million datagrams from one client at a server
// with --rate-limit. A second client, on another address, still gets every
// reply within its timeout (sending again, as UDP clients do), the server's memory stays flat, and the summary accounts for
// every datagram: received = answered + dropped.
func TestRateLimitedFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("sends a million datagrams")
	}
	p := start(t, runOpts{}, "udp4", "serve", "--bind", "127.0.0.1:0", "--reply", "echo", "-q", "--json", "--rate-limit", "1000/s:100")
	m := p.waitLine(&p.stdout, regexp.MustCompile(`"event":"listening".*"addr":"([^"]+)"|"addr":"([^"]+)".*"event":"listening"`))
	s := &server{proc: p, addr: m[1] + m[2]}
	rss0 := procRSS(t, s.cmd.Process.Pid)
	to, _ := net.ResolveUDPAddr("udp4", s.addr)
	flood, err := net.DialUDP("udp4", nil, to)
	if err != nil {
		t.Fatal(err)
	}
	defer flood.Close()
	done := make(chan int)
	go func() {
		msg := make([]byte, 32)
		n := 0
		for ; n < 1000000; n++ {
			if _, err := flood.Write(msg); err != nil {
				break
			}
		}
		done <- n
	}()
	// The limit is per source address, whatever the port: the second
	// client is another host, 127.0.0.2.
	other, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, to)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// UDP loses what finds the server's receive queue full, from any
	// sender, so the second client does what a client does: it sends
	// again (every 100ms), within its 2s timeout.
	buf := make([]byte, 64)
	for i := 0; i < 20; i++ {
		msg := []byte("other client " + strconv.Itoa(i))
		deadline := time.Now().Add(2 * time.Second)
		for {
			other.Write(msg)
			other.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := other.Read(buf)
			if err == nil && string(buf[:n]) == string(msg) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("second client's message %d during the flood: no reply within 2s (%q, %v)", i, buf[:max(n, 0)], err)
			}
		}
	}
	sent := <-done
	rss1 := procRSS(t, s.cmd.Process.Pid)
	sum := jsonSummary(t, s)
	received, answered := count(sum, "datagrams"), count(sum, "datagrams")-count(sum, "dropped_total")
	t.Logf("flood %d datagrams: server received %d (kernel dropped %d), answered %d, rate-limited %d; RSS %d -> %d KiB",
		sent, received, count(sum, "kernel_drops"), answered, dropped(sum, "rate_limited"), rss0/1024, rss1/1024)
	if sent != 1000000 {
		t.Errorf("the flood sent %d datagrams, want 1000000", sent)
	}
	if received != answered+dropped(sum, "rate_limited") || dropped(sum, "rate_limited") == 0 {
		t.Errorf("received %d, answered %d, rate-limited %d: want received = answered + dropped, with drops", received, answered, dropped(sum, "rate_limited"))
	}
	if rss1 > rss0+8<<20 {
		t.Errorf("server RSS grew from %d to %d KiB under the flood, want flat (within 8 MiB)", rss0/1024, rss1/1024)
	}
}
