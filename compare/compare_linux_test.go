package compare

import (
	"context"
	"strings"
	"testing"
)

// TestRunLoopback runs every workload on loopback, as any user can, and
// checks the direction of each claim the loopback shows: a handshake for
// TCP only, refusals where no server listens, one receive per send for
// the message kinds and fewer for streams, everything delivered.
func TestRunLoopback(t *testing.T) {
	r, err := Run(context.Background(), Config{Messages: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Results) != 5 {
		t.Fatalf("%d results, want 5", len(r.Results))
	}
	for _, res := range r.Results {
		t.Run(res.Transport, func(t *testing.T) {
			if len(res.Errors) > 0 {
				t.Fatalf("failed: %v", res.Errors)
			}
			checkConnection(t, res)
			m := res.Mode
			if res.kind == KindStream && m.Receives >= m.Sends || res.kind != KindStream && m.Receives != m.Sends {
				t.Errorf("%s: %d receives for %d sends (split %v)", res.Kind, m.Receives, m.Sends, m.Split)
			}
			if rel := res.Reliability; rel.Delivered != rel.Sent || rel.Sent != 200 || rel.Loss != 0 {
				t.Errorf("reliability on loopback: %d/%d delivered, loss %v", rel.Delivered, rel.Sent, rel.Loss)
			}
			for _, f := range []Flow{res.Bulk, res.Small} {
				if f.Delivered == 0 || f.Elapsed <= 0 || f.PerSec <= 0 {
					t.Errorf("flow %+v: nothing measured", f)
				}
				if res.transport.Kind() != KindDatagram || !res.ip {
					if f.Delivered != f.Sent {
						t.Errorf("a reliable socket delivered %d of %d", f.Delivered, f.Sent)
					}
				}
			}
			if l := res.Latency; l.Rounds-l.Lost < l.Rounds/2 || l.P50 <= 0 || l.P99 < l.P50 {
				t.Errorf("latency %+v", l)
			}
		})
	}
	var rel *Claim
	for i, c := range r.Claims {
		if c.Row == "reliability" {
			rel = &r.Claims[i]
		}
	}
	if rel == nil || rel.Verdict != NotShown || !strings.Contains(strings.Join(r.Notes, " "), "--loss") {
		t.Errorf("without loss the reliability claim is not shown, and a note says how to: %+v %v", rel, r.Notes)
	}
}

func checkConnection(t *testing.T, res Result) {
	t.Helper()
	c := res.Connection
	want := 0
	if res.Transport == "tcp" {
		want = 3 // SYN, SYN-ACK, ACK
	}
	if c.Packets != want {
		t.Errorf("%d packets before the first byte (%s), want %d", c.Packets, c.CountedBy, want)
	}
	at := "connect"
	if res.Transport == "udp" {
		at = "receive" // the ICMP error comes back after the first send
	}
	if c.NoServer.Err != "ECONNREFUSED" || c.NoServer.At != at {
		t.Errorf("no server: %+v, want ECONNREFUSED at %s", c.NoServer, at)
	}
	if c.Setup <= 0 {
		t.Errorf("setup %v", c.Setup)
	}
}
