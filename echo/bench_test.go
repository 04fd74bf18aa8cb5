package echo_test

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// benchFamily opens a server socket and a client socket of one family on
// loopback or in a temp dir.
type benchFamily struct {
	def  *families.Definition
	addr func(t testing.TB) string // server bind address
}

var benchFamilies = []benchFamily{
	{families.UDP4(), func(testing.TB) string { return "127.0.0.1:0" }},
	{families.UDP6(), func(testing.TB) string { return "[::1]:0" }},
	{families.Unix(), func(t testing.TB) string { return filepath.Join(t.TempDir(), "echo.sock") }},
}

func openPair(t testing.TB, f benchFamily) (server, client families.Conn) {
	t.Helper()
	s, err := f.def.Open(families.Options{Addr: f.addr(t)})
	if err != nil {
		if f.def.Spec.Family == families.AF_INET6 {
			t.Skipf("no IPv6 loopback here: %v", err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	c, err := f.def.Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

func runBench(t testing.TB, c families.Conn, peer net.Addr, cfg echo.BenchConfig) echo.BenchReport {
	t.Helper()
	r, err := echo.Bench(context.Background(), c, peer, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkClean checks a report of a path that loses nothing.
func checkClean(t *testing.T, r echo.BenchReport, want uint64) {
	t.Helper()
	if r.Sent != want || r.Received != want || r.Lost != 0 || r.LostPct != 0 {
		t.Errorf("sent %d received %d lost %d (%.2f%%), want %d sent and received, none lost", r.Sent, r.Received, r.Lost, r.LostPct, want)
	}
	if r.Duplicates != 0 || r.Late != 0 || r.Bad != 0 || r.Reordered != 0 {
		t.Errorf("duplicates %d late %d bad %d reordered %d on loopback, want 0", r.Duplicates, r.Late, r.Bad, r.Reordered)
	}
	l := r.LatencyUs
	if !(l.Min > 0 && l.Min <= l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max && l.Mean >= l.Min && l.Mean <= l.Max) {
		t.Errorf("latency %+v: want 0 < min <= p50 <= p90 <= p99 <= p99.9 <= max, min <= mean <= max", l)
	}
	if r.EchoesPerSec <= 0 || r.MbitPerSec <= 0 {
		t.Errorf("echoes/s %v, Mbit/s %v: want both positive", r.EchoesPerSec, r.MbitPerSec)
	}
}

func TestBenchLoopback(t *testing.T) {
	for _, f := range benchFamilies {
		for _, io := range []string{"sendmmsg/recvmmsg", "sendmmsg/recvmmsg connected", "sendto/recvfrom", "sendto/recvfrom connected"} {
			for _, mode := range []echo.BenchMode{echo.BenchThroughput, echo.BenchPingPong} {
				t.Run(f.def.Name+"/"+mode.String()+"/"+io, func(t *testing.T) {
					s, c := openPair(t, f)
					echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})
					const n = 2000
					cfg := echo.BenchConfig{Mode: mode, Count: n, Size: 200, Inflight: 16,
						Plain: strings.HasPrefix(io, "sendto"), Connect: strings.HasSuffix(io, "connected")}
					r := runBench(t, c, s.LocalAddr(), cfg)
					checkClean(t, r, n)
					if runtime.GOOS != "linux" {
						io = "sendto/recvfrom"
					}
					if r.IO != io {
						t.Errorf("io %q, want %q", r.IO, io)
					}
					if want := float64(r.Received) * 200 * 8 / 1e6 / r.Elapsed; abs(r.MbitPerSec-want) > want*1e-6 {
						t.Errorf("Mbit/s %v, want received*size*8/elapsed = %v", r.MbitPerSec, want)
					}
				})
			}
		}
	}
}

// A unix bench runs without SO_PASSCRED, which unix sockets open with: it
// reads no credentials, and with it on the kernel takes a reference on the
// sender's PID for every datagram, its own and the server's replies.
func TestBenchUnixNoCredentials(t *testing.T) {
	s, c := openPair(t, benchFamilies[2])
	echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})
	if v := setting(c, "SO_PASSCRED"); v != "1" {
		t.Fatalf("a unix socket opens with SO_PASSCRED=%q, want 1 (the test assumes it)", v)
	}
	for _, plain := range []bool{false, true} {
		checkClean(t, runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 500, Plain: plain, Inflight: 8}), 500)
		if v := setting(c, "SO_PASSCRED"); v != "0" {
			t.Errorf("plain %v: SO_PASSCRED=%q after a bench, want 0", plain, v)
		}
	}
}

// A plain unix bench with a window larger than the server's receive queue
// (net.unix.max_dgram_qlen, 10) loses nothing when it connects: the
// server's replies to a socket connected to it are not held to the
// bench's queue, so neither side waits for the other, and a server that
// gives up on a peer that does not read has nothing to give up on.
func TestBenchUnixPlainWindow(t *testing.T) {
	s, c := openPair(t, benchFamilies[2])
	echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 20000, Inflight: 64, Plain: true, Connect: true})
	checkClean(t, r, 20000)
	if runtime.GOOS == "linux" && r.IO != "sendto/recvfrom connected" {
		t.Errorf("io %q, want sendto/recvfrom connected", r.IO)
	}
}

// setting is the value families.Settings reports for option name on c.
func setting(c families.Conn, name string) string {
	for _, s := range families.Settings(c) {
		if s.Name == name {
			return s.Value
		}
	}
	return ""
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// The seed's server answers "[ctime] message": bench finds its header after
// the prefix.
func TestBenchSeedPrefix(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplySeed})
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 500, Inflight: 8})
	checkClean(t, r, 500)
}

func TestBenchDuration(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})
	var samples []echo.Sample
	start := time.Now()
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Duration: 2100 * time.Millisecond, Warmup: 300 * time.Millisecond,
		Rate: 2000, Inflight: 8, OnSample: func(s echo.Sample) { samples = append(samples, s) }})
	took := time.Since(start)
	// The bounds below "never less, never more" hold however loaded the
	// machine is. How close to them a run comes depends on the load: those
	// bounds are checked without -short only (CI runs alone), and -short
	// keeps a loose one that catches a bench that does not stop.
	maxTook := 4 * time.Second // 0.3s + 2.1s, and the drain of the last replies
	if testing.Short() {
		maxTook = 15 * time.Second
	}
	if took < 2400*time.Millisecond || took > maxTook {
		t.Errorf("a 0.3s warmup and a 2.1s bench took %v, want 2.4s to %v", took, maxTook)
	}
	if r.Elapsed < 2.09 || r.Elapsed > 2.2 {
		t.Errorf("elapsed %.3fs, want the 2.1s of --duration", r.Elapsed)
	}
	// Paced at 2000/s for 2.1s: at most 4201 datagrams, none from the
	// warmup; fewer only when this machine is too busy to keep up.
	if r.Sent > 4201 || r.Sent < 3000 && !testing.Short() || r.Lost != 0 {
		t.Errorf("sent %d lost %d at --rate 2000 for 2.1s: want about 4200 (never more), none lost", r.Sent, r.Lost)
	}
	if r.EchoesPerSec > 2001 || r.EchoesPerSec < 1400 && !testing.Short() {
		t.Errorf("echoes/s %.0f at --rate 2000", r.EchoesPerSec)
	}
	if len(samples) != 2 || len(r.Samples) != 2 {
		t.Fatalf("got %d samples (%d in the report) in 2.1s, want 2: %+v", len(samples), len(r.Samples), samples)
	}
	var sent uint64
	for i, s := range samples {
		if s.T != float64(i+1) || s.Sent == 0 || s.Received == 0 || s.P50Us <= 0 || s.MaxUs < s.P99Us || s.EchoesPerSec != float64(s.Received) {
			t.Errorf("sample %d: %+v, want t=%d, datagrams sent and received, latencies", i, s, i+1)
		}
		sent += s.Sent
	}
	if sent > 4001 || sent > r.Sent {
		t.Errorf("samples add up to %d sent, more than 2s at 2000/s or the %d of the whole run", sent, r.Sent)
	}
}

// A server that drops every 10th datagram loses exactly 10%, and the window
// does not stall on the lost ones.
func TestBenchLoss(t *testing.T) {
	for _, f := range benchFamilies {
		t.Run(f.def.Name, func(t *testing.T) {
			s, c := openPair(t, f)
			echotest.ServeFunc(t, s, func(i int, d []byte) [][]byte {
				if i%10 == 9 {
					return nil
				}
				return [][]byte{d}
			})
			start := time.Now()
			r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 1000, Inflight: 64, Timeout: 200 * time.Millisecond})
			// On a loaded machine a reply may come after --timeout: it
			// is lost then too, and late. Either way the 100 the server
			// dropped are lost, and the 900 it answered came back.
			if r.Sent != 1000 || r.Lost-r.Late != 100 || r.Received+r.Late != 900 {
				t.Errorf("sent %d received %d lost %d (%.2f%%) late %d, want 1000 sent, 100 lost and 900 received (or late)",
					r.Sent, r.Received, r.Lost, r.LostPct, r.Late)
			}
			if r.Late == 0 && r.LostPct != 10 {
				t.Errorf("lost %.3f%%, want 10%%", r.LostPct)
			}
			if r.Duplicates != 0 || r.Bad != 0 {
				t.Errorf("duplicates %d bad %d, want 0", r.Duplicates, r.Bad)
			}
			// Were the window to wait out --timeout for each lost datagram,
			// the run would take 100 x 200ms = 20s; a clean run takes well
			// under a second. 10s tells them apart on a loaded machine too.
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("took %v: lost datagrams stall the window", took)
			}
		})
	}
}

// A pingpong bench goes on after a lost datagram, once --timeout is up.
func TestBenchPingPongLoss(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.ServeFunc(t, s, func(i int, d []byte) [][]byte {
		if i%4 == 3 {
			return nil
		}
		return [][]byte{d}
	})
	// --timeout is long enough for a reply on a loaded machine: only the
	// dropped datagrams are lost.
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Mode: echo.BenchPingPong, Count: 40, Timeout: 400 * time.Millisecond})
	if r.Sent != 40 || r.Lost != 10 || r.Received != 30 {
		t.Errorf("sent %d received %d lost %d, want 40, 30, 10", r.Sent, r.Received, r.Lost)
	}
}

func TestBenchReorder(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	var held []byte
	echotest.ServeFunc(t, s, func(i int, d []byte) [][]byte {
		// Swap each pair: 1, 0, 3, 2, ...
		if i%2 == 0 {
			held = d
			return nil
		}
		return [][]byte{d, held}
	})
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 1000, Inflight: 8})
	if r.Reordered != 500 || r.Received != 1000 || r.Lost != 0 {
		t.Errorf("reordered %d received %d lost %d, want 500 of 1000 reordered, none lost", r.Reordered, r.Received, r.Lost)
	}
}

func TestBenchDuplicates(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.ServeFunc(t, s, func(i int, d []byte) [][]byte {
		if i%5 == 0 {
			return [][]byte{d, d, d}
		}
		return [][]byte{d}
	})
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 1000, Inflight: 8})
	if r.Duplicates != 400 || r.Received != 1000 || r.Lost != 0 || r.Reordered != 0 {
		t.Errorf("duplicates %d received %d lost %d reordered %d, want 400 (two more of every 5th), 1000, 0, 0",
			r.Duplicates, r.Received, r.Lost, r.Reordered)
	}
}

// A reply after --timeout is late: the datagram counts lost, and its reply
// late, not received.
func TestBenchLate(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.ServeFunc(t, s, func(i int, d []byte) [][]byte {
		if i%10 == 0 && i < 30 {
			// The delay is the behaviour under test: a reply 450ms
			// late, after the 300ms --timeout (both far from the
			// round trips of a loaded machine).
			go func() { time.Sleep(450 * time.Millisecond); s.WriteTo(d, c.LocalAddr()) }()
			return nil
		}
		return [][]byte{d}
	})
	// Paced, so that the bench is still running when the last late reply
	// comes, 450ms after datagram 20 (at 0.5s of a 1.25s run).
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Mode: echo.BenchPingPong, Count: 50, Rate: 40, Timeout: 300 * time.Millisecond})
	if r.Sent != 50 || r.Lost != 3 || r.Late != 3 || r.Received != 47 {
		t.Errorf("sent %d received %d lost %d late %d, want 50, 47, 3, 3", r.Sent, r.Received, r.Lost, r.Late)
	}
}

// Replies that are not echoes of what was sent are counted bad, not received.
func TestBenchBadReplies(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.ServeFunc(t, s, func(i int, d []byte) [][]byte {
		switch i % 4 {
		case 1:
			return [][]byte{[]byte("hello"), d} // no header: bad
		case 2:
			return [][]byte{d[:len(d)-1]} // truncated: bad, and lost
		case 3:
			m := append([]byte(nil), d...)
			m[len(m)-1] ^= 1
			return [][]byte{m, d} // changed: bad
		}
		return [][]byte{d}
	})
	// --timeout is long enough for a reply on a loaded machine: only the
	// truncated replies' datagrams are lost.
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 400, Inflight: 32, Timeout: 200 * time.Millisecond})
	if r.Bad != 300 || r.Received != 300 || r.Lost != 100 {
		t.Errorf("bad %d received %d lost %d, want 300, 300, 100", r.Bad, r.Received, r.Lost)
	}
}

// Jitter follows RFC 3550: with every other reply delayed by d, each
// transit time differs from the last by d, and the jitter is about d.
func TestBenchJitter(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	var slept, n atomic.Int64 // the delays as the server really took them
	echotest.ServeFunc(t, s, func(i int, d []byte) [][]byte {
		if i%2 == 1 {
			// The delay is the behaviour under test: the jitter.
			start := time.Now()
			time.Sleep(10 * time.Millisecond) // far above a loaded machine's own jitter
			slept.Add(int64(time.Since(start)))
			n.Add(1)
		}
		return [][]byte{d}
	})
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Mode: echo.BenchPingPong, Count: 100})
	d := float64(slept.Load()) / 1e3 / float64(n.Load())
	// A loaded machine adds its own jitter (the sleeps themselves vary):
	// the bounds say the figure is RFC 3550's, not that the machine is
	// quiet.
	if r.JitterUs < 0.5*d || r.JitterUs > 2.5*d {
		t.Errorf("jitter %.0fµs with every other reply delayed %.0fµs, want about that", r.JitterUs, d)
	}
}

func TestBenchNoServer(t *testing.T) {
	f := benchFamilies[2]
	_, c := openPair(t, f)
	peer := &net.UnixAddr{Name: filepath.Join(t.TempDir(), "nobody"), Net: "unixgram"}
	_, err := echo.Bench(context.Background(), c, peer, echo.BenchConfig{Count: 10})
	if err == nil || !strings.Contains(err.Error(), "serve") {
		t.Errorf("bench against no unix server: err %v, want one that says to start a server", err)
	}
}

func TestBenchInterrupt(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := echo.Bench(ctx, c, s.LocalAddr(), echo.BenchConfig{Duration: time.Hour, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// A bench that missed the end of its context would run for the hour:
	// 10s tells it apart on a loaded machine too. How promptly it stops,
	// and how much it sent meanwhile, depend on the load: checked without
	// -short only (CI runs alone).
	maxTook := time.Second
	if testing.Short() {
		maxTook = 10 * time.Second
	}
	if took := time.Since(start); took > maxTook {
		t.Errorf("bench took %v to stop after its context ended at 300ms", took)
	}
	if !r.Interrupted || r.Sent < 200 && !testing.Short() || r.Lost != 0 {
		t.Errorf("interrupted %v sent %d lost %d: want interrupted, ~300 sent, none lost (in flight is not counted)", r.Interrupted, r.Sent, r.Lost)
	}
}

func TestBenchConfigErrors(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	for _, cfg := range []echo.BenchConfig{{Size: 10}, {Size: 70000}, {Rate: -1}} {
		if _, err := echo.Bench(context.Background(), c, s.LocalAddr(), cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func TestBenchReportJSON(t *testing.T) {
	s, c := openPair(t, benchFamilies[0])
	echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 100})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, k := range []string{"sent", "received", "lost", "lost_pct", "reordered", "duplicates", "late", "echoes_per_sec",
		"mbit_per_sec", "jitter_us", "latency_us", "cpu_user_s", "cpu_sys_s", "samples"} {
		if _, ok := m[k]; !ok {
			missing = append(missing, k)
		}
	}
	lat, _ := m["latency_us"].(map[string]any)
	for _, k := range []string{"min", "p50", "p90", "p99", "p999", "max", "mean"} {
		if _, ok := lat[k]; !ok {
			missing = append(missing, "latency_us."+k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		t.Errorf("report JSON lacks %v: %s", missing, b)
	}
}

func TestParseBenchReply(t *testing.T) {
	for _, tc := range []struct {
		in   string
		size int
		ok   bool
		seq  uint64
	}{
		{"~sLb000000000000002a00000000000003e8xyz", 39, true, 42},
		{"[Tue Nov 24 19:08:00 2026] ~sLb000000000000002a00000000000003e8", 36, true, 42},
		{"~sLb000000000000002a00000000000003e8", 37, false, 0}, // shorter than sent
		{"~sLb000000000000002A00000000000003e8", 36, false, 0}, // not our hex
		{"hello", 5, false, 0},
		{"~sLb00", 6, false, 0},
	} {
		seq, _, ok := echo.ParseBenchReply([]byte(tc.in), tc.size)
		if ok != tc.ok || seq != tc.seq {
			t.Errorf("ParseBenchReply(%q, %d) = %d, %v; want %d, %v", tc.in, tc.size, seq, ok, tc.seq, tc.ok)
		}
	}
}

func FuzzParseBenchReply(f *testing.F) {
	f.Add([]byte("~sLb000000000000002a00000000000003e8xyz"), 39)
	f.Add([]byte("[x] ~sLb0"), 3)
	f.Fuzz(func(t *testing.T, b []byte, size int) {
		echo.ParseBenchReply(b, size)
	})
}

// selfEcho opens a socket that sends to itself: each datagram is its own
// reply, so the bench loop runs with no server to wait for.
func selfEcho(t testing.TB, f benchFamily) (families.Conn, net.Addr) {
	addr := f.addr(t)
	if f.def.Spec.Family == families.AF_UNIX {
		addr = "" // autobind
	}
	c, err := f.def.Open(families.Options{Addr: addr})
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr()
}

// The bench loop allocates nothing per datagram: a run of 20000 allocates
// no more than a run of 2000 (only the report and its buffers).
func TestBenchAllocs(t *testing.T) {
	for _, f := range []benchFamily{benchFamilies[0], benchFamilies[2]} {
		for _, plain := range []bool{false, true} {
			if plain {
				// Go's ReadFrom builds an address for every datagram.
				continue
			}
			t.Run(f.def.Name, func(t *testing.T) {
				c, peer := selfEcho(t, f)
				allocs := func(n uint64) float64 {
					return testing.AllocsPerRun(2, func() {
						r, err := echo.Bench(context.Background(), c, peer, echo.BenchConfig{Count: n, Plain: plain})
						if err != nil || r.Received != n {
							t.Fatalf("received %d of %d: %v", r.Received, n, err)
						}
					})
				}
				small, large := allocs(2000), allocs(20000)
				if large > small+20 {
					t.Errorf("a bench of 2000 datagrams allocates %.0f times, of 20000 %.0f: it allocates per datagram", small, large)
				}
			})
		}
	}
}

// BenchmarkBenchLoop measures the client side of bench, per datagram, on a
// socket that sends to itself.
func BenchmarkBenchLoop(b *testing.B) {
	for _, f := range []benchFamily{benchFamilies[0], benchFamilies[2]} {
		for _, plain := range []bool{false, true} {
			name := f.def.Name + "/batch"
			if plain {
				name = f.def.Name + "/plain"
			}
			b.Run(name, func(b *testing.B) {
				c, peer := selfEcho(b, f)
				b.ReportAllocs()
				b.ResetTimer()
				r, err := echo.Bench(context.Background(), c, peer, echo.BenchConfig{Count: uint64(b.N), Plain: plain})
				if err != nil || r.Received != uint64(b.N) {
					b.Fatalf("received %d of %d: %v", r.Received, b.N, err)
				}
			})
		}
	}
}

// BenchmarkBenchEcho measures bench against socklab's echo server in this
// process, per echo.
func BenchmarkBenchEcho(b *testing.B) {
	for _, mode := range []echo.BenchMode{echo.BenchThroughput, echo.BenchPingPong} {
		b.Run(mode.String(), func(b *testing.B) {
			s, c := openPair(b, benchFamilies[0])
			echotest.Serve(b, s, echo.ServerConfig{Reply: echo.ReplyEcho})
			b.ReportAllocs()
			b.ResetTimer()
			r, err := echo.Bench(context.Background(), c, s.LocalAddr(), echo.BenchConfig{Mode: mode, Count: uint64(b.N)})
			if err != nil || r.Received != uint64(b.N) {
				b.Fatalf("received %d of %d: %v", r.Received, b.N, err)
			}
		})
	}
}

func BenchmarkParseBenchReply(b *testing.B) {
	reply := []byte("[Tue Nov 24 19:08:00 2026] ~sLb000000000000002a00000000000003e8" + strings.Repeat("x", 28))
	b.ReportAllocs()
	for b.Loop() {
		echo.ParseBenchReply(reply, 64)
	}
}

// A unix server that goes away mid-run: sends fail (ENOENT) from then on, and
// bench counts those datagrams lost instead of stopping or stalling.
func TestBenchServerGoesAway(t *testing.T) {
	s, c := openPair(t, benchFamilies[2])
	go func() {
		// Answer 100 datagrams, then close: the socket file goes too.
		buf := make([]byte, 2048)
		for range 100 {
			n, _, from, err := s.ReadMsg(buf)
			if err != nil {
				return
			}
			s.WriteTo(buf[:n], from)
		}
		s.Close()
	}()
	r := runBench(t, c, s.LocalAddr(), echo.BenchConfig{Count: 300, Inflight: 4, Timeout: 500 * time.Millisecond})
	if r.Sent != 300 || r.Received != 100 || r.Lost != 200 {
		t.Errorf("sent %d received %d lost %d: want 300 sent, the 100 answered before the server left received, 200 lost", r.Sent, r.Received, r.Lost)
	}
}
