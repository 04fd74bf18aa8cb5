package compare

import (
	"strings"
	"testing"
	"time"
)

// report makes a report of udp and tcp results with the given figures.
func report(udpDelivered, tcpDelivered int, tcpReceives int) *Report {
	udp := Result{Transport: "udp", kind: KindDatagram, ip: true}
	tcp := Result{Transport: "tcp", kind: KindStream, ip: true}
	udp.Reliability = Reliability{Flow: Flow{Sent: 1000, Delivered: udpDelivered}, Loss: 10}
	tcp.Reliability = Reliability{Flow: Flow{Sent: 1000, Delivered: tcpDelivered, Elapsed: time.Second}, Loss: 10, Retrans: 40, SegsOut: 300, HaveTCPInfo: true}
	udp.Mode = Mode{Sends: 100, Size: 10, Receives: 100}
	tcp.Mode = Mode{Sends: 100, Size: 10, Receives: tcpReceives, Split: []int{400, 600}}
	tcp.Connection = Connection{Packets: 3, CountedBy: "TCP_INFO", NoServer: NoServer{Err: "ECONNREFUSED", At: "connect"}, Setup: 40 * time.Microsecond}
	udp.Connection = Connection{CountedBy: "server", NoServer: NoServer{Err: "ECONNREFUSED", At: "receive"}, Setup: 20 * time.Microsecond}
	udp.Bulk = Flow{Sent: 100, Delivered: 80, Mbps: 1000, QueueDrops: 20}
	tcp.Bulk = Flow{Sent: 100, Delivered: 100, Mbps: 9000}
	return &Report{Results: []Result{udp, tcp}, Loss: 10}
}

func verdicts(r *Report) map[string]string {
	v := map[string]string{}
	for _, c := range Judge(r) {
		v[c.Row] = c.Verdict
		if c.Why == "" || c.Claim == "" {
			v[c.Row] = "no explanation"
		}
	}
	return v
}

// The claims hold when the figures go the claimed way, and are said not
// to when they do not.
func TestJudge(t *testing.T) {
	v := verdicts(report(900, 1000, 2))
	for _, row := range []string{"connection", "reliability", "mode", "use: bulk", "speed: setup"} {
		if v[row] != Held {
			t.Errorf("%s: %q, want held", row, v[row])
		}
	}
	if v["speed: bulk"] != NotHeld {
		t.Errorf("UDP at 1 Gbit/s against TCP at 9: %q, want did not hold", v["speed: bulk"])
	}
	v = verdicts(report(1000, 1000, 100))
	if v["reliability"] != NotHeld || v["mode"] != NotHeld {
		t.Errorf("UDP lost nothing under loss, TCP kept boundaries: %v", v)
	}
	r := report(1000, 1000, 2)
	r.Results[0].Reliability.Loss = 0
	if v := verdicts(r); v["reliability"] != NotShown {
		t.Errorf("no loss: %q, want not shown", v["reliability"])
	}
}

func TestTable(t *testing.T) {
	r := report(900, 1000, 2)
	r.Results[1].Errors = []string{"ping-pong: boom"}
	rows := Table(r)
	if got := strings.Join(rows[0], " "); got != "CLAIM UDP TCP" {
		t.Errorf("header %q", got)
	}
	text := ""
	for _, row := range rows {
		text += strings.Join(row, " | ") + "\n"
	}
	for _, want := range []string{"| 0 packets | 3 segments\n", "| 900/1000 | 1000/1000, 40 retrans", "| 100 | 2 (400+600 B)", "speed: ping-pong p50/p99 | 0/0 µs | failed", "ECONNREFUSED at receive | ECONNREFUSED at connect"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
}
