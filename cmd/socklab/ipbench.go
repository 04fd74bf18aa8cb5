package main

import (
	"fmt"
	"io"
	"net"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/families"
)

// benchIPFlags are bench's IP flags: header fields, groups, GSO.
type benchIPFlags struct {
	ipHeaderFlags `embed:""`
	peerIPFlags   `embed:""`
	GSO           int  `name:"gso" placeholder:"N" help:"Send N datagrams per UDP_SEGMENT send (GSO), and read replies with UDP_GRO; N times --size at most 65507 bytes, N at most 64. Throughput mode."`
	Timestamps    bool `name:"timestamps" help:"Split each round trip by the kernel's timestamps (SO_TIMESTAMPING): this host's sending stack, the wire and the peer, this host's receiving stack. One sendto/recvmsg per datagram."`
}

// apply checks bench's IP flags, sets them on c and in cfg, and returns
// the peer to send to. To a group or a broadcast address the socket stays
// unconnected: members answer from their own addresses.
func (f benchIPFlags) apply(app *App, c families.Conn, s ipSetup, peer net.Addr, cfg *echo.BenchConfig) (net.Addr, error) {
	if err := f.checkGSO(app.Def, *cfg); err != nil {
		return nil, err
	}
	cfg.GSO, cfg.Timestamps = f.GSO, f.Timestamps
	if f.GSO > 1 && f.Timestamps {
		return nil, fmt.Errorf("--gso and --timestamps: timestamps are read datagram by datagram, GSO sends many at once; drop one of them")
	}
	if f.Broadcast || echo.IsGroup(peer) {
		cfg.Connect = false
	}
	return s.applyPeer(app.Def, c, peer)
}

// checkGSO refuses a --gso the bench cannot use.
func (f benchIPFlags) checkGSO(def *families.Definition, cfg echo.BenchConfig) error {
	switch {
	case f.GSO == 0 || f.GSO == 1:
		return nil
	case def.Spec.Family != families.AF_INET && def.Spec.Family != families.AF_INET6:
		return fmt.Errorf("--gso: UDP_SEGMENT is for UDP sockets (udp4, udp6), not %s", def.Name)
	case f.GSO < 0 || f.GSO > families.MaxGSOSegments:
		return fmt.Errorf("--gso %d: want 2 to %d datagrams per send", f.GSO, families.MaxGSOSegments)
	case cfg.Mode == echo.BenchPingPong || cfg.Inflight < f.GSO:
		return fmt.Errorf("--gso %d: a send of %d datagrams needs throughput mode with --inflight %d or more", f.GSO, f.GSO, f.GSO)
	case f.GSO*cfg.Size > 65507:
		return fmt.Errorf("--gso %d with --size %d: one UDP_SEGMENT send carries at most 65507 bytes: --gso %d at most", f.GSO, cfg.Size, 65507/cfg.Size)
	}
	return nil
}

// printIPReport prints what the IP layer adds to a bench report.
func printIPReport(w io.Writer, r echo.BenchReport) {
	if r.Offload != "" {
		fmt.Fprintf(w, "  offload     %s\n", r.Offload)
	}
	if ts := r.Timestamps; ts != nil {
		fmt.Fprintf(w, "  kernel timestamps: %d round trips split, %d without all stamps; hardware %s\n", ts.Matched, ts.Missing, ts.Hardware)
		part := func(name string, l echo.Latency) {
			fmt.Fprintf(w, "    %s µs  min %.1f  p50 %.1f  p99 %.1f  max %.1f  mean %.1f\n", name, l.Min, l.P50, l.P99, l.Max, l.Mean)
		}
		part("sender stack  ", ts.SenderStack)
		part("wire and peer ", ts.WireAndPeer)
		printWire(w, ts)
		part("receiver stack", ts.ReceiverStack)
	}
}

// printWire prints the split of the middle part: the wire (the round trip
// the peer's kernel answers by itself) and the peer.
func printWire(w io.Writer, ts *echo.StampReport) {
	if ts.Wire == nil {
		fmt.Fprintf(w, "    wire and peer not split: %s\n", ts.WireNote)
		return
	}
	fmt.Fprintf(w, "      wire       µs  min %.1f  p50 %.1f  p99 %.1f  (%d of %d probes to port %d answered by the peer's kernel)\n",
		ts.Wire.Min, ts.Wire.P50, ts.Wire.P99, ts.WireAnswered, ts.WireProbes, echo.WireProbePort)
	fmt.Fprintf(w, "      peer       µs  p50 %.1f  (its socket, program and sending stack: wire and peer less wire, at the median)\n", ts.PeerP50)
}

// open opens bench's socket, as bench does without IP flags, and sets
// them, in the socket and in cfg.
func (f benchIPFlags) open(app *App, bind string, fd int, peer *net.Addr, cfg *echo.BenchConfig) (families.Conn, error) {
	s, err := sendIPFlags{f.ipHeaderFlags, f.peerIPFlags}.parse() // before any socket
	if err != nil {
		return nil, err
	}
	c, err := open(app, bind, fd, 0)
	if err != nil {
		return nil, err
	}
	if *peer, err = f.apply(app, c, s, *peer, cfg); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
