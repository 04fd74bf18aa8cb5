package echo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// A bench with GSO against a server reading with GRO: every datagram comes
// back whole, counted once on both sides, and the report says what was
// used.
func TestBenchGSOServerGRO(t *testing.T) {
	srv := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
	cfg := echo.ServerConfig{Reply: echo.ReplyEcho, Quiet: true, GRO: true}
	if ok, why := echo.GROReplies(srv, cfg); !ok {
		t.Fatal(why)
	}
	if err := families.SetGRO(srv); err != nil {
		t.Skipf("no GRO here: %v", err)
	}
	s := echotest.Serve(t, srv, cfg)
	c, err := families.UDP4().Open(families.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := echo.Bench(context.Background(), c, srv.LocalAddr(), echo.BenchConfig{Count: 20000, Size: 1400, GSO: 16, Timeout: time.Second, Connect: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Offload != "UDP_SEGMENT, 16 datagrams per send; replies read with UDP_GRO" {
		t.Errorf("offload: %q", r.Offload)
	}
	if r.Sent != 20000 || r.Received != 20000 || r.Bad != 0 || r.Duplicates != 0 {
		t.Errorf("sent %d received %d bad %d duplicates %d: want 20000 back whole, once each", r.Sent, r.Received, r.Bad, r.Duplicates)
	}
	st := s.Stop()
	if st.Datagrams != 20000 || st.Batches >= st.Datagrams/4 {
		t.Errorf("server: %d datagrams in %d reads: want 20000, mostly coalesced", st.Datagrams, st.Batches)
	}
}

func TestGROReplies(t *testing.T) {
	c := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
	for _, tc := range []struct {
		cfg  echo.ServerConfig
		want string
	}{
		{echo.ServerConfig{Reply: echo.ReplyEcho, Plain: true}, "batch path only"},
		{echo.ServerConfig{Reply: echo.ReplySeed, Quiet: true}, "the echo reply"},
		{echo.ServerConfig{Reply: echo.ReplyEcho, Quiet: true, Bufsize: 1500}, "64 KiB"},
	} {
		if ok, why := echo.GROReplies(c, tc.cfg); ok || !strings.Contains(why, tc.want) {
			t.Errorf("%+v: %v %q, want %q", tc.cfg, ok, why, tc.want)
		}
	}
}
