package echo_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/socklab/socklab/echo"
	"github.com/socklab/socklab/echo/echotest"
	"github.com/socklab/socklab/families"
)

// With RecvInfo, each datagram event carries what the kernel said of it;
// without, nothing is asked and Info is nil.
func TestEventRecvInfo(t *testing.T) {
	echotest.KernelStampsOn(t)
	for _, on := range []bool{true, false} {
		var evs echotest.Events
		srv := echotest.Open(t, families.UDP4(), "127.0.0.1:0")
		if on {
			// Before any datagram can be queued: see ServerConfig.RecvInfo.
			if err := families.EnableRecvInfo(srv); err != nil {
				t.Fatal(err)
			}
		}
		s := echotest.Serve(t, srv, echo.ServerConfig{Reply: echo.ReplyEcho, OnEvent: evs.Record, RecvInfo: on})
		c, err := families.UDP4().Open(families.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		tos := uint8(families.ECNECT1 | 10<<2)
		if err := families.SetIPOptions(c, families.IPOptions{TTL: 5, TOS: &tos}); err != nil {
			t.Fatal(err)
		}
		cl := echo.NewClient(c, s.Addr(), echo.ClientConfig{Timeout: 3 * time.Second})
		if _, err := cl.Exchange(t.Context(), []byte("facts")); err != nil {
			t.Fatal(err)
		}
		s.Stop()
		all := evs.All()
		if len(all) != 1 || all[0].Kind != echo.EventDatagram {
			t.Fatalf("events: %+v", all)
		}
		info := all[0].Info
		switch {
		case !on && info != nil:
			t.Errorf("RecvInfo off: Info %+v, want nil", info)
		case on && (info == nil || info.TTL != 5 || info.TOS != int(tos) || info.Dst != netip.MustParseAddr("127.0.0.1") || info.IfIndex == 0 || time.Since(info.Stamp) > time.Minute):
			t.Errorf("RecvInfo on: Info %+v, want ttl 5, tos %#x, to 127.0.0.1 on lo, a kernel stamp", info, tos)
		}
	}
}
