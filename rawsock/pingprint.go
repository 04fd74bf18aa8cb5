package rawsock

import (
	"fmt"
	"io"
	"math"
)

// PingPrinter writes a ping's events and summary as iputils ping does:
//
//	PING localhost (127.0.0.1) 56(84) bytes of data.
//	64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms
//	From 10.0.0.1 icmp_seq=2 Time to live exceeded
//
// and with Flood, a dot for each request sent that a reply erases. Its
// Event method is a PingOptions.OnEvent.
type PingPrinter struct {
	W         io.Writer // where ping's text goes
	Notes     io.Writer // where the line naming the socket goes; nil: nowhere
	Host      string    // the host as given, for the first line
	IPVersion int       // 4 or 6
	Size      int       // echo data bytes
	Quiet     bool      // -q: only the first line and the summary
	Flood     bool      // -f: dots instead of lines
}

// Event prints e.
func (p *PingPrinter) Event(e PingEvent) {
	switch e.Event {
	case EventStart:
		p.start(e)
	case EventSent:
		if p.Flood && !p.Quiet {
			fmt.Fprint(p.W, ".")
		}
	case EventReply:
		p.reply(e)
	case EventError:
		p.error(e)
	}
}

func (p *PingPrinter) start(e PingEvent) {
	if p.IPVersion == 6 {
		fmt.Fprintf(p.W, "PING %s (%s) %d data bytes\n", p.Host, e.Target, p.Size)
	} else {
		fmt.Fprintf(p.W, "PING %s (%s) %d(%d) bytes of data.\n", p.Host, e.Target, p.Size, p.Size+28)
	}
	if p.Notes != nil && !p.Quiet {
		fmt.Fprintf(p.Notes, "socklab: %s (%s mode), echo id %d (%#04x) on the wire\n", e.Socket, e.Mode, e.ID, e.ID)
	}
}

func (p *PingPrinter) reply(e PingEvent) {
	switch {
	case p.Quiet:
		return
	case p.Flood:
		fmt.Fprint(p.W, "\b \b")
		return
	}
	fmt.Fprintf(p.W, "%d bytes from %s: icmp_seq=%d", e.Bytes, e.From, e.Seq)
	if e.TTL >= 0 {
		fmt.Fprintf(p.W, " ttl=%d", e.TTL)
	}
	fmt.Fprintf(p.W, " time=%s ms", pingTime(e.RTT))
	if e.Dup {
		fmt.Fprint(p.W, " (DUP!)")
	}
	if e.Late {
		fmt.Fprint(p.W, " (late)")
	}
	fmt.Fprintln(p.W)
}

func (p *PingPrinter) error(e PingEvent) {
	switch {
	case p.Quiet:
	case p.Flood:
		fmt.Fprint(p.W, "\bE")
	case e.From == "":
		fmt.Fprintf(p.W, "%s\n", e.Text)
	default:
		fmt.Fprintf(p.W, "From %s icmp_seq=%d %s\n", e.From, e.Seq, e.Text)
	}
}

// Summary prints the statistics after a blank line, as ping does.
func (p *PingPrinter) Summary(s *PingStats) {
	if p.Flood && !p.Quiet {
		fmt.Fprintln(p.W)
	}
	fmt.Fprintf(p.W, "\n%s", s.Summary())
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
