// Command socklab opens every kind of socket that
// socket(family, type, proto, fileno) offers and runs an echo server, a
// client and a load generator on it.
//
// This package is the command line only: it parses flags, calls the
// families, rawsock and echo packages, and prints what they return.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/rawsock"
)

// cli is the command tree: socklab FAMILY ACTION [flags] [args].
type cli struct {
	Families familiesCmd `cmd:"" help:"List the socket families, their socket() triples and whether each opens here."`
	UDP4     udpCmd      `cmd:"" name:"udp4" help:"UDP over IPv4: socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)."`
	UDP6     udpCmd      `cmd:"" name:"udp6" help:"UDP over IPv6: socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP)."`
	Unix     unixCmd     `cmd:"" name:"unix" help:"Unix datagram sockets: socket(AF_UNIX, SOCK_DGRAM, 0); paths, @abstract names, autobind."`
	TCP4     tcpCmd      `cmd:"" name:"tcp4" help:"TCP over IPv4: socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), a byte stream per connection."`
	TCP6     tcpCmd      `cmd:"" name:"tcp6" help:"TCP over IPv6: socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP), a byte stream per connection."`
	UnixStr  unixConnCmd `cmd:"" name:"unixstream" help:"Unix stream sockets: socket(AF_UNIX, SOCK_STREAM, 0), a byte stream per connection; SO_PEERCRED."`
	Seqpkt   unixConnCmd `cmd:"" name:"seqpacket" help:"Unix seqpacket sockets: socket(AF_UNIX, SOCK_SEQPACKET, 0), reliable ordered messages per connection."`
	ICMP4    icmpCmd     `cmd:"" name:"icmp4" help:"ICMP echo over IPv4: socket(AF_INET, SOCK_DGRAM or SOCK_RAW, IPPROTO_ICMP)."`
	ICMP6    icmpCmd     `cmd:"" name:"icmp6" help:"ICMPv6 echo: socket(AF_INET6, SOCK_DGRAM or SOCK_RAW, IPPROTO_ICMPV6)."`
	IP4      ip4Cmd      `cmd:"" name:"ip4" help:"Raw IPv4 with IP_HDRINCL: socklab builds the IP header itself."`
	Socket   socketCmd   `cmd:"" help:"Name the socket() triple yourself, or adopt an open descriptor with --fd."`
	Doctor   doctorCmd   `cmd:"" help:"Explain privileges: which sockets open here, CAP_NET_RAW, file capabilities, ping_group_range, and the fix for each."`
	Compare  compareCmd  `cmd:"" help:"Measure the seed's TCP-vs-UDP table: UDP, TCP, unix datagram, unix stream and seqpacket side by side, and which claims hold here."`
	Lab      labCmd      `cmd:"" help:"Build a small network of namespaces (client, router, server) with loss, rate and MTU, and run socklab in it."`

	Plot       plotCmd       `cmd:"" help:"Draw bench --json reports as one SVG: latency by percentile, echoes and losses per second."`
	Help       helpCmd       `cmd:"" help:"Print a command's help, or with --all every command's: the whole reference."`
	VersionCmd versionCmd    `cmd:"" name:"version" help:"Print the module version, VCS commit, Go version and platform."`
	Completion completionCmd `cmd:"" help:"Print the shell code for TAB completion in bash, zsh or fish."`

	Global globalFlags `embed:""`

	Version kong.VersionFlag `help:"Print the version and exit."`
}

// App is what every command's Run receives: the registry, the streams, the
// family the command line chose, and a context cancelled by a signal or
// by the loss of stdout.
type App struct {
	Registry *families.Registry
	Stdin    io.Reader
	// Stdout is where results go. A write to it that fails (a closed
	// pipe, a full disk) cancels Ctx, and the exit status says so.
	Stdout io.Writer
	Stderr io.Writer
	// StdinTerminal is true when Stdin is a terminal (prompt like the seed).
	StdinTerminal bool
	// Def is the family chosen by the command path (udp4 ...) or by
	// socklab socket's flags.
	Def *families.Definition
	Ctx context.Context

	out  *outWriter
	kctx *kong.Context
	argv argv
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func registry() *families.Registry {
	return families.NewRegistry(families.UDP4(), families.UDP6(), families.Unix(),
		families.TCP4(), families.TCP6(), families.UnixStream(), families.Seqpacket(), families.SCTP(),
		rawsock.ICMP4(), rawsock.ICMP6(), rawsock.IP4())
}

// stopSignals end a command as SIGINT does: a server prints its summary and
// removes its socket file, a client stops at once.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// startupGCPercent is the GC percent a server runs with while kong builds
// the command-line model and parses: that makes about 5 MB of garbage
// around 1.5 MB that stays, and the runtime's heap goal counts the globals
// too, among them gopacket/layers' 5 MB of tables (pcapgo needs them, for
// --pcap), so at the default 100 the heap grew to 7-8 MB before a collection
// and those pages stayed resident: the peak RSS of a server that then
// allocates nothing per datagram. At 10 it peaks near 3 MB: an idle udp4
// serve's VmHWM 16.3 MB before, 14.4 MB after (docs/benchmarks.md), for
// about 4 ms more startup. Only a command line with the word serve pays it
// (a serve command, or one that merely names it), and none when GOGC is
// set; restoreGCPercent puts the percent back before the command runs.
const startupGCPercent = 10

// restoreGCPercent puts back the GC percent main lowered to
// startupGCPercent, if it did; runParsed calls it once the command line is
// parsed, before the command runs. It is main's alone: the tests call run
// in parallel, and the GC percent is the process's.
var restoreGCPercent = func() {}

func main() {
	// A write to a closed stdout pipe fails with EPIPE, which socklab
	// reports, instead of killing it before it can clean up.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals...)
	if slices.Contains(os.Args[1:], "serve") && os.Getenv("GOGC") == "" {
		old := debug.SetGCPercent(startupGCPercent)
		restoreGCPercent = func() { debug.SetGCPercent(old) }
	}
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and runs the chosen command; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := &outWriter{w: stdout, lost: func(err error) { cancel(&outputLostError{err}) }}
	app := &App{Registry: registry(), Stdin: stdin, Stdout: out, Stderr: stderr, Ctx: ctx, out: out}
	if f, ok := stdin.(*os.File); ok {
		app.StdinTerminal = isTerminal(f)
	}
	var c cli
	exit := -1
	opts := append([]kong.Option{
		kong.Name("socklab"),
		kong.Description("Open any socket socket() offers; serve, send and measure echo on it."),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": buildVersion().String(), "messages": messagesHelp},
		kong.Writers(out, stderr),
		kong.Exit(func(code int) { exit = code; panic(exitPanic{}) }),
		kong.WithHyphenPrefixedParameters(true),
		kong.Bind(app),
	}, numberMappers()...)
	parser, err := kong.New(&c, opts...)
	if err != nil {
		fmt.Fprintln(stderr, "socklab:", err)
		return exitUsage
	}
	nameEchoSysctls(parser.Model)
	if completeLine(parser, stdout) {
		return exitOK
	}
	if len(args) == 0 {
		return usage(parser, stderr)
	}
	code := exitUsage
	// A command refused leaves no capture, trace or diagram file it
	// would have put nothing in, and an older one as it was.
	defer func() { c.Global.close(code == exitUsage || code == exitFailure) }()
	code = runParsed(parser, app, args, &exit)
	return code
}

type exitPanic struct{}

// usage prints the summary of every command, as --help does, on stderr:
// socklab alone is a command line that says nothing to do.
func usage(parser *kong.Kong, stderr io.Writer) int {
	kctx, err := kong.Trace(parser, nil)
	if err == nil {
		parser.Stdout = stderr
		err = kctx.PrintUsage(false)
	}
	if err != nil {
		fmt.Fprintln(stderr, "socklab:", err)
	}
	return exitUsage
}

func runParsed(parser *kong.Kong, app *App, args []string, exit *int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitPanic); !ok {
				panic(r)
			}
			code = *exit
		}
	}()
	app.argv = interspersed(parser.Model, args)
	kctx, err := parser.Parse(app.argv.args)
	if err == nil {
		app.kctx = kctx
		err = checkRanges(kctx)
	}
	if err != nil {
		app.fail(usageError{err})
		return exitUsage
	}
	if app.Def == nil {
		app.Def = selectedFamily(app.Registry, kctx.Selected())
	}
	restoreGCPercent()
	err = runCommand(kctx, app)
	if lost := app.out.Err(); lost != nil {
		// What the command could not print is gone: say so, whatever
		// else happened.
		if err != nil && !errors.Is(err, lost) && !errors.As(err, new(*outputLostError)) && !errors.As(err, new(reportedError)) {
			app.fail(err)
		}
		err = &outputLostError{lost}
	}
	if err != nil && !errors.As(err, new(reportedError)) {
		app.fail(err)
	}
	return exitCode(err)
}

// selectedFamily is the family a command path names (udp4 ...), or nil.
func selectedFamily(r *families.Registry, n *kong.Node) *families.Definition {
	for ; n != nil; n = n.Parent {
		if d, err := r.Lookup(n.Name); err == nil {
			return d
		}
	}
	return nil
}

// stopped is the error of a command whose context ended: interrupted by a
// signal, or stopped because its output was lost.
func (app *App) stopped() error {
	if err := context.Cause(app.Ctx); errors.As(err, new(*outputLostError)) {
		return err
	}
	return errInterrupted
}

// note writes one line on stderr, prefixed "socklab: ", escaped for a
// terminal: a newline in msg is written \n.
func (app *App) note(msg string) {
	fmt.Fprintln(app.Stderr, "socklab: "+termSafe(msg))
}

// noteLines is note for a message of several lines by design (an error
// that lists the sockets it tried): each line is escaped, the newlines
// between them kept.
func (app *App) noteLines(msg string) {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	fmt.Fprintln(app.Stderr, "socklab: "+strings.Join(lines, "\n"))
}

// writeJSON writes one NDJSON event on stdout.
func (app *App) writeJSON(v any) { writeJSON(app.Stdout, v) }

// outputLostError is stdout failing: what was written after it is lost.
type outputLostError struct{ err error }

func (e *outputLostError) Error() string {
	return fmt.Sprintf("output lost: %v", e.err)
}

func (e *outputLostError) Unwrap() error { return e.err }
