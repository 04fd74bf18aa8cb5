package echotest

import (
	"testing"
	"time"

	"github.com/socklab/socklab/families"
)

// KernelStampsOn makes sure the kernel stamps every packet it receives,
// in every network namespace, until the test ends, before a test checks a
// datagram's receive timestamp. The first socket on a host to ask for
// timestamps only schedules turning them on (net_enable_timestamp defers
// the switch to a work queue), so the datagrams that come before it has
// run carry none; a socket asking later finds them on. KernelStampsOn
// keeps a socket with SO_TIMESTAMPING open for the test and sends
// datagrams to itself until one comes stamped.
func KernelStampsOn(t testing.TB) {
	t.Helper()
	pc, err := families.UDP4().Open(families.Options{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	c := pc.(families.MsgConn)
	if err := families.EnableRecvInfo(c); err != nil {
		t.Fatal(err)
	}
	b, oob := make([]byte, 16), make([]byte, families.RecvInfoSpace)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if _, err := c.WriteTo([]byte("stamp?"), c.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		m, err := c.RecvMsg(b, oob, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !families.ParseRecvInfo(oob[:m.OOBN]).Stamp.IsZero() {
			return
		}
	}
	t.Fatal("the kernel stamped no datagram for 5 s with SO_TIMESTAMPING on")
}
