package main

import (
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// benchFlags are the flags every bench command has.
type benchFlags struct {
	Mode     string       `default:"throughput" enum:"throughput,pingpong" help:"pingpong: one datagram in flight, for latency; throughput: --inflight datagrams in flight, for echoes per second."`
	Inflight int          `default:"64" min:"1" help:"Datagrams in flight in throughput mode."`
	Size     int          `default:"64" min:"36" want:"at least 36 bytes, the bench header" help:"Payload bytes per datagram, the 36-byte bench header included."`
	Duration benchSeconds `short:"d" default:"5s" min:">0" want:"a positive duration, e.g. 10s" help:"How long to send (after --warmup)."`
	Count    uint64       `short:"c" min:"1" placeholder:"N" help:"Send N datagrams instead of running for --duration."`
	Rate     float64      `min:"0" placeholder:"PER_SEC" help:"Send at most this many datagrams per second, to measure latency under a given load (default: as fast as the window allows)."`
	Warmup   benchSeconds `default:"0s" min:"0" want:"0 or a positive duration" help:"Send for this long before measuring; nothing sent then is counted."`
	Timeout  benchSeconds `default:"1s" min:">0" want:"a positive duration, e.g. 1s" help:"A datagram with no reply after this long is counted lost, and its place in the window reused; a reply after it is counted late."`
	Plain    bool         `help:"One sendto/recvfrom per datagram instead of batches with sendmmsg/recvmmsg."`
	JSON     bool         `name:"json" help:"Print the report as one JSON object (fields above), and a failure as an error object."`
	Fd       int          `default:"-1" min:"0" placeholder:"N" help:"Adopt open socket descriptor N instead of creating a socket."`

	benchPlotFlags `embed:""`
	benchIPFlags   `embed:""`
	spinFlags      `embed:""`

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
exit status is 1 when no reply came back at all, or when an ICMP port
unreachable says nothing listens there (bench stops at once then).

--json prints one object with these fields (counts cover the measured part,
not the warmup; latencies are round trips in microseconds):
  event ("bench"), time, family, socket, peer, mode, io ("sendmmsg/recvmmsg
  connected"; "sendto/recvfrom connected" with --plain; "sendto/recvfrom"
  where batches do not work), size, inflight, rate, elapsed_s
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
	To         string `placeholder:"ADDR:PORT" help:"Server address, as ADDR."`
	Bind       string `placeholder:"ADDR:PORT" help:"Local address to send from (default: any address, an ephemeral port)."`
	Addr       string `arg:"" optional:"" name:"ADDR" help:"Server address (default: the seed's 127.0.0.1:8020, [::1]:8020 for udp6)."`
}

func (c *udpBenchCmd) Run(app *App) error { return runBench(app, c.Addr, c.To, c.Bind, c.benchFlags) }

type unixBenchCmd struct {
	benchFlags `embed:""`
	To         string `aliases:"path" placeholder:"PATH" help:"Server socket, as ADDR; also --path."`
	Bind       string `placeholder:"PATH" help:"Own address, so replies can reach us: a path (removed on exit) or @name (default: autobind)."`
	Addr       string `arg:"" optional:"" name:"ADDR" help:"Server socket: a path or @name (default: @socklab)."`
}

func (c *unixBenchCmd) Run(app *App) error { return runBench(app, c.Addr, c.To, c.Bind, c.benchFlags) }

type socketBenchCmd struct {
	benchFlags `embed:""`
	To         string `placeholder:"ADDR" help:"Server address, as ADDR."`
	Bind       string `placeholder:"ADDR" help:"Own address (default: ephemeral port or autobind)."`
	Addr       string `arg:"" optional:"" name:"ADDR" help:"Server address: HOST:PORT, a unix path or @name (default: the family's)."`
}

func (c *socketBenchCmd) Run(app *App) error {
	return runBench(app, c.Addr, c.To, c.Bind, c.benchFlags)
}

// benchSeconds is a duration flag that also takes plain seconds: 10, 0.5, 1m30s.
type benchSeconds time.Duration

// UnmarshalText reads "2.5" as seconds, anything else as a Go duration.
// Seconds that no duration holds (NaN, infinities, more than about 292
// years) are refused by name.
func (d *benchSeconds) UnmarshalText(b []byte) error {
	if f, err := strconv.ParseFloat(string(b), 64); err == nil || errors.Is(err, strconv.ErrRange) {
		ns := f * float64(time.Second)
		if math.IsNaN(ns) {
			return fmt.Errorf("%q is not a number of seconds", b)
		}
		if err != nil || ns >= math.MaxInt64 || ns < math.MinInt64 {
			return fmt.Errorf("%q: more seconds than a duration holds (about 292 years)", b)
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

// config converts the flags to an echo.BenchConfig. kong checked their
// ranges (see checkRanges); the library checks them again in its words.
func (f benchFlags) config() (echo.BenchConfig, error) {
	mode, err := echo.ParseBenchMode(f.Mode)
	if err != nil {
		return echo.BenchConfig{}, usageError{err}
	}
	return echo.BenchConfig{Mode: mode, Inflight: f.Inflight, Size: f.Size, Duration: time.Duration(f.Duration), Count: f.Count,
		Rate: f.Rate, Warmup: time.Duration(f.Warmup), Timeout: time.Duration(f.Timeout), Plain: f.Plain,
		Spin: f.spin(), Connect: true}, nil // the socket is ours, and closed after
}

// errNoReplies is returned, after the report, when nothing came back.
var errNoReplies = errors.New("no replies")

func runBench(app *App, addr, to, bind string, f benchFlags) error {
	if err := noEcho(app, "bench"); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	p, err := benchPeer(app, addr, to)
	if err != nil {
		return err
	}
	c, err := f.benchIPFlags.open(app, bind, f.Fd, &p.addr, &cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	if !f.JSON {
		if p.note != "" {
			app.note(p.note)
		}
		app.note(benchHeader(app, cfg, f, p.addr, c))
	}
	showProgress(app, &cfg)
	r, err := echo.Bench(app.Ctx, c, p.addr, cfg)
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
	return noReplies(c, p.addr, r)
}

// benchPeer is the server a bench measures: ADDR or --to, or the family's
// default address.
func benchPeer(app *App, addr, to string) (peer, error) {
	if addr != "" && to != "" {
		return peer{}, usageError{errBothAddrs}
	}
	addr = orDefault(orDefault(addr, to), app.Def.DefaultAddr)
	p, err := resolvePeer(app.Def, addr)
	if err != nil {
		return peer{}, peerError(app, err, addr, false, "bench")
	}
	return p, nil
}

// showProgress has the bench print a progress line a second on stderr,
// when stderr is a terminal.
func showProgress(app *App, cfg *echo.BenchConfig) {
	if file, ok := app.Stderr.(*os.File); ok && isTerminal(file) {
		cfg.OnSample = func(s echo.Sample) { fmt.Fprintln(app.Stderr, sampleLine(s)) }
	}
}

// benchHeader says what the bench measures, before it starts.
func benchHeader(app *App, cfg echo.BenchConfig, f benchFlags, to net.Addr, c families.Conn) string {
	length := cfg.Duration.String()
	if f.Count > 0 {
		length = plural(f.Count, "datagram", "datagrams")
	}
	return fmt.Sprintf("%s bench %s to %s from %s: %s, %s, %d bytes, %s",
		app.Def.Name, cfg.Mode, to, addrString(c.LocalAddr()), length, inflightText(cfg), cfg.Size, warmupText(cfg.Warmup))
}

// inflightText is how many messages a bench keeps in flight, and its rate
// limit, for the header.
func inflightText(cfg echo.BenchConfig) string {
	what := fmt.Sprintf("%d in flight", cfg.Inflight)
	if cfg.Mode == echo.BenchPingPong {
		what = "one in flight"
	}
	if cfg.Rate > 0 {
		what += fmt.Sprintf(", at most %g/s", cfg.Rate)
	}
	return what
}

// noReplies is the error of a bench that got no reply at all, after its
// report: nothing answered, or nothing answered with the payload sent.
func noReplies(c families.Conn, to net.Addr, r echo.BenchReport) error {
	if r.Received > 0 || r.Sent == 0 {
		return nil
	}
	e := &families.Error{Op: "bench", Spec: c.Spec(), Addr: to.String(), Err: fmt.Errorf("%w to %d datagrams", errNoReplies, r.Sent),
		Hint: "is an echo server running there? start an echo server there", Terms: []families.Term{families.TermServer}}
	if r.Bad > 0 {
		e.Hint = fmt.Sprintf("%d replies came back but not the payload sent: does the server truncate (the seed's reads 1024 bytes)? try a smaller datagram size", r.Bad)
		e.Terms = []families.Term{families.TermSize}
	}
	return e
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
	if r.Received == 0 {
		// No round trip was measured: no figure is better than a 0.
		fmt.Fprintln(w, "  jitter      -")
		fmt.Fprintln(w, "  latency µs  -  (no replies)")
	} else {
		fmt.Fprintf(w, "  jitter      %.1f µs\n", r.JitterUs)
		fmt.Fprintf(w, "  latency µs  min %.1f  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  mean %.1f\n",
			l.Min, l.P50, l.P90, l.P99, l.P999, l.Max, l.Mean)
	}
	fmt.Fprintf(w, "  cpu         user %.2fs  sys %.2fs%s\n", r.CPUUser, r.CPUSys, cpu)
	printIPReport(w, r)
}
