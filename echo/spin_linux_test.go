package echo_test

import (
	"context"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// TestSpin: a server and a bench that never sleep (busy polling) and ones
// that spin a while before they sleep still echo every datagram, and a
// busy-polling server still stops when told.
func TestSpin(t *testing.T) {
	for _, spin := range []time.Duration{-1, 50 * time.Microsecond} {
		s := echotest.Start(t, families.UDP4(), "127.0.0.1:0", echo.ServerConfig{Reply: echo.ReplyEcho, Spin: spin})
		c := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
		r, err := echo.Bench(context.Background(), c, s.Addr(), echo.BenchConfig{Mode: echo.BenchPingPong, Count: 500, Spin: spin})
		if err != nil {
			t.Fatal(err)
		}
		if r.Received != 500 || r.Lost != 0 {
			t.Errorf("spin %v: %d of 500 echoed", spin, r.Received)
		}
		st := s.Stop() // fails the test if Serve does not return
		t.Logf("spin %v: ping-pong p50 %.1fµs p99 %.1fµs, server saw %d", spin, r.LatencyUs.P50, r.LatencyUs.P99, st.Datagrams)
	}
}
