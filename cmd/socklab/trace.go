package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/families"
)

// traceDest is --trace's value: "" for none, "-" for stderr (the flag
// alone), or a file.
type traceDest string

// Decode takes --trace alone as stderr and --trace=FILE as a file; a
// following argument is never taken as the file.
func (d *traceDest) Decode(ctx *kong.DecodeContext) error {
	if ctx.Scan.Peek().Type != kong.FlagValueToken {
		*d = "-"
		return nil
	}
	t, err := ctx.Scan.PopValue("file")
	if err != nil {
		return err
	}
	s := fmt.Sprint(t.Value)
	if s == "" {
		return fmt.Errorf("no file named: give --trace for stderr, or --trace=FILE")
	}
	*d = traceDest(s)
	return nil
}

// IsBool lets --trace stand without a value.
func (d *traceDest) IsBool() bool { return true }

// globalFlags are the flags of every command: what socklab shows of the
// sockets it uses. They start before the command runs (AfterApply) and
// stop after it (close, from run).
type globalFlags struct {
	Trace traceDest `help:"Print each socket system call as it happens, as strace does, with its descriptor, arguments and result: --trace to stderr, --trace=FILE to a file."`

	obs *observer // what is running, for close
}

// AfterApply starts what the command line asks for: the trace, and the
// command's --pcap, -x and -v.
func (g *globalFlags) AfterApply(kctx *kong.Context, app *App) error {
	o := &observer{app: app}
	g.obs = o
	if err := o.startTrace(string(g.Trace)); err != nil {
		return err
	}
	want, verbose := commandObserved(kctx)
	if err := o.startCapture(want, verbose, app); err != nil {
		g.close(true)
		return err
	}
	if err := o.startDiagram(want.diagram, commandName(kctx)); err != nil {
		g.close(true)
		return err
	}
	o.hook()
	if o.pcap != nil || o.trace != nil && o.trace.file != nil {
		o.flushOnSignal()
	}
	return nil
}

// close stops tracing and capturing and flushes what they wrote; failed
// as observer.close.
func (g *globalFlags) close(failed bool) {
	if g.obs != nil {
		g.obs.close(failed)
		g.obs = nil
	}
}

// tracer writes each socket call on a line of its own.
type tracer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  *bufio.Writer // for a file; nil for stderr, written line by line
	file *outFile
	// resolver is package net's default resolver, restored at close:
	// while tracing, DNS queries go through families' sockets.
	resolver *net.Resolver
}

// startTrace opens dest ("-" is stderr) and sets the families Tracer.
func (o *observer) startTrace(dest string) error {
	if dest == "" {
		return nil
	}
	t := &tracer{w: o.app.Stderr, resolver: net.DefaultResolver}
	if dest != "-" {
		f, err := openOutFile(dest)
		if err != nil {
			return fmt.Errorf("--trace=%s: %w", dest, err)
		}
		t.file, t.buf = f, bufio.NewWriterSize(f, 64<<10)
		t.w = t.buf
	}
	o.trace = t
	net.DefaultResolver = families.Resolver()
	return nil
}

// call writes one call: families.Tracer.
func (t *tracer) call(c families.Call) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, termSafe(c.String())+"\n")
}

// flush writes out a trace file's buffer.
func (t *tracer) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.buf != nil {
		t.buf.Flush()
	}
}

// stop restores the resolver, and flushes and closes the file; the
// Tracer is unset already.
func (t *tracer) stop(failed bool) error {
	net.DefaultResolver = t.resolver
	t.flush()
	switch {
	case t.file == nil:
		return nil
	case failed && !t.file.begun:
		return t.file.abandon() // no call to tell
	}
	return t.file.finish()
}
