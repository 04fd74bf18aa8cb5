package echo_test

import (
	"context"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// A pingpong bench with kernel timestamps splits every round trip, and the
// three parts add up to no more than the round trip the program measured
// around them, and to most of it.
func TestBenchTimestamps(t *testing.T) {
	echotest.KernelStampsOn(t)
	s := echotest.Start(t, families.UDP4(), "127.0.0.1:0", echo.ServerConfig{Reply: echo.ReplyEcho})
	c, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := echo.Bench(context.Background(), c, s.Addr(), echo.BenchConfig{Mode: echo.BenchPingPong, Duration: 500 * time.Millisecond, Timestamps: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := r.Timestamps
	if r.IO != "sendto/recvmsg with SO_TIMESTAMPING" || ts == nil {
		t.Fatalf("io %q, timestamps %+v", r.IO, ts)
	}
	if ts.Matched != r.Received || ts.Missing != 0 || r.Received == 0 || r.Lost != 0 {
		t.Errorf("%d replies, %d split, %d missing: want every reply split", r.Received, ts.Matched, ts.Missing)
	}
	sum := ts.SenderStack.Mean + ts.WireAndPeer.Mean + ts.ReceiverStack.Mean
	if ts.SenderStack.Min <= 0 || ts.WireAndPeer.Min <= 0 || ts.ReceiverStack.Min <= 0 || sum > r.LatencyUs.Mean+1 || sum < r.LatencyUs.Mean/2 {
		t.Errorf("parts (means) %.1f + %.1f + %.1f = %.1fµs, round trip mean %.1fµs: want positive parts summing to most of it",
			ts.SenderStack.Mean, ts.WireAndPeer.Mean, ts.ReceiverStack.Mean, sum, r.LatencyUs.Mean)
	}
	// Loopback answers every wire probe, one at the start and one each
	// 200ms.
	if ts.Wire == nil || ts.WireProbes < 3 || ts.WireAnswered != ts.WireProbes || ts.Wire.Min <= 0 || ts.PeerP50 != max(ts.WireAndPeer.P50-ts.Wire.P50, 0) {
		t.Errorf("wire probes: %d of %d answered, wire %+v, wire and peer p50 %.1f (note %q)", ts.WireAnswered, ts.WireProbes, ts.Wire, ts.WireAndPeer.P50, ts.WireNote)
	}
	if ts.Hardware != "unavailable: lo stamps in software only (ethtool -T lo)" {
		t.Errorf("hardware: %q", ts.Hardware)
	}
}
