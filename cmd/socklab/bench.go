package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// benchFlags are the flags every bench command has.
type benchFlags struct {
	Mode     string       `default:"throughput" enum:"throughput,pingpong" help:"pingpong: one datagram in flight, for latency; throughput: --inflight datagrams in flight, for echoes per second."`
	Inflight int          `default:"64" help:"Datagrams in flight in throughput mode."`
	Size     int          `default:"64" help:"Payload bytes per datagram, the 36-byte bench header included."`
	Duration benchSeconds `short:"d" default:"5s" help:"How long to send (after --warmup)."`
	Count    uint64       `short:"c" placeholder:"N" help:"Send N datagrams instead of running for --duration."`
	Rate     float64      `placeholder:"PER_SEC" help:"Send at most this many datagrams per second, to measure latency under a given load (default: as fast as the window allows)."`
	Warmup   benchSeconds `default:"0s" help:"Send for this long before measuring; nothing sent then is counted."`
	Timeout  benchSeconds `default:"1s" help:"A datagram with no reply after this long is counted lost, and its place in the window reused; a reply after it is counted late."`
	Plain    bool         `help:"One sendto/recvfrom per datagram instead of batches with sendmmsg/recvmmsg."`
	JSON     bool         `name:"json" help:"Print the report as one JSON object (fields above)."`
	Fd       int          `default:"-1" placeholder:"N" help:"Adopt open socket descriptor N instead of creating a socket."`

	benchPlotFlags `embed:""`

	pcapVerboseFlags `embed:""`
}

// Help is the detailed help of every bench command.
func (benchFlags) Help() string {
	return `Sends datagrams to an echo server and measures the replies, like sockperf
and iperf3's UDP mode. Each datagram starts with a 36-byte ASCII header,
"~sLb" + 16 hex digits of sequence number + 16 of send time, and bench finds
it anywhere in the reply, so any server that echoes the payload works, even
one that adds a prefix: socklab serve (either --reply), the seed's Python
server (keep --size under its 1024-byte buffer), socat.

A progress line goes to stderr once a second when stderr is a terminal. The
exit status is 1 when no reply came back at all.

--json prints one object with these fields (counts cover the measured part,
not the warmup; latencies are round trips in microseconds):
  event ("bench"), family, socket, peer, mode, io ("sendmmsg/recvmmsg
  connected", or "sendto/recvfrom" with --plain or where batches do not
  work), size, inflight, rate, elapsed_s
  sent, received        datagrams sent; replies within --timeout, each once
  lost, lost_pct        sent - received: no reply within --timeout
  late                  replies that came after --timeout (in lost too)
  reordered             replies that came after a reply to a later datagram
  duplicates            second and later replies to one datagram
  bad                   replies with no header, or not the payload sent
  echoes_per_sec, mbit_per_sec   replies per second; payload Mbit/s one way
  jitter_us             RFC 3550 interarrival jitter
  latency_us            {min, p50, p90, p99, p999, max, mean}
  cpu_user_s, cpu_sys_s CPU time of this process while measuring
  interrupted           true when stopped by a signal
  samples               one per second: {t_s, sent, received, lost,
                        echoes_per_sec, mbit_per_sec, p50_us, p99_us, max_us}
  percentiles           the latency distribution, [{pct, us}] from 0 to 100%,
                        for socklab plot`
}

type udpBenchCmd struct {
	benchFlags `embed:""`
	Bind       string `placeholder:"ADDR:PORT" help:"Local address to send from (default: any address, an ephemeral port)."`
	Addr       string `arg:"" optional:"" name:"ADDR" help:"Server address (default: the seed's 127.0.0.1:8020, [::1]:8020 for udp6)."`
}

func (c *udpBenchCmd) Run(app *App) error { return runBench(app, c.Addr, c.Bind, c.benchFlags) }

type unixBenchCmd struct {
	benchFlags `embed:""`
	Path       string `placeholder:"PATH" help:"Server socket: a path or @name (default: @socklab)."`
	Bind       string `placeholder:"PATH" help:"Own address, so replies can reach us: a path (removed on exit) or @name (default: autobind)."`
}

func (c *unixBenchCmd) Run(app *App) error { return runBench(app, c.Path, c.Bind, c.benchFlags) }

type socketBenchCmd struct {
	benchFlags `embed:""`
	To         string `placeholder:"ADDR" help:"Server address: HOST:PORT, a unix path or @name (default: the family's)."`
	Bind       string `placeholder:"ADDR" help:"Own address (default: ephemeral port or autobind)."`
}

func (c *socketBenchCmd) Run(app *App) error { return runBench(app, c.To, c.Bind, c.benchFlags) }

// benchSeconds is a duration flag that also takes plain seconds: 10, 0.5, 1m30s.
type benchSeconds time.Duration

// UnmarshalText reads "2.5" as seconds, anything else as a Go duration.
func (d *benchSeconds) UnmarshalText(b []byte) error {
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		ns := f * float64(time.Second)
		if math.IsNaN(ns) || ns >= math.MaxInt64 || ns < math.MinInt64 {
			return fmt.Errorf("%q: %v seconds is more than a duration holds (about 292 years)", b, f)
		}
		*d = benchSeconds(ns)
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q: want seconds (10, 0.5) or a duration (1m30s, 200ms)", b)
	}
	*d = benchSeconds(v)
	return nil
}

func (d benchSeconds) String() string { return time.Duration(d).String() }

// config checks the flags and converts them to an echo.BenchConfig.
func (f benchFlags) config() (echo.BenchConfig, error) {
	mode, err := echo.ParseBenchMode(f.Mode)
	if err != nil {
		return echo.BenchConfig{}, err
	}
	switch {
	case f.Inflight < 1:
		return echo.BenchConfig{}, fmt.Errorf("--inflight %d: want 1 or more datagrams", f.Inflight)
	case f.Size < echo.BenchHeaderLen:
		return echo.BenchConfig{}, fmt.Errorf("--size %d: want at least %d bytes, the bench header", f.Size, echo.BenchHeaderLen)
	case f.Duration <= 0 && f.Count == 0:
		return echo.BenchConfig{}, fmt.Errorf("--duration %v: want a positive duration, e.g. 10s, or --count N", f.Duration)
	case f.Rate < 0:
		return echo.BenchConfig{}, fmt.Errorf("--rate %v: want datagrams per second, e.g. 10000", f.Rate)
	case f.Warmup < 0:
		return echo.BenchConfig{}, fmt.Errorf("--warmup %v: want 0 or a positive duration", f.Warmup)
	case f.Timeout <= 0:
		return echo.BenchConfig{}, fmt.Errorf("--timeout %v: want a positive duration, e.g. 1s", f.Timeout)
	}
	return echo.BenchConfig{Mode: mode, Inflight: f.Inflight, Size: f.Size, Duration: time.Duration(f.Duration), Count: f.Count,
		Rate: f.Rate, Warmup: time.Duration(f.Warmup), Timeout: time.Duration(f.Timeout), Plain: f.Plain,
		Connect: true}, nil // the socket is ours, and closed after
}

// errNoReplies is returned, after the report, when nothing came back.
var errNoReplies = errors.New("no replies")

func runBench(app *App, to, bind string, f benchFlags) error {
	if app.Def.Open == nil {
		return fmt.Errorf("%s has no bench: see socklab %s --help", app.Def.Name, app.Def.Name)
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	if to == "" {
		to = app.Def.DefaultAddr
	}
	peer, err := app.Def.ResolveAddr(to)
	if err != nil {
		return err
	}
	c, err := open(app, bind, f.Fd, 0, func(msg string) { fmt.Fprintln(app.Stderr, "socklab:", msg) })
	if err != nil {
		return err
	}
	defer c.Close()
	if !f.JSON {
		what := fmt.Sprintf("%d in flight", cfg.Inflight)
		if cfg.Mode == echo.BenchPingPong {
			what = "one in flight"
		}
		if cfg.Rate > 0 {
			what += fmt.Sprintf(", at most %g/s", cfg.Rate)
		}
		length := cfg.Duration.String()
		if f.Count > 0 {
			length = fmt.Sprintf("%d datagrams", f.Count)
		}
		fmt.Fprintf(app.Stderr, "socklab: %s bench %s to %s from %s: %s, %s, %d bytes, %s\n",
			app.Def.Name, cfg.Mode, peer, addrString(c.LocalAddr()), length, what, cfg.Size, warmupText(cfg.Warmup))
	}
	if file, ok := app.Stderr.(*os.File); ok && isTerminal(file) {
		cfg.OnSample = func(s echo.Sample) { fmt.Fprintln(app.Stderr, sampleLine(s)) }
	}
	r, err := echo.Bench(app.Ctx, c, peer, cfg)
	if err != nil {
		return err
	}
	if f.JSON {
		writeJSON(app.Stdout, benchJSON{Event: "bench", Family: app.Def.Name, Socket: c.Spec().String(), BenchReport: r})
	} else {
		printReport(app, r)
	}
	if err := f.plot(app, r); err != nil {
		return err
	}
	if r.Received == 0 && r.Sent > 0 {
		hint := "is an echo server running there? start one with socklab " + app.Def.Name + " serve"
		if r.Bad > 0 {
			hint = fmt.Sprintf("%d replies came back but not the payload sent: does the server truncate (the seed's reads 1024 bytes)? try a smaller --size", r.Bad)
		}
		return &families.Error{Op: "bench", Spec: c.Spec(), Addr: peer.String(),
			Err: fmt.Errorf("%w to %d datagrams", errNoReplies, r.Sent), Hint: hint}
	}
	return nil
}

func warmupText(d time.Duration) string {
	if d <= 0 {
		return "no warmup"
	}
	return d.String() + " warmup"
}

// benchJSON is the --json report: the echo.BenchReport fields, and which
// socket sent them.
type benchJSON struct {
	Event  string `json:"event"`
	Family string `json:"family"`
	Socket string `json:"socket"`
	echo.BenchReport
}

func sampleLine(s echo.Sample) string {
	return fmt.Sprintf("%5.0fs  sent %d  received %d  lost %d  %.0f echoes/s  %.1f Mbit/s  p50 %.1fµs  p99 %.1fµs  max %.1fµs",
		s.T, s.Sent, s.Received, s.Lost, s.EchoesPerSec, s.MbitPerSec, s.P50Us, s.P99Us, s.MaxUs)
}

func printReport(app *App, r echo.BenchReport) {
	w := app.Stdout
	if r.Interrupted {
		fmt.Fprintln(w, "interrupted: datagrams still in flight are not counted")
	}
	l := r.LatencyUs
	cpu := ""
	if r.Elapsed > 0 {
		cpu = fmt.Sprintf(" (%.0f%% of one core)", (r.CPUUser+r.CPUSys)/r.Elapsed*100)
	}
	fmt.Fprintf(w, "%s, %s, %d bytes, %d in flight, %.2fs\n", r.Mode, r.IO, r.Size, r.Inflight, r.Elapsed)
	fmt.Fprintf(w, "  sent        %d\n", r.Sent)
	fmt.Fprintf(w, "  received    %d\n", r.Received)
	fmt.Fprintf(w, "  lost        %d (%.3f%%)\n", r.Lost, r.LostPct)
	fmt.Fprintf(w, "  late        %d\n", r.Late)
	fmt.Fprintf(w, "  reordered   %d\n", r.Reordered)
	fmt.Fprintf(w, "  duplicates  %d\n", r.Duplicates)
	if r.Bad > 0 {
		fmt.Fprintf(w, "  bad         %d (no bench header, or not the payload sent)\n", r.Bad)
	}
	fmt.Fprintf(w, "  echoes/s    %.0f\n", r.EchoesPerSec)
	fmt.Fprintf(w, "  Mbit/s      %.2f (payload, one way)\n", r.MbitPerSec)
	fmt.Fprintf(w, "  jitter      %.1f µs\n", r.JitterUs)
	fmt.Fprintf(w, "  latency µs  min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n",
		l.Min, l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	fmt.Fprintf(w, "  cpu         user %.2fs  sys %.2fs%s\n", r.CPUUser, r.CPUSys, cpu)
}
