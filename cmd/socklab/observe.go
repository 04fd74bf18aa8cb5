package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/socklab/socklab/diagram"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/pcap"
)

// The per-command flags of what socklab shows of the datagrams, each set
// embedded (one line) in a command's flags: serve has -x and -v of its
// own, send has -x.

// pcapFlags are --pcap and --pcap-max.
type pcapFlags struct {
	Pcap    string `placeholder:"FILE" help:"Write every datagram sent and received to FILE (pcapng; wireshark -r FILE, tshark -r FILE), UDP and ICMP in the IP headers they travelled in."`
	PcapMax string `default:"64MiB" placeholder:"SIZE|COUNT" help:"Bound --pcap: a size (64MiB, the default; 10MB) or a number of datagrams (1000). Past it datagrams are counted, not written."`
}

// pcapVerboseFlags add -v.
type pcapVerboseFlags struct {
	pcapFlags `embed:""`
	Verbose   bool `short:"v" help:"Show the socket options and addresses in force on each socket, when it first moves a datagram."`
}

// rawObserveFlags add -x.
type rawObserveFlags struct {
	pcapVerboseFlags `embed:""`
	Hex              bool `short:"x" help:"Print every datagram sent and received as a hex dump, as tcpdump -X does."`
}

// diagramFlags are --diagram.
type diagramFlags struct {
	Diagram string `placeholder:"FILE" help:"When the command ends, draw the sequence diagram of what its socket did into FILE: the calls, and an arrow per datagram with its size and time; SVG (FILE.svg) or Mermaid text (FILE.mmd)."`
}

// serveObserveFlags are serve's: --pcap and --diagram (-x and -v it has).
type serveObserveFlags struct {
	pcapFlags    `embed:""`
	diagramFlags `embed:""`
}

// sendObserveFlags are send's: --pcap, -v and --diagram (-x it has).
type sendObserveFlags struct {
	pcapVerboseFlags `embed:""`
	diagramFlags     `embed:""`
}

// observed is what a command's flags ask to see.
type observed struct {
	pcap, pcapMax string
	hex           bool   // -x of rawObserveFlags: a dump of every datagram
	diagram       string // --diagram's file
}

func (f *pcapFlags) observed() observed { return observed{pcap: f.Pcap, pcapMax: f.PcapMax} }

func (f *serveObserveFlags) observed() observed {
	o := f.pcapFlags.observed()
	o.diagram = f.Diagram
	return o
}

func (f *sendObserveFlags) observed() observed {
	o := f.pcapFlags.observed()
	o.diagram = f.Diagram
	return o
}

func (f *rawObserveFlags) observed() observed {
	o := f.pcapFlags.observed()
	o.hex = f.Hex
	return o
}

// observedCmd is a command whose flags embed one of the sets above.
type observedCmd interface{ observed() observed }

// commandObserved reads what the selected command asks to see: its
// --pcap and -x, and -v whichever flags define it.
func commandObserved(kctx *kong.Context) (o observed, verbose bool) {
	if n := kctx.Selected(); n != nil && n.Target.CanAddr() {
		if c, ok := n.Target.Addr().Interface().(observedCmd); ok {
			o = c.observed()
		}
	}
	for _, f := range kctx.Flags() {
		if f.Name == "verbose" {
			v, _ := kctx.FlagValue(f).(bool)
			verbose = verbose || v
		}
	}
	return o, verbose
}

// observer is what runs while a command runs: the trace, the capture
// file, the dumps and the descriptions of sockets.
type observer struct {
	app   *App
	trace *tracer

	mu        sync.Mutex // serializes the capture's consumers
	pcap      *pcap.Writer
	pcapName  string
	pcapFile  *outFile
	hex       io.Writer
	verbose   io.Writer
	described map[families.Conn]bool
	sigs      chan os.Signal
	sigDone   chan struct{}

	diagram     *diagram.Recorder
	diagramFile *outFile

	traced, captured bool // the families hooks this run set
}

// startCapture sets the families Capture when the command asks for
// --pcap, -x or -v.
func (o *observer) startCapture(want observed, verbose bool, app *App) error {
	if want.pcap != "" {
		if err := o.openPcap(want, app); err != nil {
			return err
		}
	}
	if want.hex {
		o.hex = app.Stdout
	}
	if verbose {
		o.verbose, o.described = app.Stderr, map[families.Conn]bool{}
	}
	return nil
}

// hook sets the families Tracer and Capture to what is asked for: the
// trace and the diagram see the calls; the capture file, the dumps, the
// descriptions and the diagram the datagrams.
func (o *observer) hook() {
	if o.trace != nil || o.diagram != nil {
		families.SetTracer(o.call)
		o.traced = true
	}
	if o.pcap != nil || o.hex != nil || o.verbose != nil || o.diagram != nil {
		families.SetCapture(o.datagram)
		o.captured = true
	}
}

// call hands c to the trace and the diagram: families.Tracer.
func (o *observer) call(c families.Call) {
	if o.trace != nil {
		o.trace.call(c)
	}
	if o.diagram != nil {
		o.diagram.Call(c)
	}
}

// datagram hands d to each consumer: families.Capture.
func (o *observer) datagram(d *families.Datagram) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verbose != nil && !o.described[d.Conn] {
		o.described[d.Conn] = true
		describeSocket(o.verbose, d)
	}
	if o.hex != nil {
		io.WriteString(o.hex, hexDatagram(d))
	}
	if o.pcap != nil {
		o.pcap.Capture(d)
	}
	if o.diagram != nil {
		o.diagram.Datagram(d)
	}
}

// describeSocket prints what is in force on the socket that moved d: its
// triple, descriptor, addresses and options.
func describeSocket(w io.Writer, d *families.Datagram) {
	var addrs, opts []string
	for _, s := range d.Settings() {
		if s.Name == "local" || s.Name == "peer" {
			addrs = append(addrs, s.Name+" "+s.Value)
		} else {
			opts = append(opts, s.Name+"="+s.Value)
		}
	}
	first := "from " + addrText(d.Peer)
	if d.Sent {
		first = "to " + addrText(d.Peer)
	}
	fmt.Fprintf(w, "socklab: fd %d %s %s; first datagram: %s %s\n", d.Fd, d.Spec, strings.Join(addrs, " "), d.Call, first)
	if len(opts) > 0 {
		fmt.Fprintf(w, "socklab:   %s\n", strings.Join(opts, " "))
	}
}

// flushOnSignal flushes the files on SIGINT and SIGTERM as they come,
// before the command has wound down: a capture or trace cut short by a
// second signal, or a hung command, is still on disk.
func (o *observer) flushOnSignal() {
	o.sigs, o.sigDone = make(chan os.Signal, 1), make(chan struct{})
	signal.Notify(o.sigs, os.Interrupt, syscall.SIGTERM)
	go func(sigs chan os.Signal) {
		defer close(o.sigDone)
		for range sigs {
			o.flush()
		}
	}(o.sigs)
}

func (o *observer) flush() {
	if o.trace != nil {
		o.trace.flush()
	}
	if o.pcap != nil {
		o.pcap.Flush()
	}
}

// close stops the trace and the capture and closes their files, saying
// so when --pcap-max left datagrams out or a file could not be written.
// failed says the command failed (exit 1 or 2): then a file it put
// nothing in is removed, or left as it was before the command (see
// outFile), so a command line refused loses no earlier capture.
func (o *observer) close(failed bool) {
	if o.captured {
		families.SetCapture(nil)
	}
	if o.traced {
		families.SetTracer(nil)
	}
	if o.sigs != nil {
		signal.Stop(o.sigs)
		close(o.sigs)
		<-o.sigDone // no flush runs past this point
	}
	if o.trace != nil {
		if err := o.trace.stop(failed); err != nil {
			fmt.Fprintf(o.app.Stderr, "socklab: --trace: %v\n", err)
		}
	}
	if o.pcap != nil {
		o.closePcap(failed)
	}
	if o.diagram != nil {
		o.writeDiagram(failed)
	}
}
