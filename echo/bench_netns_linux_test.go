package echo_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
	"github.com/socklab/socklab/lab"
	"github.com/socklab/socklab/lab/labtest"
)

// openIn opens a socket inside a lab host: a socket belongs to the
// namespace of the thread that creates it, and Do runs there.
func openIn(t *testing.T, h *lab.Host, def *families.Definition, o families.Options) families.Conn {
	t.Helper()
	var c families.Conn
	if err := h.Do(func() (err error) { c, err = def.Open(o); return err }); err != nil {
		t.Fatalf("open %s in %s: %v", def.Name, h.Netns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// A lab whose link drops a random 10% of the datagrams to the server (an
// nftables rule): bench reports about 10% lost (a binomial count: over
// 3000 datagrams, 5% to 15% is more than seven standard deviations either
// way).
func TestBenchNetnsRandomLoss(t *testing.T) {
	l := labtest.New(t, lab.Config{Loss: 10})
	srv, _ := l.Host(lab.Server)
	cl, _ := l.Host(lab.Client)
	for _, def := range []*families.Definition{families.UDP4(), families.UDP6()} {
		t.Run(def.Name, func(t *testing.T) {
			v := 4
			if def.Name == "udp6" {
				v = 6
			}
			s := openIn(t, srv, def, families.Options{Addr: netip.AddrPortFrom(srv.Addr(v), 0).String()})
			c := openIn(t, cl, def, families.Options{})
			echotest.Serve(t, s, echo.ServerConfig{Reply: echo.ReplyEcho})

			r, err := echo.Bench(context.Background(), c, s.LocalAddr(), echo.BenchConfig{Count: 3000, Inflight: 64, Timeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if r.Sent != 3000 || r.LostPct < 5 || r.LostPct > 15 || r.Received+r.Lost != r.Sent {
				t.Errorf("sent %d received %d lost %d (%.2f%%) with 10%% dropped at random: want 3000 sent, 5-15%% lost",
					r.Sent, r.Received, r.Lost, r.LostPct)
			}
			if r.Duplicates != 0 || r.Bad != 0 {
				t.Errorf("duplicates %d bad %d, want 0", r.Duplicates, r.Bad)
			}
			t.Logf("%d of %d lost (%.2f%%)", r.Lost, r.Sent, r.LostPct)
		})
	}
}
