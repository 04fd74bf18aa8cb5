package main

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/socklab/socklab/families"
)

// udpPMTUCmd is socklab udp4|udp6 pmtu: path MTU discovery by DF probing.
type udpPMTUCmd struct {
	Timeout time.Duration `default:"1s" help:"How long each probe waits for a router's or the destination's answer."`
	Tries   int           `default:"2" help:"Probes sent of each size before giving up on an answer."`
	JSON    bool          `name:"json" help:"Print the result as one JSON object: dest, route_mtu, pmtu, reached, steps [{size, outcome, from, mtu, error}]."`
	Dest    string        `arg:"" name:"HOST[:PORT]" help:"Destination; the port (default 33434, as traceroute's) need not be open: the kernel's port unreachable says the probe arrived."`
}

// Help explains what pmtu does.
func (udpPMTUCmd) Help() string {
	return `Sends UDP datagrams with DF set (IP_PMTUDISC_PROBE), starting at the
route's MTU. A router whose next link is smaller drops one and answers
"fragmentation needed" (ICMPv6 "packet too big") with that link's MTU; the
next probe has that size, until one reaches the destination, like
tracepath. Each line says a probe's size and what came of it.`
}

func (c *udpPMTUCmd) Run(app *App) error {
	if c.Timeout <= 0 || c.Tries < 1 {
		return fmt.Errorf("--timeout %v --tries %d: want a positive duration and 1 or more tries", c.Timeout, c.Tries)
	}
	dest := c.Dest
	if _, _, err := net.SplitHostPort(dest); err != nil {
		dest = net.JoinHostPort(dest, "33434")
	}
	a, err := app.Def.ResolveAddr(dest)
	if err != nil {
		return err
	}
	r, err := families.ProbePathMTU(app.Ctx, app.Def, a.(*net.UDPAddr), families.PMTUConfig{Timeout: c.Timeout, Tries: c.Tries})
	if err != nil {
		return err
	}
	if c.JSON {
		writeJSON(app.Stdout, struct {
			Event string `json:"event"`
			families.PMTUResult
		}{"pmtu", r})
	} else {
		printPMTU(app, r)
	}
	if !r.Reached {
		return fmt.Errorf("pmtu %s: no probe reached it; the path MTU is at most %d, unconfirmed (is the destination up, and does it answer UDP or send port unreachable?)", r.Dest, r.PMTU)
	}
	return nil
}

func printPMTU(app *App, r families.PMTUResult) {
	w := app.Stdout
	fmt.Fprintf(w, "pmtu to %s, route MTU %d\n", r.Dest, r.RouteMTU)
	for _, st := range r.Steps {
		fmt.Fprintf(w, "  %5d bytes: %s\n", st.Size, stepText(st))
	}
	if r.Reached {
		fmt.Fprintf(w, "pmtu %d (payload %d bytes)\n", r.PMTU, r.PMTU-families.IPOverhead(app.Def.Spec.Family))
	}
}

func stepText(st families.PMTUStep) string {
	switch st.Outcome {
	case "reached":
		if !st.From.IsValid() {
			return "reached"
		}
		return "reached " + st.From.String()
	case "too-big":
		return "too big, said " + st.From.String() + ": mtu " + strconv.Itoa(st.MTU)
	case "local":
		return "too big for this host's interface: mtu " + strconv.Itoa(st.MTU)
	case "no-answer":
		return "no answer"
	}
	return "error from " + st.From.String() + ": " + st.Error
}
