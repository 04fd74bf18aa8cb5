package compare

import (
	"fmt"
	"time"
)

// Verdicts of a claim.
const (
	Held      = "held"
	NotHeld   = "did not hold"
	Partly    = "partly"
	NotShown  = "not shown here"
	mibString = "16 MiB"
)

// Claim is one claim of the seed's table, judged by what was measured.
type Claim struct {
	Row     string `json:"row"`
	Claim   string `json:"claim"`
	Verdict string `json:"verdict"`
	// Why says in one line why the numbers are what they are.
	Why string `json:"why"`
}

// Judge judges the seed's claims by r's results.
func Judge(r *Report) []Claim {
	udp, tcp := r.result("udp"), r.result("tcp")
	if udp == nil || tcp == nil {
		return nil
	}
	return []Claim{
		judgeConnection(udp, tcp),
		judgeReliability(r, udp, tcp),
		judgeMode(r, udp, tcp),
		judgeBulk(udp, tcp),
		judgeSmall(udp, tcp),
		judgeLatency(udp, tcp),
		judgeSetup(udp, tcp),
		judgeSpeedBulk(udp, tcp),
	}
}

func (r *Report) result(name string) *Result {
	for i := range r.Results {
		if r.Results[i].Transport == name {
			return &r.Results[i]
		}
	}
	return nil
}

func verdict(ok bool) string {
	if ok {
		return Held
	}
	return NotHeld
}

func judgeConnection(udp, tcp *Result) Claim {
	c := Claim{Row: "connection", Claim: "TCP is connection-oriented (a handshake first); UDP is connectionless"}
	uc, tc := udp.Connection, tcp.Connection
	c.Verdict = verdict(tc.Packets >= 3 && uc.Packets == 0 && tc.NoServer.At == "connect")
	c.Why = fmt.Sprintf("TCP's client exchanged %d segments (SYN, SYN-ACK, ACK) before its first byte, and a missing server refused it at connect (%s %s); UDP sent nothing before its first datagram, and learned of the missing server %s",
		tc.Packets, tc.NoServer.Err, tc.NoServer.How, udpNoServer(uc.NoServer))
	return c
}

func udpNoServer(n NoServer) string {
	if n.Err == "" {
		return "never (" + n.How + ")"
	}
	return fmt.Sprintf("only at its next %s (%s from an %s)", n.At, n.Err, n.How)
}

func judgeReliability(r *Report, udp, tcp *Result) Claim {
	c := Claim{Row: "reliability", Claim: "TCP is reliable (acknowledgements, retransmission); UDP loses packets on a bad network"}
	ur, tr := udp.Reliability, tcp.Reliability
	if ur.Loss == 0 {
		c.Verdict = NotShown
		c.Why = fmt.Sprintf("nothing is lost on loopback: UDP delivered %d/%d too; \"unreliable\" means nothing recovers a loss, and only a lossy path (as root: --loss 10%%) shows one", ur.Delivered, ur.Sent)
		return c
	}
	c.Verdict = verdict(tr.Delivered == tr.Sent && ur.Delivered < ur.Sent)
	c.Why = fmt.Sprintf("with %v%% of packets dropped, UDP delivered %d/%d and nothing noticed; TCP delivered %d/%d by retransmitting %d of %d segments, in %s instead of %s; unix sockets cross no network and lost nothing",
		r.Loss, ur.Delivered, ur.Sent, tr.Delivered, tr.Sent, tr.Retrans, tr.SegsOut, round(tr.Elapsed), round(tr.Lossless.Elapsed))
	return c
}

func judgeMode(r *Report, udp, tcp *Result) Claim {
	c := Claim{Row: "mode", Claim: "TCP is a byte stream; UDP sends datagrams"}
	um, tm := udp.Mode, tcp.Mode
	c.Verdict = verdict(um.Receives == um.Sends && tm.Receives < tm.Sends)
	others := ""
	if sp, ud := r.result("seqpacket"), r.result("unix-dgram"); sp != nil && ud != nil {
		others = fmt.Sprintf(" (unix datagram %d, seqpacket %d)", ud.Mode.Receives, sp.Mode.Receives)
	}
	c.Why = fmt.Sprintf("%d sends of %d bytes: UDP's peer needed %d receives, one per datagram%s; TCP's needed %d (%s bytes): a stream keeps no boundaries, so a protocol over it must frame its messages",
		um.Sends, um.Size, um.Receives, others, tm.Receives, splitString(tm.Split, 8))
	return c
}

func judgeBulk(udp, tcp *Result) Claim {
	c := Claim{Row: "use: bulk", Claim: "TCP is for bulk data"}
	ub, tb := udp.Bulk, tcp.Bulk
	c.Verdict = verdict(tb.Delivered == tb.Sent && (ub.Delivered < ub.Sent || tb.Mbps >= ub.Mbps))
	c.Why = fmt.Sprintf("%s one way: TCP %s, all of it; UDP %s with %s delivered: %s",
		mibString, mbps(tb.Mbps), mbps(ub.Mbps), pct(ub.Delivered, ub.Sent), flowControl(ub))
	return c
}

// flowControl says what UDP's lack of flow control did to f.
func flowControl(f Flow) string {
	if f.QueueDrops > 0 {
		return fmt.Sprintf("UDP has no flow control, and the sender outran the receiver: its full queue dropped %d datagrams", f.QueueDrops)
	}
	return "UDP has no flow control, but the receiver's queue (4 MiB asked) kept up this time; with a slower receiver the rest is lost"
}

func judgeSmall(udp, tcp *Result) Claim {
	c := Claim{Row: "use: small", Claim: "UDP is for small messages"}
	us, ts := udp.Small, tcp.Small
	c.Verdict = verdict(us.PerSec > ts.PerSec && us.Delivered == us.Sent)
	c.Why = fmt.Sprintf("%d messages of %d bytes one way: UDP carried %.0f/s (%s delivered), TCP %.0f/s: TCP packs many writes into one segment and one read, and the receiver splits them itself",
		us.Sent, us.Size, us.PerSec, pct(us.Delivered, us.Sent), ts.PerSec)
	return c
}

func judgeLatency(udp, tcp *Result) Claim {
	c := Claim{Row: "speed: latency", Claim: "UDP is faster"}
	ul, tl := udp.Latency, tcp.Latency
	c.Verdict = verdict(ul.P50 < tl.P50)
	c.Why = fmt.Sprintf("ping-pong of %d bytes, one in flight: UDP p50 %s, TCP p50 %s (p99 %s and %s): each is one system call each way; TCP also acknowledges",
		pingSize, us(ul.P50), us(tl.P50), us(ul.P99), us(tl.P99))
	return c
}

func judgeSetup(udp, tcp *Result) Claim {
	c := Claim{Row: "speed: setup", Claim: "TCP is slower: it costs a connection"}
	uc, tc := udp.Connection, tcp.Connection
	c.Verdict = verdict(tc.Setup > uc.Setup)
	c.Why = fmt.Sprintf("opening a connected pair took TCP %s (socket, bind, listen, connect with its handshake, accept) and UDP %s (socket, bind, connect, which sends nothing)",
		us(tc.Setup), us(uc.Setup))
	return c
}

func judgeSpeedBulk(udp, tcp *Result) Claim {
	c := Claim{Row: "speed: bulk", Claim: "UDP is faster"}
	c.Verdict = verdict(udp.Bulk.Mbps > tcp.Bulk.Mbps)
	c.Why = fmt.Sprintf("moving %s, UDP reached %s and TCP %s: UDP pays a system call and a trip through the stack per %d-byte datagram, TCP hands the kernel 64 KiB at a time and it moves large segments",
		mibString, mbps(udp.Bulk.Mbps), mbps(tcp.Bulk.Mbps), udp.Bulk.Size)
	return c
}

func round(d time.Duration) string {
	return d.Round(time.Millisecond).String()
}

func us(d time.Duration) string {
	return fmt.Sprintf("%.1fµs", float64(d)/1e3)
}

func mbps(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1f Gbit/s", v/1000)
	}
	return fmt.Sprintf("%.0f Mbit/s", v)
}

func pct(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

// splitString shows a receive split: "600+400", or "10+10+... (100)".
func splitString(split []int, most int) string {
	s := ""
	for i, n := range split {
		if i == most {
			return s + fmt.Sprintf("+... in %d reads", len(split))
		}
		if i > 0 {
			s += "+"
		}
		s += fmt.Sprint(n)
	}
	return s
}
