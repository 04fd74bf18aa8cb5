// Command socklab opens every kind of datagram socket that
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
// family the command line chose, and a context cancelled by SIGINT/SIGTERM.
type App struct {
	Registry *families.Registry
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	// StdinTerminal is true when Stdin is a terminal (prompt like the seed).
	StdinTerminal bool
	// Def is the family chosen by the command path (udp4 ...) or by
	// socklab socket's flags.
	Def *families.Definition
	Ctx context.Context
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func registry() *families.Registry {
	return families.NewRegistry(families.UDP4(), families.UDP6(), families.Unix(),
		rawsock.ICMP4(), rawsock.ICMP6(), rawsock.IP4())
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run parses args and runs the chosen command; it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &App{Registry: registry(), Stdin: stdin, Stdout: stdout, Stderr: stderr, Ctx: ctx}
	if f, ok := stdin.(*os.File); ok {
		app.StdinTerminal = isTerminal(f)
	}
	var c cli
	exit := -1
	parser, err := kong.New(&c,
		kong.Name("socklab"),
		kong.Description("Open any datagram socket socket() offers; serve, send and measure echo on it."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": buildVersion().String()},
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code; panic(exitPanic{}) }),
		kong.Bind(app),
	)
	if err != nil {
		fmt.Fprintln(stderr, "socklab:", err)
		return 2
	}
	nameEchoSysctls(parser.Model)
	if completeLine(parser, stdout) {
		return 0
	}
	defer c.Global.close()
	return runParsed(parser, app, args, &exit)
}

type exitPanic struct{}

func runParsed(parser *kong.Kong, app *App, args []string, exit *int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitPanic); !ok {
				panic(r)
			}
			code = *exit
		}
	}()
	kctx, err := parser.Parse(args)
	if err != nil {
		msg := err.Error()
		if strings.HasPrefix(msg, "unexpected argument") {
			// kong ends a list of messages at the first flag.
			msg += " (flags go before the messages: socklab FAMILY send [flags] [ADDR] MESSAGE...)"
		}
		fmt.Fprintln(app.Stderr, "socklab:", msg)
		return 2
	}
	if app.Def == nil {
		for n := kctx.Selected(); n != nil; n = n.Parent {
			if d, err := app.Registry.Lookup(n.Name); err == nil {
				app.Def = d
				break
			}
		}
	}
	if err := kctx.Run(app); err != nil {
		fmt.Fprintln(app.Stderr, "socklab:", err)
		if errors.Is(err, errInterrupted) {
			return 130 // as a shell reports a command stopped by SIGINT
		}
		return 1
	}
	return 0
}
