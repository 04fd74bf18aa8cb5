package main

// Tests of socklab compare as a user runs it: as root with --loss, where it
// builds its own lab, and as nobody, where it says what needs root.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/compare"
	"github.com/socklab/socklab/lab"
	"github.com/socklab/socklab/lab/labtest"
)

// compareTimeout bounds a compare run: a few seconds alone, but CI runs
// packages side by side on two cores.
const compareTimeout = 90 * time.Second

// socklabSlow is socklabWith for a command that measures: it may take
// longer than cmdTimeout on a loaded machine.
func socklabSlow(t *testing.T, o runOpts, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), compareTimeout)
	defer cancel()
	cmd := command(ctx, o, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("socklab %s: still running after %v\n%s", strings.Join(args, " "), compareTimeout, r)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// compareEvents runs socklab compare with args and --json, and returns its
// results by transport, its claims by row and its summary.
func compareEvents(t *testing.T, o runOpts, args ...string) (map[string]compare.Result, map[string]compare.Claim, map[string]any) {
	t.Helper()
	r := socklabSlow(t, o, append([]string{"compare", "--json"}, args...)...)
	mustSucceed(t, r, "compare")
	results, claims := map[string]compare.Result{}, map[string]compare.Claim{}
	var summary map[string]any
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev struct{ Event, Time string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Time == "" {
			t.Fatalf("not an event with a time: %q (%v)", line, err)
		}
		switch ev.Event {
		case "result":
			var res compare.Result
			json.Unmarshal([]byte(line), &res)
			results[res.Transport] = res
		case "claim":
			var c compare.Claim
			json.Unmarshal([]byte(line), &c)
			claims[c.Row] = c
		case "summary":
			json.Unmarshal([]byte(line), &summary)
		}
	}
	if len(results) != 5 || summary == nil {
		t.Fatalf("want 5 results and a summary:\n%s", r)
	}
	for name, res := range results {
		if len(res.Errors) > 0 {
			t.Errorf("%s failed: %v", name, res.Errors)
		}
	}
	return results, claims, summary
}

// TestCompareLoss runs socklab compare --loss 10% as root: it builds a lab,
// and the direction of each claim shows (not exact numbers, which depend
// on the machine): UDP delivers fewer than N, TCP all N with
// retransmissions; datagram and seqpacket sockets need one receive per
// send, streams fewer. The lab is gone afterwards.
func TestCompareLoss(t *testing.T) {
	labtest.Need(t, lab.Config{Loss: 10})
	const n = 2000
	results, claims, summary := compareEvents(t, runOpts{}, "--loss", "10%", "--messages", "2000")
	udp, tcp := results["udp"].Reliability, results["tcp"].Reliability
	if udp.Loss != 10 || udp.Sent != n || udp.Delivered >= n || udp.Delivered < n/2 {
		t.Errorf("UDP under 10%% loss delivered %d of %d (loss %v): want fewer than all", udp.Delivered, udp.Sent, udp.Loss)
	}
	if tcp.Delivered != n || !tcp.HaveTCPInfo || tcp.Retrans == 0 || tcp.Elapsed <= tcp.Lossless.Elapsed {
		t.Errorf("TCP under 10%% loss: %d of %d delivered, %d retransmissions (TCP_INFO %v), %v against %v without loss: want all, some retransmitted, slower",
			tcp.Delivered, n, tcp.Retrans, tcp.HaveTCPInfo, tcp.Elapsed, tcp.Lossless.Elapsed)
	}
	for _, name := range []string{"unix-dgram", "unix-stream", "seqpacket"} {
		if rel := results[name].Reliability; rel.Delivered != n || rel.Loss != 0 {
			t.Errorf("%s crosses no network: %d of %d delivered, loss %v", name, rel.Delivered, n, rel.Loss)
		}
	}
	for name, res := range results {
		m := res.Mode
		stream := res.Kind == "SOCK_STREAM"
		if stream && m.Receives >= m.Sends || !stream && m.Receives != m.Sends {
			t.Errorf("%s (%s): %d receives for %d sends", name, res.Kind, m.Receives, m.Sends)
		}
	}
	if c := results["tcp"].Connection; c.Packets != 3 || c.NoServer.Err != "ECONNREFUSED" {
		t.Errorf("TCP connection: %+v", c)
	}
	for _, row := range []string{"connection", "reliability", "mode"} {
		if claims[row].Verdict != compare.Held {
			t.Errorf("claim %s: %+v, want held", row, claims[row])
		}
	}
	if summary["lab"] == "" || summary["loss_pct"] != 10.0 {
		t.Errorf("summary %v: want the lab and 10%%", summary)
	}
	if _, err := os.Stat(lab.NetnsDir + "/" + lab.NetnsName(summary["lab"].(string), lab.Server)); err == nil {
		t.Errorf("compare left its lab %v", summary["lab"])
	}
}

// TestCompareNotRoot runs socklab compare --loss 10% as nobody: every
// loopback row is measured, and reliability runs on loopback with a note
// that loss needs root; the text output has the table and the verdicts.
func TestCompareNotRoot(t *testing.T) {
	needRoot(t, "run socklab compare as nobody")
	results, claims, summary := compareEvents(t, runOpts{nobody: true}, "--loss", "10%", "--messages", "100")
	if rel := results["udp"].Reliability; rel.Loss != 0 || rel.Delivered != rel.Sent {
		t.Errorf("as nobody UDP's reliability ran with loss %v, %d/%d delivered", rel.Loss, rel.Delivered, rel.Sent)
	}
	if claims["reliability"].Verdict != compare.NotShown {
		t.Errorf("reliability claim %+v: want not shown", claims["reliability"])
	}
	if notes, _ := json.Marshal(summary["notes"]); !strings.Contains(string(notes), "needs root") {
		t.Errorf("no note says loss needs root: %s", notes)
	}
	r := socklabSlow(t, runOpts{nobody: true}, "compare", "--messages", "100")
	mustSucceed(t, r, "compare")
	for _, want := range []string{"CLAIM", "UDP", "SEQPACKET", "mode: receives for 100 sends", "mode: \"TCP is a byte stream; UDP sends datagrams\" held", "note: no --loss"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("compare's output lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "socklab compare: tcp: ping-pong") {
		t.Errorf("no progress on stderr:\n%s", r.stderr)
	}
}

func TestCompareBadInput(t *testing.T) {
	checkOneLineError(t, socklab(t, "compare", "--loss", "ten"), "--loss", "e.g. 10%")
	checkOneLineError(t, socklab(t, "compare", "--messages", "0"), "--messages 0", "1 or more")
}
