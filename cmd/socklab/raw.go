package main

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/socklab/socklab/rawsock"
)

// icmpCmd is socklab icmp4|icmp6.
type icmpCmd struct {
	Ping  pingCmd      `cmd:"" help:"Send ICMP echo requests and print the replies as iputils ping does."`
	Serve icmpServeCmd `cmd:"" help:"Print every ICMP message that arrives (raw socket); --reply answers echo requests from user space."`
}

// pingCmd is socklab icmp4|icmp6 ping.
type pingCmd struct {
	Host     string  `arg:"" help:"Host name or address to ping."`
	Count    int     `short:"c" placeholder:"COUNT" help:"Stop after COUNT echo requests (with -w: after COUNT replies)."`
	Interval float64 `short:"i" default:"1" placeholder:"SECONDS" help:"Seconds between echo requests; below 0.2 needs CAP_NET_RAW, as with ping."`
	Size     int     `short:"s" default:"56" placeholder:"BYTES" help:"Echo data bytes (ICMP adds 8)."`
	TTL      int     `short:"t" placeholder:"TTL" help:"IP TTL (IPv6 hop limit) of the requests."`
	Timeout  float64 `short:"W" placeholder:"SECONDS" help:"Seconds to wait for each reply; later ones are reported as late. Also how long to wait after the last request."`
	Deadline float64 `short:"w" placeholder:"SECONDS" help:"Stop after SECONDS, whatever else."`
	Flood    bool    `short:"f" help:"Flood: send as soon as each reply comes (at least every 10 ms); needs CAP_NET_RAW."`
	Quiet    bool    `short:"q" help:"Print only the first line and the summary."`
	ID       int     `short:"e" placeholder:"ID" help:"Echo identifier; on a dgram socket it is bound as the socket's port (default: the kernel's choice, or random for raw)."`
	Source   string  `short:"I" placeholder:"ADDR" help:"Local address to send from."`
	Mode     string  `default:"auto" enum:"auto,dgram,raw" help:"ICMP socket: dgram (unprivileged, SOCK_DGRAM), raw (SOCK_RAW, CAP_NET_RAW), or auto (dgram, then raw)."`
	JSON     bool    `name:"json" help:"Print one JSON object per event (NDJSON), then the summary object."`
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// ipVersion is 6 for the icmp6 family, 4 otherwise.
func ipVersion(app *App) int {
	if app.Def != nil && app.Def.Name == "icmp6" {
		return 6
	}
	return 4
}

func (c *pingCmd) Run(app *App) error {
	v := ipVersion(app)
	mode, err := rawsock.ParseMode(c.Mode)
	if err != nil {
		return err
	}
	if c.Interval < 0 || c.Timeout < 0 || c.Deadline < 0 || c.Count < 0 {
		return fmt.Errorf("-c, -i, -W and -w take positive numbers")
	}
	dst, err := rawsock.ResolveHost(app.Ctx, v, c.Host)
	if err != nil {
		return err
	}
	o := rawsock.PingOptions{IPVersion: v, Mode: mode, Count: c.Count, Interval: seconds(c.Interval), Size: c.Size, TTL: c.TTL,
		Timeout: seconds(c.Timeout), Deadline: seconds(c.Deadline), Flood: c.Flood, ID: c.ID, Source: c.Source}
	if c.Interval == 0 && !c.Flood {
		o.Interval = time.Nanosecond // -i 0: as fast as possible (privileged)
	}
	w := app.Stdout
	o.OnEvent = func(e rawsock.PingEvent) {
		if c.JSON {
			writeJSON(w, e)
			return
		}
		switch e.Event {
		case rawsock.EventStart:
			name := c.Host
			if v == 4 {
				fmt.Fprintf(w, "PING %s (%s) %d(%d) bytes of data.\n", name, e.Target, c.Size, c.Size+28)
			} else {
				fmt.Fprintf(w, "PING %s (%s) %d data bytes\n", name, e.Target, c.Size)
			}
			if !c.Quiet {
				fmt.Fprintf(app.Stderr, "socklab: %s (%s mode), echo id %d (%#04x) on the wire\n", e.Socket, e.Mode, e.ID, e.ID)
			}
		case rawsock.EventSent:
			if c.Flood && !c.Quiet {
				fmt.Fprint(w, ".")
			}
		case rawsock.EventReply:
			if c.Quiet {
				return
			}
			if c.Flood {
				fmt.Fprint(w, "\b \b")
				return
			}
			fmt.Fprintf(w, "%d bytes from %s: icmp_seq=%d", e.Bytes, e.From, e.Seq)
			if e.TTL >= 0 {
				fmt.Fprintf(w, " ttl=%d", e.TTL)
			}
			fmt.Fprintf(w, " time=%s ms", pingTime(e.RTT))
			if e.Dup {
				fmt.Fprint(w, " (DUP!)")
			}
			if e.Late {
				fmt.Fprint(w, " (late)")
			}
			fmt.Fprintln(w)
		case rawsock.EventError:
			if c.Quiet {
				return
			}
			if c.Flood {
				fmt.Fprint(w, "\bE")
				return
			}
			if e.From == "" {
				fmt.Fprintf(w, "%s\n", e.Text)
				return
			}
			fmt.Fprintf(w, "From %s icmp_seq=%d %s\n", e.From, e.Seq, e.Text)
		}
	}
	st, err := rawsock.Ping(app.Ctx, dst, o)
	if st == nil {
		return err
	}
	if c.JSON {
		writeJSON(w, st)
	} else {
		if c.Flood && !c.Quiet {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "\n%s", st.Summary())
	}
	if errors.Is(err, rawsock.ErrNoReply) {
		return fmt.Errorf("no reply from %s (%d sent)", st.Target, st.Transmitted)
	}
	return err
}

// pingTime formats a round trip in milliseconds as iputils does: three
// significant decimals below 1 ms, fewer above.
func pingTime(ms float64) string {
	us := int64(math.Round(ms * 1000))
	switch {
	case us >= 100000:
		return fmt.Sprintf("%d", us/1000)
	case us >= 10000:
		return fmt.Sprintf("%d.%01d", us/1000, (us%1000)/100)
	case us >= 1000:
		return fmt.Sprintf("%d.%02d", us/1000, (us%1000)/10)
	}
	return fmt.Sprintf("%d.%03d", us/1000, us%1000)
}

// icmpServeCmd is socklab icmp4|icmp6 serve.
type icmpServeCmd struct {
	Reply bool   `help:"Answer echo requests from user space (the kernel answers too unless net.ipv4.icmp_echo_ignore_all=1)."`
	Bind  string `placeholder:"ADDR" help:"Local address to listen on (default: all)."`
	Quiet bool   `short:"q" help:"Print nothing per message."`
	JSON  bool   `name:"json" help:"Print one JSON object per message (NDJSON)."`
}

func (c *icmpServeCmd) Run(app *App) error {
	v := ipVersion(app)
	w := app.Stdout
	o := rawsock.ICMPServeOptions{IPVersion: v, Bind: c.Bind, Reply: c.Reply, OnMessage: func(e rawsock.ICMPEvent) {
		switch {
		case c.Quiet:
		case c.JSON:
			writeJSON(w, e)
		case e.Err != "" && e.TypeName == "":
			fmt.Fprintf(w, "from %s: %d bytes, not ICMP: %s\n", e.From, e.Size, e.Err)
		default:
			fmt.Fprintf(w, "from %s ttl %d: %s (type %d code %d) id %d seq %d size %d", e.From, e.TTL, e.TypeName, e.Type, e.Code, e.ID, e.Seq, e.Size)
			if e.Text != "" {
				fmt.Fprintf(w, ": %s", e.Text)
			}
			if e.Replied {
				fmt.Fprint(w, ", replied")
			}
			if e.Err != "" {
				fmt.Fprintf(w, ", reply failed: %s", e.Err)
			}
			fmt.Fprintln(w)
		}
	}}
	if !c.Quiet && !c.JSON {
		what := "listening"
		if c.Reply {
			what = "listening and answering echo requests"
		}
		fmt.Fprintf(app.Stderr, "socklab: %s on %s\n", what, rawsock.ICMPSpec(v, rawsock.ModeRaw))
	}
	return rawsock.ServeICMP(app.Ctx, o)
}

// ip4Cmd is socklab ip4 (IP_HDRINCL).
type ip4Cmd struct{}

// doctorCmd is socklab doctor.
type doctorCmd struct {
	JSON bool `name:"json" help:"Print the report as one JSON object."`
}

func (c *doctorCmd) Run(app *App) error {
	r := rawsock.Doctor(app.Registry.All())
	if c.JSON {
		writeJSON(app.Stdout, r)
		return nil
	}
	r.WriteText(app.Stdout)
	return nil
}
